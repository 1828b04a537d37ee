/* model.c - see model.h. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    A_INQUEUE,
    A_IDS,
    A_STATUS,
    A_PROGRESS,
    A_RESULT,
    A_INPROGRESS,
    A_COMMANDED,
    A_LRCEVENT,
    A_QUEUE,
    A_EXECUTING,
    A_FINISHED,
    A_COUNT
};

static const char *const k_attr[A_COUNT] = {
    "longRunningCommandsInQueue", "longRunningCommandIDsInQueue", "longRunningCommandStatus",
    "longRunningCommandProgress", "longRunningCommandResult",     "longRunningCommandInProgress",
    "commandedState",             "_lrcEvent",                    "lrcQueue",
    "lrcExecuting",               "lrcFinished"};

typedef struct lm_cmd {
    char *id;
    char *name;
    int status;
    bool has_progress;
    long progress;
    json_t *result;
    bool started;
    long created_seq, started_seq, finished_seq;
    bool removed; /* from the v1 lists */
} lm_cmd;

struct lm {
    bool v2, commanded;
    lm_cmd **cmds;
    size_t n, cap;
    long seq;
    char *commanded_state;
    json_t *last[A_COUNT];
    lm_push *out;
    size_t nout, capout;
    int group;
    size_t sq_size;
    const char *attrs[A_COUNT + 1];
};

lm *lm_new(bool v2, bool commanded)
{
    lm *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->v2 = v2;
    m->commanded = commanded;
    m->commanded_state = lrct_xstrdup("None");
    for (int a = 0; a < A_COUNT; a++)
        m->last[a] = json_array();
    json_decref(m->last[A_RESULT]);
    m->last[A_RESULT] = json_pack("[s,s]", "", "");
    json_decref(m->last[A_COMMANDED]);
    m->last[A_COMMANDED] = json_string("None");
    size_t k = 0;
    for (int a = 0; a < A_COUNT; a++) {
        if (!v2 && (a == A_LRCEVENT || a == A_QUEUE || a == A_EXECUTING || a == A_FINISHED))
            continue;
        if (!commanded && a == A_COMMANDED)
            continue;
        m->attrs[k++] = k_attr[a];
    }
    m->attrs[k] = NULL;
    return m;
}

void lm_free(lm *m)
{
    if (!m)
        return;
    for (size_t k = 0; k < m->n; k++) {
        free(m->cmds[k]->id);
        free(m->cmds[k]->name);
        json_decref(m->cmds[k]->result);
        free(m->cmds[k]);
    }
    free(m->cmds);
    free(m->commanded_state);
    for (int a = 0; a < A_COUNT; a++)
        json_decref(m->last[a]);
    lm_pushes_free(m->out, m->nout);
    free(m);
}

const char *const *lm_attrs(const lm *m)
{
    return m->attrs;
}

static bool attr_enabled(const lm *m, int a)
{
    if (!m->v2 && (a == A_LRCEVENT || a == A_QUEUE || a == A_EXECUTING || a == A_FINISHED))
        return false;
    if (!m->commanded && a == A_COMMANDED)
        return false;
    return true;
}

static lm_cmd *find(lm *m, const char *id)
{
    for (size_t k = 0; k < m->n; k++)
        if (strcmp(m->cmds[k]->id, id) == 0)
            return m->cmds[k];
    return NULL;
}

static bool terminal(int s)
{
    return s == TS_ABORTED || s == TS_COMPLETED || s == TS_REJECTED || s == TS_FAILED;
}

/* ---- contents, computed from the state ---- */

static int phase(const lm_cmd *c)
{
    if (terminal(c->status))
        return 0;
    if (c->status == TS_IN_PROGRESS)
        return 1;
    return 2;
}

static long phase_key(const lm_cmd *c)
{
    switch (phase(c)) {
    case 0:
        return c->finished_seq;
    case 1:
        return c->started_seq;
    default:
        return c->created_seq;
    }
}

static int cmp_v1(const void *a, const void *b)
{
    const lm_cmd *x = *(lm_cmd *const *)a, *y = *(lm_cmd *const *)b;
    int px = phase(x), py = phase(y);
    if (px != py)
        return px - py;
    long kx = phase_key(x), ky = phase_key(y);
    return kx < ky ? -1 : kx > ky;
}

