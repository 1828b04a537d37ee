/*
 * lrc-invoke-example: run one long running command with the client library
 * and print each callback as one JSON line.
 *
 *   lrc-invoke-example DEVICE COMMAND [ARG_JSON] [--connect]
 *
 * ARG_JSON is converted by the command's declared input type ("5", "2.5",
 * "\"text\"", "[1, 2]", ...). --connect pre-connects the device's LRC event
 * streams with lrc_connect_interface first. Each line holds the keys of one
 * update that are present: {"status": "IN_PROGRESS", "progress": 50,
 * "result": [0, "done"], "error": [{"reason": ..., "desc": ...}], ...} plus
 * any extra keys the device sent.
 *
 * Exit status: 0 when the command ends COMPLETED, 1 when it ends otherwise
 * (FAILED, ABORTED, REJECTED), 2 when it could not be invoked, 64 for bad
 * usage.
 */
#include "lrc/client.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The main thread waits here for the final callback. */
typedef struct outcome {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int status;
} outcome;

static json_t *error_list(const lrc_error *e)
{
    json_t *list = json_array();
    size_t n = lrc_error_count(e);
    for (size_t i = 0; i < n; i++) {
        const lrc_dev_error *d = lrc_error_at(e, i);
        json_array_append_new(list, json_pack("{s:s, s:s}", "reason", d->reason, "desc", d->desc));
    }
    if (n == 0)
        json_array_append_new(list, json_pack("{s:s, s:s}", "reason", "LRC_Error", "desc",
                                              lrc_error_message(e)));
    return list;
}

static json_t *update_to_json(const lrc_update *u)
{
    json_t *o = json_object();
    if (u->has & LRC_HAS_STATUS)
        json_object_set_new(o, "status", json_string(lrc_status_name(u->status)));
    else if (u->has & LRC_HAS_UNKNOWN_STATUS)
        json_object_set_new(o, "status", json_null()); /* as Python: status=None */
    if (u->has & LRC_HAS_PROGRESS)
        json_object_set_new(o, "progress", json_integer(u->progress));
    if (u->has & LRC_HAS_RESULT)
        json_object_set_new(o, "result", json_loads(u->result_json, JSON_DECODE_ANY, NULL));
    if (u->has & LRC_HAS_ERROR)
        json_object_set_new(o, "error", error_list(u->error));
    if (u->has & LRC_HAS_EXTRA) {
        json_t *extra = json_loads(u->extra_json, 0, NULL);
        json_object_update_missing(o, extra);
        json_decref(extra);
    }
    return o;
}

/* On a scheduler worker. */
static void on_update(const lrc_update *u, void *user)
{
    outcome *out = user;
    json_t *line = update_to_json(u);
    char *text = json_dumps(line, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text) {
        printf("%s\n", text);
        fflush(stdout);
        free(text);
    }
    json_decref(line);
    if (u->final) {
        pthread_mutex_lock(&out->mu);
        out->done = true;
        out->status = u->status;
        pthread_cond_signal(&out->cv);
        pthread_mutex_unlock(&out->mu);
    }
}

static int fail(const char *what, lrc_error *err)
{
    fprintf(stderr, "lrc-invoke-example: %s: %s\n", what, lrc_error_message(err));
    for (size_t i = lrc_error_count(err); i-- > 0;) {
        const lrc_dev_error *d = lrc_error_at(err, i);
        fprintf(stderr, "  %s: %s\n", d->reason, d->desc);
    }
    lrc_error_free(err);
    return 2;
}

int main(int argc, char **argv)
{
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    bool connect = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--connect") == 0)
            connect = true;
        else if (npos < 3)
            pos[npos++] = argv[i];
        else
            npos = 4;
    }
    if (npos < 2 || npos > 3) {
        fprintf(stderr, "usage: lrc-invoke-example DEVICE COMMAND [ARG_JSON] [--connect]\n");
        return 64;
    }

    lrc_error *err = NULL;
    lrc_proxy *dev = NULL;
    if (lrc_proxy_open(pos[0], NULL, &dev, &err) != LRC_OK)
        return fail(pos[0], err);
    if (connect && lrc_connect_interface(dev, NULL, &err) != LRC_OK) {
        lrc_proxy_close(dev);
        return fail("connect", err);
    }

    outcome out = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, -1};
    lrc_arg arg = pos[2] ? lrc_arg_json(pos[2]) : lrc_arg_none();
    lrc_subscription *sub = NULL;
    if (lrc_invoke(dev, pos[1], &arg, on_update, &out, NULL, &sub, &err) != LRC_OK) {
        lrc_proxy_close(dev);
        return fail(pos[1], err);
    }
    pthread_mutex_lock(&out.mu);
    while (!out.done)
        pthread_cond_wait(&out.cv, &out.mu);
    pthread_mutex_unlock(&out.mu);

    lrc_subscription_free(sub);
    lrc_proxy_close(dev);
    return out.status == LRC_STATUS_COMPLETED ? 0 : 1;
}
