/* clock.h - the two clocks of the kit: wall time for IDs and ISO stamps,
 * monotonic time for the removal timers. */
#ifndef LRC_SERVER_CLOCK_H
#define LRC_SERVER_CLOCK_H

#include <stddef.h>

/* Seconds since the Unix epoch, with sub-microsecond resolution. */
double lrc_wall_now(void);

/* Monotonic seconds (CLOCK_MONOTONIC). */
double lrc_mono_now(void);

/* ISO-8601 UTC with microseconds and an explicit offset, like Python's
 * datetime.isoformat(): "2026-11-25T08:11:25.292139+00:00". buf >= 40. */
void lrc_iso_time(double unix_seconds, char *buf, size_t len);

#endif
