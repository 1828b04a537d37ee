/* kit_task.c - what a running task can do: report progress, notice an
 * abort, sleep interruptibly, set its result. */
#include "core/json_text.h"
#include "core/log_internal.h"
#include "core/wire_text.h"
#include "server/clock.h"
#include "core/error_build.h"
#include "server/kit.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int lrc_task_progress(lrc_task *task, int percent)
{
    return lrc_task_progress_ex(task, percent, NULL);
}

/* The keys _lrcEvent already carries (lrc-protocol section 1.4): a task's
 * own keys must never change what they mean to a client. */
static bool protocol_key(const char *k)
{
    return strcmp(k, "status") == 0 || strcmp(k, "progress") == 0 || strcmp(k, "result") == 0;
}

/* The members of the JSON object text `context` in json.dumps form, without
 * the braces ("" for {}), in *members (malloc'd). Refuses what
 * lrc_task_progress_ex documents, with the reason logged. */
static int context_members(const lrc_task *task, const char *context, char **members)
{
    *members = NULL;
    const char *cmd = task->cmd->def.name;
    size_t at;
    if (!lrc_utf8_valid(context, &at)) {
        lrc_log(LRC_LOG_WARNING, "%s: progress context is not UTF-8 (byte 0x%02X at offset %zu)",
                cmd, (unsigned)(unsigned char)context[at], at);
        return LRC_EINVAL;
    }
    json_error_t e;
    json_t *j = json_loads(context, 0, &e); /* flags 0: an object or an array only */
    if (!j) {
        lrc_log(LRC_LOG_WARNING, "%s: progress context is not JSON: %s", cmd, e.text);
        return LRC_EJSON;
    }
    int rc = LRC_OK;
    const char *k;
    json_t *v;
    if (!json_is_object(j)) {
        lrc_log(LRC_LOG_WARNING, "%s: progress context is not a JSON object", cmd);
        rc = LRC_EINVAL;
    } else {
        json_object_foreach(j, k, v)
        {
            if (protocol_key(k)) {
                lrc_log(LRC_LOG_WARNING,
                        "%s: progress context key \"%s\" is one of _lrcEvent's own", cmd, k);
                rc = LRC_EINVAL;
                break;
            }
        }
    }
    char *text = rc == LRC_OK ? lrc_json_dumps(j) : NULL;
    json_decref(j);
    if (rc != LRC_OK)
        return rc;
    if (!text)
        return LRC_ENOMEM;
    size_t n = strlen(text); /* "{...}" */
    if (n - 2 > LRC_TASK_CONTEXT_MAX_BYTES) {
        lrc_log(LRC_LOG_WARNING, "%s: progress context of %zu bytes is over %d bytes", cmd, n - 2,
                LRC_TASK_CONTEXT_MAX_BYTES);
        free(text);
        return LRC_EINVAL;
    }
    memmove(text, text + 1, n - 2);
    text[n - 2] = '\0';
    *members = text;
    return LRC_OK;
}

int lrc_task_progress_ex(lrc_task *task, int percent, const char *context_json)
{
    if (!task)
        return LRC_EINVAL;
    char *members = NULL;
    if (context_json) {
        int rc = context_members(task, context_json, &members);
        if (rc != LRC_OK)
            return rc;
    }
    lrc_fields f = {.has_progress = true, .progress = percent, .extra_members = members};
    kit_lock(task->dev);
    kit_apply(task->dev, task->id, &f);
    kit_unlock(task->dev);
    free(members);
    return LRC_OK;
}

bool lrc_task_abort_requested(const lrc_task *task)
{
    return task && atomic_load(&((lrc_task *)task)->abort);
}

bool lrc_task_sleep(lrc_task *task, int64_t ms)
{
    if (!task)
        return false;
    lrc_device *dev = task->dev;
    double deadline = lrc_mono_now() + (ms > 0 ? (double)ms / 1000.0 : 0.0);
    struct timespec ts;
    ts.tv_sec = (time_t)floor(deadline);
    ts.tv_nsec = (long)((deadline - floor(deadline)) * 1e9);
    pthread_mutex_lock(&dev->mu);
    while (!atomic_load(&task->abort) && lrc_mono_now() < deadline)
        if (pthread_cond_timedwait(&dev->abort_cv, &dev->mu, &ts) != 0 && lrc_mono_now() >= deadline)
            break;
    pthread_mutex_unlock(&dev->mu);
    return atomic_load(&task->abort);
}

