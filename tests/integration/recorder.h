/*
 * recorder.h - wire-level event recorder and helpers for the integration
 * tests of the tango-lrc server kit / demo device.
 *
 * A recorder subscribes (through the Tango shim) to CHANGE events of a list
 * of attributes of one device and keeps a copy of every event in arrival
 * order, with a CLOCK_MONOTONIC timestamp. Events arrive on Tango threads
 * (the subscribing thread for the initial value, the ZMQ consumer thread,
 * the keep-alive thread; tango-notes.md section 5), so everything is guarded
 * by one mutex; waiters block on a condition variable (no fixed sleeps).
 *
 * The initial value that Tango delivers synchronously inside
 * lrc_tg_subscribe_change (on the subscribing thread) is recorded with
 * `initial = true`; sequence checks exclude it.
 *
 * Recorded events are immutable once appended and live until the recorder
 * is freed, so pointers obtained from a snapshot stay valid.
 */
#ifndef LRCT_RECORDER_H
#define LRCT_RECORDER_H

#include "lrc/error.h"
#include "tango/tango_shim.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TaskStatus / ResultCode (spec section 1.1). */
enum {
    TS_STAGING = 0,
    TS_QUEUED = 1,
    TS_IN_PROGRESS = 2,
    TS_ABORTED = 3,
    TS_NOT_FOUND = 4,
    TS_COMPLETED = 5,
    TS_REJECTED = 6,
    TS_FAILED = 7
};
enum {
    RC_OK = 0,
    RC_STARTED = 1,
    RC_QUEUED = 2,
    RC_FAILED = 3,
    RC_UNKNOWN = 4,
    RC_REJECTED = 5,
    RC_NOT_ALLOWED = 6,
    RC_ABORTED = 7
};
/* TaskStatus name ("STAGING", ...) or NULL for an out-of-range value. */
const char *lrct_status_name(int status);

typedef struct lrct_event {
    size_t seq;        /* arrival index in the recorder (0-based)            */
    double t;          /* CLOCK_MONOTONIC seconds at arrival                  */
    char *attr;        /* attribute name as given to the recorder            */
    bool initial;      /* the synchronous initial value of the subscription  */
    bool is_error;     /* an error event (value unused)                      */
    lrc_error *error;  /* the error stack of an error event                  */
    lrc_tg_value value; /* deep copy of the value                            */
} lrct_event;

typedef struct lrct_recorder lrct_recorder;

/* Subscribes to CHANGE events of every attribute of `attrs` (NULL
 * terminated) on proxy `p`, in that order, then waits out the kit's
 * fresh-subscriber hold (0.15 s), so that later pushes arrive at once and
 * in the steady-state order. On failure everything already subscribed is
 * unsubscribed and the error names the attribute. */
int lrct_recorder_start(lrc_tg_proxy *p, const char *const *attrs, lrct_recorder **out,
                        lrc_error **err);
/* Unsubscribes everything (idempotent). Events stay readable. */
void lrct_recorder_stop(lrct_recorder *r);
/* Stops and frees. NULL accepted. */
void lrct_recorder_free(lrct_recorder *r);

/* Number of events recorded so far (use as a "mark"). */
size_t lrct_recorder_count(lrct_recorder *r);
/* Pointers to events [from, count) at the time of the call (malloc'd array
 * the caller frees; the events themselves belong to the recorder). */
const lrct_event **lrct_recorder_snapshot(lrct_recorder *r, size_t from, size_t *n);
/* The last event (initial included) of `attr`, or NULL. */
const lrct_event *lrct_recorder_last(lrct_recorder *r, const char *attr);
/* Number of subscriptions whose initial event was recorded. */
size_t lrct_recorder_initial_count(lrct_recorder *r);

/* Predicate evaluated under the recorder lock over ALL events so far. */
typedef bool (*lrct_pred_fn)(const lrct_event *const *ev, size_t n, void *arg);
/* Waits until pred is true or timeout_s elapses; returns pred's last value. */
bool lrct_wait(lrct_recorder *r, lrct_pred_fn pred, void *arg, double timeout_s);
/* Waits until at least `count` non-initial events of `attr` have arrived
 * at index >= from. attr NULL = any attribute. */
bool lrct_wait_events(lrct_recorder *r, size_t from, const char *attr, size_t count,
                      double timeout_s);
/* Waits until an `_lrcEvent` event for `id` whose JSON has "status" ==
 * status has arrived (any index). */
