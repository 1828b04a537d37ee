/*
 * lrc/client.h - invoke long running commands (LRCs) on Tango devices and
 * follow them to their end.
 *
 * The C counterpart of ska-tango-base's invoke_lrc, connect_lrc_interface and
 * disconnect_lrc_interface, wire-compatible with ska-tango-base devices
 * speaking LRC protocol v1 or v2:
 *
 *     lrc_proxy *dev;
 *     lrc_proxy_open("sys/dish/1", NULL, &dev, &err);
 *     lrc_invoke(dev, "Scan", &arg, on_update, my_data, NULL, &sub, &err);
 *     ...                                   on_update(u, my_data) runs on a
 *     ...                                   scheduler worker for each change
 *     lrc_subscription_free(sub);           at the latest after the final one
 *     lrc_proxy_close(dev);
 *
 * Threads: every function may be called from any thread, concurrently, also
 * from inside a callback unless stated. Callbacks never run on a Tango
 * thread and never inside the call that registered them: they run on the
 * worker threads of a callback scheduler (lrc/scheduler.h; by default the
 * process-wide one, a single worker), or, on a scheduler in loop mode
 * (thread_count 0), on the application's thread inside
 * lrc_scheduler_dispatch. All callbacks of one device on one
 * scheduler share one queue, so they run one at a time, in the order the
 * events arrived; callbacks of different devices may run concurrently on a
 * scheduler with several workers.
 *
 * Nothing is released on a Tango thread: when the last use of a proxy or
 * of a stream ends there (a fire-and-forget invocation whose scheduler was
 * freed, on a proxy already passed to lrc_proxy_close, ends when its next
 * event arrives), the unsubscriptions and the closing of the connection
 * are handed to one library thread, started on first need.
 *
 * Event streams: a proxy holds at most one Tango subscription per LRC
 * attribute (`_lrcEvent` for v2; longRunningCommandStatus, ...Progress,
 * ...Result for v1), shared by every invocation on it and demultiplexed by
 * command ID. Without lrc_connect_interface a stream lives while some
 * invocation needs it, and then lingers for lrc_proxy_options.linger_ms
 * (default 30 s): an invocation within that time reuses it without
 * subscribing, so sequential invocations cost about what they cost on a
 * connected interface. A lingering stream is unsubscribed when its time is
 * up (on the library's thread), by lrc_proxy_close, and as soon as it
 * reports an error (the device is down or restarting): the next invocation
 * then subscribes afresh, as without lingering. Use one lrc_proxy per
 * device to share streams.
 */
#ifndef LRC_CLIENT_H
#define LRC_CLIENT_H

#include "lrc/arg.h"
#include "lrc/error.h"
#include "lrc/log.h"
#include "lrc/scheduler.h"
#include "lrc/types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The range of LRC protocol versions this library speaks. */
#define LRC_PROTOCOL_MIN 1
#define LRC_PROTOCOL_MAX 2

/* ------------------------------------------------------------------------
 * Device proxies
 * ---------------------------------------------------------------------- */

typedef struct lrc_proxy lrc_proxy;

typedef struct lrc_proxy_options {
    size_t size;        /* sizeof(lrc_proxy_options), set by _init             */
    int64_t timeout_ms; /* Tango client timeout of every call (0: 3000 ms)     */
    int64_t linger_ms;  /* how long an event stream stays subscribed after
                           its last user (invocation, connection, watch or
                           event registration) is gone, so that the next one
                           needs no subscription (default
                           LRC_DEFAULT_LINGER_MS; 0: unsubscribe at once)     */
    int64_t lost_after_ms; /* how long an invocation's device may stay
                           unreachable (its event stream in error and
                           direct questions failing) before the invocation
                           ends as LRC_END_LOST; counted from the stream's
                           first error event (0: LRC_DEFAULT_LOST_AFTER_MS;
                           negative: never, wait for the device)          */
} lrc_proxy_options;

/* The default lrc_proxy_options.linger_ms. */
#define LRC_DEFAULT_LINGER_MS 30000

/* The default lrc_proxy_options.lost_after_ms: six Tango event heartbeats
 * (10 s each; cppTango reports a dead device 10-20 s after it died). */
#define LRC_DEFAULT_LOST_AFTER_MS 60000

/* Fills *o with the defaults. */
void lrc_proxy_options_init(lrc_proxy_options *o);

