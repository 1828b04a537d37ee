/* client_rec.c - see client_rec.h. */
#include "client_rec.h"
#include "it_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double crec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

void crec_init(crec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

void crec_clear(crec *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->u[i].command_id);
        free(r->u[i].result_json);
        free(r->u[i].extra_json);
        free(r->u[i].status_raw);
        free(r->u[i].error_reasons);
    }
    free(r->u);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

static char *reasons(const lrc_error *e)
{
    size_t len = 1;
    for (size_t i = 0; i < lrc_error_count(e); i++)
        len += strlen(lrc_error_at(e, i)->reason) + 1;
    char *s = calloc(1, len);
    for (size_t i = 0; i < lrc_error_count(e); i++) {
        if (i)
            strcat(s, ",");
        strcat(s, lrc_error_at(e, i)->reason);
    }
    return s;
}

void crec_cb(const lrc_update *u, void *user)
{
    crec *r = user;
    pthread_mutex_lock(&r->mu);
    if (r->inside++)
        r->concurrent = true;
    pthread_mutex_unlock(&r->mu);

    crec_update c = {0};
    c.has = u->has;
    c.command_id = dup_or_null(u->command_id);
    c.protocol_version = u->protocol_version;
    c.status = (u->has & LRC_HAS_STATUS) ? (int)u->status : -1;
    c.progress = u->progress;
    if (u->has & LRC_HAS_RESULT)
        c.result_json = dup_or_null(u->result_json);
    if (u->has & LRC_HAS_EXTRA)
        c.extra_json = dup_or_null(u->extra_json);
    if (u->has & LRC_HAS_UNKNOWN_STATUS)
        c.status_raw = dup_or_null(u->status_raw);
    if (u->has & LRC_HAS_ERROR)
        c.error_reasons = reasons(u->error);
    c.final = u->final;
    c.end = (u->has & LRC_HAS_END) ? (int)u->end : LRC_END_NONE;
    c.last_status = (u->has & LRC_HAS_LAST_STATUS) ? (int)u->last_status : -1;
    c.thread = pthread_self();
    c.at = crec_now();

    pthread_mutex_lock(&r->mu);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->u = realloc(r->u, r->cap * sizeof *r->u);
    }
    r->u[r->n++] = c;
    bool free_now = u->final && r->free_in_final && r->sub;
    lrc_subscription *sub = r->sub;
    if (free_now)
        r->sub = NULL;
    pthread_mutex_unlock(&r->mu);

    if (free_now)
        lrc_subscription_free(sub); /* from inside the final callback */

    pthread_mutex_lock(&r->mu);
    r->inside--;
    if (u->final)
        r->finals++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

typedef struct enough {
    crec *r;
    size_t n;
} enough;

static bool enough_finals(void *arg)
{
    enough *e = arg;
    return e->r->finals >= e->n;
}

static bool enough_updates(void *arg)
{
    enough *e = arg;
    return e->r->n >= e->n;
}

bool crec_wait_finals(crec *r, size_t finals, double timeout_s)
{
    enough e = {r, finals};
    return it_wait_cond(&r->mu, &r->cv, enough_finals, &e, timeout_s);
}

bool crec_wait_count(crec *r, size_t n, double timeout_s)
{
    enough e = {r, n};
    return it_wait_cond(&r->mu, &r->cv, enough_updates, &e, timeout_s);
}

char *crec_render(const crec_update *u)
{
    char buf[4096];
    size_t len = 0;
    buf[0] = '\0';
#define ADD(...) len += (size_t)snprintf(buf + len, sizeof buf - len, __VA_ARGS__)
    if (u->has & LRC_HAS_STATUS)
        ADD("%s%s", len ? " " : "", lrc_status_name(u->status));
    if (u->has & LRC_HAS_UNKNOWN_STATUS)
        ADD("%sstatus?=%s", len ? " " : "", u->status_raw);
    if (u->has & LRC_HAS_PROGRESS)
        ADD("%sprogress=%lld", len ? " " : "", u->progress);
    if (u->has & LRC_HAS_RESULT)
        ADD("%sresult=%s", len ? " " : "", u->result_json);
    if (u->has & LRC_HAS_EXTRA)
        ADD("%sextra=%s", len ? " " : "", u->extra_json);
    if (u->has & LRC_HAS_ERROR)
        ADD("%serror=%s", len ? " " : "", u->error_reasons);
    if (u->has & LRC_HAS_END)
        ADD("%send=%s", len ? " " : "", lrc_end_name(u->end));
    if (u->has & LRC_HAS_LAST_STATUS)
        ADD("%slast=%s", len ? " " : "", lrc_status_name(u->last_status));
    if (u->final)
        ADD(" FINAL");
#undef ADD
    return strdup(buf);
}

