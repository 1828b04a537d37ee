/* kit_commands.c - the Tango commands of a kit device: every long running
 * command, Abort, AbortCommands and CheckLongRunningCommandStatus. They run
 * on Tango threads with the device lock held and never wait for tasks. */
#include "core/log_internal.h"
#include "core/error_build.h"
#include "core/value.h"
#include "server/kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [[code], [text]] as a DevVarLongStringArray. */
static int reply(lrc_tg_value *out, int code, const char *text, lrc_error **err)
{
    out->type = LRC_TG_LONG_STRING_ARRAY;
    out->iv = malloc(sizeof *out->iv);
    out->sv = malloc(sizeof *out->sv);
    char *copy = strdup(text);
    if (!out->iv || !out->sv || !copy) {
        free(copy);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    out->iv[0] = code;
    out->ni = 1;
    out->sv[0] = copy;
    out->ns = 1;
    return LRC_OK;
}

static bool is_stopping(lrc_device *dev)
{
    pthread_mutex_lock(&dev->mu);
    bool stopping = dev->stopping;
    pthread_mutex_unlock(&dev->mu);
    return stopping;
}

static int submit(lrc_tg_device *tg, void *user, const lrc_tg_value *in, lrc_tg_value *out,
                  lrc_error **err)
{
    kit_command *cmd = user;
    lrc_device *dev = cmd->dev;
    const lrc_command_def *def = &cmd->def;
    if (is_stopping(dev))
        return lrc_fail(err, LRC_ECLOSED, "%s: the device is shutting down", def->name);

    lrc_task *task = calloc(1, sizeof *task);
    if (!task)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    task->dev = dev;
    task->cmd = cmd;
    atomic_init(&task->abort, false);
    int rc = lrc_value_copy(&task->value, in);
    if (rc == LRC_OK)
        rc = kit_arg_from_value(def->arg_kind, &task->value, &task->arg, err);
    else
        lrc_fail(err, rc, "out of memory");
    if (rc != LRC_OK) {
        kit_task_free(task);
        return rc;
    }

    if (def->check) {
        lrc_error *why = NULL;
        rc = def->check(dev, &task->arg, def->user, &why);
        if (rc == LRC_EREJECTED) {
            rc = reply(out, LRC_RESULT_REJECTED, lrc_error_message(why), err);
            lrc_error_free(why);
            kit_task_free(task);
            return rc;
        }
        if (rc != LRC_OK) {
            kit_task_free(task);
            if (!why)
                why = lrc_error_new(rc, "%s: argument or state check failed", def->name);
            return lrc_error_give(err, why);
        }
        lrc_error_free(why);
    }

    /* Capacity and abort state are checked before an ID exists, so a
     * rejected submission leaves no trace (ska 1.3.2 leaves ghosts). */
    char reason[96] = "";
    pthread_mutex_lock(&dev->mu);
    if (dev->aborting)
        snprintf(reason, sizeof reason, "Queue is being aborted");
    else if (dev->queue_len >= dev->max_queued)
        snprintf(reason, sizeof reason, "Input queue supports a maximum of %zu commands",
                 dev->max_queued);
    pthread_mutex_unlock(&dev->mu);
    if (reason[0]) {
        kit_task_free(task);
        return reply(out, LRC_RESULT_REJECTED, reason, err);
    }

    const char *id = kit_create(dev, def->name, def->commanded_state);
    task->id = id ? strdup(id) : NULL;
    if (!task->id) {
        kit_task_free(task);
        return lrc_fail(err, LRC_ENOMEM, "out of memory creating a command");
    }
    lrc_fields queued = {.has_status = true, .status = LRC_STATUS_QUEUED};
    kit_apply(dev, task->id, &queued);

    pthread_mutex_lock(&dev->mu);
    if (dev->queue_tail)
        dev->queue_tail->next = task;
    else
        dev->queue_head = task;
    dev->queue_tail = task;
    dev->queue_len++;
    pthread_mutex_unlock(&dev->mu);
    /* After unlocking: a worker woken under the lock (on the other CPU it
     * runs before this thread is back from the wake-up's system call)
     * blocked on it at once and needed a second wake-up, one in two
     * commands under the raw-floor loop (perf sched). The device outlives
     * its commands. */
    sem_post(&dev->work_sem);
    return reply(out, LRC_RESULT_QUEUED, id, err);
}

/* Starts a drain: running tasks are asked to stop, queued ones end ABORTED
 * now, in queue order. abort_id (NULL for AbortCommands) is the tracked
 * Abort that completes when the drain is over (service thread); it takes
 * ownership. Device lock held. */
static void start_drain(lrc_device *dev, char *abort_id)
{
    pthread_mutex_lock(&dev->mu);
    if (abort_id) {
        free(dev->abort_id); /* NULL: callers join a tracked Abort instead */
        dev->abort_id = abort_id;
    }
    dev->aborting = true;
    for (lrc_task *t = dev->running; t; t = t->next)
        atomic_store(&t->abort, true);
    lrc_task *queued = dev->queue_head;
    dev->queue_head = dev->queue_tail = NULL;
    dev->queue_len = 0;
    pthread_cond_broadcast(&dev->abort_cv);
    pthread_mutex_unlock(&dev->mu);

    kit_batch_begin(dev); /* O(N) for N queued, not N pushes of N-item lists */
    while (queued) {
        lrc_task *next = queued->next;
        kit_finish_task(dev, queued, LRC_STATUS_ABORTED);
        kit_task_free(queued);
        queued = next;
    }
    kit_batch_end(dev);
    pthread_mutex_lock(&dev->mu);
    pthread_cond_broadcast(&dev->service_cv); /* the drain may be over already */
    pthread_mutex_unlock(&dev->mu);
}

/* The ID of the tracked Abort now draining (malloc'd), or NULL. */
static char *draining_abort(lrc_device *dev, bool *oom)
{
    pthread_mutex_lock(&dev->mu);
    char *id = dev->aborting && dev->abort_id ? strdup(dev->abort_id) : NULL;
    *oom = dev->aborting && dev->abort_id && !id;
    pthread_mutex_unlock(&dev->mu);
    return id;
}

static int abort_cmd(lrc_tg_device *tg, void *user, const lrc_tg_value *in, lrc_tg_value *out,
                     lrc_error **err)
{
    lrc_device *dev = user;
    if (is_stopping(dev))
        return lrc_fail(err, LRC_ECLOSED, "Abort: the device is shutting down");
    /* An Abort during an Abort joins it: same drain, same ID, the same
     * COMPLETED when the drain ends. A new entry per call would let an
     * Abort storm against a task that ignores aborts grow lrcExecuting
     * without bound (section 7 of docs/protocol.md). The device lock keeps
     * the drain from ending between here and the reply. */
    bool oom = false;
    char *joined = draining_abort(dev, &oom);
    if (oom)
        return lrc_fail(err, LRC_ENOMEM, "out of memory joining the abort");
    if (joined) {
        /* The caller may have just subscribed: hold its events as for a
         * new command (kit_hold.c). */
        kit_hold_command(dev, joined);
        int rc = reply(out, LRC_RESULT_STARTED, joined, err);
        free(joined);
        return rc;
    }
    const char *tracked = kit_create(dev, "Abort", NULL);
    char *id = tracked ? strdup(tracked) : NULL;
    char *owned = id ? strdup(id) : NULL;
    if (!owned) {
        free(id);
        return lrc_fail(err, LRC_ENOMEM, "out of memory creating a command");
    }
    lrc_fields running = {.has_status = true, .status = LRC_STATUS_IN_PROGRESS};
    kit_apply(dev, id, &running); /* Abort is never QUEUED */
    start_drain(dev, owned);
    int rc = reply(out, LRC_RESULT_STARTED, id, err);
    free(id);
    return rc;
}

static int abort_commands_cmd(lrc_tg_device *tg, void *user, const lrc_tg_value *in,
                              lrc_tg_value *out, lrc_error **err)
{
    lrc_device *dev = user;
    if (is_stopping(dev))
        return lrc_fail(err, LRC_ECLOSED, "AbortCommands: the device is shutting down");
    start_drain(dev, NULL);
    return reply(out, LRC_RESULT_STARTED, "Aborting commands", err);
}

static int check_status_cmd(lrc_tg_device *tg, void *user, const lrc_tg_value *in,
                            lrc_tg_value *out, lrc_error **err)
{
    lrc_device *dev = user;
    const char *id = in && in->type == LRC_TG_STRING && in->s ? in->s : "";
    out->type = LRC_TG_STRING;
    out->s = strdup(lrc_status_name(lrc_tracker_status(dev->tracker, id)));
    return out->s ? LRC_OK : lrc_fail(err, LRC_ENOMEM, "out of memory");
}

int kit_register_command(lrc_device *dev, kit_command *cmd, lrc_error **err)
{
    return lrc_tg_device_add_command(dev->tg, cmd->def.name, kit_arg_tango_type(cmd->def.arg_kind),
                                     LRC_TG_LONG_STRING_ARRAY, submit, cmd, err);
}

int kit_add_builtin_commands(lrc_device *dev, lrc_error **err)
{
    int rc = lrc_tg_device_add_command(dev->tg, "Abort", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY,
                                       abort_cmd, dev, err);
    if (rc == LRC_OK)
        rc = lrc_tg_device_add_command(dev->tg, "AbortCommands", LRC_TG_VOID,
                                       LRC_TG_LONG_STRING_ARRAY, abort_commands_cmd, dev, err);
    if (rc == LRC_OK)
        rc = lrc_tg_device_add_command(dev->tg, "CheckLongRunningCommandStatus", LRC_TG_STRING,
                                       LRC_TG_STRING, check_status_cmd, dev, err);
    return rc;
}
