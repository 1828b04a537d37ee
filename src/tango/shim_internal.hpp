/*
 * shim_internal.hpp - helpers shared by the C++ files of the Tango shim.
 * Never included by C code.
 */
#ifndef LRC_TANGO_SHIM_INTERNAL_HPP
#define LRC_TANGO_SHIM_INTERNAL_HPP

#include <tango.h>

#include "core/error_build.h"
#include "tango/tango_shim.h"

#include <string>

namespace lrcshim {

/* ---- errors.cpp ------------------------------------------------------- */

/* New lrc_error holding the whole stack (entry 0 = errs[0]); message = desc
 * of the last entry. Never NULL (degrades to the static OOM error). */
lrc_error *error_from_errlist(const Tango::DevErrorList &errs, int code);
lrc_error *error_from_devfailed(const Tango::DevFailed &e, int code);

/* True if any DevError of the list has this reason. */
bool has_reason(const Tango::DevErrorList &errs, const char *reason);

/* Call inside a catch block (any exception): translates the exception in
 * flight into an lrc_error stored in *err (DevFailed -> LRC_ETANGO with the
 * stack, bad_alloc -> LRC_ENOMEM, others -> LRC_EINTERNAL) and returns the
 * code. `where` names the shim function. Never throws. */
int fail_current(lrc_error **err, const char *where) noexcept;

/* Throws a DevFailed built from an lrc_error, which this call frees: its
 * DevError stack if it has one, else one DevError (fallback_reason, message,
 * origin). e may be NULL (then `rc` names the failure). */
[[noreturn]] void throw_lrc_error(lrc_error *e, int rc, const char *fallback_reason,
                                  const std::string &origin);

/* Throws a DevFailed with one DevError (severity ERR). */
[[noreturn]] void throw_tango(const char *reason, const std::string &desc,
                              const std::string &origin);

/* ---- values.cpp ------------------------------------------------------- */

/* A value cleared when the holder goes out of scope. */
struct ValueHolder {
    lrc_tg_value v;
    ValueHolder();
    ~ValueHolder();
    ValueHolder(const ValueHolder &) = delete;
    ValueHolder &operator=(const ValueHolder &) = delete;
    /* Moves the value out (the holder is left empty). */
    void move_to(lrc_tg_value *out);
};

/* Name of any Tango::CmdArgType number (also the ones lrc does not support). */
const char *tango_type_name(int tango_type);

/* The array type an empty attribute of this Tango data type reads as. */
lrc_tg_type empty_array_type(int tango_type);

/* Tango data type (Tango::CmdArgType) of the elements of an lrc type used
 * as an attribute (STRING_ARRAY -> DEV_STRING, DOUBLE -> DEV_DOUBLE, ...);
 * is_spectrum tells the format. -1 if not usable as an attribute. */
int attr_tango_type(lrc_tg_type t, bool *is_spectrum);

/* malloc helpers filling a value; throw std::bad_alloc. */
char *xstrdup(const char *s);
void alloc_iv(lrc_tg_value *v, size_t n);
void alloc_dv(lrc_tg_value *v, size_t n);
void alloc_sv(lrc_tg_value *v, size_t n);

/* Copy a CORBA sequence into v->iv / v->dv / v->sv (allocated here). */
template <class Seq> void seq_to_iv(const Seq &s, lrc_tg_value *v)
{
    alloc_iv(v, s.length());
    for (CORBA::ULong k = 0; k < s.length(); k++)
        v->iv[k] = static_cast<int64_t>(s[k]);
}

template <class Seq> void seq_to_dv(const Seq &s, lrc_tg_value *v)
{
    alloc_dv(v, s.length());
    for (CORBA::ULong k = 0; k < s.length(); k++)
        v->dv[k] = static_cast<double>(s[k]);
}

void seq_to_sv(const Tango::DevVarStringArray &s, lrc_tg_value *v);

/* Text crosses the Tango boundary through these two and nothing else
 * (errors.cpp does the same for DevError texts): every string of a value
 * received from Tango is Latin-1 and becomes UTF-8 (value_from_wire, in
 * place; throws std::bad_alloc), every string sent is UTF-8 and becomes
 * Latin-1 (value_to_wire: wire = a converted copy of in; LRC_EINVAL naming
 * `what` and the character when Latin-1 cannot hold it). See wire_text.h. */
void value_from_wire(lrc_tg_value *v);
int value_to_wire(const lrc_tg_value *in, ValueHolder &wire, const char *what, lrc_error **err);

/* Client conversions. Strings are converted as above. Return LRC_OK or fail with LRC_EINVAL (unsupported or
 * malformed value); may throw (callers catch at the C boundary). */
int value_to_devicedata(const lrc_tg_value *in, Tango::DeviceData &dd, lrc_error **err);
int devicedata_to_value(Tango::DeviceData &dd, lrc_tg_value *out, lrc_error **err);

/* Returned (without touching err) by attribute_to_value when it cannot tell
 * the type of an empty value and no hint was given. Not an LRC code. */
constexpr int NEED_HINT = 1;

/* Converts a read or event DeviceAttribute. hint_type / hint_format
 * (Tango::CmdArgType / Tango::AttrDataFormat, -1 if unknown) are used when
 * the DeviceAttribute itself does not tell (empty values). A failed read
 * gives LRC_ETANGO with its error stack. */
int attribute_to_value(Tango::DeviceAttribute &da, int hint_type, int hint_format,
                       lrc_tg_value *out, lrc_error **err);

/* The value of a change event for the C callback, converted with the
 * attribute's type as known at subscription (hint_type / hint_format).
 * LRC_OK with *out filled, or a failure with *err set (never neither): a
 * value that no longer has that type (the device changed the attribute)
 * is LRC_ETANGO "<attr>: the event value cannot be read as <type> ...",
 * with cppTango's DevError stack, not a lost event. Never throws. */
int event_value(Tango::DeviceAttribute &da, const char *attr, int hint_type, int hint_format,
                lrc_tg_value *out, lrc_error **err) noexcept;

} // namespace lrcshim

#endif
