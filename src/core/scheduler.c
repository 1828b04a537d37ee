/*
 * scheduler.c - the callback scheduler: lifecycle, worker threads, the fair
 * choice of the next item, the process-wide default scheduler and counters.
 * Queues and pushing live in scheduler_queue.c.
 */
#define _GNU_SOURCE /* pthread_setname_np */

#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/scheduler_internal.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* More workers than this is a configuration mistake, not a need. */
#define MAX_THREADS 256

/* Recent-work scores closer than this count as equal, so that queues that
 * have done (almost) nothing are ordered by age rather than by rounding. */
#define SCORE_EPSILON 1e-6

/* The scheduler whose worker the current thread is (NULL elsewhere). */
static _Thread_local const lrc_scheduler *tls_worker_of;

/* The push time of the item the current worker runs (0 between items). */
static _Thread_local uint64_t tls_push_ns;

/* Numbers the automatic names "lrc-sched-N". */
static atomic_uint sched_counter;

uint64_t lrc_sched_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lrc_sched_current_push_ns(void) { return tls_push_ns; }

double lrc_sched_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The clock of the fairness scores: a coarse one (a few ms of resolution,
 * against a half-life of about a second) costs a fifth of the precise one
 * on a virtual machine, and a worker reads it for every item it runs. */
static double score_now_ms(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
#else
    return lrc_sched_now_ms();
#endif
}

bool lrc_sched_ready_add(lrc_scheduler *s, lrc_queue *q)
{
    if (q->in_ready)
        return false;
    q->in_ready = true;
    q->ready_prev = NULL;
    q->ready_next = s->ready;
    if (s->ready)
        s->ready->ready_prev = q;
    s->ready = q;
    atomic_store_explicit(&s->work_hint, true, memory_order_release);
    return s->sleeping && !s->spinning;
}

bool lrc_sched_claim_sleeper(lrc_scheduler *s)
{
    if (!s->ready || s->spinning || !s->sleeping)
        return false;
    s->sleeping--;
    return true;
}

void lrc_sched_wake_claimed(lrc_scheduler *s) { sem_post(&s->work_sem); }

/* With s->lock held: wakes every sleeping worker (closing), work or not. */
static void wake_all_sleepers(lrc_scheduler *s)
{
    for (; s->sleeping > 0; s->sleeping--)
        lrc_sched_wake_claimed(s);
}

void lrc_sched_ready_remove(lrc_scheduler *s, lrc_queue *q)
{
    if (!q->in_ready)
        return;
    if (q->ready_prev)
        q->ready_prev->ready_next = q->ready_next;
    else
        s->ready = q->ready_next;
    if (q->ready_next)
        q->ready_next->ready_prev = q->ready_prev;
    q->ready_prev = q->ready_next = NULL;
    q->in_ready = false;
    if (!s->ready && !s->closed)
        atomic_store_explicit(&s->work_hint, false, memory_order_relaxed);
}

void lrc_sched_wake_flushers(lrc_scheduler *s)
{
    if (s->flushers)
        pthread_cond_broadcast(&s->done_cv);
}

void lrc_sched_destroy(lrc_scheduler *s)
{
    while (s->regs) { /* registered after the last end_registrations */
        sched_reg *r = s->regs;
        s->regs = r->next;
        free(r);
    }
    pthread_cond_destroy(&s->done_cv);
    sem_destroy(&s->work_sem);
    pthread_mutex_destroy(&s->lock);
    free(s->threads);
    free(s->name);
    free(s);
}

/* ---- fair choice ------------------------------------------------------- */

/* q's recent-work count decayed to `now`. */
static double recent_work(const lrc_scheduler *s, const lrc_queue *q, double now)
{
    if (s->half_life_ms <= 0 || q->score == 0)
        return 0;
    return q->score * exp2((q->score_ms - now) / s->half_life_ms);
}

/* The ready queue that did the least work recently; among equals the one
 * whose oldest item waits longest. s->ready must not be empty. */
