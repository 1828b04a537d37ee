/*
 * it_abuse.c - the client library and the server kit abused, against real
 * demo devices (docs/bad-input.md):
 *
 * Callbacks: a callback that sleeps 2 s and then blocks until another
 * device's invocations have ended (they must end meanwhile on a 2-worker
 * scheduler: a deadlock otherwise) loses and reorders nothing of its own
 * queue; lrc_subscription_free of another invocation, lrc_proxy_close,
 * lrc_disconnect_interface, lrc_invoke, lrc_scheduler_free and
 * lrc_queue_flush from inside callbacks (what the contracts forbid gives
 * an error or is ignored, never a deadlock); 16 threads invoking and
 * freeing at once on two shared proxies (exactly one final per invocation
 * not freed early, nothing after a free or a final).
 *
 * The kit: a task that never returns (Sleep 86400: the device keeps
 * answering State, status queries and new commands; Abort ends it
 * ABORTED); Init during running and queued tasks (both end ABORTED, the
 * new device knows neither, serves at once); arguments of 1 and 16 MiB to
 * Echo; and, with --long only (its own ctest entry, label long), 1,000
 * submissions/s for 10 s: rejections with their reason once the queue is
 * full, State answered throughout, the server's RSS printed and bounded.
 */
#include "client_rec.h"
#include "it_common.h"
#include "lrc/device.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

static bool g_long; /* --long: only the submission flood */

static void pause_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* A demo device of the test's own with a proxy (streams linger as by
 * default: the tests follow finals, not stream counts). */
typedef struct adev {
    it_dev *d;
    lrc_proxy *p;
} adev;

static void adev_start(adev *a, const char *tag, const char *const *props)
{
    void *ds = NULL;
    assert_int_equal(it_setup(&ds), 0);
    a->d = ds;
    assert_true(it_dev_start(a->d, tag, props));
    lrc_error *err = NULL;
    if (lrc_proxy_open(a->d->device, NULL, &a->p, &err) != LRC_OK)
        fail_msg("lrc_proxy_open %s: %s", a->d->device, lrc_error_message(err));
}

/* Reopens a's proxy with a client timeout of timeout_ms: under load (16
 * threads, a sanitizer) a call may take longer than the default 3 s, and
 * the timeout is not what these tests are about. */
static void adev_timeout(adev *a, int64_t timeout_ms)
{
    lrc_proxy_close(a->p);
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.timeout_ms = timeout_ms;
    assert_int_equal(lrc_proxy_open(a->d->device, &po, &a->p, NULL), LRC_OK);
}

static void adev_stop(adev *a)
{
    lrc_proxy_close(a->p);
    a->p = NULL;
    void *ds = a->d;
    assert_int_equal(it_teardown(&ds), 0); /* the server ended cleanly */
}

static lrc_subscription *invoke(lrc_proxy *p, const char *cmd, const lrc_arg *arg, lrc_update_fn cb,
                                void *user, lrc_scheduler *s)
{
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = s;
    lrc_subscription *sub = NULL;
    lrc_error *err = NULL;
    int rc = lrc_invoke(p, cmd, arg, cb, user, &o, &sub, &err);
    if (rc != LRC_OK)
        fail_msg("lrc_invoke %s: %s", cmd, lrc_error_message(err));
    return sub;
}

/* Runs Echo(text) on p to its end; asserts its exact sequence. */
static void echo_round_trip(lrc_proxy *p, lrc_scheduler *s, const char *text)
{
    crec r;
    crec_init(&r);
    lrc_arg a = lrc_arg_string(text);
    lrc_subscription *sub = invoke(p, "Echo", &a, crec_cb, &r, s);
    assert_true(crec_wait_finals(&r, 1, 30));
    char *seq = crec_sequence(&r);
    char want[256];
    snprintf(want, sizeof want,
             "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"%s\"] FINAL", text);
    if (!crec_sequence_matches(seq, want))
        fail_msg("Echo(%s): %s", text, seq);
    free(seq);
    lrc_subscription_free(sub);
    crec_clear(&r);
}

/* The last update's status (the final one's). */
static int final_status(crec *r)
{
    pthread_mutex_lock(&r->mu);
    int st = r->n ? r->u[r->n - 1].status : -1;
    bool fin = r->n && r->u[r->n - 1].final;
    pthread_mutex_unlock(&r->mu);
    return fin ? st : -1;
}

static char *final_result(crec *r)
{
    pthread_mutex_lock(&r->mu);
    char *s = r->n && r->u[r->n - 1].result_json ? strdup(r->u[r->n - 1].result_json) : NULL;
    pthread_mutex_unlock(&r->mu);
    return s;
}

/* Waits until the recorder saw an update with status st. */
static bool wait_status(crec *r, int st, double timeout_s)
{
    double end = crec_now() + timeout_s;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        bool seen = false;
        for (size_t i = 0; i < r->n; i++)
            if ((r->u[i].has & LRC_HAS_STATUS) && r->u[i].status == st)
                seen = true;
        pthread_mutex_unlock(&r->mu);
        if (seen)
            return true;
        if (crec_now() > end)
            return false;
        pause_s(0.02);
    }
}

