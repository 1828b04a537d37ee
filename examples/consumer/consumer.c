/*
 * consumer: a program outside the tango-lrc source tree, built against the
 * INSTALLED package (find_package(lrc) or pkg-config lrc): it uses only
 * <lrc/client.h>.
 *
 *   consumer                    prints lrc_strerror(LRC_EREJECTED) and the
 *                               package version (no device needed)
 *   consumer DEVICE [TEXT]      runs the LRC Echo(TEXT) on DEVICE, waits for
 *                               its final update, prints the result JSON on
 *                               stdout; exit 0 if it ended COMPLETED
 *
 * TEXT defaults to "hello". Needs TANGO_HOST for a database device name.
 */
#define _POSIX_C_SOURCE 200809L

#include <lrc/client.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The package version, from the build system (lrc_VERSION of the CMake
 * package, or pkg-config --modversion lrc). */
#ifndef LRC_PACKAGE_VERSION
#define LRC_PACKAGE_VERSION "unknown"
#endif

#define WAIT_SECONDS 30

/* What the callback hands to main. */
typedef struct outcome {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;        /* the final update arrived */
    bool has_status;
    lrc_status status;
    char *result;     /* last result JSON, malloc'd */
    char *error;      /* last error message, malloc'd */
} outcome;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Runs on a scheduler worker thread of the library. */
static void on_update(const lrc_update *u, void *user)
{
    outcome *o = user;
    pthread_mutex_lock(&o->mu);
    if (u->has & LRC_HAS_STATUS) {
        o->has_status = true;
        o->status = u->status;
        fprintf(stderr, "consumer: status %s\n", lrc_status_name(u->status));
    }
    if (u->has & LRC_HAS_RESULT) {
        free(o->result);
        o->result = dup_or_null(u->result_json);
    }
    if (u->has & LRC_HAS_ERROR) {
        free(o->error);
        o->error = dup_or_null(lrc_error_message(u->error));
    }
    if (u->final) {
        o->done = true;
        pthread_cond_signal(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
}

static int no_device(void)
{
    printf("lrc_strerror(LRC_EREJECTED): %s\n", lrc_strerror(LRC_EREJECTED));
    printf("tango-lrc version: %s\n", LRC_PACKAGE_VERSION);
    printf("LRC protocol versions: %d..%d\n", LRC_PROTOCOL_MIN, LRC_PROTOCOL_MAX);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return no_device();
    if (argc > 3) {
        fprintf(stderr, "usage: consumer [DEVICE [TEXT]]\n");
        return 64;
    }
    const char *device = argv[1];
    const char *text = argc > 2 ? argv[2] : "hello";

    outcome o = {.done = false, .has_status = false, .result = NULL, .error = NULL};
    pthread_mutex_init(&o.mu, NULL);
    pthread_cond_init(&o.cv, NULL);

    lrc_proxy *dev = NULL;
    lrc_subscription *sub = NULL;
    lrc_error *err = NULL;
    int rc = 1;

    if (lrc_proxy_open(device, NULL, &dev, &err) != LRC_OK) {
        fprintf(stderr, "consumer: cannot open %s: %s\n", device, lrc_error_message(err));
        goto out;
    }
    lrc_arg arg = lrc_arg_string(text);
    if (lrc_invoke(dev, "Echo", &arg, on_update, &o, NULL, &sub, &err) != LRC_OK) {
        fprintf(stderr, "consumer: Echo on %s: %s (%s)\n", device, lrc_error_message(err),
                lrc_strerror(lrc_error_code(err)));
        goto out;
    }
    fprintf(stderr, "consumer: Echo started: %s (protocol v%d)\n",
            lrc_subscription_command_id(sub), lrc_subscription_protocol_version(sub));

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&o.mu);
    int wrc = 0;
    while (!o.done && wrc != ETIMEDOUT)
        wrc = pthread_cond_timedwait(&o.cv, &o.mu, &deadline);
    bool done = o.done;
    pthread_mutex_unlock(&o.mu);

    /* After this the callback no longer runs: o is ours alone. */
    lrc_subscription_free(sub);
    sub = NULL;

    if (!done) {
        fprintf(stderr, "consumer: no final update within %d s\n", WAIT_SECONDS);
        goto out;
    }
    if (o.error)
        fprintf(stderr, "consumer: error: %s\n", o.error);
    printf("%s\n", o.result ? o.result : "null");
    if (o.has_status && o.status == LRC_STATUS_COMPLETED) {
        rc = 0;
    } else {
        fprintf(stderr, "consumer: Echo ended %s\n",
                o.has_status ? lrc_status_name(o.status) : "without a status");
    }

out:
    lrc_subscription_free(sub);
    lrc_proxy_close(dev);
    lrc_error_free(err);
    free(o.result);
    free(o.error);
    pthread_cond_destroy(&o.cv);
    pthread_mutex_destroy(&o.mu);
    return rc;
}
