/* fault_count.c - see fault_count.h. */
#define _POSIX_C_SOURCE 200809L

#include "fault_count.h"

#include "lrc/device.h"
#include "it_common.h"
#include "recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double fcount_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fcount_init(fcount *c)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
}

void fcount_clear(fcount *c)
{
    /* free outside the lock: lrc_subscription_free waits for a running
     * callback, which takes the lock */
    pthread_mutex_lock(&c->mu);
    fcount_inv **v = c->v;
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < n; i++)
        lrc_subscription_free(v[i]->sub);
    for (size_t i = 0; i < n; i++) {
        free(v[i]->id);
        free(v[i]);
    }
    free(v);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    memset(c, 0, sizeof *c);
}

static void on_update(const lrc_update *u, void *user)
{
    fcount_inv *r = user;
    fcount *c = r->owner;
    pthread_mutex_lock(&c->mu);
    r->updates++;
    c->updates++;
    if (u->has & LRC_HAS_ERROR) {
        r->errors++;
        c->errors++;
        c->missed += lrct_error_has_reason(u->error, "API_MissedEvents");
        c->timeouts += lrct_error_has_reason(u->error, "API_EventTimeout");
    }
    if (u->final) {
        if (r->finals++ == 0) {
            r->t_final = fcount_now();
            r->final_status = (u->has & LRC_HAS_STATUS) ? (int)u->status : -1;
        }
        c->finals++;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
}

bool fcount_invoke(fcount *c, lrc_proxy *p, const char *command, const lrc_arg *arg, bool verbose)
{
    fcount_inv *r = calloc(1, sizeof *r);
    if (!r)
        return false;
    r->owner = c;
    r->final_status = -1;
    r->t_invoke = fcount_now();
    lrc_error *err = NULL;
    lrc_subscription *sub = NULL;
    /* the record is in the table before any callback can run (never inside
     * lrc_invoke), but the ID and handle only after it returns */
    int rc = lrc_invoke(p, command, arg, on_update, r, NULL, &sub, &err);
    if (rc != LRC_OK) {
        if (verbose)
            fprintf(stderr, "fault_count: %s refused: %.200s\n", command,
                    lrc_error_message(err));
        for (size_t i = 0; verbose && i < lrc_error_count(err); i++)
            fprintf(stderr, "fault_count:   %s: %.200s\n", lrc_error_at(err, i)->reason,
                    lrc_error_at(err, i)->desc);
        lrc_error_free(err);
        free(r);
        pthread_mutex_lock(&c->mu);
        c->refused++;
        pthread_mutex_unlock(&c->mu);
        return false;
    }
    char *id = strdup(lrc_subscription_command_id(sub));
    pthread_mutex_lock(&c->mu);
    r->sub = sub;
    r->id = id;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        fcount_inv **v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&c->mu);
            abort(); /* a test program: no way to go on counting */
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = r;
    pthread_mutex_unlock(&c->mu);
    return true;
}

static bool all_final(fcount *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->finals == 0)
            return false;
    return true;
}

static bool all_final_arg(void *c) { return all_final(c); }

bool fcount_wait_finals(fcount *c, double timeout_s)
{
    return it_wait_cond(&c->mu, &c->cv, all_final_arg, c, timeout_s);
}

void fcount_totals_get(fcount *c, lrc_proxy *p, size_t check_from, fcount_totals *t)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    t->invocations = n;
    t->refused = c->refused;
    t->finals = c->finals;
    t->updates = c->updates;
    t->errors = c->errors;
    t->completed = t->lost = t->duplicates = 0;
    for (size_t i = 0; i < n; i++) {
        if (c->v[i]->final_status == LRC_STATUS_COMPLETED)
            t->completed++;
        if (c->v[i]->finals == 0)
            t->lost++;
        else if (c->v[i]->finals > 1)
            t->duplicates += c->v[i]->finals - 1;
    }
    pthread_mutex_unlock(&c->mu);
    if (!p)
        return;
    for (size_t i = check_from; i < n; i++) {
        pthread_mutex_lock(&c->mu);
        fcount_inv *r = c->v[i];
        bool has_final = r->finals > 0;
        int mine = r->final_status;
        pthread_mutex_unlock(&c->mu);
        if (!has_final)
            continue;
        lrc_status st;
        lrc_error *e = NULL;
        if (lrc_proxy_command_status(p, r->id, &st, &e) != LRC_OK) {
            fprintf(stderr, "fault_count: %s: the device cannot be asked: %s\n", r->id,
                    lrc_error_message(e));
            lrc_error_free(e);
            t->unasked++;
        } else if (st == LRC_STATUS_NOT_FOUND) {
            t->forgotten++;
        } else if ((int)st != mine) {
            fprintf(stderr, "fault_count: %s: final %s, the device says %s\n", r->id,
                    lrc_status_name(mine), lrc_status_name(st));
            t->untrue++;
        }
    }
}

void fcount_print(const char *name, int faults, const fcount_totals *t)
{
    printf("%s: invocations=%zu faults=%d finals=%zu lost=%zu duplicates=%zu completed=%zu "
           "refused=%zu updates=%zu error_updates=%zu untrue=%zu forgotten=%zu unasked=%zu\n",
           name, t->invocations, faults, t->finals, t->lost, t->duplicates, t->completed,
           t->refused, t->updates, t->errors, t->untrue, t->forgotten, t->unasked);
    fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bool fcount_latency(fcount *c, size_t from, double *min, double *med, double *max)
{
    pthread_mutex_lock(&c->mu);
    double *l = malloc((c->n > from ? c->n - from : 1) * sizeof *l);
    size_t k = 0;
    for (size_t i = from; l && i < c->n; i++)
        if (c->v[i]->finals)
            l[k++] = c->v[i]->t_final - c->v[i]->t_invoke;
    pthread_mutex_unlock(&c->mu);
    if (!k) {
        free(l);
        return false;
    }
    qsort(l, k, sizeof *l, cmp_double);
    *min = l[0];
    *med = l[k / 2];
    *max = l[k - 1];
    free(l);
    return true;
}
