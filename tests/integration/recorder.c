/* recorder.c - see recorder.h. */
#define _GNU_SOURCE /* strcasestr */

#include "recorder.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */

static const char *const k_status_names[] = {"STAGING",   "QUEUED",    "IN_PROGRESS", "ABORTED",
                                             "NOT_FOUND", "COMPLETED", "REJECTED",    "FAILED"};

const char *lrct_status_name(int status)
{
    if (status < 0 || status > 7)
        return NULL;
    return k_status_names[status];
}

double lrct_now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double lrct_now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *lrct_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        abort();
    memcpy(d, s, n);
    return d;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

/* ------------------------------------------------------------------ */
/* value copies */

static void value_copy(lrc_tg_value *dst, const lrc_tg_value *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src)
        return;
    dst->type = src->type;
    dst->i = src->i;
    dst->d = src->d;
    dst->s = lrct_xstrdup(src->s);
    if (src->ni && src->iv) {
        dst->iv = xmalloc(src->ni * sizeof *dst->iv);
        memcpy(dst->iv, src->iv, src->ni * sizeof *dst->iv);
        dst->ni = src->ni;
    }
    if (src->nd && src->dv) {
        dst->dv = xmalloc(src->nd * sizeof *dst->dv);
        memcpy(dst->dv, src->dv, src->nd * sizeof *dst->dv);
        dst->nd = src->nd;
    }
    if (src->ns && src->sv) {
        dst->sv = xmalloc(src->ns * sizeof *dst->sv);
        for (size_t k = 0; k < src->ns; k++)
            dst->sv[k] = lrct_xstrdup(src->sv[k] ? src->sv[k] : "");
        dst->ns = src->ns;
    }
}

static void value_free(lrc_tg_value *v)
{
    free(v->s);
    free(v->iv);
    free(v->dv);
    for (size_t k = 0; k < v->ns; k++)
        free(v->sv[k]);
    free(v->sv);
    memset(v, 0, sizeof *v);
}

/* ------------------------------------------------------------------ */
/* recorder */

typedef struct sub_ctx {
    lrct_recorder *r;
    char *attr;
    int sub_id;
    bool subscribed;
    bool subscribing;   /* inside lrc_tg_subscribe_change */
    pthread_t thread;   /* the subscribing thread         */
    bool got_initial;
} sub_ctx;

struct lrct_recorder {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lrc_tg_proxy *p;
    sub_ctx *subs;
    size_t nsubs;
    lrct_event **ev;
    size_t n, cap;
};

static void on_event(const lrc_tg_event *tev, void *user)
{
    sub_ctx *s = user;
    lrct_recorder *r = s->r;
    lrct_event *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    e->t = lrct_now_mono();
    e->attr = lrct_xstrdup(s->attr);
    if (tev->error || !tev->value) {
        e->is_error = true;
        e->error = tev->error ? lrc_error_dup(tev->error) : NULL;
    } else {
        value_copy(&e->value, tev->value);
    }
    pthread_mutex_lock(&r->mu);
    if (s->subscribing && pthread_equal(s->thread, pthread_self()) && !s->got_initial) {
        e->initial = true;
        s->got_initial = true;
    }
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 256;
        lrct_event **ne = realloc(r->ev, nc * sizeof *ne);
        if (!ne)
            abort();
        r->ev = ne;
        r->cap = nc;
    }
    e->seq = r->n;
    r->ev[r->n++] = e;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int lrct_recorder_start(lrc_tg_proxy *p, const char *const *attrs, lrct_recorder **out,
                        lrc_error **err)
{
    size_t n = 0;
    while (attrs[n])
        n++;
    lrct_recorder *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    r->p = p;
    r->subs = calloc(n ? n : 1, sizeof *r->subs);
    if (!r->subs)
        abort();
    r->nsubs = n;
    for (size_t k = 0; k < n; k++) {
        sub_ctx *s = &r->subs[k];
        s->r = r;
        s->attr = lrct_xstrdup(attrs[k]);
        pthread_mutex_lock(&r->mu);
        s->subscribing = true;
        s->thread = pthread_self();
        pthread_mutex_unlock(&r->mu);
        int id = -1;
        int rc = lrc_tg_subscribe_change(p, attrs[k], on_event, s, &id, err);
        pthread_mutex_lock(&r->mu);
        s->subscribing = false;
        pthread_mutex_unlock(&r->mu);
        if (rc != LRC_OK) {
            fprintf(stderr, "recorder: subscribing to '%s' failed\n", attrs[k]);
            lrct_recorder_free(r);
            return rc;
        }
        s->sub_id = id;
        s->subscribed = true;
    }
    /* A kit device holds its pushes for SubscriberHold (0.1 s by default)
     * after a subscription, with _lrcEvent and the other attributes held
     * apart (docs/protocol.md, "Fresh subscribers"): once that has passed,
     * what the test makes happen is pushed at once, in the order the tests
     * check. */
    struct timespec hold = {.tv_sec = 0, .tv_nsec = 150 * 1000 * 1000};
    while (nanosleep(&hold, &hold) != 0 && errno == EINTR) {
    }
    *out = r;
    return LRC_OK;
}

