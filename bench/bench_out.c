/* bench_out.c - see bench_out.h. */
#define _GNU_SOURCE /* mallinfo2 */

#include "bench_out.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

void bench_samples_add(bench_samples *s, double x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "bench: out of memory\n");
            exit(1);
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

void bench_samples_free(bench_samples *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_quantile(bench_samples *s, double q)
{
    if (s->n == 0)
        return NAN;
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    size_t i = (size_t)(q * (double)(s->n - 1) + 0.5);
    return s->v[i < s->n ? i : s->n - 1];
}

/* Prints a JSON string literal (names and labels are plain ASCII; anything
 * else is escaped). */
static void put_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void put_number(double x)
{
    if (isfinite(x))
        printf("%.6g", x);
    else
        printf("null"); /* JSON has no NaN */
}

static void put_head(const char *scenario, const char *label, const char *unit)
{
    printf("{\"scenario\": ");
    put_string(scenario);
    printf(", \"label\": ");
    put_string(label);
    printf(", \"unit\": ");
    put_string(unit);
}

static void put_tail(bench_tag tag)
{
    if (tag.x >= 0) {
        printf(", \"x\": ");
        put_number(tag.x);
    }
    if (tag.series) {
        printf(", \"series\": ");
        put_string(tag.series);
    }
    printf("}\n");
    fflush(stdout); /* a harness reading a pipe sees each line at once */
}

void bench_emit_samples(const char *scenario, const char *label, const char *unit,
                        bench_samples *s, size_t max_keep, bench_tag tag)
{
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
    size_t keep = max_keep && s->n > max_keep ? max_keep : s->n;
    put_head(scenario, label, unit);
    printf(", \"samples\": [");
    for (size_t i = 0; i < keep; i++) {
        size_t k = keep == s->n ? i : (size_t)((double)i * (double)(s->n - 1) / (double)(keep - 1));
        if (i)
            printf(", ");
        put_number(s->v[k]);
    }
    printf("]");
    put_tail(tag);
}

void bench_emit_value(const char *scenario, const char *label, const char *unit, double value,
                      bench_tag tag)
{
    put_head(scenario, label, unit);
    printf(", \"value\": ");
    put_number(value);
    put_tail(tag);
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_now_ms(void) { return (double)bench_now_ns() / 1e6; }

double bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

uint64_t bench_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t bench_heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2(); /* main arena + the threads' arenas */
    return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

int bench_read_names(const char *path, char ***names, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s\n", path);
        return -1;
    }
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *s = line + strspn(line, " \t");
        s[strcspn(s, " \t\r\n#")] = '\0';
        if (!*s)
            continue;
        char **grown = realloc(*names, (*n + 1) * sizeof *grown);
        if (grown)
            *names = grown;
        if (!grown || !(grown[*n] = strdup(s))) {
            fprintf(stderr, "bench: out of memory\n");
            fclose(f);
            return -1;
        }
        (*n)++;
    }
    fclose(f);
    return 0;
}
