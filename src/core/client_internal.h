/*
 * client_internal.h - the objects behind lrc/client.h, shared by proxy.c
 * (device handles, callback queues, negotiation), stream.c (shared event
 * streams and routing by command ID), invocation.c (one LRC being followed
 * and the items its callbacks run from), invoke.c (the lrc_invoke sequence)
 * connect.c, watch.c (lrc_watch), device_query.c and list_commands.c.
 *
 * Locks, in the order they may be taken:
 *  1. p->mu, one per proxy: guards the proxy's streams, bindings, signature
 *     cache and counters, and the routing state of its invocations (state,
 *     command ID, early-event buffer, decoder memory, attached streams).
 *     Held while an event is routed, which includes pushing onto scheduler
 *     queues; never held while calling the transport, a user callback or
 *     the log hook of an invocation.
 *  2. the scheduler's lock (inside lrc_queue_push and friends).
 *  3. the lrc_gate of an invocation, watch or registration: the callback
 *     handshake (closed, running). Never held while calling out either.
 * Reference counts are atomic, so dropping one needs no lock; freeing an
 * invocation takes no lock of its proxy (an overflowing queue may discard
 * one of its items inside a push made under p->mu).
 */
#ifndef LRC_CLIENT_INTERNAL_H
#define LRC_CLIENT_INTERNAL_H

#include "core/decode.h"
#include "core/error_build.h" /* LRC_PRINTF */
#include "core/metrics.h"
#include "core/transport.h"
#include "lrc/client.h"
#include "lrc/device.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lrc_stream lrc_stream;

/* ---- running callbacks (deliver.c) ---------------------------------------- */

/* The callback handshake of a handle whose callbacks run on scheduler
 * workers: freeing the handle closes the gate, which waits until no other
 * thread is inside (a callback, or the handle's logger) and lets none enter
 * afterwards. A thread closing the gate from inside it (the handle freed
 * from its own callback) does not wait for itself: its call finishes
 * normally. Several threads may be inside at once (a worker's callback and
 * the invoking thread's log message). */
typedef struct lrc_gate {
    pthread_mutex_t mu; /* a leaf lock: never held while calling out */
    pthread_cond_t cv;
    bool closed;
    int inside; /* entries not yet left, on every thread */
} lrc_gate;

/* One thread's stay inside a gate, on that thread's stack; entries nest
 * (a callback may invoke, and so log, for another handle). */
typedef struct lrc_gate_entry {
    lrc_gate *gate;
    struct lrc_gate_entry *outer;
} lrc_gate_entry;

void lrc_gate_init(lrc_gate *g);
void lrc_gate_destroy(lrc_gate *g);
/* Enters unless the gate is closed (false then, and e is unused). */
bool lrc_gate_enter(lrc_gate *g, lrc_gate_entry *e);
/* Leaves what lrc_gate_enter entered, innermost first. */
void lrc_gate_leave(lrc_gate_entry *e);
bool lrc_gate_is_closed(lrc_gate *g);
/* Closes the gate; waits for the entries of other threads to leave. */
void lrc_gate_close(lrc_gate *g);

/* Where the updates of an invocation or watch go. */
typedef struct lrc_update_sink {
    lrc_update_fn fn;
    void *user;
    lrc_log_fn log; /* NULL: the hook */
    void *log_user;
    int version;    /* lrc_update.protocol_version */
} lrc_update_sink;

/* On a scheduler worker: unless g is closed, emits out's log lines to the
 * sink's logger and calls the sink's callback for each update of out (as
 * the update of command_id, which may be NULL), the last one marked final
 * when `final`; stops early when the gate is closed from inside a
 * callback. Takes no lock of the proxy. */
void lrc_deliver_updates(lrc_gate *g, const lrc_update_sink *sink, const lrc_decode_out *out,
                         const char *command_id, bool final);

/* ---- proxies (proxy.c) -------------------------------------------------- */

