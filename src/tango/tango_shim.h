/*
 * tango_shim.h - the C face of cppTango, the only C++ in tango-lrc.
 *
 * Everything above this header is pure C and never sees a Tango type. The
 * implementation (the .cpp files of src/tango) catches every C++ exception at the
 * boundary and turns it into an lrc_error carrying the whole DevError stack
 * (code LRC_ETANGO, message = description of the outermost DevError).
 * Compatible with cppTango 9.3 and 10.
 *
 * Threads (cppTango 9.3.4, see tango-notes.md section 5):
 *  - All client functions may be called from any thread, concurrently, also
 *    on the same proxy (cppTango serialises per proxy).
 *  - Change-event callbacks run on three kinds of threads: the subscribing
 *    thread (the initial value, synchronously INSIDE lrc_tg_subscribe_change,
 *    before the subscription id is returned), the single ZMQ consumer thread
 *    of the process (normal events) and the keep-alive thread (error events
 *    and the value re-sent after a reconnection). The last two can run at the
 *    same time, so callback code must lock its own data.
 *  - A callback may call lrc_tg_unsubscribe on its own subscription.
 *  - After lrc_tg_unsubscribe returns, the callback of that subscription is
 *    never called again and is not running on another thread. Do not call
 *    lrc_tg_unsubscribe while holding a lock the callback takes.
 *  - Server side: see the section "device server" below.
 *
 * Process exit (clients, cppTango 9): nothing to call. cppTango's own exit
 * handler (atexit, installed with the first subscription) joins its
 * keep-alive thread, which in 9.3.4 does not look at that request during its
 * first 2 s of life, so a short-lived client used to take up to 2 s to exit
 * (other cppTango versions: the shim does nothing here). At the
 * first subscription the shim registers an exit handler that runs just
 * before cppTango's and cuts that sleep short: if the process exits within
 * that thread's first 2.5 s, it sends SIGURG to that thread (with a handler
 * that does nothing; two signals, ~2 ms in all) until the thread has
 * returned, then restores SIGURG's previous disposition. If the
 * application handles SIGURG itself, the shim leaves it alone and the exit
 * is as slow as plain cppTango's. Process exit must not race with calls on
 * other threads (as with cppTango itself).
 */
#ifndef LRC_TANGO_SHIM_H
#define LRC_TANGO_SHIM_H

#include "lrc/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

/* Tango data types; the numeric values equal Tango::CmdArgType. Used for
 * command arguments and results, attribute values (a SPECTRUM attribute of
 * DevString is LRC_TG_STRING_ARRAY, a SCALAR DevString is LRC_TG_STRING),
 * and command signatures. */
typedef enum lrc_tg_type {
    LRC_TG_VOID = 0,
    LRC_TG_BOOLEAN = 1,
    LRC_TG_SHORT = 2,
    LRC_TG_LONG = 3,
    LRC_TG_FLOAT = 4,
    LRC_TG_DOUBLE = 5,
    LRC_TG_USHORT = 6,
    LRC_TG_ULONG = 7,
    LRC_TG_STRING = 8,
    LRC_TG_CHAR_ARRAY = 9,
    LRC_TG_SHORT_ARRAY = 10,
    LRC_TG_LONG_ARRAY = 11,
    LRC_TG_FLOAT_ARRAY = 12,
    LRC_TG_DOUBLE_ARRAY = 13,
    LRC_TG_USHORT_ARRAY = 14,
    LRC_TG_ULONG_ARRAY = 15,
    LRC_TG_STRING_ARRAY = 16,
    LRC_TG_LONG_STRING_ARRAY = 17,
    LRC_TG_DOUBLE_STRING_ARRAY = 18,
    LRC_TG_STATE = 19,
    LRC_TG_BOOLEAN_ARRAY = 21,
    LRC_TG_UCHAR = 22,
    LRC_TG_LONG64 = 23,
    LRC_TG_ULONG64 = 24,
    LRC_TG_LONG64_ARRAY = 25,
    LRC_TG_ULONG64_ARRAY = 26,
    LRC_TG_ENUM = 29
} lrc_tg_type;

