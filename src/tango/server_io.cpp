// server_io.cpp - the generic Tango::Command and Tango::Attr subclasses that
// call the C handlers, and event pushing.
#include "tango/attr_io.hpp"

#include <cstring>
#include <exception>
#include <memory>
#include <new>

namespace lrcshim {

lrc_tg_device &device_handle(Tango::DeviceImpl *d)
{
    LrcDevice *dev = dynamic_cast<LrcDevice *>(d);
    if (!dev)
        throw_tango("LRC_InternalError", "not a device created by the lrc shim", "lrc");
    return dev->handle;
}

/* Names every device already has (Init is only a command). */
static bool reserved_name(const std::string &key, bool command)
{
    return key == "state" || key == "status" || (command && key == "init");
}

[[noreturn]] void throw_not_ready(const lrc_tg_device &h, const char *what,
                                  const std::string &name)
{
    std::string why = h.enabled.load() ? "it is not registered" : h.disabled_reason;
    if (why.empty())
        why = "the device is being initialised";
    throw_tango("LRC_DeviceNotReady",
                std::string(what) + " " + name + " of " + h.name + " is not available: " + why,
                h.name + "/" + name);
}

/* ---- commands ----------------------------------------------------------- */

static bool command_type_ok(lrc_tg_type t)
{
    switch (t) {
    case LRC_TG_UCHAR:
    case LRC_TG_ENUM: return false;
    default: return std::strcmp(lrc_tg_type_name(t), "unknown") != 0;
    }
}

template <class Seq, class Elem> static Seq *make_iseq(const lrc_tg_value &v)
{
    check_array(v.iv, v.ni);
    std::unique_ptr<Seq> s(new Seq());
    s->length(static_cast<CORBA::ULong>(v.ni));
    for (size_t k = 0; k < v.ni; k++)
        (*s)[static_cast<CORBA::ULong>(k)] = static_cast<Elem>(v.iv[k]);
    return s.release();
}

template <class Seq, class Elem> static Seq *make_dseq(const lrc_tg_value &v)
{
    check_array(v.dv, v.nd);
    std::unique_ptr<Seq> s(new Seq());
    s->length(static_cast<CORBA::ULong>(v.nd));
    for (size_t k = 0; k < v.nd; k++)
        (*s)[static_cast<CORBA::ULong>(k)] = static_cast<Elem>(v.dv[k]);
    return s.release();
}

static void fill_sseq(const lrc_tg_value &v, Tango::DevVarStringArray &s)
{
    check_array(v.sv, v.ns);
    s.length(static_cast<CORBA::ULong>(v.ns));
    for (size_t k = 0; k < v.ns; k++)
        s[static_cast<CORBA::ULong>(k)] = CORBA::string_dup(v.sv[k] ? v.sv[k] : "");
}

class LrcCommand : public Tango::Command {
public:
    LrcCommand(const char *cmd_name, lrc_tg_type in, lrc_tg_type out)
        : Tango::Command(cmd_name, static_cast<Tango::CmdArgType>(in),
                         static_cast<Tango::CmdArgType>(out))
    {
    }

    CORBA::Any *execute(Tango::DeviceImpl *d, const CORBA::Any &in_any) override
    {
        return as_tango_call(get_name(), [&] {
            lrc_tg_device &h = device_handle(d);
            if (!h.enabled.load()) /* check first: the table may be changing */
                throw_not_ready(h, "command", get_name());
            auto it = h.cmds.find(get_lower_name());
            if (it == h.cmds.end())
                throw_not_ready(h, "command", get_name());
            CmdEntry e = it->second;
            std::string origin = h.name + "/" + get_name();
            ValueHolder in, out;
            to_value(in_any, e.in_type, &in.v);
            lrc_error *err = nullptr;
            int rc = e.fn(&h, e.user, &in.v, &out.v, &err);
            if (rc != LRC_OK)
                throw_lrc_error(err, rc, "LRC_CommandFailed", origin);
            lrc_error_free(err);
            err = nullptr;
            if (e.out_type != LRC_TG_VOID && out.v.type != e.out_type)
                throw_tango("LRC_WrongResultType",
                            std::string("command handler returned ") +
                                lrc_tg_type_name(out.v.type) + " instead of " +
                                lrc_tg_type_name(e.out_type),
                            origin);
            ValueHolder wire;
            std::string what = "result of command " + get_name();
            if ((rc = value_to_wire(&out.v, wire, what.c_str(), &err)) != LRC_OK)
                throw_lrc_error(err, rc, "LRC_InvalidText", origin);
            return to_any(wire.v, e.out_type);
        });
    }

private:
    template <class T> void ext_i(const CORBA::Any &a, lrc_tg_value *v)
    {
        T x{};
        extract(a, x);
        v->i = static_cast<int64_t>(x);
    }