/* v1 ordering: finished, then executing, then staged/queued, each in
 * insertion order (section 1.3). */
static lm_cmd **v1_order(lm *m, size_t *n)
{
    lm_cmd **v = malloc((m->n ? m->n : 1) * sizeof *v);
    if (!v)
        abort();
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!m->cmds[i]->removed)
            v[k++] = m->cmds[i];
    qsort(v, k, sizeof *v, cmp_v1);
    *n = k;
    return v;
}

static json_t *content_inqueue(lm *m, bool ids)
{
    size_t n;
    lm_cmd **v = v1_order(m, &n);
    json_t *a = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(a, json_string(ids ? v[k]->id : v[k]->name));
    free(v);
    return a;
}

static json_t *content_status(lm *m)
{
    size_t n;
    lm_cmd **v = v1_order(m, &n);
    json_t *a = json_array();
    for (size_t k = 0; k < n; k++) {
        json_array_append_new(a, json_string(v[k]->id));
        json_array_append_new(a, json_string(lrct_status_name(v[k]->status)));
    }
    free(v);
    return a;
}

static json_t *content_progress(lm *m)
{
    size_t n;
    lm_cmd **v = v1_order(m, &n);
    json_t *a = json_array();
    for (size_t k = 0; k < n; k++) {
        if (v[k]->status == TS_IN_PROGRESS && v[k]->has_progress) {
            char buf[32];
            snprintf(buf, sizeof buf, "%ld", v[k]->progress);
            json_array_append_new(a, json_string(v[k]->id));
            json_array_append_new(a, json_string(buf));
        }
    }
    free(v);
    return a;
}

static int cmp_key(const void *a, const void *b)
{
    const long *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* commands with status filter, ordered by a seq key; returns indices */
static size_t select_sorted(lm *m, int which, long (*pairs)[2])
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        lm_cmd *c = m->cmds[i];
        long key;
        if (which == 0 && c->status == TS_QUEUED)
            key = c->created_seq;
        else if (which == 1 && c->status == TS_IN_PROGRESS)
            key = c->started_seq;
        else if (which == 2 && terminal(c->status))
            key = c->finished_seq;
        else
            continue;
        pairs[k][0] = key;
        pairs[k][1] = (long)i;
        k++;
    }
    qsort(pairs, k, sizeof pairs[0], cmp_key);
    return k;
}

static json_t *content_inprogress(lm *m)
{
    long(*pairs)[2] = malloc((m->n + 1) * sizeof *pairs);
    size_t k = select_sorted(m, 1, pairs);
    json_t *a = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(a, json_string(m->cmds[pairs[i][1]]->name));
    free(pairs);
    return a;
}

static json_t *item(const lm_cmd *c, int which)
{
    json_t *o = json_object();
    json_object_set_new(o, "uid", json_string(c->id));
    json_object_set_new(o, "name", json_string(c->name));
    json_object_set_new(o, "submitted_time", json_string("<time>"));
    if (which == 1) {
        json_object_set_new(o, "started_time", json_string("<time>"));
        if (c->has_progress)
            json_object_set_new(o, "progress", json_integer(c->progress));
    } else if (which == 2) {
        json_object_set_new(o, "status", json_string(lrct_status_name(c->status)));
        if (c->started)
            json_object_set_new(o, "started_time", json_string("<time>"));
        json_object_set_new(o, "finished_time", json_string("<time>"));
        if (c->result)
            json_object_set(o, "result", c->result);
    }
    return o;
}

static json_t *content_items(lm *m, int which)
{
    long(*pairs)[2] = malloc((m->n + 1) * sizeof *pairs);
    size_t k = select_sorted(m, which, pairs);
    size_t start = (which == 2 && k > 100) ? k - 100 : 0;
    json_t *a = json_array();
    for (size_t i = start; i < k; i++)
        json_array_append_new(a, item(m->cmds[pairs[i][1]], which));
    free(pairs);
    return a;
}

