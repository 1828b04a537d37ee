// server_attr.cpp - author attributes: read/write, properties, quality and
// timestamps, change and archive events through cppTango's own change
// detection (shim_attr.h).
#include "tango/server_internal.hpp"

#include <cmath>
#include <memory>
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

/* Tango data for a value of an author type: stores it in st (alive as long
 * as st) and calls f(T *data, long length). Never NULL data: cppTango
 * refuses it even for length 0. */
template <class T> T *buf(AttrStore &st, size_t n)
{
    std::shared_ptr<T> sp(new T[n ? n : 1](), std::default_delete<T[]>());
    st.hold = sp;
    return sp.get();
}

template <class F> void with_author_data(lrc_tg_type type, const lrc_tg_value &v, AttrStore &st,
                                         F &&f)
{
    auto need = [](const void *p, size_t n) {
        if (n > 0 && !p)
            throw_tango("LRC_InvalidValue", "NULL array with a non-zero length", "lrc");
    };
    switch (type) {
    case LRC_TG_BOOLEAN: {
        Tango::DevBoolean *p = buf<Tango::DevBoolean>(st, 1);
        *p = v.i != 0;
        f(p, 1L);
        return;
    }
    case LRC_TG_LONG64: {
        Tango::DevLong64 *p = buf<Tango::DevLong64>(st, 1);
        *p = v.i;
        f(p, 1L);
        return;
    }
    case LRC_TG_ENUM: {
        Tango::DevShort *p = buf<Tango::DevShort>(st, 1); /* DevEnum travels as a short */
        *p = static_cast<Tango::DevShort>(v.i);
        f(p, 1L);
        return;
    }
    case LRC_TG_DOUBLE: {
        Tango::DevDouble *p = buf<Tango::DevDouble>(st, 1);
        *p = v.d;
        f(p, 1L);
        return;
    }
    case LRC_TG_BOOLEAN_ARRAY: {
        need(v.iv, v.ni);
        Tango::DevBoolean *p = buf<Tango::DevBoolean>(st, v.ni);
        for (size_t k = 0; k < v.ni; k++)
            p[k] = v.iv[k] != 0;
        f(p, static_cast<long>(v.ni));
        return;
    }
    case LRC_TG_LONG64_ARRAY: {
        need(v.iv, v.ni);
        Tango::DevLong64 *p = buf<Tango::DevLong64>(st, v.ni);
        for (size_t k = 0; k < v.ni; k++)
            p[k] = v.iv[k];
        f(p, static_cast<long>(v.ni));
        return;
    }
    case LRC_TG_DOUBLE_ARRAY: {
        need(v.dv, v.nd);
        Tango::DevDouble *p = buf<Tango::DevDouble>(st, v.nd);
        for (size_t k = 0; k < v.nd; k++)
            p[k] = v.dv[k];
        f(p, static_cast<long>(v.nd));
        return;
    }
    case LRC_TG_STRING:
    case LRC_TG_STRING_ARRAY: {
        size_t n = type == LRC_TG_STRING ? 1 : v.ns;
        if (type == LRC_TG_STRING_ARRAY)
            need(v.sv, v.ns);
        st.strs.clear();
        for (size_t k = 0; k < n; k++) {
            const char *s = type == LRC_TG_STRING ? v.s : v.sv[k];
            st.strs.emplace_back(s ? s : "");
        }
        if (n == 0)
            st.strs.emplace_back("");
        st.ptrs.resize(st.strs.size());
        for (size_t k = 0; k < st.strs.size(); k++)
            st.ptrs[k] = const_cast<char *>(st.strs[k].c_str());
        f(st.ptrs.data(), static_cast<long>(n));
        return;
    }
    default:
        throw_tango("LRC_InvalidValue",
                    std::string("unsupported attribute type ") + lrc_tg_type_name(type), "lrc");
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

AttrEntry &author_entry(Tango::DeviceImpl *d, const std::string &name, lrc_tg_device *&h)
{
    LrcDevice *dev = dynamic_cast<LrcDevice *>(d);
    if (!dev)
        throw_tango("LRC_InternalError", "not a device created by the lrc shim", "lrc");
    h = &dev->handle;
    auto not_ready = [&](const std::string &why) {
        throw_tango("LRC_DeviceNotReady",
                    "attribute " + name + " of " + h->name + " is not available: " + why,
                    h->name + "/" + name);
    };
    if (!h->enabled.load()) /* first: the table may be changing */
        not_ready(h->disabled_reason.empty() ? "the device is being initialised"
                                             : h->disabled_reason);
    auto it = h->attrs.find(lower(name));
    if (it == h->attrs.end() || !it->second.qread)
        not_ready("it is not registered");
    return it->second;
}

void author_read(Tango::DeviceImpl *d, Tango::Attribute &att)
{
    try {
        lrc_tg_device *h = nullptr;
        AttrEntry &e = author_entry(d, att.get_name(), h);
        std::string origin = h->name + "/" + att.get_name();
        ValueHolder v;
        lrc_tg_quality q = LRC_TG_Q_VALID;
        double t = 0;
        lrc_error *err = nullptr;
        int rc = e.qread(h, e.user, &v.v, &q, &t, &err);
        if (rc != LRC_OK)
            throw_lrc_error(err, rc, "LRC_ReadFailed", origin);
        lrc_error_free(err);
        err = nullptr;
        if (v.v.type != e.type)
            throw_tango("LRC_WrongResultType",
                        std::string("read handler returned ") + lrc_tg_type_name(v.v.type) +
                            " instead of " + lrc_tg_type_name(e.type),
                        origin);
        struct timeval tv = to_timeval(t);
        Tango::AttrQuality tq = static_cast<Tango::AttrQuality>(q);
        if (q == LRC_TG_Q_INVALID) { /* no value travels with INVALID */
            att.set_quality(tq, false);
            att.set_date(tv);
            return;
        }
        ValueHolder wire;
        std::string what = "value of attribute " + att.get_name();
        if ((rc = value_to_wire(&v.v, wire, what.c_str(), &err)) != LRC_OK)
            throw_lrc_error(err, rc, "LRC_InvalidText", origin);
        /* e.store keeps the data alive until the next read */
        with_author_data(e.type, wire.v, e.store, [&](auto *p, long n) {
            att.set_value_date_quality(p, tv, tq, n, 0, false);
        });
    } catch (const Tango::DevFailed &) {
        throw;
    } catch (const std::exception &ex) {
        throw_tango("LRC_InternalError", ex.what(), att.get_name());
    }
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
    try {
        lrc_tg_device *h = nullptr;
        AttrEntry &e = author_entry(d, att.get_name(), h);
        std::string origin = h->name + "/" + att.get_name();
        if (!e.write)
            throw_tango("LRC_ReadOnly", "attribute " + att.get_name() + " is read-only", origin);
        ValueHolder v;
        written_value(att, e.type, v.v);
        lrc_error *err = nullptr;
        int rc = e.write(h, e.user, &v.v, &err);
        if (rc != LRC_OK)
            throw_lrc_error(err, rc, "LRC_WriteRefused", origin);
        lrc_error_free(err);
    } catch (const Tango::DevFailed &) {
        throw;
    } catch (const std::exception &ex) {
        throw_tango("LRC_InternalError", ex.what(), att.get_name());
    }
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

/* As in server_io.cpp: the device's own spectrum length, although cppTango
 * keeps one Tango::Attr (and its max_x) per name for the whole class. */
struct AuthorMaxX : Tango::Attribute {
    static long Tango::Attribute::*member() { return &AuthorMaxX::max_x; }
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
        Tango::Attribute &att = dev->impl->get_device_attr()->get_attr_by_name(name);
        if (spectrum && att.*AuthorMaxX::member() != spec->max_dim_x)
            att.*AuthorMaxX::member() = spec->max_dim_x;
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
        with_author_data(e.type, wire.v, tmp, [&](auto *p, long len) {
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
