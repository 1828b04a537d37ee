/* deliver.c - running callbacks on a scheduler worker: the handshake that
 * lets a handle be freed while its callback runs on another thread (or from
 * inside it), and one decoded batch of updates delivered behind it. Shared
 * by invocations, watches and plain event registrations. */
#include "core/client_internal.h"
#include "core/log_internal.h"

#include <string.h>

void lrc_gate_init(lrc_gate *g)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
}

void lrc_gate_destroy(lrc_gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

/* This thread's entries, innermost first. */
static _Thread_local lrc_gate_entry *entries;

bool lrc_gate_enter(lrc_gate *g, lrc_gate_entry *e)
{
    pthread_mutex_lock(&g->mu);
    bool go = !g->closed;
    if (go)
        g->inside++;
    pthread_mutex_unlock(&g->mu);
    if (go) {
        e->gate = g;
        e->outer = entries;
        entries = e;
    }
    return go;
}

void lrc_gate_leave(lrc_gate_entry *e)
{
    entries = e->outer;
    lrc_gate *g = e->gate;
    pthread_mutex_lock(&g->mu);
    g->inside--;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

bool lrc_gate_is_closed(lrc_gate *g)
{
    pthread_mutex_lock(&g->mu);
    bool closed = g->closed;
    pthread_mutex_unlock(&g->mu);
    return closed;
}

void lrc_gate_close(lrc_gate *g)
{
    int own = 0; /* this thread's entries: closing from inside */
    for (const lrc_gate_entry *e = entries; e; e = e->outer)
        own += e->gate == g;
    pthread_mutex_lock(&g->mu);
    g->closed = true;
    while (g->inside > own)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

/* The public view of one decoded update. */
static void fill_update(const lrc_decoded *dd, const char *command_id, int version, bool final,
                        lrc_update *u)
{
    memset(u, 0, sizeof *u);
    u->size = sizeof *u;
    u->has = dd->has;
    u->command_id = command_id;
    u->protocol_version = version;
    u->status = dd->status;
    u->progress = dd->progress;
    u->result_json = dd->result_json;
    u->result_code = dd->result_code;
    u->result_message = dd->result_message;
    u->error = dd->error;
    u->extra_json = dd->extra_json;
    u->status_raw = dd->status_raw;
    u->final = final;
    u->end = dd->end;
    u->last_status = dd->last_status;
}

void lrc_deliver_updates(lrc_gate *g, const lrc_update_sink *sink, const lrc_decode_out *out,
                         const char *command_id, bool final)
{
    lrc_gate_entry in;
    if (!lrc_gate_enter(g, &in))
        return;
    for (size_t i = 0; i < out->nlogs; i++)
        lrc_log_to(sink->log, sink->log_user, out->logs[i].level, "%s", out->logs[i].text);
    for (size_t i = 0; i < out->n; i++) {
        if (i > 0 && lrc_gate_is_closed(g))
            break; /* freed from inside the previous callback */
        lrc_update u;
        fill_update(&out->upd[i], command_id, sink->version, final && i + 1 == out->n, &u);
        sink->fn(&u, sink->user);
    }
    lrc_gate_leave(&in);
}
