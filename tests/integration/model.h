/*
 * model.h - the expected wire behaviour of an LRC device, written from the
 * protocol specification (lrc-protocol.md sections 1.3-1.5, 5.2-5.3 and the
 * decisions of section 7), NOT from the device's code.
 *
 * The tests drive the model with the same steps they make the device take
 * (new command, tracker updates, removal) and the model produces the list of
 * change events the device must push, in order:
 *
 *  creation:  {longRunningCommandsInQueue, longRunningCommandIDsInQueue,
 *              longRunningCommandStatus} (in any order among themselves),
 *             then _lrcEvent [id, {"status": 0}]          (1.5, 1.4)
 *  update:    longRunningCommandResult (if result), longRunningCommandProgress
 *             (if progress), longRunningCommandStatus (if status),
 *             longRunningCommandInProgress, commandedState (if changed),
 *             _lrcEvent (always), lrcQueue, lrcExecuting, lrcFinished
 *             (each only if its content changed: section 7 push rule).
 *             When the progress list changes without a progress key (a
 *             command that reported progress leaves IN_PROGRESS, section 7
 *             "lists only commands that are IN_PROGRESS"), that push may come
 *             in the progress or the status slot.
 *  removal:   {InQueue, IDsInQueue, Status, Progress} whichever changed, any
 *             order (section 7: the kit re-pushes the status list too).
 *
 * lrc* items: lrcQueue {uid, name, submitted_time}; lrcExecuting {uid, name,
 * submitted_time, started_time[, progress]}; lrcFinished {uid, name, status
 * NAME, submitted_time, [started_time,] finished_time[, result]}; times are
 * matched by the pattern "<time>" (ISO-8601 with +00:00).
 */
#ifndef LRCT_MODEL_H
#define LRCT_MODEL_H

#include "recorder.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One expected push: attribute, value pattern (in the normalised form of
 * lrct_event_json) and a group number: consecutive expectations with the
 * same non-zero group may arrive in any order among themselves. */
typedef struct lm_push {
    char *attr;
    json_t *value;
    int group;
} lm_push;

typedef struct lm lm;

/* v2: the device has _lrcEvent and lrcQueue/lrcExecuting/lrcFinished.
 * commanded: the device has commandedState (and the test subscribed it). */
lm *lm_new(bool v2, bool commanded);
void lm_free(lm *m);

/* v1 list capacity (status_queue_size, section 5.6); 0 = unlimited (the
 * default). When a new command would make the v1 lists exceed it, the
 * oldest finished commands (by ID time prefix = creation order) are pruned
 * before the creation pushes (section 1.3 "Removal/eviction"). */
void lm_set_status_queue_size(lm *m, size_t size);

/* Steps. Each appends the pushes it implies to the expected list. */
void lm_create(lm *m, const char *id, const char *name);
/* fields: a JSON object with any of status (int), progress (int), result. */
void lm_update(lm *m, const char *id, json_t *fields);
void lm_update_status(lm *m, const char *id, int status);
void lm_update_progress(lm *m, const char *id, int progress);
void lm_update_final(lm *m, const char *id, int status, json_t *result /* stolen */);
void lm_remove(lm *m, const char *id);
/* Several commands removed by one timer tick: one push per changed list. */
void lm_remove_set(lm *m, const char *const *ids, size_t n);

/* The expected pushes accumulated since the last lm_take (caller frees
 * with lm_pushes_free). */
lm_push *lm_take(lm *m, size_t *n);
void lm_pushes_free(lm_push *p, size_t n);

/* The attributes whose pushes the model describes (NULL terminated). */
const char *const *lm_attrs(const lm *m);

/* Pattern match: "<time>" matches an ISO time string, "<any>" anything;
 * objects need the same key set, arrays the same length; other values
 * json_equal (so 5 and 5.0 differ). */
bool lm_match(const json_t *pattern, const json_t *actual);

/* Compares the non-initial events of the model's attributes in
 * [from, from + n_actual) (n_actual counted over those attributes) with
 * the expected pushes. Returns true on an exact match; otherwise prints
 * both sequences and the first difference to stderr. *consumed gets the
 * recorder index just after the last compared event. */
bool lm_compare(const lm *m, lrct_recorder *r, size_t from, const lm_push *exp, size_t nexp,
                size_t *consumed);

/* Waits (up to timeout_s) until nexp events of the model's attributes have
 * arrived after `from`, then waits `settle_s` more for surplus events
 * (0 = no extra wait) and compares exactly (surplus events are a
 * mismatch). */
bool lm_expect(const lm *m, lrct_recorder *r, size_t from, const lm_push *exp, size_t nexp,
               double timeout_s, size_t *consumed);

#endif