/* Opens a handle on the Tango device `device` ("domain/family/member" with
 * TANGO_HOST set, or a full "tango://host:port/..." name). opts may be NULL.
 * In database mode the device is not contacted yet; a name the database does
 * not know fails with LRC_ENOTFOUND, an unreachable database with
 * LRC_ETANGO. On success *out owns the proxy: close it with
 * lrc_proxy_close(). */
int lrc_proxy_open(const char *device, const lrc_proxy_options *opts, lrc_proxy **out,
                   lrc_error **err);

/* Releases the caller's handle: disconnects every interface connected with
 * lrc_connect_interface, unsubscribes the streams that linger (no
 * invocation uses them) and drops the handle. Invocations still running keep
 * the device connection alive until they end or their subscription is
 * freed; their callbacks keep coming. NULL is accepted. Must not be called
 * twice for one proxy. */
void lrc_proxy_close(lrc_proxy *p);

/* The device name given to lrc_proxy_open. Owned by the proxy. */
const char *lrc_proxy_name(const lrc_proxy *p);

/* The Tango client timeout of the proxy in milliseconds. */
int64_t lrc_proxy_timeout_ms(const lrc_proxy *p);

/* What a proxy has done so far: a window on the shared event streams. */
typedef struct lrc_proxy_stats {
    uint64_t subscribes;   /* Tango subscriptions made                          */
    uint64_t unsubscribes; /* Tango subscriptions ended                         */
    uint64_t events;       /* Tango events received (values and errors)         */
    uint64_t invocations;  /* lrc_invoke calls that succeeded                   */
    unsigned streams;      /* Tango subscriptions live now                      */
} lrc_proxy_stats;

/* Copies the counters of p into *out. */
void lrc_proxy_get_stats(const lrc_proxy *p, lrc_proxy_stats *out);

/* What a proxy (one device) has done so far, for monitoring: the events
 * of its streams, its invocations by outcome, the time its Tango
 * subscriptions took, and its callback queues (one per scheduler it was
 * used with; lrc_register_event_callback with a queue of its own is not
 * counted here). Nothing is ever reset: diff two snapshots for a period.
 * The outcomes count each invocation once, when its final update is
 * queued (so a final not yet delivered is counted): started ==
 * completed + failed + aborted + timed_out + lost + the REJECTED finals +
 * the invocations still running (or whose subscription was freed first,
 * which then count when their end arrives, or never if the streams went). */
typedef struct lrc_proxy_metrics {
    size_t size;             /* set by the caller: sizeof(lrc_proxy_metrics)   */
    uint64_t event_values;   /* Tango value events received (every stream)     */
    uint64_t event_errors;   /* Tango error events received                    */
    uint64_t started;        /* lrc_invoke calls that succeeded                */
    uint64_t not_started;    /* lrc_invoke calls that failed, whatever the
                                cause (bad argument, unknown command, Tango
                                failure, refused with ResultCode REJECTED)   */
    uint64_t completed;      /* final status COMPLETED                         */
    uint64_t failed;         /* FAILED                                         */
    uint64_t rejected;       /* REJECTED: as a final status, or as the reply
                                to lrc_invoke (LRC_EREJECTED, which is also
                                counted in not_started)                      */
    uint64_t aborted;        /* ABORTED                                        */
    uint64_t timed_out;      /* ended by the library: LRC_END_TIMED_OUT        */
    uint64_t lost;           /* ended by the library: LRC_END_LOST             */
    uint64_t subscribes;     /* as lrc_proxy_stats                             */
    uint64_t unsubscribes;
    uint64_t streams;        /* Tango subscriptions live now                   */
    lrc_latency subscribe_time; /* duration of each successful Tango subscribe
                                   call (count == subscribes)               */
    lrc_queue_stats queue;   /* the proxy's callback queues, summed: events
                                queued, run, dropped for overflow (progress
                                only), discarded, waiting now            */
    lrc_latency queue_time;  /* push -> callback start, over those queues       */
    lrc_latency callback_time; /* callback start -> return                     */
} lrc_proxy_metrics;

/* Fills *out with p's metrics (p NULL: zeros). The caller sets out->size =
 * sizeof *out first; the library fills what both it and the caller know
 * (see lrc_queue_get_metrics). LRC_OK, or LRC_EINVAL when out is NULL or
 * out->size is not set. Any thread, also from a callback; takes p's lock,
 * then the lock of each scheduler p has a queue on, briefly (a copy of a
 * few KiB each); the quantiles are computed after. */
int lrc_proxy_get_metrics(const lrc_proxy *p, lrc_proxy_metrics *out);

