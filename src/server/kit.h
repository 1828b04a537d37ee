/*
 * kit.h - internals of the server kit shared by its files.
 *
 * Locks: `device lock` (cppTango's device monitor, via the shim) guards the
 * tracker, the published-value cache and everything pushed; `mu` guards the
 * executor (queue, running tasks, abort and stop flags) and is a leaf lock,
 * never held while calling out. Order: device lock, then mu.
 */
#ifndef LRC_SERVER_KIT_H
#define LRC_SERVER_KIT_H

#include "core/error_build.h" /* LRC_PRINTF */
#include "lrc/server.h"
#include "server/tracker.h"
#include "tango/tango_shim.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#define LRC_MAX_RESULT_BYTES 65536

typedef struct kit_command {
    lrc_command_def def; /* strings owned by the entry */
    lrc_device *dev;
} kit_command;

struct lrc_task {
    lrc_device *dev;
    const kit_command *cmd;
    char *id;
    lrc_tg_value value; /* the Tango argument; arg borrows from it */
    lrc_arg arg;
    atomic_bool abort;
    char *result_json;
    char *fail_message;
    /* Why the last lrc_task_set_result* call failed (NULL after a success):
     * the command then ends FAILED with this text, never silently without
     * its result. */
    char *result_error;
    struct lrc_task *next; /* queue or running list */
};

struct lrc_device {
    lrc_tg_device *tg;
    const lrc_server_config *cfg;
    void *user;

    /* configuration from the device properties */
    size_t max_queued;
    size_t max_executing;
    double removal_time;
    bool v1_only; /* LrcProtocolVersions "none" */
    int64_t proto_min, proto_max;
    size_t status_queue_size;
    double subscriber_hold; /* s pushes wait after a subscription; 0: off */

    /* guarded by the device lock */
    lrc_tracker *tracker;
    bool has_attr[LRC_ATTR_COUNT];
    char **published[LRC_ATTR_COUNT]; /* last value pushed (or initial) */
    size_t published_n[LRC_ATTR_COUNT];
    bool has_published[LRC_ATTR_COUNT];
    uint64_t published_gen[LRC_ATTR_COUNT]; /* tracker generation published */
    /* Which attributes were ever subscribed to, as of the shim's
     * last_subscribed_at stamp `watched_stamp` (subscriptions are only ever
     * added, and each moves the stamp): asked again only when it moves. */
    bool watched[LRC_ATTR_COUNT];
    double watched_stamp; /* < -1: never computed */
    /* list_release's youngest subscription to a non-_lrcEvent attribute,
     * as of the stamp `list_sub_stamp` (same reasoning). */
    double list_sub_at, list_sub_stamp;
    bool batching; /* kit_batch_begin: lists wait for kit_batch_end */
    char **batch_ev; /* _lrcEvent pairs (id, payload) waiting for the v1 lists */
    size_t batch_n, batch_cap;
    kit_command **commands;
    size_t n_commands;
    struct lrc_attribute *attributes; /* the author's (kit_attr.c) */
    struct kit_plain **plain; /* plain commands (kit_plain.c) */
    size_t n_plain;
    /* pushes held for fresh subscribers (kit_hold.c) */
    struct kit_held *held_head, *held_tail;
    struct kit_held_cmd *held_cmds; /* commands whose _lrcEvent waits */
    double held_list_release;       /* last held list push's time; < 0 none */
    double held_due;                /* earliest release of held_head..; < 0 none */

    /* guarded by mu */
    pthread_mutex_t mu;
    /* Workers sleep on a semaphore, not on a condition variable: one post
     * per task queued, one per worker at stop (a drain leaves surplus
     * posts: a worker finds the queue empty and sleeps again). Woken from
     * a condition variable, a worker takes mu back marked contended and
     * its next unlock makes a futex system call for nobody, one per
     * command before the task could start. Not guarded by mu. */
    sem_t work_sem;
    pthread_cond_t service_cv; /* service thread: drain progress, timers  */
    pthread_cond_t abort_cv;   /* sleeping tasks: an abort was requested  */
    lrc_task *queue_head, *queue_tail;
    size_t queue_len;
    lrc_task *running;   /* tasks taken by workers, not yet finished */
    size_t n_running;
    bool aborting;
    /* ID of the one tracked Abort waiting for the drain (NULL: none, or
     * only AbortCommands). Later Aborts join it, so that the IN_PROGRESS
     * commands stay within MaxExecutingTasks + 1 (the size of lrcExecuting
     * and longRunningCommandInProgress) however many Aborts arrive. */
    char *abort_id;
    bool stopping;
    double next_deadline; /* monotonic; < 0: none */
    double hold_deadline; /* monotonic, when held pushes are due; < 0: none */

    pthread_t *workers;
    size_t n_workers;
    pthread_t service;
    bool service_started;
    bool sync_ready; /* mu and the condition variables exist */
};

/* kit_publish.c: attributes ---------------------------------------------- */

