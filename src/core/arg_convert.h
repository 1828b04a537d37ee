/*
 * arg_convert.h - a client's lrc_arg as the Tango value of a command's
 * declared input type; pure (no Tango call), unit-tested.
 */
#ifndef LRC_ARG_CONVERT_H
#define LRC_ARG_CONVERT_H

#include "lrc/arg.h"
#include "lrc/error.h"
#include "tango/tango_shim.h"

/* Checks an argument on its own, before any Tango call: a known kind, no
 * NULL pointer where data is needed (a NULL array with n == 0 is fine),
 * valid JSON text for LRC_ARG_JSON, finite doubles are NOT required here.
 * NULL `a` means no argument and is valid. LRC_OK or LRC_EINVAL with a
 * message naming the problem. */
int lrc_arg_check(const lrc_arg *a, lrc_error **err);

/* Converts `a` (NULL = none) to a value of type in_type for `command` (the
 * name is only used in messages). On success *out (reset first) owns its
 * memory (release with lrc_tg_value_clear). Failures: LRC_EINVAL with a
 * message such as "command 'Sleep' takes a DevDouble, not a string",
 * "argument 70000 is out of range for DevShort (-32768..32767) of
 * command 'X'", "command 'X' takes no argument", "command 'X' needs an
 * argument (DevLong)"; LRC_ENOMEM. Every message names the command.
 * Array elements are named argument[k] (argument[i][k] in the two lists
 * of a DevVarLongStringArray / DevVarDoubleStringArray, which only JSON
 * [[numbers...], [strings...]] can give). Integers are range-checked for
 * the target type (DevULong64 up to INT64_MAX: neither lrc_arg nor JSON
 * carries more); a DevFloat takes any double that rounds to a float (an
 * infinity or NaN included), not one beyond. */
int lrc_arg_to_tango(const lrc_arg *a, lrc_tg_type in_type, const char *command,
                     lrc_tg_value *out, lrc_error **err);

/* The argument as Python prints the args tuple of invoke_lrc, for the
 * message "Invocation of command '<c>' failed with args: <repr>": "None"
 * for no argument, else "(<repr>,)" with Python's repr of the value:
 * 5, 2.5 (Python float repr), True/False, 'text' (Python string quoting),
 * [1, 2], ['a', 'b'], and a JSON argument as its JSON text (rewritten by
 * lrc_json_normalize on one line; text that does not parse as given).
 * malloc'd, or NULL when out of memory. */
char *lrc_arg_repr(const lrc_arg *a);

#endif /* LRC_ARG_CONVERT_H */
