/* log.c - the process-wide log hook. */
#include "core/log_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The hook is read on every message and replaced rarely: a mutex is cheap
 * enough here and keeps the (fn, user) pair consistent. */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static lrc_log_fn hook_fn;
static void *hook_user;
static int hook_min_level = LRC_LOG_WARNING;

static const char *level_name(int level)
{
    if (level >= LRC_LOG_CRITICAL)
        return "CRITICAL";
    if (level >= LRC_LOG_ERROR)
        return "ERROR";
    if (level >= LRC_LOG_WARNING)
        return "WARNING";
    if (level >= LRC_LOG_INFO)
        return "INFO";
    return "DEBUG";
}

void lrc_log_set_hook(lrc_log_fn fn, void *user, int min_level)
{
    pthread_mutex_lock(&hook_lock);
    hook_fn = fn;
    hook_user = user;
    hook_min_level = min_level;
    pthread_mutex_unlock(&hook_lock);
}

bool lrc_log_enabled(int level)
{
    pthread_mutex_lock(&hook_lock);
    bool on = level >= hook_min_level;
    pthread_mutex_unlock(&hook_lock);
    return on;
}

void lrc_log(int level, const char *fmt, ...)
{
    pthread_mutex_lock(&hook_lock);
    lrc_log_fn fn = hook_fn;
    void *user = hook_user;
    int min_level = hook_min_level;
    pthread_mutex_unlock(&hook_lock);
    if (level < min_level)
        return;

    /* the common short message needs no allocation */
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    char *msg = small;
    if (n >= (int)sizeof small) {
        va_start(ap, fmt);
        char *big = lrc_vasprintf(fmt, ap);
        va_end(ap);
        if (big)
            msg = big;
    }
    if (fn)
        fn(user, level, msg);
    else
        fprintf(stderr, "lrc %s: %s\n", level_name(level), msg);
    if (msg != small)
        free(msg);
}
