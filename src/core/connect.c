/* connect.c - lrc_connect_interface / lrc_disconnect_interface: keep a
 * device's LRC streams subscribed, and its callback queue on a scheduler
 * allocated, between invocations. */
#include "core/client_internal.h"
#include "core/error_build.h"

#include <stdlib.h>
#include <string.h>

static lrc_binding *find_binding(lrc_proxy *p, lrc_scheduler *s)
{
    for (lrc_binding *b = p->bindings; b; b = b->next)
        if (b->sched == s)
            return b;
    return NULL;
}

int lrc_connect_interface(lrc_proxy *p, lrc_scheduler *s, lrc_error **err)
{
    if (!p)
        return lrc_fail(err, LRC_EINVAL, "lrc_connect_interface: NULL proxy");
    if (!s)
        s = lrc_scheduler_default();
    lrc_queue *q = NULL;
    int rc = lrc_proxy_queue(p, s, &q, err); /* creates the binding */
    if (rc != LRC_OK)
        return rc;
    lrc_queue_unref(q);

    pthread_mutex_lock(&p->mu);
    bool already = find_binding(p, s)->connected;
    pthread_mutex_unlock(&p->mu);
    if (already)
        return LRC_OK;

    int version;
    if ((rc = lrc_proxy_negotiate(p, NULL, NULL, &version, err)) != LRC_OK)
        return rc;
    size_t n;
    lrc_stream *held[3];
    if ((rc = lrc_stream_acquire_protocol(p, version, NULL, held, &n, "lrc::lrc_connect_interface",
                                          err)) != LRC_OK)
        return rc;

    pthread_mutex_lock(&p->mu);
    lrc_binding *b = find_binding(p, s);
    bool lost_race = b->connected; /* another thread connected meanwhile */
    if (!lost_race) {
        b->connected = true;
        b->nconn = n;
        memcpy(b->conn_streams, held, n * sizeof *held);
    }
    pthread_mutex_unlock(&p->mu);
    if (lost_race)
        lrc_stream_release_all(p, held, n, NULL, NULL, NULL);
    return LRC_OK;
}

int lrc_disconnect_interface(lrc_proxy *p, lrc_scheduler *s)
{
    if (!p)
        return LRC_EINVAL;
    if (!s)
        s = lrc_scheduler_default();
    lrc_stream *held[3];
    size_t n = 0;
    pthread_mutex_lock(&p->mu);
    lrc_binding *b = find_binding(p, s);
    bool connected = b && b->connected;
    if (connected) {
        b->connected = false;
        n = b->nconn;
        memcpy(held, b->conn_streams, n * sizeof *held);
        b->nconn = 0;
    }
    pthread_mutex_unlock(&p->mu);
    if (!connected)
        return LRC_ENOTFOUND;
    lrc_stream_release_all(p, held, n, NULL, NULL, NULL);
    return LRC_OK;
}
