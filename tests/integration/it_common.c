/* it_common.c - see it_common.h. */
#define _POSIX_C_SOURCE 200809L
#include "it_common.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *g_exe;
it_impl g_impl = IT_IMPL_DEMO;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool it_wait_cond(pthread_mutex_t *mu, pthread_cond_t *cv, bool (*ok)(void *), void *arg,
                  double timeout_s)
{
    double end = mono_now() + timeout_s;
    pthread_mutex_lock(mu);
    bool good;
    while (!(good = ok(arg))) {
        double left = end - mono_now();
        if (left <= 0)
            break;
        /* pthread_cond_timedwait takes CLOCK_REALTIME */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + (left < 0.2 ? left : 0.2);
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(cv, mu, &ts);
    }
    pthread_mutex_unlock(mu);
    return good;
}

const char *it_impl_name(void) { return g_impl == IT_IMPL_PY ? "pydevice" : "demo"; }

lrct_server *it_server_start(const char *instance, const char *const *devices,
                             const char *const *props)
{
    if (g_impl == IT_IMPL_DEMO)
        return lrct_server_start(g_exe, instance, "LrcDemo", devices, props);
    const char *python = getenv("LRC_PYTHON");
    const char *cmd[] = {python && *python ? python : "/usr/bin/python3", g_exe, NULL};
    /* PyTango's run_server() names the server after the class */
    return lrct_server_start_cmd(cmd, "SkaLrcDevice", instance, "SkaLrcDevice", devices, props);
}

const char *const k_all_v2_attrs[] = {"_lrcEvent",
                                      "lrcQueue",
                                      "lrcExecuting",
                                      "lrcFinished",
                                      "longRunningCommandStatus",
                                      "longRunningCommandProgress",
                                      "longRunningCommandResult",
                                      "longRunningCommandsInQueue",
                                      "longRunningCommandIDsInQueue",
                                      "longRunningCommandInProgress",
                                      "commandedState",
                                      NULL};

const char *const k_v1_attrs[] = {"longRunningCommandStatus",
                                  "longRunningCommandProgress",
                                  "longRunningCommandResult",
                                  "longRunningCommandsInQueue",
                                  "longRunningCommandIDsInQueue",
                                  "longRunningCommandInProgress",
                                  NULL};

void it_init(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <lrc-demo-device or ska_lrc_device.py>\n", argv[0]);
        exit(2);
    }
    g_exe = argv[1];
    size_t len = strlen(g_exe);
    if (len > 3 && strcmp(g_exe + len - 3, ".py") == 0)
        g_impl = IT_IMPL_PY;
    fprintf(stderr, "device implementation: %s (%s)\n", it_impl_name(), g_exe);
    /* spec section 7, "Lost events": the suite raises the ZMQ HWMs */
    setenv("TANGO_EVENT_BUFFER_HWM", "100000", 0);
    setenv("TANGO_DS_EVENT_BUFFER_HWM", "100000", 0);
    if (lrct_db_up() != 0) {
        fprintf(stderr, "lrct_db_up failed\n");
        exit(1);
    }
}

int it_setup(void **state)
{
    it_dev *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    *state = d;
    return 0;
}

int it_teardown(void **state)
{
    it_dev *d = *state;
    bool clean = true;
    if (d) {
        clean = it_dev_stop(d);
        free(d);
    }
    *state = NULL;
    return clean ? 0 : -1; /* cmocka reports a failing teardown as a failure */
}

