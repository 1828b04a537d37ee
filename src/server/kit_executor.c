/* kit_executor.c - task workers and the service thread of a device.
 *
 * Workers take tasks from the bounded queue and run them. The service
 * thread finishes Abort commands once the drain is over and runs the removal
 * timer of the v1 lists. Neither ever holds `mu` while taking the device
 * lock (see kit.h for the lock order). */
#include "core/error_build.h"
#include "core/json_text.h"
#include "core/log_internal.h"
#include "server/clock.h"
#include "server/kit.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void kit_lock(lrc_device *dev)
{
    /* cppTango gives up after its monitor timeout; our handlers never hold
     * the lock for long, so waiting longer is right, but say so. */
    while (lrc_tg_device_lock(dev->tg) != LRC_OK)
        kit_log(dev, LRC_LOG_WARNING, "device lock busy, still waiting");
}

void kit_unlock(lrc_device *dev)
{
    lrc_tg_device_unlock(dev->tg);
}

void kit_task_free(lrc_task *task)
{
    if (!task)
        return;
    free(task->id);
    lrc_tg_value_clear(&task->value);
    free(task->result_json);
    free(task->fail_message);
    free(task->result_error);
    free(task);
}

/* [3, "Unhandled exception during execution: <message>"], ska's result for
 * a task that raised. A message whose result would pass the result cap
 * (LRC_MAX_RESULT_BYTES of JSON) is cut at a character boundary and ends
 * with TRUNCATED_MARK (giving the message's own length), so that a failure is never refused as too large and
 * list reads stay below the ORB's limit. */
#define TRUNCATED_MARK "... [truncated: %zu bytes in all]"

static char *capped_failure_json(const char *full, size_t msg_len)
{
    char *json = kit_code_message_json(LRC_RESULT_FAILED, full);
    size_t len = strlen(full), keep = len;
    /* Escapes make the JSON up to 6 times the text: shrink the kept part in
     * proportion to the excess until it fits (a few rounds at most). */
    while (json && strlen(json) > LRC_MAX_RESULT_BYTES && keep > 0) {
        size_t json_len = strlen(json);
        size_t target = (size_t)((double)keep * (LRC_MAX_RESULT_BYTES - 64) / (double)json_len);
        keep = target < keep ? target : keep - 1;
        while (keep > 0 && ((unsigned char)full[keep] & 0xC0) == 0x80)
            keep--; /* never split a UTF-8 sequence */
        char *cut = lrc_asprintf("%.*s" TRUNCATED_MARK, (int)keep, full, msg_len);
        free(json);
        json = cut ? kit_code_message_json(LRC_RESULT_FAILED, cut) : NULL;
        free(cut);
    }
    return json;
}

static char *failure_json(const char *fmt, ...) LRC_PRINTF(1, 2);
static char *failure_json(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = lrc_vasprintf(fmt, ap);
    va_end(ap);
    char *full = msg ? lrc_asprintf("Unhandled exception during execution: %s", msg) : NULL;
    char *json = full ? capped_failure_json(full, strlen(msg)) : NULL;
    free(msg);
    free(full);
    return json;
}

void kit_finish_task(lrc_device *dev, lrc_task *task, lrc_status status)
{
    char *result = task->result_json;
    task->result_json = NULL;
    const char *name = task->cmd->def.name;
    if (status != LRC_STATUS_COMPLETED && status != LRC_STATUS_FAILED &&
        status != LRC_STATUS_ABORTED && status != LRC_STATUS_REJECTED) {
        free(result);
        result = failure_json("task %s returned status %d, which is not a final status", name,
                              (int)status);
        status = LRC_STATUS_FAILED;
    } else if (task->result_error && !(status == LRC_STATUS_FAILED && task->fail_message)) {
        /* The task's result could not be stored: never end without it
         * silently (a task that failed with its own message has said why). */
        free(result);
        result = failure_json("%s", task->result_error);
        status = LRC_STATUS_FAILED;
        kit_log(dev, LRC_LOG_ERROR, "command %s ends FAILED: %s", task->id, task->result_error);
    } else if (result && strlen(result) > LRC_MAX_RESULT_BYTES) {
        size_t size = strlen(result);
        free(result);
        result = failure_json("result of %s is too large: %zu bytes of JSON (limit %d)", name,
                              size, LRC_MAX_RESULT_BYTES);
        status = LRC_STATUS_FAILED;
        kit_log(dev, LRC_LOG_ERROR, "command %s ends FAILED: result too large (%zu bytes of JSON)",
                task->id, size);
    } else if (!result && status == LRC_STATUS_FAILED) {
        result = failure_json("%s", task->fail_message ? task->fail_message : "task failed");
    } else if (!result && status == LRC_STATUS_ABORTED) {
        result = kit_code_message_json(LRC_RESULT_ABORTED, "Command has been aborted");
    }
    lrc_fields f = {.has_status = true, .status = status, .result_json = result};
    kit_apply(dev, task->id, &f);
    free(result);
}

