/* tracker.c - the command tracker: state machine and attribute rendering. */
#include "server/tracker.h"

#include "core/error_build.h"
#include "core/json_text.h"
#include "core/log_internal.h"
#include "lrc/types.h"
#include "server/clock.h"
#include "server/command_id.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


typedef struct record {
    struct record *next; /* creation order */
    char *id;
    char *name;
    char *commanded_state;
    int status;
    int progress;
    bool has_progress;
    char *result_json; /* normalised text, or NULL */
    /* Its lrcFinished item, rendered once when it finishes (a finished
     * command no longer changes): lists are built from these texts, never
     * by re-parsing and re-writing results. */
    char *item;
    /* Its lrcQueue item, rendered when it is queued (it never changes
     * there): a long queue is not re-rendered by each submission. */
    char *queue_item;
    double submitted;  /* wall clock */
    double started;
    bool has_started;
    double finished;
    uint64_t start_seq;  /* orders executing commands */
    uint64_t finish_seq; /* orders finished commands */
    double v1_deadline;  /* monotonic; valid when finished && in_v1 */
    bool in_v1;          /* shown in the deprecated v1 lists */
    bool in_finished;    /* among the last max_finished finished */
} record;

struct lrc_tracker {
    lrc_tracker_config cfg;
    record *head, *tail;
    uint64_t seq;
    size_t finished_count; /* records with in_finished */
    char *commanded_state;
    char *last_result_id; /* longRunningCommandResult: the latest result */
    char *last_result_json;
    /* Generations (see lrc_tracker_generation): change_gen moves with every
     * change, finished_gen and result_gen only when lrcFinished or
     * longRunningCommandResult change, queue_gen when a command enters or
     * leaves QUEUED, exec_gen when one enters or leaves IN_PROGRESS or
     * reports progress (lrcExecuting, longRunningCommandInProgress,
     * longRunningCommandProgress, commandedState). */
    uint64_t change_gen, finished_gen, result_gen, queue_gen, exec_gen;
    /* The "Status queue too big" warning is logged once per crossing of
     * status_queue_size (ska logs it per removed item, which under load is
     * every submission and a sixth of the handler); the removals after the
     * first are counted and reported when the lists are within the size
     * again, or every PRUNE_REPORT_EVERY removals while they are not. */
    bool v1_full;
    size_t v1_pruned; /* removals of this crossing not reported yet */
};

#define PRUNE_REPORT_EVERY 1000

static const char *const attr_names[LRC_ATTR_COUNT] = {
    "longRunningCommandsInQueue",   "longRunningCommandIDsInQueue", "longRunningCommandResult",
    "longRunningCommandProgress",   "longRunningCommandStatus",     "longRunningCommandInProgress",
    "commandedState",               "_lrcEvent",                    "lrcQueue",
    "lrcExecuting",                 "lrcFinished",
};

const char *lrc_attr_name(lrc_attr a)
{
    return a < LRC_ATTR_COUNT ? attr_names[a] : "";
}

static bool is_finished(const record *r)
{
    return lrc_status_is_terminal(r->status);
}

static bool is_queued_or_staged(const record *r)
{
    return r->status == LRC_STATUS_STAGING || r->status == LRC_STATUS_QUEUED;
}

lrc_tracker *lrc_tracker_new(const lrc_tracker_config *cfg)
{
    lrc_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = *cfg;
    if (t->cfg.max_finished == 0)
        t->cfg.max_finished = 100;
    t->commanded_state = strdup("None");
    t->last_result_id = strdup("");
    t->last_result_json = strdup("");
    if (!t->commanded_state || !t->last_result_id || !t->last_result_json) {
        lrc_tracker_free(t);
        return NULL;
    }
    return t;
}

static void record_free(record *r)
{
    if (!r)
        return;
    free(r->id);
    free(r->name);
    free(r->commanded_state);
    free(r->result_json);
    free(r->item);
    free(r->queue_item);
    free(r);
}

void lrc_tracker_free(lrc_tracker *t)
{
    if (!t)
        return;
    record *r = t->head;
    while (r) {
        record *next = r->next;
        record_free(r);
        r = next;
    }
    free(t->commanded_state);
    free(t->last_result_id);
    free(t->last_result_json);
    free(t);
}

