/* pyrepr.c - numbers written exactly as Python writes them, so our JSON and
 * IDs match ska-tango-base's text byte for byte. */
#include "core/pyrepr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fewest significant digits that read back as |x| (no sign, no
 * trailing zeros) and the decimal exponent of the first one: the shortest
 * correctly rounded candidate, the same digits as Python's shortest repr
 * except in rare ties near powers of two. */
static void shortest_digits(double x, char digits[20], int *exp10)
{
    /* Reading back is monotonic in the length: the correctly rounded
     * candidate with one digit more is at least as close to x as the one
     * before (which is itself such a candidate, padded with a zero). So a
     * binary search over 1..17 digits finds the shortest in at most 6
     * formats (5 probes, and the answer's if the last probe was not it)
     * instead of up to 17 (a command ID's timestamp needs 16-17:
     * the search was a tenth of the device's work per submission). */
    char e[40], tried[40];
    int lo = 0, hi = 16; /* precisions; 17 significant digits always round-trip */
    int have = -1;       /* the precision whose text is in e */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(tried, sizeof tried, "%.*e", mid, fabs(x));
        if (strtod(tried, NULL) == fabs(x)) {
            hi = mid;
            memcpy(e, tried, sizeof e);
            have = mid;
        } else {
            lo = mid + 1;
        }
    }
    if (have != lo)
        snprintf(e, sizeof e, "%.*e", lo, fabs(x));
    size_t n = 0;
    const char *p = e;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') /* skips the decimal point whatever the locale */
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *exp10 = atoi(p + 1);
}

/* Python's repr(float): fixed notation with at least one decimal for
 * 1e-4 <= |x| < 1e16, else d.ddde+XX with at least two exponent digits. */
void lrc_py_float_repr(double x, char buf[LRC_PY_FLOAT_LEN])
{
    if (isnan(x) || isinf(x)) {
        snprintf(buf, LRC_PY_FLOAT_LEN, "%s", isnan(x) ? "nan" : x < 0 ? "-inf" : "inf");
        return;
    }
    char d[20];
    int e;
    shortest_digits(x, d, &e);
    const char *sign = signbit(x) ? "-" : "";
    int n = (int)strlen(d);
    if (e < -4 || e >= 16)
        snprintf(buf, LRC_PY_FLOAT_LEN, "%s%c%s%se%c%02d", sign, d[0], n > 1 ? "." : "", d + 1,
                 e < 0 ? '-' : '+', abs(e));
    else if (e < 0)
        snprintf(buf, LRC_PY_FLOAT_LEN, "%s0.%.*s%s", sign, -e - 1, "000", d);
    else if (n <= e + 1) /* integral: pad with zeros, then ".0" */
        snprintf(buf, LRC_PY_FLOAT_LEN, "%s%s%.*s.0", sign, d, e + 1 - n, "000000000000000");
    else
        snprintf(buf, LRC_PY_FLOAT_LEN, "%s%.*s.%s", sign, e + 1, d, d + e + 1);
}
