/*
 * lrc/types.h - the enumerations of the LRC protocol (ska_control_model).
 *
 * The integer values are those on the wire and must never change.
 */
#ifndef LRC_TYPES_H
#define LRC_TYPES_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TaskStatus: where a long running command is in its life. */
typedef enum lrc_status {
    LRC_STATUS_STAGING = 0,     /* ID allocated, not yet acted on            */
    LRC_STATUS_QUEUED = 1,      /* waiting for a worker                      */
    LRC_STATUS_IN_PROGRESS = 2, /* running                                   */
    LRC_STATUS_ABORTED = 3,     /* terminal: aborted                         */
    LRC_STATUS_NOT_FOUND = 4,   /* only a query answer, never pushed         */
    LRC_STATUS_COMPLETED = 5,   /* terminal: ran to its end (see ResultCode) */
    LRC_STATUS_REJECTED = 6,    /* terminal: not accepted                    */
    LRC_STATUS_FAILED = 7       /* terminal: the executor saw it fail        */
} lrc_status;

/* ResultCode: the first element of a typical result [code, "message"]. */
typedef enum lrc_result_code {
    LRC_RESULT_OK = 0,
    LRC_RESULT_STARTED = 1,
    LRC_RESULT_QUEUED = 2,
    LRC_RESULT_FAILED = 3,
    LRC_RESULT_UNKNOWN = 4,
    LRC_RESULT_REJECTED = 5,
    LRC_RESULT_NOT_ALLOWED = 6,
    LRC_RESULT_ABORTED = 7
} lrc_result_code;

/* "COMPLETED", "IN_PROGRESS", ...; NULL for values outside the enum.
 * Static strings; thread-safe. */
const char *lrc_status_name(int status);

/* Parses a TaskStatus name (exact, upper case). Returns true and stores the
 * value on success; false for any other text or NULL. */
bool lrc_status_from_name(const char *name, lrc_status *out);

/* True for ABORTED, COMPLETED, REJECTED and FAILED. */
bool lrc_status_is_terminal(int status);

/* "OK", "STARTED", ...; NULL for values outside the enum. */
const char *lrc_result_code_name(int code);

#ifdef __cplusplus
}
#endif

#endif /* LRC_TYPES_H */