/* The proxy's callback queue on one scheduler, and its connection made by
 * lrc_connect_interface, if any. */
typedef struct lrc_binding {
    struct lrc_binding *next;
    lrc_scheduler *sched;
    lrc_queue *queue; /* one reference */
    bool connected;
    size_t nconn;
    lrc_stream *conn_streams[3]; /* stream references held by the connection */
} lrc_binding;

/* A command's signature, cached per proxy. */
typedef struct lrc_signature {
    struct lrc_signature *next;
    char *command;
    lrc_tg_type in_type, out_type;
} lrc_signature;

struct lrc_proxy {
    const lrc_transport *t;
    void *conn;     /* immutable */
    char *name;     /* immutable */
    int64_t timeout_ms; /* immutable */
    atomic_uint refs;   /* the user's handle, invocations, registrations */
    pthread_mutex_t mu;
    pthread_cond_t cv;  /* a stream finished subscribing */
    lrc_stream *streams;
    lrc_binding *bindings;
    lrc_signature *signatures;
    lrc_subscription *reap; /* ended invocations whose streams must be given
                               back once p->mu is released (lrc_proxy_reap) */
    lrc_proxy_stats st;   /* all but st.events, which lrc_proxy_get_stats
                             derives from mx (counted once, there) */
    lrc_proxy_metrics mx; /* the counters lrc_proxy_stats lacks (proxy.c
                             fills the rest when asked) */
    lrc_hist subscribe_time; /* successful Tango subscribe calls (ns) */
    lrc_queue_stats old_queues; /* counters of the queues bindings replaced
                                   (their scheduler was freed) ... */
    lrc_hist old_queue_time, old_callback_time; /* ... and their latencies */
    int64_t linger_ms;  /* immutable: lrc_proxy_options.linger_ms */
    int64_t lost_after_ms; /* immutable: lrc_proxy_options.lost_after_ms
                              (negative: never) */
    int64_t ask_failed_ms; /* when a question of an unreachable-device probe
                              last failed (recover.c): the other invocations
                              skip theirs for a while instead of each
                              waiting out the timeout */
    bool closed;        /* lrc_proxy_close ran: streams no longer linger */
    bool linger_armed;  /* a sweep of lingering streams is on the timer,
                           holding a proxy reference (stream.c) */
    int version;        /* the protocol negotiated last; 0: none yet */
    uint64_t visits;    /* on_event calls made by the streams' routing: how
                           many listeners each event cost (tests) */
};

/* Copies the caller's options `src` (NULL: none; a struct whose first
 * member is its size_t size, as its _init sets it) over the defaults in
 * dst (dst_size bytes): a caller built against an older, smaller struct
 * keeps the defaults of the fields it lacks. dst's size field becomes
 * dst_size. LRC_EINVAL "<fn>: options not initialised (call <init_fn>)"
 * when src's size is 0. */
int lrc_options_copy(void *dst, size_t dst_size, const void *src, const char *fn,
                     const char *init_fn, lrc_error **err);

/* Opens a proxy over any transport (lrc_proxy_open uses the Tango one). */
int lrc_proxy_open_with(const lrc_transport *t, const char *device, const lrc_proxy_options *opts,
                        lrc_proxy **out, lrc_error **err);

lrc_proxy *lrc_proxy_ref(lrc_proxy *p);
void lrc_proxy_unref(lrc_proxy *p);

/* The queue of p on scheduler s (created on first use). Returns a new
 * reference in *q. Takes p->mu. */
int lrc_proxy_queue(lrc_proxy *p, lrc_scheduler *s, lrc_queue **q, lrc_error **err);

/* The input and output types of a command (cached). */
int lrc_proxy_signature(lrc_proxy *p, const char *command, lrc_tg_type *in_type,
                        lrc_tg_type *out_type, lrc_error **err);

