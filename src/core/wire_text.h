/*
 * wire_text.h - text at the Tango boundary: Latin-1 on the wire, UTF-8 in
 * the API.
 *
 * Tango DevString text travels as Latin-1 (CORBA's default code set; PyTango
 * encodes and decodes every str as Latin-1), while every string of the
 * tango-lrc API is UTF-8. The shim converts every string it passes in
 * either direction with these functions, and nothing else does: values with
 * lrc_wire_value_to_latin1 / lrc_wire_value_to_utf8, DevError texts with
 * lrc_latin1_to_utf8 / lrc_utf8_to_latin1_lossy. Pure C, unit-tested.
 */
#ifndef LRC_WIRE_TEXT_H
#define LRC_WIRE_TEXT_H

#include "lrc/error.h"
#include "tango/tango_shim.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True if s is well-formed UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF). Otherwise false with *bad_at (if not NULL) = the byte
 * offset of the first byte that does not fit. NULL is valid (empty). */
bool lrc_utf8_valid(const char *s, size_t *bad_at);

/* Latin-1 -> UTF-8: every byte is the character of the same number, so
 * this cannot fail but for memory. malloc'd; NULL only when out of memory
 * (NULL s reads as ""). */
char *lrc_latin1_to_utf8(const char *s);

/* UTF-8 -> Latin-1. LRC_OK with *out malloc'd; LRC_EINVAL when s is not
 * UTF-8 or holds a character Latin-1 cannot hold (above U+00FF), with a
 * message starting with `what` (e.g. "argument of command 'Echo'") that
 * names the character and its position; LRC_ENOMEM. NULL s reads as "". */
int lrc_utf8_to_latin1(const char *s, const char *what, char **out, lrc_error **err);

/* UTF-8 -> Latin-1 for texts that must go out whatever they hold (error
 * descriptions, device status): a character above U+00FF becomes '?', and
 * so does each byte that is not UTF-8. malloc'd; NULL only when out of
 * memory. */
char *lrc_utf8_to_latin1_lossy(const char *s);

/* Checks that every string of v (s, sv[k]) can go to the wire; LRC_OK or
 * LRC_EINVAL as lrc_utf8_to_latin1 (string-array elements are named
 * "<what>[k]"). Sends nothing, changes nothing. */
int lrc_wire_check(const lrc_tg_value *v, const char *what, lrc_error **err);

/* *out (reset first) = a deep copy of in with every string converted to
 * Latin-1; on failure *out is empty. Errors as lrc_wire_check, or
 * LRC_ENOMEM. Release *out with lrc_tg_value_clear. */
int lrc_wire_value_to_latin1(const lrc_tg_value *in, lrc_tg_value *out, const char *what,
                             lrc_error **err);

/* Converts every string of a value received from the wire, in place, from
 * Latin-1 to UTF-8. LRC_OK, or LRC_ENOMEM (the value stays clearable). */
int lrc_wire_value_to_utf8(lrc_tg_value *v);

#ifdef __cplusplus
}
#endif

#endif /* LRC_WIRE_TEXT_H */