/* Remembers why a result could not be stored (kit_finish_task turns it
 * into a FAILED end) and returns rc. */
static int result_refused(lrc_task *task, int rc, const char *fmt, ...) LRC_PRINTF(3, 4);
static int result_refused(lrc_task *task, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = lrc_vasprintf(fmt, ap);
    va_end(ap);
    free(task->result_error);
    task->result_error = lrc_asprintf("result of %s cannot be stored: %s", task->cmd->def.name,
                                      why ? why : lrc_strerror(rc));
    free(why);
    kit_log(task->dev, LRC_LOG_WARNING, "command %s: %s", task->id,
            task->result_error ? task->result_error : "result refused");
    return rc;
}

static void result_stored(lrc_task *task, char *json)
{
    free(task->result_json);
    task->result_json = json;
    free(task->result_error);
    task->result_error = NULL;
}

int lrc_task_set_result(lrc_task *task, const char *json_text)
{
    if (!task)
        return LRC_EINVAL;
    if (!json_text)
        return result_refused(task, LRC_EINVAL, "NULL JSON text");
    size_t at;
    if (!lrc_utf8_valid(json_text, &at))
        return result_refused(task, LRC_EINVAL,
                              "the JSON is not UTF-8 text (byte 0x%02X at offset %zu)",
                              (unsigned)(unsigned char)json_text[at], at);
    json_error_t e;
    json_t *j = json_loads(json_text, JSON_DECODE_ANY, &e);
    if (!j)
        return result_refused(task, LRC_EJSON, "not JSON: %s", e.text);
    char *norm = lrc_json_dumps(j);
    json_decref(j);
    if (!norm)
        return result_refused(task, LRC_ENOMEM, "out of memory");
    result_stored(task, norm);
    return LRC_OK;
}

char *kit_code_message_json(int code, const char *message)
{
    json_t *a = json_pack("[is]", code, message ? message : "");
    char *s = lrc_json_dumps(a);
    json_decref(a);
    return s;
}

int lrc_task_set_result_code(lrc_task *task, lrc_result_code code, const char *message)
{
    if (!task)
        return LRC_EINVAL;
    size_t at;
    if (!lrc_utf8_valid(message, &at))
        return result_refused(task, LRC_EINVAL,
                              "the message is not UTF-8 text (byte 0x%02X at offset %zu)",
                              (unsigned)(unsigned char)message[at], at);
    char *s = kit_code_message_json((int)code, message);
    if (!s)
        return result_refused(task, LRC_ENOMEM, "out of memory");
    result_stored(task, s);
    return LRC_OK;
}

lrc_status lrc_task_fail(lrc_task *task, const char *fmt, ...)
{
    if (!task || !fmt)
        return LRC_STATUS_FAILED;
    va_list ap;
    va_start(ap, fmt);
    char *msg = lrc_vasprintf(fmt, ap);
    va_end(ap);
    size_t at;
    if (msg && !lrc_utf8_valid(msg, &at)) { /* say why rather than lose it */
        char *why = lrc_asprintf("the failure message is not UTF-8 text (byte 0x%02X at offset %zu)",
                                 (unsigned)(unsigned char)msg[at], at);
        free(msg);
        msg = why;
    }
    if (msg) {
        free(task->fail_message);
        task->fail_message = msg;
    }
    return LRC_STATUS_FAILED;
}

const char *lrc_task_command_id(const lrc_task *task)
{
    return task ? task->id : NULL;
}

const char *lrc_task_command_name(const lrc_task *task)
{
    return task ? task->cmd->def.name : NULL;
}

lrc_device *lrc_task_device(const lrc_task *task)
{
    return task ? task->dev : NULL;
}