/* Gives back the streams of the invocations routing ended for while
 * p->mu was held and that nobody else will detach (their callbacks could
 * not be queued: the scheduler is gone). Call right after releasing p->mu.
 * On a Tango thread (lrc_on_tango_thread) the work goes to the reaper
 * thread: it may drop the last reference of the proxy, whose connection
 * must not be closed inside Tango's callback (lrc_proxy_unref defers that
 * too). */
void lrc_proxy_reap(lrc_proxy *p);

/* Negotiates the LRC protocol version with the device (section 2.2 step
 * 2). Logs the incompatibility with `log`/`log_user` (NULL: the hook). A
 * device without lrcProtocolVersions gets version 1, LRC-capable or not
 * (the v1 subscriptions then fail). */
int lrc_proxy_negotiate(lrc_proxy *p, lrc_log_fn log, void *log_user, int *version,
                        lrc_error **err);

/* Which of names[0..n) the device's attribute list holds (case-
 * insensitive): has[k]. One attribute_list call. */
int lrc_proxy_has_attributes(lrc_proxy *p, const char *const *names, size_t n, bool *has,
                             lrc_error **err);

/* What lrc_proxy_negotiate finds out, without judging it: asks the
 * device's attribute list and its lrcProtocolVersions and fills *info
 * (lrc_protocol_info_init first): lrc_capable, advertised, the range
 * ([1, 1] when not advertised) and the version negotiated from it (0 if
 * there is no common one; 1 for a device that is not LRC-capable).
 * LRC_OK, or a Tango failure or a malformed lrcProtocolVersions
 * (LRC_EPROTOCOL), *info then zeroed but for its size. Logs nothing. */
int lrc_proxy_probe(lrc_proxy *p, lrc_protocol_info *info, lrc_error **err);

/* The LRC_EPROTOCOL error of a range without a common version, with the
 * Python client's message. Never NULL (degrades to the out-of-memory
 * error). */
lrc_error *lrc_protocol_incompatible(const lrc_protocol_info *info);

/* ---- streams (stream.c) ------------------------------------------------- */

/* Something that receives a stream's events: an invocation, a watch or a
 * plain event registration. Called under p->mu on the Tango thread: it may
 * only route (push onto queues), never call out.
 *
 * A stream serves two kinds of listener. Those on its every-event list
 * (watches, registrations, invocations whose command ID is not known yet)
 * see every event, in the order they started listening. Those routed by
 * command ID (lrc_stream_route: an active invocation) see only the value
 * events that name their ID, found through a hash index: an event costs
 * the IDs it names, not the invocations in flight. A routed listener of a
 * v1 status or progress list is handed just the [id, value] pair at the
 * first place of its ID (what the decoder would read from the whole list);
 * error events and the value that follows one reach every listener whole.
 * Every-event listeners are served before the routed ones. */
typedef struct lrc_listener {
    void (*on_event)(struct lrc_listener *l, lrc_stream_kind kind, const lrc_tg_event *ev);
    /* May be NULL. After on_event of the first value that follows an error
     * event: cppTango re-subscribed (the device restarted, or its event
     * channel was down), and what the device published meanwhile is lost. */
    void (*on_resume)(struct lrc_listener *l);
    /* NULL, or the command ID lrc_stream_route routes it by; its owner
     * keeps the string alive while the listener listens. Under p->mu. */
    const char *route_id;
} lrc_listener;

/* Takes a reference on p's stream for `attr`, subscribing it if it does not
 * exist (waiting if another thread is subscribing it), and adds listener l
 * (may be NULL): before subscribing when the stream is new, so l sees the
 * initial value too. On failure the
 * error is Tango's (the caller adds its own context). stats.subscribes
 * counts real subscriptions. Must be called without p->mu. */
int lrc_stream_acquire(lrc_proxy *p, const char *attr, lrc_listener *l, lrc_stream **out,
                       lrc_error **err);

/* Removes listener l (may be NULL) and drops a reference. The last one
 * unsubscribes (a failure is logged as a warning through log/log_user,
 * NULL: the hook), unless the proxy lets streams linger: the stream then
 * stays subscribed for p->linger_ms, for the next lrc_stream_acquire, and
 * the timer unsubscribes it after that. Without p->mu. */