static lrc_scheduler *new_scheduler(unsigned threads, const char *name)
{
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.thread_count = threads;
    so.name = name;
    lrc_scheduler *s = NULL;
    assert_int_equal(lrc_scheduler_new(&so, &s, NULL), LRC_OK);
    return s;
}

/* ==== a slow, blocking callback ======================================== */

#define NB 5

typedef struct slow {
    crec rec;
    crec *others; /* device B's recorders */
    double slept_until;
    bool waited_out; /* B's finals did not come while this callback blocked */
    bool done;
} slow;

static void slow_cb(const lrc_update *u, void *user)
{
    slow *s = user;
    /* first the blocking, then the recording: the test reads what this
     * wrote once it has seen the final update */
    if (!s->done) {
        s->done = true;
        pause_s(2.0);
        s->slept_until = crec_now();
        for (int i = 0; i < NB; i++)
            if (!crec_wait_finals(&s->others[i], 1, 30))
                s->waited_out = true;
    }
    crec_cb(u, &s->rec);
}

static void test_slow_callback(void **state)
{
    (void)state;
    adev A = {0}, B = {0};
    adev_start(&A, "abslowA", NULL);
    adev_start(&B, "abslowB", NULL);
    lrc_scheduler *s = new_scheduler(2, "abuse-slow");
    lrc_error *err = NULL;
    assert_int_equal(lrc_connect_interface(A.p, s, &err), LRC_OK);
    assert_int_equal(lrc_connect_interface(B.p, s, &err), LRC_OK);
    echo_round_trip(A.p, s, "warm A"); /* the event channels are up */
    echo_round_trip(B.p, s, "warm B");

    crec b[NB], a[3];
    slow sl = {.others = b};
    crec_init(&sl.rec);
    for (int i = 0; i < NB; i++)
        crec_init(&b[i]);
    for (int i = 0; i < 3; i++)
        crec_init(&a[i]);
    lrc_arg arg = lrc_arg_string("slow");
    lrc_subscription *s_slow = invoke(A.p, "Echo", &arg, slow_cb, &sl, s);
    lrc_subscription *sa[3], *sb[NB];
    char ta[3][16], tb[NB][16];
    for (int i = 0; i < 3; i++) {
        snprintf(ta[i], sizeof ta[i], "a%d", i);
        arg = lrc_arg_string(ta[i]);
        sa[i] = invoke(A.p, "Echo", &arg, crec_cb, &a[i], s);
    }
    for (int i = 0; i < NB; i++) {
        snprintf(tb[i], sizeof tb[i], "b%d", i);
        arg = lrc_arg_string(tb[i]);
        sb[i] = invoke(B.p, "Echo", &arg, crec_cb, &b[i], s);
    }
    assert_true(crec_wait_finals(&sl.rec, 1, 60));
    for (int i = 0; i < 3; i++)
        assert_true(crec_wait_finals(&a[i], 1, 30));
    /* B's invocations ended while A's callback blocked: not held up */
    assert_false(sl.waited_out);
    /* nothing lost or reordered on A: each sequence is exact, and every
     * update of A's queue after the slow one ran after it returned */
    char want[160];
    char *seq = crec_sequence(&sl.rec);
    assert_string_equal(seq,
                        "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"slow\"] FINAL");
    free(seq);
    for (int i = 0; i < 3; i++) {
        seq = crec_sequence(&a[i]);
        snprintf(want, sizeof want,
                 "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"%s\"] FINAL", ta[i]);
        assert_string_equal(seq, want);
        free(seq);
        assert_true(a[i].u[0].at >= sl.slept_until);
    }
    for (int i = 0; i < NB; i++) {
        seq = crec_sequence(&b[i]);
        snprintf(want, sizeof want,
                 "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"%s\"] FINAL", tb[i]);
        assert_string_equal(seq, want);
        free(seq);
    }
    print_message("slow callback: B's %d invocations ended while A's callback blocked\n", NB);
    lrc_subscription_free(s_slow);
    for (int i = 0; i < 3; i++) {
        lrc_subscription_free(sa[i]);
        crec_clear(&a[i]);
    }
    for (int i = 0; i < NB; i++) {
        lrc_subscription_free(sb[i]);
        crec_clear(&b[i]);
    }
    crec_clear(&sl.rec);
    assert_int_equal(lrc_disconnect_interface(A.p, s), LRC_OK);
    assert_int_equal(lrc_disconnect_interface(B.p, s), LRC_OK);
    lrc_scheduler_free(s);
    adev_stop(&A);
    adev_stop(&B);
}

/* ==== calls from inside callbacks ======================================= */

typedef struct inside {
    crec rec;
    lrc_proxy *p;
    lrc_scheduler *s;
    lrc_queue *q;
    lrc_subscription *victim; /* another invocation's handle */
    crec *victim_rec;
    size_t victim_seen;       /* its updates when it was freed */
    crec nested;
    lrc_subscription *nested_sub;
    int flush_rc, disconnect_rc, invoke_rc;
    bool sched_free_returned;
    bool did;
} inside;