    template <class Seq> void ext_iseq(const CORBA::Any &a, lrc_tg_value *v)
    {
        const Seq *p = nullptr;
        extract(a, p);
        seq_to_iv(*p, v);
    }

    template <class Seq> void ext_dseq(const CORBA::Any &a, lrc_tg_value *v)
    {
        const Seq *p = nullptr;
        extract(a, p);
        seq_to_dv(*p, v);
    }

    void to_value(const CORBA::Any &a, lrc_tg_type t, lrc_tg_value *v)
    {
        switch (t) {
        case LRC_TG_VOID: break;
        case LRC_TG_BOOLEAN: {
            Tango::DevBoolean b = false;
            extract(a, b);
            v->i = b ? 1 : 0;
            break;
        }
        case LRC_TG_SHORT: ext_i<Tango::DevShort>(a, v); break;
        case LRC_TG_LONG: ext_i<Tango::DevLong>(a, v); break;
        case LRC_TG_USHORT: ext_i<Tango::DevUShort>(a, v); break;
        case LRC_TG_ULONG: ext_i<Tango::DevULong>(a, v); break;
        case LRC_TG_LONG64: ext_i<Tango::DevLong64>(a, v); break;
        case LRC_TG_ULONG64: ext_i<Tango::DevULong64>(a, v); break;
        case LRC_TG_STATE: ext_i<Tango::DevState>(a, v); break;
        case LRC_TG_FLOAT: {
            Tango::DevFloat f = 0;
            extract(a, f);
            v->d = f;
            break;
        }
        case LRC_TG_DOUBLE: extract(a, v->d); break;
        case LRC_TG_STRING: {
            const char *s = nullptr;
            extract(a, s);
            v->s = xstrdup(s);
            break;
        }
        case LRC_TG_CHAR_ARRAY: ext_iseq<Tango::DevVarCharArray>(a, v); break;
        case LRC_TG_BOOLEAN_ARRAY: ext_iseq<Tango::DevVarBooleanArray>(a, v); break;
        case LRC_TG_SHORT_ARRAY: ext_iseq<Tango::DevVarShortArray>(a, v); break;
        case LRC_TG_LONG_ARRAY: ext_iseq<Tango::DevVarLongArray>(a, v); break;
        case LRC_TG_USHORT_ARRAY: ext_iseq<Tango::DevVarUShortArray>(a, v); break;
        case LRC_TG_ULONG_ARRAY: ext_iseq<Tango::DevVarULongArray>(a, v); break;
        case LRC_TG_LONG64_ARRAY: ext_iseq<Tango::DevVarLong64Array>(a, v); break;
        case LRC_TG_ULONG64_ARRAY: ext_iseq<Tango::DevVarULong64Array>(a, v); break;
        case LRC_TG_FLOAT_ARRAY: ext_dseq<Tango::DevVarFloatArray>(a, v); break;
        case LRC_TG_DOUBLE_ARRAY: ext_dseq<Tango::DevVarDoubleArray>(a, v); break;
        case LRC_TG_STRING_ARRAY: {
            const Tango::DevVarStringArray *p = nullptr;
            extract(a, p);
            seq_to_sv(*p, v);
            break;
        }
        case LRC_TG_LONG_STRING_ARRAY: {
            const Tango::DevVarLongStringArray *p = nullptr;
            extract(a, p);
            seq_to_iv(p->lvalue, v);
            seq_to_sv(p->svalue, v);
            break;
        }
        case LRC_TG_DOUBLE_STRING_ARRAY: {
            const Tango::DevVarDoubleStringArray *p = nullptr;
            extract(a, p);
            seq_to_dv(p->dvalue, v);
            seq_to_sv(p->svalue, v);
            break;
        }
        default:
            throw_tango("LRC_InvalidValue",
                        std::string("unsupported command argument type ") + lrc_tg_type_name(t),
                        "lrc");
        }
        v->type = t;
        value_from_wire(v);
    }