void lrc_stream_release(lrc_proxy *p, lrc_stream *s, lrc_listener *l, lrc_log_fn log,
                        void *log_user);

/* Acquires the streams of protocol `version` (lrc_protocol_attrs) into
 * held[0..*n) for listener l (may be NULL). On failure nothing stays
 * acquired and the error is LRC_ETANGO with reason SKA_InvokeLrcFailed
 * "Subscribing to '<attr>' change event failed." (origin `origin`) on top
 * of Tango's stack (a failure of ours with no stack keeps its text as a
 * DevError "LRC_Error" below it). Without p->mu. */
int lrc_stream_acquire_protocol(lrc_proxy *p, int version, lrc_listener *l, lrc_stream **held,
                                size_t *n, const char *origin, lrc_error **err);

/* Unsubscribes every lingering stream of p at once; none lingers
 * afterwards (lrc_proxy_close). Without p->mu; never on a Tango thread. */
void lrc_stream_drop_lingering(lrc_proxy *p);

/* The protocol version of p's LRC streams when they are subscribed and
 * healthy (no error event since their last value), so that negotiating
 * again would only repeat what they were subscribed for; 0 otherwise.
 * Takes p->mu. */
int lrc_stream_known_version(lrc_proxy *p);

/* lrc_stream_release of held[0..n). Without p->mu. */
void lrc_stream_release_all(lrc_proxy *p, lrc_stream **held, size_t n, lrc_listener *l,
                            lrc_log_fn log, void *log_user);

/* Adds a listener to the every-event list / removes it from the stream,
 * wherever it is (under p->mu). */
int lrc_stream_listen(lrc_stream *s, lrc_listener *l);
void lrc_stream_unlisten(lrc_stream *s, lrc_listener *l);

/* Moves listener l, on s's every-event list, to the index of l->route_id
 * (set by the caller): from now on it sees only the value events that name
 * that ID (and every error event). LRC_ENOMEM leaves it where it was, which
 * is slower but loses nothing: it still sees every event. Under p->mu. */
int lrc_stream_route(lrc_stream *s, lrc_listener *l);

const char *lrc_stream_name(const lrc_stream *s);

/* How long after an error event a stream stays in doubt: cppTango reports an
 * event gap (API_MissedEvents) only with the next event, so the congestion
 * that dropped events once may drop a final with nothing after it. */
#define LRC_STREAM_DOUBT_MS 60000

/* True within LRC_STREAM_DOUBT_MS of the stream's last error event: the
 * invocations that start on it then are asked every probe period until
 * they end (lrc_subscription.doubted). Under p->mu. */
bool lrc_stream_in_doubt(const lrc_stream *s);

/* When the stream's Tango subscription was made, or last came back after
 * an error event (cppTango re-subscribes by itself) (lrc_now_ms). A young
 * stream may still miss events: ZeroMQ propagates a new subscription to the
 * device server asynchronously, and the server drops what it publishes
 * before the subscription arrives (cppTango gives no confirmation). */
int64_t lrc_stream_live_since_ms(const lrc_stream *s);

/* How young a stream is still distrusted, and how long after the command's
 * reply the first event of a command on such a stream is awaited before
 * the device is asked directly (recover.c; lrc_invoke does not wait). */
#define LRC_YOUNG_STREAM_MS 1000
#define LRC_FIRST_EVENT_WAIT_MS 1000

/* The attributes a protocol version listens to, in subscription order
 * (v2: _lrcEvent; v1: status, progress, result). */
const char *const *lrc_protocol_attrs(int version, size_t *n);

/* ---- blocking waits (wait.c) --------------------------------------------- */

struct lrc_final_box;

/* What lrc_subscription_wait waits for: the invocation's final update,
 * recorded after its final callback returned, or the news that none will
 * come. */
