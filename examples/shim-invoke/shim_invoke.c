/*
 * lrc-shim-invoke: run one long running command and show its events as
 * they arrive, straight on the Tango shim (a stop-gap for scripts/demo until
 * the `lrc` command-line tool, built on the client library, replaces it).
 *
 *   lrc-shim-invoke DEVICE COMMAND [ARG]
 *
 * ARG is converted by the command's declared input type (DevVoid, DevString,
 * DevDouble, DevLong, DevLong64, DevBoolean). Protocol v2 only (_lrcEvent).
 * Exit status: 0 when the command ends COMPLETED, 1 otherwise, 2 when it
 * could not be invoked.
 */
#include "lrc/types.h"
#include "tango/tango_shim.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAIT_LIMIT_S 3600

typedef struct event {
    struct event *next;
    double at;
    char *id;
    char *json; /* NULL for an error event */
    char *error;
} event;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static event *head, **tail = &head;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Tango thread: copy and queue; the main thread prints. */
static void on_event(const lrc_tg_event *ev, void *user)
{
    event *e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->at = now();
    if (ev->error) {
        e->error = strdup(lrc_error_message(ev->error));
    } else if (ev->value && ev->value->ns == 2) {
        e->id = strdup(ev->value->sv[0]);
        e->json = strdup(ev->value->sv[1]);
    } else {
        free(e); /* the empty initial value */
        return;
    }
    pthread_mutex_lock(&mu);
    *tail = e;
    tail = &e->next;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static int make_arg(lrc_tg_type type, const char *text, lrc_tg_value *v)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    char *end = NULL;
    switch (type) {
    case LRC_TG_VOID: return text ? -1 : 0;
    case LRC_TG_STRING: v->s = (char *)text; return text ? 0 : -1;
    case LRC_TG_DOUBLE:
    case LRC_TG_FLOAT: v->d = text ? strtod(text, &end) : 0; break;
    case LRC_TG_BOOLEAN:
        if (!text)
            return -1;
        v->i = strcmp(text, "true") == 0 || strcmp(text, "1") == 0;
        return 0;
    case LRC_TG_SHORT:
    case LRC_TG_LONG:
    case LRC_TG_LONG64:
    case LRC_TG_USHORT:
    case LRC_TG_ULONG:
    case LRC_TG_ULONG64: v->i = text ? strtoll(text, &end, 10) : 0; break;
    default: return -1;
    }
    return text && end != text && *end == '\0' ? 0 : -1;
}

static void print_error(const char *what, lrc_error *e)
{
    fprintf(stderr, "lrc-shim-invoke: %s: %s\n", what, lrc_error_message(e));
    for (size_t i = lrc_error_count(e); i-- > 0;)
        fprintf(stderr, "  %s: %s\n", lrc_error_at(e, i)->reason, lrc_error_at(e, i)->desc);
    lrc_error_free(e);
}

/* Prints one event of our command; returns true once it is terminal. */
static bool show(const event *e, double t0)
{
    printf("%7.3f s  ", e->at - t0);
    if (e->error) {
        printf("error event: %s\n", e->error);
        return false;
    }
    json_t *j = json_loads(e->json, 0, NULL);
    json_t *status = json_object_get(j, "status");
    json_t *progress = json_object_get(j, "progress");
    json_t *result = json_object_get(j, "result");
    bool terminal = false;
    if (json_is_integer(status)) {
        const char *name = lrc_status_name((int)json_integer_value(status));
        printf("%-12s", name ? name : "?");
        terminal = lrc_status_is_terminal((int)json_integer_value(status));
    }
    if (json_is_integer(progress)) {
        int p = (int)json_integer_value(progress);
        int filled = p < 0 ? 0 : p > 100 ? 20 : p / 5;
        printf("[%.*s%.*s] %3d%%", filled, "####################", 20 - filled,
               "                    ", p);
    }
    if (result) {
        char *r = json_dumps(result, JSON_ENCODE_ANY);
        printf(" result %s", r ? r : "?");
        free(r);
    }
    printf("\n");
    fflush(stdout);
    json_decref(j);
    return terminal;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: lrc-shim-invoke DEVICE COMMAND [ARG]\n");
        return 2;
    }
    const char *device = argv[1], *command = argv[2], *text = argc == 4 ? argv[3] : NULL;
    lrc_error *err = NULL;
    lrc_tg_proxy *p = NULL;
    lrc_tg_type in_type, out_type;
    if (lrc_tg_proxy_open(device, 3000, &p, &err) != 0) {
        print_error("cannot open the device", err);
        return 2;
    }
    if (lrc_tg_command_query(p, command, &in_type, &out_type, &err) != 0) {
        print_error("cannot query the command", err);
        lrc_tg_proxy_close(p);
        return 2;
    }
    lrc_tg_value in;
    if (make_arg(in_type, text, &in) != 0) {
        fprintf(stderr, "lrc-shim-invoke: %s takes %s; cannot use %s%s%s\n", command,
                lrc_tg_type_name(in_type), text ? "\"" : "no argument", text ? text : "",
                text ? "\"" : "");
        lrc_tg_proxy_close(p);
        return 2;
    }
    int sub = -1;
    if (lrc_tg_subscribe_change(p, "_lrcEvent", on_event, NULL, &sub, &err) != 0) {
        print_error("cannot subscribe to _lrcEvent", err);
        lrc_tg_proxy_close(p);
        return 2;
    }
    double t0 = now();
    lrc_tg_value out = {0};
    if (lrc_tg_command_inout(p, command, &in, &out, &err) != 0) {
        print_error("the command failed", err);
        lrc_tg_proxy_close(p);
        return 2;
    }
    if (out.type != LRC_TG_LONG_STRING_ARRAY || out.ni < 1 || out.ns < 1) {
        fprintf(stderr, "lrc-shim-invoke: %s is not a long running command\n", command);
        lrc_tg_value_clear(&out);
        lrc_tg_proxy_close(p);
        return 2;
    }
    long code = (long)out.iv[0];
    char *id = strdup(out.sv[0]);
    lrc_tg_value_clear(&out);
    if (code != LRC_RESULT_QUEUED && code != LRC_RESULT_STARTED) {
        const char *name = lrc_result_code_name((int)code);
        printf("%s %s: %s\n", command, code == LRC_RESULT_REJECTED ? "rejected" : name ? name : "?",
               id);
        free(id);
        lrc_tg_proxy_close(p);
        return 1;
    }
    printf("%s started: %s\n", command, id);

    int rc = 1;
    bool done = false;
    pthread_mutex_lock(&mu);
    while (!done) {
        while (!head) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += WAIT_LIMIT_S;
            if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
                break;
        }
        if (!head) {
            fprintf(stderr, "lrc-shim-invoke: no event for %d s, giving up\n", WAIT_LIMIT_S);
            break;
        }
        event *e = head;
        head = e->next;
        if (!head)
            tail = &head;
        pthread_mutex_unlock(&mu);
        if (!e->id || strcmp(e->id, id) == 0) {
            done = show(e, t0);
            if (done && e->json && strstr(e->json, "\"status\": 5"))
                rc = 0;
        }
        free(e->id);
        free(e->json);
        free(e->error);
        free(e);
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    lrc_tg_unsubscribe(p, sub, NULL);
    lrc_tg_proxy_close(p);
    while (head) { /* events that raced with the unsubscribe */
        event *e = head;
        head = e->next;
        free(e->id);
        free(e->json);
        free(e->error);
        free(e);
    }
    free(id);
    return rc;
}
