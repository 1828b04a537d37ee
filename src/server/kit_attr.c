/* kit_attr.c - the author's own attributes: a kit-held value per attribute
 * (guarded by the device lock), read/write functions, and events through
 * the shim's change detection (lrc/server.h, "Attributes"). */
#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/value.h"
#include "core/wire_text.h"
#include "server/clock.h"
#include "server/kit.h"
#include "tango/shim_attr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct lrc_attribute {
    lrc_device *dev;
    struct lrc_attribute *next; /* the device's list */
    char *name;
    lrc_attr_type type;
    size_t max_length; /* 0: scalar */
    lrc_tg_type tg_type;
    bool push_on_set;
    lrc_attribute_read_fn read;
    lrc_attribute_write_fn write;
    void *user;
    size_t n_enum_labels;
    /* guarded by the device lock */
    lrc_tg_value value;
    lrc_quality quality;
    double time; /* of the value, seconds since the epoch */
};

lrc_attribute_def lrc_attribute_def_init(const char *name, lrc_attr_type type)
{
    lrc_attribute_def d;
    memset(&d, 0, sizeof d);
    d.size = sizeof d;
    d.name = name;
    d.type = type;
    d.min_value = NAN;
    d.max_value = NAN;
    return d;
}

static lrc_tg_type tango_type(lrc_attr_type t, bool spectrum)
{
    switch (t) {
    case LRC_ATYPE_BOOL: return spectrum ? LRC_TG_BOOLEAN_ARRAY : LRC_TG_BOOLEAN;
    case LRC_ATYPE_LONG64: return spectrum ? LRC_TG_LONG64_ARRAY : LRC_TG_LONG64;
    case LRC_ATYPE_DOUBLE: return spectrum ? LRC_TG_DOUBLE_ARRAY : LRC_TG_DOUBLE;
    case LRC_ATYPE_STRING: return spectrum ? LRC_TG_STRING_ARRAY : LRC_TG_STRING;
    case LRC_ATYPE_ENUM: return spectrum ? LRC_TG_VOID : LRC_TG_ENUM;
    default: return LRC_TG_VOID;
    }
}

/* Attributes every kit device may have: an author attribute of the same
 * name would replace or shadow them (Tango names are case-insensitive). */
static bool reserved_name(const char *name)
{
    if (!strcasecmp(name, "State") || !strcasecmp(name, "Status") ||
        !strcasecmp(name, "lrcProtocolVersions"))
        return true;
    for (int a = 0; a < LRC_ATTR_COUNT; a++)
        if (!strcasecmp(name, lrc_attr_name((lrc_attr)a)))
            return true;
    return false;
}

static void attribute_free(lrc_attribute *a)
{
    if (!a)
        return;
    lrc_tg_value_clear(&a->value);
    free(a->name);
    free(a);
}

void kit_attributes_free(lrc_device *dev)
{
    while (dev->attributes) {
        lrc_attribute *a = dev->attributes;
        dev->attributes = a->next;
        attribute_free(a);
    }
}

/* ---- the shim's handlers (Tango thread, device lock held) ---------------- */

static int on_read(lrc_tg_device *tg, void *user, lrc_tg_value *out, lrc_tg_quality *quality,
                   double *time, lrc_error **err)
{
    (void)tg;
    lrc_attribute *a = user;
    if (a->read) {
        int rc = a->read(a, a->user, err);
        if (rc != LRC_OK)
            return rc;
    }
    if (lrc_value_copy(out, &a->value) != LRC_OK)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    *quality = (lrc_tg_quality)a->quality;
    *time = a->time;
    return LRC_OK;
}

static int store(lrc_attribute *a, lrc_tg_value *nv);

static int on_write(lrc_tg_device *tg, void *user, const lrc_tg_value *in, lrc_error **err)
{
    (void)tg;
    lrc_attribute *a = user;
    if (!a->write) { /* a kit-held setpoint */
        lrc_tg_value copy;
        memset(&copy, 0, sizeof copy);
        if (lrc_value_copy(&copy, in) != LRC_OK)
            return lrc_fail(err, LRC_ENOMEM, "out of memory");
        int rc = store(a, &copy);
        if (rc == LRC_EINVAL)
            return lrc_fail(err, rc, "%s: value refused", a->name);
        return LRC_OK; /* a failed push is logged, the value is stored */
    }
    lrc_arg_kind kind;
    switch (in->type) {
    case LRC_TG_BOOLEAN: kind = LRC_ARG_BOOL; break;
    case LRC_TG_LONG64:
    case LRC_TG_ENUM: kind = LRC_ARG_LONG; break;
    case LRC_TG_DOUBLE: kind = LRC_ARG_DOUBLE; break;
    case LRC_TG_STRING: kind = LRC_ARG_STRING; break;
    case LRC_TG_BOOLEAN_ARRAY:
    case LRC_TG_LONG64_ARRAY: kind = LRC_ARG_LONG_ARRAY; break;
    case LRC_TG_DOUBLE_ARRAY: kind = LRC_ARG_DOUBLE_ARRAY; break;
    case LRC_TG_STRING_ARRAY: kind = LRC_ARG_STRING_ARRAY; break;
    default: return lrc_fail(err, LRC_EINVAL, "%s: unexpected value type", a->name);
    }
    lrc_arg arg;
    int rc = kit_arg_from_value(kind, in, &arg, err);
    if (rc != LRC_OK)
        return rc;
    return a->write(a, &arg, a->user, err);
}