/* ------------------------------------------------------------------------
 * Updates: what a callback receives
 * ---------------------------------------------------------------------- */

/* Presence bits of lrc_update.has. A field is meaningful only when its bit
 * is set; several may be set in one update (v2 usually sends the final
 * result and status together). */
enum lrc_update_bits {
    LRC_HAS_STATUS = 1u << 0,         /* status                                 */
    LRC_HAS_PROGRESS = 1u << 1,       /* progress (an integer on the wire)      */
    LRC_HAS_RESULT = 1u << 2,         /* result_json                            */
    LRC_HAS_RESULT_CODE = 1u << 3,    /* result is [int, "text"]: result_code,
                                         result_message                         */
    LRC_HAS_ERROR = 1u << 4,          /* error                                  */
    LRC_HAS_EXTRA = 1u << 5,          /* extra_json                             */
    LRC_HAS_UNKNOWN_STATUS = 1u << 6, /* a status arrived that is no TaskStatus:
                                         status_raw (LRC_HAS_STATUS is clear)   */
    LRC_HAS_END = 1u << 7,            /* end: the library, not the device, ended
                                         the invocation (a final update;
                                         LRC_HAS_STATUS is clear)               */
    LRC_HAS_LAST_STATUS = 1u << 8     /* last_status: the last TaskStatus the
                                         invocation saw before such an end      */
};

/* Why the library ended an invocation the device did not end for it
 * (lrc_update.end with LRC_HAS_END). Never a TaskStatus: the command may go
 * on, or have ended, on the device. */
typedef enum lrc_end {
    LRC_END_NONE = 0,      /* not set (LRC_HAS_END is clear)                   */
    LRC_END_TIMED_OUT = 1, /* lrc_invoke_options.timeout_ms expired            */
    LRC_END_LOST = 2       /* the outcome cannot be known: the device does not
                              know the command any more (NOT_FOUND: it
                              restarted), or it stayed unreachable longer
                              than lrc_proxy_options.lost_after_ms            */
} lrc_end;

/* "TIMED_OUT", "LOST"; NULL for other values. Static strings. */
const char *lrc_end_name(int end);

/* A sentence for an end reason, like lrc_strerror ("timed out: ...").
 * Static strings, never NULL. */
const char *lrc_end_text(int end);

/* One change of an LRC, as the device reported it. Everything it points to
 * is owned by the library and valid only during the callback: copy what you
 * keep. */
typedef struct lrc_update {
    size_t size;              /* sizeof(lrc_update) of the library: fields
                                 beyond it do not exist                      */
    unsigned has;             /* LRC_HAS_* bits                               */
    const char *command_id;   /* the command this update is about            */
    int protocol_version;     /* 1 or 2                                      */
    lrc_status status;        /* LRC_HAS_STATUS                              */
    int64_t progress;         /* LRC_HAS_PROGRESS: percent                   */
    const char *result_json;  /* LRC_HAS_RESULT: the result as JSON text
                                 (any JSON value, written like Python's
                                 json.dumps: ASCII, \u escapes decode to
                                 UTF-8; like json.dumps it writes NaN,
                                 Infinity, -Infinity and numbers beyond a
                                 double or int64 as the device sent them,
                                 which strict JSON parsers refuse)          */
    int result_code;          /* LRC_HAS_RESULT_CODE: ResultCode (lrc_result_code) */
    const char *result_message; /* LRC_HAS_RESULT_CODE: the result's text,
                                   UTF-8 (the device's Latin-1 converted) */
    const lrc_error *error;   /* LRC_HAS_ERROR: what went wrong: a Tango
                                 error event (with its DevError stack, for
                                 example API_EventTimeout when the device
                                 is down), or a malformed event            */
    const char *extra_json;   /* LRC_HAS_EXTRA: a JSON object holding every
                                 key of the event this library does not know
                                 (devices may add keys), and a progress that
                                 was not an integer                          */
    const char *status_raw;   /* LRC_HAS_UNKNOWN_STATUS: the value received,
                                 as JSON text                                */
    bool final;               /* the last callback of this invocation: the
                                 status is terminal (ABORTED, COMPLETED,
                                 REJECTED or FAILED), or LRC_HAS_END is set */
    /* Appended fields: read them only when size reaches them. */
    lrc_end end;              /* LRC_HAS_END: why the library ended it; error
                                 (LRC_HAS_ERROR) tells the details           */
    lrc_status last_status;   /* LRC_HAS_LAST_STATUS: the last status seen
                                 (from an event or the device's answer)     */
} lrc_update;

