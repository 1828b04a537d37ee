/* stats.c - a device's metrics (lrc_proxy_get_metrics) as a JSON object
 * and as a row of the compact table of `lrc watch --stats`. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A latency in the given unit (1e3: microseconds, 1e6: milliseconds):
 * {"count", "mean", "p50", "p90", "p99", "max"}. */
static json_t *latency_json(const lrc_latency *l, double unit)
{
    double mean = l->count ? (double)l->sum_ns / (double)l->count / unit : 0;
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)l->count, "mean",
                     mean, "p50", (double)l->p50_ns / unit, "p90", (double)l->p90_ns / unit,
                     "p99", (double)l->p99_ns / unit, "max", (double)l->max_ns / unit);
}

json_t *cli_stats_json(const char *device, const lrc_proxy *p)
{
    lrc_proxy_metrics m;
    memset(&m, 0, sizeof m);
    m.size = sizeof m;
    if (lrc_proxy_get_metrics(p, &m) != LRC_OK)
        return NULL;
    return json_pack(
        "{s:s, s:{s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o,"
        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:I}",
        "device", device,
        "events", "values", (json_int_t)m.event_values, "errors", (json_int_t)m.event_errors,
        "queue", "received", (json_int_t)m.queue.received, "processed",
        (json_int_t)m.queue.processed, "dropped", (json_int_t)m.queue.dropped, "discarded",
        (json_int_t)m.queue.discarded, "length", (json_int_t)m.queue.length,
        "queue_time_us", latency_json(&m.queue_time, 1e3),
        "callback_time_us", latency_json(&m.callback_time, 1e3),
        "invocations", "started", (json_int_t)m.started, "not_started",
        (json_int_t)m.not_started, "completed", (json_int_t)m.completed, "failed",
        (json_int_t)m.failed, "rejected", (json_int_t)m.rejected, "aborted",
        (json_int_t)m.aborted, "timed_out", (json_int_t)m.timed_out, "lost",
        (json_int_t)m.lost,
        "subscribe_ms", latency_json(&m.subscribe_time, 1e6),
        "streams", (json_int_t)m.streams);
}

/* A duration for people, 5 characters at most: "850ns", "12us", "1.2ms",
 * "340ms", "3.4s", "-" for none. */
static void duration(char *buf, size_t n, double ns, bool any)
{
    if (!any)
        snprintf(buf, n, "-");
    else if (ns < 1e3)
        snprintf(buf, n, "%.0fns", ns);
    else if (ns < 1e4)
        snprintf(buf, n, "%.1fus", ns / 1e3);
    else if (ns < 1e6)
        snprintf(buf, n, "%.0fus", ns / 1e3);
    else if (ns < 1e7)
        snprintf(buf, n, "%.1fms", ns / 1e6);
    else if (ns < 1e9)
        snprintf(buf, n, "%.0fms", ns / 1e6);
    else
        snprintf(buf, n, "%.1fs", ns / 1e9);
}

/* "p50/p99/max" of a latency object of cli_stats_json (in `unit` ns). */
static void triple(char *buf, size_t n, json_t *lat, double unit)
{
    bool any = json_integer_value(json_object_get(lat, "count")) > 0;
    char a[16], b[16], c[16];
    duration(a, sizeof a, json_real_value(json_object_get(lat, "p50")) * unit, any);
    duration(b, sizeof b, json_real_value(json_object_get(lat, "p99")) * unit, any);
    duration(c, sizeof c, json_real_value(json_object_get(lat, "max")) * unit, any);
    snprintf(buf, n, any ? "%s/%s/%s" : "-", a, b, c);
}

static long long num(json_t *obj, const char *group, const char *key)
{
    return (long long)json_integer_value(json_object_get(json_object_get(obj, group), key));
}

void cli_stats_print_header(FILE *out, const cli_term *t)
{
    fprintf(out, "%s%-24s %7s %5s %5s %5s %-20s %-20s %-13s %s%s\n", cli_sgr(t, "\033[1m"), "DEVICE",
           "EVENTS", "ERRS", "DROPS", "QLEN", "QUEUE p50/p99/max", "CALLBACK p50/p99/max",
           "SUBSCRIBE", "INVOKED ok/fail/other", cli_sgr(t, "\033[0m"));
}

void cli_stats_print_row(FILE *out, json_t *dev)
{
    char qt[64], ct[64], sub[32], mean[16], max[16];
    triple(qt, sizeof qt, json_object_get(dev, "queue_time_us"), 1e3);
    triple(ct, sizeof ct, json_object_get(dev, "callback_time_us"), 1e3);
    json_t *s = json_object_get(dev, "subscribe_ms");
    long long nsub = (long long)json_integer_value(json_object_get(s, "count"));
    duration(mean, sizeof mean, json_real_value(json_object_get(s, "mean")) * 1e6, nsub > 0);
    duration(max, sizeof max, json_real_value(json_object_get(s, "max")) * 1e6, nsub > 0);
    snprintf(sub, sizeof sub, nsub > 0 ? "%lldx %s/%s" : "-", nsub, mean, max);
    long long other = num(dev, "invocations", "rejected") + num(dev, "invocations", "aborted") +
                      num(dev, "invocations", "timed_out") + num(dev, "invocations", "lost");
    fprintf(out, "%-24s %7lld %5lld %5lld %5lld %-20s %-20s %-13s %lld/%lld/%lld\n",
           cli_t(json_string_value(json_object_get(dev, "device"))),
           num(dev, "events", "values") + num(dev, "events", "errors"),
           num(dev, "events", "errors"), num(dev, "queue", "dropped"),
           num(dev, "queue", "length"), qt, ct, sub, num(dev, "invocations", "completed"),
           num(dev, "invocations", "failed"), other);
}

void cli_stats_report_all(const char *const *devices, const lrc_proxy *const *ps, size_t n,
                          bool json)
{
    json_t *all = json_array();
    for (size_t i = 0; all && i < n; i++) {
        json_t *dev = cli_stats_json(devices ? devices[i] : lrc_proxy_name(ps[i]), ps[i]);
        if (dev)
            json_array_append_new(all, dev);
    }
    if (!all || json_array_size(all) == 0) {
        json_decref(all);
        return;
    }
    fflush(stdout); /* the command's output first */
    if (json) {
        json_t *line = json_pack("{s:o}", "stats", all);
        char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
        if (text)
            fprintf(stderr, "%s\n", text);
        free(text);
        json_decref(line);
        return;
    }
    cli_term plain = {0}; /* no colours on stderr */
    cli_stats_print_header(stderr, &plain);
    size_t i;
    json_t *dev;
    json_array_foreach(all, i, dev)
        cli_stats_print_row(stderr, dev);
    json_decref(all);
}

void cli_stats_report(const char *device, const lrc_proxy *p, bool json)
{
    cli_stats_report_all(&device, &p, 1, json);
}
