/*
 * lrc-demo-device: an LRC-capable Tango device built on the server kit.
 *
 *   lrc-demo-device INSTANCE      (class LrcDemo, devices from the database)
 *
 * Long running commands:
 *   Sleep(DevDouble s)  progress every 10 %, honours Abort, [0, "Sleep done"]
 *   Echo(DevString)     completes at once with [0, <argument>]
 *   Fail(DevString)     fails with the argument as the message
 *   Complete(DevString) completes at once with the argument, JSON text, as
 *                       its result: '[3, "motor at limit"]' is a command
 *                       that ran to its end and reports a failing
 *                       ResultCode (COMPLETED is not success by itself)
 *   Heat(DevDouble c)   ramps a simulated temperature from 20 to c degrees
 *                       in 0.5 s; each progress update (every 10 %) carries
 *                       it in _lrcEvent: {"progress": 40, "temperature":
 *                       32.0} (lrc_task_progress_ex); [0, "Heated to c"]
 *   Report(DevString)   one progress update (50) with the argument, a JSON
 *                       object, as its context; FAILED with the kit's
 *                       reason when the kit refuses it
 *   On / Off / Standby  ~0.2 s each, as the ska base device (starts OFF)
 * plus what the kit adds: Abort, AbortCommands, CheckLongRunningCommandStatus
 * and the LRC attributes. Properties: those of lrc/server.h, plus
 *   AbortLatency  seconds a Sleep takes to wind down after an abort, like
 *                 hardware that must stop safely (0); makes the window in
 *                 which submissions are REJECTED "Queue is being aborted"
 *                 observable.
 *   EchoAlias     a second name for Echo (none). A name the kit refuses
 *                 (a built-in such as Abort, or Sleep) leaves the device in
 *                 FAULT with the kit's reason as its status: how the tests
 *                 check lrc_device_add_command's name rules.
 */
#include "lrc/server.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLEEP_MAX_SECONDS 86400.0
#define SLEEP_STEPS 10
#define POWER_STEPS 4
#define POWER_STEP_MS 50
#define HEAT_STEPS 10
#define HEAT_STEP_MS 50
#define HEAT_START_CELSIUS 20.0
#define HEAT_MIN_CELSIUS -50.0
#define HEAT_MAX_CELSIUS 500.0

/* Per-device settings from the device properties. */
typedef struct demo {
    double abort_latency; /* s */
} demo;

static void pause_seconds(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Ends COMPLETED with [code, message], or FAILED if the kit refuses the
 * result: the kit then says why in the result ("result of Echo cannot be
 * stored: ...") and logs it. */
static lrc_status complete_with(lrc_task *t, lrc_result_code code, const char *message)
{
    if (lrc_task_set_result_code(t, code, message) != LRC_OK)
        return LRC_STATUS_FAILED;
    return LRC_STATUS_COMPLETED;
}

/* ---- Sleep -------------------------------------------------------------- */

static int sleep_check(lrc_device *dev, const lrc_arg *arg, void *user, lrc_error **err)
{
    double s = arg->u.d;
    if (!isfinite(s) || s < 0 || s > SLEEP_MAX_SECONDS)
        return lrc_check_invalid(
            err, "Sleep: invalid duration %g s: expected a finite number of seconds in [0, %g]", s,
            SLEEP_MAX_SECONDS);
    return LRC_OK;
}

static lrc_status sleep_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    int64_t step_ms = (int64_t)llround(arg->u.d * 1000.0 / SLEEP_STEPS);
    for (int i = 1; i <= SLEEP_STEPS; i++) {
        if (lrc_task_sleep(t, step_ms)) {
            const demo *d = lrc_device_user(lrc_task_device(t));
            pause_seconds(d->abort_latency);
            return LRC_STATUS_ABORTED;
        }
        lrc_task_progress(t, i * 100 / SLEEP_STEPS);
    }
    return complete_with(t, LRC_RESULT_OK, "Sleep done");
}

/* ---- Echo and Fail -------------------------------------------------------- */

static lrc_status echo_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    return complete_with(t, LRC_RESULT_OK, arg->u.s);
}

static lrc_status fail_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    return lrc_task_fail(t, "%s", arg->u.s);
}

static lrc_status complete_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    if (lrc_task_set_result(t, arg->u.s) != LRC_OK)
        return lrc_task_fail(t, "Complete: the argument is not JSON: %s", arg->u.s);
    return LRC_STATUS_COMPLETED;
}

/* ---- Heat and Report: progress with context -------------------------------- */

static int heat_check(lrc_device *dev, const lrc_arg *arg, void *user, lrc_error **err)
{
    double c = arg->u.d;
    if (!isfinite(c) || c < HEAT_MIN_CELSIUS || c > HEAT_MAX_CELSIUS)
        return lrc_check_invalid(err, "Heat: invalid target %g: expected degrees Celsius in [%g, %g]",
                                 c, HEAT_MIN_CELSIUS, HEAT_MAX_CELSIUS);
    return LRC_OK;
}

/* Ramps a simulated temperature from HEAT_START_CELSIUS to the target; each
 * progress update carries the temperature reached ({"temperature": 24.5}). */