static json_t *content(lm *m, int a)
{
    switch (a) {
    case A_INQUEUE:
        return content_inqueue(m, false);
    case A_IDS:
        return content_inqueue(m, true);
    case A_STATUS:
        return content_status(m);
    case A_PROGRESS:
        return content_progress(m);
    case A_INPROGRESS:
        return content_inprogress(m);
    case A_COMMANDED:
        return json_string(m->commanded_state);
    case A_QUEUE:
        return content_items(m, 0);
    case A_EXECUTING:
        return content_items(m, 1);
    case A_FINISHED:
        return content_items(m, 2);
    default:
        return json_incref(m->last[a]);
    }
}

/* ---- output ---- */

static void emit(lm *m, int a, json_t *value /* stolen */, int group)
{
    if (!attr_enabled(m, a)) {
        json_decref(value);
        return;
    }
    if (m->nout == m->capout) {
        m->capout = m->capout ? m->capout * 2 : 64;
        m->out = realloc(m->out, m->capout * sizeof *m->out);
        if (!m->out)
            abort();
    }
    m->out[m->nout].attr = lrct_xstrdup(k_attr[a]);
    m->out[m->nout].value = value;
    m->out[m->nout].group = group;
    m->nout++;
}

/* Emits attribute a if its content differs from the last pushed one. */
static void emit_if_changed(lm *m, int a, int group)
{
    json_t *c = content(m, a);
    if (json_equal(c, m->last[a])) {
        json_decref(c);
        return;
    }
    json_decref(m->last[a]);
    m->last[a] = json_incref(c);
    emit(m, a, c, group);
}

void lm_set_status_queue_size(lm *m, size_t size)
{
    m->sq_size = size;
}

static void prune(lm *m)
{
    if (!m->sq_size)
        return;
    for (;;) {
        size_t live = 0;
        lm_cmd *oldest = NULL;
        for (size_t k = 0; k < m->n; k++) {
            lm_cmd *c = m->cmds[k];
            if (c->removed)
                continue;
            live++;
            if (terminal(c->status) && (!oldest || c->created_seq < oldest->created_seq))
                oldest = c;
        }
        if (live <= m->sq_size || !oldest)
            return;
        oldest->removed = true;
    }
}

void lm_create(lm *m, const char *id, const char *name)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->cmds = realloc(m->cmds, m->cap * sizeof *m->cmds);
        if (!m->cmds)
            abort();
    }
    lm_cmd *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->id = lrct_xstrdup(id);
    c->name = lrct_xstrdup(name);
    c->status = TS_STAGING;
    c->created_seq = ++m->seq;
    m->cmds[m->n++] = c;
    prune(m);
    int g = ++m->group;
    emit_if_changed(m, A_INQUEUE, g);
    emit_if_changed(m, A_IDS, g);
    emit_if_changed(m, A_STATUS, g);
    emit(m, A_LRCEVENT, json_pack("[s,{s:i}]", id, "status", 0), 0);
}