char *crec_sequence(crec *r)
{
    pthread_mutex_lock(&r->mu);
    size_t cap = 64, len = 0;
    char *s = calloc(1, cap);
    for (size_t i = 0; i < r->n; i++) {
        char *one = crec_render(&r->u[i]);
        size_t need = len + strlen(one) + 4;
        if (need > cap) {
            while (cap < need)
                cap *= 2;
            s = realloc(s, cap);
        }
        len += (size_t)sprintf(s + len, "%s%s", i ? " | " : "", one);
        free(one);
    }
    pthread_mutex_unlock(&r->mu);
    return s;
}

lrc_proxy *crec_warm_up(const char *device)
{
    lrc_proxy *w = NULL;
    lrc_error *err = NULL;
    if (lrc_proxy_open(device, NULL, &w, &err) != LRC_OK ||
        lrc_connect_interface(w, NULL, &err) != LRC_OK) {
        fprintf(stderr, "warm-up %s: %s\n", device, lrc_error_message(err));
        lrc_error_free(err);
        lrc_proxy_close(w);
        return NULL;
    }
    crec r;
    crec_init(&r);
    lrc_arg a = lrc_arg_string("warm-up");
    bool ok = lrc_invoke(w, "Echo", &a, crec_cb, &r, NULL, NULL, &err) == LRC_OK &&
              crec_wait_finals(&r, 1, 20);
    if (!ok)
        fprintf(stderr, "warm-up %s: %s\n", device, err ? lrc_error_message(err) : "no final");
    lrc_error_free(err);
    crec_clear(&r);
    if (!ok) {
        lrc_proxy_close(w);
        return NULL;
    }
    return w;
}

void crec_cool_down(lrc_proxy *warm) { lrc_proxy_close(warm); }

bool crec_sequence_matches(const char *seq, const char *want)
{
    if (strcmp(seq, want) == 0)
        return true;
    size_t ls = strlen(seq), lw = strlen(want);
    if (ls == 0 || ls >= lw || strcmp(want + lw - ls, seq) != 0)
        return false;
    if (lw - ls < 3 || strncmp(want + lw - ls - 3, " | ", 3) != 0)
        return false; /* not at an update boundary */
    fprintf(stderr, "note: the first events were lost by a new subscription: got \"%s\"\n", seq);
    return true;
}

int crec_fx_setup(void **state, const char *tag, const char *versions, bool warm)
{
    crec_fx *f = calloc(1, sizeof *f);
    void *ds = NULL;
    *state = f;
    if (!f || it_setup(&ds) != 0)
        return -1;
    f->d = ds;
    char prop[64];
    snprintf(prop, sizeof prop, "LrcProtocolVersions=%s", versions ? versions : "");
    const char *props[] = {prop, NULL};
    if (!it_dev_start(f->d, tag, versions ? props : NULL))
        return -1;
    if (warm && !(f->warm = crec_warm_up(f->d->device)))
        return -1;
    lrc_error *err = NULL;
    /* The tests follow each stream's life: streams end with their last use
     * (it_client_linger tests lingering). */
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.linger_ms = 0;
    if (lrc_proxy_open(f->d->device, &po, &f->p, &err) != LRC_OK) {
        fprintf(stderr, "lrc_proxy_open: %s\n", lrc_error_message(err));
        lrc_error_free(err);
        return -1;
    }
    return 0;
}

int crec_fx_teardown(void **state)
{
    crec_fx *f = *state;
    if (!f)
        return 0;
    lrc_proxy_close(f->p);
    crec_cool_down(f->warm);
    void *ds = f->d;
    int rc = it_teardown(&ds);
    free(f);
    *state = NULL;
    return rc;
}

void crec_expect_unsubscribed(lrc_proxy *p)
{
    lrc_proxy_stats st;
    lrc_proxy_get_stats(p, &st);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.subscribes, st.unsubscribes);
}

bool crec_ordered_subsequence(const char *seq, const char *const *want, size_t nwant)
{
    char *copy = strdup(seq);
    size_t k = 0;
    bool ok = true, last_matched = false;
    for (char *save = NULL, *item = strtok_r(copy, "|", &save); item;
         item = strtok_r(NULL, "|", &save)) {
        while (*item == ' ')
            item++;
        size_t l = strlen(item);
        while (l && item[l - 1] == ' ')
            item[--l] = '\0';
        while (k < nwant && strcmp(want[k], item) != 0)
            k++;
        if (k == nwant) {
            ok = false;
            break;
        }
        last_matched = k + 1 == nwant;
        k++;
    }
    free(copy);
    return ok && last_matched;
}
