/*
 * lrc/device.h - device-level LRC functions: what protocol a device speaks,
 * what its commands are doing, and every LRC event it emits.
 *
 * lrc/client.h follows one command that the caller started; the functions
 * here look at the device as a whole, as an operator's tool or a monitoring
 * service does:
 *
 *     lrc_protocol_info pi;
 *     lrc_protocol_info_init(&pi);
 *     lrc_proxy_protocol(dev, &pi, &err);         which version, which range
 *     lrc_proxy_list_commands(dev, &list, &err);  queued, executing, finished
 *     lrc_proxy_command_status(dev, id, &st, &err);
 *     lrc_watch_start(dev, on_update, me, NULL, &w, &err);   every command
 *
 * They work with devices of the server kit and with real ska-tango-base
 * devices, including pre-1.2 devices that only have the v1 attributes.
 *
 * Threads: every function may be called from any thread, concurrently, also
 * from inside a callback of this library. The query functions make their
 * Tango calls on the calling thread and block for at most the proxy's
 * timeout per call.
 */
#ifndef LRC_DEVICE_H
#define LRC_DEVICE_H

#include "lrc/arg.h"
#include "lrc/client.h"
#include "lrc/error.h"
#include "lrc/types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Protocol
 * ---------------------------------------------------------------------- */

typedef struct lrc_protocol_info {
    size_t size;         /* sizeof(lrc_protocol_info), set by _init           */
    bool lrc_capable;    /* the device has lrcProtocolVersions or the v1
                            attribute longRunningCommandStatus               */
    bool advertised;     /* it has lrcProtocolVersions (a pre-1.2 device has
                            not: [1, 1] is assumed, as ska's client does)    */
    int64_t server_min;  /* the device's range (1, 1 when not advertised)     */
    int64_t server_max;
    int version;         /* negotiated: 1 or 2; 0 if there is no common one
                            or the device is not LRC-capable                 */
} lrc_protocol_info;

/* Fills *o with zeros and sets its size. */
void lrc_protocol_info_init(lrc_protocol_info *o);

/* Asks the device which LRC protocol versions it speaks and negotiates as
 * lrc_invoke does (lrc_invoke step 3; the same code). *out must have been
 * initialised with lrc_protocol_info_init: its size tells how much of it
 * the caller has (a size of 0 gives LRC_EINVAL); it is kept. On LRC_OK
 * *out is filled and out->version is 1 or 2. A device that is not
 * LRC-capable gives LRC_ENOTFOUND, a range without a common version
 * LRC_EPROTOCOL with the message of lrc_invoke (not logged here); in both
 * cases *out is still filled. Tango failures (device down, unknown device)
 * give LRC_ETANGO / LRC_ENOTFOUND with the DevError stack, as does a
 * malformed lrcProtocolVersions (LRC_EPROTOCOL); *out then holds zeros
 * (but its size). Two Tango calls at most (the attribute list,
 * lrcProtocolVersions); takes no lock across them. */
int lrc_proxy_protocol(lrc_proxy *p, lrc_protocol_info *out, lrc_error **err);

/* ------------------------------------------------------------------------
 * What the device's commands are doing
 * ---------------------------------------------------------------------- */

/* Where an entry of a command list came from. */
typedef enum lrc_command_source {
    LRC_SOURCE_QUEUE = 0,  /* lrcQueue (status QUEUED)                       */
    LRC_SOURCE_EXECUTING,  /* lrcExecuting (status IN_PROGRESS)              */
    LRC_SOURCE_FINISHED,   /* lrcFinished (a terminal status)                */
    LRC_SOURCE_V1_STATUS   /* a pre-1.2 device: longRunningCommandStatus,
                              with progress and result from the other v1
                              attributes where they name the command         */
} lrc_command_source;

/* One command as the device lists it. Strings are owned by the list and are
 * NULL when the device did not give the key: ska-tango-base 1.3.2 never
 * sends submitted_time (a key typo of the server), queued items have no
 * started_time, a queued command that was aborted has none either; the
 * v1 attributes give neither times nor extra keys. A known key whose value
 * has the wrong type (a progress "50%", a name 7) is not read into its
 * field but kept in extra_json. */