static record *find(const lrc_tracker *t, const char *id)
{
    for (record *r = t->head; r; r = r->next)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}

/* Unlinks and frees records no attribute or query shows any more. */
static void collect_garbage(lrc_tracker *t)
{
    record **link = &t->head;
    record *prev = NULL;
    while (*link) {
        record *r = *link;
        if (is_finished(r) && !r->in_v1 && !r->in_finished) {
            *link = r->next;
            if (t->tail == r)
                t->tail = prev;
            record_free(r);
        } else {
            prev = r;
            link = &r->next;
        }
    }
}

/* Serialises and releases j. */
static char *dump(json_t *j)
{
    char *s = lrc_json_dumps(j);
    json_decref(j);
    return s;
}

static void prune_v1(lrc_tracker *t);
static char *item_json(const record *r, lrc_attr which);

static char *event_json(const lrc_fields *f, json_t *result)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (f->has_status)
        json_object_set_new(o, "status", json_integer(f->status));
    if (f->has_progress)
        json_object_set_new(o, "progress", json_integer(f->progress));
    if (result)
        json_object_set(o, "result", result);
    return dump(o);
}

const char *lrc_tracker_create(lrc_tracker *t, const char *name, const char *commanded_state,
                               double wall_now, char **event_out)
{
    *event_out = NULL;
    record *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->name = strdup(name);
    r->commanded_state = commanded_state ? strdup(commanded_state) : NULL;
    /* IDs are random; regenerate on the (astronomically unlikely) clash so
     * that an ID always names exactly one command. */
    do {
        free(r->id);
        r->id = lrc_command_id_new(name, wall_now);
    } while (r->id && find(t, r->id));
    lrc_fields f = {.has_status = true, .status = LRC_STATUS_STAGING};
    *event_out = event_json(&f, NULL);
    if (!r->name || !r->id || (commanded_state && !r->commanded_state) || !*event_out) {
        free(*event_out);
        *event_out = NULL;
        record_free(r);
        return NULL;
    }
    r->status = LRC_STATUS_STAGING;
    r->submitted = wall_now;
    r->in_v1 = true;
    if (t->tail)
        t->tail->next = r;
    else
        t->head = r;
    t->tail = r;
    t->change_gen++;
    /* make room before anything renders the v1 lists with the newcomer */
    prune_v1(t);
    collect_garbage(t);
    return r->id;
}

/* Keeps the v1 lists within status_queue_size by dropping the oldest
 * finished commands (by submission time), as ska does under load. */
static void prune_v1(lrc_tracker *t)
{
    size_t count = lrc_tracker_v1_count(t);
    if (t->v1_full && count < t->cfg.status_queue_size) {
        if (t->v1_pruned)
            lrc_log(LRC_LOG_WARNING,
                    "Status queue too big: %zu more items removed before it went below %zu",
                    t->v1_pruned, t->cfg.status_queue_size);
        t->v1_full = false;
        t->v1_pruned = 0;
    }
    while (count > t->cfg.status_queue_size) {
        record *oldest = NULL;
        for (record *r = t->head; r; r = r->next)
            if (r->in_v1 && is_finished(r) && (!oldest || r->submitted < oldest->submitted))
                oldest = r;
        if (!oldest)
            break; /* only live commands: nothing may be dropped */
        if (!t->v1_full) {
            lrc_log(LRC_LOG_WARNING, "Status queue too big: removing item %s", oldest->id);
            t->v1_full = true;
        } else if (++t->v1_pruned == PRUNE_REPORT_EVERY) {
            lrc_log(LRC_LOG_WARNING, "Status queue too big: %zu more items removed",
                    t->v1_pruned);
            t->v1_pruned = 0;
        }
        oldest->in_v1 = false;
        count--;
    }
}

/* Keeps exactly the last max_finished finished commands in lrcFinished. */
static void prune_finished(lrc_tracker *t)
{
    while (t->finished_count > t->cfg.max_finished) {
        record *oldest = NULL;
        for (record *r = t->head; r; r = r->next)
            if (r->in_finished && (!oldest || r->finish_seq < oldest->finish_seq))
                oldest = r;
        if (!oldest)
            break;
        oldest->in_finished = false;
        t->finished_count--;
        t->finished_gen++;
    }
}

