// server_attr.cpp - author attributes: read/write, properties, quality and
// timestamps, change and archive events through cppTango's own change
// detection (shim_attr.h).
#include "tango/attr_io.hpp"

#include <cmath>
#include <sys/time.h>

namespace lrcshim {
namespace {

/* Element type and format of the types an author attribute may have. */
int author_tango_type(lrc_tg_type t, bool *spectrum)
{
    *spectrum = false;
    switch (t) {
    case LRC_TG_BOOLEAN: return Tango::DEV_BOOLEAN;
    case LRC_TG_LONG64: return Tango::DEV_LONG64;
    case LRC_TG_DOUBLE: return Tango::DEV_DOUBLE;
    case LRC_TG_STRING: return Tango::DEV_STRING;
    case LRC_TG_ENUM: return Tango::DEV_ENUM;
    default: break;
    }
    *spectrum = true;
    switch (t) {
    case LRC_TG_BOOLEAN_ARRAY: return Tango::DEV_BOOLEAN;
    case LRC_TG_LONG64_ARRAY: return Tango::DEV_LONG64;
    case LRC_TG_DOUBLE_ARRAY: return Tango::DEV_DOUBLE;
    case LRC_TG_STRING_ARRAY: return Tango::DEV_STRING;
    default: return -1;
    }
}

struct timeval to_timeval(double t)
{
    struct timeval tv;
    if (!(t > 0) || !std::isfinite(t)) {
        gettimeofday(&tv, nullptr);
        return tv;
    }
    double s = std::floor(t);
    tv.tv_sec = static_cast<time_t>(s);
    tv.tv_usec = static_cast<suseconds_t>((t - s) * 1e6);
    if (tv.tv_usec >= 1000000)
        tv.tv_usec = 999999;
    return tv;
}

void author_read(Tango::DeviceImpl *d, Tango::Attribute &att)
{
    as_tango_call(att.get_name(), [&] {
        lrc_tg_device &h = device_handle(d);
        AttrEntry &e = find_attr_entry(h, att.get_name(), true);
        std::string origin = h.name + "/" + att.get_name();
        ValueHolder v;
        lrc_tg_quality q = LRC_TG_Q_VALID;
        double t = 0;
        lrc_error *err = nullptr;
        int rc = e.qread(&h, e.user, &v.v, &q, &t, &err);
        check_read_result(rc, err, "LRC_ReadFailed", e.type, v.v.type, origin);
        struct timeval tv = to_timeval(t);
        Tango::AttrQuality tq = static_cast<Tango::AttrQuality>(q);
        if (q == LRC_TG_Q_INVALID) { /* no value travels with INVALID */
            att.set_quality(tq, false);
            att.set_date(tv);
            return;
        }
        ValueHolder wire;
        attr_value_to_wire(v.v, wire, att.get_name(), origin);
        /* e.store keeps the data alive until the next read */
        with_data(e.type, wire.v, e.store, [&](auto *p, long n) {
            att.set_value_date_quality(p, tv, tq, n, 0, false);
        });
    });
}

template <class T> void scalar_in(Tango::WAttribute &att, lrc_tg_value &v, bool as_double)
{
    T x{};
    att.get_write_value(x);
    if (as_double)
        v.d = static_cast<double>(x);
    else
        v.i = static_cast<int64_t>(x);
}

template <class T> void array_in(Tango::WAttribute &att, lrc_tg_value &v, bool as_double)
{
    const T *p = nullptr;
    att.get_write_value(p);
    size_t n = static_cast<size_t>(att.get_write_value_length());
    if (!p)
        n = 0;
    if (as_double) {
        alloc_dv(&v, n);
        for (size_t k = 0; k < n; k++)
            v.dv[k] = static_cast<double>(p[k]);
    } else {
        alloc_iv(&v, n);
        for (size_t k = 0; k < n; k++)
            v.iv[k] = static_cast<int64_t>(p[k]);
    }
}

void written_value(Tango::WAttribute &att, lrc_tg_type type, lrc_tg_value &v)
{
    switch (type) {
    case LRC_TG_BOOLEAN: scalar_in<Tango::DevBoolean>(att, v, false); break;
    case LRC_TG_LONG64: scalar_in<Tango::DevLong64>(att, v, false); break;
    case LRC_TG_ENUM: scalar_in<Tango::DevShort>(att, v, false); break;
    case LRC_TG_DOUBLE: scalar_in<Tango::DevDouble>(att, v, true); break;
    case LRC_TG_STRING: {
        Tango::DevString s = nullptr;
        att.get_write_value(s);
        v.s = xstrdup(s ? s : "");
        break;
    }
    case LRC_TG_BOOLEAN_ARRAY: array_in<Tango::DevBoolean>(att, v, false); break;
    case LRC_TG_LONG64_ARRAY: array_in<Tango::DevLong64>(att, v, false); break;
    case LRC_TG_DOUBLE_ARRAY: array_in<Tango::DevDouble>(att, v, true); break;
    case LRC_TG_STRING_ARRAY: {
        const Tango::ConstDevString *p = nullptr;
        att.get_write_value(p);
        size_t n = p ? static_cast<size_t>(att.get_write_value_length()) : 0;
        alloc_sv(&v, n);
        for (size_t k = 0; k < n; k++)
            v.sv[k] = xstrdup(p[k] ? p[k] : "");
        break;
    }
    default:
        throw_tango("LRC_InvalidValue",
                    std::string("unsupported attribute type ") + lrc_tg_type_name(type), "lrc");
    }
    v.type = type;
    value_from_wire(&v); /* Latin-1 on the wire, UTF-8 for the handler */
}

void author_write(Tango::DeviceImpl *d, Tango::WAttribute &att)
{
    as_tango_call(att.get_name(), [&] {
        lrc_tg_device &h = device_handle(d);
        AttrEntry &e = find_attr_entry(h, att.get_name(), true);
        std::string origin = h.name + "/" + att.get_name();
        if (!e.write)
            throw_tango("LRC_ReadOnly", "attribute " + att.get_name() + " is read-only", origin);
        ValueHolder v;
        written_value(att, e.type, v.v);
        lrc_error *err = nullptr;
        int rc = e.write(&h, e.user, &v.v, &err);
        if (rc != LRC_OK)
            throw_lrc_error(err, rc, "LRC_WriteRefused", origin);
        lrc_error_free(err);
    });
}

template <class Base> class AuthorAttr : public Base, public LrcAttrTag {
public:
    using Base::Base;
    void read(Tango::DeviceImpl *dev, Tango::Attribute &att) override { author_read(dev, att); }
    void write(Tango::DeviceImpl *dev, Tango::WAttribute &att) override
    {
        author_write(dev, att);
    }
};

void default_props(Tango::Attr &a, const lrc_tg_attr_props &p)
{
    Tango::UserDefaultAttrProp d;
    if (p.label)
        d.set_label(p.label);
    if (p.description)
        d.set_description(p.description);
    if (p.unit)
        d.set_unit(p.unit);
    if (p.display_unit)
        d.set_display_unit(p.display_unit);
    if (p.format)
        d.set_format(p.format);
    if (p.min_value)
        d.set_min_value(p.min_value);
    if (p.max_value)
        d.set_max_value(p.max_value);
    if (p.abs_change)
        d.set_event_abs_change(p.abs_change);
    if (p.rel_change)
        d.set_event_rel_change(p.rel_change);
    if (p.archive_abs_change)
        d.set_archive_event_abs_change(p.archive_abs_change);
    if (p.archive_rel_change)
        d.set_archive_event_rel_change(p.archive_rel_change);
    if (p.n_enum_labels) {
        std::vector<std::string> labels;
        for (size_t k = 0; k < p.n_enum_labels; k++)
            labels.emplace_back(p.enum_labels[k] ? p.enum_labels[k] : "");
        d.set_enum_labels(labels);
    }
    a.set_default_properties(d);
}

} // namespace
} // namespace lrcshim