bool lrct_wait_lrc_status(lrct_recorder *r, const char *id, int status, double timeout_s);
/* Index (seq) of the first `_lrcEvent` for id with the given status at or
 * after `from`, or -1. */
long lrct_find_lrc_status(lrct_recorder *r, size_t from, const char *id, int status);

/* Prints events [from, end) to stderr (diagnostics for failed checks). */
void lrct_recorder_dump(lrct_recorder *r, size_t from);

/* ---------------------------------------------------------------------
 * JSON view of events
 * ------------------------------------------------------------------- */

/* Parses JSON text (any value, duplicate keys rejected). NULL on error. */
json_t *lrct_json_parse(const char *text);
/* Compact one-line rendering (malloc'd). */
char *lrct_json_str(const json_t *j);

/* The event value as JSON, normalised for comparison:
 *   _lrcEvent                      -> [id, <parsed json object>]
 *   lrcQueue/lrcExecuting/lrcFinished -> [<parsed item>, ...]
 *   longRunningCommandResult       -> [id, <parsed result>] (when the
 *                                     second string is non-empty)
 *   other string spectra           -> ["...", ...]
 *   integer spectra                -> [n, ...]
 *   scalar string                  -> "..."
 *   error event                    -> {"error": "<reason of outermost>"}
 * A string that should hold JSON but does not parse is kept as
 * {"unparsable": "<text>"} so that any comparison fails visibly. */
json_t *lrct_event_json(const lrct_event *e);

/* True if the event is an `_lrcEvent` for `id` (id NULL = any). On success
 * *obj (if not NULL) gets a NEW reference to the parsed JSON object. */
bool lrct_lrc_event(const lrct_event *e, const char *id, json_t **obj);

/* ---------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------- */

/* Calls an LRC command (output DevVarLongStringArray [[code],[text]]).
 * in may be NULL (DevVoid). Checks the output shape (1 long, 1 string);
 * a wrong shape gives LRC_EJSON. *text malloc'd. */
int lrct_lrc_call(lrc_tg_proxy *p, const char *cmd, const lrc_tg_value *in, int64_t *code,
                  char **text, lrc_error **err);
int lrct_lrc_call_void(lrc_tg_proxy *p, const char *cmd, int64_t *code, char **text,
                       lrc_error **err);
int lrct_lrc_call_str(lrc_tg_proxy *p, const char *cmd, const char *arg, int64_t *code,
                      char **text, lrc_error **err);
int lrct_lrc_call_double(lrc_tg_proxy *p, const char *cmd, double arg, int64_t *code,
                         char **text, lrc_error **err);
/* CheckLongRunningCommandStatus(id); returns malloc'd answer or NULL on
 * error (*err set). */
char *lrct_check_status(lrc_tg_proxy *p, const char *id, lrc_error **err);
/* Tango state via the State command; -1 on error. */
int lrct_state(lrc_tg_proxy *p, lrc_error **err);
/* Reads a string spectrum attribute as JSON array of strings (NULL on
 * error). */
json_t *lrct_read_strings(lrc_tg_proxy *p, const char *attr, lrc_error **err);

/* ---------------------------------------------------------------------
 * Formats
 * ------------------------------------------------------------------- */

/* ISO-8601 UTC time with explicit +00:00 offset, as Python's isoformat():
 * YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00. */
bool lrct_is_iso_time(const char *s);
/* Seconds since the epoch of such a time, or -1. */
double lrct_iso_time_seconds(const char *s);
/* Command ID shape <float secs, 1..7 decimals>_<decimal < 2^48>_<name>,
 * with name == `name` (NULL: any non-empty name). */
bool lrct_is_command_id(const char *id, const char *name);
/* The command name part (after the last '_') of an id (pointer into id). */
const char *lrct_id_name(const char *id);

/* Wall clock (CLOCK_REALTIME) and monotonic seconds. */
double lrct_now_real(void);
double lrct_now_mono(void);

/* Renders an lrc_error with its DevError stack (malloc'd). */
char *lrct_error_text(const lrc_error *e);
/* True if any DevError of e has `needle` (case-insensitive) in its reason
 * or description, or in the message. */
bool lrct_error_mentions(const lrc_error *e, const char *needle);
/* True if any DevError reason equals `reason`. */
bool lrct_error_has_reason(const lrc_error *e, const char *reason);

#ifdef __cplusplus
}
#endif

/* strdup that aborts the test on out of memory; NULL gives NULL. Shared by
 * the integration test helpers. */
char *lrct_xstrdup(const char *s);

#endif