static int set_status(lrc_tracker *t, record *r, int status, double wall_now, double mono_now)
{
    t->queue_gen += (r->status == LRC_STATUS_QUEUED) != (status == LRC_STATUS_QUEUED);
    t->exec_gen += (r->status == LRC_STATUS_IN_PROGRESS) != (status == LRC_STATUS_IN_PROGRESS);
    if (status == LRC_STATUS_IN_PROGRESS && r->status != LRC_STATUS_IN_PROGRESS) {
        r->started = wall_now;
        r->has_started = true;
        r->start_seq = ++t->seq;
        if (r->commanded_state) {
            char *cs = strdup(r->commanded_state);
            if (!cs)
                return -2;
            free(t->commanded_state);
            t->commanded_state = cs;
        }
    }
    bool was_finished = is_finished(r);
    r->status = status;
    if (status == LRC_STATUS_QUEUED && !r->queue_item)
        r->queue_item = item_json(r, LRC_ATTR_QUEUE); /* NULL: rendered when read */
    if (is_finished(r) && !was_finished) {
        r->finished = wall_now;
        r->finish_seq = ++t->seq;
        r->has_progress = false; /* progress is only kept while executing */
        r->v1_deadline = mono_now + t->cfg.removal_time;
        r->in_finished = true;
        t->finished_count++;
        t->finished_gen++;
        prune_finished(t);
    }
    return 0;
}

int lrc_tracker_update(lrc_tracker *t, const char *id, const lrc_fields *f, double wall_now,
                       double mono_now, char **event_out)
{
    *event_out = NULL;
    json_t *result = NULL;
    char *result_text = NULL;
    if (f->result_json) {
        result = json_loads(f->result_json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!result)
            return -2;
        result_text = lrc_json_dumps(result);
        if (!result_text) {
            json_decref(result);
            return -2;
        }
    }
    *event_out = event_json(f, result);
    json_decref(result);
    if (!*event_out) {
        free(result_text);
        return -2;
    }

    record *r = find(t, id);
    if (!r) {
        free(result_text);
        return -1;
    }
    t->change_gen++;
    if (result_text) {
        char *rid = strdup(id);
        char *rjson = strdup(result_text);
        if (!rid || !rjson) {
            free(rid);
            free(rjson);
            free(result_text);
            return -2;
        }
        free(r->result_json);
        r->result_json = result_text;
        t->result_gen++;
        free(t->last_result_id);
        free(t->last_result_json);
        t->last_result_id = rid;
        t->last_result_json = rjson;
    }
    if (f->has_progress && !is_finished(r)) {
        r->progress = f->progress;
        r->has_progress = true;
        t->exec_gen++;
    }
    if (f->has_status && set_status(t, r, f->status, wall_now, mono_now) != 0)
        return -2;
    if (is_finished(r) && (!r->item || result_text)) {
        /* Finished now, or a (late) result changed it: render its item once.
         * Out of memory leaves it NULL, and rendering falls back. */
        free(r->item);
        r->item = item_json(r, LRC_ATTR_FINISHED);
        t->finished_gen += r->in_finished;
    }
    prune_v1(t);
    collect_garbage(t);
    return 0;
}

bool lrc_tracker_expire(lrc_tracker *t, double mono_now)
{
    bool dropped = false;
    for (record *r = t->head; r; r = r->next) {
        if (r->in_v1 && is_finished(r) && r->v1_deadline <= mono_now) {
            r->in_v1 = false;
            dropped = true;
        }
    }
    t->change_gen += dropped;
    if (dropped)
        prune_v1(t); /* reports the end of a crossing (never removes here) */
    collect_garbage(t);
    return dropped;
}

double lrc_tracker_next_deadline(const lrc_tracker *t)
{
    double next = -1.0;
    for (const record *r = t->head; r; r = r->next)
        if (r->in_v1 && is_finished(r) && (next < 0 || r->v1_deadline < next))
            next = r->v1_deadline;
    return next;
}

