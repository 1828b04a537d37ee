/*
 * attr_io.hpp - the read path the shim's two kinds of attribute share: the
 * kit's LRC attributes (server_io.cpp) and authors' attributes
 * (server_attr.cpp). Both find the entry of a device's attribute, check
 * what the C handler returned, convert it for the wire, hand Tango data to
 * cppTango and turn C++ errors into DevFailed. One copy of each step, so
 * both kinds fail with the same reasons and texts. Called from cppTango's
 * attribute callbacks, device monitor held.
 */
#ifndef LRC_TANGO_ATTR_IO_HPP
#define LRC_TANGO_ATTR_IO_HPP

#include "tango/server_internal.hpp"

#include <exception>
#include <memory>
#include <string>

namespace lrcshim {

/* The C handle of a device the shim created; DevFailed (LRC_InternalError)
 * for any other device. */
lrc_tg_device &device_handle(Tango::DeviceImpl *d);

/* Throws LRC_DeviceNotReady for `what` ("command", "attribute") `name` of
 * h: the device is disabled (its reason) or has no such entry. */
[[noreturn]] void throw_not_ready(const lrc_tg_device &h, const char *what,
                                  const std::string &name);

/* The entry of attribute `name` of h, or LRC_DeviceNotReady. `author`: only
 * an author attribute's entry (one with a qread handler) will do. Checks
 * `enabled` first: the table may be changing while it is false. */
AttrEntry &find_attr_entry(lrc_tg_device &h, const std::string &name, bool author);

/* After a read handler returned rc (err: its error, taken): DevFailed with
 * `reason` when it failed, LRC_WrongResultType when its value has another
 * type than the attribute declared. origin: "device/attribute". */
void check_read_result(int rc, lrc_error *err, const char *reason, lrc_tg_type declared,
                       lrc_tg_type got, const std::string &origin);

/* wire = the Latin-1 form of the value of attribute `att_name`, or
 * DevFailed (LRC_InvalidText) when it has none. */
void attr_value_to_wire(const lrc_tg_value &v, ValueHolder &wire, const std::string &att_name,
                        const std::string &origin);

/* Runs f() for cppTango: a DevFailed goes out as it is, any other C++
 * exception as LRC_InternalError from `name`, as cppTango expects of
 * command and attribute callbacks. */
template <class F> auto as_tango_call(const std::string &name, F &&f) -> decltype(f())
{
    try {
        return f();
    } catch (const Tango::DevFailed &) {
        throw;
    } catch (const std::exception &ex) {
        throw_tango("LRC_InternalError", ex.what(), name);
    }
}

/* ---- Tango data from an lrc value ---------------------------------------
 * with_data(type, v, st, f) stores the Tango form of v in st (alive as long
 * as st) and calls f(T *data, long length). Arrays are never passed as NULL
 * (cppTango rejects NULL data even for length 0). */

template <class T> T *store_buf(AttrStore &st, size_t n)
{
    std::shared_ptr<T> sp(new T[n ? n : 1](), std::default_delete<T[]>());
    st.hold = sp;
    return sp.get();
}

inline void check_array(const void *p, size_t n)
{
    if (n > 0 && !p)
        throw_tango("LRC_InvalidValue", "NULL array with a non-zero length", "lrc");
}

template <class T, class F> void scalar_i(const lrc_tg_value &v, AttrStore &st, F &f)
{
    T *p = store_buf<T>(st, 1);
    *p = static_cast<T>(v.i);
    f(p, 1L);
}

template <class T, class F> void scalar_d(const lrc_tg_value &v, AttrStore &st, F &f)
{
    T *p = store_buf<T>(st, 1);
    *p = static_cast<T>(v.d);
    f(p, 1L);
}

template <class T, class F> void array_i(const lrc_tg_value &v, AttrStore &st, F &f)
{
    check_array(v.iv, v.ni);
    T *p = store_buf<T>(st, v.ni);
    for (size_t k = 0; k < v.ni; k++)
        p[k] = static_cast<T>(v.iv[k]);
    f(p, static_cast<long>(v.ni));
}

template <class T, class F> void array_d(const lrc_tg_value &v, AttrStore &st, F &f)
{
    check_array(v.dv, v.nd);
    T *p = store_buf<T>(st, v.nd);
    for (size_t k = 0; k < v.nd; k++)
        p[k] = static_cast<T>(v.dv[k]);
    f(p, static_cast<long>(v.nd));
}

template <class F> void strings(const char *const *sv, size_t n, AttrStore &st, F &f)
{
    check_array(sv, n);
    st.strs.clear();
    for (size_t k = 0; k < n; k++)
        st.strs.emplace_back(sv[k] ? sv[k] : "");
    if (n == 0)
        st.strs.emplace_back("");
    st.ptrs.resize(st.strs.size());
    for (size_t k = 0; k < st.strs.size(); k++)
        st.ptrs[k] = const_cast<char *>(st.strs[k].c_str());
    f(st.ptrs.data(), static_cast<long>(n));
}

template <class F> void with_data(lrc_tg_type type, const lrc_tg_value &v, AttrStore &st, F &&f)
{
    switch (type) {
    case LRC_TG_BOOLEAN: scalar_i<Tango::DevBoolean>(v, st, f); return;
    case LRC_TG_SHORT: scalar_i<Tango::DevShort>(v, st, f); return;
    case LRC_TG_LONG: scalar_i<Tango::DevLong>(v, st, f); return;
    case LRC_TG_USHORT: scalar_i<Tango::DevUShort>(v, st, f); return;
    case LRC_TG_ULONG: scalar_i<Tango::DevULong>(v, st, f); return;
    case LRC_TG_UCHAR: scalar_i<Tango::DevUChar>(v, st, f); return;
    case LRC_TG_LONG64: scalar_i<Tango::DevLong64>(v, st, f); return;
    case LRC_TG_ULONG64: scalar_i<Tango::DevULong64>(v, st, f); return;
    case LRC_TG_STATE: scalar_i<Tango::DevState>(v, st, f); return;
    case LRC_TG_ENUM: scalar_i<Tango::DevShort>(v, st, f); return; /* travels as a short */
    case LRC_TG_FLOAT: scalar_d<Tango::DevFloat>(v, st, f); return;
    case LRC_TG_DOUBLE: scalar_d<Tango::DevDouble>(v, st, f); return;
    case LRC_TG_STRING: {
        const char *s = v.s ? v.s : "";
        strings(&s, 1, st, f);
        return;
    }
    case LRC_TG_BOOLEAN_ARRAY: array_i<Tango::DevBoolean>(v, st, f); return;
    case LRC_TG_CHAR_ARRAY: array_i<Tango::DevUChar>(v, st, f); return;
    case LRC_TG_SHORT_ARRAY: array_i<Tango::DevShort>(v, st, f); return;
    case LRC_TG_LONG_ARRAY: array_i<Tango::DevLong>(v, st, f); return;
    case LRC_TG_USHORT_ARRAY: array_i<Tango::DevUShort>(v, st, f); return;
    case LRC_TG_ULONG_ARRAY: array_i<Tango::DevULong>(v, st, f); return;
    case LRC_TG_LONG64_ARRAY: array_i<Tango::DevLong64>(v, st, f); return;
    case LRC_TG_ULONG64_ARRAY: array_i<Tango::DevULong64>(v, st, f); return;
    case LRC_TG_FLOAT_ARRAY: array_d<Tango::DevFloat>(v, st, f); return;
    case LRC_TG_DOUBLE_ARRAY: array_d<Tango::DevDouble>(v, st, f); return;
    case LRC_TG_STRING_ARRAY: strings(v.sv, v.ns, st, f); return;
    default:
        throw_tango("LRC_InvalidValue",
                    std::string("unsupported attribute type ") + lrc_tg_type_name(type), "lrc");
    }
}

/* Gives a device's Tango::Attribute its own maximum spectrum length
 * (server_io.cpp says why cppTango needs this). Device monitor held. */
void set_max_dim_x(Tango::Attribute &att, long max_dim_x);

} // namespace lrcshim

#endif
