/*
 * lrc-positioner: a simulated motor axis built on the server kit, the
 * example of a "real" device: attributes with events, long running
 * commands that drive them, a plain command, and the device State.
 *
 *   lrc-positioner INSTANCE      (class LrcPositioner, devices from the database)
 *
 * Attributes (unit mm, format %.3f):
 *   position  DevDouble, read-only: where the axis is; a change event at
 *             every simulation step while it moves (every 50 ms)
 *   velocity  DevDouble, read-write, mm/s (default 1.0); must be > 0:
 *             other values are refused with a message
 *   target    DevDouble, read-only: where the last move was asked to go
 * Long running commands:
 *   MoveTo(DevDouble mm)  moves at `velocity` to the target; progress is the
 *                         fraction of the distance covered, each update
 *                         carrying the position in _lrcEvent ({"progress":
 *                         40, "position": 2.0}, the project's "progress
 *                         with context"); ends [0, "arrived at 5.000 mm"].
 *                         Abort stops the axis where it is: ABORTED with
 *                         [7, "stopped at 3.250 mm"]. A MoveTo or Home
 *                         while the axis moves is REJECTED with the reason;
 *                         a target beyond +-10000 mm (or NaN) is refused.
 *   Home()                MoveTo(HomePosition)
 * Plain command:
 *   Position() -> DevDouble  the position, without the attribute machinery
 * State: MOVING while a move runs, ON otherwise.
 * Properties: those of lrc/server.h, plus
 *   HomePosition  mm, where Home goes (0)
 */
#include "lrc/server.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STEP_MS 50           /* simulation step: one position event each */
#define TRAVEL_LIMIT_MM 1e4  /* MoveTo refuses targets beyond +-this     */
#define DEFAULT_VELOCITY 1.0 /* mm/s                                     */

/* Per-device data (lrc_device_user). The attribute handles are the state:
 * the kit holds their values under the device lock, so tasks, Tango
 * threads and plain commands share them without a lock of ours. */
typedef struct axis {
    lrc_attribute *position, *velocity, *target;
    double home; /* mm, property HomePosition */
} axis;

static axis *axis_of(lrc_device *dev)
{
    return lrc_device_user(dev);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double get(lrc_attribute *attr)
{
    double v = 0;
    lrc_attribute_get_double(attr, &v);
    return v;
}

/* ---- velocity: a write function that refuses what makes no sense -------- */

/* Tango's min_value lets the bound itself through, and 0 mm/s would make a
 * move that never ends: refuse it here, with a message the client sees. */
static int write_velocity(lrc_attribute *attr, const lrc_arg *value, void *user, lrc_error **err)
{
    double v = value->u.d;
    if (!isfinite(v) || v <= 0)
        return lrc_check_invalid(err, "velocity must be a number of mm/s > 0, not %g", v);
    return lrc_attribute_set_double(attr, v); /* the kit stores only what we set */
}

/* ---- MoveTo and Home ----------------------------------------------------- */

/* Runs while the client waits for the reply (device lock held), so a move
 * already running is seen here and the second one is rejected with a
 * reason instead of queueing behind it. The task sets MOVING as its first
 * act: a MoveTo sent in the instant between another's acceptance and its
 * start still queues (the kit runs one task at a time) and moves after it.
 * Why not a "busy" flag set here instead: the kit may still refuse a
 * submission this check accepted (queue full, an Abort draining), or drain
 * it before it starts, and nothing of ours would run to clear the flag.
 * MoveTo and Home share this check; only MoveTo has an argument. */
static int move_check(lrc_device *dev, const lrc_arg *arg, void *user, lrc_error **err)
{
    if (lrc_device_get_state(dev) == LRC_DEV_MOVING)
        return lrc_check_reject(err, "The axis is moving (to %.3f mm): Abort it first",
                                get(axis_of(dev)->target));
    if (arg->kind == LRC_ARG_DOUBLE && (!isfinite(arg->u.d) || fabs(arg->u.d) > TRAVEL_LIMIT_MM))
        return lrc_check_invalid(err, "MoveTo: target %g mm outside [%g, %g]", arg->u.d,
                                 -TRAVEL_LIMIT_MM, TRAVEL_LIMIT_MM);
    return LRC_OK;
}

/* Leaves the axis at rest: State ON, Status back to Tango's default text. */
static void stop_moving(lrc_device *dev)
{
    lrc_device_set_status(dev, NULL);
    lrc_device_set_state(dev, LRC_DEV_ON);
}

/* The simulation: every STEP_MS the axis advances velocity * elapsed time
 * toward the goal (velocity is read at each step, so a client may change
 * it during a move). Each step sets `position`, which pushes its change
 * event (push_on_set), and reports progress with the position attached. */
static lrc_status move(lrc_task *t, double goal)
{
    lrc_device *dev = lrc_task_device(t);
    axis *ax = axis_of(dev);
    double start = get(ax->position);
    double distance = fabs(goal - start);
    char text[96];

    lrc_attribute_set_double(ax->target, goal);
    lrc_device_set_state(dev, LRC_DEV_MOVING);
    snprintf(text, sizeof text, "Moving to %.3f mm", goal);
    lrc_device_set_status(dev, text);

    double pos = start, last = now_s();
    while (pos != goal) {
        /* lrc_task_sleep wakes at once on Abort: the axis stops where it is. */
        if (lrc_task_sleep(t, STEP_MS)) {
            stop_moving(dev);
            snprintf(text, sizeof text, "stopped at %.3f mm", pos);
            lrc_task_set_result_code(t, LRC_RESULT_ABORTED, text);
            return LRC_STATUS_ABORTED;
        }
        double now = now_s();
        double step = get(ax->velocity) * (now - last);
        last = now;
        pos = fabs(goal - pos) <= step ? goal : pos + (goal > pos ? step : -step);
        lrc_attribute_set_double(ax->position, pos);

        int percent = distance > 0 ? (int)(100.0 * fabs(pos - start) / distance) : 100;
        char context[64];
        snprintf(context, sizeof context, "{\"position\": %.6g}", pos);
        lrc_task_progress_ex(t, percent, context);
    }
    stop_moving(dev);
    snprintf(text, sizeof text, "arrived at %.3f mm", goal);
    lrc_task_set_result_code(t, LRC_RESULT_OK, text);
    return LRC_STATUS_COMPLETED;
}

static lrc_status move_to_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    return move(t, arg->u.d);
}