int lrc_tracker_status(const lrc_tracker *t, const char *id)
{
    const record *r = find(t, id);
    if (!r || (is_finished(r) && !r->in_finished))
        return LRC_STATUS_NOT_FOUND;
    return r->status;
}

size_t lrc_tracker_v1_count(const lrc_tracker *t)
{
    size_t n = 0;
    for (const record *r = t->head; r; r = r->next)
        n += r->in_v1;
    return n;
}

/* ---- rendering ------------------------------------------------------- */

typedef bool (*record_pred)(const record *r);

static bool pred_v1_finished(const record *r)
{
    return r->in_v1 && is_finished(r);
}
static bool pred_v1_executing(const record *r)
{
    return r->in_v1 && r->status == LRC_STATUS_IN_PROGRESS;
}
static bool pred_v1_queued(const record *r)
{
    return r->in_v1 && is_queued_or_staged(r);
}
static bool pred_executing(const record *r)
{
    return r->status == LRC_STATUS_IN_PROGRESS;
}
static bool pred_queued(const record *r)
{
    return r->status == LRC_STATUS_QUEUED; /* STAGING is never shown */
}
static bool pred_finished(const record *r)
{
    return r->in_finished;
}
static bool pred_progress(const record *r)
{
    return r->status == LRC_STATUS_IN_PROGRESS && r->has_progress;
}

static int cmp_start(const void *a, const void *b)
{
    const record *x = *(const record *const *)a, *y = *(const record *const *)b;
    return x->start_seq < y->start_seq ? -1 : x->start_seq > y->start_seq;
}
static int cmp_finish(const void *a, const void *b)
{
    const record *x = *(const record *const *)a, *y = *(const record *const *)b;
    return x->finish_seq < y->finish_seq ? -1 : x->finish_seq > y->finish_seq;
}

/* Records matching pred, sorted by cmp (NULL: creation order), appended to
 * *list. Returns 0 or -1. */
static int collect(const lrc_tracker *t, record_pred pred, int (*cmp)(const void *, const void *),
                   const record ***list, size_t *n)
{
    size_t start = *n, cap = *n;
    for (const record *r = t->head; r; r = r->next) {
        if (!pred(r))
            continue;
        if (*n == cap) { /* doubling: not one realloc per record */
            cap = cap ? 2 * cap : 16;
            const record **grown = realloc(*list, cap * sizeof *grown);
            if (!grown)
                return -1;
            *list = grown;
        }
        (*list)[(*n)++] = r;
    }
    if (cmp && *n - start > 1)
        qsort(*list + start, *n - start, sizeof **list, cmp);
    return 0;
}

/* The v1 lists show finished, then executing, then staged/queued commands. */
static int collect_v1(const lrc_tracker *t, const record ***list, size_t *n)
{
    if (collect(t, pred_v1_finished, cmp_finish, list, n) != 0 ||
        collect(t, pred_v1_executing, cmp_start, list, n) != 0 ||
        collect(t, pred_v1_queued, NULL, list, n) != 0)
        return -1;
    return 0;
}

typedef struct strv {
    char **v;
    size_t n, cap;
    bool failed;
} strv;

static void strv_add_owned(strv *s, char *str)
{
    if (s->failed || !str) {
        free(str);
        s->failed = true;
        return;
    }
    if (s->n == s->cap) { /* doubling: not one realloc per string */
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **grown = realloc(s->v, cap * sizeof *grown);
        if (!grown) {
            free(str);
            s->failed = true;
            return;
        }
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = str;
}

static void strv_add(strv *s, const char *str)
{
    strv_add_owned(s, strdup(str));
}

static void set_time(json_t *o, const char *key, double wall)
{
    char buf[48];
    lrc_iso_time(wall, buf, sizeof buf);
    json_object_set_new(o, key, json_string(buf));
}

/* One item of lrcQueue / lrcExecuting / lrcFinished (section 1.3 keys plus
 * submitted_time, section 7). */
static char *item_json(const record *r, lrc_attr which)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "uid", json_string(r->id));
    json_object_set_new(o, "name", json_string(r->name));
    set_time(o, "submitted_time", r->submitted);
    if (which == LRC_ATTR_EXECUTING) {
        set_time(o, "started_time", r->started);
        if (r->has_progress)
            json_object_set_new(o, "progress", json_integer(r->progress));
    } else if (which == LRC_ATTR_FINISHED) {
        json_object_set_new(o, "status", json_string(lrc_status_name(r->status)));
        if (r->has_started)
            set_time(o, "started_time", r->started);
        set_time(o, "finished_time", r->finished);
    }
    char *text = dump(o);
    if (!text || which != LRC_ATTR_FINISHED || !r->result_json)
        return text;
    /* The result is already json.dumps text: splice it in as the last key
     * rather than parse and write it again (same bytes: one writer). */
    size_t len = strlen(text); /* ends with '}' */
    char *item = lrc_asprintf("%.*s, \"result\": %s}", (int)(len - 1), text, r->result_json);
    free(text);
    return item;
}

