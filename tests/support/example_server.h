/*
 * example_server.h - the fixture of a test of one example device program
 * (lrc-plain-device, lrc-positioner, ...): a fresh server per test with a
 * single device "test/<tag>/<instance>". One copy of the setup, teardown
 * and start of main() those tests share (it_plain, it_positioner).
 * Plain C11 + POSIX, like tango_fixture.h; main thread only.
 */
#ifndef LRC_EXAMPLE_SERVER_H
#define LRC_EXAMPLE_SERVER_H

#include "tango_fixture.h"

typedef struct lrct_example {
    lrct_server *srv;
    char *instance; /* lrct_unique_name(tag) */
    char device[128];
} lrct_example;

/* The start of main(): argv[1] is the example program (`what` names it in
 * the usage line), stored in *exe; brings the test database up. Returns 0,
 * or the exit status for main after printing why (2: usage, 1: no
 * database). */
int lrct_example_main(int argc, char **argv, const char *what, const char **exe);

/* Starts exe as a server of class `cls` serving x->device; x is zeroed
 * first. Returns 0, or -1 after printing why (x then holds nothing to
 * stop). */
int lrct_example_start(lrct_example *x, const char *exe, const char *tag, const char *cls);

/* Stops the server and frees what x holds: lrct_server_stop's result
 * (0 = it ended cleanly), for a cmocka teardown to return. */
int lrct_example_stop(lrct_example *x);

#endif /* LRC_EXAMPLE_SERVER_H */