/* ---- adding ----------------------------------------------------------- */

static char *num_text(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.17g", v);
    return buf;
}

int lrc_device_add_attribute(lrc_device *dev, const lrc_attribute_def *def,
                             lrc_attribute **out, lrc_error **err)
{
    if (out)
        *out = NULL;
    if (!dev || !def || !def->name || !*def->name)
        return lrc_fail(err, LRC_EINVAL, "lrc_device_add_attribute: a name is required");
    if (def->size < sizeof *def)
        return lrc_fail(err, LRC_EINVAL, "lrc_device_add_attribute: use lrc_attribute_def_init()");
    const char *name = def->name;
    lrc_tg_type tt = tango_type(def->type, def->max_length > 0);
    if (tt == LRC_TG_VOID)
        return lrc_fail(err, LRC_EINVAL, "attribute %s: unsupported type %d%s", name,
                        (int)def->type, def->max_length ? " as a spectrum" : "");
    if (def->max_length > 0x7fffffff)
        return lrc_fail(err, LRC_EINVAL, "attribute %s: max_length too large", name);
    if (def->write && !def->writable)
        return lrc_fail(err, LRC_EINVAL, "attribute %s: a write function needs writable", name);
    if (def->type == LRC_ATYPE_ENUM && (!def->enum_labels || def->n_enum_labels == 0))
        return lrc_fail(err, LRC_EINVAL, "attribute %s: an enum needs labels", name);
    if (reserved_name(name))
        return lrc_fail(err, LRC_EINVAL,
                        "attribute %s: the name of an attribute every kit device has", name);
    for (lrc_attribute *o = dev->attributes; o; o = o->next)
        if (!strcasecmp(o->name, name))
            return lrc_fail(err, LRC_EINVAL,
                            "attribute %s: already added as %s (Tango attribute names are "
                            "case-insensitive)",
                            name, o->name);

    lrc_attribute *a = calloc(1, sizeof *a);
    if (!a || !(a->name = strdup(name))) {
        free(a);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }
    a->dev = dev;
    a->type = def->type;
    a->max_length = def->max_length;
    a->tg_type = tt;
    a->push_on_set = def->push_on_set;
    a->read = def->read;
    a->write = def->write;
    a->user = def->user;
    a->n_enum_labels = def->n_enum_labels;
    a->quality = LRC_QUALITY_VALID;
    a->time = lrc_wall_now();
    a->value.type = tt;
    if (tt == LRC_TG_STRING && !(a->value.s = strdup(""))) {
        attribute_free(a);
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    }

    char mn[40], mx[40], ac[40], rc_[40], aac[40], arc[40];
    lrc_tg_attr_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.name = name;
    spec.type = tt;
    spec.max_dim_x = (long)def->max_length;
    spec.read = on_read;
    spec.write = def->writable ? on_write : NULL;
    spec.user = a;
    lrc_tg_attr_props *p = &spec.props;
    p->label = def->label;
    p->description = def->description;
    p->unit = def->unit;
    p->display_unit = def->display_unit;
    p->format = def->format;
    p->min_value = isnan(def->min_value) ? NULL : num_text(def->min_value, mn, sizeof mn);
    p->max_value = isnan(def->max_value) ? NULL : num_text(def->max_value, mx, sizeof mx);
    p->abs_change = def->abs_change > 0 ? num_text(def->abs_change, ac, sizeof ac) : NULL;
    p->rel_change = def->rel_change > 0 ? num_text(def->rel_change, rc_, sizeof rc_) : NULL;
    p->archive_abs_change =
        def->archive_abs_change > 0 ? num_text(def->archive_abs_change, aac, sizeof aac) : NULL;
    p->archive_rel_change =
        def->archive_rel_change > 0 ? num_text(def->archive_rel_change, arc, sizeof arc) : NULL;
    p->enum_labels = def->enum_labels;
    p->n_enum_labels = def->n_enum_labels;

    kit_lock(dev);
    int rc = lrc_tg_device_add_attr(dev->tg, &spec, err);
    if (rc == LRC_OK) {
        a->next = dev->attributes;
        dev->attributes = a;
    }
    kit_unlock(dev);
    if (rc != LRC_OK) {
        attribute_free(a);
        return rc;
    }
    if (out)
        *out = a;
    return LRC_OK;
}