/* An invocation's callback. Runs on a scheduler worker, never concurrently
 * with another callback of the same device on the same scheduler. It may
 * call any function of this library, including lrc_subscription_free on its
 * own subscription, but should not block for long: it holds up the other
 * callbacks of its queue. */
typedef void (*lrc_update_fn)(const lrc_update *u, void *user);

/* ------------------------------------------------------------------------
 * Invoking
 * ---------------------------------------------------------------------- */

typedef struct lrc_subscription lrc_subscription;

typedef struct lrc_invoke_options {
    size_t size;              /* sizeof(lrc_invoke_options), set by _init     */
    lrc_scheduler *scheduler; /* runs the callbacks (NULL: the default one)   */
    lrc_log_fn logger;        /* this invocation's log messages go here
                                 instead of the process-wide hook (NULL: the
                                 hook); called on the invoking thread and on
                                 scheduler workers, never after
                                 lrc_subscription_free has returned (later
                                 messages go to the hook)                    */
    void *logger_user;
    int64_t timeout_ms;       /* 0: none (the default). Otherwise, when no
                                 final arrives within this time of the
                                 lrc_invoke call, the invocation ends with a
                                 final update marked LRC_HAS_END,
                                 LRC_END_TIMED_OUT; nothing follows it. The
                                 command itself goes on on the device.       */
} lrc_invoke_options;

/* Fills *o with the defaults. */
void lrc_invoke_options_init(lrc_invoke_options *o);

/* Starts the long running command `command` on the device and follows it.
 *
 * arg: the command's argument; NULL or lrc_arg_none() for none (a falsy
 * argument such as 0, "" or false is an argument). Typed values are
 * converted to the command's declared input type when they fit (range
 * checked); lrc_arg_json() text is converted by that type (a DevString
 * command receives a JSON string's content, or the JSON text of any other
 * value). Text is UTF-8; Tango carries it as Latin-1, so a character above
 * U+00FF is LRC_EINVAL, naming it, before anything is subscribed or sent.
 *
 * The sequence, as ska-tango-base's invoke_lrc:
 *  1. checks the arguments (LRC_EINVAL; no Tango call is made);
 *  2. asks the command's signature (cached per proxy): a command whose
 *     output is not DevVarLongStringArray, or an argument that does not fit
 *     its input type, gives LRC_EINVAL;
 *  3. negotiates the protocol from the device's lrcProtocolVersions (absent:
 *     v1); no common version gives LRC_EPROTOCOL with both ranges, and so
 *     does a value that is no [min, max] pair of integers; the version is
 *     min(server max, 2) when server min <= 2 and 1 <= server max, as in
 *     ska's client (an inverted range such as [2, 1] gives v1);
 *  4. subscribes the event streams the protocol needs (unless already
 *     there); a failure gives LRC_ETANGO with reason SKA_InvokeLrcFailed
 *     "Subscribing to '<attr>' change event failed." on top of the stack;
 *  5. runs the command; a Tango failure gives LRC_ETANGO with reason
 *     SKA_InvokeLrcFailed "Invocation of command '<command>' failed with
 *     args: <args>" on top of the stack; ResultCode REJECTED gives
 *     LRC_EREJECTED "<command> command rejected: <reason>"; any code but
 *     QUEUED and STARTED, or a string that cannot be a command ID (empty,
 *     or with blanks or control characters, such as AbortCommands'
 *     "Aborting commands"), gives LRC_ERESULTCODE.
 * Events that arrive before the command returns its ID are kept (at most
 * the proxy timeout + 1 s) and delivered in order once it is known.
 * lrc_invoke returns as soon as the command has replied; it never waits
 * for an event. On a stream subscribed less than a second ago, whose first
 * events the device may have published before the subscription took
 * effect, a first event that is not STAGING, or no event within 1 s of the
 * reply, makes the library ask the device (CheckLongRunningCommandStatus,
 * from the callback queue, after lrc_invoke returned) and deliver the
 * status, or the final status and result, it reports; a connected or
 * lingering stream avoids this. The device is asked the same way after an
 * event of the command that cannot be read at all (not even its status),
 * which may have been the final one, and after an event stream came back
 * from an error (the device restarted: what it published meanwhile is
 * lost). While a
 * stream is in error the device is asked again every few seconds; a device
 * that no longer knows the command (NOT_FOUND), or that stays unreachable
 * for lrc_proxy_options.lost_after_ms, ends the invocation with a final
 * update marked LRC_HAS_END, LRC_END_LOST, with the last status seen;
 * opts->timeout_ms ends it the same way with LRC_END_TIMED_OUT. Every
 * invocation that lrc_invoke accepted thus ends in exactly one final
 * callback (unless its subscription is freed first). After
 * any failure nothing stays subscribed for this call and cb is never
 * called; *err (if err is not NULL) tells why, and the failure is logged
 * as the Python client logs it.
 *
 * On success cb(update, user) is called for every change of the command
 * (lrc_update above), the last time with update->final set; in v1, a
 * status that repeats unchanged is delivered once (ska's Python client
 * repeats it whenever another command changes). If `out` is not NULL,
 * *out receives the subscription, which the caller must free with
 * lrc_subscription_free() (at any time: before, in or after the final
 * callback); with out NULL the invocation frees itself after its final
 * callback. `opts` may be NULL. */
