/* command_id.c - ska-style command IDs. */
#define _GNU_SOURCE /* getrandom */
#include "server/command_id.h"
#include "core/pyrepr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void lrc_float_repr(double seconds, char *buf, size_t len)
{
    char t[LRC_PY_FLOAT_LEN];
    lrc_py_float_repr(seconds, t);
    snprintf(buf, len, "%s", t);
}

/* splitmix64: tiny, fast, well distributed; seeded per thread from the OS. */
static uint64_t next_random48(void)
{
    static _Thread_local uint64_t state;
    static _Thread_local int seeded;
    if (!seeded) {
        if (getrandom(&state, sizeof state, 0) != (ssize_t)sizeof state) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)&state;
        }
        seeded = 1;
    }
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z & 0xFFFFFFFFFFFFULL; /* the 48-bit node field of a uuid4 */
}

char *lrc_command_id_new(const char *name, double unix_seconds)
{
    char t[32];
    lrc_float_repr(unix_seconds, t, sizeof t);
    unsigned long long r = (unsigned long long)next_random48();
    int n = snprintf(NULL, 0, "%s_%llu_%s", t, r, name);
    char *id = malloc((size_t)n + 1);
    if (id)
        snprintf(id, (size_t)n + 1, "%s_%llu_%s", t, r, name);
    return id;
}

const char *lrc_command_id_name(const char *id)
{
    const char *last = strrchr(id, '_');
    return last ? last + 1 : id;
}