typedef struct lrc_inv_waiters {
    pthread_mutex_t mu; /* a leaf lock: guards the fields below but the last */
    pthread_cond_t cv;  /* monotonic clock */
    bool done;          /* final recorded (rc LRC_OK) or none will come */
    int rc;             /* LRC_OK, LRC_ECLOSED (scheduler gone)           */
    bool freed;         /* lrc_subscription_free ran: waits return         */
    size_t waiting;     /* threads inside lrc_subscription_wait (tests)     */
    struct lrc_final_box *final;
    /* The latest result seen (v1 sends it before the final status). Only
     * touched by the items of the invocation's queue, which run serially. */
    unsigned res_has; /* LRC_HAS_RESULT, LRC_HAS_RESULT_CODE */
    char *result_json;
    int result_code;
    char *result_message;
} lrc_inv_waiters;

void lrc_waiters_init(lrc_inv_waiters *w);
void lrc_waiters_destroy(lrc_inv_waiters *w);

/* On the worker, after an item's callbacks: keeps its result, and for the
 * final item records the final update and wakes the waiters. */
void lrc_waiters_note(lrc_subscription *inv, const lrc_decode_out *out, bool final);

/* No final update will be delivered (its item was discarded, or could not
 * be queued): waits return rc. Any thread, any lock held. */
void lrc_waiters_end(lrc_inv_waiters *w, int rc);

/* lrc_subscription_free: waits return (LRC_ECLOSED unless done). */
void lrc_waiters_freed(lrc_inv_waiters *w);

/* ---- invocations (invocation.c) ----------------------------------------- */

typedef enum lrc_inv_state {
    LRC_INV_PENDING, /* the command has not returned: events are buffered  */
    LRC_INV_ACTIVE,  /* the ID is known: events are decoded and queued     */
    LRC_INV_ENDED    /* terminal status seen, failed, or released          */
} lrc_inv_state;

/* One buffered early event. */
typedef struct lrc_early {
    lrc_stream_kind kind;
    lrc_tg_value value; /* owned copy, or type VOID for an error */
    lrc_error *error;
} lrc_early;

/* The early buffer of one invocation holds at most this many bytes (the
 * strings kept plus a per-event overhead). */
#define LRC_EARLY_MAX_BYTES (256 * 1024)

struct lrc_subscription {
    lrc_listener listener; /* first: stream.c hands it back */
    lrc_proxy *p;          /* one reference */
    atomic_uint refs;      /* the user's handle (lrc_invoke's until it
                              returns when no handle is given out), the
                              attached streams, queued items */
    lrc_update_fn cb;
    void *user;
    lrc_log_fn logger; /* NULL: the hook */
    void *logger_user;
    lrc_queue *queue; /* one reference */
    int version;

    /* Under p->mu: */
    lrc_inv_state state;
    char *command_id;
    lrc_decode_state dec;
    char *command;        /* the command's name (immutable once attached)   */
    lrc_early *early;
    size_t nearly, cap_early;
    size_t early_bytes;   /* what the buffer holds, against LRC_EARLY_MAX_BYTES */
    bool early_lost;      /* the early buffer overflowed or expired */
    int64_t early_deadline_ms;
    size_t nstreams;
    lrc_stream *streams[3];
    bool detached; /* stream references given back (or being given back) */
    bool detaching; /* a thread is giving them back now (lrc_inv_detach) */
    bool young_stream; /* a stream may still miss events (see stream.c)  */
    bool confirm_pending; /* young: the first routed event is still to be
                             checked for STAGING (recover.c)             */
    bool seen_event;   /* an event for the command ID was routed          */
    bool seen_status;  /* ... one with a status                          */
    bool seen_staging; /* ... with STAGING: the history is complete      */
    bool has_last_status; /* last_status: the last TaskStatus routed or read */
    lrc_status last_status;
    bool errored;         /* an error event came since the last value: the
                             probe timer asks the device (recover.c)      */
    bool doubted;         /* its stream came back after an error (an event
                             gap, a reconnection): a later gap may swallow
                             the final with no event after it to reveal
                             it, so the probe timer asks the device every
                             period until the invocation ends (recover.c) */
    bool probe_armed;     /* that timer is on the reaper, with a reference */
    int64_t errored_since_ms; /* the first error event of this spell       */
    int64_t timeout_ms;   /* lrc_invoke_options.timeout_ms; 0: none        */
    int64_t deadline_ms;  /* ... as a time (lrc_now_ms)                    */
    bool probe_queued;    /* a probe's question waits on the queue         */
    lrc_subscription *reap_next; /* on p->reap, holding one reference      */
    bool reaping;                /* on p->reap                              */

