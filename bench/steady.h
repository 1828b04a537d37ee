/*
 * steady.h - a benchmark program's steady-state mode, for profilers: one
 * scenario's loop, run for a given time after its warm-up, with a profiler
 * switched on only around that time. Without it a profile of a short run
 * is mostly program start-up (the dynamic loader, Tango's connection).
 *
 *   PROGRAM --steady SCENARIO --seconds S ...
 *
 * The profiler is perf started disabled with a control FIFO
 * (perf record/stat --control fifo:CTL,ACK --delay=-1): the program finds
 * the FIFOs in LRC_BENCH_PERF_CTL and LRC_BENCH_PERF_ACK, writes "enable"
 * after the warm-up and "disable" at the end, each time waiting for perf's
 * acknowledgement. Without those variables the window is only timed.
 *
 * At the end the program prints on stdout
 *   {"steady": "SCENARIO", "ops": N, "seconds": S, "cpu_s": C}
 * N iterations of the loop in S seconds of wall time, C seconds of CPU of
 * the whole process (all threads) meanwhile.
 *
 * Single-threaded: call from the program's main thread only.
 */
#ifndef LRC_BENCH_STEADY_H
#define LRC_BENCH_STEADY_H

#include <stdbool.h>
#include <stddef.h>

/* Turns the steady mode on for `scenario` (a program's scenario id) for
 * `seconds` (> 0) of measured loop. False if seconds is not a number > 0. */
bool bench_steady_set(const char *scenario, const char *seconds);

/* The scenario of the steady mode, or NULL when the program runs normally. */
const char *bench_steady_scenario(void);

/* Whether `name` (or its alias, may be NULL) is the steady scenario. */
bool bench_steady_is(const char *name, const char *alias);

/* The condition of a measured loop of `warm` + `n` iterations, asked
 * before iteration i (0, 1, ...). Normally i < warm + n. In the steady
 * mode: the window opens at the first call with i >= warm and the loop runs
 * until the time is up, then the window closes and the result line is
 * printed with ops = i now - i then. Samples are kept only for
 * i - warm < n. i may also be a count that grows by more than one per
 * iteration (events received, when one iteration yields several): the ops
 * are then those events. */
bool bench_steady_more(size_t i, size_t warm, size_t n);

#endif
