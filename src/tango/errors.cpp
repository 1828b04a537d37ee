// errors.cpp - C++ exceptions <-> lrc_error.
#include "tango/shim_internal.hpp"
#include "core/wire_text.h"

#include <cstring>
#include <exception>
#include <memory>
#include <new>

namespace lrcshim {

static const char *corba_str(const char *s)
{
    return s ? s : "";
}

/* DevError texts are DevStrings: Latin-1 on the wire, UTF-8 in lrc_error.
 * A malloc'd string, freed with the guard. */
using cstr = std::unique_ptr<char, void (*)(void *)>;

static cstr from_wire(const char *s)
{
    cstr u(lrc_latin1_to_utf8(corba_str(s)), free);
    if (!u)
        throw std::bad_alloc();
    return u;
}

/* Error texts must go out whatever they hold: what Latin-1 cannot hold
 * becomes '?' (refusing to report an error would lose it). */
static CORBA::String_var to_wire(const char *s)
{
    cstr l(lrc_utf8_to_latin1_lossy(corba_str(s)), free);
    if (!l)
        throw std::bad_alloc();
    return CORBA::string_dup(l.get());
}

lrc_error *error_from_errlist(const Tango::DevErrorList &errs, int code)
{
    try {
        CORBA::ULong n = errs.length();
        cstr msg = from_wire(n > 0 ? errs[n - 1].desc.in() : "Tango error with an empty stack");
        lrc_error *e = lrc_error_new(code, "%s", msg.get());
        for (CORBA::ULong i = 0; i < n; i++) {
            const Tango::DevError &d = errs[i];
            cstr reason = from_wire(d.reason.in()), desc = from_wire(d.desc.in()),
                 origin = from_wire(d.origin.in());
            if (lrc_error_push(e, reason.get(), desc.get(), origin.get(),
                               static_cast<int>(d.severity)) != LRC_OK)
                break; /* out of memory: keep what we have */
        }
        return e;
    } catch (const std::bad_alloc &) {
        return lrc_error_new(LRC_ENOMEM, "out of memory");
    }
}

lrc_error *error_from_devfailed(const Tango::DevFailed &e, int code)
{
    return error_from_errlist(e.errors, code);
}

bool has_reason(const Tango::DevErrorList &errs, const char *reason)
{
    for (CORBA::ULong i = 0; i < errs.length(); i++)
        if (std::strcmp(corba_str(errs[i].reason.in()), reason) == 0)
            return true;
    return false;
}

int fail_current(lrc_error **err, const char *where) noexcept
{
    try {
        throw;
    } catch (const Tango::DevFailed &e) {
        return lrc_error_give(err, error_from_devfailed(e, LRC_ETANGO));
    } catch (const std::bad_alloc &) {
        return lrc_fail(err, LRC_ENOMEM, "%s: out of memory", where);
    } catch (const std::exception &e) {
        return lrc_fail(err, LRC_EINTERNAL, "%s: C++ exception: %s", where, e.what());
    } catch (const CORBA::Exception &e) {
        /* A CORBA system exception that Tango did not wrap. */
        lrc_error *le = lrc_error_new(LRC_ETANGO, "%s: CORBA exception %s", where, e._name());
        lrc_error_push(le, "API_CorbaException", lrc_error_message(le), where, Tango::ERR);
        return lrc_error_give(err, le);
    } catch (...) {
        return lrc_fail(err, LRC_EINTERNAL, "%s: unknown C++ exception", where);
    }
}

[[noreturn]] void throw_tango(const char *reason, const std::string &desc,
                              const std::string &origin)
{
    Tango::DevErrorList errs;
    errs.length(1);
    errs[0].reason = to_wire(reason);
    errs[0].desc = to_wire(desc.c_str());
    errs[0].origin = to_wire(origin.c_str());
    errs[0].severity = Tango::ERR;
    throw Tango::DevFailed(errs);
}

[[noreturn]] void throw_lrc_error(lrc_error *e, int rc, const char *fallback_reason,
                                  const std::string &origin)
{
    std::unique_ptr<lrc_error, void (*)(lrc_error *)> guard(e, lrc_error_free);
    Tango::DevErrorList errs;
    size_t n = lrc_error_count(e);
    if (n > 0) {
        errs.length(static_cast<CORBA::ULong>(n));
        for (size_t i = 0; i < n; i++) {
            const lrc_dev_error *d = lrc_error_at(e, i);
            Tango::DevError &t = errs[static_cast<CORBA::ULong>(i)];
            t.reason = to_wire(d->reason);
            t.desc = to_wire(d->desc);
            t.origin = to_wire(d->origin);
            bool known = d->severity >= Tango::WARN && d->severity <= Tango::PANIC;
            t.severity = static_cast<Tango::ErrSeverity>(known ? d->severity : Tango::ERR);
        }
    } else {
        std::string desc = e ? lrc_error_message(e) : "";
        if (desc.empty())
            desc = std::string("failed: ") + lrc_strerror(e ? lrc_error_code(e) : rc);
        errs.length(1);
        errs[0].reason = to_wire(fallback_reason);
        errs[0].desc = to_wire(desc.c_str());
        errs[0].origin = to_wire(origin.c_str());
        errs[0].severity = Tango::ERR;
    }
    throw Tango::DevFailed(errs);
}

} // namespace lrcshim