static lrc_queue *pick_queue(const lrc_scheduler *s, double now)
{
    lrc_queue *best = NULL;
    double best_work = 0;
    for (lrc_queue *q = s->ready; q; q = q->ready_next) {
        double w = recent_work(s, q, now);
        if (!best || w < best_work - SCORE_EPSILON ||
            (w <= best_work + SCORE_EPSILON && q->head->ticket < best->head->ticket)) {
            best = q;
            best_work = w;
        }
    }
    return best;
}

/* Takes one item, runs it unlocked, and puts its queue back in the running.
 * Called and returns with s->lock held. */
static void run_one(lrc_scheduler *s)
{
    double now = score_now_ms();
    lrc_queue *q = pick_queue(s, now);
    sched_item *it = q->head;
    q->head = it->next;
    if (!q->head)
        q->tail = NULL;
    q->st.length--;
    q->st.processed++;
    lrc_sched_ready_remove(s, q);
    q->busy = true; /* keeps the queue's items serial and its memory alive */
    q->running_seq = it->seq;
    q->score = recent_work(s, q, now) + 1;
    q->score_ms = now;
    pthread_mutex_unlock(&s->lock);

    /* Timed outside the lock, recorded under it once the item returns:
     * the two clock reads are the whole per-item cost of the metrics. */
    uint64_t push_ns = it->push_ns;
    tls_push_ns = push_ns;
    uint64_t start_ns = lrc_sched_now_ns();
    it->run(it->item, it->ctx);
    uint64_t end_ns = lrc_sched_now_ns();
    tls_push_ns = 0;
    free(it);

    pthread_mutex_lock(&s->lock);
    lrc_hist_record(&q->queue_time, start_ns > push_ns ? start_ns - push_ns : 0);
    lrc_hist_record(&q->callback_time, end_ns - start_ns);
    q->busy = false;
    if (q->released) {
        /* Its last reference went while the item ran. The scheduler owner's
         * reference outlives every worker, so this is never the last one. */
        (void)lrc_sched_retire_queue(q);
        free(q);
    } else if (q->head && !s->closed && lrc_sched_ready_add(s, q) &&
               lrc_sched_claim_sleeper(s)) {
        lrc_sched_wake_claimed(s); /* another worker may take it */
    }
    lrc_sched_wake_flushers(s);
}

void lrc_sched_run_one_here(lrc_scheduler *s)
{
    const lrc_scheduler *was = tls_worker_of;
    tls_worker_of = s;
    run_one(s);
    tls_worker_of = was;
}

/* Spinning: a worker that just ran an item polls s->work_hint for a while
 * before it sleeps. Events come in bursts (an LRC's status, progress and
 * result, one right after the other), and a worker asleep on the condition
 * variable costs the pushing thread a futex call and the event a wake-up
 * and a context switch, ~10-20 us on a virtual machine, several times what
 * a callback usually takes. The spin is bounded and adaptive: it starts at
 * SPIN_MAX_NS, doubles (up to SPIN_MAX_NS) each time it finds work and
 * halves (down to SPIN_MIN_NS) each time it does not, so that isolated
 * events cost at most SPIN_MIN_NS of CPU each, and an idle worker does not
 * spin at all (only once after each item it ran). */
#define SPIN_MAX_NS 50000
#define SPIN_MIN_NS 2000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Without s->lock: true if work (or closing) showed up within limit_ns. */
static bool spin_for_work(lrc_scheduler *s, uint64_t limit_ns)
{
    uint64_t start = lrc_sched_now_ns();
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&s->work_hint, memory_order_acquire))
            return true;
        cpu_relax();
        if (i % 64 == 0 && lrc_sched_now_ns() - start >= limit_ns)
            return false;
    }
}