static lrc_status heat_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    double target = arg->u.d;
    for (int i = 1; i <= HEAT_STEPS; i++) {
        if (lrc_task_sleep(t, HEAT_STEP_MS))
            return LRC_STATUS_ABORTED;
        double now = HEAT_START_CELSIUS + (target - HEAT_START_CELSIUS) * i / HEAT_STEPS;
        char context[64];
        snprintf(context, sizeof context, "{\"temperature\": %.2f}", now);
        lrc_task_progress_ex(t, i * 100 / HEAT_STEPS, context);
    }
    char message[64];
    snprintf(message, sizeof message, "Heated to %.2f", target);
    return complete_with(t, LRC_RESULT_OK, message);
}

/* Reports progress 50 with the argument as its context; FAILED with the
 * kit's reason if the kit refuses it. */
static lrc_status report_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    int rc = lrc_task_progress_ex(t, 50, arg->u.s);
    if (rc != LRC_OK)
        return lrc_task_fail(t, "Report: progress context refused: %s", lrc_strerror(rc));
    return complete_with(t, LRC_RESULT_OK, "Reported");
}

/* ---- On / Off / Standby ------------------------------------------------- */

typedef struct power_command {
    const char *name;  /* "On" */
    const char *label; /* "ON": state name, also commandedState */
    lrc_dev_state state;
} power_command;

static const power_command power_commands[] = {
    {"On", "ON", LRC_DEV_ON},
    {"Off", "OFF", LRC_DEV_OFF},
    {"Standby", "STANDBY", LRC_DEV_STANDBY},
};

static int power_check(lrc_device *dev, const lrc_arg *arg, void *user, lrc_error **err)
{
    const power_command *pc = user;
    if (lrc_device_get_state(dev) == pc->state) {
        return lrc_check_reject(err, "Device is already in %s state.", pc->label);
    }
    return LRC_OK;
}

static lrc_status power_task(lrc_task *t, const lrc_arg *arg, void *user)
{
    const power_command *pc = user;
    for (int i = 1; i <= POWER_STEPS; i++) {
        if (lrc_task_sleep(t, POWER_STEP_MS))
            return LRC_STATUS_ABORTED;
        lrc_task_progress(t, i * 100 / POWER_STEPS);
    }
    lrc_device_set_state(lrc_task_device(t), pc->state);
    char msg[64];
    snprintf(msg, sizeof msg, "%s command completed OK", pc->name);
    return complete_with(t, LRC_RESULT_OK, msg);
}

/* ---- device ------------------------------------------------------------- */

static int read_settings(lrc_device *dev, demo *d, lrc_error **err)
{
    char *text = NULL;
    int rc = lrc_device_get_property(dev, "AbortLatency", &text, err);
    if (rc != LRC_OK || !text)
        return rc;
    char *end;
    d->abort_latency = strtod(text, &end);
    if (end == text || *end || !isfinite(d->abort_latency) || d->abort_latency < 0 ||
        d->abort_latency > 60)
        rc = lrc_check_invalid(err, "property AbortLatency = \"%s\": expected seconds in [0, 60]",
                               text);
    free(text);
    return rc;
}

static int init_demo(lrc_device *dev, void *user, lrc_error **err)
{
    demo *d = calloc(1, sizeof *d);
    if (!d)
        return lrc_check_invalid(err, "out of memory");
    lrc_device_set_user(dev, d);
    int rc = read_settings(dev, d, err);
    if (rc != LRC_OK)
        return rc;
    lrc_device_set_state(dev, LRC_DEV_OFF);

    lrc_command_def sleep = lrc_command_def_init("Sleep", LRC_ARG_DOUBLE, sleep_task, NULL);
    sleep.check = sleep_check;
    lrc_command_def echo = lrc_command_def_init("Echo", LRC_ARG_STRING, echo_task, NULL);
    lrc_command_def fail = lrc_command_def_init("Fail", LRC_ARG_STRING, fail_task, NULL);
    lrc_command_def complete =
        lrc_command_def_init("Complete", LRC_ARG_STRING, complete_task, NULL);
    rc = lrc_device_add_command(dev, &sleep, err);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &echo, err);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &fail, err);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &complete, err);
    lrc_command_def heat = lrc_command_def_init("Heat", LRC_ARG_DOUBLE, heat_task, NULL);
    heat.check = heat_check;
    lrc_command_def report = lrc_command_def_init("Report", LRC_ARG_STRING, report_task, NULL);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &heat, err);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &report, err);
    char *alias = NULL;
    if (rc == LRC_OK)
        rc = lrc_device_get_property(dev, "EchoAlias", &alias, err);
    if (rc == LRC_OK && alias) {
        lrc_command_def def = lrc_command_def_init(alias, LRC_ARG_STRING, echo_task, NULL);
        rc = lrc_device_add_command(dev, &def, err); /* the definition is copied */
    }
    free(alias);
    for (size_t i = 0; rc == LRC_OK && i < sizeof power_commands / sizeof power_commands[0]; i++) {
        const power_command *pc = &power_commands[i];
        lrc_command_def def = lrc_command_def_init(pc->name, LRC_ARG_NONE, power_task, (void *)pc);
        def.check = power_check;
        def.commanded_state = pc->label;
        rc = lrc_device_add_command(dev, &def, err);
    }
    return rc;
}

static void fini_demo(lrc_device *dev, void *user)
{
    free(lrc_device_user(dev));
    lrc_device_set_user(dev, NULL);
}

int main(int argc, char **argv)
{
    lrc_server_config cfg = lrc_server_config_init("LrcDemo", init_demo, NULL);
    cfg.fini = fini_demo;
    return lrc_server_main(argc, argv, &cfg);
}
