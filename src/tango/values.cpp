// values.cpp - lrc_tg_value helpers and conversions to/from Tango client data
// (DeviceData for commands, DeviceAttribute for reads and events).
#include "tango/shim_internal.hpp"
#include "core/wire_text.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

extern "C" void lrc_tg_value_clear(lrc_tg_value *v)
{
    if (!v)
        return;
    free(v->s);
    free(v->iv);
    free(v->dv);
    if (v->sv) {
        for (size_t k = 0; k < v->ns; k++)
            free(v->sv[k]);
        free(v->sv);
    }
    std::memset(v, 0, sizeof *v);
    v->type = LRC_TG_VOID;
}

extern "C" const char *lrc_tg_type_name(lrc_tg_type t)
{
    switch (t) {
    case LRC_TG_VOID: return "DevVoid";
    case LRC_TG_BOOLEAN: return "DevBoolean";
    case LRC_TG_SHORT: return "DevShort";
    case LRC_TG_LONG: return "DevLong";
    case LRC_TG_FLOAT: return "DevFloat";
    case LRC_TG_DOUBLE: return "DevDouble";
    case LRC_TG_USHORT: return "DevUShort";
    case LRC_TG_ULONG: return "DevULong";
    case LRC_TG_STRING: return "DevString";
    case LRC_TG_CHAR_ARRAY: return "DevVarCharArray";
    case LRC_TG_SHORT_ARRAY: return "DevVarShortArray";
    case LRC_TG_LONG_ARRAY: return "DevVarLongArray";
    case LRC_TG_FLOAT_ARRAY: return "DevVarFloatArray";
    case LRC_TG_DOUBLE_ARRAY: return "DevVarDoubleArray";
    case LRC_TG_USHORT_ARRAY: return "DevVarUShortArray";
    case LRC_TG_ULONG_ARRAY: return "DevVarULongArray";
    case LRC_TG_STRING_ARRAY: return "DevVarStringArray";
    case LRC_TG_LONG_STRING_ARRAY: return "DevVarLongStringArray";
    case LRC_TG_DOUBLE_STRING_ARRAY: return "DevVarDoubleStringArray";
    case LRC_TG_STATE: return "DevState";
    case LRC_TG_BOOLEAN_ARRAY: return "DevVarBooleanArray";
    case LRC_TG_UCHAR: return "DevUChar";
    case LRC_TG_LONG64: return "DevLong64";
    case LRC_TG_ULONG64: return "DevULong64";
    case LRC_TG_LONG64_ARRAY: return "DevVarLong64Array";
    case LRC_TG_ULONG64_ARRAY: return "DevVarULong64Array";
    case LRC_TG_ENUM: return "DevEnum";
    }
    return "unknown";
}