void lm_update(lm *m, const char *id, json_t *fields)
{
    lm_cmd *c = find(m, id);
    if (!c) {
        fprintf(stderr, "model: update for unknown id %s\n", id);
        abort();
    }
    json_t *st = json_object_get(fields, "status");
    json_t *pr = json_object_get(fields, "progress");
    json_t *rs = json_object_get(fields, "result");
    bool progress_was_listed = c->status == TS_IN_PROGRESS && c->has_progress;
    /* state change */
    if (rs) {
        json_decref(c->result);
        c->result = json_incref(rs);
    }
    if (pr) {
        c->has_progress = true;
        c->progress = (long)json_integer_value(pr);
    }
    if (st) {
        int s = (int)json_integer_value(st);
        if (s == TS_IN_PROGRESS && c->status != TS_IN_PROGRESS) {
            c->started = true;
            c->started_seq = ++m->seq;
            if (strcmp(c->name, "On") == 0 || strcmp(c->name, "Off") == 0 ||
                strcmp(c->name, "Standby") == 0) {
                free(m->commanded_state);
                m->commanded_state = lrct_xstrdup(strcmp(c->name, "On") == 0    ? "ON"
                                             : strcmp(c->name, "Off") == 0 ? "OFF"
                                                                           : "STANDBY");
            }
        }
        if (terminal(s) && !terminal(c->status))
            c->finished_seq = ++m->seq;
        c->status = s;
        if (terminal(s)) {
            /* lrcFinished drops progress (5.2) */
            c->has_progress = false;
        }
    }
    /* pushes, in the order of section 1.5 */
    if (rs) {
        json_t *v = json_pack("[s,O]", id, rs);
        json_decref(m->last[A_RESULT]);
        m->last[A_RESULT] = json_incref(v);
        emit(m, A_RESULT, v, 0);
    }
    bool progress_leaves = progress_was_listed && !(c->status == TS_IN_PROGRESS);
    if (progress_leaves && !pr) {
        /* progress list changes because of the status change: progress or
         * status slot */
        int g = ++m->group;
        emit_if_changed(m, A_PROGRESS, g);
        emit_if_changed(m, A_STATUS, g);
    } else {
        emit_if_changed(m, A_PROGRESS, 0);
        emit_if_changed(m, A_STATUS, 0);
    }
    emit_if_changed(m, A_INPROGRESS, 0);
    emit_if_changed(m, A_COMMANDED, 0);
    emit(m, A_LRCEVENT, json_pack("[s,O]", id, fields), 0);
    emit_if_changed(m, A_QUEUE, 0);
    emit_if_changed(m, A_EXECUTING, 0);
    emit_if_changed(m, A_FINISHED, 0);
}

void lm_update_status(lm *m, const char *id, int status)
{
    json_t *f = json_pack("{s:i}", "status", status);
    lm_update(m, id, f);
    json_decref(f);
}

void lm_update_progress(lm *m, const char *id, int progress)
{
    json_t *f = json_pack("{s:i}", "progress", progress);
    lm_update(m, id, f);
    json_decref(f);
}

void lm_update_final(lm *m, const char *id, int status, json_t *result)
{
    json_t *f = json_pack("{s:i,s:o}", "status", status, "result", result);
    lm_update(m, id, f);
    json_decref(f);
}

void lm_remove(lm *m, const char *id)
{
    lm_remove_set(m, &id, 1);
}

void lm_remove_set(lm *m, const char *const *ids, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        lm_cmd *c = find(m, ids[k]);
        if (!c)
            abort();
        c->removed = true;
    }
    int g = ++m->group;
    emit_if_changed(m, A_INQUEUE, g);
    emit_if_changed(m, A_IDS, g);
    emit_if_changed(m, A_STATUS, g);
    emit_if_changed(m, A_PROGRESS, g);
}

lm_push *lm_take(lm *m, size_t *n)
{
    lm_push *p = m->out;
    *n = m->nout;
    m->out = NULL;
    m->nout = m->capout = 0;
    return p;
}

void lm_pushes_free(lm_push *p, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(p[k].attr);
        json_decref(p[k].value);
    }
    free(p);
}

/* ---- matching ---- */

bool lm_match(const json_t *pattern, const json_t *actual)
{
    if (!pattern || !actual)
        return false;
    if (json_is_string(pattern)) {
        const char *ps = json_string_value(pattern);
        if (strcmp(ps, "<any>") == 0)
            return true;
        if (strcmp(ps, "<time>") == 0)
            return json_is_string(actual) && lrct_is_iso_time(json_string_value(actual));
        return json_equal(pattern, actual);
    }
    if (json_is_object(pattern)) {
        if (!json_is_object(actual) || json_object_size(pattern) != json_object_size(actual))
            return false;
        const char *key;
        json_t *pv;
        json_object_foreach((json_t *)pattern, key, pv)
        {
            json_t *av = json_object_get(actual, key);
            if (!av || !lm_match(pv, av))
                return false;
        }
        return true;
    }
    if (json_is_array(pattern)) {
        if (!json_is_array(actual) || json_array_size(pattern) != json_array_size(actual))
            return false;
        for (size_t k = 0; k < json_array_size(pattern); k++)
            if (!lm_match(json_array_get(pattern, k), json_array_get(actual, k)))
                return false;
        return true;
    }
    return json_equal(pattern, actual);
}