    CORBA::Any *to_any(const lrc_tg_value &v, lrc_tg_type t)
    {
        switch (t) {
        case LRC_TG_VOID: return insert();
        case LRC_TG_BOOLEAN: return insert(static_cast<Tango::DevBoolean>(v.i != 0));
        case LRC_TG_SHORT: return insert(static_cast<Tango::DevShort>(v.i));
        case LRC_TG_LONG: return insert(static_cast<Tango::DevLong>(v.i));
        case LRC_TG_USHORT: return insert(static_cast<Tango::DevUShort>(v.i));
        case LRC_TG_ULONG: return insert(static_cast<Tango::DevULong>(v.i));
        case LRC_TG_LONG64: return insert(static_cast<Tango::DevLong64>(v.i));
        case LRC_TG_ULONG64: return insert(static_cast<Tango::DevULong64>(v.i));
        case LRC_TG_STATE: return insert(static_cast<Tango::DevState>(v.i));
        case LRC_TG_FLOAT: return insert(static_cast<Tango::DevFloat>(v.d));
        case LRC_TG_DOUBLE: return insert(static_cast<Tango::DevDouble>(v.d));
        case LRC_TG_STRING: return insert(static_cast<const char *>(v.s ? v.s : ""));
        case LRC_TG_CHAR_ARRAY: return insert(make_iseq<Tango::DevVarCharArray, CORBA::Octet>(v));
        case LRC_TG_BOOLEAN_ARRAY:
            return insert(make_iseq<Tango::DevVarBooleanArray, Tango::DevBoolean>(v));
        case LRC_TG_SHORT_ARRAY:
            return insert(make_iseq<Tango::DevVarShortArray, Tango::DevShort>(v));
        case LRC_TG_LONG_ARRAY: return insert(make_iseq<Tango::DevVarLongArray, Tango::DevLong>(v));
        case LRC_TG_USHORT_ARRAY:
            return insert(make_iseq<Tango::DevVarUShortArray, Tango::DevUShort>(v));
        case LRC_TG_ULONG_ARRAY:
            return insert(make_iseq<Tango::DevVarULongArray, Tango::DevULong>(v));
        case LRC_TG_LONG64_ARRAY:
            return insert(make_iseq<Tango::DevVarLong64Array, Tango::DevLong64>(v));
        case LRC_TG_ULONG64_ARRAY:
            return insert(make_iseq<Tango::DevVarULong64Array, Tango::DevULong64>(v));
        case LRC_TG_FLOAT_ARRAY:
            return insert(make_dseq<Tango::DevVarFloatArray, Tango::DevFloat>(v));
        case LRC_TG_DOUBLE_ARRAY:
            return insert(make_dseq<Tango::DevVarDoubleArray, Tango::DevDouble>(v));
        case LRC_TG_STRING_ARRAY: {
            std::unique_ptr<Tango::DevVarStringArray> s(new Tango::DevVarStringArray());
            fill_sseq(v, *s);
            return insert(s.release());
        }
        case LRC_TG_LONG_STRING_ARRAY: {
            std::unique_ptr<Tango::DevVarLongStringArray> s(new Tango::DevVarLongStringArray());
            check_array(v.iv, v.ni);
            s->lvalue.length(static_cast<CORBA::ULong>(v.ni));
            for (size_t k = 0; k < v.ni; k++)
                s->lvalue[static_cast<CORBA::ULong>(k)] = static_cast<Tango::DevLong>(v.iv[k]);
            fill_sseq(v, s->svalue);
            return insert(s.release());
        }
        case LRC_TG_DOUBLE_STRING_ARRAY: {
            std::unique_ptr<Tango::DevVarDoubleStringArray> s(
                new Tango::DevVarDoubleStringArray());
            check_array(v.dv, v.nd);
            s->dvalue.length(static_cast<CORBA::ULong>(v.nd));
            for (size_t k = 0; k < v.nd; k++)
                s->dvalue[static_cast<CORBA::ULong>(k)] = v.dv[k];
            fill_sseq(v, s->svalue);
            return insert(s.release());
        }
        default:
            throw_tango("LRC_InvalidValue",
                        std::string("unsupported command result type ") + lrc_tg_type_name(t),
                        "lrc");
        }
    }
};

bool is_lrc_command(Tango::Command *c)
{
    return dynamic_cast<LrcCommand *>(c) != nullptr;
}

/* ---- attributes --------------------------------------------------------- */

AttrEntry &find_attr_entry(lrc_tg_device &h, const std::string &name, bool author)
{
    if (!h.enabled.load()) /* check first: the table may be changing */
        throw_not_ready(h, "attribute", name);
    auto it = h.attrs.find(lower(name));
    if (it == h.attrs.end() || (author && !it->second.qread))
        throw_not_ready(h, "attribute", name);
    return it->second;
}

void check_read_result(int rc, lrc_error *err, const char *reason, lrc_tg_type declared,
                       lrc_tg_type got, const std::string &origin)
{
    if (rc != LRC_OK)
        throw_lrc_error(err, rc, reason, origin);
    lrc_error_free(err);
    if (got != declared)
        throw_tango("LRC_WrongResultType",
                    std::string("read handler returned ") + lrc_tg_type_name(got) +
                        " instead of " + lrc_tg_type_name(declared),
                    origin);
}

void attr_value_to_wire(const lrc_tg_value &v, ValueHolder &wire, const std::string &att_name,
                        const std::string &origin)
{
    lrc_error *err = nullptr;
    std::string what = "value of attribute " + att_name;
    int rc = value_to_wire(&v, wire, what.c_str(), &err);
    if (rc != LRC_OK)
        throw_lrc_error(err, rc, "LRC_InvalidText", origin);
}

static void read_attr(Tango::DeviceImpl *d, Tango::Attribute &att)
{
    as_tango_call(att.get_name(), [&] {
        lrc_tg_device &h = device_handle(d);
        AttrEntry &e = find_attr_entry(h, att.get_name(), false);
        std::string origin = h.name + "/" + att.get_name();
        ValueHolder v;
        lrc_error *err = nullptr;
        int rc = e.fn(&h, e.user, &v.v, &err);
        check_read_result(rc, err, "LRC_CommandFailed", e.type, v.v.type, origin);
        ValueHolder wire;
        attr_value_to_wire(v.v, wire, att.get_name(), origin);
        /* e.store keeps the data alive until the next read */
        with_data(e.type, wire.v, e.store, [&](auto *p, long n) { att.set_value(p, n, 0, false); });
    });
}

template <class Base> class LrcAttr : public Base, public LrcAttrTag {
public:
    using Base::Base;
    void read(Tango::DeviceImpl *dev, Tango::Attribute &att) override { read_attr(dev, att); }
};

bool is_lrc_attr(Tango::Attr *a)
{
    return dynamic_cast<LrcAttrTag *>(a) != nullptr;
}

} // namespace lrcshim

