/* Unit tests: the scheduler's loop mode (thread_count 0): the fd's level
 * semantics, dispatch on the caller's thread, wakeup, the limits of one
 * dispatch, flush and free. No sleeps: poll() with a zero timeout tells
 * whether the fd is readable now. */
#include "lrc/scheduler.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>

static lrc_scheduler *make_loop(void)
{
    lrc_scheduler_options o;
    lrc_scheduler_options_init(&o);
    o.thread_count = 0;
    o.name = "t-loop";
    lrc_scheduler *s = NULL;
    assert_int_equal(lrc_scheduler_new(&o, &s, NULL), LRC_OK);
    return s;
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Records which thread ran the item and in what order. */
typedef struct rec {
    pthread_t thread[16];
    int order[16];
    int n;
    int discarded;
} rec;

typedef struct item {
    rec *r;
    int value;
} item;

static void rec_run(void *it, void *ctx)
{
    (void)ctx;
    item *i = it;
    i->r->thread[i->r->n] = pthread_self();
    i->r->order[i->r->n++] = i->value;
}

static void rec_discard(void *it, void *ctx)
{
    (void)ctx;
    ((item *)it)->r->discarded++;
}

static void test_fd_level(void **state)
{
    (void)state;
    lrc_scheduler *s = make_loop();
    int fd = lrc_scheduler_fd(s);
    assert_true(fd >= 0);
    assert_false(readable(fd));
    lrc_queue *q = NULL;
    assert_int_equal(lrc_queue_new(s, 0, &q, NULL), LRC_OK);
    rec r = {0};
    item it[3] = {{&r, 1}, {&r, 2}, {&r, 3}};
    assert_int_equal(lrc_queue_push(q, rec_run, rec_discard, &it[0], NULL, true), LRC_OK);
    assert_true(readable(fd));
    assert_true(readable(fd)); /* level: still readable until dispatched */
    assert_int_equal(lrc_queue_push(q, rec_run, rec_discard, &it[1], NULL, true), LRC_OK);
    assert_int_equal(lrc_queue_push(q, rec_run, rec_discard, &it[2], NULL, true), LRC_OK);
    /* at most max_items: the rest keeps the fd readable */
    assert_int_equal(lrc_scheduler_dispatch(s, 2), 2);
    assert_true(readable(fd));
    assert_int_equal(lrc_scheduler_dispatch(s, 0), 1);
    assert_false(readable(fd)); /* drained */
    assert_int_equal(r.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r.order[i], i + 1); /* FIFO */
        assert_true(pthread_equal(r.thread[i], pthread_self()));
    }
    assert_int_equal(lrc_scheduler_dispatch(s, 0), 0);
    assert_false(readable(fd));
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
}

static void test_wakeup(void **state)
{
    (void)state;
    lrc_scheduler *s = make_loop();
    int fd = lrc_scheduler_fd(s);
    assert_int_equal(lrc_scheduler_wakeup(s), LRC_OK);
    assert_true(readable(fd));
    assert_int_equal(lrc_scheduler_wakeup(s), LRC_OK); /* twice: still one readable fd */
    assert_int_equal(lrc_scheduler_dispatch(s, 0), 0);
    assert_false(readable(fd));
    lrc_scheduler_free(s);
}

/* Pushes from another thread, as a Tango event thread would. */
typedef struct pusher {
    lrc_queue *q;
    item *items;
    int n;
    int rc;
} pusher;

static void *pusher_main(void *arg)
{
    pusher *p = arg;
    for (int i = 0; i < p->n; i++)
        if (lrc_queue_push(p->q, rec_run, rec_discard, &p->items[i], NULL, true) != LRC_OK)
            p->rc = -1;
    return NULL;
}

static void *waker_main(void *arg)
{
    return (void *)(intptr_t)lrc_scheduler_wakeup(arg);
}

