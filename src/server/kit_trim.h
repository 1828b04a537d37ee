/* kit_trim.h - gives free heap memory back to the system while a kit
 * server runs (see kit_trim.c for why). Process-wide, internal. */
#ifndef LRC_KIT_TRIM_H
#define LRC_KIT_TRIM_H

/* Starts the trimmer thread unless it runs, LRC_TRIM_PERIOD is "0" or the
 * C library has no malloc_trim. Called at every device's initialisation,
 * i.e. once cppTango runs: not before, because the server's start-up check
 * forks a child that acts as a Tango client (starting threads after a fork
 * of a multi-threaded process is undefined, and ThreadSanitizer kills such
 * a child). Thread-safe. Failure to start is logged and otherwise ignored:
 * the server runs, only without trimming. */
void kit_trim_start(void);

/* Stops and joins the trimmer thread if it runs; idempotent, thread-safe.
 * Called by lrc_server_main once cppTango's server loop has returned. */
void kit_trim_stop(void);

/* How many times the trimmer has looked at the heap, and how many times it
 * called malloc_trim, since the process started. Any thread. */
unsigned long kit_trim_checks(void);
unsigned long kit_trim_count(void);

/* The period in seconds for an LRC_TRIM_PERIOD value (NULL: unset):
 * the default for NULL or "", 0 for "0" (off), the number if it is in
 * [0.1, 3600], else -1. Pure; unit-tested. */
double kit_trim_period(const char *text);

#endif
