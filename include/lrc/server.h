/*
 * lrc/server.h - the server kit: write LRC-capable Tango devices in C.
 *
 * A device author declares long running commands as task functions; the kit
 * does everything else of the ska-tango-base LRC protocol (lrc-protocol.md
 * sections 1 and 5): command IDs, the command tracker and its state machine,
 * a task executor with a bounded queue, the v2 _lrcEvent stream, the v1
 * attributes, lrcQueue / lrcExecuting / lrcFinished, commandedState, Abort,
 * AbortCommands, CheckLongRunningCommandStatus and lrcProtocolVersions. On
 * the wire it behaves like a ska-tango-base 1.3.2 device, except that events
 * are pushed at once (not batched every 100 ms; only right after a client
 * subscribed do they wait, see SubscriberHold) and a rejected submission
 * leaves no ghost entry.
 *
 * A minimal server:
 *
 *     static lrc_status echo(lrc_task *t, const lrc_arg *arg, void *user) {
 *         lrc_task_set_result_code(t, LRC_RESULT_OK, arg->u.s);
 *         return LRC_STATUS_COMPLETED;
 *     }
 *     static int init(lrc_device *dev, void *user, lrc_error **err) {
 *         lrc_command_def def = lrc_command_def_init("Echo", LRC_ARG_STRING, echo, NULL);
 *         return lrc_device_add_command(dev, &def, err);
 *     }
 *     int main(int argc, char **argv) {
 *         lrc_server_config cfg = lrc_server_config_init("MyClass", init, NULL);
 *         return lrc_server_main(argc, argv, &cfg);
 *     }
 *
 * Standard device properties read by the kit (all optional):
 *   MaxQueuedTasks      queue length behind the workers          (32)
 *   MaxExecutingTasks   task worker threads                      (1)
 *   RemovalTime         s a finished command stays in v1 lists   (10)
 *   SubscriberHold      s pushes wait after a client subscribed, so that a
 *                       client calling a command right after subscribing
 *                       gets all its events; 0: off      (0.1, at most 10;
 *                       docs/protocol.md section 7, "Fresh subscribers")
 *   LrcProtocolVersions "min,max" advertised in lrcProtocolVersions ("1,2"),
 *                       or "none": a pre-1.2 device with only the v1
 *                       attributes (no lrcProtocolVersions, _lrcEvent,
 *                       lrcQueue, lrcExecuting, lrcFinished). Per device:
 *                       devices of one server may differ, each lists
 *                       exactly the attributes of its own setting, and an
 *                       Init applies a new setting to that device alone
 *
 * Threads: task functions run on the kit's worker threads, one task per
 * worker at a time. The kit's own Tango handlers never block on tasks.
 */
#ifndef LRC_SERVER_H
#define LRC_SERVER_H

#include "lrc/arg.h"
#include "lrc/error.h"
#include "lrc/log.h" /* levels of lrc_device_log */
#include "lrc/types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lrc_device lrc_device; /* one device served by the kit    */
typedef struct lrc_task lrc_task;     /* one running long running command */

/* Tango device states (numeric values of Tango::DevState). */
typedef enum lrc_dev_state {
    LRC_DEV_ON = 0,
    LRC_DEV_OFF = 1,
    LRC_DEV_CLOSE = 2,
    LRC_DEV_OPEN = 3,
    LRC_DEV_INSERT = 4,
    LRC_DEV_EXTRACT = 5,
    LRC_DEV_MOVING = 6,
    LRC_DEV_STANDBY = 7,
    LRC_DEV_FAULT = 8,
    LRC_DEV_INIT = 9,
    LRC_DEV_RUNNING = 10,
    LRC_DEV_ALARM = 11,
    LRC_DEV_DISABLE = 12,
    LRC_DEV_UNKNOWN = 13
} lrc_dev_state;

/* ------------------------------------------------------------------------
 * Tasks
 * ---------------------------------------------------------------------- */