static void inside_cb(const lrc_update *u, void *user)
{
    inside *x = user;
    if (x->did) {
        crec_cb(u, &x->rec);
        return;
    }
    x->did = true;
    /* the other invocation: freed, never called again */
    lrc_subscription_free(x->victim);
    pthread_mutex_lock(&x->victim_rec->mu);
    x->victim_seen = x->victim_rec->n;
    pthread_mutex_unlock(&x->victim_rec->mu);
    /* forbidden on a worker: an error, not a deadlock */
    x->flush_rc = lrc_queue_flush(x->q, -1);
    /* forbidden on its own worker: ignored (and logged) */
    lrc_scheduler_free(x->s);
    x->sched_free_returned = true;
    x->disconnect_rc = lrc_disconnect_interface(x->p, x->s);
    lrc_arg a = lrc_arg_string("nested");
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = x->s;
    x->invoke_rc = lrc_invoke(x->p, "Echo", &a, crec_cb, &x->nested, &o, &x->nested_sub, NULL);
    /* the caller's handle on the proxy: invocations keep it alive */
    lrc_proxy_close(x->p);
    crec_cb(u, &x->rec); /* last: the test reads the above after the final */
}

static void test_calls_inside_callbacks(void **state)
{
    (void)state;
    adev A = {0};
    adev_start(&A, "abinside", NULL);
    lrc_scheduler *s = new_scheduler(1, "abuse-inside");
    lrc_error *err = NULL;
    assert_int_equal(lrc_connect_interface(A.p, s, &err), LRC_OK);
    echo_round_trip(A.p, s, "warm");

    inside x = {.p = A.p, .s = s};
    crec_init(&x.rec);
    crec_init(&x.nested);
    crec victim;
    crec_init(&victim);
    x.victim_rec = &victim;
    assert_int_equal(lrc_queue_new(s, 0, &x.q, NULL), LRC_OK);
    /* the victim runs long: it would have many updates left */
    lrc_arg sl = lrc_arg_double(1.0);
    x.victim = invoke(A.p, "Sleep", &sl, crec_cb, &victim, s);
    assert_true(crec_wait_count(&victim, 1, 10));
    lrc_arg e = lrc_arg_string("trigger");
    lrc_subscription *sub = invoke(A.p, "Echo", &e, inside_cb, &x, s);
    A.p = NULL; /* closed by the callback */

    assert_true(crec_wait_finals(&x.rec, 1, 30));
    assert_true(x.sched_free_returned);
    assert_int_equal(x.flush_rc, LRC_ESTATE);
    assert_int_equal(x.disconnect_rc, LRC_OK);
    assert_int_equal(x.invoke_rc, LRC_OK);
    assert_true(crec_wait_finals(&x.nested, 1, 30));
    char *seq = crec_sequence(&x.rec);
    assert_string_equal(seq,
                        "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, \"trigger\"] FINAL");
    free(seq);
    seq = crec_sequence(&x.nested);
    if (!crec_sequence_matches(seq, "STAGING | QUEUED | IN_PROGRESS | COMPLETED result=[0, "
                                    "\"nested\"] FINAL"))
        fail_msg("nested Echo: %s", seq);
    free(seq);
    /* the Sleep goes on on the device (1 s) but its callback is gone */
    pause_s(1.5);
    pthread_mutex_lock(&victim.mu);
    size_t after = victim.n;
    size_t finals = victim.finals;
    pthread_mutex_unlock(&victim.mu);
    assert_int_equal(after, x.victim_seen);
    assert_int_equal(finals, 0);
    print_message("inside callbacks: victim had %zu updates when freed, none after; flush -> %s\n",
                  x.victim_seen, lrc_strerror(x.flush_rc));

    lrc_subscription_free(sub);
    lrc_subscription_free(x.nested_sub);
    lrc_queue_unref(x.q);
    lrc_scheduler_free(s); /* now from outside: frees it */
    crec_clear(&x.rec);
    crec_clear(&x.nested);
    crec_clear(&victim);
    adev_stop(&A);
}

/* ==== 16 threads invoking and freeing =================================== */

#define NT 16
#define PER 8

enum mode { KEEP, SELF_FREE, FREE_NOW, FREE_LATER, FREE_IN_CB, NMODES };

typedef struct inv {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int mode;
    int rc;
    lrc_subscription *sub;
    bool sub_set;
    bool freed;
    int updates, finals, after_free, after_final;
    char errtext[256];
} inv;

static void inv_cb(const lrc_update *u, void *user)
{
    inv *v = user;
    pthread_mutex_lock(&v->mu);
    if (v->freed)
        v->after_free++;
    if (v->finals)
        v->after_final++;
    v->updates++;
    if (u->final)
        v->finals++;
    pthread_cond_broadcast(&v->cv);
    bool free_now = v->mode == FREE_IN_CB && v->updates == 1;
    if (free_now) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 10;
        while (!v->sub_set && pthread_cond_timedwait(&v->cv, &v->mu, &ts) == 0) {
        }
    }
    lrc_subscription *sub = v->sub;
    pthread_mutex_unlock(&v->mu);
    if (free_now && sub) {
        lrc_subscription_free(sub);
        pthread_mutex_lock(&v->mu);
        v->freed = true;
        pthread_mutex_unlock(&v->mu);
    }
}

