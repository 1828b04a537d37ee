/*
 * client_internal.h - the objects behind lrc/client.h, shared by proxy.c
 * (device handles, callback queues, negotiation), stream.c (shared event
 * streams and routing by command ID), invocation.c (one LRC being followed
 * and the items its callbacks run from), invoke.c (the lrc_invoke sequence)
 * and connect.c.
 *
 * Locks, in the order they may be taken:
 *  1. p->mu, one per proxy: guards the proxy's streams, bindings, signature
 *     cache and counters, and the routing state of its invocations (state,
 *     command ID, early-event buffer, decoder memory, attached streams).
 *     Held while an event is routed, which includes pushing onto scheduler
 *     queues; never held while calling the transport, a user callback or
 *     the log hook of an invocation.
 *  2. the scheduler's lock (inside lrc_queue_push and friends).
 *  3. inv->cb_mu, one per invocation: the callback handshake (released,
 *     running). Never held while calling out either.
 * Reference counts are atomic, so dropping one needs no lock; freeing an
 * invocation takes no lock of its proxy (an overflowing queue may discard
 * one of its items inside a push made under p->mu).
 */
#ifndef LRC_CLIENT_INTERNAL_H
#define LRC_CLIENT_INTERNAL_H

#include "core/decode.h"
#include "core/error_build.h" /* LRC_PRINTF */
#include "core/transport.h"
#include "lrc/client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lrc_stream lrc_stream;

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
    lrc_proxy_stats st;
};

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
 * not be queued: the scheduler is gone). Call right after releasing p->mu,
 * also on a Tango thread: unsubscribing from inside an event callback is
 * allowed as long as no lock of ours is held. */
void lrc_proxy_reap(lrc_proxy *p);

/* Negotiates the LRC protocol version with the device (section 2.2 step
 * 2). Logs the incompatibility with `log`/`log_user` (NULL: the hook). */
int lrc_proxy_negotiate(lrc_proxy *p, lrc_log_fn log, void *log_user, int *version,
                        lrc_error **err);

/* ---- streams (stream.c) ------------------------------------------------- */

/* Something that receives a stream's events: an invocation or a plain
 * event registration. Called under p->mu on the Tango thread: it may only
 * route (push onto queues), never call out. */
typedef struct lrc_listener {
    void (*on_event)(struct lrc_listener *l, lrc_stream_kind kind, const lrc_tg_event *ev);
} lrc_listener;

/* Takes a reference on p's stream for `attr`, subscribing it if it does not
 * exist (waiting if another thread is subscribing it), and adds listener l
 * (may be NULL): before subscribing when the stream is new, so l sees the
 * initial value too. On failure the
 * error is Tango's (the caller adds its own context). stats.subscribes
 * counts real subscriptions. Must be called without p->mu. */
int lrc_stream_acquire(lrc_proxy *p, const char *attr, lrc_listener *l, lrc_stream **out,
                       lrc_error **err);

/* Removes listener l (may be NULL) and drops a reference; the last one
 * unsubscribes (a failure is logged as a
 * warning through log/log_user, NULL: the hook). Without p->mu. */
void lrc_stream_release(lrc_proxy *p, lrc_stream *s, lrc_listener *l, lrc_log_fn log,
                        void *log_user);

/* Adds / removes a listener (under p->mu). */
int lrc_stream_listen(lrc_stream *s, lrc_listener *l);
void lrc_stream_unlisten(lrc_stream *s, lrc_listener *l);

const char *lrc_stream_name(const lrc_stream *s);

/* When the stream's Tango subscription was made (lrc_now_ms). A young
 * stream may still miss events: ZeroMQ propagates a new subscription to the
 * device server asynchronously, and the server drops what it publishes
 * before the subscription arrives (cppTango gives no confirmation). */
int64_t lrc_stream_live_since_ms(const lrc_stream *s);

/* How young a stream is still distrusted, and how long lrc_invoke waits
 * for the first event of a command on such a stream before it asks the
 * device directly. */
#define LRC_YOUNG_STREAM_MS 1000
#define LRC_FIRST_EVENT_WAIT_MS 1000

/* The attributes a protocol version listens to, in subscription order
 * (v2: _lrcEvent; v1: status, progress, result). */
const char *const *lrc_protocol_attrs(int version, size_t *n);

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

#define LRC_EARLY_MAX 4096

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
    lrc_early *early;
    size_t nearly, cap_early;
    bool early_lost;      /* the early buffer overflowed or expired */
    int64_t early_deadline_ms;
    size_t nstreams;
    lrc_stream *streams[3];
    bool detached; /* stream references given back */
    bool young_stream; /* a stream may still miss events (see stream.c)  */
    bool seen_event;   /* an event for the command ID was routed          */
    lrc_subscription *reap_next; /* on p->reap, holding one reference      */
    bool reaping;                /* on p->reap                              */

    /* Under cb_mu: */
    pthread_mutex_t cb_mu;
    pthread_cond_t cb_cv;
    bool released;      /* lrc_subscription_free was called */
    bool running;       /* a callback runs now */
    pthread_t running_thread;
};

/* A new invocation holding a reference on p and on q; state PENDING, no
 * streams yet. */
int lrc_inv_new(lrc_proxy *p, lrc_queue *q, lrc_update_fn cb, void *user,
                const lrc_invoke_options *opts, lrc_subscription **out);

void lrc_inv_unref(lrc_subscription *inv);

/* Acquires the streams of protocol `version` and listens on them. On
 * failure nothing stays acquired and *failed_attr names the attribute. */
int lrc_inv_attach(lrc_subscription *inv, int version, const char **failed_attr, lrc_error **err);

/* Gives back the stream references (idempotent; without p->mu). A failed
 * unsubscribe is logged to the invocation's logger (section 2.4). */
void lrc_inv_detach(lrc_subscription *inv);

/* The command returned this ID: replays the early events in order and
 * routes the later ones. Takes p->mu. */
int lrc_inv_activate(lrc_subscription *inv, const char *command_id);

/* After lrc_inv_activate, when a stream was young: waits (bounded) for the
 * first event of the command; if none came, its events were lost before
 * the subscription took effect: asks the device for the command's status
 * (CheckLongRunningCommandStatus) and, if it already ended, delivers the
 * final update from lrcFinished (v2) or longRunningCommandResult (v1).
 * Logs what it did. On the invoking thread, without locks. */
void lrc_inv_confirm(lrc_subscription *inv);

/* Queues *out as the final update unless the invocation already ended
 * (then it is dropped); true if queued. *out is consumed. Takes p->mu. */
bool lrc_inv_deliver_final(lrc_subscription *inv, lrc_decode_out *out);

/* The invocation failed before it got an ID: drops the early events, stops
 * routing and detaches. */
void lrc_inv_abandon(lrc_subscription *inv);

/* Logs one message for an invocation: its own logger, else the hook. */
void lrc_inv_log(const lrc_subscription *inv, int level, const char *fmt, ...)
    LRC_PRINTF(3, 4);

/* Monotonic milliseconds. */
int64_t lrc_now_ms(void);

#endif /* LRC_CLIENT_INTERNAL_H */