typedef struct lrc_command_info {
    size_t size;                /* sizeof(lrc_command_info) of the library  */
    lrc_command_source source;
    const char *command_id;     /* "uid": never NULL                         */
    const char *name;           /* "name"; else the ID's last "_" field (never
                                   NULL)                                     */
    lrc_status status;          /* from "status" (a name) in lrcFinished and
                                   v1; QUEUED / IN_PROGRESS for the others
                                   (a "status" key there goes to extra_json) */
    bool has_progress;
    int64_t progress;           /* percent, when has_progress                */
    const char *submitted_time; /* ISO-8601 text as the device wrote it      */
    const char *started_time;
    const char *finished_time;
    const char *result_json;    /* the result as JSON text (json.dumps style);
                                   v1: from longRunningCommandResult, which
                                   holds only the latest result             */
    bool has_result_code;       /* result is [int, "text"]                   */
    int result_code;            /* lrc_result_code, when has_result_code     */
    const char *result_message; /* the text, when has_result_code            */
    const char *extra_json;     /* a JSON object of the keys not known here
                                   (json.dumps style, in the item's order)   */
} lrc_command_info;

typedef struct lrc_command_list lrc_command_list;

/* Reads what the device's commands are doing and lists them in this
 * order: lrcFinished (oldest first), then lrcExecuting, then lrcQueue
 * (submission order). The three are read one after the other, lrcQueue
 * first, in the order a command moves through them: a command that moves
 * on between two reads is listed once, in its later state, and never
 * missed. On a device without them (pre-1.2) the v1 attributes instead
 * (longRunningCommandResult, ...Progress, then ...Status, whose order the
 * list keeps: finished, executing, queued); progress and a result of an ID
 * that is not in the status list are ignored. Items that are not a JSON
 * object with a non-empty string "uid", lrcFinished items without a
 * TaskStatus name as "status", an item repeated in one attribute, an
 * attribute that is no string spectrum, and in v1 an odd-length list, an
 * empty ID, an unknown status name, a non-integer progress or a result
 * that is no JSON are not listed but counted (lrc_command_list_malformed)
 * so that nothing is dropped silently. On success *out owns the list
 * (immutable: any thread may read it): free it with
 * lrc_command_list_free(). Tango failures give LRC_ETANGO / LRC_ENOTFOUND;
 * a device with neither lrcFinished nor longRunningCommandStatus
 * LRC_ENOTFOUND. Four Tango calls (the attribute list and three reads);
 * no lock is held across them. */
int lrc_proxy_list_commands(lrc_proxy *p, lrc_command_list **out, lrc_error **err);

/* The number of entries, and entry i (NULL when out of range). */
size_t lrc_command_list_count(const lrc_command_list *l);
const lrc_command_info *lrc_command_list_at(const lrc_command_list *l, size_t i);

/* The first entry whose command ID is `command_id`, or NULL. */
const lrc_command_info *lrc_command_list_find(const lrc_command_list *l, const char *command_id);

/* How many items could not be read, and why the first one could not
 * (owned by the list; NULL when all were read). */
size_t lrc_command_list_malformed(const lrc_command_list *l);
const char *lrc_command_list_malformed_reason(const lrc_command_list *l);

/* NULL is accepted. */
void lrc_command_list_free(lrc_command_list *l);

/* The device's TaskStatus of one command (CheckLongRunningCommandStatus,
 * one Tango call): LRC_STATUS_NOT_FOUND for IDs it does not know (any
 * more; "" is such an ID). An answer that is no TaskStatus name gives
 * LRC_EJSON; Tango failures LRC_ETANGO with the stack; a NULL argument
 * LRC_EINVAL. */
int lrc_proxy_command_status(lrc_proxy *p, const char *command_id, lrc_status *out,
                             lrc_error **err);