namespace lrcshim {

ValueHolder::ValueHolder()
{
    std::memset(&v, 0, sizeof v);
    v.type = LRC_TG_VOID;
}

ValueHolder::~ValueHolder()
{
    lrc_tg_value_clear(&v);
}

void ValueHolder::move_to(lrc_tg_value *out)
{
    *out = v;
    std::memset(&v, 0, sizeof v);
    v.type = LRC_TG_VOID;
}

const char *tango_type_name(int t)
{
    switch (t) {
    case Tango::CONST_DEV_STRING: return "ConstDevString";
    case Tango::DEV_INT: return "DevInt";
    case Tango::DEV_ENCODED: return "DevEncoded";
    case Tango::DEV_PIPE_BLOB: return "DevPipeBlob";
    case Tango::DEVVAR_STATEARRAY: return "DevVarStateArray";
    default: return lrc_tg_type_name(static_cast<lrc_tg_type>(t));
    }
}

lrc_tg_type empty_array_type(int t)
{
    switch (t) {
    case Tango::DEV_BOOLEAN: return LRC_TG_BOOLEAN_ARRAY;
    case Tango::DEV_SHORT: return LRC_TG_SHORT_ARRAY;
    case Tango::DEV_ENUM: return LRC_TG_SHORT_ARRAY; /* DevEnum is a DevShort */
    case Tango::DEV_LONG: return LRC_TG_LONG_ARRAY;
    case Tango::DEV_STATE: return LRC_TG_LONG_ARRAY; /* no DevState array in lrc_tg_type */
    case Tango::DEV_FLOAT: return LRC_TG_FLOAT_ARRAY;
    case Tango::DEV_DOUBLE: return LRC_TG_DOUBLE_ARRAY;
    case Tango::DEV_USHORT: return LRC_TG_USHORT_ARRAY;
    case Tango::DEV_ULONG: return LRC_TG_ULONG_ARRAY;
    case Tango::DEV_STRING: return LRC_TG_STRING_ARRAY;
    case Tango::DEV_UCHAR: return LRC_TG_CHAR_ARRAY;
    case Tango::DEV_LONG64: return LRC_TG_LONG64_ARRAY;
    case Tango::DEV_ULONG64: return LRC_TG_ULONG64_ARRAY;
    default: return LRC_TG_VOID;
    }
}

int attr_tango_type(lrc_tg_type t, bool *is_spectrum)
{
    *is_spectrum = true;
    switch (t) {
    case LRC_TG_BOOLEAN_ARRAY: return Tango::DEV_BOOLEAN;
    case LRC_TG_CHAR_ARRAY: return Tango::DEV_UCHAR;
    case LRC_TG_SHORT_ARRAY: return Tango::DEV_SHORT;
    case LRC_TG_LONG_ARRAY: return Tango::DEV_LONG;
    case LRC_TG_FLOAT_ARRAY: return Tango::DEV_FLOAT;
    case LRC_TG_DOUBLE_ARRAY: return Tango::DEV_DOUBLE;
    case LRC_TG_USHORT_ARRAY: return Tango::DEV_USHORT;
    case LRC_TG_ULONG_ARRAY: return Tango::DEV_ULONG;
    case LRC_TG_STRING_ARRAY: return Tango::DEV_STRING;
    case LRC_TG_LONG64_ARRAY: return Tango::DEV_LONG64;
    case LRC_TG_ULONG64_ARRAY: return Tango::DEV_ULONG64;
    default: break;
    }
    *is_spectrum = false;
    switch (t) {
    case LRC_TG_BOOLEAN: return Tango::DEV_BOOLEAN;
    case LRC_TG_SHORT: return Tango::DEV_SHORT;
    case LRC_TG_LONG: return Tango::DEV_LONG;
    case LRC_TG_FLOAT: return Tango::DEV_FLOAT;
    case LRC_TG_DOUBLE: return Tango::DEV_DOUBLE;
    case LRC_TG_USHORT: return Tango::DEV_USHORT;
    case LRC_TG_ULONG: return Tango::DEV_ULONG;
    case LRC_TG_STRING: return Tango::DEV_STRING;
    case LRC_TG_STATE: return Tango::DEV_STATE;
    case LRC_TG_UCHAR: return Tango::DEV_UCHAR;
    case LRC_TG_LONG64: return Tango::DEV_LONG64;
    case LRC_TG_ULONG64: return Tango::DEV_ULONG64;
    default: return -1;
    }
}

/* ---- allocation ------------------------------------------------------- */

char *xstrdup(const char *s)
{
    char *c = strdup(s ? s : "");
    if (!c)
        throw std::bad_alloc();
    return c;
}

void alloc_iv(lrc_tg_value *v, size_t n)
{
    v->ni = 0;
    if (n == 0)
        return;
    v->iv = static_cast<int64_t *>(calloc(n, sizeof *v->iv));
    if (!v->iv)
        throw std::bad_alloc();
    v->ni = n;
}

void alloc_dv(lrc_tg_value *v, size_t n)
{
    v->nd = 0;
    if (n == 0)
        return;
    v->dv = static_cast<double *>(calloc(n, sizeof *v->dv));
    if (!v->dv)
        throw std::bad_alloc();
    v->nd = n;
}

/* sv entries start as NULL, so a half-filled value is still clearable. */
void alloc_sv(lrc_tg_value *v, size_t n)
{
    v->ns = 0;
    if (n == 0)
        return;
    v->sv = static_cast<char **>(calloc(n, sizeof *v->sv));
    if (!v->sv)
        throw std::bad_alloc();
    v->ns = n;
}

void seq_to_sv(const Tango::DevVarStringArray &s, lrc_tg_value *v)
{
    alloc_sv(v, s.length());
    for (CORBA::ULong k = 0; k < s.length(); k++)
        v->sv[k] = xstrdup(s[k].in());
}

/* ---- text: Latin-1 on the wire, UTF-8 above the shim ------------------ */

void value_from_wire(lrc_tg_value *v)
{
    if (lrc_wire_value_to_utf8(v) != LRC_OK)
        throw std::bad_alloc();
}

int value_to_wire(const lrc_tg_value *in, ValueHolder &wire, const char *what, lrc_error **err)
{
    lrc_tg_value_clear(&wire.v);
    return lrc_wire_value_to_latin1(in, &wire.v, what, err);
}

template <class T> static void vec_to_iv(const std::vector<T> &s, lrc_tg_value *v)
{
    alloc_iv(v, s.size());
    for (size_t k = 0; k < s.size(); k++)
        v->iv[k] = static_cast<int64_t>(s[k]);
}

template <class T> static void vec_to_dv(const std::vector<T> &s, lrc_tg_value *v)
{
    alloc_dv(v, s.size());
    for (size_t k = 0; k < s.size(); k++)
        v->dv[k] = static_cast<double>(s[k]);
}

static void vec_to_sv(const std::vector<std::string> &s, lrc_tg_value *v)
{
    alloc_sv(v, s.size());
    for (size_t k = 0; k < s.size(); k++)
        v->sv[k] = xstrdup(s[k].c_str());
}

/* ---- client: value -> DeviceData -------------------------------------- */

static bool bad_array(const void *p, size_t n)
{
    return n > 0 && p == nullptr;
}

template <class Seq, class Elem>
static void iv_to_dd(const lrc_tg_value *in, Tango::DeviceData &dd)
{
    std::unique_ptr<Seq> s(new Seq());
    s->length(static_cast<CORBA::ULong>(in->ni));
    for (size_t k = 0; k < in->ni; k++)
        (*s)[static_cast<CORBA::ULong>(k)] = static_cast<Elem>(in->iv[k]);
    dd << s.release(); /* the Any takes ownership */
}

template <class Seq, class Elem>
static void dv_to_dd(const lrc_tg_value *in, Tango::DeviceData &dd)
{
    std::unique_ptr<Seq> s(new Seq());
    s->length(static_cast<CORBA::ULong>(in->nd));
    for (size_t k = 0; k < in->nd; k++)
        (*s)[static_cast<CORBA::ULong>(k)] = static_cast<Elem>(in->dv[k]);
    dd << s.release();
}

static void sv_to_seq(const lrc_tg_value *in, Tango::DevVarStringArray &s)
{
    s.length(static_cast<CORBA::ULong>(in->ns));
    for (size_t k = 0; k < in->ns; k++)
        s[static_cast<CORBA::ULong>(k)] = CORBA::string_dup(in->sv[k] ? in->sv[k] : "");
}

static int encode_devicedata(const lrc_tg_value *in, Tango::DeviceData &dd, lrc_error **err)
{
    if (bad_array(in->iv, in->ni) || bad_array(in->dv, in->nd) || bad_array(in->sv, in->ns))
        return lrc_fail(err, LRC_EINVAL, "%s argument: NULL array with a non-zero length",
                        lrc_tg_type_name(in->type));
    switch (in->type) {
    case LRC_TG_VOID: return LRC_OK;
    case LRC_TG_BOOLEAN: dd << (in->i != 0); return LRC_OK;
    case LRC_TG_SHORT: dd << static_cast<Tango::DevShort>(in->i); return LRC_OK;
    case LRC_TG_LONG: dd << static_cast<Tango::DevLong>(in->i); return LRC_OK;
    case LRC_TG_FLOAT: dd << static_cast<Tango::DevFloat>(in->d); return LRC_OK;
    case LRC_TG_DOUBLE: dd << static_cast<Tango::DevDouble>(in->d); return LRC_OK;
    case LRC_TG_USHORT: dd << static_cast<Tango::DevUShort>(in->i); return LRC_OK;
    case LRC_TG_ULONG: dd << static_cast<Tango::DevULong>(in->i); return LRC_OK;
    case LRC_TG_LONG64: dd << static_cast<Tango::DevLong64>(in->i); return LRC_OK;
    case LRC_TG_ULONG64: dd << static_cast<Tango::DevULong64>(in->i); return LRC_OK;
    case LRC_TG_STATE: dd << static_cast<Tango::DevState>(in->i); return LRC_OK;
    case LRC_TG_STRING: dd << (in->s ? in->s : ""); return LRC_OK;
    case LRC_TG_CHAR_ARRAY: iv_to_dd<Tango::DevVarCharArray, CORBA::Octet>(in, dd); return LRC_OK;
    case LRC_TG_BOOLEAN_ARRAY:
        iv_to_dd<Tango::DevVarBooleanArray, CORBA::Boolean>(in, dd);
        return LRC_OK;
    case LRC_TG_SHORT_ARRAY:
        iv_to_dd<Tango::DevVarShortArray, Tango::DevShort>(in, dd);
        return LRC_OK;
    case LRC_TG_LONG_ARRAY: iv_to_dd<Tango::DevVarLongArray, Tango::DevLong>(in, dd); return LRC_OK;
    case LRC_TG_USHORT_ARRAY:
        iv_to_dd<Tango::DevVarUShortArray, Tango::DevUShort>(in, dd);
        return LRC_OK;
    case LRC_TG_ULONG_ARRAY:
        iv_to_dd<Tango::DevVarULongArray, Tango::DevULong>(in, dd);
        return LRC_OK;
    case LRC_TG_LONG64_ARRAY:
        iv_to_dd<Tango::DevVarLong64Array, Tango::DevLong64>(in, dd);
        return LRC_OK;
    case LRC_TG_ULONG64_ARRAY:
        iv_to_dd<Tango::DevVarULong64Array, Tango::DevULong64>(in, dd);
        return LRC_OK;
    case LRC_TG_FLOAT_ARRAY:
        dv_to_dd<Tango::DevVarFloatArray, Tango::DevFloat>(in, dd);
        return LRC_OK;
    case LRC_TG_DOUBLE_ARRAY:
        dv_to_dd<Tango::DevVarDoubleArray, Tango::DevDouble>(in, dd);
        return LRC_OK;
    case LRC_TG_STRING_ARRAY: {
        std::unique_ptr<Tango::DevVarStringArray> s(new Tango::DevVarStringArray());
        sv_to_seq(in, *s);
        dd << s.release();
        return LRC_OK;
    }
    case LRC_TG_LONG_STRING_ARRAY: {
        std::unique_ptr<Tango::DevVarLongStringArray> s(new Tango::DevVarLongStringArray());
        s->lvalue.length(static_cast<CORBA::ULong>(in->ni));
        for (size_t k = 0; k < in->ni; k++)
            s->lvalue[static_cast<CORBA::ULong>(k)] = static_cast<Tango::DevLong>(in->iv[k]);
        sv_to_seq(in, s->svalue);
        dd << s.release();
        return LRC_OK;
    }
    case LRC_TG_DOUBLE_STRING_ARRAY: {
        std::unique_ptr<Tango::DevVarDoubleStringArray> s(new Tango::DevVarDoubleStringArray());
        s->dvalue.length(static_cast<CORBA::ULong>(in->nd));
        for (size_t k = 0; k < in->nd; k++)
            s->dvalue[static_cast<CORBA::ULong>(k)] = in->dv[k];
        sv_to_seq(in, s->svalue);
        dd << s.release();
        return LRC_OK;
    }
    case LRC_TG_UCHAR:
    case LRC_TG_ENUM:
        break;
    }
    return lrc_fail(err, LRC_EINVAL, "unsupported command argument type %s (%d)",
                    lrc_tg_type_name(in->type), static_cast<int>(in->type));
}

int value_to_devicedata(const lrc_tg_value *in, Tango::DeviceData &dd, lrc_error **err)
{
    ValueHolder wire;
    int rc = value_to_wire(in, wire, "command argument", err);
    return rc == LRC_OK ? encode_devicedata(&wire.v, dd, err) : rc;
}

/* ---- client: DeviceData -> value -------------------------------------- */

template <class T> static void dd_scalar_i(Tango::DeviceData &dd, lrc_tg_value *v)
{
    T x{};
    dd >> x;
    v->i = static_cast<int64_t>(x);
}

template <class Seq> static void dd_seq_i(Tango::DeviceData &dd, lrc_tg_value *v)
{
    const Seq *p = nullptr;
    dd >> p;
    if (p)
        seq_to_iv(*p, v);
}

template <class Seq> static void dd_seq_d(Tango::DeviceData &dd, lrc_tg_value *v)
{
    const Seq *p = nullptr;
    dd >> p;
    if (p)
        seq_to_dv(*p, v);
}

int devicedata_to_value(Tango::DeviceData &dd, lrc_tg_value *out, lrc_error **err)
{
    dd.reset_exceptions(Tango::DeviceData::isempty_flag);
    dd.set_exceptions(Tango::DeviceData::wrongtype_flag);
    ValueHolder h;
    lrc_tg_value *v = &h.v;
    int t = dd.is_empty() ? Tango::DEV_VOID : dd.get_type();
    switch (t) {
    case Tango::DEV_VOID: break;
    case Tango::DEV_BOOLEAN: {
        bool b = false;
        dd >> b;
        v->i = b ? 1 : 0;
        break;
    }
    case Tango::DEV_SHORT: dd_scalar_i<Tango::DevShort>(dd, v); break;
    case Tango::DEV_LONG: dd_scalar_i<Tango::DevLong>(dd, v); break;
    case Tango::DEV_USHORT: dd_scalar_i<Tango::DevUShort>(dd, v); break;
    case Tango::DEV_ULONG: dd_scalar_i<Tango::DevULong>(dd, v); break;
    case Tango::DEV_LONG64: dd_scalar_i<Tango::DevLong64>(dd, v); break;
    case Tango::DEV_ULONG64: dd_scalar_i<Tango::DevULong64>(dd, v); break;
    case Tango::DEV_STATE: dd_scalar_i<Tango::DevState>(dd, v); break;
    case Tango::DEV_FLOAT: {
        float f = 0;
        dd >> f;
        v->d = f;
        break;
    }
    case Tango::DEV_DOUBLE: dd >> v->d; break;
    case Tango::DEV_STRING:
    case Tango::CONST_DEV_STRING: {
        const char *s = nullptr;
        dd >> s;
        v->s = xstrdup(s);
        t = Tango::DEV_STRING;
        break;
    }
    case Tango::DEVVAR_CHARARRAY: dd_seq_i<Tango::DevVarCharArray>(dd, v); break;
    case Tango::DEVVAR_BOOLEANARRAY: dd_seq_i<Tango::DevVarBooleanArray>(dd, v); break;
    case Tango::DEVVAR_SHORTARRAY: dd_seq_i<Tango::DevVarShortArray>(dd, v); break;
    case Tango::DEVVAR_LONGARRAY: dd_seq_i<Tango::DevVarLongArray>(dd, v); break;
    case Tango::DEVVAR_USHORTARRAY: dd_seq_i<Tango::DevVarUShortArray>(dd, v); break;
    case Tango::DEVVAR_ULONGARRAY: dd_seq_i<Tango::DevVarULongArray>(dd, v); break;
    case Tango::DEVVAR_LONG64ARRAY: dd_seq_i<Tango::DevVarLong64Array>(dd, v); break;
    case Tango::DEVVAR_ULONG64ARRAY: dd_seq_i<Tango::DevVarULong64Array>(dd, v); break;
    case Tango::DEVVAR_FLOATARRAY: dd_seq_d<Tango::DevVarFloatArray>(dd, v); break;
    case Tango::DEVVAR_DOUBLEARRAY: dd_seq_d<Tango::DevVarDoubleArray>(dd, v); break;
    case Tango::DEVVAR_STRINGARRAY: {
        const Tango::DevVarStringArray *p = nullptr;
        dd >> p;
        if (p)
            seq_to_sv(*p, v);
        break;
    }
    case Tango::DEVVAR_LONGSTRINGARRAY: {
        const Tango::DevVarLongStringArray *p = nullptr;
        dd >> p;
        if (p) {
            seq_to_iv(p->lvalue, v);
            seq_to_sv(p->svalue, v);
        }
        break;
    }
    case Tango::DEVVAR_DOUBLESTRINGARRAY: {
        const Tango::DevVarDoubleStringArray *p = nullptr;
        dd >> p;
        if (p) {
            seq_to_dv(p->dvalue, v);
            seq_to_sv(p->svalue, v);
        }
        break;
    }
    default:
        return lrc_fail(err, LRC_EINVAL, "unsupported command result type %s (%d)",
                        tango_type_name(t), t);
    }
    v->type = static_cast<lrc_tg_type>(t);
    value_from_wire(v);
    h.move_to(out);
    return LRC_OK;
}

/* ---- client: DeviceAttribute -> value --------------------------------- */

template <class T> static void da_scalar_i(Tango::DeviceAttribute &da, lrc_tg_value *v)
{
    T x{};
    da >> x;
    v->i = static_cast<int64_t>(x);
}

template <class T> static void da_spectrum_i(Tango::DeviceAttribute &da, lrc_tg_value *v)
{
    std::vector<T> x;
    da.extract_read(x);
    vec_to_iv(x, v);
}

template <class T> static void da_spectrum_d(Tango::DeviceAttribute &da, lrc_tg_value *v)
{
    std::vector<T> x;
    da.extract_read(x);
    vec_to_dv(x, v);
}

static bool da_scalar(Tango::DeviceAttribute &da, int t, lrc_tg_value *v)
{
    switch (t) {
    case Tango::DEV_BOOLEAN: {
        bool b = false;
        da >> b;
        v->i = b ? 1 : 0;
        return true;
    }
    case Tango::DEV_SHORT:
    case Tango::DEV_ENUM: da_scalar_i<Tango::DevShort>(da, v); return true;
    case Tango::DEV_LONG: da_scalar_i<Tango::DevLong>(da, v); return true;
    case Tango::DEV_USHORT: da_scalar_i<Tango::DevUShort>(da, v); return true;
    case Tango::DEV_ULONG: da_scalar_i<Tango::DevULong>(da, v); return true;
    case Tango::DEV_UCHAR: da_scalar_i<Tango::DevUChar>(da, v); return true;
    case Tango::DEV_LONG64: da_scalar_i<Tango::DevLong64>(da, v); return true;
    case Tango::DEV_ULONG64: da_scalar_i<Tango::DevULong64>(da, v); return true;
    case Tango::DEV_STATE: da_scalar_i<Tango::DevState>(da, v); return true;
    case Tango::DEV_FLOAT: {
        float f = 0;
        da >> f;
        v->d = f;
        return true;
    }
    case Tango::DEV_DOUBLE: da >> v->d; return true;
    case Tango::DEV_STRING: {
        std::string s;
        da >> s;
        v->s = xstrdup(s.c_str());
        return true;
    }
    default: return false;
    }
}

static bool da_spectrum(Tango::DeviceAttribute &da, int t, lrc_tg_value *v)
{
    switch (t) {
    case Tango::DEV_BOOLEAN: da_spectrum_i<bool>(da, v); return true;
    case Tango::DEV_SHORT: da_spectrum_i<Tango::DevShort>(da, v); return true;
    case Tango::DEV_LONG: da_spectrum_i<Tango::DevLong>(da, v); return true;
    case Tango::DEV_USHORT: da_spectrum_i<Tango::DevUShort>(da, v); return true;
    case Tango::DEV_ULONG: da_spectrum_i<Tango::DevULong>(da, v); return true;
    case Tango::DEV_UCHAR: da_spectrum_i<Tango::DevUChar>(da, v); return true;
    case Tango::DEV_LONG64: da_spectrum_i<Tango::DevLong64>(da, v); return true;
    case Tango::DEV_ULONG64: da_spectrum_i<Tango::DevULong64>(da, v); return true;
    case Tango::DEV_FLOAT: da_spectrum_d<float>(da, v); return true;
    case Tango::DEV_DOUBLE: da_spectrum_d<double>(da, v); return true;
    case Tango::DEV_STRING: {
        std::vector<std::string> x;
        da.extract_read(x);
        vec_to_sv(x, v);
        return true;
    }
    default: return false;
    }
}

int attribute_to_value(Tango::DeviceAttribute &da, int hint_type, int hint_format,
                       lrc_tg_value *out, lrc_error **err)
{
    da.reset_exceptions(Tango::DeviceAttribute::isempty_flag);
    da.reset_exceptions(Tango::DeviceAttribute::unknown_format_flag);
    da.set_exceptions(Tango::DeviceAttribute::wrongtype_flag);
    if (da.has_failed())
        return lrc_error_give(err, error_from_errlist(da.get_err_stack(), LRC_ETANGO));

    const std::string name = da.get_name();
    /* cppTango 9.3.4 reuses the DeviceAttribute of events: an event may
     * still carry the data sequence of an earlier event of another
     * attribute (seen: an empty DevLong spectrum event holding a stale
     * DevLong64 sequence). So: an empty value is one with dim_x == 0, and
     * when the caller knows the attribute's type (events, cached config)
     * that type decides what is extracted. For empty values the
     * DeviceAttribute's own type is never trusted (DATA_TYPE_UNKNOWN). */
    bool empty = da.is_empty() || da.get_dim_x() == 0;
    int t = hint_type >= 0 ? hint_type : (empty ? -1 : da.get_type());
    int fmt = hint_format >= 0 ? hint_format
                               : (empty ? -1 : static_cast<int>(da.get_data_format()));
    if (t < 0 || t == Tango::DATA_TYPE_UNKNOWN || fmt < 0 || fmt == Tango::FMT_UNKNOWN)
        return NEED_HINT; /* caller: fetch the attribute config and retry */
    if (fmt == Tango::IMAGE)
        return lrc_fail(err, LRC_EINVAL, "attribute %s: IMAGE attributes are not supported",
                        name.c_str());

    ValueHolder h;
    lrc_tg_value *v = &h.v;
    if (empty) {
        lrc_tg_type at = empty_array_type(t);
        if (at == LRC_TG_VOID)
            return lrc_fail(err, LRC_EINVAL, "attribute %s: unsupported data type %s (%d)",
                            name.c_str(), tango_type_name(t), t);
        v->type = at;
    } else if (fmt == Tango::SCALAR) {
        if (!da_scalar(da, t, v))
            return lrc_fail(err, LRC_EINVAL, "attribute %s: unsupported scalar type %s (%d)",
                            name.c_str(), tango_type_name(t), t);
        v->type = t == Tango::DEV_ENUM ? LRC_TG_ENUM : static_cast<lrc_tg_type>(t);
    } else {
        if (!da_spectrum(da, t, v))
            return lrc_fail(err, LRC_EINVAL, "attribute %s: unsupported spectrum type %s (%d)",
                            name.c_str(), tango_type_name(t), t);
        v->type = empty_array_type(t);
    }
    value_from_wire(v);
    h.move_to(out);
    return LRC_OK;
}

int event_value(Tango::DeviceAttribute &da, const char *attr, int hint_type, int hint_format,
                lrc_tg_value *out, lrc_error **err) noexcept
{
    lrc_error *e = nullptr;
    const char *type = hint_type >= 0 ? tango_type_name(hint_type) : "its type";
    try {
        int rc = attribute_to_value(da, hint_type, hint_format, out, &e);
        if (rc == LRC_OK)
            return LRC_OK;
        if (rc == NEED_HINT) {
            lrc_error_free(e);
            return lrc_fail(err, LRC_ETANGO, "%s: cannot tell the data type of an empty value",
                            attr);
        }
        if (!e)
            return lrc_fail(err, rc, "%s: cannot convert the event value", attr);
        return lrc_error_give(err, e);
    } catch (const Tango::DevFailed &df) {
        /* The extraction refused the type the attribute had when it was
         * subscribed (wrongtype_flag): the device changed it since. */
        lrc_error_free(e);
        e = error_from_errlist(df.errors, LRC_ETANGO);
        lrc_error_set(e, LRC_ETANGO,
                      "%s: the event value cannot be read as %s, the attribute's type when it was "
                      "subscribed (did the device change it? subscribe again)",
                      attr, type);
        return lrc_error_give(err, e);
    } catch (const std::bad_alloc &) {
        lrc_error_free(e);
        return lrc_fail(err, LRC_ENOMEM, "%s: out of memory converting an event", attr);
    } catch (...) {
        lrc_error_free(e);
        return lrc_fail(err, LRC_ETANGO, "%s: cannot convert the event value", attr);
    }
}

} // namespace lrcshim
