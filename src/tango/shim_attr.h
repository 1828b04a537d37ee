/*
 * shim_attr.h - the C face of the shim for author attributes: read/write
 * attributes with properties, quality, timestamps and cppTango's own change
 * detection. A separate header from tango_shim.h (whose device-server
 * section it extends) so that the kit's attribute code is the only user.
 *
 * Threads and locks: as in tango_shim.h's "Device server" section. Read and
 * write handlers run on CORBA threads with the device lock held; pushes
 * need the device lock.
 */
#ifndef LRC_TANGO_SHIM_ATTR_H
#define LRC_TANGO_SHIM_ATTR_H

#include "tango/tango_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tango::AttrQuality values. */
typedef enum lrc_tg_quality {
    LRC_TG_Q_VALID = 0,
    LRC_TG_Q_INVALID = 1,
    LRC_TG_Q_ALARM = 2,
    LRC_TG_Q_CHANGING = 3,
    LRC_TG_Q_WARNING = 4
} lrc_tg_quality;

/* Read handler: fills *out (exactly the attribute's type; the shim clears
 * it), *quality and *time (seconds since the epoch; <= 0: now). */
typedef int (*lrc_tg_qread_fn)(lrc_tg_device *dev, void *user, lrc_tg_value *out,
                               lrc_tg_quality *quality, double *time, lrc_error **err);

/* Write handler: `in` is the written value (the attribute's type, strings
 * UTF-8; only read, valid during the call). A failure reaches the client as
 * a DevFailed (reason LRC_WriteRefused when the error has no stack). */
typedef int (*lrc_tg_write_fn)(lrc_tg_device *dev, void *user, const lrc_tg_value *in,
                               lrc_error **err);

/* Attribute properties as Tango text (NULL: not set). */
typedef struct lrc_tg_attr_props {
    const char *label, *description, *unit, *display_unit, *format;
    const char *min_value, *max_value;
    const char *abs_change, *rel_change;                 /* change events  */
    const char *archive_abs_change, *archive_rel_change; /* archive events */
    const char *const *enum_labels;                      /* LRC_TG_ENUM    */
    size_t n_enum_labels;
} lrc_tg_attr_props;

typedef struct lrc_tg_attr_spec {
    const char *name;
    /* BOOLEAN, LONG64, DOUBLE, STRING, ENUM (scalar; value in i) or
     * BOOLEAN_ARRAY, LONG64_ARRAY, DOUBLE_ARRAY, STRING_ARRAY (spectrum) */
    lrc_tg_type type;
    long max_dim_x;        /* spectrum: >= 1                               */
    lrc_tg_qread_fn read;  /* required                                     */
    lrc_tg_write_fn write; /* non-NULL: READ_WRITE                         */
    void *user;
    /* Change and archive events pushed by code (lrc_tg_device_push_q).
     * cppTango filters a push of a number by the thresholds of props when
     * they are set (change: abs_change / rel_change; archive: archive_*);
     * otherwise every push goes out. */
    lrc_tg_attr_props props;
} lrc_tg_attr_spec;

/* Adds the attribute to the device, with change and archive events pushed
 * by code. The properties are cppTango's class defaults: they are those
 * of the first device of the process that declared the name (cppTango
 * keeps one Tango::Attr per name and class; a property stored in the
 * database overrides them, as for any Tango device). max_dim_x is the
 * device's own. Call only from init_device. LRC_EINVAL: unsupported type,
 * reserved name (State, Status), missing handler, enum without labels. */
int lrc_tg_device_add_attr(lrc_tg_device *dev, const lrc_tg_attr_spec *spec, lrc_error **err);

/* Pushes a change and/or archive event of an attribute added with
 * lrc_tg_device_add_attr, with a quality and a time (<= 0: now), through
 * cppTango's change detection. Device lock held. v must have the
 * attribute's type (ignored for LRC_TG_Q_INVALID quality, but still checked). */
int lrc_tg_device_push_q(lrc_tg_device *dev, const char *attr, const lrc_tg_value *v,
                         lrc_tg_quality quality, double time, bool change, bool archive,
                         lrc_error **err);

#ifdef __cplusplus
}
#endif

#endif /* LRC_TANGO_SHIM_ATTR_H */
