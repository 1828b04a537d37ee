/*
 * lrc/group.h - fan-out: one long running command (or one per device) on
 * many devices at once, followed to a single group completion.
 *
 *     lrc_group *g;
 *     lrc_group_new(&g, &err);
 *     for (i = 0; i < n; i++)
 *         lrc_group_add(g, dish[i], "Scan", &arg, &err);   proxies stay the
 *     lrc_group_invoke(g, &opts, on_update, on_done, me, &err);  caller's
 *     ...            on_update(g, i, u, me) for each update of member i,
 *     ...            on_done(g, &summary, me) once, after the last final
 *     lrc_group_free(g);
 *
 * A member is an ordinary lrc_invoke on the caller's proxy: it shares that
 * proxy's event streams with every other invocation on it, and its updates
 * are exactly those lrc_invoke's callback would get. Every member ends in
 * exactly one final update (a terminal status, or LRC_HAS_END), or, when
 * its lrc_invoke call failed, in no update at all and an outcome
 * LRC_GROUP_NOT_STARTED (LRC_GROUP_REJECTED for a device that rejected the
 * submission) with the error kept by the group; the group goes on either
 * way.
 *
 * Threads: every function may be called from any thread; the callbacks run
 * on the workers of the scheduler of lrc_invoke_options (never inside the
 * registering call, never on the thread that called lrc_group_invoke while
 * it runs). Updates of one member never run concurrently; on a scheduler
 * with several workers, updates of members on different devices may.
 */
#ifndef LRC_GROUP_H
#define LRC_GROUP_H

#include "lrc/client.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lrc_group lrc_group;

/* How a member ended, or where it is. */
typedef enum lrc_group_outcome {
    LRC_GROUP_IDLE = 0,        /* lrc_group_invoke has not issued it yet      */
    LRC_GROUP_RUNNING = 1,     /* issued, no final yet                        */
    LRC_GROUP_COMPLETED = 2,   /* final status COMPLETED                      */
    LRC_GROUP_FAILED = 3,      /* final status FAILED                         */
    LRC_GROUP_REJECTED = 4,    /* final status REJECTED, or lrc_invoke gave
                                  LRC_EREJECTED (the device refused it)     */
    LRC_GROUP_ABORTED = 5,     /* final status ABORTED                        */
    LRC_GROUP_LOST = 6,        /* final LRC_HAS_END, LRC_END_LOST             */
    LRC_GROUP_TIMED_OUT = 7,   /* final LRC_HAS_END, LRC_END_TIMED_OUT        */
    LRC_GROUP_NOT_STARTED = 8  /* lrc_invoke failed otherwise (unknown
                                  command, device down, bad argument...), or
                                  the group was aborted before issuing it   */
} lrc_group_outcome;

/* "IDLE", "RUNNING", "COMPLETED", ...; NULL for other values. Static. */
const char *lrc_group_outcome_name(int outcome);

/* Counts of the members by outcome. total = the sum of all the others. */
typedef struct lrc_group_summary {
    size_t size;        /* sizeof(lrc_group_summary) of the library        */
    size_t total;       /* members added                                    */
    size_t completed;
    size_t failed;
    size_t rejected;
    size_t aborted;
    size_t lost;
    size_t timed_out;
    size_t not_started; /* lrc_invoke failed (lrc_group_member_error tells)  */
    size_t running;     /* issued, not ended yet                            */
    size_t idle;        /* not issued yet                                   */
} lrc_group_summary;

/* A member's update: member is its index (the order of lrc_group_add, from
 * 0); u as for lrc_update_fn, valid only during the call. */
typedef void (*lrc_group_update_fn)(lrc_group *g, size_t member, const lrc_update *u,
                                    void *user);

/* The group's completion: s counts every member (running and idle are 0),
 * valid only during the call. */
typedef void (*lrc_group_done_fn)(lrc_group *g, const lrc_group_summary *s, void *user);

/* Creates an empty group; *out owns it (lrc_group_free). LRC_ENOMEM. */
int lrc_group_new(lrc_group **out, lrc_error **err);

/* Adds a member: `command` with `arg` (NULL: none) on proxy p. The group
 * copies command and arg; p is borrowed and must stay open until
 * lrc_group_free has returned (several members may share one proxy). Only
 * before lrc_group_invoke (LRC_ESTATE after); LRC_EINVAL for NULL p or
 * command. On success *index (if not NULL) receives the member's index. */
