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


/* Where a record sits, each an intrusive doubly linked list kept in the
 * order its attribute shows, so that no update walks the history: every
 * change links or unlinks one record, and rendering walks only the list it
 * shows. A record is in at most one of L_LIVE / L_EXEC (its state). */
enum {
    L_LIVE,   /* STAGING or QUEUED, creation order                         */
    L_EXEC,   /* IN_PROGRESS, start order                                  */
    L_V1DONE, /* finished and in the v1 lists, finish order (= deadlines)  */
    L_V1AGE,  /* the same records by submission time: pruning drops the head */
    L_DONE,   /* in lrcFinished, finish order                              */
    L_COUNT
};

typedef struct record record;
typedef struct rlink {
    record *prev, *next;
} rlink;
typedef struct rlist {
    record *head, *tail;
    size_t n;
} rlist;

struct record {
    rlink link[L_COUNT];
    bool in[L_COUNT];
    record *hnext; /* hash chain */
    uint64_t create_seq;
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
    /* Its lrcQueue item, rendered the first time lrcQueue is rendered
     * while it is queued (it never changes there): a long queue is not
     * re-rendered by each submission, and a submission renders nothing
     * while nobody watches lrcQueue. */
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
};

struct lrc_tracker {
    lrc_tracker_config cfg;
    rlist list[L_COUNT];
    /* every record by ID: chained hash table, power-of-two buckets */
    record **buckets;
    size_t n_buckets, n_records;
    uint64_t seq, create_seq;
    size_t v1_count; /* records with in_v1 */
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

/* ---- lists and the ID index -------------------------------------------- */

static void list_unlink(lrc_tracker *t, int l, record *r)
{
    if (!r->in[l])
        return;
    rlist *L = &t->list[l];
    rlink *k = &r->link[l];
    if (k->prev)
        k->prev->link[l].next = k->next;
    else
        L->head = k->next;
    if (k->next)
        k->next->link[l].prev = k->prev;
    else
        L->tail = k->prev;
    k->prev = k->next = NULL;
    r->in[l] = false;
    L->n--;
}

/* Inserts r after the last record that does not come after it (`after`
 * says whether x comes after y; NULL: append). Searching from the tail
 * makes the usual case, r last, O(1); out-of-order cases cost the records
 * they overtake, which are live commands, never the history. */
static void list_insert(lrc_tracker *t, int l, record *r,
                        bool (*after)(const record *x, const record *y))
{
    if (r->in[l])
        return;
    rlist *L = &t->list[l];
    record *p = L->tail;
    while (after && p && after(p, r))
        p = p->link[l].prev;
    rlink *k = &r->link[l];
    k->prev = p;
    k->next = p ? p->link[l].next : L->head;
    if (k->next)
        k->next->link[l].prev = r;
    else
        L->tail = r;
    if (p)
        p->link[l].next = r;
    else
        L->head = r;
    r->in[l] = true;
    L->n++;
}

static bool created_after(const record *x, const record *y)
{
    return x->create_seq > y->create_seq;
}

/* ska drops the oldest finished command by submission time. */
static bool submitted_after(const record *x, const record *y)
{
    return x->submitted > y->submitted ||
           (x->submitted == y->submitted && x->create_seq > y->create_seq);
}

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static record *find(const lrc_tracker *t, const char *id)
{
    if (!t->n_buckets)
        return NULL;
    for (record *r = t->buckets[hash_id(id) & (t->n_buckets - 1)]; r; r = r->hnext)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}

/* Adds r to the index, growing it to keep chains short; -1 if out of
 * memory. */
static int index_add(lrc_tracker *t, record *r)
{
    if (t->n_records + 1 > t->n_buckets) {
        size_t n = t->n_buckets ? 2 * t->n_buckets : 64;
        record **b = calloc(n, sizeof *b);
        if (!b)
            return -1;
        for (size_t i = 0; i < t->n_buckets; i++) {
            for (record *x = t->buckets[i], *next; x; x = next) {
                next = x->hnext;
                size_t k = hash_id(x->id) & (n - 1);
                x->hnext = b[k];
                b[k] = x;
            }
        }
        free(t->buckets);
        t->buckets = b;
        t->n_buckets = n;
    }
    size_t k = hash_id(r->id) & (t->n_buckets - 1);
    r->hnext = t->buckets[k];
    t->buckets[k] = r;
    t->n_records++;
    return 0;
}

static void index_remove(lrc_tracker *t, record *r)
{
    record **link = &t->buckets[hash_id(r->id) & (t->n_buckets - 1)];
    while (*link && *link != r)
        link = &(*link)->hnext;
    if (*link) {
        *link = r->hnext;
        t->n_records--;
    }
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
    for (size_t i = 0; i < t->n_buckets; i++) {
        for (record *r = t->buckets[i], *next; r; r = next) {
            next = r->hnext;
            record_free(r);
        }
    }
    free(t->buckets);
    free(t->commanded_state);
    free(t->last_result_id);
    free(t->last_result_json);
    free(t);
}

/* Frees r once no attribute or query shows it any more. */
static void collect(lrc_tracker *t, record *r)
{
    if (!is_finished(r) || r->in_v1 || r->in_finished)
        return;
    for (int l = 0; l < L_COUNT; l++)
        list_unlink(t, l, r);
    index_remove(t, r);
    record_free(r);
}

/* Takes a finished command out of the v1 lists (removal time, pruning). */
static void drop_from_v1(lrc_tracker *t, record *r)
{
    list_unlink(t, L_V1DONE, r);
    list_unlink(t, L_V1AGE, r);
    if (r->in_v1) {
        r->in_v1 = false;
        t->v1_count--;
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

/* The _lrcEvent payload: the updated fields in ska's key order (status,
 * progress, a task's extra keys, result), written directly (result_text
 * and the extra members are already json.dumps text): one allocation, no
 * JSON object per update. */
static char *event_json(const lrc_fields *f, const char *result_text)
{
    char status[32] = "", progress[40] = "";
    const char *extra = f->extra_members && f->extra_members[0] ? f->extra_members : "";
    if (f->has_status)
        snprintf(status, sizeof status, "\"status\": %d", f->status);
    if (f->has_progress)
        snprintf(progress, sizeof progress, "%s\"progress\": %d", status[0] ? ", " : "",
                 f->progress);
    const char *extra_sep = extra[0] && (status[0] || progress[0]) ? ", " : "";
    if (!result_text)
        return lrc_asprintf("{%s%s%s%s}", status, progress, extra_sep, extra);
    return lrc_asprintf("{%s%s%s%s%s\"result\": %s}", status, progress, extra_sep, extra,
                        status[0] || progress[0] || extra[0] ? ", " : "", result_text);
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
    *event_out = lrc_asprintf("{\"status\": %d}", LRC_STATUS_STAGING);
    if (!r->name || !r->id || (commanded_state && !r->commanded_state) || !*event_out ||
        index_add(t, r) != 0) {
        free(*event_out);
        *event_out = NULL;
        record_free(r);
        return NULL;
    }
    r->status = LRC_STATUS_STAGING;
    r->submitted = wall_now;
    r->create_seq = ++t->create_seq;
    r->in_v1 = true;
    t->v1_count++;
    list_insert(t, L_LIVE, r, NULL);
    t->change_gen++;
    /* make room before anything renders the v1 lists with the newcomer */
    prune_v1(t);
    return r->id;
}

/* Keeps the v1 lists within status_queue_size by dropping the oldest
 * finished commands (by submission time), as ska does under load. */
static void prune_v1(lrc_tracker *t)
{
    if (t->v1_full && t->v1_count < t->cfg.status_queue_size) {
        if (t->v1_pruned)
            lrc_log(LRC_LOG_WARNING,
                    "Status queue too big: %zu more items removed before it went below %zu",
                    t->v1_pruned, t->cfg.status_queue_size);
        t->v1_full = false;
        t->v1_pruned = 0;
    }
    while (t->v1_count > t->cfg.status_queue_size) {
        record *oldest = t->list[L_V1AGE].head;
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
        drop_from_v1(t, oldest);
        collect(t, oldest);
    }
}

/* Keeps exactly the last max_finished finished commands in lrcFinished. */
static void prune_finished(lrc_tracker *t)
{
    while (t->list[L_DONE].n > t->cfg.max_finished) {
        record *oldest = t->list[L_DONE].head;
        list_unlink(t, L_DONE, oldest);
        oldest->in_finished = false;
        t->finished_gen++;
        collect(t, oldest);
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
    /* its place in the state lists */
    if (status == LRC_STATUS_STAGING || status == LRC_STATUS_QUEUED) {
        list_unlink(t, L_EXEC, r);
        list_insert(t, L_LIVE, r, created_after);
    } else if (status == LRC_STATUS_IN_PROGRESS) {
        list_unlink(t, L_LIVE, r);
        list_insert(t, L_EXEC, r, NULL); /* start_seq: just taken, the largest */
    } else {
        list_unlink(t, L_LIVE, r);
        list_unlink(t, L_EXEC, r);
    }
    if (was_finished && !is_finished(r)) { /* never done by the kit: live again */
        list_unlink(t, L_V1DONE, r);
        list_unlink(t, L_V1AGE, r);
        if (!r->in_v1) {
            r->in_v1 = true;
            t->v1_count++;
        }
    }
    if (is_finished(r) && !was_finished) {
        r->finished = wall_now;
        r->finish_seq = ++t->seq;
        r->has_progress = false; /* progress is only kept while executing */
        r->v1_deadline = mono_now + t->cfg.removal_time;
        if (r->in_v1) {
            list_insert(t, L_V1DONE, r, NULL); /* mono_now never decreases */
            list_insert(t, L_V1AGE, r, submitted_after);
        }
        if (!r->in_finished) {
            r->in_finished = true;
            list_insert(t, L_DONE, r, NULL);
        } else { /* finished again: it moves to the end */
            list_unlink(t, L_DONE, r);
            list_insert(t, L_DONE, r, NULL);
        }
        t->finished_gen++;
    }
    return 0;
}

int lrc_tracker_update(lrc_tracker *t, const char *id, const lrc_fields *f, double wall_now,
                       double mono_now, char **event_out)
{
    *event_out = NULL;
    char *result_text = NULL;
    if (f->result_json) {
        json_t *result = json_loads(f->result_json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!result)
            return -2;
        result_text = dump(result);
        if (!result_text)
            return -2;
    }
    *event_out = event_json(f, result_text);
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
    /* r may be freed from here on */
    prune_finished(t);
    prune_v1(t);
    return 0;
}

bool lrc_tracker_expire(lrc_tracker *t, double mono_now)
{
    bool dropped = false;
    record *r;
    while ((r = t->list[L_V1DONE].head) && r->v1_deadline <= mono_now) {
        drop_from_v1(t, r);
        collect(t, r);
        dropped = true;
    }
    t->change_gen += dropped;
    if (dropped)
        prune_v1(t); /* reports the end of a crossing (never removes here) */
    return dropped;
}

double lrc_tracker_next_deadline(const lrc_tracker *t)
{
    const record *r = t->list[L_V1DONE].head;
    return r ? r->v1_deadline : -1.0;
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
    return t->v1_count;
}

/* ---- rendering ------------------------------------------------------- */

typedef bool (*record_pred)(const record *r);

static bool pred_any(const record *r)
{
    (void)r;
    return true;
}
static bool pred_queued(const record *r)
{
    return r->status == LRC_STATUS_QUEUED; /* STAGING is never shown */
}
static bool pred_progress(const record *r)
{
    return r->has_progress;
}

/* The records of list l matching pred, in its order, appended to *list.
 * Returns 0 or -1. */
static int collect_list(const lrc_tracker *t, int l, record_pred pred, const record ***list,
                        size_t *n)
{
    size_t need = *n + t->list[l].n;
    if (need > *n) {
        const record **grown = realloc(*list, need * sizeof *grown);
        if (!grown)
            return -1;
        *list = grown;
    }
    for (const record *r = t->list[l].head; r; r = r->link[l].next)
        if (pred(r))
            (*list)[(*n)++] = r;
    return 0;
}

/* The v1 lists show finished, then executing, then staged/queued commands
 * (live commands are always in them). */
static int collect_v1(const lrc_tracker *t, const record ***list, size_t *n)
{
    if (collect_list(t, L_V1DONE, pred_any, list, n) != 0 ||
        collect_list(t, L_EXEC, pred_any, list, n) != 0 ||
        collect_list(t, L_LIVE, pred_any, list, n) != 0)
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
        rc = collect_list(t, L_EXEC, pred_progress, &list, &count);
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
        rc = collect_list(t, L_EXEC, pred_any, &list, &count);
        for (size_t i = 0; rc == 0 && i < count; i++)
            strv_add(&s, list[i]->name);
        break;
    case LRC_ATTR_COMMANDED_STATE:
        strv_add(&s, t->commanded_state);
        break;
    case LRC_ATTR_QUEUE:
        /* The records are not the tracker's const state: caching an item
         * changes no value. Out of memory leaves it NULL: rendered again. */
        for (record *r = t->list[L_LIVE].head; r; r = r->link[L_LIVE].next)
            if (r->status == LRC_STATUS_QUEUED && !r->queue_item)
                r->queue_item = item_json(r, LRC_ATTR_QUEUE);
        /* fall through */
    case LRC_ATTR_EXECUTING:
    case LRC_ATTR_FINISHED:
        rc = a == LRC_ATTR_QUEUE       ? collect_list(t, L_LIVE, pred_queued, &list, &count)
             : a == LRC_ATTR_EXECUTING ? collect_list(t, L_EXEC, pred_any, &list, &count)
                                       : collect_list(t, L_DONE, pred_any, &list, &count);
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
