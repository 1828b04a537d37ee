/*
 * it_multi.h - one server of the selected implementation (it_server_start)
 * with several devices of one class, "test/lrcdemo/<instance>-<suffix>",
 * and a shim proxy to each. The fixture of the tests of what cppTango
 * shares among the devices of a class (it_shared_class, it_kit_protocols):
 * one copy of its setup, so both build the same server the same way.
 */
#ifndef LRCT_IT_MULTI_H
#define LRCT_IT_MULTI_H

#include "it_common.h"

#include <stddef.h>

enum { IT_MULTI_MAX = 8 };

typedef struct it_multi {
    lrct_server *srv;
    char *instance;
    size_t n;
    char *dev[IT_MULTI_MAX];        /* in the order of the suffixes */
    lrc_tg_proxy *p[IT_MULTI_MAX]; /* to dev[i]; a test may reopen one */
} it_multi;

/* Starts the server (instance: lrct_unique_name(tag)) with a device per
 * suffix (NULL-terminated, at most IT_MULTI_MAX) and opens the proxies.
 * props: NULL-terminated "SUFFIX:Name=Value", a device property of the
 * device with that suffix. Fails the running cmocka test on any error;
 * call from a (group) setup, main thread. */
it_multi *it_multi_start(const char *tag, const char *const *suffixes,
                         const char *const *props);

/* Closes the proxies, stops the server and frees m: lrct_server_stop's
 * result (0 = it ended cleanly), for the teardown to return. */
int it_multi_stop(it_multi *m);

/* A shim proxy to dev (5 s timeout); fails the running cmocka test when
 * it cannot be opened. */
lrc_tg_proxy *it_open_proxy(const char *dev);

#endif
