/* attr_device.c - a kit device with one attribute of each supported kind
 * (scalar and spectrum, READ and READ_WRITE, kit-held and with functions),
 * for it_attributes and py/attr_client.py. Device class LrcAttrTest.
 *
 * LRCs drive the values from the task thread:
 *   Ramp(DevVarDoubleArray)  sets temperature (explicit push) and level
 *                            (push_on_set) to each value in turn
 *   SetQuality(DevLong64)    temperature's quality, then pushes it
 *   Stamp(DevDouble)         stamped += 1 with the given time, pushed
 *   Churn(DevLong64)         n times: samples = [k] * 8 (pushed), title =
 *                            "k", 1 ms pause every 4: clients reading
 *                            meanwhile must never see a torn value
 * A device whose name ends in "/2" has only temperature and its own
 * only_two: devices of one class differ. */
#include "lrc/server.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct attrs {
    lrc_attribute *temperature, *level, *stamped, *count, *samples, *title;
    int64_t reads; /* of counts; device lock held by the read function */
} attrs;

static lrc_status ramp(lrc_task *t, const lrc_arg *arg, void *user)
{
    attrs *a = user;
    for (size_t k = 0; k < arg->u.da.n; k++) {
        if (lrc_task_sleep(t, 20))
            return LRC_STATUS_ABORTED;
        double v = arg->u.da.v[k];
        if (lrc_attribute_set_double(a->temperature, v) != LRC_OK ||
            lrc_attribute_push(a->temperature, true, true, NULL) != LRC_OK ||
            lrc_attribute_set_double(a->level, v) != LRC_OK)
            return lrc_task_fail(t, "cannot set %g", v);
        lrc_task_progress(t, (int)(100 * (k + 1) / arg->u.da.n));
    }
    lrc_task_set_result_code(t, LRC_RESULT_OK, "ramped");
    return LRC_STATUS_COMPLETED;
}

static lrc_status set_quality(lrc_task *t, const lrc_arg *arg, void *user)
{
    attrs *a = user;
    if (lrc_attribute_set_quality(a->temperature, (lrc_quality)arg->u.l) != LRC_OK ||
        lrc_attribute_push(a->temperature, true, true, NULL) != LRC_OK)
        return lrc_task_fail(t, "cannot set quality %lld", (long long)arg->u.l);
    lrc_task_set_result_code(t, LRC_RESULT_OK, "quality set");
    return LRC_STATUS_COMPLETED;
}

static lrc_status stamp(lrc_task *t, const lrc_arg *arg, void *user)
{
    attrs *a = user;
    int64_t n = 0;
    if (lrc_attribute_get_long(a->stamped, &n) != LRC_OK ||
        lrc_attribute_set_long(a->stamped, n + 1) != LRC_OK ||
        lrc_attribute_set_time(a->stamped, arg->u.d) != LRC_OK ||
        lrc_attribute_push(a->stamped, true, false, NULL) != LRC_OK)
        return lrc_task_fail(t, "cannot stamp");
    lrc_task_set_result_code(t, LRC_RESULT_OK, "stamped");
    return LRC_STATUS_COMPLETED;
}

static lrc_status churn(lrc_task *t, const lrc_arg *arg, void *user)
{
    attrs *a = user;
    for (int64_t k = 1; k <= arg->u.l; k++) {
        double v[8];
        char text[32];
        for (size_t i = 0; i < 8; i++)
            v[i] = (double)k;
        snprintf(text, sizeof text, "%lld", (long long)k);
        if (lrc_attribute_set_double_array(a->samples, v, 8) != LRC_OK ||
            lrc_attribute_push(a->samples, true, false, NULL) != LRC_OK ||
            lrc_attribute_set_string(a->title, text) != LRC_OK)
            return lrc_task_fail(t, "cannot set %lld", (long long)k);
        if (k % 4 == 0 && lrc_task_sleep(t, 1)) /* let readers in, ~0.2 s in all */
            return LRC_STATUS_ABORTED;
    }
    lrc_task_set_result_code(t, LRC_RESULT_OK, "churned");
    return LRC_STATUS_COMPLETED;
}

/* count: the write function refuses 13, stores anything else. */
static int write_count(lrc_attribute *attr, const lrc_arg *v, void *user, lrc_error **err)
{
    (void)user;
    if (v->u.l == 13)
        return lrc_check_invalid(err, "13 is unlucky");
    return lrc_attribute_set_long(attr, v->u.l);
}

/* samples: the write function stores the values doubled. */
static int write_samples(lrc_attribute *attr, const lrc_arg *v, void *user, lrc_error **err)
{
    (void)user;
    (void)err;
    double buf[8];
    size_t n = v->u.da.n < 8 ? v->u.da.n : 8;
    for (size_t k = 0; k < n; k++)
        buf[k] = 2 * v->u.da.v[k];
    return lrc_attribute_set_double_array(attr, buf, n);
}

/* counts: computed at each read: [1, 2, 3, number of reads]. */
static int read_counts(lrc_attribute *attr, void *user, lrc_error **err)
{
    (void)err;
    attrs *a = user;
    int64_t v[4] = {1, 2, 3, ++a->reads};
    return lrc_attribute_set_long_array(attr, v, 4);
}