typedef struct mt {
    lrc_proxy *p[2];
    lrc_scheduler *s;
    inv v[NT * PER];
    pthread_barrier_t go;
} mt;

typedef struct mt_arg {
    mt *m;
    int t;
} mt_arg;

static void *mt_thread(void *arg)
{
    mt_arg *a = arg;
    mt *m = a->m;
    pthread_barrier_wait(&m->go);
    for (int k = 0; k < PER; k++) {
        inv *v = &m->v[a->t * PER + k];
        char text[32];
        snprintf(text, sizeof text, "t%d-%d", a->t, k);
        lrc_arg e = lrc_arg_string(text);
        lrc_invoke_options o;
        lrc_invoke_options_init(&o);
        o.scheduler = m->s;
        lrc_subscription *sub = NULL;
        lrc_error *err = NULL;
        v->rc = lrc_invoke(m->p[(a->t + k) % 2], "Echo", &e, inv_cb, v, &o,
                           v->mode == SELF_FREE ? NULL : &sub, &err);
        if (err)
            snprintf(v->errtext, sizeof v->errtext, "%s", lrc_error_message(err));
        lrc_error_free(err);
        pthread_mutex_lock(&v->mu);
        v->sub = sub;
        v->sub_set = true;
        pthread_cond_broadcast(&v->cv);
        pthread_mutex_unlock(&v->mu);
        if (v->rc != LRC_OK)
            continue;
        if (v->mode == FREE_NOW || v->mode == FREE_LATER) {
            if (v->mode == FREE_LATER)
                pause_s(0.001 * (double)(k % 4));
            lrc_subscription_free(sub);
            pthread_mutex_lock(&v->mu);
            v->freed = true;
            pthread_mutex_unlock(&v->mu);
        }
    }
    return NULL;
}

static void test_sixteen_threads(void **state)
{
    (void)state;
    static const char *const props[] = {"MaxQueuedTasks=256", "MaxExecutingTasks=4", NULL};
    adev A = {0}, B = {0};
    adev_start(&A, "ab16A", props);
    adev_start(&B, "ab16B", props);
    adev_timeout(&A, 30000);
    adev_timeout(&B, 30000);
    mt *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->p[0] = A.p;
    m->p[1] = B.p;
    m->s = new_scheduler(4, "abuse-16");
    echo_round_trip(A.p, m->s, "warm A");
    echo_round_trip(B.p, m->s, "warm B");
    for (int i = 0; i < NT * PER; i++) {
        pthread_mutex_init(&m->v[i].mu, NULL);
        pthread_cond_init(&m->v[i].cv, NULL);
        m->v[i].mode = i % NMODES;
    }
    pthread_barrier_init(&m->go, NULL, NT);
    pthread_t th[NT];
    mt_arg args[NT];
    for (int t = 0; t < NT; t++) {
        args[t] = (mt_arg){m, t};
        assert_int_equal(pthread_create(&th[t], NULL, mt_thread, &args[t]), 0);
    }
    for (int t = 0; t < NT; t++)
        pthread_join(th[t], NULL);
    /* every invocation that keeps its callback ends exactly once */
    double end = crec_now() + 60;
    int missing = 0;
    for (int i = 0; i < NT * PER; i++) {
        inv *v = &m->v[i];
        if (v->rc != LRC_OK)
            fail_msg("invocation %d: lrc_invoke: %s: %s", i, lrc_strerror(v->rc), v->errtext);
        if (v->mode != KEEP && v->mode != SELF_FREE)
            continue;
        pthread_mutex_lock(&v->mu);
        while (v->finals == 0 && crec_now() < end) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&v->cv, &v->mu, &ts);
        }
        if (v->finals == 0)
            missing++;
        pthread_mutex_unlock(&v->mu);
    }
    assert_int_equal(missing, 0);
    /* those freeing themselves in their first callback have done so (their
     * first update may come after the barriers below) */
    for (int i = 0; i < NT * PER; i++) {
        inv *v = &m->v[i];
        if (v->mode != FREE_IN_CB)
            continue;
        bool freed = false;
        while (crec_now() < end) {
            pthread_mutex_lock(&v->mu);
            freed = v->freed;
            pthread_mutex_unlock(&v->mu);
            if (freed)
                break;
            pause_s(0.01);
        }
        if (!freed)
            fail_msg("invocation %d never got its first callback", i);
    }
    /* a barrier per device on the same scheduler: whatever was queued
     * before it has run */
    echo_round_trip(A.p, m->s, "barrier A");
    echo_round_trip(B.p, m->s, "barrier B");
    int counts[NMODES] = {0}, finals = 0;
    for (int i = 0; i < NT * PER; i++) {
        inv *v = &m->v[i];
        pthread_mutex_lock(&v->mu);
        if (v->after_free || v->after_final || v->finals > 1 ||
            ((v->mode == KEEP || v->mode == SELF_FREE) && v->finals != 1))
            fail_msg("invocation %d (mode %d): %d updates, %d finals, %d after free, %d after "
                     "final",
                     i, v->mode, v->updates, v->finals, v->after_free, v->after_final);
        counts[v->mode]++;
        finals += v->finals;
        pthread_mutex_unlock(&v->mu);
    }
    print_message("16 threads: %d invocations (%d kept, %d self-freeing, %d freed at once, %d "
                  "freed later, %d freed in a callback): %d finals, 0 after a free or final\n",
                  NT * PER, counts[KEEP], counts[SELF_FREE], counts[FREE_NOW], counts[FREE_LATER],
                  counts[FREE_IN_CB], finals);
    for (int i = 0; i < NT * PER; i++) {
        inv *v = &m->v[i];
        if (v->mode == KEEP)
            lrc_subscription_free(v->sub);
        pthread_mutex_destroy(&v->mu);
        pthread_cond_destroy(&v->cv);
    }
    pthread_barrier_destroy(&m->go);
    lrc_scheduler_free(m->s);
    free(m);
    adev_stop(&A);
    adev_stop(&B);
}