int lrc_tracker_render(const lrc_tracker *t, lrc_attr a, char ***out, size_t *n)
{
    strv s = {0};
    const record **list = NULL;
    size_t count = 0;
    int rc = 0;
    char num[32];

    switch (a) {
    case LRC_ATTR_IN_QUEUE:
    case LRC_ATTR_IDS_IN_QUEUE:
    case LRC_ATTR_STATUS:
        rc = collect_v1(t, &list, &count);
        for (size_t i = 0; rc == 0 && i < count; i++) {
            if (a == LRC_ATTR_IN_QUEUE) {
                strv_add(&s, list[i]->name);
            } else if (a == LRC_ATTR_IDS_IN_QUEUE) {
                strv_add(&s, list[i]->id);
            } else {
                strv_add(&s, list[i]->id);
                strv_add(&s, lrc_status_name(list[i]->status));
            }
        }
        break;
    case LRC_ATTR_PROGRESS:
        rc = collect(t, pred_progress, cmp_start, &list, &count);
        for (size_t i = 0; rc == 0 && i < count; i++) {
            snprintf(num, sizeof num, "%d", list[i]->progress);
            strv_add(&s, list[i]->id);
            strv_add(&s, num);
        }
        break;
    case LRC_ATTR_RESULT:
        strv_add(&s, t->last_result_id);
        strv_add(&s, t->last_result_json);
        break;
    case LRC_ATTR_IN_PROGRESS:
        rc = collect(t, pred_executing, cmp_start, &list, &count);
        for (size_t i = 0; rc == 0 && i < count; i++)
            strv_add(&s, list[i]->name);
        break;
    case LRC_ATTR_COMMANDED_STATE:
        strv_add(&s, t->commanded_state);
        break;
    case LRC_ATTR_QUEUE:
    case LRC_ATTR_EXECUTING:
    case LRC_ATTR_FINISHED:
        rc = a == LRC_ATTR_QUEUE       ? collect(t, pred_queued, NULL, &list, &count)
             : a == LRC_ATTR_EXECUTING ? collect(t, pred_executing, cmp_start, &list, &count)
                                       : collect(t, pred_finished, cmp_finish, &list, &count);
        for (size_t i = 0; rc == 0 && i < count; i++)
            strv_add_owned(&s, a == LRC_ATTR_FINISHED && list[i]->item ? strdup(list[i]->item)
                               : a == LRC_ATTR_QUEUE && list[i]->queue_item
                                   ? strdup(list[i]->queue_item)
                                   : item_json(list[i], a));
        break;
    default:
        rc = -1;
        break;
    }
    free(list);
    if (rc != 0 || s.failed) {
        lrc_strv_free(s.v, s.n);
        return -1;
    }
    *out = s.v;
    *n = s.n;
    return 0;
}

uint64_t lrc_tracker_generation(const lrc_tracker *t, lrc_attr a)
{
    switch (a) {
    case LRC_ATTR_FINISHED: return t->finished_gen;
    case LRC_ATTR_RESULT: return t->result_gen;
    case LRC_ATTR_QUEUE: return t->queue_gen;
    case LRC_ATTR_EXECUTING:
    case LRC_ATTR_IN_PROGRESS:
    case LRC_ATTR_PROGRESS:
    case LRC_ATTR_COMMANDED_STATE: return t->exec_gen;
    default: return t->change_gen;
    }
}

void lrc_strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