/* ---- values ------------------------------------------------------------- */

static int push_locked(lrc_attribute *a, bool change, bool archive, lrc_error **err)
{
    return lrc_tg_device_push_q(a->dev->tg, a->name, &a->value, (lrc_tg_quality)a->quality,
                                a->time, change, archive, err);
}

/* Checks nv (owned; freed on failure) and makes it the value. */
static int store(lrc_attribute *a, lrc_tg_value *nv)
{
    int rc = LRC_OK;
    size_t n = nv->type == LRC_TG_DOUBLE_ARRAY   ? nv->nd
               : nv->type == LRC_TG_STRING_ARRAY ? nv->ns
                                                 : nv->ni;
    if (nv->type != a->tg_type) {
        lrc_log(LRC_LOG_ERROR, "%s/%s: a %s value set on a %s attribute",
                lrc_device_name(a->dev), a->name, lrc_tg_type_name(nv->type),
                lrc_tg_type_name(a->tg_type));
        rc = LRC_EINVAL;
    } else if (a->max_length > 0 && n > a->max_length) {
        lrc_log(LRC_LOG_ERROR, "%s/%s: %zu values set, at most %zu", lrc_device_name(a->dev),
                a->name, n, a->max_length);
        rc = LRC_EINVAL;
    } else if (a->tg_type == LRC_TG_ENUM && (nv->i < 0 || (uint64_t)nv->i >= a->n_enum_labels)) {
        lrc_log(LRC_LOG_ERROR, "%s/%s: enum index %lld out of range", lrc_device_name(a->dev),
                a->name, (long long)nv->i);
        rc = LRC_EINVAL;
    } else {
        lrc_error *e = NULL;
        rc = lrc_wire_check(nv, a->name, &e);
        if (rc != LRC_OK)
            lrc_log(LRC_LOG_ERROR, "%s/%s: %s", lrc_device_name(a->dev), a->name,
                    lrc_error_message(e));
        lrc_error_free(e);
    }
    if (rc != LRC_OK) {
        lrc_tg_value_clear(nv);
        return rc;
    }
    kit_lock(a->dev);
    lrc_tg_value_clear(&a->value);
    a->value = *nv;
    a->time = lrc_wall_now();
    if (a->push_on_set) {
        lrc_error *e = NULL;
        rc = push_locked(a, true, true, &e);
        if (rc != LRC_OK)
            lrc_log(LRC_LOG_ERROR, "%s/%s: push failed: %s", lrc_device_name(a->dev), a->name,
                    lrc_error_message(e));
        lrc_error_free(e);
    }
    kit_unlock(a->dev);
    return rc;
}

static int set_scalar(lrc_attribute *a, lrc_tg_type t, int64_t i, double d)
{
    if (!a)
        return LRC_EINVAL;
    lrc_tg_value nv;
    memset(&nv, 0, sizeof nv);
    nv.type = t == LRC_TG_LONG64 && a->tg_type == LRC_TG_ENUM ? LRC_TG_ENUM : t;
    nv.i = i;
    nv.d = d;
    return store(a, &nv);
}

int lrc_attribute_set_bool(lrc_attribute *a, bool v)
{
    return set_scalar(a, LRC_TG_BOOLEAN, v ? 1 : 0, 0);
}

int lrc_attribute_set_long(lrc_attribute *a, int64_t v)
{
    return set_scalar(a, LRC_TG_LONG64, v, 0);
}

int lrc_attribute_set_double(lrc_attribute *a, double v)
{
    return set_scalar(a, LRC_TG_DOUBLE, 0, v);
}

int lrc_attribute_set_string(lrc_attribute *a, const char *utf8)
{
    if (!a)
        return LRC_EINVAL;
    lrc_tg_value nv;
    memset(&nv, 0, sizeof nv);
    nv.type = LRC_TG_STRING;
    if (!(nv.s = strdup(utf8 ? utf8 : "")))
        return LRC_ENOMEM;
    return store(a, &nv);
}

static int set_ints(lrc_attribute *a, lrc_tg_type t, const bool *b, const int64_t *l, size_t n)
{
    if (!a || (n && !b && !l))
        return LRC_EINVAL;
    lrc_tg_value nv;
    memset(&nv, 0, sizeof nv);
    nv.type = t;
    if (n && !(nv.iv = malloc(n * sizeof *nv.iv)))
        return LRC_ENOMEM;
    for (size_t k = 0; k < n; k++)
        nv.iv[k] = b ? (b[k] ? 1 : 0) : l[k];
    nv.ni = n;
    return store(a, &nv);
}