/* A task: the body of a long running command. Runs on a worker thread after
 * the kit has set the command IN_PROGRESS. `arg` is the command's argument
 * (kind LRC_ARG_NONE for DevVoid commands), valid until the task returns.
 * Returns the final status: LRC_STATUS_COMPLETED, LRC_STATUS_FAILED or
 * LRC_STATUS_ABORTED (anything else counts as a failure). The result is
 * whatever lrc_task_set_result* stored; without one, FAILED gets
 * [3, "Unhandled exception during execution: <message>"] (message from
 * lrc_task_fail) and ABORTED gets [7, "Command has been aborted"]. */
typedef lrc_status (*lrc_task_fn)(lrc_task *task, const lrc_arg *arg, void *user);

/* Reports progress (integer percent); pushes it at once. Thread: the task's
 * own. Returns 0 or a negative LRC_E* code. */
int lrc_task_progress(lrc_task *task, int percent);

/* Largest progress context of lrc_task_progress_ex, in bytes of its
 * members as json.dumps writes them (without the braces). */
#define LRC_TASK_CONTEXT_MAX_BYTES 4096

/* Reports progress, as lrc_task_progress, with context: the members of the
 * JSON object `context_json` (UTF-8 text, e.g. "{\"temperature\": 21.5}";
 * NULL: none) ride along in this update's _lrcEvent payload, after
 * "progress": {"progress": 40, "temperature": 21.5}. This is an extension
 * of the project (docs/protocol.md, "Progress with context"): clients pass
 * keys they do not know through (ska's Python client as keyword arguments
 * of its callback, ours as lrc_update.extra_json with LRC_HAS_EXTRA). Only
 * _lrcEvent carries them: the v1 progress attribute
 * (longRunningCommandProgress), lrcExecuting and a device with
 * LrcProtocolVersions "none" see the percent alone. Refuses, pushing
 * nothing and logging why: LRC_EJSON for text that is not JSON;
 * LRC_EINVAL for JSON that is not an object, text that is not UTF-8, a key
 * _lrcEvent itself uses ("status", "progress", "result"), or members over
 * LRC_TASK_CONTEXT_MAX_BYTES. Published as json.dumps writes it (key order
 * kept, non-ASCII escaped as \u00e9), so it is Latin-1-safe on the wire.
 * The text is only read during the call. Thread: the task's own. Returns 0
 * or a negative LRC_E* code. */
int lrc_task_progress_ex(lrc_task *task, int percent, const char *context_json);

/* True once Abort (or AbortCommands, or device shutdown) asked this task to
 * stop. A task that honours it returns LRC_STATUS_ABORTED. Thread-safe. */
bool lrc_task_abort_requested(const lrc_task *task);

/* Sleeps up to ms milliseconds, returning early when an abort is requested.
 * Returns true if an abort was requested (before or during the sleep). */
bool lrc_task_sleep(lrc_task *task, int64_t ms);

/* Sets the result as JSON text (any JSON value, UTF-8; copied). LRC_EJSON
 * if it is not valid JSON, LRC_EINVAL if it is not UTF-8. A result over
 * 64 KiB of JSON is refused when the task ends. A refused result is never
 * lost silently: unless a later call stores a result, the command ends
 * FAILED with [3, "Unhandled exception during execution: result of <Cmd>
 * cannot be stored: <why>"] (or a message giving the size), and the kit
 * logs it. Published JSON escapes non-ASCII text as Python's json.dumps
 * does (\u00e9), so it is Latin-1-safe on the wire. */
int lrc_task_set_result(lrc_task *task, const char *json_text);

/* Sets the usual result [code, "message"] (message UTF-8, copied; NULL =
 * ""). LRC_EINVAL if the message is not UTF-8, with the consequences
 * described for lrc_task_set_result. */
int lrc_task_set_result_code(lrc_task *task, lrc_result_code code, const char *message);

/* Records why the task failed and returns LRC_STATUS_FAILED, so a task can
 * `return lrc_task_fail(t, "motor %d stalled", n);`. The result becomes
 * [3, "Unhandled exception during execution: <message>"] unless a result
 * was set. The message is UTF-8; one that is not is replaced by a message
 * saying so (the byte and its offset). */
