/*
 * lrc/error.h - return codes and rich error objects of tango-lrc.
 *
 * Every function of tango-lrc that can fail returns an int: 0 (LRC_OK) on
 * success or one of the negative LRC_E* codes below. Functions that can say
 * more take an optional `lrc_error **` out-parameter: on failure, and only if
 * the pointer is not NULL, they store a newly allocated error object there
 * that carries the code, a one-line message and, for Tango failures, the
 * whole Tango DevError stack. The caller owns it and frees it with
 * lrc_error_free().
 */
#ifndef LRC_ERROR_H
#define LRC_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. The numeric values are part of the ABI. */
enum lrc_code {
    LRC_OK = 0,
    LRC_EINVAL = -1,      /* invalid argument (Python: ValueError)              */
    LRC_ENOMEM = -2,      /* out of memory                                      */
    LRC_ETANGO = -3,      /* a Tango call failed; see the DevError stack        */
    LRC_EREJECTED = -4,   /* the device rejected the command (CommandError)     */
    LRC_ERESULTCODE = -5, /* unexpected ResultCode (ResultCodeError)            */
    LRC_EPROTOCOL = -6,   /* no common LRC protocol version (RuntimeError)      */
    LRC_ETIMEDOUT = -7,   /* a time limit expired                               */
    LRC_ECLOSED = -8,     /* the object was closed or shut down                 */
    LRC_ENOTFOUND = -9,   /* no such device, command, attribute or entry        */
    LRC_EJSON = -10,      /* malformed JSON, or JSON of the wrong shape          */
    LRC_ESTATE = -11,     /* the call is not valid in the current state         */
    LRC_EFULL = -12,      /* a bounded queue or table is full                   */
    LRC_EINTERNAL = -13,  /* a bug in tango-lrc; please report it               */
    LRC_EDEADLK = -14     /* the call would wait for its own thread (a blocking
                             wait on a scheduler worker or loop thread)        */
};

/* Returns a static, human-readable description of an LRC_E* code ("unknown
 * error code" for values outside the enum). Thread-safe; never NULL. */
const char *lrc_strerror(int code);

/* Severity of one Tango DevError (numeric values of Tango::ErrSeverity). */
enum lrc_severity { LRC_SEVERITY_WARN = 0, LRC_SEVERITY_ERR = 1, LRC_SEVERITY_PANIC = 2 };

/* One entry of a Tango DevError stack. Strings are never NULL (maybe ""). */
typedef struct lrc_dev_error {
    const char *reason;
    const char *desc;
    const char *origin;
    int severity; /* enum lrc_severity */
} lrc_dev_error;

/* Opaque error object. Immutable once returned to the caller, so it may be
 * read from any thread. */
typedef struct lrc_error lrc_error;

/* The LRC_E* code of the error. */
int lrc_error_code(const lrc_error *e);

/* One-line message, e.g. "Sleep command rejected: Device is busy". Owned by
 * the error object; valid until lrc_error_free(). Never NULL. */
const char *lrc_error_message(const lrc_error *e);

/* Number of DevError entries (0 when the failure did not come from Tango). */
size_t lrc_error_count(const lrc_error *e);

/* DevError entry i, in Tango's order: entry 0 is the original (innermost)
 * error, the last entry the outermost one added by re-throwing (for example
 * SKA_InvokeLrcFailed). NULL if i is out of range. Owned by the error. */
const lrc_dev_error *lrc_error_at(const lrc_error *e, size_t i);

/* Deep copy, or NULL if out of memory or e is NULL. */
lrc_error *lrc_error_dup(const lrc_error *e);

/* Frees the error. NULL is accepted. */
void lrc_error_free(lrc_error *e);

#ifdef __cplusplus
}
#endif

#endif /* LRC_ERROR_H */
