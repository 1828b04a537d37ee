/* kit_task.c - what a running task can do: report progress, notice an
 * abort, sleep interruptibly, set its result. */
#include "core/json_text.h"
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
    if (!task)
        return LRC_EINVAL;
    lrc_fields f = {.has_progress = true, .progress = percent};
    kit_lock(task->dev);
    kit_apply(task->dev, task->id, &f);
    kit_unlock(task->dev);
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

int lrc_task_set_result(lrc_task *task, const char *json_text)
{
    if (!task || !json_text)
        return LRC_EINVAL;
    json_t *j = json_loads(json_text, JSON_DECODE_ANY, NULL);
    if (!j)
        return LRC_EJSON;
    char *norm = lrc_json_dumps(j);
    json_decref(j);
    if (!norm)
        return LRC_ENOMEM;
    free(task->result_json);
    task->result_json = norm;
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
    char *s = kit_code_message_json((int)code, message);
    if (!s)
        return LRC_ENOMEM;
    free(task->result_json);
    task->result_json = s;
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
