/*
 * error_build.h - constructing lrc_error objects (internal to tango-lrc).
 *
 * Used by the core, the server kit and the Tango shim. All functions are
 * thread-safe (they touch only the object passed in) and tolerate running out
 * of memory: a failed allocation degrades to a static "out of memory" error
 * object that lrc_error_free() recognises, so callers never need to check.
 */
#ifndef LRC_ERROR_BUILD_H
#define LRC_ERROR_BUILD_H

#include "lrc/error.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LRC_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define LRC_PRINTF(fmt_index, first_arg)
#endif

/* printf into a malloc'd string (NULL if out of memory or fmt is NULL).
 * The library's one place for this dance. */
char *lrc_vasprintf(const char *fmt, va_list ap);
char *lrc_asprintf(const char *fmt, ...) LRC_PRINTF(1, 2);

/* New error with a printf-style message and an empty DevError stack. */
lrc_error *lrc_error_new(int code, const char *fmt, ...) LRC_PRINTF(2, 3);
lrc_error *lrc_error_newv(int code, const char *fmt, va_list ap);

/* Appends one DevError entry on top (at the end) of the stack. NULL strings
 * are stored as "". Returns 0 or LRC_ENOMEM (the error is left unchanged). */
int lrc_error_push(lrc_error *e, const char *reason, const char *desc, const char *origin,
                   int severity);

/* Replaces the one-line message and the code. */
void lrc_error_set(lrc_error *e, int code, const char *fmt, ...) LRC_PRINTF(3, 4);

/* Stores err into *out if out is not NULL, else frees it; returns code.
 * The usual tail of a failing public function: `return lrc_fail(err_out, e)`. */
int lrc_error_give(lrc_error **out, lrc_error *e);

/* Shorthand: lrc_error_give(out, lrc_error_new(code, fmt, ...)). */
int lrc_fail(lrc_error **out, int code, const char *fmt, ...) LRC_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif

#endif /* LRC_ERROR_BUILD_H */