static void *worker_main(void *arg)
{
    lrc_scheduler *s = arg;
    tls_worker_of = s;
    uint64_t spin_ns = SPIN_MAX_NS;
    bool may_spin = false; /* only right after running an item */
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->closed && !s->ready) {
            if (may_spin) {
                may_spin = false;
                s->spinning++;
                pthread_mutex_unlock(&s->lock);
                bool found = spin_for_work(s, spin_ns);
                pthread_mutex_lock(&s->lock);
                s->spinning--;
                spin_ns = found ? (spin_ns * 2 < SPIN_MAX_NS ? spin_ns * 2 : SPIN_MAX_NS)
                                : (spin_ns / 2 > SPIN_MIN_NS ? spin_ns / 2 : SPIN_MIN_NS);
                /* A push that saw this worker spinning did not signal: if
                 * another worker took that work, one still sleeping may be
                 * owed it. */
                if (lrc_sched_claim_sleeper(s))
                    lrc_sched_wake_claimed(s);
                continue;
            }
            s->sleeping++; /* whoever wakes this worker takes it back */
            pthread_mutex_unlock(&s->lock);
            while (sem_wait(&s->work_sem) != 0)
                ; /* EINTR */
            pthread_mutex_lock(&s->lock);
        }
        if (s->closed)
            break;
        run_one(s);
        may_spin = true;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- lifecycle --------------------------------------------------------- */

void lrc_scheduler_options_init(lrc_scheduler_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->thread_count = 1;
    o->name = NULL;
    o->queue_capacity = LRC_SCHEDULER_DEFAULT_QUEUE_CAPACITY;
    o->fairness_half_life_ms = 1000.0;
}

static int check_options(const lrc_scheduler_options *o, lrc_error **err)
{
    if (o->thread_count > MAX_THREADS) /* 0: loop mode (scheduler_loop.c) */
        return lrc_fail(err, LRC_EINVAL, "scheduler thread_count must be 0..%d, not %u",
                        MAX_THREADS, o->thread_count);
    if (o->queue_capacity < 1)
        return lrc_fail(err, LRC_EINVAL, "scheduler queue_capacity must be at least 1");
    if (!(o->fairness_half_life_ms >= 0) || isinf(o->fairness_half_life_ms))
        return lrc_fail(err, LRC_EINVAL,
                        "scheduler fairness_half_life_ms must be finite and >= 0");
    return LRC_OK;
}

/* Names worker i "<name>-<i>", shortening the name so that the suffix
 * survives the kernel's 15-character limit. */
static void name_worker(const lrc_scheduler *s, pthread_t t, unsigned i)
{
    char suffix[12];
    int n = snprintf(suffix, sizeof suffix, "-%u", i);
    size_t room = 15 - (size_t)n;
    size_t len = strlen(s->name) < room ? strlen(s->name) : room;
    char name[16];
    memcpy(name, s->name, len);
    memcpy(name + len, suffix, (size_t)n + 1);
    pthread_setname_np(t, name); /* cosmetic: failure is harmless */
}

/* Joins the workers; a worker calling exit() skips itself (the default
 * scheduler's exit handler then runs on it). */
static void join_workers(lrc_scheduler *s)
{
    for (unsigned i = 0; i < s->thread_count; i++)
        if (!pthread_equal(s->threads[i], pthread_self()))
            pthread_join(s->threads[i], NULL);
    s->thread_count = 0;
}

static int start_workers(lrc_scheduler *s, unsigned n, lrc_error **err)
{
    s->threads = calloc(n, sizeof *s->threads);
    if (!s->threads)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    /* Workers run with every signal blocked, so that process signals reach
     * the application's own threads rather than a callback. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = 0;
    while (s->thread_count < n) {
        rc = pthread_create(&s->threads[s->thread_count], NULL, worker_main, s);
        if (rc)
            break;
        name_worker(s, s->threads[s->thread_count], s->thread_count);
        s->thread_count++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!rc)
        return LRC_OK;
    pthread_mutex_lock(&s->lock);
    s->closed = true;
    atomic_store_explicit(&s->work_hint, true, memory_order_release);
    wake_all_sleepers(s);
    pthread_mutex_unlock(&s->lock);
    join_workers(s);
    return lrc_fail(err, LRC_ENOMEM, "cannot start scheduler worker thread: %s", strerror(rc));
}

static int init_sync(lrc_scheduler *s)
{
    /* Flush deadlines use the monotonic clock: wall-clock jumps must not
     * stretch or cut a timeout. */
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca))
        return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&s->done_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc)
        return -1;
    if (sem_init(&s->work_sem, 0, 0)) {
        pthread_cond_destroy(&s->done_cv);
        return -1;
    }
    if (pthread_mutex_init(&s->lock, NULL)) {
        sem_destroy(&s->work_sem);
        pthread_cond_destroy(&s->done_cv);
        return -1;
    }
    return 0;
}

