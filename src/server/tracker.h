/*
 * tracker.h - the command tracker of the server kit (pure C, no Tango).
 *
 * Keeps every command a device knows, moves it through the TaskStatus state
 * machine and renders the values of all LRC attributes from that state, in
 * the exact wire format of ska-tango-base 1.3.2 (lrc-protocol.md section 1,
 * with the deliberate differences of section 7).
 *
 * Not thread-safe: the owner serialises all calls (the kit does it with the
 * device lock).
 */
#ifndef LRC_SERVER_TRACKER_H
#define LRC_SERVER_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lrc_tracker lrc_tracker;

typedef struct lrc_tracker_config {
    double removal_time;      /* s a finished command stays in the v1 lists */
    size_t status_queue_size; /* max commands shown in the v1 lists         */
    size_t max_finished;      /* lrcFinished length (100)                   */
} lrc_tracker_config;

/* The attributes whose values the tracker renders, in push order: a single
 * update pushes the changed ones in this order (section 1.5). */
typedef enum lrc_attr {
    LRC_ATTR_IN_QUEUE,        /* longRunningCommandsInQueue     */
    LRC_ATTR_IDS_IN_QUEUE,    /* longRunningCommandIDsInQueue   */
    LRC_ATTR_RESULT,          /* longRunningCommandResult       */
    LRC_ATTR_PROGRESS,        /* longRunningCommandProgress     */
    LRC_ATTR_STATUS,          /* longRunningCommandStatus       */
    LRC_ATTR_IN_PROGRESS,     /* longRunningCommandInProgress   */
    LRC_ATTR_COMMANDED_STATE, /* commandedState (scalar)        */
    LRC_ATTR_EVENT,           /* _lrcEvent (not rendered: pushed per update) */
    LRC_ATTR_QUEUE,           /* lrcQueue                       */
    LRC_ATTR_EXECUTING,       /* lrcExecuting                   */
    LRC_ATTR_FINISHED,        /* lrcFinished                    */
    LRC_ATTR_COUNT
} lrc_attr;

/* Tango attribute name of an lrc_attr. */
const char *lrc_attr_name(lrc_attr a);

/* One update of a command, as ska's update_command_info receives it. */
typedef struct lrc_fields {
    bool has_status;
    int status;
    bool has_progress;
    int progress;
    const char *result_json; /* NULL: no result in this update */
    /* NULL, or the members of a JSON object in json.dumps form
     * ("\"temperature\": 21.5, ..."): written into the _lrcEvent payload
     * after the progress, and nowhere else (the v1 attributes and the
     * lists have no room for them). The caller has checked that none of
     * them is status, progress or result. */
    const char *extra_members;
} lrc_fields;

lrc_tracker *lrc_tracker_new(const lrc_tracker_config *cfg);
void lrc_tracker_free(lrc_tracker *t);

/* Creates a STAGING command. `commanded_state` (may be NULL) is the value
 * commandedState takes when the command goes IN_PROGRESS. Returns the new
 * ID (owned by the tracker, valid while the command is known) or NULL if
 * out of memory. *event_json receives the _lrcEvent payload {"status": 0}
 * (malloc'd). */
const char *lrc_tracker_create(lrc_tracker *t, const char *name, const char *commanded_state,
                               double wall_now, char **event_json);

/* Applies one update. result_json must be valid JSON (it is re-serialised
 * in Python's json.dumps style). Returns 0, -1 if the ID is unknown (the
 * event is still built: ska emits it for unknown IDs too), -2 if out of
 * memory or the result is not valid JSON. *event_json receives the
 * _lrcEvent payload holding exactly the updated fields. */
int lrc_tracker_update(lrc_tracker *t, const char *id, const lrc_fields *f, double wall_now,
                       double mono_now, char **event_json);

/* Drops finished commands whose removal time has passed from the v1 lists.
 * Returns true if anything was dropped. */
bool lrc_tracker_expire(lrc_tracker *t, double mono_now);

/* Earliest pending removal deadline (monotonic s), or a negative number. */
double lrc_tracker_next_deadline(const lrc_tracker *t);

/* TaskStatus of a command for CheckLongRunningCommandStatus: its status if
 * it is live or among the last max_finished finished, else NOT_FOUND. */
int lrc_tracker_status(const lrc_tracker *t, const char *id);

/* The value of an attribute (not LRC_ATTR_EVENT) as strings: *out is a
 * malloc'd array of *n malloc'd strings (free with lrc_strv_free). A
 * scalar attribute gives n == 1. Returns 0 or -1 when out of memory. */
int lrc_tracker_render(const lrc_tracker *t, lrc_attr a, char ***out, size_t *n);

/* A number that changes whenever the value of `a` may have changed: the
 * kit skips rendering and comparing an attribute whose generation is the
 * one it last published. lrcFinished and longRunningCommandResult move only
 * when they change (a command finishes or leaves lrcFinished, a result
 * arrives), so the cost of an update does not grow with their size. */
uint64_t lrc_tracker_generation(const lrc_tracker *t, lrc_attr a);

void lrc_strv_free(char **v, size_t n);

/* Number of commands shown in the v1 lists (for tests). */
size_t lrc_tracker_v1_count(const lrc_tracker *t);

#endif
