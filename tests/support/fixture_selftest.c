/*
 * fixture_selftest.c - checks tango_fixture against the real database with
 * TangoTest: start with properties, kill, restart, stop, failed start.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tango_fixture.h"

#define TANGOTEST "/usr/lib/tango/TangoTest"

static int ping_device(const char *dev)
{
    const char *argv[] = { "tango_admin", "--ping-device", dev, NULL };
    return lrct_run(argv, 10000, NULL);
}

static int check_server(const char *srvname)
{
    const char *argv[] = { "tango_admin", "--check-server", srvname, NULL };
    return lrct_run(argv, 10000, NULL);
}

/* A reaped child's PID no longer exists (barring very fast PID reuse). */
static int pid_gone(pid_t pid)
{
    return kill(pid, 0) == -1 && errno == ESRCH;
}

static int group_setup(void **state)
{
    (void)state;
    return lrct_db_up() == 0 ? 0 : -1;
}

static void test_unique_name(void **state)
{
    (void)state;
    char *a = lrct_unique_name("fx");
    char *b = lrct_unique_name("fx");
    assert_non_null(a);
    assert_non_null(b);
    assert_string_not_equal(a, b);
    char pidpart[32];
    snprintf(pidpart, sizeof pidpart, "fx-%ld-", (long)getpid());
    assert_true(strncmp(a, pidpart, strlen(pidpart)) == 0);
    free(a);
    free(b);
}

static void test_db_env(void **state)
{
    (void)state;
    const char *host = getenv("TANGO_HOST");
    assert_non_null(host);
    assert_true(strncmp(host, "127.0.0.1:", 10) == 0);
    assert_non_null(getenv("TANGO_EVENT_BUFFER_HWM"));
    assert_non_null(getenv("TANGO_DS_EVENT_BUFFER_HWM"));
    /* A second call is a cheap no-op. */
    assert_int_equal(lrct_db_up(), 0);
}

static void test_tangotest_lifecycle(void **state)
{
    (void)state;
    char *inst = lrct_unique_name("fxself");
    assert_non_null(inst);
    char dev[160], srvname[160], p1[220], p2[220];
    snprintf(dev, sizeof dev, "fixturetest/tg/%s", inst);
    snprintf(srvname, sizeof srvname, "TangoTest/%s", inst);
    snprintf(p1, sizeof p1, "%s:lrct_greeting=hello world", dev);
    snprintf(p2, sizeof p2, "%s:lrct_list=a,b,c", dev);
    const char *devs[] = { dev, NULL };
    const char *props[] = { p1, p2, NULL };

    lrct_server *srv = lrct_server_start(TANGOTEST, inst, "TangoTest", devs, props);
    assert_non_null(srv);
    pid_t pid1 = lrct_server_pid(srv);
    assert_true(pid1 > 0);
    assert_int_equal(ping_device(dev), 0);
    assert_int_equal(check_server(srvname), 0);

    /* Properties are in the database (PyTango allowed here only). */
    const char *py[] = {
        "/usr/bin/python3", "-c",
        "import sys, tango\n"
        "p = tango.Database().get_device_property(sys.argv[1], ['lrct_greeting', 'lrct_list'])\n"
        "print('|'.join(p['lrct_greeting']) + ';' + '|'.join(p['lrct_list']))\n",
        dev, NULL
    };
    char *out = NULL;
    assert_int_equal(lrct_run(py, 30000, &out), 0);
    assert_non_null(out);
    assert_string_equal(out, "hello world;a|b|c\n");
    free(out);

    /* Crash and restart: new process, same device. */
    lrct_server_kill(srv);
    assert_int_equal(lrct_server_pid(srv), 0);
    assert_true(pid_gone(pid1));
    assert_int_not_equal(ping_device(dev), 0);
    assert_int_equal(lrct_server_restart(srv), 0);
    pid_t pid2 = lrct_server_pid(srv);
    assert_true(pid2 > 0 && pid2 != pid1);
    assert_int_equal(ping_device(dev), 0);

    /* Graceful restart of a running server. */
    assert_int_equal(lrct_server_restart(srv), 0);
    pid_t pid3 = lrct_server_pid(srv);
    assert_true(pid3 > 0 && pid3 != pid2);
    assert_true(pid_gone(pid2));
    assert_int_equal(ping_device(dev), 0);

    /* Stop: process gone, registration gone. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(lrct_server_stop(srv), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "stop took %.2f s\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    assert_true(pid_gone(pid3));
    assert_int_not_equal(check_server(srvname), 0);
    free(inst);
}

static void test_start_failure(void **state)
{
    (void)state;
    char *inst = lrct_unique_name("fxfail");
    char dev[160], srvname[160];
    snprintf(dev, sizeof dev, "fixturetest/fail/%s", inst);
    snprintf(srvname, sizeof srvname, "false/%s", inst);
    const char *devs[] = { dev, NULL };
    /* /bin/false exits at once: reported quickly, log tail printed. */
    lrct_server *srv = lrct_server_start("/bin/false", inst, "Nothing", devs, NULL);
    assert_null(srv);
    assert_int_not_equal(check_server(srvname), 0);
    /* Malformed property entry. */
    const char *bad[] = { "no-colon=1", NULL };
    srv = lrct_server_start(TANGOTEST, inst, "TangoTest", devs, bad);
    assert_null(srv);
    free(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique_name),
        cmocka_unit_test(test_db_env),
        cmocka_unit_test(test_tangotest_lifecycle),
        cmocka_unit_test(test_start_failure),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
