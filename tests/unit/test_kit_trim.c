/* Unit tests: the kit's malloc trimmer (src/server/kit_trim.c): the
 * LRC_TRIM_PERIOD values it takes, and that its thread trims a heap with
 * free memory in it and stops when told. What the trimming does to a real
 * server's memory under churn is checked by integration.subscription_rss. */
#include "server/kit_trim.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

static void test_period_values(void **state)
{
    (void)state;
    assert_true(kit_trim_period(NULL) == 5.0);
    assert_true(kit_trim_period("") == 5.0);
    assert_true(kit_trim_period("0") == 0.0);
    assert_true(kit_trim_period("0.0") == 0.0);
    assert_true(kit_trim_period("2.5") == 2.5);
    assert_true(kit_trim_period("0.1") == 0.1);
    assert_true(kit_trim_period("3600") == 3600.0);
    assert_true(kit_trim_period("0.05") == -1);  /* too often */
    assert_true(kit_trim_period("3601") == -1);  /* too rarely to matter */
    assert_true(kit_trim_period("-1") == -1);
    assert_true(kit_trim_period("5s") == -1);
    assert_true(kit_trim_period("five") == -1);
    assert_true(kit_trim_period("nan") == -1);
    assert_true(kit_trim_period("1e999") == -1);
}

static void test_off_starts_nothing(void **state)
{
    (void)state;
    setenv("LRC_TRIM_PERIOD", "0", 1);
    unsigned long before = kit_trim_count();
    kit_trim_start();
    kit_trim_stop();
    kit_trim_stop(); /* idempotent */
    assert_int_equal(kit_trim_count(), before);
}

/* 8 MB of free memory between live blocks: what malloc's own trimming
 * leaves resident. The thread must look at the heap every period and trim
 * it. Under valgrind or ASan, whose malloc is not glibc's, mallinfo2 does
 * not see those 8 MB and the trimmer rightly leaves the heap alone: then
 * only the checks are asserted. */
static void test_thread_trims_and_stops(void **state)
{
    (void)state;
    enum { N = 4096, SIZE = 4096 };
    static void *blocks[N];
    for (int i = 0; i < N; i++)
        blocks[i] = malloc(SIZE);
    for (int i = 0; i < N; i += 2) {
        free(blocks[i]);
        blocks[i] = NULL;
    }
    setenv("LRC_TRIM_PERIOD", "0.1", 1);
    bool glibc_sees_it = mallinfo2().fordblks >= ((size_t)4 << 20);
    unsigned long checks0 = kit_trim_checks(), trims0 = kit_trim_count();
    kit_trim_start();
    kit_trim_start(); /* a second start is ignored */
    for (int i = 0; i < 200 && (kit_trim_checks() < checks0 + 2 ||
                                (glibc_sees_it && kit_trim_count() == trims0));
         i++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kit_trim_stop();
    unsigned long checks1 = kit_trim_checks(), trims1 = kit_trim_count();
    assert_true(checks1 >= checks0 + 2);
    if (glibc_sees_it)
        assert_true(trims1 > trims0);
    else
        print_message("malloc is not glibc's here: trims not asserted\n");
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(kit_trim_checks(), checks1); /* stopped: no more checks */
    assert_int_equal(kit_trim_count(), trims1);
    for (int i = 0; i < N; i++)
        free(blocks[i]);
}

/* Threads of this process, other than the main one, that block SIGTERM
 * (SigBlk in /proc/self/task/TID/status). */
static int threads_blocking_sigterm(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atol(e->d_name) == (long)getpid())
            continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "SigBlk:", 7) == 0 &&
                (strtoull(line + 7, NULL, 16) >> (SIGTERM - 1)) & 1)
                n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

/* The thread exists before cppTango blocks signals for its own threads:
 * it must block them itself, or SIGTERM delivered to it kills the server
 * instead of shutting it down. */
static void test_thread_blocks_signals(void **state)
{
    (void)state;
    setenv("LRC_TRIM_PERIOD", "3600", 1);
    int before = threads_blocking_sigterm();
    kit_trim_start();
    int during = threads_blocking_sigterm();
    kit_trim_stop();
    assert_int_equal(during, before + 1);
    /* and the caller's mask is what it was */
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    assert_false(sigismember(&now, SIGTERM));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period_values),
        cmocka_unit_test(test_off_starts_nothing),
        cmocka_unit_test(test_thread_trims_and_stops),
        cmocka_unit_test(test_thread_blocks_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