int lrc_invoke(lrc_proxy *p, const char *command, const lrc_arg *arg, lrc_update_fn cb,
               void *user, const lrc_invoke_options *opts, lrc_subscription **out,
               lrc_error **err);

/* The command ID the device gave. Owned by the subscription. */
const char *lrc_subscription_command_id(const lrc_subscription *s);

/* The protocol version negotiated for this invocation: 1 or 2. */
int lrc_subscription_protocol_version(const lrc_subscription *s);

/* Stops following the command and frees the handle. After it returns the
 * callback and the invocation's logger are not running and are never
 * called again, except that when it is called from inside one of them, the
 * current call finishes normally.
 * Safe after the final callback, from any thread and from inside the
 * callback. The command itself goes on on the device. NULL is accepted;
 * each handle must be freed exactly once. */
void lrc_subscription_free(lrc_subscription *s);

/* ------------------------------------------------------------------------
 * Blocking waits
 * ---------------------------------------------------------------------- */

/* An invocation's outcome: an owned copy of its final update, plus the
 * latest result it delivered (protocol v1 sends the result as its own
 * update just before the final status). Fields as in lrc_update; a field is
 * meaningful only when its LRC_HAS_* bit is set in `has`, which holds only
 * LRC_HAS_STATUS, LRC_HAS_RESULT, LRC_HAS_RESULT_CODE, LRC_HAS_ERROR,
 * LRC_HAS_END and LRC_HAS_LAST_STATUS. Everything it points to belongs to
 * it: free it with lrc_final_free; it does not depend on the subscription,
 * the proxy or the scheduler. Read-only. */
typedef struct lrc_final {
    size_t size;                /* sizeof(lrc_final) of the library          */
    unsigned has;               /* LRC_HAS_* bits, as above                  */
    const char *command_id;
    int protocol_version;
    lrc_status status;          /* LRC_HAS_STATUS: the terminal status       */
    const char *result_json;    /* LRC_HAS_RESULT                            */
    int result_code;            /* LRC_HAS_RESULT_CODE                       */
    const char *result_message; /* LRC_HAS_RESULT_CODE                       */
    const lrc_error *error;     /* LRC_HAS_ERROR (of the final update)       */
    lrc_end end;                /* LRC_HAS_END: the library ended it         */
    lrc_status last_status;     /* LRC_HAS_LAST_STATUS                       */
} lrc_final;

/* Frees a final from lrc_subscription_wait or lrc_invoke_wait. NULL is
 * accepted. */
void lrc_final_free(lrc_final *f);

/* Waits, at most timeout_ms (< 0: for ever; 0: just looks), until the
 * invocation's final update has been delivered: after its final callback
 * has returned, so a callback and waits can be combined (the callback sees
 * the final exactly once, before any wait returns it). On LRC_OK, if out is
 * not NULL, *out receives an owned copy of the final (lrc_final_free);
 * each wait gets its own, so any number of threads may wait on one
 * invocation, and wait again after it ended.
 *
 * The wait's timeout is not the invocation's: LRC_ETIMEDOUT only means no
 * final came within timeout_ms; the invocation goes on (waiting again is
 * fine) and so does the command on the device. lrc_invoke_options.timeout_ms
 * is what ends an invocation (with a final marked LRC_END_TIMED_OUT, which a
 * wait returns as LRC_OK).
 *
 * Errors (*err tells which, when err is not NULL): LRC_EINVAL (s NULL),
 * LRC_ECLOSED when no final will come (the invocation's
 * scheduler was freed before it ran the final callback, or the handle was
 * freed by lrc_subscription_free), LRC_EDEADLK when the final has not been
 * delivered and the wait would block the thread that must deliver it: a
 * worker of the invocation's scheduler (from inside any callback on it,
 * whatever its thread_count: every worker could be waiting), or a loop
 * scheduler's dispatching thread (lrc/scheduler.h). A wait that cannot
 * block (timeout_ms 0, or the final already there) is never refused.
 *
 * Threads and freeing: any thread. lrc_subscription_free may run while
 * other threads wait on the handle (from a callback too): their waits then
 * return at once, LRC_OK with the final if it was delivered before,
 * otherwise LRC_ECLOSED, and the handle's memory lasts until the last
 * wait returned. A wait must START before lrc_subscription_free is called:
 * after that the handle is gone, as for every other function. */