/* Pure ASCII text is its own Latin-1 form: a string value made only of it
 * (the kit's JSON is, as json.dumps escapes everything else) is pushed from
 * the caller's strings, without converting or copying each one. Fills
 * `ptrs` (never empty: cppTango rejects NULL data even for length 0) and
 * returns true, or false when a conversion is needed. */
static bool borrow_ascii(const lrc_tg_value *v, std::vector<char *> &ptrs)
{
    static char empty[] = "";
    if (v->type != LRC_TG_STRING && v->type != LRC_TG_STRING_ARRAY)
        return false;
    size_t n = v->type == LRC_TG_STRING ? 1 : v->ns;
    if (v->type == LRC_TG_STRING_ARRAY && n > 0 && !v->sv)
        return false; /* the general path reports it */
    ptrs.reserve(n ? n : 1);
    for (size_t k = 0; k < n; k++) {
        char *s = v->type == LRC_TG_STRING ? v->s : v->sv[k];
        if (!s)
            s = empty;
        for (const unsigned char *c = reinterpret_cast<const unsigned char *>(s); *c; c++)
            if (*c >= 0x80)
                return false;
        ptrs.push_back(s);
    }
    if (ptrs.empty())
        ptrs.push_back(empty);
    return true;
}

using namespace lrcshim;

