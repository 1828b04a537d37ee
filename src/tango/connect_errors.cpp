// connect_errors.cpp - one real connection attempt per call, also right
// after a failed one.
//
// After a failed connection cppTango refuses any other attempt on the same
// proxy for a second (Connection::reconnect) and throws only "The
// connection request was delayed. The last connection request was done
// less than 1000 ms ago", which says nothing about the device. A caller
// that asks twice in a row (lrc_invoke, then lrc_watch_start; a retry loop;
// a device whose server is just starting) would get that text. So a call
// on a proxy whose last connection attempt failed less than a second ago
// first waits out the rest of that second: it then makes a real attempt and
// reports the device's state as it is now.
#include "tango/client_internal.hpp"

#include <cstring>
#include <thread>

namespace lrcshim {

/* cppTango's window, plus a margin: its clock starts before the attempt,
 * ours when the failure is seen, so ours is never early. */
static const std::chrono::milliseconds k_retry_window(1000 + 20);

/* A failure to reach the device (not one of the device's own errors). */
static bool is_connection_failure(const Tango::DevErrorList &errs)
{
    return has_reason(errs, "API_CantConnectToDevice") ||
           has_reason(errs, "API_DeviceNotExported") ||
           has_reason(errs, "API_ServerNotRunning");
}

void pace_connection(lrc_tg_proxy *p) noexcept
{
    std::chrono::steady_clock::time_point until;
    {
        std::lock_guard<std::mutex> g(p->mu);
        if (!p->conn_failed)
            return;
        until = p->conn_failed_at + k_retry_window;
    }
    std::this_thread::sleep_until(until);
}

int fail_call(lrc_tg_proxy *p, lrc_error **err, const char *where) noexcept
{
    try {
        throw;
    } catch (const Tango::DevFailed &e) {
        bool failed = is_connection_failure(e.errors);
        {
            std::lock_guard<std::mutex> g(p->mu);
            p->conn_failed = failed;
            if (failed)
                p->conn_failed_at = std::chrono::steady_clock::now();
        }
        return lrc_error_give(err, error_from_devfailed(e, LRC_ETANGO));
    } catch (...) {
        return fail_current(err, where);
    }
}

} // namespace lrcshim