/* ==== the kit: a task that never returns ================================= */

static char *plain(lrc_proxy *p, const char *cmd, const lrc_arg *arg)
{
    char *reply = NULL;
    lrc_error *err = NULL;
    if (lrc_proxy_command(p, cmd, arg, &reply, &err) != LRC_OK)
        fail_msg("%s: %s", cmd, lrc_error_message(err));
    return reply;
}

static void test_task_never_returns(void **state)
{
    (void)state;
    static const char *const props[] = {"MaxExecutingTasks=2", NULL};
    adev A = {0};
    adev_start(&A, "abforever", props);
    crec forever;
    crec_init(&forever);
    char *st0 = plain(A.p, "State", NULL);
    lrc_arg day = lrc_arg_double(86400.0);
    lrc_subscription *sf = invoke(A.p, "Sleep", &day, crec_cb, &forever, NULL);
    assert_true(wait_status(&forever, LRC_STATUS_IN_PROGRESS, 10));
    /* the device answers: State (unchanged), the task's status, a new command */
    char *st = plain(A.p, "State", NULL);
    assert_string_equal(st, st0);
    free(st);
    free(st0);
    lrc_status s = LRC_STATUS_NOT_FOUND;
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_command_status(A.p, lrc_subscription_command_id(sf), &s, &err),
                     LRC_OK);
    assert_int_equal(s, LRC_STATUS_IN_PROGRESS);
    echo_round_trip(A.p, NULL, "while sleeping");
    /* Abort ends it ABORTED */
    crec ab;
    crec_init(&ab);
    lrc_subscription *sa = invoke(A.p, "Abort", NULL, crec_cb, &ab, NULL);
    assert_true(crec_wait_finals(&forever, 1, 20));
    assert_true(crec_wait_finals(&ab, 1, 20));
    assert_int_equal(final_status(&forever), LRC_STATUS_ABORTED);
    char *res = final_result(&forever);
    assert_string_equal(res, "[7, \"Command has been aborted\"]");
    free(res);
    assert_int_equal(final_status(&ab), LRC_STATUS_COMPLETED);
    echo_round_trip(A.p, NULL, "after abort");
    lrc_subscription_free(sf);
    lrc_subscription_free(sa);
    crec_clear(&forever);
    crec_clear(&ab);
    adev_stop(&A);
}

/* ==== the kit: Init during running and queued tasks ====================== */

static void test_init_during_tasks(void **state)
{
    (void)state;
    adev A = {0};
    adev_start(&A, "abinit", NULL); /* one worker: the second Sleep queues */
    crec run, queued;
    crec_init(&run);
    crec_init(&queued);
    char *st0 = plain(A.p, "State", NULL);
    lrc_arg day = lrc_arg_double(86400.0);
    lrc_subscription *s1 = invoke(A.p, "Sleep", &day, crec_cb, &run, NULL);
    lrc_subscription *s2 = invoke(A.p, "Sleep", &day, crec_cb, &queued, NULL);
    assert_true(wait_status(&run, LRC_STATUS_IN_PROGRESS, 10));
    assert_true(wait_status(&queued, LRC_STATUS_QUEUED, 10));
    char *id1 = strdup(lrc_subscription_command_id(s1));
    char *id2 = strdup(lrc_subscription_command_id(s2));
    free(plain(A.p, "Init", NULL));
    /* both end ABORTED, each with exactly one final */
    assert_true(crec_wait_finals(&run, 1, 20));
    assert_true(crec_wait_finals(&queued, 1, 20));
    assert_int_equal(final_status(&run), LRC_STATUS_ABORTED);
    assert_int_equal(final_status(&queued), LRC_STATUS_ABORTED);
    char *r1 = final_result(&run), *r2 = final_result(&queued);
    print_message("Init: running Sleep -> ABORTED %s, queued Sleep -> ABORTED %s\n", r1, r2);
    free(r1);
    free(r2);
    /* the new device knows neither, and serves at once */
    lrc_status s = LRC_STATUS_STAGING;
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_command_status(A.p, id1, &s, &err), LRC_OK);
    assert_int_equal(s, LRC_STATUS_NOT_FOUND);
    assert_int_equal(lrc_proxy_command_status(A.p, id2, &s, &err), LRC_OK);
    assert_int_equal(s, LRC_STATUS_NOT_FOUND);
    char *st = plain(A.p, "State", NULL);
    assert_string_equal(st, st0); /* the initial state again */
    free(st);
    free(st0);
    echo_round_trip(A.p, NULL, "after init");
    pause_s(0.5);
    assert_int_equal(run.finals, 1);
    assert_int_equal(queued.finals, 1);
    lrc_subscription_free(s1);
    lrc_subscription_free(s2);
    free(id1);
    free(id2);
    crec_clear(&run);
    crec_clear(&queued);
    adev_stop(&A);
}