int lrc_attribute_set_bool_array(lrc_attribute *a, const bool *v, size_t n)
{
    return set_ints(a, LRC_TG_BOOLEAN_ARRAY, n ? v : NULL, NULL, n);
}

int lrc_attribute_set_long_array(lrc_attribute *a, const int64_t *v, size_t n)
{
    return set_ints(a, LRC_TG_LONG64_ARRAY, NULL, n ? v : NULL, n);
}

int lrc_attribute_set_double_array(lrc_attribute *a, const double *v, size_t n)
{
    if (!a || (n && !v))
        return LRC_EINVAL;
    lrc_tg_value nv;
    memset(&nv, 0, sizeof nv);
    nv.type = LRC_TG_DOUBLE_ARRAY;
    if (n && !(nv.dv = malloc(n * sizeof *nv.dv)))
        return LRC_ENOMEM;
    if (n)
        memcpy(nv.dv, v, n * sizeof *nv.dv);
    nv.nd = n;
    return store(a, &nv);
}

int lrc_attribute_set_string_array(lrc_attribute *a, const char *const *utf8, size_t n)
{
    if (!a || (n && !utf8))
        return LRC_EINVAL;
    lrc_tg_value src;
    memset(&src, 0, sizeof src);
    src.type = LRC_TG_STRING_ARRAY;
    src.sv = (char **)utf8;
    src.ns = n;
    lrc_tg_value nv;
    memset(&nv, 0, sizeof nv);
    if (lrc_value_copy(&nv, &src) != LRC_OK)
        return LRC_ENOMEM;
    return store(a, &nv);
}

int lrc_attribute_set_quality(lrc_attribute *a, lrc_quality q)
{
    if (!a || q < LRC_QUALITY_VALID || q > LRC_QUALITY_WARNING)
        return LRC_EINVAL;
    kit_lock(a->dev);
    a->quality = q;
    kit_unlock(a->dev);
    return LRC_OK;
}

int lrc_attribute_set_time(lrc_attribute *a, double unix_time)
{
    if (!a || !isfinite(unix_time) || unix_time <= 0)
        return LRC_EINVAL;
    kit_lock(a->dev);
    a->time = unix_time;
    kit_unlock(a->dev);
    return LRC_OK;
}

int lrc_attribute_push(lrc_attribute *a, bool change, bool archive, lrc_error **err)
{
    if (!a)
        return lrc_fail(err, LRC_EINVAL, "lrc_attribute_push: NULL attribute");
    kit_lock(a->dev);
    int rc = push_locked(a, change, archive, err);
    kit_unlock(a->dev);
    return rc;
}

static int get_scalar(lrc_attribute *a, lrc_tg_type t, int64_t *i, double *d)
{
    if (!a)
        return LRC_EINVAL;
    int rc = LRC_OK;
    kit_lock(a->dev);
    lrc_tg_type have = a->tg_type == LRC_TG_ENUM ? LRC_TG_LONG64 : a->tg_type;
    if (have != t)
        rc = LRC_EINVAL;
    else if (i)
        *i = a->value.i;
    else
        *d = a->value.d;
    kit_unlock(a->dev);
    return rc;
}

int lrc_attribute_get_bool(lrc_attribute *a, bool *v)
{
    int64_t i = 0;
    int rc = v ? get_scalar(a, LRC_TG_BOOLEAN, &i, NULL) : LRC_EINVAL;
    if (rc == LRC_OK)
        *v = i != 0;
    return rc;
}

int lrc_attribute_get_long(lrc_attribute *a, int64_t *v)
{
    return v ? get_scalar(a, LRC_TG_LONG64, v, NULL) : LRC_EINVAL;
}

int lrc_attribute_get_double(lrc_attribute *a, double *v)
{
    return v ? get_scalar(a, LRC_TG_DOUBLE, NULL, v) : LRC_EINVAL;
}

int lrc_attribute_get_string(lrc_attribute *a, char **utf8)
{
    if (!a || !utf8)
        return LRC_EINVAL;
    *utf8 = NULL;
    int rc = LRC_OK;
    kit_lock(a->dev);
    if (a->tg_type != LRC_TG_STRING)
        rc = LRC_EINVAL;
    else if (!(*utf8 = strdup(a->value.s ? a->value.s : "")))
        rc = LRC_ENOMEM;
    kit_unlock(a->dev);
    return rc;
}

const char *lrc_attribute_name(const lrc_attribute *a)
{
    return a ? a->name : NULL;
}

lrc_device *lrc_attribute_device(const lrc_attribute *a)
{
    return a ? a->dev : NULL;
}
