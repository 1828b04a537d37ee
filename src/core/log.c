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

/* Formats and sends one message to fn, or to the hook when fn is NULL. */
static void log_v(lrc_log_fn fn, void *user, int level, const char *fmt, va_list ap)
{
    if (!fn) {
        pthread_mutex_lock(&hook_lock);
        fn = hook_fn;
        user = hook_user;
        int min_level = hook_min_level;
        pthread_mutex_unlock(&hook_lock);
        if (level < min_level)
            return;
    }

    /* the common short message needs no allocation */
    char small[512];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *msg = small;
    if (n >= (int)sizeof small) {
        char *big = lrc_vasprintf(fmt, again);
        if (big)
            msg = big;
    }
    va_end(again);
    if (fn)
        fn(user, level, msg);
    else
        fprintf(stderr, "lrc %s: %s\n", level_name(level), msg);
    if (msg != small)
        free(msg);
}

void lrc_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(NULL, NULL, level, fmt, ap);
    va_end(ap);
}

void lrc_log_to(lrc_log_fn fn, void *user, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(fn, user, level, fmt, ap);
    va_end(ap);
}