    lrc_gate gate; /* closed by lrc_subscription_free */
    lrc_inv_waiters waiters; /* lrc_subscription_wait */
};

/* A new invocation of `command` holding a reference on p and on q; state
 * PENDING, no streams yet. */
int lrc_inv_new(lrc_proxy *p, lrc_queue *q, const char *command, lrc_update_fn cb, void *user,
                const lrc_invoke_options *opts, lrc_subscription **out);

void lrc_inv_unref(lrc_subscription *inv);

/* Acquires the streams of protocol `version` and listens on them
 * (lrc_stream_acquire_protocol: its errors, with `origin`). On failure
 * nothing stays acquired. */
int lrc_inv_attach(lrc_subscription *inv, int version, const char *origin, lrc_error **err);

/* Gives back the stream references (idempotent; without p->mu). A failed
 * unsubscribe is logged to the invocation's logger (section 2.4). */
void lrc_inv_detach(lrc_subscription *inv);

/* The command returned this ID: replays the early events in order and
 * routes the later ones. Takes p->mu. */
int lrc_inv_activate(lrc_subscription *inv, const char *command_id);

/* After lrc_inv_activate, without locks: when a stream was young and no
 * event of the command has been routed yet, arms the timer that asks the
 * device if none comes within LRC_FIRST_EVENT_WAIT_MS (recover.c). Returns
 * at once: lrc_invoke never waits for events. */
void lrc_inv_confirm(lrc_subscription *inv);

/* Takes back the timer of lrc_inv_confirm if it has not fired (the
 * invocation is being detached). Without locks. */
void lrc_inv_cancel_confirm(lrc_subscription *inv);

/* Why the device is asked about a command (recover.c). */
typedef enum lrc_recover_why {
    LRC_RECOVER_PROBE,       /* a stream is in error: is the device there?  */
    LRC_RECOVER_NO_EVENT,    /* young stream: no event within the bound     */
    LRC_RECOVER_NOT_STAGING, /* young stream: the first event was not STAGING */
    LRC_RECOVER_UNREADABLE,  /* an event could not be read, nor its status  */
    LRC_RECOVER_RESUMED      /* a stream came back after an error: events of
                                the meantime are lost                       */
} lrc_recover_why;

/* Queues, on the invocation's callback queue, an item that asks the device
 * for the command's status (CheckLongRunningCommandStatus) and delivers
 * what the events did not: a status lost on a young stream, or the final
 * status and the result the device kept (lrcFinished for v2,
 * longRunningCommandResult for v1). Logs what it did. Under p->mu (it only
 * pushes); the questions run on a worker, in order with the callbacks. */
void lrc_inv_queue_recovery(lrc_subscription *inv, lrc_recover_why why);

/* The result a finished command left on the device (list_commands.c):
 * its lrcFinished item (v2; the last 100 finished) or
 * longRunningCommandResult when that names it (v1; only the latest
 * result). Sets d's result fields (lrc_decoded_set_result) and returns
 * true if there is one; false when the device no longer has it or cannot
 * be read. Without locks. */
bool lrc_command_result(lrc_proxy *p, const char *id, int version, lrc_decoded *d);