/* Runs a plain (not long running) Tango command, such as the deprecated
 * AbortCommands, and returns its reply as JSON text in *reply_json
 * (malloc'd, the caller frees it; NULL on failure): null for DevVoid, a
 * number, a string, an array, and [[codes...], ["strings"...]] for
 * DevVarLongStringArray (json.dumps style; a DevState is its number).
 * arg as for lrc_invoke: converted to the command's declared input type
 * (the signature is asked once per proxy); an argument that does not fit
 * gives LRC_EINVAL before the command runs. An unknown command gives
 * LRC_ENOTFOUND (its stack holds API_CommandNotFound), other Tango
 * failures LRC_ETANGO with the stack. No event is subscribed; nothing is
 * followed. */
int lrc_proxy_command(lrc_proxy *p, const char *command, const lrc_arg *arg, char **reply_json,
                      lrc_error **err);

/* ------------------------------------------------------------------------
 * Watching every LRC of a device
 * ---------------------------------------------------------------------- */

typedef struct lrc_watch lrc_watch;

typedef struct lrc_watch_options {
    size_t size;              /* sizeof(lrc_watch_options), set by _init      */
    lrc_scheduler *scheduler; /* runs the callbacks (NULL: the default one)   */
    lrc_log_fn logger;        /* the watch's log messages (NULL: the hook):
                                 called on the starting thread, on
                                 scheduler workers and on the thread that
                                 frees the watch                             */
    void *logger_user;
} lrc_watch_options;

/* Fills *o with the defaults. */
void lrc_watch_options_init(lrc_watch_options *o);

/* Follows every long running command of the device from now on, whoever
 * started it: fn(u, user) runs for each change of any command, with
 * u->command_id telling which, as lrc_invoke's callback would see it
 * (same decoding and log lines; in v1 a status or a progress that repeats
 * unchanged for a command is delivered once). A Tango error event (for
 * example API_EventTimeout when the device is down) is one update with
 * LRC_HAS_ERROR and command_id NULL, logged as "'<device>/<attribute>'
 * encountered error(s): ...". u->final marks a command's last update
 * (terminal status); the watch goes on until lrc_watch_free(), also for
 * that command should it appear again. The protocol is negotiated as for
 * lrc_invoke (an incompatibility is logged to the watch's logger) and the
 * streams are shared with the proxy's invocations; the watch keeps them
 * and the device connection (also past lrc_proxy_close) until it is freed.
 * "From now" means from when this call returns: what the streams deliver
 * while it subscribes or joins them (their current values, and events
 * racing with the start) is not delivered. In v1 the current lists are the
 * starting point changes are measured from: commands already listed are
 * reported only when they change (the lists are read when the streams
 * were already subscribed, e.g. by lrc_connect_interface). Memory per
 * command is given back when it leaves the device's status list.
 * Callbacks run on the scheduler, in event order, on the proxy's queue
 * (never concurrently with each other or with the proxy's invocation
 * callbacks on that scheduler); terminal updates are never dropped for
 * queue overflow. If the scheduler is freed first, that is logged once
 * (the hook) and nothing more is delivered. Errors as for
 * lrc_connect_interface, and LRC_EINVAL for a NULL p, fn or out or
 * options not initialised. On success *out owns the watch; no callback
 * runs inside this call. */
int lrc_watch_start(lrc_proxy *p, lrc_update_fn fn, void *user, const lrc_watch_options *opts,
                    lrc_watch **out, lrc_error **err);

/* The protocol version the watch follows: 1 or 2. */
int lrc_watch_protocol_version(const lrc_watch *w);

/* Stops the watch and frees it: from any thread, also from inside fn.
 * After it returns fn is not running (unless called from fn itself, whose
 * current call finishes normally) and is never called again, not even for
 * updates already queued. The streams no one else needs are unsubscribed
 * (a failure is logged as a warning to the watch's logger). NULL is
 * accepted; each watch must be freed exactly once. */
void lrc_watch_free(lrc_watch *w);

#ifdef __cplusplus
}
#endif

#endif /* LRC_DEVICE_H */
