/* kit_server.c - a kit device's life: configuration from properties,
 * set-up of its attributes, commands and threads, tear-down; and the
 * server's main loop. */
#include "core/log_internal.h"
#include "core/error_build.h"
#include "server/kit.h"
#include "server/kit_trim.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_QUEUED 32
#define DEFAULT_MAX_EXECUTING 1
#define DEFAULT_REMOVAL_TIME 10.0
#define DEFAULT_SUBSCRIBER_HOLD 0.1 /* s, see kit_hold.c and docs/protocol.md */
#define LIMIT_MAX_QUEUED 10000
#define LIMIT_MAX_EXECUTING 64

lrc_command_def lrc_command_def_init(const char *name, lrc_arg_kind arg_kind, lrc_task_fn task,
                                     void *user)
{
    lrc_command_def d;
    memset(&d, 0, sizeof d);
    d.size = sizeof d;
    d.name = name;
    d.arg_kind = arg_kind;
    d.task = task;
    d.user = user;
    return d;
}

lrc_server_config lrc_server_config_init(const char *class_name, lrc_device_init_fn init,
                                         void *user)
{
    lrc_server_config c;
    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.class_name = class_name;
    c.init = init;
    c.user = user;
    return c;
}

const char *lrc_device_name(const lrc_device *dev)
{
    return dev ? lrc_tg_device_name(dev->tg) : NULL;
}

void lrc_device_set_user(lrc_device *dev, void *user)
{
    if (dev)
        dev->user = user;
}

void *lrc_device_user(const lrc_device *dev)
{
    return dev ? dev->user : NULL;
}

void lrc_device_set_state(lrc_device *dev, lrc_dev_state state)
{
    if (!dev) /* like the other accessors: a NULL handle is ignored, not a crash */
        return;
    kit_lock(dev);
    lrc_tg_device_set_state(dev->tg, (lrc_tg_state)state);
    kit_unlock(dev);
}

lrc_dev_state lrc_device_get_state(lrc_device *dev)
{
    if (!dev)
        return LRC_DEV_UNKNOWN;
    kit_lock(dev);
    lrc_dev_state s = (lrc_dev_state)lrc_tg_device_get_state(dev->tg);
    kit_unlock(dev);
    return s;
}

int lrc_device_get_property(lrc_device *dev, const char *name, char **value, lrc_error **err)
{
    if (!dev || !name || !value)
        return lrc_fail(err, LRC_EINVAL, "lrc_device_get_property: NULL argument");
    return lrc_tg_device_get_property(dev->tg, name, value, err);
}

static void free_command(kit_command *c)
{
    if (!c)
        return;
    free((char *)c->def.name);
    free((char *)c->def.commanded_state);
    free(c);
}

/* Commands every kit device has: Tango's own and the kit's. Tango would let
 * a command of the same name replace one silently (names are
 * case-insensitive there), and then `Abort` would queue behind the running
 * task and abort nothing. */
static const char *const builtin_commands[] = {
    "Abort", "AbortCommands", "CheckLongRunningCommandStatus", "Init", "State", "Status",
};

int kit_check_command_name(const lrc_device *dev, const char *who, const char *name,
                           lrc_error **err)
{
    for (size_t i = 0; i < sizeof builtin_commands / sizeof builtin_commands[0]; i++)
        if (strcasecmp(name, builtin_commands[i]) == 0)
            return lrc_fail(err, LRC_EINVAL,
                            "%s: \"%s\" is the name of the built-in command "
                            "%s (Tango command names are case-insensitive)",
                            who, name, builtin_commands[i]);
    const char *taken = kit_plain_find(dev, name);
    for (size_t i = 0; !taken && i < dev->n_commands; i++)
        if (strcasecmp(name, dev->commands[i]->def.name) == 0)
            taken = dev->commands[i]->def.name;
    if (taken)
        return lrc_fail(err, LRC_EINVAL,
                        "%s: \"%s\" is the name of the command %s, "
                        "already added (Tango command names are case-insensitive)",
                        who, name, taken);
    return LRC_OK;
}