/* ==== the kit: huge arguments ============================================ */

static void test_huge_arguments(void **state)
{
    (void)state;
    adev A = {0};
    adev_start(&A, "abhuge", NULL);
    adev_timeout(&A, 30000); /* 16 MiB through CORBA takes a while */
    const size_t sizes[] = {1u << 20, 16u << 20};
    for (size_t k = 0; k < 2; k++) {
        char *text = malloc(sizes[k] + 1);
        assert_non_null(text);
        memset(text, 'h', sizes[k]);
        text[sizes[k]] = 0;
        crec r;
        crec_init(&r);
        lrc_arg a = lrc_arg_string(text);
        lrc_invoke_options o;
        lrc_invoke_options_init(&o);
        lrc_subscription *sub = NULL;
        lrc_error *err = NULL;
        int rc = lrc_invoke(A.p, "Echo", &a, crec_cb, &r, &o, &sub, &err);
        free(text);
        if (rc != LRC_OK) {
            char *et = lrct_error_text(err);
            fail_msg("Echo of %zu MiB: %s: %s", sizes[k] >> 20, lrc_strerror(rc), et);
        }
        /* accepted, then FAILED: the result would be over the kit's 64 KiB */
        assert_true(crec_wait_finals(&r, 1, 60));
        assert_int_equal(final_status(&r), LRC_STATUS_FAILED);
        char *res = final_result(&r);
        assert_non_null(res);
        assert_non_null(strstr(res, "Unhandled exception during execution: result of Echo is "
                                    "too large: "));
        assert_non_null(strstr(res, "(limit 65536)"));
        print_message("Echo of %zu MiB -> FAILED %.160s\n", sizes[k] >> 20, res);
        free(res);
        lrc_subscription_free(sub);
        crec_clear(&r);
        echo_round_trip(A.p, NULL, "small again");
    }
    adev_stop(&A);
}

/* ==== the kit: 1,000 submissions/s for 10 s (--long) ===================== */

#define FLOOD_THREADS 4
#define FLOOD_S 10.0
#define FLOOD_RATE 1000.0

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

typedef struct flood {
    lrc_proxy *p;
    double t0;
    pthread_mutex_t mu;
    long queued, rejected, other;
    char other_text[256];
    char reason[256];
    bool stop;
    long state_reads, state_failures;
    double state_max_s;
} flood;

static void *flood_thread(void *arg)
{
    flood *f = arg;
    const double period = FLOOD_THREADS / FLOOD_RATE;
    lrc_arg a = lrc_arg_double(0.05);
    for (long n = 0;; n++) {
        double at = f->t0 + (double)n * period;
        if (at >= f->t0 + FLOOD_S)
            break;
        double now = crec_now();
        if (at > now)
            pause_s(at - now);
        char *reply = NULL;
        lrc_error *err = NULL;
        int rc = lrc_proxy_command(f->p, "Sleep", &a, &reply, &err);
        json_t *j = rc == LRC_OK ? json_loads(reply, 0, NULL) : NULL;
        json_int_t code = json_integer_value(json_array_get(json_array_get(j, 0), 0));
        const char *text = json_string_value(json_array_get(json_array_get(j, 1), 0));
        pthread_mutex_lock(&f->mu);
        if (rc == LRC_OK && code == LRC_RESULT_QUEUED && text)
            f->queued++;
        else if (rc == LRC_OK && code == LRC_RESULT_REJECTED && text && *text) {
            f->rejected++;
            snprintf(f->reason, sizeof f->reason, "%s", text);
        } else {
            f->other++;
            snprintf(f->other_text, sizeof f->other_text, "rc %d: %s / %s", rc,
                     lrc_error_message(err), reply ? reply : "");
        }
        pthread_mutex_unlock(&f->mu);
        json_decref(j);
        free(reply);
        lrc_error_free(err);
    }
    return NULL;
}

static void *state_thread(void *arg)
{
    flood *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        bool stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop)
            break;
        double t = crec_now();
        char *reply = NULL;
        int rc = lrc_proxy_command(f->p, "State", NULL, &reply, NULL);
        t = crec_now() - t;
        pthread_mutex_lock(&f->mu);
        f->state_reads++;
        if (rc != LRC_OK)
            f->state_failures++;
        if (t > f->state_max_s)
            f->state_max_s = t;
        pthread_mutex_unlock(&f->mu);
        free(reply);
        pause_s(0.1);
    }
    return NULL;
}

