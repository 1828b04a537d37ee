/* kit_trim.c - gives free heap memory back to the system while a kit server
 * runs.
 *
 * Why: every subscribe/unsubscribe cycle of a client (what ska's Python
 * client does on every call without a pre-connected interface) makes
 * cppTango, omniORB and ZeroMQ allocate and free some kilobytes in the
 * server. They free all of it (the live heap stays flat, measured with
 * heaptrack: docs/memory.md), but glibc's malloc keeps the freed pages:
 * its automatic trimming only gives back the top of a heap, and the pages
 * freed below live objects stay resident. The server's RSS then grows by
 * 10-20 kB per cycle for as long as the churn lasts, in any cppTango
 * server. malloc_trim(0) hands those pages back (madvise), and RSS falls to
 * what it was before the churn.
 *
 * How: one thread per process wakes every period (LRC_TRIM_PERIOD seconds,
 * default 5) and calls malloc_trim(0) when malloc holds at least TRIM_MIN
 * free bytes. The call costs about a millisecond for a heap of tens of MB
 * and locks each malloc arena briefly while it walks it; once per period
 * that is noise. Process-wide, not per device: malloc is.
 */
#include "server/kit_trim.h"

#include "core/log_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#if defined(__GLIBC__)
#include <malloc.h>
#define HAVE_MALLOC_TRIM 1
#endif

#define DEFAULT_PERIOD_S 5.0
#define MIN_PERIOD_S 0.1
#define MAX_PERIOD_S 3600.0
/* Below this much free memory in malloc's arenas a trim cannot give back
 * anything worth a walk of the heap. */
#define TRIM_MIN ((size_t)1 << 20)

static pthread_mutex_t trim_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t trim_cv;
static pthread_t trim_thread;
static bool trim_running;
static bool trim_stopping;
static double trim_period_s;
static atomic_ulong checks;
static atomic_ulong trims;

unsigned long kit_trim_checks(void)
{
    return atomic_load(&checks);
}

unsigned long kit_trim_count(void)
{
    return atomic_load(&trims);
}

double kit_trim_period(const char *text)
{
    if (!text || !*text)
        return DEFAULT_PERIOD_S;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end)
        return -1;
    if (v == 0)
        return 0;
    if (!(v >= MIN_PERIOD_S && v <= MAX_PERIOD_S))
        return -1;
    return v;
}

#ifdef HAVE_MALLOC_TRIM
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void trim_once(void)
{
    struct mallinfo2 mi = mallinfo2();
    atomic_fetch_add(&checks, 1);
    if (mi.fordblks < TRIM_MIN)
        return;
    double t0 = mono_s();
    int released = malloc_trim(0);
    atomic_fetch_add(&trims, 1);
    if (lrc_log_enabled(LRC_LOG_DEBUG))
        lrc_log(LRC_LOG_DEBUG, "malloc_trim: %zu kB free in the heap, %s, %.2f ms",
                mi.fordblks / 1024, released ? "pages released" : "nothing to release",
                (mono_s() - t0) * 1e3);
}

static void *trim_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&trim_mu);
    while (!trim_stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        double whole = (double)(long)trim_period_s;
        until.tv_sec += (time_t)whole;
        until.tv_nsec += (long)((trim_period_s - whole) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!trim_stopping &&
               pthread_cond_timedwait(&trim_cv, &trim_mu, &until) != ETIMEDOUT) {
        }
        if (trim_stopping)
            break;
        pthread_mutex_unlock(&trim_mu);
        trim_once();
        pthread_mutex_lock(&trim_mu);
    }
    pthread_mutex_unlock(&trim_mu);
    return NULL;
}
#endif

/* Serialises kit_trim_start (every device's init calls it) and
 * kit_trim_stop; guards trim_running. */
static pthread_mutex_t start_mu = PTHREAD_MUTEX_INITIALIZER;

void kit_trim_start(void)
{
#ifdef HAVE_MALLOC_TRIM
    pthread_mutex_lock(&start_mu);
    if (trim_running) {
        pthread_mutex_unlock(&start_mu);
        return;
    }
    const char *text = getenv("LRC_TRIM_PERIOD");
    double period = kit_trim_period(text);
    if (period < 0) {
        lrc_log(LRC_LOG_WARNING, "LRC_TRIM_PERIOD=\"%s\": expected 0 (off) or seconds in [%g, %g]; "
                              "using %g",
                text, MIN_PERIOD_S, MAX_PERIOD_S, DEFAULT_PERIOD_S);
        period = DEFAULT_PERIOD_S;
    }
    if (period == 0) {
        pthread_mutex_unlock(&start_mu);
        return;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&trim_cv, &attr);
    pthread_condattr_destroy(&attr);
    trim_period_s = period;
    trim_stopping = false;
    /* The thread starts with every signal blocked: a signal the kernel
     * delivered to it (SIGTERM, SIGINT) would take its default action and
     * end the process instead of letting cppTango shut the server down. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&trim_thread, NULL, trim_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        lrc_log(LRC_LOG_WARNING, "cannot start the malloc trimmer thread; running without it");
        pthread_cond_destroy(&trim_cv);
        pthread_mutex_unlock(&start_mu);
        return;
    }
    trim_running = true;
    pthread_mutex_unlock(&start_mu);
#endif
}

void kit_trim_stop(void)
{
#ifdef HAVE_MALLOC_TRIM
    pthread_mutex_lock(&start_mu);
    if (!trim_running) {
        pthread_mutex_unlock(&start_mu);
        return;
    }
    pthread_mutex_lock(&trim_mu);
    trim_stopping = true;
    pthread_cond_signal(&trim_cv);
    pthread_mutex_unlock(&trim_mu);
    pthread_join(trim_thread, NULL);
    pthread_cond_destroy(&trim_cv);
    trim_running = false;
    pthread_mutex_unlock(&start_mu);
#endif
}
