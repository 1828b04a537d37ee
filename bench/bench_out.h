/*
 * bench_out.h - what the benchmark programs print: one JSON object per line
 * on stdout, for the bench harness to collect, and the few measurements
 * they share (clocks, CPU time, memory).
 *
 *   {"scenario": "...", "label": "...", "unit": "ms", "samples": [...], "x": N, "series": "d10"}
 *   {"scenario": "...", "label": "...", "unit": "bytes", "value": N, ...}
 *
 * Single-threaded: call from the program's main thread only.
 */
#ifndef LRC_BENCH_OUT_H
#define LRC_BENCH_OUT_H

#include <stddef.h>
#include <stdint.h>

/* A growing array of measurements. */
typedef struct bench_samples {
    double *v;
    size_t n, cap;
} bench_samples;

/* Appends x (exits on out of memory: a benchmark has no way around it). */
void bench_samples_add(bench_samples *s, double x);
void bench_samples_free(bench_samples *s);

/* The q-quantile (0..1) of s, sorting s in place; NaN if empty. */
double bench_quantile(bench_samples *s, double q);

/* Optional fields of a line: x < 0 and series NULL leave them out. */
typedef struct bench_tag {
    double x;
    const char *series;
} bench_tag;

#define BENCH_NO_TAG ((bench_tag){-1, NULL})

/* Prints a samples line. More than max_keep samples (0: all) are thinned
 * evenly to max_keep (after sorting: the distribution is kept). */
void bench_emit_samples(const char *scenario, const char *label, const char *unit,
                        bench_samples *s, size_t max_keep, bench_tag tag);

/* Prints a value line. */
void bench_emit_value(const char *scenario, const char *label, const char *unit, double value,
                      bench_tag tag);

/* CLOCK_MONOTONIC in ns / ms. */
uint64_t bench_now_ns(void);
double bench_now_ms(void);

/* User + system CPU time of the whole process, in seconds. */
double bench_cpu_s(void);

/* Resident set size in bytes (/proc/self/statm), and bytes in use on the
 * malloc heap (mallinfo2: arena + mmapped chunks in use). */
uint64_t bench_rss_bytes(void);
uint64_t bench_heap_bytes(void);

/* Reads device names, one a line ('#' comments and blank lines skipped),
 * appending them to *names / *n. 0 or -1 (message on stderr). */
int bench_read_names(const char *path, char ***names, size_t *n);

#endif