static void test_other_threads(void **state)
{
    (void)state;
    lrc_scheduler *s = make_loop();
    int fd = lrc_scheduler_fd(s);
    lrc_queue *q = NULL;
    assert_int_equal(lrc_queue_new(s, 0, &q, NULL), LRC_OK);
    rec r = {0};
    item it[8];
    for (int i = 0; i < 8; i++)
        it[i] = (item){&r, i};
    pusher p = {q, it, 8, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pusher_main, &p), 0);
    /* the loop: poll for the fd, dispatch on this thread */
    while (r.n < 8) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, 20000), 1);
        assert_true(lrc_scheduler_dispatch(s, 0) >= 0);
    }
    pthread_join(t, NULL);
    assert_int_equal(p.rc, 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(r.order[i], i);
        assert_true(pthread_equal(r.thread[i], pthread_self())); /* not the pusher's */
    }
    assert_false(readable(fd));
    /* a wakeup from another thread wakes the loop */
    void *wrc;
    assert_int_equal(pthread_create(&t, NULL, waker_main, s), 0);
    pthread_join(t, &wrc);
    assert_int_equal((int)(intptr_t)wrc, LRC_OK);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 20000), 1);
    assert_int_equal(lrc_scheduler_dispatch(s, 0), 0);
    lrc_queue_unref(q);
    lrc_scheduler_free(s);
}

/* A callback pushing to its own scheduler: one dispatch runs only what was
 * pending when it began, so it returns. */
typedef struct again {
    lrc_queue *q;
    int runs;
    int nested_rc;
    lrc_scheduler *s;
} again;

static void again_run(void *it, void *ctx)
{
    (void)ctx;
    again *a = it;
    a->runs++;
    a->nested_rc = lrc_scheduler_dispatch(a->s, 0);
    assert_true(lrc_scheduler_on_worker(a->s));
    (void)lrc_queue_push(a->q, again_run, NULL, a, NULL, true);
}

static void test_dispatch_bounded_flush_free(void **state)
{
    (void)state;
    lrc_scheduler *s = make_loop();
    int fd = lrc_scheduler_fd(s);
    lrc_queue *q = NULL;
    assert_int_equal(lrc_queue_new(s, 0, &q, NULL), LRC_OK);
    again a = {q, 0, 0, s};
    assert_int_equal(lrc_queue_push(q, again_run, NULL, &a, NULL, true), LRC_OK);
    assert_int_equal(lrc_scheduler_dispatch(s, 0), 1);
    assert_int_equal(a.runs, 1);
    assert_int_equal(a.nested_rc, LRC_ESTATE); /* no dispatch inside a callback */
    assert_true(readable(fd));                 /* the item it pushed */
    assert_false(lrc_scheduler_on_worker(s));
    /* the loop thread flushing would wait for itself */
    assert_int_equal(lrc_queue_flush(q, 1000), LRC_ESTATE);
    /* a worker scheduler has no fd and no dispatch */
    lrc_scheduler *w = NULL;
    assert_int_equal(lrc_scheduler_new(NULL, &w, NULL), LRC_OK);
    assert_int_equal(lrc_scheduler_fd(w), -1);
    assert_int_equal(lrc_scheduler_dispatch(w, 0), LRC_EINVAL);
    assert_int_equal(lrc_scheduler_wakeup(w), LRC_EINVAL);
    lrc_scheduler_free(w);
    assert_int_equal(lrc_scheduler_fd(NULL), -1);
    /* free discards what is pending (exactly once) and kills the queue */
    rec r = {0};
    item it = {&r, 7};
    assert_int_equal(lrc_queue_push(q, rec_run, rec_discard, &it, NULL, true), LRC_OK);
    lrc_scheduler_free(s);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.discarded, 1);
    assert_int_equal(lrc_queue_push(q, rec_run, rec_discard, &it, NULL, true), LRC_ECLOSED);
    lrc_queue_unref(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fd_level),
        cmocka_unit_test(test_wakeup),
        cmocka_unit_test(test_other_threads),
        cmocka_unit_test(test_dispatch_bounded_flush_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