using namespace lrcshim;

extern "C" int lrc_tg_device_add_attr(lrc_tg_device *dev, const lrc_tg_attr_spec *spec,
                                      lrc_error **err)
{
    if (!dev || !spec || !spec->name || !*spec->name || !spec->read)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_device_add_attr: NULL argument");
    const char *name = spec->name;
    bool spectrum = false;
    int tango_type = author_tango_type(spec->type, &spectrum);
    if (tango_type < 0)
        return lrc_fail(err, LRC_EINVAL, "attribute %s: unsupported type %s (%d)", name,
                        lrc_tg_type_name(spec->type), static_cast<int>(spec->type));
    if (spectrum && spec->max_dim_x < 1)
        return lrc_fail(err, LRC_EINVAL, "attribute %s: max_dim_x must be >= 1", name);
    if (spec->type == LRC_TG_ENUM && (spec->props.n_enum_labels == 0 || !spec->props.enum_labels))
        return lrc_fail(err, LRC_EINVAL, "attribute %s: an enum needs labels", name);
    try {
        std::string key = lower(name);
        if (key == "state" || key == "status")
            return lrc_fail(err, LRC_EINVAL, "attribute %s: reserved name", name);
        Tango::AttrWriteType w = spec->write ? Tango::READ_WRITE : Tango::READ;
        Tango::Attr *a;
        if (spectrum)
            a = new AuthorAttr<Tango::SpectrumAttr>(name, tango_type, w, spec->max_dim_x);
        else
            a = new AuthorAttr<Tango::Attr>(name, tango_type, w);
        try {
            default_props(*a, spec->props);
        } catch (...) {
            delete a;
            throw;
        }
        dev->impl->add_attribute(a); /* Tango owns it (deletes duplicates) */
        std::string n(name);
        if (spectrum) /* the device's own length (server_io.cpp) */
            set_max_dim_x(dev->impl->get_device_attr()->get_attr_by_name(name), spec->max_dim_x);
        /* detect: cppTango applies the thresholds to each push. Numbers
         * without thresholds push everything: with detection cppTango
         * would refuse their subscriptions (API_EventPropertiesNotSet).
         * Other types have no thresholds: every push goes out. */
        bool numeric = tango_type == Tango::DEV_LONG64 || tango_type == Tango::DEV_DOUBLE;
        const lrc_tg_attr_props &p = spec->props;
        bool detect_change = numeric && (p.abs_change || p.rel_change);
        bool detect_archive = numeric && (p.archive_abs_change || p.archive_rel_change);
        dev->impl->set_change_event(n, true, detect_change);
        dev->impl->set_archive_event(n, true, detect_archive);
        AttrEntry &e = dev->attrs[key];
        e.name = n;
        e.type = spec->type;
        e.fn = nullptr;
        e.user = spec->user;
        e.change_events = true;
        e.archive_events = true;
        e.qread = spec->read;
        e.write = spec->write;
        return LRC_OK;
    } catch (...) {
        return fail_current(err, "lrc_tg_device_add_attr");
    }
}