static void test_submission_flood(void **state)
{
    (void)state;
    adev A = {0};
    adev_start(&A, "abflood", NULL); /* MaxQueuedTasks 32, one worker */
    pid_t pid = lrct_server_pid(A.d->srv);
    echo_round_trip(A.p, NULL, "warm");
    long before = rss_kb(pid);
    flood f = {.p = A.p};
    pthread_mutex_init(&f.mu, NULL);
    f.t0 = crec_now();
    pthread_t th[FLOOD_THREADS], mon;
    for (int t = 0; t < FLOOD_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, flood_thread, &f), 0);
    assert_int_equal(pthread_create(&mon, NULL, state_thread, &f), 0);
    for (int t = 0; t < FLOOD_THREADS; t++)
        pthread_join(th[t], NULL);
    double took = crec_now() - f.t0;
    pthread_mutex_lock(&f.mu);
    f.stop = true;
    pthread_mutex_unlock(&f.mu);
    pthread_join(mon, NULL);
    long during = rss_kb(pid);
    /* empty the queue, then the device serves as before */
    crec ab;
    crec_init(&ab);
    lrc_subscription *sa = invoke(A.p, "Abort", NULL, crec_cb, &ab, NULL);
    assert_true(crec_wait_finals(&ab, 1, 60));
    lrc_subscription_free(sa);
    crec_clear(&ab);
    echo_round_trip(A.p, NULL, "after the flood");
    long after = rss_kb(pid);
    long total = f.queued + f.rejected + f.other;
    print_message("flood: %ld submissions in %.1f s (%.0f/s): %ld queued, %ld rejected (\"%s\"), "
                  "%ld other%s%s\n",
                  total, took, (double)total / took, f.queued, f.rejected, f.reason, f.other,
                  f.other ? ": " : "", f.other_text);
    print_message("flood: State read %ld times, %ld failures, slowest %.3f s\n", f.state_reads,
                  f.state_failures, f.state_max_s);
    print_message("flood: server VmRSS %ld kB before, %ld kB at the end, %ld kB after Abort\n",
                  before, during, after);
    assert_int_equal(f.other, 0);
    assert_true(f.rejected > 0);
    assert_string_equal(f.reason, "Input queue supports a maximum of 32 commands");
    assert_true(f.state_reads > 0);
    assert_int_equal(f.state_failures, 0);
    assert_true(before > 0 && after > 0);
    /* bounded: rejected submissions leave nothing, finished commands are
     * capped (the last 100): far less than 64 MiB for 10 s of traffic */
    assert_true(after - before < 64 * 1024);
    pthread_mutex_destroy(&f.mu);
    adev_stop(&A);
}

/* ==== bad devices and bad text (client side) ============================= */

static void test_bad_devices_and_text(void **state)
{
    (void)state;
    lrc_error *err = NULL;
    lrc_proxy *p = NULL;
    int rc;
    /* a device the database does not know */
    assert_int_equal(lrc_proxy_open("abuse/no/such-device", NULL, &p, &err), LRC_ENOTFOUND);
    assert_null(p);
    print_message("unknown device -> %s\n", lrc_error_message(err));
    assert_string_equal(lrc_error_message(err), "Can't connect to device abuse/no/such-device");
    lrc_error_free(err);
    err = NULL;

    /* an overlong name */
    char *longname = malloc(5001);
    assert_non_null(longname);
    memcpy(longname, "a/b/", 4);
    memset(longname + 4, 'n', 4996);
    longname[5000] = 0;
    rc = lrc_proxy_open(longname, NULL, &p, &err);
    free(longname);
    print_message("5,000-character device name -> %s: %.120s\n", lrc_strerror(rc),
                  lrc_error_message(err));
    assert_int_equal(rc, LRC_ENOTFOUND);
    assert_null(p);
    lrc_error_free(err);
    err = NULL;

    /* a plain Tango device, not LRC-capable: the admin device of a demo
     * server (class DServer, no LRC attribute or command) */
    adev A = {0};
    adev_start(&A, "abtext", NULL);
    char admin[256];
    snprintf(admin, sizeof admin, "dserver/lrc-demo-device/%s", A.d->instance);
    assert_int_equal(lrc_proxy_open(admin, NULL, &p, &err), LRC_OK);
    crec r;
    crec_init(&r);
    lrc_subscription *sub = (lrc_subscription *)&err;
    rc = lrc_invoke(p, "QueryClass", NULL, crec_cb, &r, NULL, &sub, &err);
    char *et = lrct_error_text(err);
    print_message("QueryClass on %s -> %s: %s\n", admin, lrc_strerror(rc), et);
    free(et);
    assert_int_equal(rc, LRC_EINVAL);
    assert_null(sub);
    assert_non_null(strstr(lrc_error_message(err), "is not a long running command"));
    lrc_error_free(err);
    err = NULL;
    lrc_protocol_info info;
    lrc_protocol_info_init(&info);
    assert_int_equal(lrc_proxy_protocol(p, &info, &err), LRC_ENOTFOUND);
    print_message("lrc_proxy_protocol on %s -> %s\n", admin, lrc_error_message(err));
    assert_non_null(strstr(lrc_error_message(err), "is not LRC-capable: it has neither "
                                                   "lrcProtocolVersions nor "
                                                   "longRunningCommandStatus"));
    lrc_error_free(err);
    err = NULL;
    assert_false(info.lrc_capable);
    assert_int_equal(info.version, 0);
    /* lrc_connect_interface is not called here: its subscription fails
     * (the device has no longRunningCommandStatus; unit/test_client:
     * test_connect_interface_failures covers that failure), and a failed
     * subscribe_event leaves libtango with an event channel whose thread
     * races libtango's own static destructors at exit under TSan (cppTango
     * 9.3.4, nothing of ours on either stack). */
    lrc_proxy_stats st;
    lrc_proxy_get_stats(p, &st);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.subscribes, 0);
    assert_int_equal(st.invocations, 0);
    lrc_proxy_close(p);
    assert_int_equal(r.n, 0);

    /* text: invalid UTF-8 and characters beyond Latin-1 are refused before
     * anything is sent; control characters travel and come back */
    lrc_arg bad = lrc_arg_string("caf\xe9");
    sub = NULL;
    assert_int_equal(lrc_invoke(A.p, "Echo", &bad, crec_cb, &r, NULL, &sub, &err), LRC_EINVAL);
    assert_string_equal(lrc_error_message(err),
                        "argument of command 'Echo' is not UTF-8 text (byte 0xE9 at offset 3)");
    lrc_error_free(err);
    err = NULL;
    lrc_arg arrow = lrc_arg_string("a \xe2\x86\x92 b");
    assert_int_equal(lrc_invoke(A.p, "Echo", &arrow, crec_cb, &r, NULL, &sub, &err), LRC_EINVAL);
    assert_non_null(strstr(lrc_error_message(err), "holds U+2192"));
    lrc_error_free(err);
    err = NULL;
    lrc_proxy_stats before;
    lrc_proxy_get_stats(A.p, &before);
    assert_int_equal(before.invocations, 0);
    assert_int_equal(before.subscribes, 0);
    lrc_arg ctl = lrc_arg_string("a\x01" "b\tc\nd\x7f");
    sub = invoke(A.p, "Echo", &ctl, crec_cb, &r, NULL);
    assert_true(crec_wait_finals(&r, 1, 30));
    assert_int_equal(final_status(&r), LRC_STATUS_COMPLETED);
    char *res = final_result(&r);
    assert_string_equal(res, "[0, \"a\\u0001b\\tc\\nd\\u007f\"]");
    free(res);
    lrc_subscription_free(sub);
    crec_clear(&r);
    adev_stop(&A);
}