/* cppTango keeps one Tango::Attr per name for the whole class and builds
 * each device's Tango::Attribute from it: every device would get the
 * maximum length of the first device that declared the name (and keep its
 * own first one across an Init, which does not replace an attribute it
 * has). A device's lists are as long as its own MaxQueuedTasks allows, so
 * its Attribute takes the length it asked for: set_value checks against
 * it, and the attribute's configuration (max_dim_x) reports it.
 * Attribute::max_x is protected and has no setter in cppTango 9.3; a
 * pointer to member formed through a derived class reaches it. Called with
 * the device monitor held (init_device), as reads and pushes are. */
struct AttributeMaxX : Tango::Attribute {
    static long Tango::Attribute::*member() { return &AttributeMaxX::max_x; }
};

void lrcshim::set_max_dim_x(Tango::Attribute &att, long max_dim_x)
{
    long Tango::Attribute::*mx = AttributeMaxX::member();
    if (att.*mx != max_dim_x)
        att.*mx = max_dim_x;
}

extern "C" int lrc_tg_device_add_command(lrc_tg_device *dev, const char *name, lrc_tg_type in_type,
                                         lrc_tg_type out_type, lrc_tg_command_fn fn, void *user,
                                         lrc_error **err)
{
    if (!dev || !name || !*name || !fn)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_device_add_command: NULL argument");
    if (!command_type_ok(in_type) || !command_type_ok(out_type))
        return lrc_fail(err, LRC_EINVAL,
                        "command %s: unsupported argument type %s -> %s (%d -> %d)", name,
                        lrc_tg_type_name(in_type), lrc_tg_type_name(out_type),
                        static_cast<int>(in_type), static_cast<int>(out_type));
    try {
        std::string key = lower(name);
        if (reserved_name(key, true))
            return lrc_fail(err, LRC_EINVAL, "command %s: reserved name", name);
        /* Tango owns the command from here (and deletes it at once if the
         * device already has it, e.g. after Init). */
        dev->impl->add_command(new LrcCommand(name, in_type, out_type), true);
        dev->cmds[key] = CmdEntry{in_type, out_type, fn, user};
        return LRC_OK;
    } catch (...) {
        return fail_current(err, "lrc_tg_device_add_command");
    }
}

