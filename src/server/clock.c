/* clock.c - wall and monotonic time, ISO-8601 formatting. */
#include "server/clock.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

double lrc_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double lrc_mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void lrc_iso_time(double unix_seconds, char *buf, size_t len)
{
    double whole = floor(unix_seconds);
    long usec = (long)llround((unix_seconds - whole) * 1e6);
    time_t secs = (time_t)whole;
    if (usec >= 1000000) {
        secs += 1;
        usec -= 1000000;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}