int lrc_group_add(lrc_group *g, lrc_proxy *p, const char *command, const lrc_arg *arg,
                  size_t *index, lrc_error **err);

/* Issues every member with lrc_invoke(p, command, arg, ..., opts) (opts
 * may be NULL; timeout_ms, scheduler and logger apply to each member) from
 * up to LRC_GROUP_ISSUE_THREADS threads at once, and returns when each
 * lrc_invoke has returned: each member is then RUNNING (or already ended)
 * or NOT_STARTED/REJECTED. The cost is about n / LRC_GROUP_ISSUE_THREADS
 * command round trips (plus the subscriptions of streams not yet there).
 * on_update (may be NULL) gets every update of every member; on_done (may
 * be NULL) runs exactly once, after the final update of the last member
 * has returned from on_update, also when no member started (it is then
 * queued on the scheduler, never run inside this call). Returns LRC_OK
 * whatever the members' fate; LRC_ESTATE when called twice; LRC_EINVAL for
 * an empty group, LRC_ENOMEM, or LRC_ECLOSED when the scheduler is closed.
 * lrc_group_free may run meanwhile (from a member's callback, or another
 * thread): members not issued yet are then not issued, and this call
 * returns normally (the caller must not use g afterwards). */
int lrc_group_invoke(lrc_group *g, const lrc_invoke_options *opts, lrc_group_update_fn on_update,
                     lrc_group_done_fn on_done, void *user, lrc_error **err);

/* How many threads lrc_group_invoke and lrc_group_abort use at most. */
#define LRC_GROUP_ISSUE_THREADS 8

/* Aborts the group: members not issued yet are not issued (NOT_STARTED,
 * LRC_ECLOSED), and every device with a member still running gets its
 * Abort command once (a plain call, from up to LRC_GROUP_ISSUE_THREADS
 * threads; blocks for the replies). Abort acts on the whole device: every
 * LRC running or queued there ends ABORTED, the group's and any other
 * client's. The members then end as the devices report it (usually
 * ABORTED; a task that ignores the abort still COMPLETES). Returns LRC_OK
 * or the first failure (the other devices are still asked; *err tells
 * which device failed). Harmless after the end; may run while
 * lrc_group_invoke is issuing (a member being issued at that moment may
 * reach its device after the Abort and run). */
int lrc_group_abort(lrc_group *g, lrc_error **err);

/* Waits until on_done has returned (or, without on_done, until every
 * member ended), at most timeout_ms (negative: for ever). LRC_OK,
 * LRC_ETIMEDOUT, LRC_ESTATE before lrc_group_invoke or from a callback of
 * this group (it would wait for itself). */
int lrc_group_wait(lrc_group *g, int64_t timeout_ms, lrc_error **err);

/* Copies the counts of now into *out (any time, any thread). */
void lrc_group_summary_get(const lrc_group *g, lrc_group_summary *out);

/* Members added. */
size_t lrc_group_size(const lrc_group *g);

/* Member i's proxy (borrowed) and command; NULL when i is out of range. */
lrc_proxy *lrc_group_member_proxy(const lrc_group *g, size_t i);
const char *lrc_group_member_command(const lrc_group *g, size_t i);

/* Member i's lrc_group_outcome now (LRC_GROUP_IDLE when out of range). */
lrc_group_outcome lrc_group_member_outcome(const lrc_group *g, size_t i);

/* Why member i did not start (NOT_STARTED, or REJECTED by lrc_invoke):
 * owned by the group, valid until lrc_group_free; NULL otherwise. */
const lrc_error *lrc_group_member_error(const lrc_group *g, size_t i);

/* Stops following every member and frees the group. After it returns no
 * callback of the group is running or will run, except that when it is
 * called from inside one of them, that call finishes normally (the group's
 * memory is released when it returns; do not use g after this call). Safe
 * at any time after lrc_group_new, also while members run (their commands
 * go on on the devices) and before on_done ran (it then never runs), also
 * while lrc_group_invoke still issues members (see there). NULL is
 * accepted; each group must be freed exactly once. */
void lrc_group_free(lrc_group *g);

#ifdef __cplusplus
}
#endif

#endif /* LRC_GROUP_H */