extern "C" int lrc_tg_device_push_q(lrc_tg_device *dev, const char *attr, const lrc_tg_value *v,
                                    lrc_tg_quality quality, double time, bool change,
                                    bool archive, lrc_error **err)
{
    if (!dev || !attr || !v)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_device_push_q: NULL argument");
    if (!change && !archive)
        return LRC_OK;
    try {
        auto it = dev->attrs.find(lower(attr));
        if (it == dev->attrs.end() || !it->second.qread)
            return lrc_fail(err, LRC_ENOTFOUND, "%s: no author attribute %s", dev->name.c_str(),
                            attr);
        AttrEntry &e = it->second;
        if (v->type != e.type)
            return lrc_fail(err, LRC_EINVAL, "%s/%s: pushed a %s to a %s attribute",
                            dev->name.c_str(), attr, lrc_tg_type_name(v->type),
                            lrc_tg_type_name(e.type));
        struct timeval tv = to_timeval(time);
        Tango::AttrQuality tq = static_cast<Tango::AttrQuality>(quality);
        ValueHolder wire;
        std::string what = "value pushed to " + dev->name + "/" + e.name;
        int rc = value_to_wire(v, wire, what.c_str(), err);
        if (rc != LRC_OK)
            return rc;
        Tango::DeviceImpl *impl = dev->impl;
        std::string &n = e.name;
        AttrStore tmp; /* alive during the pushes, which copy the data */
        with_data(e.type, wire.v, tmp, [&](auto *p, long len) {
            std::lock_guard<std::mutex> l(publish_mutex()); /* subscriptions.cpp */
            if (change)
                impl->push_change_event(n, p, tv, tq, len, 0, false);
            if (archive)
                impl->push_archive_event(n, p, tv, tq, len, 0, false);
        });
        return LRC_OK;
    } catch (...) {
        return fail_current(err, "lrc_tg_device_push_q");
    }
}