/* Declares every LRC attribute of the device (per its configuration). */
int kit_add_attributes(lrc_device *dev, lrc_error **err);

/* Applies one update to the tracker and pushes the resulting events.
 * Device lock held. */
void kit_apply(lrc_device *dev, const char *id, const lrc_fields *f);

/* Creates a STAGING command and pushes its events; returns the ID (owned by
 * the tracker) or NULL. Device lock held. */
const char *kit_create(lrc_device *dev, const char *name, const char *commanded_state);

/* A batch of updates (a drain ending many queued commands): until
 * kit_batch_end, each update pushes only longRunningCommandResult (v1
 * clients need it per command); kit_batch_end pushes the lists before
 * _lrcEvent once, then every update's _lrcEvent, then the lists after it
 * once, so each command still sees the order of section 1.5 while the
 * lists, whose size grows with the queue, go out once with their value
 * after the batch. Without it, ending N queued commands pushes
 * N lists of up to N items each. Device lock held for both calls and in
 * between. */
void kit_batch_begin(lrc_device *dev);
void kit_batch_end(lrc_device *dev);

/* Pushes what changed after the removal timer ran. Device lock held. */
void kit_expire(lrc_device *dev);

/* Frees the published-value cache. */
void kit_publish_free(lrc_device *dev);

/* Pushes one value of an LRC attribute to Tango now (failures are logged).
 * Device lock held. */
void kit_push_now(lrc_device *dev, lrc_attr a, char **v, size_t n);

/* kit_hold.c: pushes held for fresh subscribers ---------------------------- */

/* Pushes one value now, or queues a copy while a fresh subscriber's hold
 * lasts for it; v is only read. Device lock held. */
void kit_push(lrc_device *dev, lrc_attr a, char **v, size_t n);
/* A command was created: if its caller subscribed to _lrcEvent less than
 * the hold ago, its _lrcEvent pushes wait. Call from the command's handler
 * (the caller is the client of the request), before its first push.
 * Device lock held. */
void kit_hold_command(lrc_device *dev, const char *id);
/* Sends the held pushes that are due (all of them if `all`), in order, and
 * tells the service thread when the next one is due. Device lock held. */
void kit_hold_flush(lrc_device *dev, bool all);
/* Drops what is still held (device teardown, after a final flush). */
void kit_hold_free(lrc_device *dev);

/* kit_executor.c: threads -------------------------------------------------- */

/* Creates mu and the condition variables; destroy frees them (idempotent). */
void kit_executor_init(lrc_device *dev);
void kit_executor_destroy(lrc_device *dev);
/* Starts the worker and service threads. */
int kit_executor_start(lrc_device *dev, lrc_error **err);
/* Stops and joins all threads; queued tasks end ABORTED. Idempotent; new
 * submissions are refused afterwards. Without the device lock. */
void kit_executor_stop(lrc_device *dev);
/* Takes the device lock, retrying past cppTango's monitor timeout. */
void kit_lock(lrc_device *dev);
void kit_unlock(lrc_device *dev);
/* Final update of a task that never ran or has returned: pushes its end.
 * Device lock held. */
void kit_finish_task(lrc_device *dev, lrc_task *task, lrc_status status);
void kit_task_free(lrc_task *task);

/* kit_commands.c: Tango commands ------------------------------------------- */

int kit_add_builtin_commands(lrc_device *dev, lrc_error **err);
int kit_register_command(lrc_device *dev, kit_command *cmd, lrc_error **err);

/* kit_plain.c: plain commands --------------------------------------------- */

/* The name of the plain command `name` matches case-insensitively, or NULL. */
const char *kit_plain_find(const lrc_device *dev, const char *name);
void kit_plain_free(lrc_device *dev);

/* kit_server.c: LRC_OK if `name` is free for a new command of the device
 * (not a built-in, not already added by either kind); `who` names the
 * caller in the error. */
int kit_check_command_name(const lrc_device *dev, const char *who, const char *name,
                           lrc_error **err);

/* kit_log.c: the kit's messages about a device go to the log hook and to
 * the device's Tango logger (see lrc_device_log). */
void kit_log(lrc_device *dev, int level, const char *fmt, ...) LRC_PRINTF(3, 4);

/* kit_task.c: results ----------------------------------------------------- */

/* [code, "message"] as JSON text in Python's json.dumps style (malloc'd;
 * NULL if out of memory). */
char *kit_code_message_json(int code, const char *message);

/* kit_attr.c: the author's attributes ------------------------------------- */

/* Frees the device's attributes (device teardown, after the fini hook). */
void kit_attributes_free(lrc_device *dev);

/* kit_args.c: argument conversion ------------------------------------------ */

lrc_tg_type kit_arg_tango_type(lrc_arg_kind kind);
/* Points arg into value (which must outlive it). Validates JSON args. */
int kit_arg_from_value(lrc_arg_kind kind, const lrc_tg_value *value, lrc_arg *arg,
                       lrc_error **err);

#endif