static char *make_name(const char *name)
{
    if (name)
        return strdup(name);
    char buf[32];
    snprintf(buf, sizeof buf, "lrc-sched-%u", atomic_fetch_add(&sched_counter, 1) + 1);
    return strdup(buf);
}

int lrc_scheduler_new(const lrc_scheduler_options *opts, lrc_scheduler **out, lrc_error **err)
{
    if (!out)
        return lrc_fail(err, LRC_EINVAL, "lrc_scheduler_new: out is NULL");
    *out = NULL;
    lrc_scheduler_options o;
    lrc_scheduler_options_init(&o);
    if (opts) {
        if (opts->size < sizeof *opts) /* checked before copying: it may be shorter */
            return lrc_fail(err, LRC_EINVAL,
                            "scheduler options not initialised with lrc_scheduler_options_init");
        o = *opts;
    }
    int rc = check_options(&o, err);
    if (rc)
        return rc;

    lrc_scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    s->name = make_name(o.name);
    if (!s->name || init_sync(s)) {
        free(s->name);
        free(s);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    atomic_init(&s->work_hint, false);
    s->capacity = o.queue_capacity;
    s->half_life_ms = o.fairness_half_life_ms;
    s->refs = 1;
    rc = o.thread_count ? start_workers(s, o.thread_count, err) : lrc_sched_loop_init(s, err);
    if (rc) {
        lrc_sched_destroy(s);
        return rc;
    }
    *out = s;
    return LRC_OK;
}

/* Discards every queued item of every queue, calling the discard fns
 * outside the lock; flushers are woken once they have all returned. */
static void discard_everything(lrc_scheduler *s)
{
    sched_item *all = NULL, **tail = &all;
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (lrc_queue *q = s->queues; q; q = q->all_next) {
        n += q->st.length;
        *tail = lrc_sched_take_all(q);
        while (*tail)
            tail = &(*tail)->next;
    }
    s->discarding += n;
    pthread_mutex_unlock(&s->lock);

    lrc_sched_discard_list(all);

    pthread_mutex_lock(&s->lock);
    s->discarding -= n;
    lrc_sched_wake_flushers(s);
    pthread_mutex_unlock(&s->lock);
}

/* Closes s for pushes, waits for the running callbacks, stops the workers
 * and discards what is queued. The memory stays (its references decide). */
/* ---- registrations ------------------------------------------------------ */

int lrc_sched_reg_add(lrc_scheduler *s, void *obj, void (*end)(void *obj), uint64_t *id)
{
    sched_reg *r = malloc(sizeof *r);
    if (!r)
        return LRC_ENOMEM;
    pthread_mutex_lock(&s->lock);
    if (s->closed) {
        pthread_mutex_unlock(&s->lock);
        free(r);
        return LRC_ECLOSED;
    }
    *r = (sched_reg){.next = s->regs, .id = ++s->next_reg_id, .obj = obj, .end = end};
    s->regs = r;
    *id = r->id;
    pthread_mutex_unlock(&s->lock);
    return LRC_OK;
}

void *lrc_sched_reg_take(lrc_scheduler *s, uint64_t id)
{
    void *obj = NULL;
    pthread_mutex_lock(&s->lock);
    for (sched_reg **pp = &s->regs; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            sched_reg *r = *pp;
            *pp = r->next;
            obj = r->obj;
            free(r);
            break;
        }
    pthread_mutex_unlock(&s->lock);
    return obj;
}

/* Ends what is still registered, while the workers still run (ending waits
 * for a callback in progress). Not at exit for the default scheduler:
 * ending unsubscribes through Tango, which may be gone by then. */
static void end_registrations(lrc_scheduler *s)
{
    pthread_mutex_lock(&s->lock);
    sched_reg *list = s->regs;
    s->regs = NULL;
    pthread_mutex_unlock(&s->lock);
    while (list) {
        sched_reg *r = list;
        list = r->next;
        r->end(r->obj);
        free(r);
    }
}

static void shutdown_scheduler(lrc_scheduler *s)
{
    pthread_mutex_lock(&s->lock);
    bool was_closed = s->closed;
    s->closed = true;
    atomic_store_explicit(&s->work_hint, true, memory_order_release);
    wake_all_sleepers(s);
    pthread_mutex_unlock(&s->lock);
    if (was_closed)
        return;
    join_workers(s);
    discard_everything(s);
}

void lrc_scheduler_free(lrc_scheduler *s)
{
    if (!s)
        return;
    if (s->is_default) {
        lrc_log(LRC_LOG_ERROR, "lrc_scheduler_free: the default scheduler is stopped at exit, "
                               "not by its users; call ignored");
        return;
    }
    if (lrc_scheduler_on_worker(s)) {
        /* Joining itself would deadlock; leaking is the lesser evil. */
        lrc_log(LRC_LOG_ERROR, "lrc_scheduler_free: called from a worker of scheduler '%s'; "
                               "call ignored",
                s->name);
        return;
    }
    end_registrations(s);
    shutdown_scheduler(s);
    lrc_sched_loop_close(s);
    pthread_mutex_lock(&s->lock);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (last)
        lrc_sched_destroy(s);
}

/* ---- the default scheduler ------------------------------------------------ */

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static lrc_scheduler *default_sched;

/* Exit handler. atexit handlers run in reverse order of registration, so
 * this runs BEFORE the handlers registered before the first
 * lrc_scheduler_default() call and after those registered later (and, for a
 * dlclose'd liblrc, at dlclose). It stops the workers and discards what is
 * queued but keeps the memory: code that runs later (an earlier-registered
 * handler, a C++ static destructor, a Tango thread still delivering events)
 * then gets LRC_ECLOSED from pushes and lrc_queue_new instead of touching
 * freed memory. Workers blocked in a callback delay exit until they return. */
static void default_at_exit(void)
{
    shutdown_scheduler(default_sched);
}

static void default_create(void)
{
    lrc_scheduler_options o;
    lrc_scheduler_options_init(&o);
    o.name = "lrc-default";
    lrc_scheduler *s = NULL;
    lrc_error *err = NULL;
    if (lrc_scheduler_new(&o, &s, &err) != LRC_OK) {
        lrc_log(LRC_LOG_ERROR, "cannot create the default scheduler: %s", lrc_error_message(err));
        lrc_error_free(err);
        return;
    }
    s->is_default = true;
    default_sched = s;
    if (atexit(default_at_exit) != 0)
        lrc_log(LRC_LOG_WARNING, "default scheduler: cannot register its exit handler");
}

lrc_scheduler *lrc_scheduler_default(void)
{
    pthread_once(&default_once, default_create);
    return default_sched;
}

/* ---- queries --------------------------------------------------------------- */

static void add_stats(lrc_queue_stats *sum, const lrc_queue_stats *q)
{
    sum->received += q->received;
    sum->processed += q->processed;
    sum->dropped += q->dropped;
    sum->discarded += q->discarded;
    sum->length += q->length;
    sum->capacity += q->capacity;
}

void lrc_scheduler_get_stats(const lrc_scheduler *s, lrc_queue_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!s)
        return;
    lrc_scheduler *m = (lrc_scheduler *)s; /* only the lock is touched */
    pthread_mutex_lock(&m->lock);
    *out = s->retired;
    for (const lrc_queue *q = s->queues; q; q = q->all_next) {
        lrc_queue_stats qs = q->st;
        qs.capacity = q->capacity;
        add_stats(out, &qs);
    }
    pthread_mutex_unlock(&m->lock);
}

int lrc_scheduler_get_metrics(const lrc_scheduler *s, lrc_queue_metrics *out)
{
    return lrc_sched_get_metrics(s, NULL, out);
}

bool lrc_scheduler_on_worker(const lrc_scheduler *s)
{
    return s && tls_worker_of == s;
}