/* A Tango value of any supported type. Which fields are used:
 *   BOOLEAN, SHORT, LONG, USHORT, ULONG, UCHAR, LONG64, ULONG64 (bit pattern),
 *   STATE, ENUM                       -> i
 *   FLOAT, DOUBLE                     -> d
 *   STRING                            -> s
 *   *_ARRAY of integers/booleans      -> iv[0..ni)
 *   FLOAT_ARRAY, DOUBLE_ARRAY         -> dv[0..nd)
 *   STRING_ARRAY                      -> sv[0..ns)
 *   LONG_STRING_ARRAY                 -> iv[0..ni) and sv[0..ns)
 *   DOUBLE_STRING_ARRAY               -> dv[0..nd) and sv[0..ns)
 * A value filled by the shim owns its heap memory (malloc'd: s, iv, dv, sv
 * and each sv[k]); release it with lrc_tg_value_clear(). Values passed IN to
 * the shim are only read. An empty attribute (for example an empty spectrum,
 * which PyTango shows as None) reads as an array type with length 0. */
typedef struct lrc_tg_value {
    lrc_tg_type type;
    int64_t i;
    double d;
    char *s;
    int64_t *iv;
    size_t ni;
    double *dv;
    size_t nd;
    char **sv;
    size_t ns;
} lrc_tg_value;

/* Frees the heap memory of a value filled by the shim and resets it to a
 * zeroed LRC_TG_VOID value. NULL is accepted. */
void lrc_tg_value_clear(lrc_tg_value *v);

/* Tango type name, e.g. "DevString", "DevVarLongStringArray"; "unknown" for
 * other values. Static string. */
const char *lrc_tg_type_name(lrc_tg_type t);

/* Tango device states (numeric values of Tango::DevState). */
typedef enum lrc_tg_state {
    LRC_TG_ON = 0,
    LRC_TG_OFF = 1,
    LRC_TG_CLOSE = 2,
    LRC_TG_OPEN = 3,
    LRC_TG_INSERT = 4,
    LRC_TG_EXTRACT = 5,
    LRC_TG_MOVING = 6,
    LRC_TG_STANDBY = 7,
    LRC_TG_FAULT = 8,
    LRC_TG_INIT = 9,
    LRC_TG_RUNNING = 10,
    LRC_TG_ALARM = 11,
    LRC_TG_DISABLE = 12,
    LRC_TG_UNKNOWN = 13
} lrc_tg_state;

/* ------------------------------------------------------------------------
 * Client: device proxies, commands, attributes
 * ---------------------------------------------------------------------- */

typedef struct lrc_tg_proxy lrc_tg_proxy;

/* Opens a DeviceProxy on `name` (any name Tango accepts, e.g. "test/lrc/1"
 * with TANGO_HOST set, or "tango://host:port/a/b/c#dbase=no") and sets its
 * client timeout to timeout_ms (<= 0 keeps Tango's default of 3000 ms).
 * Does not contact the device in DB mode (Tango connects lazily); unknown
 * names fail here with LRC_ENOTFOUND if the database says so.
 * On success *out owns the proxy; free it with lrc_tg_proxy_close(). */
int lrc_tg_proxy_open(const char *name, int64_t timeout_ms, lrc_tg_proxy **out, lrc_error **err);

/* Unsubscribes whatever is still subscribed through this proxy, then frees
 * it. NULL is accepted. Must not be called from an event callback of the
 * same proxy. */
void lrc_tg_proxy_close(lrc_tg_proxy *p);

/* The device name as given to lrc_tg_proxy_open. Owned by the proxy. */
const char *lrc_tg_proxy_name(const lrc_tg_proxy *p);

/* The client timeout in milliseconds currently set on the proxy. */
int64_t lrc_tg_proxy_timeout_ms(const lrc_tg_proxy *p);

/* Executes a command. `in` may be NULL or of type LRC_TG_VOID for commands
 * without input; otherwise its type must be the command's input type. *out
 * is reset first; on success it is filled (type = the command's output
 * type; LRC_TG_VOID for none; LRC_TG_STATE for the State command) and owned
 * by the caller (lrc_tg_value_clear). A DevFailed raised by the device or
 * by Tango gives LRC_ETANGO with the whole stack: the device's own DevErrors
 * first, then cppTango's API_CommandFailed ("Failed to execute
 * command_inout on device ..."), which as the outermost entry gives the
 * message. */