static void run_task(lrc_device *dev, lrc_task *task)
{
    kit_lock(dev);
    if (atomic_load(&task->abort)) {
        kit_finish_task(dev, task, LRC_STATUS_ABORTED);
        kit_unlock(dev);
        return;
    }
    const lrc_command_def *def = &task->cmd->def;
    if (def->allowed && !def->allowed(dev, def->user)) {
        free(task->result_json);
        task->result_json = kit_code_message_json(LRC_RESULT_NOT_ALLOWED, "Command is not allowed");
        kit_finish_task(dev, task, LRC_STATUS_REJECTED);
        kit_unlock(dev);
        return;
    }
    lrc_fields f = {.has_status = true, .status = LRC_STATUS_IN_PROGRESS};
    kit_apply(dev, task->id, &f);
    kit_unlock(dev);

    lrc_status status = def->task(task, &task->arg, def->user);

    kit_lock(dev);
    kit_finish_task(dev, task, status);
    kit_unlock(dev);
}

static void remove_running(lrc_device *dev, lrc_task *task)
{
    for (lrc_task **link = &dev->running; *link; link = &(*link)->next) {
        if (*link == task) {
            *link = task->next;
            break;
        }
    }
    dev->n_running--;
}

/* Under mu: an Abort's drain is running and nothing is left to run, so the
 * service thread may complete the Aborts waiting for it. */
static bool drain_over(const lrc_device *dev)
{
    return dev->aborting && dev->n_running == 0 && !dev->queue_head;
}

static void *worker_main(void *arg)
{
    lrc_device *dev = arg;
    for (;;) {
        while (sem_wait(&dev->work_sem) != 0)
            ; /* EINTR */
        pthread_mutex_lock(&dev->mu);
        lrc_task *task = dev->queue_head;
        if (!task) {
            /* stopping (the stop routine owns what was queued), or the
             * post of a task that a drain took */
            bool stopping = dev->stopping;
            pthread_mutex_unlock(&dev->mu);
            if (stopping)
                break;
            continue;
        }
        dev->queue_head = task->next;
        if (!dev->queue_head)
            dev->queue_tail = NULL;
        dev->queue_len--;
        task->next = dev->running;
        dev->running = task;
        dev->n_running++;
        pthread_mutex_unlock(&dev->mu);

        run_task(dev, task);

        pthread_mutex_lock(&dev->mu);
        remove_running(dev, task);
        /* The service thread ends a drain once nothing runs; otherwise it
         * has nothing to do with a finished task (a wake-up per task cost
         * it two context switches and the device lock for nothing). */
        if (drain_over(dev))
            pthread_cond_broadcast(&dev->service_cv);
        pthread_mutex_unlock(&dev->mu);
        kit_task_free(task);
    }
    return NULL;
}

/* Completes every Abort waiting for the drain, if the drain is over (or
 * always, when `stopped`: the workers are joined, so every task has
 * returned and the drain is over too). Device lock held. */
static void end_aborts(lrc_device *dev, bool stopped)
{
    pthread_mutex_lock(&dev->mu);
    char *id = NULL;
    bool end = stopped ? dev->aborting : drain_over(dev);
    if (end) {
        id = dev->abort_id;
        dev->abort_id = NULL;
        dev->aborting = false;
    }
    pthread_mutex_unlock(&dev->mu);
    /* Still under the device lock: no submission can slip in before the
     * Abort completes, so its COMPLETED comes last. */
    if (id) { /* NULL: only AbortCommands, untracked */
        char *ok = kit_code_message_json(LRC_RESULT_OK, "Abort completed OK");
        lrc_fields f = {.has_status = true, .status = LRC_STATUS_COMPLETED, .result_json = ok};
        kit_apply(dev, id, &f);
        free(ok);
        free(id);
    }
}

/* Called without any lock. */
static void complete_aborts(lrc_device *dev)
{
    kit_lock(dev);
    end_aborts(dev, false);
    kit_unlock(dev);
}

static void deadline_to_timespec(double mono_deadline, struct timespec *ts)
{
    double secs = floor(mono_deadline);
    ts->tv_sec = (time_t)secs;
    ts->tv_nsec = (long)((mono_deadline - secs) * 1e9);
}

/* Removals due within this of the first one due leave together, in one
 * push of each v1 list: a device finishing a command every millisecond
 * otherwise woke its service thread (two context switches and the device
 * lock) and pushed every list once per command, 10 s later. Ska's own
 * device removes in 100 ms batches. */
#define REMOVAL_GROUPING_S 0.05