extern "C" int lrc_tg_device_add_attribute(lrc_tg_device *dev, const char *name, lrc_tg_type type,
                                           long max_dim_x, lrc_tg_read_fn fn, void *user,
                                           bool change_events, bool archive_events,
                                           lrc_error **err)
{
    if (!dev || !name || !*name || !fn)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_device_add_attribute: NULL argument");
    bool spectrum = false;
    int tango_type = attr_tango_type(type, &spectrum);
    if (tango_type < 0)
        return lrc_fail(err, LRC_EINVAL, "attribute %s: unsupported type %s (%d)", name,
                        lrc_tg_type_name(type), static_cast<int>(type));
    if (spectrum && max_dim_x < 1)
        return lrc_fail(err, LRC_EINVAL, "attribute %s: max_dim_x must be >= 1", name);
    try {
        std::string key = lower(name);
        if (reserved_name(key, false))
            return lrc_fail(err, LRC_EINVAL, "attribute %s: reserved name", name);
        Tango::Attr *a;
        if (spectrum)
            a = new LrcAttr<Tango::SpectrumAttr>(name, tango_type, max_dim_x);
        else
            a = new LrcAttr<Tango::Attr>(name, tango_type);
        dev->impl->add_attribute(a); /* Tango owns it (deletes duplicates) */
        std::string n(name);
        if (spectrum)
            set_max_dim_x(dev->impl->get_device_attr()->get_attr_by_name(name), max_dim_x);
        if (change_events)
            dev->impl->set_change_event(n, true, false);
        if (archive_events)
            dev->impl->set_archive_event(n, true, false);
        AttrEntry &e = dev->attrs[key];
        e.name = n;
        e.type = type;
        e.fn = fn;
        e.user = user;
        e.change_events = change_events;
        e.archive_events = archive_events;
        return LRC_OK;
    } catch (...) {
        return fail_current(err, "lrc_tg_device_add_attribute");
    }
}

extern "C" int lrc_tg_device_push(lrc_tg_device *dev, const char *attr, const lrc_tg_value *v,
                                  bool change, bool archive, lrc_error **err)
{
    if (!dev || !attr || !v)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_device_push: NULL argument");
    if (!change && !archive)
        return LRC_OK;
    try {
        auto it = dev->attrs.find(lower(attr));
        if (it == dev->attrs.end())
            return lrc_fail(err, LRC_ENOTFOUND, "%s: no attribute %s", dev->name.c_str(), attr);
        AttrEntry &e = it->second;
        if ((change && !e.change_events) || (archive && !e.archive_events))
            return lrc_fail(err, LRC_EINVAL, "%s/%s: %s events were not declared",
                            dev->name.c_str(), attr,
                            change && !e.change_events ? "change" : "archive");
        if (v->type != e.type)
            return lrc_fail(err, LRC_EINVAL, "%s/%s: pushed a %s to a %s attribute",
                            dev->name.c_str(), attr, lrc_tg_type_name(v->type),
                            lrc_tg_type_name(e.type));
        /* Nobody ever subscribed to this kind of event: cppTango would
         * send nothing, and a later subscriber reads the current value
         * first. Skipping the push saves converting and copying whole lists
         * (lrcFinished can hold 100 results of 64 KB) on every update of an
         * unwatched device, and the archive half of every push when only
         * change events are watched (cppTango copies the value for each). */
        {
            std::lock_guard<std::mutex> l(dev->sub_mu);
            auto k = dev->subscribed_kinds.find(it->first);
            unsigned kinds = k == dev->subscribed_kinds.end() ? 0 : k->second;
            change = change && (kinds & SUB_CHANGE);
            archive = archive && (kinds & SUB_ARCHIVE);
            if (!change && !archive)
                return LRC_OK;
        }
        std::string &n = e.name;
        Tango::DeviceImpl *impl = dev->impl;
        auto push = [&](auto *p, long len) {
            std::lock_guard<std::mutex> l(publish_mutex()); /* subscriptions.cpp */
            if (change)
                impl->push_change_event(n, p, len, 0, false);
            if (archive)
                impl->push_archive_event(n, p, len, 0, false);
        };
        std::vector<char *> borrowed;
        if (borrow_ascii(v, borrowed)) { /* cppTango copies during the push */
            push(borrowed.data(), v->type == LRC_TG_STRING ? 1L : static_cast<long>(v->ns));
            return LRC_OK;
        }
        ValueHolder wire;
        std::string what = "value pushed to " + dev->name + "/" + n;
        int rc = value_to_wire(v, wire, what.c_str(), err);
        if (rc != LRC_OK)
            return rc;
        AttrStore tmp; /* alive during the pushes, which copy the data */
        with_data(e.type, wire.v, tmp, push);
        return LRC_OK;
    } catch (...) {
        return fail_current(err, "lrc_tg_device_push");
    }
}