static bool in_attrs(const lm *m, const char *a)
{
    for (size_t k = 0; m->attrs[k]; k++)
        if (strcmp(m->attrs[k], a) == 0)
            return true;
    return false;
}

static void print_trunc(const char *prefix, const char *attr, const json_t *v)
{
    char *s = lrct_json_str(v);
    size_t len = strlen(s);
    fprintf(stderr, "%s%-30s %.*s%s\n", prefix, attr, (int)(len > 300 ? 300 : len), s,
            len > 300 ? "..." : "");
    free(s);
}

bool lm_compare(const lm *m, lrct_recorder *r, size_t from, const lm_push *exp, size_t nexp,
                size_t *consumed)
{
    size_t n = 0;
    const lrct_event **all = lrct_recorder_snapshot(r, from, &n);
    const lrct_event **act = malloc((n + 1) * sizeof *act);
    size_t na = 0;
    for (size_t k = 0; k < n; k++)
        if (!all[k]->initial && in_attrs(m, all[k]->attr))
            act[na++] = all[k];
    free(all);
    json_t **aj = calloc(na + 1, sizeof *aj);
    for (size_t k = 0; k < na; k++)
        aj[k] = lrct_event_json(act[k]);

    bool ok = na == nexp;
    size_t bad = (size_t)-1;
    bool *used = calloc(na + 1, sizeof *used);
    size_t lim = na < nexp ? na : nexp;
    for (size_t i = 0; i < lim && bad == (size_t)-1;) {
        size_t j = i + 1;
        if (exp[i].group)
            while (j < lim && exp[j].group == exp[i].group)
                j++;
        /* window [i, j) matched as a multiset */
        for (size_t e = i; e < j; e++) {
            bool found = false;
            for (size_t a = i; a < j; a++) {
                if (!used[a] && strcmp(act[a]->attr, exp[e].attr) == 0 &&
                    lm_match(exp[e].value, aj[a])) {
                    used[a] = true;
                    found = true;
                    break;
                }
            }
            if (!found) {
                bad = e;
                break;
            }
        }
        i = j;
    }
    if (bad != (size_t)-1)
        ok = false;
    if (consumed)
        *consumed = lim ? act[lim - 1]->seq + 1 : from;
    if (!ok) {
        fprintf(stderr, "---- sequence mismatch: expected %zu events, got %zu", nexp, na);
        if (bad != (size_t)-1)
            fprintf(stderr, "; first unmatched expectation #%zu", bad);
        fprintf(stderr, "\n  expected:\n");
        for (size_t k = 0; k < nexp; k++) {
            char pre[32];
            snprintf(pre, sizeof pre, "  %s%3zu g%-2d ", k == bad ? ">>" : "  ", k, exp[k].group);
            print_trunc(pre, exp[k].attr, exp[k].value);
        }
        fprintf(stderr, "  actual:\n");
        for (size_t k = 0; k < na; k++) {
            char pre[32];
            snprintf(pre, sizeof pre, "    %3zu #%-4zu ", k, act[k]->seq);
            print_trunc(pre, act[k]->attr, aj[k]);
        }
    }
    for (size_t k = 0; k < na; k++)
        json_decref(aj[k]);
    free(aj);
    free(used);
    free(act);
    return ok;
}

typedef struct cnt_arg {
    const lm *m;
    size_t from, want;
} cnt_arg;

static bool pred_cnt(const lrct_event *const *ev, size_t n, void *arg)
{
    cnt_arg *a = arg;
    size_t c = 0;
    for (size_t k = a->from; k < n; k++)
        if (!ev[k]->initial && in_attrs(a->m, ev[k]->attr))
            c++;
    return c >= a->want;
}

bool lm_expect(const lm *m, lrct_recorder *r, size_t from, const lm_push *exp, size_t nexp,
               double timeout_s, size_t *consumed)
{
    cnt_arg a = {m, from, nexp};
    (void)lrct_wait(r, pred_cnt, &a, timeout_s);
    return lm_compare(m, r, from, exp, nexp, consumed);
}
