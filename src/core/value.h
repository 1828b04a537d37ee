/* value.h - helpers for lrc_tg_value, the C form of a Tango value. */
#ifndef LRC_VALUE_H
#define LRC_VALUE_H

#include "tango/tango_shim.h"

/* Deep copy of src (NULL gives a zeroed VOID value) into *dst, which then
 * owns its memory (lrc_tg_value_clear). LRC_OK or LRC_ENOMEM (dst cleared). */
int lrc_value_copy(lrc_tg_value *dst, const lrc_tg_value *src);

/* The value as JSON text written like Python's json.dumps: a number,
 * true/false, a string, or an array for a spectrum ([] when empty);
 * DevVarLongStringArray and DevVarDoubleStringArray as [[numbers],
 * [strings]]; a DevState as its number. malloc'd; NULL if out of memory. */
char *lrc_value_to_json(const lrc_tg_value *v);

#endif