bool it_dev_start(it_dev *d, const char *tag, const char *const *props)
{
    d->t_start_real = lrct_now_real();
    d->max_exec = 1;
    d->instance = lrct_unique_name(tag);
    size_t dl = strlen(d->instance) + 32;
    d->device = malloc(dl);
    snprintf(d->device, dl, "test/%s/%s", g_impl == IT_IMPL_PY ? "skalrc" : "lrcdemo",
             d->instance);
    size_t np = 0;
    while (props && props[np])
        np++;
    char **full = calloc(np + 1, sizeof *full);
    for (size_t k = 0; k < np; k++) {
        size_t l = strlen(d->device) + strlen(props[k]) + 2;
        full[k] = malloc(l);
        snprintf(full[k], l, "%s:%s", d->device, props[k]);
        if (strncmp(props[k], "MaxExecutingTasks=", 18) == 0)
            d->max_exec = atoi(props[k] + 18);
    }
    const char *devs[2] = {d->device, NULL};
    d->srv = it_server_start(d->instance, devs, (const char *const *)full);
    for (size_t k = 0; k < np; k++)
        free(full[k]);
    free(full);
    if (!d->srv) {
        fprintf(stderr, "could not start %s %s (%s)\n", g_exe, d->instance, d->device);
        return false;
    }
    lrc_error *err = NULL;
    if (lrc_tg_proxy_open(d->device, 5000, &d->p, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fprintf(stderr, "proxy %s: %s\n", d->device, t);
        free(t);
        lrc_error_free(err);
        return false;
    }
    return true;
}

bool it_dev_record(it_dev *d, const char *const *attrs, bool v2, bool commanded)
{
    lrc_error *err = NULL;
    if (lrct_recorder_start(d->p, attrs, &d->rec, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fprintf(stderr, "recorder on %s: %s\n", d->device, t);
        free(t);
        lrc_error_free(err);
        return false;
    }
    d->m = lm_new(v2, commanded);
    return true;
}

bool it_dev_stop(it_dev *d)
{
    bool clean = true;
    if (d->rec) {
        lrct_recorder_stop(d->rec);
    }
    if (d->p) {
        lrc_tg_proxy_close(d->p);
        d->p = NULL;
    }
    if (d->rec) {
        lrct_recorder_free(d->rec);
        d->rec = NULL;
    }
    if (d->srv) {
        clean = lrct_server_stop(d->srv) == 0;
        d->srv = NULL;
    }
    lm_free(d->m);
    d->m = NULL;
    for (size_t k = 0; k < d->nids; k++)
        free(d->ids[k]);
    free(d->ids);
    d->ids = NULL;
    d->nids = d->capids = 0;
    free(d->instance);
    free(d->device);
    d->instance = d->device = NULL;
    return clean;
}

char *it_dev_start_faulty(it_dev *d, const char *tag, const char *prop)
{
    const char *const props[] = {prop, NULL};
    if (!it_dev_start(d, tag, props))
        return NULL;
    lrc_error *err = NULL;
    int state = lrct_state(d->p, &err);
    lrc_tg_value st = {0};
    if (state != LRC_TG_FAULT || lrc_tg_read_attribute(d->p, "Status", &st, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fprintf(stderr, "device with %s: state %d, not FAULT, or no Status: %s\n", prop, state,
                t ? t : "");
        free(t);
        lrc_error_free(err);
        lrc_tg_value_clear(&st);
        return NULL;
    }
    char *status = lrct_xstrdup(st.s ? st.s : "");
    lrc_tg_value_clear(&st);
    return status;
}

void it_dev_add_id(it_dev *d, const char *id)
{
    if (d->nids == d->capids) {
        d->capids = d->capids ? d->capids * 2 : 64;
        d->ids = realloc(d->ids, d->capids * sizeof *d->ids);
        if (!d->ids)
            abort();
    }
    d->ids[d->nids++] = lrct_xstrdup(id);
}

bool it_dev_known_id(const it_dev *d, const char *id)
{
    for (size_t k = 0; k < d->nids; k++)
        if (strcmp(d->ids[k], id) == 0)
            return true;
    return false;
}

bool it_call(it_dev *d, const char *cmd, const lrc_tg_value *in, int64_t *code, char **text)
{
    lrc_error *err = NULL;
    *text = NULL;
    int rc = lrct_lrc_call(d->p, cmd, in, code, text, &err);
    if (rc != LRC_OK) {
        char *t = lrct_error_text(err);
        fprintf(stderr, "%s failed: rc=%d %s\n", cmd, rc, t);
        free(t);
        lrc_error_free(err);
        return false;
    }
    if ((*code == RC_QUEUED || *code == RC_STARTED) && strcmp(cmd, "AbortCommands") != 0) {
        if (!lrct_is_command_id(*text, cmd)) {
            fprintf(stderr, "%s returned a malformed command id '%s' (section 1.2)\n", cmd, *text);
            return false;
        }
        double t = atof(*text);
        double now = lrct_now_real();
        if (fabs(t - now) > 60) {
            fprintf(stderr, "%s id time prefix %f is not now (%f)\n", cmd, t, now);
            return false;
        }
        if (it_dev_known_id(d, *text)) {
            fprintf(stderr, "%s returned a duplicate id %s\n", cmd, *text);
            return false;
        }
        it_dev_add_id(d, *text);
    }
    return true;
}

bool it_call_void(it_dev *d, const char *cmd, int64_t *code, char **text)
{
    return it_call(d, cmd, NULL, code, text);
}

bool it_call_str(it_dev *d, const char *cmd, const char *arg, int64_t *code, char **text)
{
    lrc_tg_value in;
    memset(&in, 0, sizeof in);
    in.type = LRC_TG_STRING;
    in.s = (char *)arg;
    return it_call(d, cmd, &in, code, text);
}

bool it_call_double(it_dev *d, const char *cmd, double arg, int64_t *code, char **text)
{
    lrc_tg_value in;
    memset(&in, 0, sizeof in);
    in.type = LRC_TG_DOUBLE;
    in.d = arg;
    return it_call(d, cmd, &in, code, text);
}

static bool is_terminal(int s)
{
    return s == TS_ABORTED || s == TS_COMPLETED || s == TS_REJECTED || s == TS_FAILED;
}

static int status_by_name(const char *n)
{
    for (int s = 0; s <= 7; s++)
        if (strcmp(lrct_status_name(s), n) == 0)
            return s;
    return -1;
}

typedef struct term_arg {
    const char *id;
    bool v2;
    int found;
} term_arg;

static bool pred_terminal(const lrct_event *const *ev, size_t n, void *arg)
{
    term_arg *a = arg;
    for (size_t k = 0; k < n; k++) {
        const lrct_event *e = ev[k];
        if (e->initial || e->is_error)
            continue;
        if (a->v2) {
            json_t *o = NULL;
            if (lrct_lrc_event(e, a->id, &o)) {
                json_t *st = json_object_get(o, "status");
                if (st && json_is_integer(st) && is_terminal((int)json_integer_value(st)))
                    a->found = (int)json_integer_value(st);
                json_decref(o);
                if (a->found >= 0)
                    return true;
            }
        } else if (strcmp(e->attr, "longRunningCommandStatus") == 0 &&
                   e->value.type == LRC_TG_STRING_ARRAY) {
            for (size_t i = 0; i + 1 < e->value.ns; i += 2) {
                if (strcmp(e->value.sv[i], a->id) == 0) {
                    int s = status_by_name(e->value.sv[i + 1]);
                    if (is_terminal(s)) {
                        a->found = s;
                        return true;
                    }
                }
            }
        }
    }
    return false;
}

static bool model_v2(const it_dev *d)
{
    const char *const *a = lm_attrs(d->m);
    for (size_t k = 0; a[k]; k++)
        if (strcmp(a[k], "_lrcEvent") == 0)
            return true;
    return false;
}

int it_wait_terminal(it_dev *d, const char *id, double timeout_s)
{
    term_arg a = {id, model_v2(d), -1};
    if (!lrct_wait(d->rec, pred_terminal, &a, timeout_s)) {
        fprintf(stderr, "no terminal status for %s within %.1f s; recording:\n", id, timeout_s);
        lrct_recorder_dump(d->rec, 0);
        return -1;
    }
    return a.found;
}

size_t it_observed_progress(it_dev *d, const char *id, long *out, size_t max)
{
    size_t n = 0, cnt = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, 0, &n);
    bool v2 = model_v2(d);
    long last = -1;
    for (size_t k = 0; k < n && cnt < max; k++) {
        const lrct_event *e = v[k];
        if (e->initial || e->is_error)
            continue;
        if (v2) {
            json_t *o = NULL;
            if (lrct_lrc_event(e, id, &o)) {
                json_t *p = json_object_get(o, "progress");
                if (p && json_is_integer(p))
                    out[cnt++] = (long)json_integer_value(p);
                json_decref(o);
            }
        } else if (strcmp(e->attr, "longRunningCommandProgress") == 0) {
            for (size_t i = 0; i + 1 < e->value.ns; i += 2) {
                if (strcmp(e->value.sv[i], id) == 0) {
                    long p = atol(e->value.sv[i + 1]);
                    if (p != last)
                        out[cnt++] = p;
                    last = p;
                }
            }
        }
    }
    free(v);
    return cnt;
}

bool it_expect_lifecycle(it_dev *d, size_t from, const char *id, const char *name,
                         int final_status, const json_t *final_result, size_t *next)
{
    long prog[256];
    size_t np = it_observed_progress(d, id, prog, 256);
    lm_create(d->m, id, name);
    lm_update_status(d->m, id, TS_QUEUED);
    lm_update_status(d->m, id, TS_IN_PROGRESS);
    for (size_t k = 0; k < np; k++)
        lm_update_progress(d->m, id, (int)prog[k]);
    lm_update_final(d->m, id, final_status, json_deep_copy(final_result));
    size_t ne = 0;
    lm_push *e = lm_take(d->m, &ne);
    bool ok = lm_expect(d->m, d->rec, from, e, ne, 5.0, next);
    lm_pushes_free(e, ne);
    if (!ok)
        fprintf(stderr, "  (lifecycle of %s %s)\n", name, id);
    return ok;
}

bool it_sentinel(it_dev *d, size_t from, const char *text)
{
    int64_t code = -1;
    char *id = NULL;
    if (!it_call_str(d, "Echo", text, &code, &id) || code != RC_QUEUED) {
        fprintf(stderr, "sentinel Echo not queued: code %lld '%s'\n", (long long)code,
                id ? id : "");
        free(id);
        return false;
    }
    bool ok = it_wait_terminal(d, id, 10) == TS_COMPLETED;
    json_t *res = json_pack("[i,s]", 0, text);
    ok = it_expect_lifecycle(d, from, id, "Echo", TS_COMPLETED, res, NULL) && ok;
    json_decref(res);
    free(id);
    return ok;
}

bool it_expect_removal(it_dev *d, size_t from, const char *id, size_t *next)
{
    lm_remove(d->m, id);
    size_t ne = 0;
    lm_push *e = lm_take(d->m, &ne);
    bool ok = lm_expect(d->m, d->rec, from, e, ne, 15.0, next);
    lm_pushes_free(e, ne);
    return ok;
}

json_t *it_last_json(it_dev *d, const char *attr)
{
    const lrct_event *e = lrct_recorder_last(d->rec, attr);
    return e ? lrct_event_json(e) : NULL;
}

/* ------------------------------------------------------------------ */
/* invariants */

#define INV_FAIL(...)                                                                              \
    do {                                                                                           \
        fprintf(stderr, "invariant violated (event #%zu %s): ", e->seq, e->attr);                  \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        ok = false;                                                                                \
    } while (0)

static bool only_keys(const json_t *o, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        bool f = false;
        for (size_t k = 0; allowed[k]; k++)
            if (strcmp(allowed[k], key) == 0)
                f = true;
        if (!f)
            return false;
    }
    return true;
}

static bool has_keys(const json_t *o, const char *const *required)
{
    for (size_t k = 0; required[k]; k++)
        if (!json_object_get(o, required[k]))
            return false;
    return true;
}

bool it_check_invariants(it_dev *d)
{
    bool ok = true;
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, 0, &n);
    json_t *times = json_object(); /* uid -> {submitted, started} */
    double lo = d->t_start_real - 5, hi = lrct_now_real() + 5;
    static const char *const lrc_keys[] = {"status", "progress", "result", NULL};
    static const char *const q_keys[] = {"uid", "name", "submitted_time", NULL};
    static const char *const x_allowed[] = {"uid", "name", "submitted_time", "started_time",
                                            "progress", NULL};
    static const char *const x_req[] = {"uid", "name", "submitted_time", "started_time", NULL};
    static const char *const f_allowed[] = {"uid",          "name",          "status",
                                            "submitted_time", "started_time", "finished_time",
                                            "result",       NULL};
    static const char *const f_req[] = {"uid", "name", "status", "submitted_time",
                                        "finished_time", NULL};
    for (size_t k = 0; k < n; k++) {
        const lrct_event *e = v[k];
        if (e->is_error) {
            char *t = lrct_error_text(e->error);
            INV_FAIL("error event: %s", t);
            free(t);
            continue;
        }
        const lrc_tg_value *val = &e->value;
        const char *a = e->attr;
        if (strcmp(a, "_lrcEvent") == 0) {
            if (e->initial) {
                if (val->ns != 0)
                    INV_FAIL("initial _lrcEvent value not empty (ns=%zu)", val->ns);
                continue;
            }
            if (val->type != LRC_TG_STRING_ARRAY || val->ns != 2) {
                INV_FAIL("_lrcEvent is not [id, json] (type %d, %zu strings)", (int)val->type,
                         val->ns);
                continue;
            }
            if (!it_dev_known_id(d, val->sv[0]))
                INV_FAIL("_lrcEvent for an id never returned to a client (ghost): %s",
                         val->sv[0]);
            json_t *o = lrct_json_parse(val->sv[1]);
            if (!o || !json_is_object(o) || json_object_size(o) == 0) {
                INV_FAIL("_lrcEvent payload not a non-empty JSON object: %s", val->sv[1]);
            } else {
                if (!only_keys(o, lrc_keys))
                    INV_FAIL("_lrcEvent payload has keys other than status/progress/result: %s",
                             val->sv[1]);
                json_t *st = json_object_get(o, "status");
                if (st && (!json_is_integer(st) || json_integer_value(st) < 0 ||
                           json_integer_value(st) > 7 || json_integer_value(st) == TS_NOT_FOUND))
                    INV_FAIL("_lrcEvent status not a pushable TaskStatus int: %s", val->sv[1]);
                json_t *pr = json_object_get(o, "progress");
                if (pr && !json_is_integer(pr))
                    INV_FAIL("_lrcEvent progress not an int: %s", val->sv[1]);
            }
            json_decref(o);
            continue;
        }
        bool is_q = strcmp(a, "lrcQueue") == 0, is_x = strcmp(a, "lrcExecuting") == 0,
             is_f = strcmp(a, "lrcFinished") == 0;
        if (is_q || is_x || is_f) {
            if (val->ns > 0 && val->type != LRC_TG_STRING_ARRAY) {
                INV_FAIL("not a string spectrum");
                continue;
            }
            if (is_f && val->ns > 100)
                INV_FAIL("lrcFinished has %zu > 100 items", val->ns);
            if (is_x && val->ns > (size_t)d->max_exec + 1)
                INV_FAIL("lrcExecuting has %zu > MaxExecutingTasks+1 items", val->ns);
            for (size_t i = 0; i < val->ns; i++) {
                json_t *o = lrct_json_parse(val->sv[i]);
                if (!o || !json_is_object(o)) {
                    INV_FAIL("item %zu is not a JSON object: %.200s", i, val->sv[i]);
                    json_decref(o);
                    continue;
                }
                const char *const *allowed = is_q ? q_keys : is_x ? x_allowed : f_allowed;
                const char *const *req = is_q ? q_keys : is_x ? x_req : f_req;
                if (!only_keys(o, allowed) || !has_keys(o, req))
                    INV_FAIL("item keys wrong (section 1.3 + submitted_time, section 7): %.300s",
                             val->sv[i]);
                const char *uid = json_string_value(json_object_get(o, "uid"));
                const char *name = json_string_value(json_object_get(o, "name"));
                if (!uid || !it_dev_known_id(d, uid))
                    INV_FAIL("item for an unknown id (ghost): %.200s", val->sv[i]);
                if (uid && (!name || strcmp(lrct_id_name(uid), name) != 0))
                    INV_FAIL("item name does not match the id: %.200s", val->sv[i]);
                const char *tk[] = {"submitted_time", "started_time", "finished_time"};
                double tv[3] = {-1, -1, -1};
                for (int t = 0; t < 3; t++) {
                    json_t *tj = json_object_get(o, tk[t]);
                    if (!tj)
                        continue;
                    if (!json_is_string(tj) || !lrct_is_iso_time(json_string_value(tj))) {
                        INV_FAIL("%s is not ISO-8601 with +00:00: %.200s", tk[t], val->sv[i]);
                        continue;
                    }
                    tv[t] = lrct_iso_time_seconds(json_string_value(tj));
                    if (tv[t] < lo || tv[t] > hi)
                        INV_FAIL("%s %s is not a time of this test run (UTC?)", tk[t],
                                 json_string_value(tj));
                }
                if (tv[0] >= 0 && tv[1] >= 0 && tv[1] < tv[0])
                    INV_FAIL("started before submitted: %.300s", val->sv[i]);
                if (tv[1] >= 0 && tv[2] >= 0 && tv[2] < tv[1])
                    INV_FAIL("finished before started: %.300s", val->sv[i]);
                if (tv[0] >= 0 && tv[2] >= 0 && tv[2] < tv[0])
                    INV_FAIL("finished before submitted: %.300s", val->sv[i]);
                json_t *pr = json_object_get(o, "progress");
                if (pr && !json_is_integer(pr))
                    INV_FAIL("progress not an integer: %.200s", val->sv[i]);
                if (is_f) {
                    const char *st = json_string_value(json_object_get(o, "status"));
                    int s = st ? status_by_name(st) : -1;
                    if (!is_terminal(s))
                        INV_FAIL("lrcFinished status is not a terminal TaskStatus NAME: %.200s",
                                 val->sv[i]);
                }
                if (uid) {
                    json_t *rec = json_object_get(times, uid);
                    if (!rec) {
                        rec = json_object();
                        json_object_set_new(times, uid, rec);
                    }
                    const char *keys[] = {"submitted_time", "started_time"};
                    for (int t = 0; t < 2; t++) {
                        json_t *tj = json_object_get(o, keys[t]);
                        if (!tj || !json_is_string(tj))
                            continue;
                        json_t *prev = json_object_get(rec, keys[t]);
                        if (prev && !json_equal(prev, tj))
                            INV_FAIL("%s of %s changed: %s -> %s", keys[t], uid,
                                     json_string_value(prev), json_string_value(tj));
                        else if (!prev)
                            json_object_set(rec, keys[t], tj);
                    }
                }
                json_decref(o);
            }
            continue;
        }
        if (strcmp(a, "longRunningCommandStatus") == 0) {
            if (val->ns % 2)
                INV_FAIL("odd length %zu", val->ns);
            int last_phase = 0;
            for (size_t i = 0; i + 1 < val->ns; i += 2) {
                if (!it_dev_known_id(d, val->sv[i]))
                    INV_FAIL("unknown id (ghost) %s", val->sv[i]);
                int s = status_by_name(val->sv[i + 1]);
                if (s < 0 || s == TS_NOT_FOUND) {
                    INV_FAIL("bad status name '%s'", val->sv[i + 1]);
                    continue;
                }
                int ph = is_terminal(s) ? 0 : s == TS_IN_PROGRESS ? 1 : 2;
                if (ph < last_phase)
                    INV_FAIL("order is not finished, executing, queued (section 1.3) at %s",
                             val->sv[i]);
                last_phase = ph;
            }
            continue;
        }
        if (strcmp(a, "longRunningCommandProgress") == 0) {
            if (val->ns % 2)
                INV_FAIL("odd length %zu", val->ns);
            for (size_t i = 0; i + 1 < val->ns; i += 2) {
                if (!it_dev_known_id(d, val->sv[i]))
                    INV_FAIL("unknown id (ghost) %s", val->sv[i]);
                const char *p = val->sv[i + 1];
                bool digits = *p != 0;
                for (const char *q = p; *q; q++)
                    if (!isdigit((unsigned char)*q) && !(q == p && *q == '-'))
                        digits = false;
                if (!digits)
                    INV_FAIL("progress '%s' is not an int as string", p);
            }
            continue;
        }
        if (strcmp(a, "longRunningCommandIDsInQueue") == 0) {
            for (size_t i = 0; i < val->ns; i++)
                if (!it_dev_known_id(d, val->sv[i]))
                    INV_FAIL("unknown id (ghost) %s", val->sv[i]);
            continue;
        }
        if (strcmp(a, "longRunningCommandResult") == 0) {
            if (val->ns != 2) {
                INV_FAIL("result attribute has %zu strings, not 2", val->ns);
                continue;
            }
            if (e->initial && strcmp(val->sv[0], "") == 0 && strcmp(val->sv[1], "") == 0)
                continue;
            if (!it_dev_known_id(d, val->sv[0]))
                INV_FAIL("unknown id (ghost) %s", val->sv[0]);
            json_t *j = lrct_json_parse(val->sv[1]);
            if (!j)
                INV_FAIL("result is not JSON: %.200s", val->sv[1]);
            json_decref(j);
            continue;
        }
    }
    json_decref(times);
    free(v);
    return ok;
}