int lrc_tg_command_inout(lrc_tg_proxy *p, const char *cmd, const lrc_tg_value *in,
                         lrc_tg_value *out, lrc_error **err);

/* Input and output types of one command (command_query). Unknown command:
 * LRC_ENOTFOUND with the Tango stack attached. */
int lrc_tg_command_query(lrc_tg_proxy *p, const char *cmd, lrc_tg_type *in_type,
                         lrc_tg_type *out_type, lrc_error **err);

/* Names of all commands of the device. On success *names is a malloc'd
 * array of *count malloc'd strings, freed with lrc_tg_strv_free(). */
int lrc_tg_command_list(lrc_tg_proxy *p, char ***names, size_t *count, lrc_error **err);

/* Names of all attributes of the device (get_attribute_list), as above. */
int lrc_tg_attribute_list(lrc_tg_proxy *p, char ***names, size_t *count, lrc_error **err);

/* Frees an array returned by lrc_tg_attribute_list / lrc_tg_command_list. */
void lrc_tg_strv_free(char **v, size_t count);

/* Reads one attribute. *out is reset first, then owned by the caller.
 * Scalar attributes give the scalar type, SPECTRUM attributes the matching
 * *_ARRAY type; an empty value (empty spectrum, or no value) gives the
 * *_ARRAY type with length 0 (cppTango does not tell the type of an empty
 * value: the shim asks the attribute config once per proxy and attribute).
 * IMAGE attributes and types without an lrc_tg_type give LRC_EINVAL; a
 * failed read (the device's read handler threw) gives LRC_ETANGO with the
 * device's stack, the outermost entry being cppTango's API_AttributeFailed. */
int lrc_tg_read_attribute(lrc_tg_proxy *p, const char *attr, lrc_tg_value *out,
                          lrc_error **err);

/* The configuration of one attribute (get_attribute_config). */
typedef struct lrc_tg_attr_info {
    lrc_tg_type data_type; /* element type: LRC_TG_STRING, LRC_TG_LONG64, ... */
    int format;            /* 0 scalar, 1 spectrum, 2 image (Tango::AttrDataFormat) */
    long max_dim_x;
    long max_dim_y;
    bool writable;
} lrc_tg_attr_info;

/* Queries one attribute's configuration. Unknown attribute: LRC_ENOTFOUND
 * with the Tango stack attached. */
int lrc_tg_attribute_query(lrc_tg_proxy *p, const char *attr, lrc_tg_attr_info *info,
                           lrc_error **err);

/* Pings the device; LRC_OK if it answers. */
int lrc_tg_ping(lrc_tg_proxy *p, lrc_error **err);

/* ------------------------------------------------------------------------
 * Client: change events
 * ---------------------------------------------------------------------- */

/* One event as delivered to a C callback. Everything it points to is owned
 * by the shim and valid only during the callback: copy what you keep.
 * Exactly one of value / error is non-NULL. Values follow the rules of
 * lrc_tg_read_attribute (an empty spectrum arrives as the *_ARRAY type
 * with length 0). Error events carry cppTango's stack (for example
 * API_EventTimeout from the keep-alive thread) with code LRC_ETANGO; a
 * value the shim cannot convert arrives as an error without a stack, and
 * one that no longer has the attribute's type as it was at subscription
 * (the device changed it) as an error "<attr>: the event value cannot be
 * read as <type> ..." with cppTango's stack: never a lost event. */
typedef struct lrc_tg_event {
    const char *attr_name;      /* full name as Tango gives it (lower case) */
    const lrc_tg_value *value;  /* the attribute value, or NULL on error    */
    const lrc_error *error;     /* the DevError stack of an error event     */
} lrc_tg_event;

typedef void (*lrc_tg_event_fn)(const lrc_tg_event *ev, void *user);

/* Subscribes to CHANGE events of one attribute. `fn(ev, user)` is called for
 * each event, on the threads listed at the top of this file, first (usually)
 * synchronously inside this call with the current value. On success
 * *sub_id receives the subscription id (>= 0). The subscription is not
 * stateless: if the device is unreachable this call fails. Calls of fn for
 * one subscription never overlap. */