lrc_status lrc_task_fail(lrc_task *task, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The command ID and name, and the device. Owned by the kit; valid until
 * the task returns. */
const char *lrc_task_command_id(const lrc_task *task);
const char *lrc_task_command_name(const lrc_task *task);
lrc_device *lrc_task_device(const lrc_task *task);

/* ------------------------------------------------------------------------
 * Commands
 * ---------------------------------------------------------------------- */

/* Checks a submission while the client waits for the command's reply (device
 * lock held; must be quick). Return LRC_OK to accept; LRC_EREJECTED to
 * reject with the error's message as the reason (the client gets
 * [[REJECTED], [reason]], no ID, nothing pushed); any other failure raises
 * a Tango DevFailed to the client (for example an invalid argument). */
typedef int (*lrc_submit_check_fn)(lrc_device *dev, const lrc_arg *arg, void *user,
                                   lrc_error **err);

/* For submit checks: reject the submission with a printf-style reason.
 * Stores the error in *err (if err is not NULL) and returns LRC_EREJECTED. */
int lrc_check_reject(lrc_error **err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* For submit checks: refuse an invalid argument. The client gets a Tango
 * DevFailed with reason "LRC_InvalidArgument" and the message as its
 * description. Returns LRC_EINVAL. */
int lrc_check_invalid(lrc_error **err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Asked on the worker right before the task would start (device lock held).
 * false ends the command REJECTED with [6, "Command is not allowed"]. */
typedef bool (*lrc_allowed_fn)(lrc_device *dev, void *user);

typedef struct lrc_command_def {
    size_t size;                   /* sizeof(lrc_command_def), set by _init   */
    const char *name;              /* Tango command name                      */
    lrc_arg_kind arg_kind;         /* input type: NONE=DevVoid, BOOL, LONG=DevLong64,
                                      DOUBLE, STRING, LONG_ARRAY, DOUBLE_ARRAY,
                                      STRING_ARRAY, JSON (a DevString of JSON) */
    lrc_task_fn task;              /* required                                */
    lrc_submit_check_fn check;     /* optional                                */
    lrc_allowed_fn allowed;        /* optional                                */
    const char *commanded_state;   /* optional: commandedState while it runs  */
    void *user;                    /* passed to task, check and allowed       */
} lrc_command_def;

/* A definition with the required fields set and the others empty. */
lrc_command_def lrc_command_def_init(const char *name, lrc_arg_kind arg_kind, lrc_task_fn task,
                                     void *user);

/* Adds a long running command to the device (its Tango command returns
 * DevVarLongStringArray). Call only from the init hook. The definition is
 * copied (strings too). Refuses (LRC_EINVAL, nothing added) the name of a
 * command every kit device has (Abort, AbortCommands,
 * CheckLongRunningCommandStatus, Init, State, Status) and the name of a
 * command already added, compared case-insensitively as Tango compares
 * command names: Tango would replace the first silently. */
int lrc_device_add_command(lrc_device *dev, const lrc_command_def *def, lrc_error **err);

/* ------------------------------------------------------------------------
 * Attributes
 *
 * Plain Tango attributes of the author's own: scalar or spectrum of
 * DevBoolean, DevLong64, DevDouble, DevString, or a scalar DevEnum; READ or
 * READ_WRITE. The kit holds each attribute's value (with a quality and a
 * timestamp): the author sets it from any thread with lrc_attribute_set_*
 * and pushes change and archive events (lrc_attribute_push, or
 * push_on_set). Optionally a read function refreshes the value right
 * before each client read, and a write function takes each client write.
 *
 * Locks: the value is guarded by the device lock. Read and write functions
 * run on a Tango thread with the device lock held (one at a time per
 * device, as command handlers); every lrc_attribute_* call takes the device
 * lock itself (re-entrant: call them from inside a read or write function
 * freely). So: never call them while holding a lock of your own that a
 * read, write, check or allowed function also takes.
 *
 * Text is UTF-8 in this API; on the wire a DevString is Latin-1 (as for
 * commands, docs/protocol.md section 8): a string Latin-1 cannot hold is
 * refused by the setter with LRC_EINVAL.
 *
 * For example, a temperature pushed when it moved by 0.5 K or more:
 *
 *     // init hook (the handle kept in the author's per-device data)
 *     lrc_attribute_def d = lrc_attribute_def_init("temperature", LRC_ATYPE_DOUBLE);
 *     d.unit = "K";
 *     d.abs_change = 0.5;
 *     d.push_on_set = true;
 *     rc = lrc_device_add_attribute(dev, &d, &my->temperature, err);
 *     // a task, or any thread of the device
 *     lrc_attribute_set_double(my->temperature, read_sensor());
 * ---------------------------------------------------------------------- */

typedef struct lrc_attribute lrc_attribute; /* one attribute of one device */

typedef enum lrc_attr_type {
    LRC_ATYPE_BOOL = 1, /* DevBoolean                                     */
    LRC_ATYPE_LONG64,   /* DevLong64                                      */
    LRC_ATYPE_DOUBLE,   /* DevDouble                                      */
    LRC_ATYPE_STRING,   /* DevString                                      */
    LRC_ATYPE_ENUM      /* DevEnum (scalar only): an index into enum_labels */
} lrc_attr_type;

/* Tango attribute qualities (numeric values of Tango::AttrQuality). */
typedef enum lrc_quality {
    LRC_QUALITY_VALID = 0,
    LRC_QUALITY_INVALID = 1, /* clients get no value, only the quality */
    LRC_QUALITY_ALARM = 2,
    LRC_QUALITY_CHANGING = 3,
    LRC_QUALITY_WARNING = 4
} lrc_quality;

/* Called right before a client reads the attribute (device lock held,
 * Tango thread; must be quick): set the value with lrc_attribute_set_*.
 * A failure reaches the client as a DevFailed with the error's message
 * (reason LRC_ReadFailed). */
typedef int (*lrc_attribute_read_fn)(lrc_attribute *attr, void *user, lrc_error **err);

/* Called for each client write (device lock held, Tango thread; must be
 * quick), after Tango checked the value against min_value/max_value.
 * `value` borrows the written value, valid during the call: BOOL -> b,
 * LONG64 and ENUM -> l, DOUBLE -> d, STRING -> s (UTF-8); spectra ->
 * LRC_ARG_LONG_ARRAY (booleans as 0/1), LRC_ARG_DOUBLE_ARRAY,
 * LRC_ARG_STRING_ARRAY. The kit does not store it: call
 * lrc_attribute_set_* to make it the value clients read. Return LRC_OK, or
 * refuse: the client's write fails with a DevFailed carrying the error's
 * message (reason LRC_WriteRefused; lrc_check_invalid works). */
typedef int (*lrc_attribute_write_fn)(lrc_attribute *attr, const lrc_arg *value, void *user,
                                      lrc_error **err);

typedef struct lrc_attribute_def {
    size_t size;        /* sizeof(lrc_attribute_def), set by _init          */
    const char *name;   /* Tango attribute name                              */
    lrc_attr_type type;
    size_t max_length;  /* 0: scalar; >= 1: spectrum of at most that many   */
    bool writable;      /* READ_WRITE; without `write`, a client write sets
                           the kit-held value (and pushes if push_on_set)    */
    lrc_attribute_read_fn read;   /* optional                               */
    lrc_attribute_write_fn write; /* optional; implies writable             */
    void *user;                   /* passed to read and write               */
    /* Each lrc_attribute_set_* (and each kit-stored write) pushes a change
     * and an archive event, filtered by the thresholds below. */
    bool push_on_set;
    /* Properties clients see in the attribute configuration (NULL: Tango's
     * default). min_value / max_value: Tango refuses writes outside them. */
    const char *label, *description, *unit, *display_unit, *format;
    double min_value, max_value; /* NAN (as set by _init): none             */
    /* Tango's change detection, applied to every push: a change event goes
     * out only when the value moved by at least abs_change (absolute) or
     * rel_change (percent) since the last change event; archive events
     * likewise with archive_*. Numbers only. 0 (as set by _init): no
     * threshold, every push goes out, as every push of a boolean, string
     * or enum does. With thresholds, a change of quality always goes
     * out. */
    double abs_change, rel_change, archive_abs_change, archive_rel_change;
    const char *const *enum_labels; /* LRC_ATYPE_ENUM: the labels (copied)  */
    size_t n_enum_labels;
} lrc_attribute_def;

/* A scalar, read-only definition with everything else empty (NAN limits,
 * no thresholds). */
lrc_attribute_def lrc_attribute_def_init(const char *name, lrc_attr_type type);

/* Adds an attribute to the device. Call only from the init hook. The
 * definition is copied (strings too). On success *out (if not NULL) is the
 * handle, owned by the kit and valid until the device's fini hook returns
 * (the server's end, or an Init, which re-runs the init hook and so adds
 * the attributes again, with new handles). The initial value is false / 0
 * / 0.0 / "" / the first label / an empty spectrum, quality VALID.
 * LRC_EINVAL (nothing added): a name already added to this device
 * (case-insensitively), the name of an attribute every kit device has
 * (State, Status and the LRC attributes), a spectrum of enums, an enum
 * without labels, a `write` without writable... Tango keeps one
 * definition per attribute name and device class: the properties of a
 * name are those of the first device of the server process that added
 * it, and a property set in the database overrides them. */
int lrc_device_add_attribute(lrc_device *dev, const lrc_attribute_def *def,
                             lrc_attribute **out, lrc_error **err);

/* Set the kit-held value. Any thread (takes the device lock). Each set
 * stamps the value with the current time (see lrc_attribute_set_time) and
 * pushes events if the attribute has push_on_set. Arrays and strings are
 * copied. LRC_EINVAL: a setter of another type, a spectrum longer than
 * max_length, text that is not UTF-8 or that Latin-1 cannot hold, an enum
 * index out of range; the value is then left unchanged. A failed push
 * (push_on_set) is returned after the value was stored. */
int lrc_attribute_set_bool(lrc_attribute *attr, bool v);
int lrc_attribute_set_long(lrc_attribute *attr, int64_t v); /* LONG64 and ENUM */
int lrc_attribute_set_double(lrc_attribute *attr, double v);
int lrc_attribute_set_string(lrc_attribute *attr, const char *utf8);
int lrc_attribute_set_bool_array(lrc_attribute *attr, const bool *v, size_t n);
int lrc_attribute_set_long_array(lrc_attribute *attr, const int64_t *v, size_t n);
int lrc_attribute_set_double_array(lrc_attribute *attr, const double *v, size_t n);
int lrc_attribute_set_string_array(lrc_attribute *attr, const char *const *utf8, size_t n);

/* The quality sent with the value from now on (it stays until changed;
 * initially LRC_QUALITY_VALID). Does not push. Any thread. */
int lrc_attribute_set_quality(lrc_attribute *attr, lrc_quality q);

/* Overrides the timestamp of the current value (seconds since the epoch,
 * e.g. when the hardware measured it); the next set_* stamps "now" again.
 * Does not push. Any thread. */
int lrc_attribute_set_time(lrc_attribute *attr, double unix_time);

/* Pushes the current value, quality and time as a change event and/or an
 * archive event, through Tango's change detection (the thresholds of the
 * definition). Any thread (takes the device lock). Returns 0 or a negative
 * LRC_E* code (*err is optional). */
int lrc_attribute_push(lrc_attribute *attr, bool change, bool archive, lrc_error **err);

/* The current value of a scalar (for example a setpoint clients wrote).
 * Any thread. LRC_EINVAL for another type. A string is a malloc'd copy. */
int lrc_attribute_get_bool(lrc_attribute *attr, bool *v);
int lrc_attribute_get_long(lrc_attribute *attr, int64_t *v);
int lrc_attribute_get_double(lrc_attribute *attr, double *v);
int lrc_attribute_get_string(lrc_attribute *attr, char **utf8);

/* The attribute's name (as defined) and device. Owned by the kit. */
const char *lrc_attribute_name(const lrc_attribute *attr);
lrc_device *lrc_attribute_device(const lrc_attribute *attr);

/* ------------------------------------------------------------------------
 * Devices and the server
 * ---------------------------------------------------------------------- */

/* Per-device set-up: add commands, set the initial state. Called on the
 * Tango thread that creates the device (start-up and the Init command). */
typedef int (*lrc_device_init_fn)(lrc_device *dev, void *user, lrc_error **err);
/* Per-device tear-down, after the kit has stopped the device's tasks. */
typedef void (*lrc_device_fini_fn)(lrc_device *dev, void *user);

typedef struct lrc_server_config {
    size_t size;               /* sizeof(lrc_server_config), set by _init */
    const char *class_name;    /* Tango device class                       */
    lrc_device_init_fn init;   /* required                                 */
    lrc_device_fini_fn fini;   /* optional                                 */
    void *user;
} lrc_server_config;

/* A configuration with the required fields set and the others empty. */
lrc_server_config lrc_server_config_init(const char *class_name, lrc_device_init_fn init,
                                         void *user);

/* Runs the device server: argv is "EXE INSTANCE [Tango options]" (the
 * server name is the executable's base name). Blocks until the server is
 * shut down (Kill command, SIGTERM, SIGINT). Returns 0, or prints the
 * failure to stderr and returns 1: suitable as main's return value.
 * Without an instance it prints "usage: EXE INSTANCE [Tango options]".
 * Before cppTango starts, it asks the database (from a short-lived child
 * process) what cppTango would otherwise end the process for with status
 * 255 and no way to catch it: a database it cannot reach, an instance the
 * database does not define, an instance already running; each prints its
 * reason and returns 1. (With -nodb or -file= there is no such check.)
 * While the server runs, one thread of the kit gives free heap memory back
 * to the system every LRC_TRIM_PERIOD seconds (environment; default 5, "0"
 * turns it off; glibc's malloc_trim, nothing elsewhere): without it a
 * server whose clients subscribe and unsubscribe per call keeps the pages
 * cppTango and ZeroMQ freed, ~25 kB per cycle (docs/memory.md). */
int lrc_server_main(int argc, char **argv, const lrc_server_config *cfg);

/* Device name, e.g. "test/lrc/1". */
const char *lrc_device_name(const lrc_device *dev);

/* The author's per-device pointer. */
void lrc_device_set_user(lrc_device *dev, void *user);
void *lrc_device_user(const lrc_device *dev);

/* Tango state. Thread-safe (takes the device lock; re-entrant). A NULL
 * device is ignored; its state reads LRC_DEV_UNKNOWN. A change pushes a
 * change event of the State attribute (and of Status while no status text
 * was set, as Tango's default text names the state); see "State, Status
 * and logging" below. */
void lrc_device_set_state(lrc_device *dev, lrc_dev_state state);
lrc_dev_state lrc_device_get_state(lrc_device *dev);

/* Reads a device property; *value NULL if unset. malloc'd. Init hook only. */
int lrc_device_get_property(lrc_device *dev, const char *name, char **value, lrc_error **err);

/* ------------------------------------------------------------------------
 * Plain commands
 *
 * A plain command is an ordinary Tango command: the client waits for its
 * result, nothing is tracked or pushed. Input kinds are those of long
 * running commands (lrc_command_def.arg_kind); the output kind uses the same
 * table: NONE=DevVoid, BOOL=DevBoolean, LONG=DevLong64, DOUBLE=DevDouble,
 * STRING=DevString, LONG_ARRAY=DevVarLong64Array,
 * DOUBLE_ARRAY=DevVarDoubleArray, STRING_ARRAY=DevVarStringArray, JSON=a
 * DevString of JSON.
 * ---------------------------------------------------------------------- */

typedef struct lrc_reply lrc_reply; /* a plain command's result, owned by the kit */

/* The body of a plain command. Runs on the Tango thread serving the call,
 * with the device lock held (so at most one per device at a time, and no
 * lrc_device_set_state from a task interleaves): keep it short, never wait
 * for a task. `in` is valid during the call (a JSON input that is not
 * valid JSON is refused before fn runs: "argument is not valid JSON"). Fill `out` with one
 * lrc_reply_set_* of the declared output kind (not needed for NONE) and
 * return LRC_OK; or fail with any LRC_E* code: the client gets a DevFailed
 * whose stack is the error's (lrc_command_fail makes one with a reason of
 * the author's), or, for an error without a stack, reason
 * "LRC_CommandFailed" and the message as description. Returning LRC_OK
 * without setting a non-NONE output fails the call ("LRC_CommandFailed",
 * "... set no result"). */
typedef int (*lrc_plain_fn)(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                            lrc_error **err);

typedef struct lrc_plain_command_def {
    size_t size;            /* sizeof(lrc_plain_command_def), set by _init */
    const char *name;       /* Tango command name                          */
    lrc_arg_kind in_kind;   /* input type (table above)                    */
    lrc_arg_kind out_kind;  /* output type (table above)                   */
    lrc_plain_fn fn;        /* required                                    */
    /* Optional, Tango's is_allowed: asked before fn (device lock held);
     * false refuses the call with a DevFailed of reason
     * "API_CommandNotAllowed" ("Command X not allowed when the device is in
     * STATE state"), and fn is not called. */
    lrc_allowed_fn allowed;
    void *user;             /* passed to fn and allowed                    */
} lrc_plain_command_def;

/* A definition with the required fields set and the others empty. */
lrc_plain_command_def lrc_plain_command_def_init(const char *name, lrc_arg_kind in_kind,
                                                 lrc_arg_kind out_kind, lrc_plain_fn fn,
                                                 void *user);

/* Adds a plain command to the device. Call only from the init hook. The
 * definition is copied (the name too). Refuses (LRC_EINVAL, nothing added)
 * the names lrc_device_add_command refuses, including those of commands
 * already added by either function (case-insensitively), and unknown kinds. */
int lrc_device_add_plain_command(lrc_device *dev, const lrc_plain_command_def *def,
                                 lrc_error **err);

/* Fill a plain command's result. Valid only during its lrc_plain_fn call,
 * for the declared output kind: another kind gives LRC_EINVAL and leaves
 * the result as it was. A later call replaces an earlier one. Text is UTF-8
 * and copied (LRC_EINVAL if it is not UTF-8); on the wire it is Latin-1 as
 * all of the kit's text: a character Latin-1 lacks fails the call with
 * "LRC_InvalidText". lrc_reply_set_json wants valid JSON (LRC_EJSON) and
 * sends the text as given. Arrays are copied (v may be NULL when n is 0).
 * Return LRC_OK or a negative LRC_E* code; NULL out gives LRC_EINVAL. */
int lrc_reply_set_bool(lrc_reply *out, bool v);
int lrc_reply_set_long(lrc_reply *out, int64_t v);
int lrc_reply_set_double(lrc_reply *out, double v);
int lrc_reply_set_string(lrc_reply *out, const char *s);
int lrc_reply_set_json(lrc_reply *out, const char *json_text);
int lrc_reply_set_long_array(lrc_reply *out, const int64_t *v, size_t n);
int lrc_reply_set_double_array(lrc_reply *out, const double *v, size_t n);
int lrc_reply_set_string_array(lrc_reply *out, const char *const *v, size_t n);

/* For plain commands: fail with a Tango reason of the author's. Stores in
 * *err (if not NULL) an error whose DevError stack is one entry: `reason`,
 * the printf-style description, origin "lrc_server". Returns LRC_ETANGO. */
int lrc_command_fail(lrc_error **err, const char *reason, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ------------------------------------------------------------------------
 * State, Status and logging
 *
 * The State and Status attributes of every kit device push change events
 * when they change (declared as pushed by the code, as
 * set_change_event("State", true, false) does: clients subscribe without
 * polling). Each call that changes one pushes one event, from the calling
 * thread under the device lock.
 * ---------------------------------------------------------------------- */

/* Sets the Status text (UTF-8; copied; NULL = back to Tango's default text
 * "The device is in <STATE> state."). On the wire it is Latin-1: characters
 * Latin-1 lacks become '?'. Pushes a Status change event if the text
 * changed. Thread-safe (takes the device lock); any thread. A NULL device is
 * ignored. After Init, Status is Tango's default text again. */
void lrc_device_set_status(lrc_device *dev, const char *text);

/* Logs one message (printf-style, UTF-8) for the device: to the device's
 * Tango logger (subject to the device's logging level and targets, as set
 * by the admin device's SetLoggingLevel / AddLoggingTarget or the
 * logging_level / logging_target properties; Latin-1 on the wire) and to
 * the process-wide hook of lrc/log.h, prefixed "<device>: ". The kit logs
 * its own messages about a device the same way. level: LRC_LOG_DEBUG ..
 * LRC_LOG_CRITICAL (enum lrc_log_level; CRITICAL is Tango's FATAL). Any
 * thread, with or without the device lock; never blocks on the lock. A
 * NULL device is ignored. */
void lrc_device_log(lrc_device *dev, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* LRC_SERVER_H */