/* ==== the kit: a device author's bad properties ========================== */

/* A device started with one bad property is FAULT; its Status says why. */
static void expect_fault(const char *tag, const char *prop, const char *why)
{
    void *ds = NULL;
    assert_int_equal(it_setup(&ds), 0);
    it_dev *d = ds;
    char *st = it_dev_start_faulty(d, tag, prop);
    assert_non_null(st);
    print_message("%s -> FAULT: %s\n", prop, st);
    if (!strstr(st, why))
        fail_msg("status of a device with %s: %s (wanted: %s)", prop, st, why);
    free(st);
    /* the device refuses work, saying so, and does not crash */
    lrc_error *err = NULL;
    int64_t code = -1;
    char *text = NULL;
    assert_int_not_equal(lrct_lrc_call_str(d->p, "Echo", "x", &code, &text, &err), LRC_OK);
    lrc_error_free(err);
    free(text);
    assert_int_equal(it_teardown(&ds), 0);
}

static void test_bad_properties(void **state)
{
    (void)state;
    expect_fault("abpropq", "MaxQueuedTasks=abc",
                 "property MaxQueuedTasks = \"abc\": expected a number in [0, ");
    expect_fault("abproph", "SubscriberHold=11",
                 "property SubscriberHold = \"11\": expected a number in [0, 10]");
    expect_fault("abpropv", "LrcProtocolVersions=2,1",
                 "property LrcProtocolVersions = \"2,1\": expected \"MIN,MAX\" or \"none\"");
    expect_fault("abpropa", "EchoAlias=", "name and task are required");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--long") == 0) {
            g_long = true;
            for (int k = i; k + 1 < argc; k++)
                argv[k] = argv[k + 1];
            argc--;
        }
    it_init(argc, argv);
    if (getenv("IT_ABUSE_ONLY")) /* e.g. IT_ABUSE_ONLY=test_init* */
        cmocka_set_test_filter(getenv("IT_ABUSE_ONLY"));
    if (g_impl == IT_IMPL_PY) {
        fprintf(stderr, "it_abuse: the demo device only\n");
        return 1;
    }
    const struct CMUnitTest flood_tests[] = {cmocka_unit_test(test_submission_flood)};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_callback),       cmocka_unit_test(test_calls_inside_callbacks),
        cmocka_unit_test(test_sixteen_threads),     cmocka_unit_test(test_task_never_returns),
        cmocka_unit_test(test_init_during_tasks),   cmocka_unit_test(test_huge_arguments),
        cmocka_unit_test(test_bad_devices_and_text), cmocka_unit_test(test_bad_properties),
    };
    if (g_long)
        return cmocka_run_group_tests_name("it_abuse.long", flood_tests, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