int lrc_tg_subscribe_change(lrc_tg_proxy *p, const char *attr, lrc_tg_event_fn fn, void *user,
                            int *sub_id, lrc_error **err);

/* Ends a subscription. After it returns fn is not running and is never
 * called again for this id (also when it fails). May be called from inside
 * that subscription's own callback. An id that is not (or no longer)
 * subscribed gives LRC_ENOTFOUND.
 * The shim's per-subscription object (which cppTango calls) is freed by the
 * shim once cppTango holds no pointer to it and no thread runs it, never
 * inside its own callback: called from outside any event callback, a
 * successful call frees it before returning. Otherwise (called from inside
 * a callback, where cppTango finishes the unsubscription later on a thread
 * of its own; or failed) the first lrc_tg_subscribe_change /
 * lrc_tg_unsubscribe on the same proxy, made outside a callback, after
 * cppTango has let go of it frees it; lrc_tg_proxy_close frees whatever is
 * left. (The object of a failed lrc_tg_subscribe_change goes the same way.)
 * So a proxy that subscribes and unsubscribes again and again does not
 * grow. */
int lrc_tg_unsubscribe(lrc_tg_proxy *p, int sub_id, lrc_error **err);

/* Diagnostic: how many per-subscription objects the proxy holds right now
 * (live subscriptions plus ended ones not freed yet, see
 * lrc_tg_unsubscribe). Stays small whatever the number of subscriptions
 * made over the proxy's life. Any thread; 0 for NULL. */
size_t lrc_tg_proxy_subscription_objects(const lrc_tg_proxy *p);

/* ------------------------------------------------------------------------
 * Device server
 *
 * One process serves one device class (all devices of the instance given on
 * the command line, as registered in the Tango database). Commands and
 * attributes are added per device from the class's init_device hook, which
 * cppTango calls at start-up and on the Init command.
 *
 * Threads and locks: command handlers and attribute read handlers run on
 * CORBA threads while cppTango holds the device's monitor (the "device
 * lock"); at most one runs at a time per device. Any other thread that
 * pushes events or changes state must hold the device lock
 * (lrc_tg_device_lock / unlock; it is re-entrant). The lock order is: the
 * device lock first, then the caller's own locks.
 *
 * cppTango's monitor tells owners apart by omni_thread::self(), which is
 * NULL on threads omniORB did not create: the shim registers such threads
 * with omniORB (omni_thread::create_dummy, released at thread exit) before
 * locking, so plain pthreads may call every function here.
 *
 * delete_device is called WITHOUT the device lock (the shim releases the
 * monitor around the hook and takes it back afterwards), so the hook may
 * join threads that take the device lock. While a device is being deleted
 * or (re-)initialised, its handlers are not called: clients get a DevFailed
 * with reason LRC_DeviceNotReady ("... is not available: the device is
 * being initialised"). Between two init_device calls of a device there is
 * exactly one delete_device (an Init arriving while another one's
 * delete_device runs waits for it, without the lock).
 * ---------------------------------------------------------------------- */

typedef struct lrc_tg_device lrc_tg_device;

/* Command handler. `in` is the argument (type LRC_TG_VOID for none); fill
 * *out with a value of the declared output type (the shim clears it after
 * sending). Return LRC_OK, or fail: an error with a DevError stack is thrown
 * to the client as that stack; an error without one is thrown with reason
 * "LRC_CommandFailed" and the error's message as description. */
typedef int (*lrc_tg_command_fn)(lrc_tg_device *dev, void *user, const lrc_tg_value *in,
                                 lrc_tg_value *out, lrc_error **err);

/* Attribute read handler: fill *out (the shim clears it after the read).
 * Failure is reported to the client like a command failure. */
typedef int (*lrc_tg_read_fn)(lrc_tg_device *dev, void *user, lrc_tg_value *out, lrc_error **err);