static int read_broken(lrc_attribute *attr, void *user, lrc_error **err)
{
    (void)attr;
    (void)user;
    return lrc_check_invalid(err, "the sensor is unplugged");
}

static int add(lrc_device *dev, lrc_attribute_def *d, lrc_attribute **out, lrc_error **err)
{
    return lrc_device_add_attribute(dev, d, out, err);
}

static int init(lrc_device *dev, void *user, lrc_error **err)
{
    (void)user;
    attrs *a = calloc(1, sizeof *a);
    if (!a)
        return LRC_ENOMEM;
    lrc_device_set_user(dev, a);
    const char *name = lrc_device_name(dev);
    bool two = strlen(name) >= 2 && strcmp(name + strlen(name) - 2, "/2") == 0;
    int rc;

    lrc_attribute_def d = lrc_attribute_def_init("temperature", LRC_ATYPE_DOUBLE);
    d.unit = "K";
    d.format = "%6.2f";
    d.label = "Temperature";
    d.description = "sensor temperature";
    d.abs_change = 1.0;
    d.archive_abs_change = 5.0;
    if ((rc = add(dev, &d, &a->temperature, err)) != LRC_OK)
        return rc;
    if (two) {
        d = lrc_attribute_def_init("only_two", LRC_ATYPE_LONG64);
        lrc_device_set_state(dev, LRC_DEV_ON);
        return add(dev, &d, NULL, err);
    }

    d = lrc_attribute_def_init("level", LRC_ATYPE_DOUBLE);
    d.rel_change = 10.0; /* percent */
    d.push_on_set = true;
    if ((rc = add(dev, &d, &a->level, err)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("stamped", LRC_ATYPE_LONG64);
    if ((rc = add(dev, &d, &a->stamped, err)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("flag", LRC_ATYPE_BOOL);
    d.writable = true;
    d.push_on_set = true;
    if ((rc = add(dev, &d, NULL, err)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("count", LRC_ATYPE_LONG64);
    d.writable = true;
    d.write = write_count;
    d.unit = "counts";
    d.format = "%d";
    d.label = "Count";
    d.min_value = 0;
    d.max_value = 1000;
    if ((rc = add(dev, &d, &a->count, err)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("title", LRC_ATYPE_STRING);
    d.writable = true;
    if ((rc = add(dev, &d, &a->title, err)) != LRC_OK)
        return rc;

    static const char *const modes[] = {"IDLE", "BUSY", "DONE"};
    d = lrc_attribute_def_init("mode", LRC_ATYPE_ENUM);
    d.writable = true;
    d.enum_labels = modes;
    d.n_enum_labels = 3;
    if ((rc = add(dev, &d, NULL, err)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("flags", LRC_ATYPE_BOOL);
    d.max_length = 4;
    d.writable = true;
    if ((rc = add(dev, &d, NULL, err)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("counts", LRC_ATYPE_LONG64);
    d.max_length = 5;
    d.read = read_counts;
    d.user = a;
    if ((rc = add(dev, &d, NULL, err)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("samples", LRC_ATYPE_DOUBLE);
    d.max_length = 8;
    d.writable = true;
    d.write = write_samples;
    d.unit = "V";
    if ((rc = add(dev, &d, &a->samples, err)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("tags", LRC_ATYPE_STRING);
    d.max_length = 3;
    d.writable = true;
    lrc_attribute *tags_attr = NULL;
    if ((rc = add(dev, &d, &tags_attr, err)) != LRC_OK)
        return rc;
    static const char *const tags[] = {"alpha", "b\xc3\xa9ta"}; /* UTF-8 here */
    if ((rc = lrc_attribute_set_string_array(tags_attr, tags, 2)) != LRC_OK)
        return rc;

    d = lrc_attribute_def_init("broken", LRC_ATYPE_DOUBLE);
    d.read = read_broken;
    if ((rc = add(dev, &d, NULL, err)) != LRC_OK)
        return rc;

    lrc_command_def c = lrc_command_def_init("Ramp", LRC_ARG_DOUBLE_ARRAY, ramp, a);
    if ((rc = lrc_device_add_command(dev, &c, err)) != LRC_OK)
        return rc;
    c = lrc_command_def_init("SetQuality", LRC_ARG_LONG, set_quality, a);
    if ((rc = lrc_device_add_command(dev, &c, err)) != LRC_OK)
        return rc;
    c = lrc_command_def_init("Stamp", LRC_ARG_DOUBLE, stamp, a);
    if ((rc = lrc_device_add_command(dev, &c, err)) != LRC_OK)
        return rc;
    c = lrc_command_def_init("Churn", LRC_ARG_LONG, churn, a);
    if ((rc = lrc_device_add_command(dev, &c, err)) != LRC_OK)
        return rc;
    lrc_device_set_state(dev, LRC_DEV_ON);
    return LRC_OK;
}

static void fini(lrc_device *dev, void *user)
{
    (void)user;
    free(lrc_device_user(dev));
}

int main(int argc, char **argv)
{
    lrc_server_config cfg = lrc_server_config_init("LrcAttrTest", init, NULL);
    cfg.fini = fini;
    return lrc_server_main(argc, argv, &cfg);
}