int lrc_device_add_command(lrc_device *dev, const lrc_command_def *def, lrc_error **err)
{
    if (!dev || !def || !def->name || !def->name[0] || !def->task)
        return lrc_fail(err, LRC_EINVAL, "lrc_device_add_command: name and task are required");
    if (def->size < sizeof *def)
        return lrc_fail(err, LRC_EINVAL, "lrc_device_add_command: use lrc_command_def_init()");
    int rc = kit_check_command_name(dev, "lrc_device_add_command", def->name, err);
    if (rc != LRC_OK)
        return rc;
    kit_command *c = calloc(1, sizeof *c);
    kit_command **grown = realloc(dev->commands, (dev->n_commands + 1) * sizeof *grown);
    if (grown)
        dev->commands = grown;
    if (!c || !grown) {
        free(c);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    c->def = *def;
    c->dev = dev;
    c->def.name = strdup(def->name);
    c->def.commanded_state = def->commanded_state ? strdup(def->commanded_state) : NULL;
    if (!c->def.name || (def->commanded_state && !c->def.commanded_state)) {
        free_command(c);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    dev->commands[dev->n_commands++] = c;
    return kit_register_command(dev, c, err);
}

int lrc_check_reject(lrc_error **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lrc_error *e = lrc_error_newv(LRC_EREJECTED, fmt, ap);
    va_end(ap);
    return lrc_error_give(err, e);
}

int lrc_check_invalid(lrc_error **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lrc_error *e = lrc_error_newv(LRC_EINVAL, fmt, ap);
    va_end(ap);
    lrc_error_push(e, "LRC_InvalidArgument", lrc_error_message(e), "lrc_server", LRC_SEVERITY_ERR);
    return lrc_error_give(err, e);
}

/* ---- configuration ------------------------------------------------------ */

static int prop_number(lrc_device *dev, const char *name, double def, double min, double max,
                       double *out, lrc_error **err)
{
    char *text = NULL;
    int rc = lrc_tg_device_get_property(dev->tg, name, &text, err);
    if (rc != LRC_OK)
        return rc;
    *out = def;
    if (text) {
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        bool bad = errno || end == text || *end || !isfinite(v) || v < min || v > max;
        rc = bad ? lrc_fail(err, LRC_EINVAL, "property %s = \"%s\": expected a number in [%g, %g]",
                            name, text, min, max)
                 : LRC_OK;
        *out = v;
        free(text);
    }
    return rc;
}

static int read_config(lrc_device *dev, lrc_error **err)
{
    double q, x, r;
    int rc = prop_number(dev, "MaxQueuedTasks", DEFAULT_MAX_QUEUED, 0, LIMIT_MAX_QUEUED, &q, err);
    if (rc == LRC_OK)
        rc = prop_number(dev, "MaxExecutingTasks", DEFAULT_MAX_EXECUTING, 1, LIMIT_MAX_EXECUTING,
                         &x, err);
    if (rc == LRC_OK)
        rc = prop_number(dev, "RemovalTime", DEFAULT_REMOVAL_TIME, 0, 86400, &r, err);
    double hold = DEFAULT_SUBSCRIBER_HOLD;
    if (rc == LRC_OK)
        rc = prop_number(dev, "SubscriberHold", DEFAULT_SUBSCRIBER_HOLD, 0, 10, &hold, err);
    if (rc != LRC_OK)
        return rc;
    dev->subscriber_hold = hold;
    dev->max_queued = (size_t)q;
    dev->max_executing = (size_t)x;
    dev->removal_time = r;
    /* ska: max(2 * queued + executing, 32), executing counted as >= 2 */
    size_t ex = dev->max_executing < 2 ? 2 : dev->max_executing;
    dev->status_queue_size = 2 * dev->max_queued + ex;
    if (dev->status_queue_size < 32)
        dev->status_queue_size = 32;

    char *versions = NULL;
    rc = lrc_tg_device_get_property(dev->tg, "LrcProtocolVersions", &versions, err);
    if (rc != LRC_OK)
        return rc;
    dev->proto_min = 1;
    dev->proto_max = 2;
    if (versions) {
        long long lo, hi;
        char extra;
        if (strcmp(versions, "none") == 0) {
            dev->v1_only = true;
        } else if (sscanf(versions, "%lld,%lld%c", &lo, &hi, &extra) == 2 && lo >= 0 && lo <= hi) {
            dev->proto_min = lo;
            dev->proto_max = hi;
        } else {
            rc = lrc_fail(err, LRC_EINVAL,
                          "property LrcProtocolVersions = \"%s\": expected \"MIN,MAX\" or \"none\"",
                          versions);
        }
        free(versions);
    }
    return rc;
}

/* ---- device life ---------------------------------------------------------- */

static void device_free(lrc_device *dev)
{
    if (!dev)
        return;
    kit_hold_free(dev);
    kit_publish_free(dev);
    kit_attributes_free(dev);
    kit_executor_destroy(dev);
    lrc_tracker_free(dev->tracker);
    free(dev->abort_id);
    for (size_t i = 0; i < dev->n_commands; i++)
        free_command(dev->commands[i]);
    free(dev->commands);
    kit_plain_free(dev);
    free(dev);
}

static int init_device(lrc_tg_device *tg, void *class_user, lrc_error **err)
{
    const lrc_server_config *cfg = class_user;
    lrc_device *dev = calloc(1, sizeof *dev);
    if (!dev)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    dev->tg = tg;
    dev->cfg = cfg;
    kit_trim_start(); /* the first device starts it (kit_trim.h: why not earlier) */
    dev->held_list_release = -1;
    dev->held_due = -1;
    dev->watched_stamp = -2; /* never computed: last_subscribed_at is >= -1 */
    dev->list_sub_stamp = -2;
    dev->list_sub_at = -1;
    kit_executor_init(dev);
    int rc = read_config(dev, err);
    if (rc == LRC_OK) {
        lrc_tracker_config tc = {.removal_time = dev->removal_time,
                                 .status_queue_size = dev->status_queue_size,
                                 .max_finished = 100};
        dev->tracker = lrc_tracker_new(&tc);
        if (!dev->tracker)
            rc = lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    /* the executor's locks exist before anything can call a handler */
    if (rc == LRC_OK)
        rc = kit_executor_start(dev, err);
    if (rc != LRC_OK) {
        device_free(dev);
        return rc;
    }
    lrc_tg_device_set_user(tg, dev);
    rc = kit_add_attributes(dev, err);
    if (rc == LRC_OK)
        rc = kit_add_builtin_commands(dev, err);
    if (rc == LRC_OK)
        rc = cfg->init(dev, cfg->user, err);
    if (rc != LRC_OK) {
        /* Handlers registered so far stay in place and refuse to work (the
         * executor is stopped); delete_device frees dev later. */
        kit_log(dev, LRC_LOG_ERROR, "initialisation failed");
        kit_executor_stop(dev);
    }
    return rc;
}

static void delete_device(lrc_tg_device *tg, void *class_user)
{
    const lrc_server_config *cfg = class_user;
    lrc_device *dev = lrc_tg_device_user(tg);
    if (!dev)
        return;
    kit_executor_stop(dev);
    if (cfg->fini)
        cfg->fini(dev, cfg->user);
    kit_lock(dev);
    lrc_tg_device_set_user(tg, NULL);
    kit_unlock(dev);
    device_free(dev);
}

int lrc_server_main(int argc, char **argv, const lrc_server_config *cfg)
{
    if (!cfg || cfg->size < sizeof *cfg || !cfg->class_name || !cfg->init) {
        fprintf(stderr, "lrc_server_main: invalid configuration (use lrc_server_config_init)\n");
        return 1;
    }
    if (argc < 2 || !argv || !argv[0] || !argv[1] || !argv[1][0]) {
        fprintf(stderr, "usage: %s INSTANCE [Tango options]\n",
                argc > 0 && argv && argv[0] ? argv[0] : "server");
        return 1;
    }
    lrc_tg_class_def def = {
        .class_name = cfg->class_name,
        .init_device = init_device,
        .delete_device = delete_device,
        .class_user = (void *)cfg,
    };
    lrc_error *err = NULL;
    int rc = lrc_tg_server_run(argc, argv, &def, &err);
    kit_trim_stop();
    if (rc != LRC_OK) {
        fprintf(stderr, "%s: %s\n", argc > 0 ? argv[0] : "server", lrc_error_message(err));
        for (size_t i = lrc_error_count(err); i-- > 0;) {
            const lrc_dev_error *d = lrc_error_at(err, i);
            fprintf(stderr, "  %s: %s (%s)\n", d->reason, d->desc, d->origin);
        }
        lrc_error_free(err);
        return 1;
    }
    return 0;
}