/* v2: the final status and result of a command in the device's
 * lrcFinished (the last 100 finished), for a command whose status the
 * device no longer reports (NOT_FOUND once its entry expired). Sets d's
 * status and result and returns true when it is there with a terminal
 * status. Without locks. */
bool lrc_command_finished(lrc_proxy *p, const char *id, lrc_decoded *d);

/* Queues a status update read from the device (its first events were
 * lost) unless a status event was routed meanwhile or the invocation
 * ended; true if queued. Takes p->mu. */
bool lrc_inv_deliver_status(lrc_subscription *inv, lrc_status st);

/* Queues *out as the final update unless the invocation already ended
 * (then it is dropped); true if queued. *out is consumed. Takes p->mu. */
bool lrc_inv_deliver_final(lrc_subscription *inv, lrc_decode_out *out);

/* Ends an active invocation from the library's side (under p->mu): stops
 * routing and queues its one final update, marked LRC_HAS_END `end`, with
 * the last status seen and an error (code `code`: LRC_ETIMEDOUT or
 * LRC_ENOTFOUND) saying `why` (a sentence). False when
 * the invocation had already ended: nothing is queued then. The caller
 * calls lrc_proxy_reap(p) after releasing p->mu. */
bool lrc_inv_end_locked(lrc_subscription *inv, lrc_end end, int code, const char *why);

/* As lrc_inv_end_locked, taking p->mu. */
bool lrc_inv_end(lrc_subscription *inv, lrc_end end, int code, const char *why);

/* After lrc_inv_activate, without locks: arms the timer of
 * lrc_invoke_options.timeout_ms (inv->deadline_ms) if there is one. */
void lrc_inv_arm_timeout(lrc_subscription *inv);

/* Under p->mu: an error event reached the invocation; starts the probe
 * timer that asks the device while its streams stay in error (recover.c). */
void lrc_inv_arm_probe(lrc_subscription *inv);

/* Takes back the timers of lrc_inv_arm_timeout and lrc_inv_arm_probe
 * (the invocation is being detached). Without locks. */
void lrc_inv_cancel_timers(lrc_subscription *inv);

/* The invocation failed before it got an ID: drops the early events, stops
 * routing and detaches. */
void lrc_inv_abandon(lrc_subscription *inv);

/* Logs one message for an invocation: its own logger while the handle
 * lives (not after lrc_subscription_free returned), else the hook. */
void lrc_inv_log(lrc_subscription *inv, int level, const char *fmt, ...)
    LRC_PRINTF(3, 4);

/* ---- releases deferred off Tango's threads (reaper.c) -------------------- */

/* Marks the calling thread as inside a Tango event callback (nestable).
 * stream.c's event entry point does it. */
void lrc_tango_thread_enter(void);
void lrc_tango_thread_leave(void);
bool lrc_on_tango_thread(void);

/* Runs fn(arg) on the library's reaper thread (started on first use), in
 * order. For whatever would release Tango objects (unsubscribe, close a
 * connection) and is reached on a Tango thread, where cppTango forbids it.
 * Runs fn inline only when the thread cannot be had (out of resources). */
void lrc_reaper_defer(void (*fn)(void *), void *arg);

/* Runs fn(arg) on the reaper thread once lrc_now_ms() >= due_ms: the
 * library's timer. fn must not block for long (it holds up the releases
 * and the other timers). False, with nothing queued, when the thread or
 * the memory cannot be had. */
bool lrc_reaper_defer_at(int64_t due_ms, void (*fn)(void *), void *arg);

/* Removes the first queued job fn(arg) that has not started; true if there
 * was one (its arg is then the caller's to release). */
bool lrc_reaper_cancel(void (*fn)(void *), void *arg);

/* Waits (at most timeout_ms) until no deferred job that is due is queued
 * or running; true if none is. For tests and orderly exits. */
bool lrc_reaper_wait_idle(int64_t timeout_ms);

/* Monotonic milliseconds. */
int64_t lrc_now_ms(void);

#endif /* LRC_CLIENT_INTERNAL_H */