static void *service_main(void *arg)
{
    lrc_device *dev = arg;
    pthread_mutex_lock(&dev->mu);
    while (!dev->stopping) {
        if (drain_over(dev)) {
            pthread_mutex_unlock(&dev->mu);
            complete_aborts(dev);
            pthread_mutex_lock(&dev->mu);
            continue;
        }
        double removal_due =
            dev->next_deadline >= 0 ? dev->next_deadline + REMOVAL_GROUPING_S : -1;
        if (removal_due >= 0 && lrc_mono_now() >= removal_due) {
            dev->next_deadline = -1; /* kit_expire sets the next one */
            pthread_mutex_unlock(&dev->mu);
            kit_lock(dev);
            kit_expire(dev);
            kit_unlock(dev);
            pthread_mutex_lock(&dev->mu);
            continue;
        }
        if (dev->hold_deadline >= 0 && lrc_mono_now() >= dev->hold_deadline) {
            dev->hold_deadline = -1; /* kit_hold_flush sets the next one */
            pthread_mutex_unlock(&dev->mu);
            kit_lock(dev);
            kit_hold_flush(dev, false);
            kit_unlock(dev);
            pthread_mutex_lock(&dev->mu);
            continue;
        }
        double due = removal_due;
        if (dev->hold_deadline >= 0 && (due < 0 || dev->hold_deadline < due))
            due = dev->hold_deadline;
        if (due >= 0) {
            struct timespec ts;
            deadline_to_timespec(due, &ts);
            pthread_cond_timedwait(&dev->service_cv, &dev->mu, &ts);
        } else {
            pthread_cond_wait(&dev->service_cv, &dev->mu);
        }
    }
    pthread_mutex_unlock(&dev->mu);
    return NULL;
}

static int init_cond_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

void kit_executor_init(lrc_device *dev)
{
    pthread_mutex_init(&dev->mu, NULL);
    sem_init(&dev->work_sem, 0, 0);
    init_cond_monotonic(&dev->service_cv);
    init_cond_monotonic(&dev->abort_cv);
    dev->next_deadline = -1;
    dev->hold_deadline = -1;
    dev->sync_ready = true;
}

void kit_executor_destroy(lrc_device *dev)
{
    if (!dev->sync_ready)
        return;
    sem_destroy(&dev->work_sem);
    pthread_cond_destroy(&dev->service_cv);
    pthread_cond_destroy(&dev->abort_cv);
    pthread_mutex_destroy(&dev->mu);
    dev->sync_ready = false;
}

int kit_executor_start(lrc_device *dev, lrc_error **err)
{
    dev->workers = calloc(dev->max_executing, sizeof *dev->workers);
    if (!dev->workers)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    for (size_t i = 0; i < dev->max_executing; i++) {
        if (pthread_create(&dev->workers[i], NULL, worker_main, dev) != 0) {
            kit_executor_stop(dev);
            return lrc_fail(err, LRC_EINTERNAL, "cannot start task worker thread");
        }
        dev->n_workers++;
    }
    if (pthread_create(&dev->service, NULL, service_main, dev) != 0) {
        kit_executor_stop(dev);
        return lrc_fail(err, LRC_EINTERNAL, "cannot start service thread");
    }
    dev->service_started = true;
    return LRC_OK;
}

void kit_executor_stop(lrc_device *dev)
{
    pthread_mutex_lock(&dev->mu);
    bool was_stopping = dev->stopping;
    dev->stopping = true;
    for (lrc_task *t = dev->running; t; t = t->next)
        atomic_store(&t->abort, true);
    lrc_task *queued = dev->queue_head;
    dev->queue_head = dev->queue_tail = NULL;
    dev->queue_len = 0;
    pthread_cond_broadcast(&dev->service_cv);
    pthread_cond_broadcast(&dev->abort_cv);
    pthread_mutex_unlock(&dev->mu);
    if (was_stopping)
        return;

    for (size_t i = 0; i < dev->n_workers; i++)
        sem_post(&dev->work_sem); /* each worker finds the queue empty */

    for (size_t i = 0; i < dev->n_workers; i++)
        pthread_join(dev->workers[i], NULL);
    if (dev->service_started)
        pthread_join(dev->service, NULL);
    free(dev->workers);
    dev->workers = NULL;
    dev->n_workers = 0;
    dev->service_started = false;

    kit_lock(dev);
    kit_batch_begin(dev); /* see start_drain */
    while (queued) {
        lrc_task *next = queued->next;
        kit_finish_task(dev, queued, LRC_STATUS_ABORTED);
        kit_task_free(queued);
        queued = next;
    }
    kit_batch_end(dev);
    /* An Abort still draining when the device goes (Init, shutdown) must
     * still end: its followers wait for its final status. The joins above
     * waited for every task to return, so its drain is over: it completes
     * as it would have, after everything it aborted. */
    end_aborts(dev, true);
    /* The service thread is gone: whatever a fresh subscriber's hold still
     * keeps goes out now, so subscribers see every end. */
    kit_hold_flush(dev, true);
    kit_unlock(dev);
}