static lrc_status home_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    return move(t, axis_of(lrc_task_device(t))->home);
}

/* ---- Position(): a plain command ----------------------------------------- */

static int position_cmd(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                        lrc_error **err)
{
    return lrc_reply_set_double(out, get(axis_of(dev)->position));
}

/* ---- the device ---------------------------------------------------------- */

static int add_length(lrc_device *dev, const char *name, const char *description,
                      lrc_attribute **out, lrc_error **err)
{
    lrc_attribute_def d = lrc_attribute_def_init(name, LRC_ATYPE_DOUBLE);
    d.description = description;
    d.unit = "mm";
    d.format = "%.3f";
    d.push_on_set = true; /* every set is a change event: no polling needed */
    return lrc_device_add_attribute(dev, &d, out, err);
}

static int read_home(lrc_device *dev, axis *ax, lrc_error **err)
{
    char *text = NULL;
    int rc = lrc_device_get_property(dev, "HomePosition", &text, err);
    if (rc != LRC_OK || !text)
        return rc;
    char *end;
    ax->home = strtod(text, &end);
    if (end == text || *end || !isfinite(ax->home) || fabs(ax->home) > TRAVEL_LIMIT_MM)
        rc = lrc_check_invalid(err, "property HomePosition = \"%s\": expected mm in [%g, %g]",
                               text, -TRAVEL_LIMIT_MM, TRAVEL_LIMIT_MM);
    free(text);
    return rc;
}

/* Start-up and Init: a fresh axis at 0 mm (a simulation has no encoder to
 * remember where it was), at rest. */
static int init_axis(lrc_device *dev, void *user, lrc_error **err)
{
    axis *ax = calloc(1, sizeof *ax);
    if (!ax)
        return lrc_check_invalid(err, "out of memory");
    lrc_device_set_user(dev, ax); /* freed by fini_axis, even if we fail below */
    int rc = read_home(dev, ax, err);

    if (rc == LRC_OK)
        rc = add_length(dev, "position", "where the axis is", &ax->position, err);
    if (rc == LRC_OK)
        rc = add_length(dev, "target", "where the last move went", &ax->target, err);
    if (rc == LRC_OK) {
        lrc_attribute_def d = lrc_attribute_def_init("velocity", LRC_ATYPE_DOUBLE);
        d.description = "speed of moves, > 0";
        d.unit = "mm/s";
        d.format = "%.3f";
        d.write = write_velocity;
        d.writable = true;
        d.push_on_set = true;
        rc = lrc_device_add_attribute(dev, &d, &ax->velocity, err);
    }
    if (rc == LRC_OK)
        rc = lrc_attribute_set_double(ax->velocity, DEFAULT_VELOCITY);

    lrc_command_def move_to = lrc_command_def_init("MoveTo", LRC_ARG_DOUBLE, move_to_task, NULL);
    move_to.check = move_check;
    lrc_command_def home = lrc_command_def_init("Home", LRC_ARG_NONE, home_task, NULL);
    home.check = move_check;
    lrc_plain_command_def position =
        lrc_plain_command_def_init("Position", LRC_ARG_NONE, LRC_ARG_DOUBLE, position_cmd, NULL);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &move_to, err);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &home, err);
    if (rc == LRC_OK)
        rc = lrc_device_add_plain_command(dev, &position, err);
    if (rc == LRC_OK)
        lrc_device_set_state(dev, LRC_DEV_ON); /* on failure the kit shows FAULT */
    return rc;
}

static void fini_axis(lrc_device *dev, void *user)
{
    free(lrc_device_user(dev));
    lrc_device_set_user(dev, NULL);
}

int main(int argc, char **argv)
{
    lrc_server_config cfg = lrc_server_config_init("LrcPositioner", init_axis, NULL);
    cfg.fini = fini_axis;
    return lrc_server_main(argc, argv, &cfg);
}