typedef struct lrc_tg_class_def {
    const char *class_name; /* Tango class name, e.g. "LrcDemo" */
    /* Called for each device on start-up and on Init (device lock held;
     * state UNKNOWN and status "Not initialised" on entry). Adds the
     * device's commands and attributes. Return LRC_OK or fail (the device
     * then goes to FAULT with the message as status; what was registered
     * stays callable, and delete_device is still called later). */
    int (*init_device)(lrc_tg_device *dev, void *class_user, lrc_error **err);
    /* Called before the device is deleted or re-initialised, WITHOUT the
     * device lock (see above). Must stop the device's threads; after it
     * returns, the handlers registered for the device are not called any
     * more. May be NULL. */
    void (*delete_device)(lrc_tg_device *dev, void *class_user);
    void *class_user;
} lrc_tg_class_def;

/* Runs a device server: argv as for any Tango server ("NAME INSTANCE
 * [tango options]"; the server name is the executable's base name). Prints
 * "Ready to accept request" once serving, blocks until the server shuts
 * down (Kill command or SIGTERM/SIGINT: every device gets delete_device),
 * then returns LRC_OK. Start-up failures return LRC_ETANGO with the stack,
 * except those cppTango handles by printing a message and exiting the
 * process itself (status 255): instance not defined in the database,
 * database unreachable. argc < 2 gives LRC_EINVAL, a second call
 * LRC_ESTATE. Call once per process, from the main thread. */
int lrc_tg_server_run(int argc, char **argv, const lrc_tg_class_def *cls, lrc_error **err);

/* The per-device user pointer (NULL until set). */
void lrc_tg_device_set_user(lrc_tg_device *dev, void *user);
void *lrc_tg_device_user(const lrc_tg_device *dev);

/* The device name, e.g. "test/lrc/1". Owned by the device. */
const char *lrc_tg_device_name(const lrc_tg_device *dev);

/* Adds a command. in_type / out_type: any lrc_tg_type the shim supports for
 * commands (VOID, BOOLEAN, SHORT, LONG, LONG64, FLOAT, DOUBLE, USHORT,
 * ULONG, ULONG64, STRING, STATE, the numeric/boolean/string arrays,
 * LONG_STRING_ARRAY, DOUBLE_STRING_ARRAY); UCHAR and ENUM give LRC_EINVAL,
 * as do the reserved names State, Status and Init. A handler result of
 * another type than out_type reaches the client as a DevFailed
 * (LRC_WrongResultType). Call only from init_device. */
int lrc_tg_device_add_command(lrc_tg_device *dev, const char *name, lrc_tg_type in_type,
                              lrc_tg_type out_type, lrc_tg_command_fn fn, void *user,
                              lrc_error **err);

/* Adds a READ attribute. type: a scalar (BOOLEAN, SHORT, LONG, LONG64,
 * FLOAT, DOUBLE, USHORT, ULONG, ULONG64, UCHAR, STRING, STATE) or a
 * SPECTRUM of the element type (BOOLEAN_ARRAY, CHAR_ARRAY = DevUChar,
 * SHORT_ARRAY, LONG_ARRAY, LONG64_ARRAY, FLOAT_ARRAY, DOUBLE_ARRAY,
 * USHORT_ARRAY, ULONG_ARRAY, ULONG64_ARRAY, STRING_ARRAY); others give
 * LRC_EINVAL, as do the names State and Status. max_dim_x is the spectrum
 * size (>= 1; ignored for scalars), this device's own even when other
 * devices of the class declare the name with another size, and replaced by
 * the new one when an Init declares the attribute again. change_events /
 * archive_events declare that the code pushes those events itself (no
 * polling, no change detection by Tango). The read handler must return exactly `type`. The
 * value given to Tango stays alive until the next read of the attribute.
 * Call only from init_device. */
int lrc_tg_device_add_attribute(lrc_tg_device *dev, const char *name, lrc_tg_type type,
                                long max_dim_x, lrc_tg_read_fn fn, void *user,
                                bool change_events, bool archive_events, lrc_error **err);

