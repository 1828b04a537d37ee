/* example_server.c - one example device per test (example_server.h). */
#include "example_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lrct_example_main(int argc, char **argv, const char *what, const char **exe)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s %s\n", argv[0], what);
        return 2;
    }
    *exe = argv[1];
    return lrct_db_up() != 0 ? 1 : 0;
}

int lrct_example_start(lrct_example *x, const char *exe, const char *tag, const char *cls)
{
    memset(x, 0, sizeof *x);
    x->instance = lrct_unique_name(tag);
    if (!x->instance) {
        fprintf(stderr, "lrct_example_start: out of memory\n");
        return -1;
    }
    snprintf(x->device, sizeof x->device, "test/%s/%s", tag, x->instance);
    const char *devs[] = {x->device, NULL};
    x->srv = lrct_server_start(exe, x->instance, cls, devs, NULL);
    if (!x->srv) { /* lrct_server_start said why */
        free(x->instance);
        x->instance = NULL;
        return -1;
    }
    return 0;
}

int lrct_example_stop(lrct_example *x)
{
    int rc = lrct_server_stop(x->srv);
    free(x->instance);
    x->instance = NULL;
    x->srv = NULL;
    return rc;
}