void lrct_recorder_stop(lrct_recorder *r)
{
    if (!r)
        return;
    for (size_t k = 0; k < r->nsubs; k++) {
        sub_ctx *s = &r->subs[k];
        if (s->subscribed) {
            lrc_error *e = NULL;
            if (lrc_tg_unsubscribe(r->p, s->sub_id, &e) != LRC_OK) {
                fprintf(stderr, "recorder: unsubscribe '%s' failed: %s\n", s->attr,
                        e ? lrc_error_message(e) : "?");
            }
            lrc_error_free(e);
            s->subscribed = false;
        }
    }
}

void lrct_recorder_free(lrct_recorder *r)
{
    if (!r)
        return;
    lrct_recorder_stop(r);
    for (size_t k = 0; k < r->nsubs; k++)
        free(r->subs[k].attr);
    free(r->subs);
    for (size_t k = 0; k < r->n; k++) {
        lrct_event *e = r->ev[k];
        free(e->attr);
        lrc_error_free(e->error);
        value_free(&e->value);
        free(e);
    }
    free(r->ev);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

size_t lrct_recorder_count(lrct_recorder *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

size_t lrct_recorder_initial_count(lrct_recorder *r)
{
    size_t c = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t k = 0; k < r->nsubs; k++)
        c += r->subs[k].got_initial ? 1 : 0;
    pthread_mutex_unlock(&r->mu);
    return c;
}

const lrct_event **lrct_recorder_snapshot(lrct_recorder *r, size_t from, size_t *n)
{
    pthread_mutex_lock(&r->mu);
    size_t cnt = r->n > from ? r->n - from : 0;
    const lrct_event **v = xmalloc((cnt ? cnt : 1) * sizeof *v);
    for (size_t k = 0; k < cnt; k++)
        v[k] = r->ev[from + k];
    pthread_mutex_unlock(&r->mu);
    *n = cnt;
    return v;
}

const lrct_event *lrct_recorder_last(lrct_recorder *r, const char *attr)
{
    const lrct_event *found = NULL;
    pthread_mutex_lock(&r->mu);
    for (size_t k = r->n; k-- > 0;) {
        if (strcmp(r->ev[k]->attr, attr) == 0) {
            found = r->ev[k];
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return found;
}

bool lrct_wait(lrct_recorder *r, lrct_pred_fn pred, void *arg, double timeout_s)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    double secs = (double)dl.tv_sec + (double)dl.tv_nsec * 1e-9 + timeout_s;
    dl.tv_sec = (time_t)secs;
    dl.tv_nsec = (long)((secs - (double)dl.tv_sec) * 1e9);
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->mu);
    bool ok;
    for (;;) {
        ok = pred((const lrct_event *const *)r->ev, r->n, arg);
        if (ok)
            break;
        int rc = pthread_cond_timedwait(&r->cv, &r->mu, &dl);
        if (rc == ETIMEDOUT) {
            ok = pred((const lrct_event *const *)r->ev, r->n, arg);
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return ok;
}

typedef struct count_arg {
    size_t from;
    const char *attr;
    size_t count;
} count_arg;

static bool pred_count(const lrct_event *const *ev, size_t n, void *arg)
{
    count_arg *a = arg;
    size_t c = 0;
    for (size_t k = a->from; k < n; k++) {
        if (ev[k]->initial)
            continue;
        if (a->attr && strcmp(ev[k]->attr, a->attr) != 0)
            continue;
        c++;
    }
    return c >= a->count;
}

bool lrct_wait_events(lrct_recorder *r, size_t from, const char *attr, size_t count,
                      double timeout_s)
{
    count_arg a = {from, attr, count};
    return lrct_wait(r, pred_count, &a, timeout_s);
}

static bool lrc_event_status_is(const lrct_event *e, const char *id, int status)
{
    json_t *o = NULL;
    if (!lrct_lrc_event(e, id, &o))
        return false;
    json_t *st = json_object_get(o, "status");
    bool ok = st && json_is_integer(st) && json_integer_value(st) == status;
    json_decref(o);
    return ok;
}

typedef struct status_arg {
    const char *id;
    int status;
} status_arg;

static bool pred_status(const lrct_event *const *ev, size_t n, void *arg)
{
    status_arg *a = arg;
    for (size_t k = 0; k < n; k++)
        if (lrc_event_status_is(ev[k], a->id, a->status))
            return true;
    return false;
}

bool lrct_wait_lrc_status(lrct_recorder *r, const char *id, int status, double timeout_s)
{
    status_arg a = {id, status};
    return lrct_wait(r, pred_status, &a, timeout_s);
}

long lrct_find_lrc_status(lrct_recorder *r, size_t from, const char *id, int status)
{
    long found = -1;
    pthread_mutex_lock(&r->mu);
    for (size_t k = from; k < r->n; k++) {
        if (lrc_event_status_is(r->ev[k], id, status)) {
            found = (long)k;
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return found;
}

void lrct_recorder_dump(lrct_recorder *r, size_t from)
{
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(r, from, &n);
    double t0 = n ? v[0]->t : 0;
    for (size_t k = 0; k < n; k++) {
        json_t *j = lrct_event_json(v[k]);
        char *s = lrct_json_str(j);
        size_t len = strlen(s);
        fprintf(stderr, "  #%zu +%.3fs %s%s %.*s%s\n", v[k]->seq, v[k]->t - t0, v[k]->attr,
                v[k]->initial ? " (initial)" : "", (int)(len > 400 ? 400 : len), s,
                len > 400 ? "..." : "");
        free(s);
        json_decref(j);
    }
    free(v);
}

/* ------------------------------------------------------------------ */
/* JSON */

json_t *lrct_json_parse(const char *text)
{
    if (!text)
        return NULL;
    json_error_t je;
    return json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
}

char *lrct_json_str(const json_t *j)
{
    if (!j)
        return lrct_xstrdup("(null)");
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    return s ? s : lrct_xstrdup("(unprintable)");
}

static json_t *parse_or_mark(const char *text)
{
    json_t *j = lrct_json_parse(text);
    if (!j)
        j = json_pack("{s:s}", "unparsable", text ? text : "(null)");
    return j;
}

static bool is_int_type(lrc_tg_type t)
{
    switch (t) {
    case LRC_TG_BOOLEAN_ARRAY:
    case LRC_TG_SHORT_ARRAY:
    case LRC_TG_LONG_ARRAY:
    case LRC_TG_USHORT_ARRAY:
    case LRC_TG_ULONG_ARRAY:
    case LRC_TG_LONG64_ARRAY:
    case LRC_TG_ULONG64_ARRAY:
    case LRC_TG_CHAR_ARRAY:
        return true;
    default:
        return false;
    }
}

json_t *lrct_event_json(const lrct_event *e)
{
    if (e->is_error) {
        const char *reason = "";
        size_t c = e->error ? lrc_error_count(e->error) : 0;
        if (c)
            reason = lrc_error_at(e->error, c - 1)->reason;
        return json_pack("{s:s,s:s}", "error", reason, "message",
                         e->error ? lrc_error_message(e->error) : "");
    }
    const lrc_tg_value *v = &e->value;
    const char *a = e->attr;
    if (v->type == LRC_TG_STRING)
        return json_string(v->s ? v->s : "");
    if (is_int_type(v->type)) {
        json_t *arr = json_array();
        for (size_t k = 0; k < v->ni; k++)
            json_array_append_new(arr, json_integer(v->iv[k]));
        return arr;
    }
    if (v->type == LRC_TG_STRING_ARRAY) {
        json_t *arr = json_array();
        bool items = strcmp(a, "lrcQueue") == 0 || strcmp(a, "lrcExecuting") == 0 ||
                     strcmp(a, "lrcFinished") == 0;
        bool pair = strcmp(a, "_lrcEvent") == 0 || strcmp(a, "longRunningCommandResult") == 0;
        for (size_t k = 0; k < v->ns; k++) {
            const char *s = v->sv[k] ? v->sv[k] : "";
            if (items || (pair && k == 1 && v->ns == 2 && *s))
                json_array_append_new(arr, parse_or_mark(s));
            else
                json_array_append_new(arr, json_string(s));
        }
        return arr;
    }
    if (v->type == LRC_TG_DOUBLE || v->type == LRC_TG_FLOAT)
        return json_real(v->d);
    if (v->type == LRC_TG_VOID)
        return json_null();
    return json_integer(v->i);
}

bool lrct_lrc_event(const lrct_event *e, const char *id, json_t **obj)
{
    if (e->is_error || e->initial || strcmp(e->attr, "_lrcEvent") != 0)
        return false;
    const lrc_tg_value *v = &e->value;
    if (v->type != LRC_TG_STRING_ARRAY || v->ns != 2)
        return false;
    if (id && strcmp(v->sv[0], id) != 0)
        return false;
    json_t *o = lrct_json_parse(v->sv[1]);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return false;
    }
    if (obj)
        *obj = o;
    else
        json_decref(o);
    return true;
}

/* ------------------------------------------------------------------ */
/* commands */

int lrct_lrc_call(lrc_tg_proxy *p, const char *cmd, const lrc_tg_value *in, int64_t *code,
                  char **text, lrc_error **err)
{
    lrc_tg_value out;
    memset(&out, 0, sizeof out);
    int rc = lrc_tg_command_inout(p, cmd, in, &out, err);
    if (rc != LRC_OK)
        return rc;
    if (out.type != LRC_TG_LONG_STRING_ARRAY || out.ni != 1 || out.ns != 1) {
        fprintf(stderr, "%s: unexpected output shape type=%d ni=%zu ns=%zu\n", cmd, (int)out.type,
                out.ni, out.ns);
        lrc_tg_value_clear(&out);
        return LRC_EJSON;
    }
    *code = out.iv[0];
    *text = lrct_xstrdup(out.sv[0]);
    lrc_tg_value_clear(&out);
    return LRC_OK;
}

int lrct_lrc_call_void(lrc_tg_proxy *p, const char *cmd, int64_t *code, char **text,
                       lrc_error **err)
{
    return lrct_lrc_call(p, cmd, NULL, code, text, err);
}

int lrct_lrc_call_str(lrc_tg_proxy *p, const char *cmd, const char *arg, int64_t *code,
                      char **text, lrc_error **err)
{
    lrc_tg_value in;
    memset(&in, 0, sizeof in);
    in.type = LRC_TG_STRING;
    in.s = (char *)arg;
    return lrct_lrc_call(p, cmd, &in, code, text, err);
}

int lrct_lrc_call_double(lrc_tg_proxy *p, const char *cmd, double arg, int64_t *code,
                         char **text, lrc_error **err)
{
    lrc_tg_value in;
    memset(&in, 0, sizeof in);
    in.type = LRC_TG_DOUBLE;
    in.d = arg;
    return lrct_lrc_call(p, cmd, &in, code, text, err);
}

char *lrct_check_status(lrc_tg_proxy *p, const char *id, lrc_error **err)
{
    lrc_tg_value in, out;
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    in.type = LRC_TG_STRING;
    in.s = (char *)id;
    if (lrc_tg_command_inout(p, "CheckLongRunningCommandStatus", &in, &out, err) != LRC_OK)
        return NULL;
    char *s = lrct_xstrdup(out.type == LRC_TG_STRING && out.s ? out.s : "(not a DevString)");
    lrc_tg_value_clear(&out);
    return s;
}

int lrct_state(lrc_tg_proxy *p, lrc_error **err)
{
    lrc_tg_value out;
    memset(&out, 0, sizeof out);
    if (lrc_tg_command_inout(p, "State", NULL, &out, err) != LRC_OK)
        return -1;
    int st = out.type == LRC_TG_STATE ? (int)out.i : -2;
    lrc_tg_value_clear(&out);
    return st;
}

json_t *lrct_read_strings(lrc_tg_proxy *p, const char *attr, lrc_error **err)
{
    lrc_tg_value out;
    memset(&out, 0, sizeof out);
    if (lrc_tg_read_attribute(p, attr, &out, err) != LRC_OK)
        return NULL;
    json_t *arr = json_array();
    if (out.type == LRC_TG_STRING_ARRAY) {
        for (size_t k = 0; k < out.ns; k++)
            json_array_append_new(arr, json_string(out.sv[k] ? out.sv[k] : ""));
    } else if (out.ns || out.ni) {
        json_decref(arr);
        arr = json_pack("{s:i}", "wrong_type", (int)out.type);
    }
    lrc_tg_value_clear(&out);
    return arr;
}

/* ------------------------------------------------------------------ */
/* formats */

static bool digits(const char *s, int n)
{
    for (int k = 0; k < n; k++)
        if (!isdigit((unsigned char)s[k]))
            return false;
    return true;
}

bool lrct_is_iso_time(const char *s)
{
    if (!s)
        return false;
    /* YYYY-MM-DDTHH:MM:SS */
    if (strlen(s) < 25)
        return false;
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
        s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
        s[16] != ':' || !digits(s + 17, 2))
        return false;
    const char *q = s + 19;
    if (*q == '.') {
        if (!digits(q + 1, 6))
            return false;
        q += 7;
    }
    return strcmp(q, "+00:00") == 0;
}

double lrct_iso_time_seconds(const char *s)
{
    if (!lrct_is_iso_time(s))
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    double frac = 0;
    if (s[19] == '.')
        frac = atof(s + 19);
    return (double)timegm(&tm) + frac;
}

bool lrct_is_command_id(const char *id, const char *name)
{
    if (!id)
        return false;
    const char *p = id;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p != '.')
        return false;
    p++;
    int dec = 0;
    while (isdigit((unsigned char)*p)) {
        p++;
        dec++;
    }
    if (dec < 1 || dec > 7 || *p != '_')
        return false;
    p++;
    const char *num = p;
    while (isdigit((unsigned char)*p))
        p++;
    if (p == num || *p != '_' || p - num > 15)
        return false;
    unsigned long long node = strtoull(num, NULL, 10);
    if (node >= (1ULL << 48))
        return false;
    p++;
    if (!*p)
        return false;
    if (name && strcmp(p, name) != 0)
        return false;
    return true;
}

const char *lrct_id_name(const char *id)
{
    const char *u = strrchr(id, '_');
    return u ? u + 1 : id;
}

char *lrct_error_text(const lrc_error *e)
{
    if (!e)
        return lrct_xstrdup("(no error object)");
    size_t cap = 256;
    for (size_t k = 0; k < lrc_error_count(e); k++) {
        const lrc_dev_error *d = lrc_error_at(e, k);
        cap += strlen(d->reason) + strlen(d->desc) + strlen(d->origin) + 32;
    }
    cap += strlen(lrc_error_message(e));
    char *s = xmalloc(cap);
    int off = snprintf(s, cap, "[%d] %s", lrc_error_code(e), lrc_error_message(e));
    for (size_t k = 0; k < lrc_error_count(e); k++) {
        const lrc_dev_error *d = lrc_error_at(e, k);
        off += snprintf(s + off, cap - (size_t)off, " | %s: %s (%s)", d->reason, d->desc,
                        d->origin);
    }
    return s;
}

bool lrct_error_mentions(const lrc_error *e, const char *needle)
{
    if (!e)
        return false;
    if (strcasestr(lrc_error_message(e), needle))
        return true;
    for (size_t k = 0; k < lrc_error_count(e); k++) {
        const lrc_dev_error *d = lrc_error_at(e, k);
        if (strcasestr(d->reason, needle) || strcasestr(d->desc, needle))
            return true;
    }
    return false;
}

bool lrct_error_has_reason(const lrc_error *e, const char *reason)
{
    if (!e)
        return false;
    for (size_t k = 0; k < lrc_error_count(e); k++)
        if (strcmp(lrc_error_at(e, k)->reason, reason) == 0)
            return true;
    return false;
}