/* Pushes a change event and/or an archive event carrying `v` for an
 * attribute added with those events enabled. The caller holds the device
 * lock. v is only read (cppTango copies it during the call) and must have
 * the attribute's type; 0-length spectra are pushed as such (clients see
 * an empty value). An event of a kind (change, archive) nobody ever
 * subscribed to for this attribute is not pushed (cppTango would send it to
 * nobody; a later subscriber reads the value first). Unknown attribute:
 * LRC_ENOTFOUND; wrong type or events not declared: LRC_EINVAL; cppTango
 * failures: LRC_ETANGO. */
int lrc_tg_device_push(lrc_tg_device *dev, const char *attr, const lrc_tg_value *v, bool change,
                       bool archive, lrc_error **err);

/* When a client last subscribed to the events of `attr`, one of the
 * device's pushed attributes (change or archive events declared with
 * lrc_tg_device_add_attribute), in CLOCK_MONOTONIC seconds, or -1 if never:
 * the moment the server answered the subscription request. The client's
 * event filter reaches the server's publisher some time later,
 * asynchronously; events pushed before that are lost for that client
 * (subscriptions.cpp). Any thread, no lock needed. */
double lrc_tg_device_subscribed_at(lrc_tg_device *dev, const char *attr);

/* The latest lrc_tg_device_subscribed_at over all the device's pushed
 * attributes, or -1 if none was ever subscribed to: one atomic load, so
 * that a caller can rule out every young subscription at once before
 * asking attribute by attribute. Any thread, no lock needed. */
double lrc_tg_device_last_subscribed_at(lrc_tg_device *dev);

/* The same, for subscriptions made by the client whose request the calling
 * thread serves (call from a command handler): -1 if that client never
 * subscribed to `attr` (within the last minute). Clients are told apart by
 * the identity cppTango receives with each call (process ID and host);
 * for a caller without one, any client's subscription counts. */
double lrc_tg_device_caller_subscribed_at(lrc_tg_device *dev, const char *attr);

/* The device lock (cppTango's device monitor, the one Tango holds while it
 * runs this device's handlers; re-entrant per thread; any thread). Blocks
 * until it is free; returns LRC_OK, or LRC_ETIMEDOUT when cppTango's
 * monitor timeout (3.2 s) expires first, in which case the lock is NOT held
 * and unlock must not be called. Unlock from a thread that does not own
 * the lock is ignored. */
int lrc_tg_device_lock(lrc_tg_device *dev);
void lrc_tg_device_unlock(lrc_tg_device *dev);

/* Tango state and status of the device (from other threads than the
 * handlers': hold the device lock). get_state returns the state last set,
 * without Tango's alarm evaluation. */
void lrc_tg_device_set_state(lrc_tg_device *dev, lrc_tg_state state);
lrc_tg_state lrc_tg_device_get_state(lrc_tg_device *dev);
void lrc_tg_device_set_status(lrc_tg_device *dev, const char *status);

/* Sets the Status text (above: Latin-1 conversion) or, with NULL, goes back
 * to Tango's default text "The device is in <STATE> state.", which then
 * follows the state. State and Status are declared as pushed by the code
 * (clients subscribe to their change events without polling): a set_state
 * or set_status that changes the value pushes its change event (a state
 * change also pushes Status while the default text is in use). Caller holds
 * the device lock, as for every push. */

/* The device's Tango logger (log4tango; its level and targets are set
 * through the admin device or the logging_* properties). level uses
 * lrc/log.h's numbers (DEBUG 10 .. CRITICAL 50 = Tango's FATAL).
 * log_enabled: whether the device's level lets such a message through.
 * log: sends msg (UTF-8, sent as Latin-1, lossy) if enabled. Any thread,
 * no lock needed, from init_device until delete_device returns. */
bool lrc_tg_device_log_enabled(lrc_tg_device *dev, int level);
void lrc_tg_device_log(lrc_tg_device *dev, int level, const char *msg);

/* Reads a device property from the database. A multi-valued property is
 * returned joined with ","; an unset one, or any property when the server
 * runs without a database (-nodb), gives LRC_OK with *value = NULL.
 * *value is malloc'd, freed by the caller. Call from init_device. */
int lrc_tg_device_get_property(lrc_tg_device *dev, const char *name, char **value,
                               lrc_error **err);

#ifdef __cplusplus
}
#endif

#endif /* LRC_TANGO_SHIM_H */