int lrc_subscription_wait(lrc_subscription *s, int64_t timeout_ms, lrc_final **out,
                          lrc_error **err);

/* lrc_invoke, then lrc_subscription_wait, then lrc_subscription_free: runs
 * the command, waits at most timeout_ms (< 0: for ever) for its final
 * update, and gives an owned copy in *out (may be NULL). Needs no callback.
 * Returns LRC_OK whatever the command's outcome (look at (*out)->status, or
 * ->end for an end by the library), an lrc_invoke error (nothing ran, or
 * the device refused: LRC_EREJECTED...), or LRC_ETIMEDOUT when no final
 * came within timeout_ms: the library then stops following the command,
 * which goes on on the device. opts as for lrc_invoke (its timeout_ms ends
 * the invocation itself). Refused with LRC_EDEADLK before anything is sent
 * when the calling thread is one the wait could block (see
 * lrc_subscription_wait) and timeout_ms is not 0. */
int lrc_invoke_wait(lrc_proxy *p, const char *command, const lrc_arg *arg,
                    const lrc_invoke_options *opts, int64_t timeout_ms, lrc_final **out,
                    lrc_error **err);

/* ------------------------------------------------------------------------
 * Pre-connected event streams
 * ---------------------------------------------------------------------- */

/* Keeps the device's LRC event streams connected, and its callback queue on
 * scheduler s (NULL: the default one) allocated, so later invocations
 * subscribe nothing: a pure speed-up, results are the same. Negotiates the
 * protocol now (errors as for lrc_invoke steps 3 and 4). Connecting again
 * with the same scheduler changes nothing and returns LRC_OK. */
int lrc_connect_interface(lrc_proxy *p, lrc_scheduler *s, lrc_error **err);

/* Undoes lrc_connect_interface(p, s): streams no invocation needs any more
 * linger (lrc_proxy_options.linger_ms) and are then unsubscribed;
 * invocations still running keep theirs and go on.
 * LRC_ENOTFOUND if p was not connected with s. */
int lrc_disconnect_interface(lrc_proxy *p, lrc_scheduler *s);

/* ------------------------------------------------------------------------
 * Plain event callbacks on a scheduler (CallbackScheduler.register_event_callback)
 * ---------------------------------------------------------------------- */

/* One change event of an attribute. Valid only during the callback. */
typedef struct lrc_event {
    size_t size;             /* sizeof(lrc_event) of the library            */
    const char *device;      /* the proxy's device name                     */
    const char *attribute;   /* the attribute name as registered            */
    const char *value_json;  /* the value as JSON (a spectrum is an array,
                                an empty spectrum []), or NULL on error     */
    const lrc_error *error;  /* the Tango error event, or NULL               */
} lrc_event;

typedef void (*lrc_event_fn)(const lrc_event *ev, void *user);

/* Registers fn(ev, user) for the CHANGE events of one attribute of p, run
 * on scheduler s (NULL: the default one). The events go through queue q, or
 * when q is NULL through p's queue on s (which its LRC callbacks use too, so
 * all keep their relative order). The attribute's stream is shared with
 * every other user of p; a registration that creates it receives the
 * attribute's current value first. On success *id identifies the
 * registration on s. Subscription failures give LRC_ETANGO. */
int lrc_register_event_callback(lrc_scheduler *s, lrc_proxy *p, const char *attribute,
                                lrc_queue *q, lrc_event_fn fn, void *user, uint64_t *id,
                                lrc_error **err);

/* Ends a registration. After it returns fn is not running (unless called
 * from fn itself) and is never called again for it. An unknown or already
 * ended id is harmless: LRC_ENOTFOUND. */
int lrc_unregister_callback(lrc_scheduler *s, uint64_t id);

#ifdef __cplusplus
}
#endif

#endif /* LRC_CLIENT_H */
