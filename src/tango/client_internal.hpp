/*
 * client_internal.hpp - the proxy object shared by client.cpp and events.cpp.
 */
#ifndef LRC_TANGO_CLIENT_INTERNAL_HPP
#define LRC_TANGO_CLIENT_INTERNAL_HPP

#include "tango/shim_internal.hpp"

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace lrcshim {
class Subscription; /* events.cpp */
}

struct lrc_tg_proxy {
    std::string name;
    std::unique_ptr<Tango::DeviceProxy> dp;

    mutable std::mutex mu; /* guards the members below */
    /* Every subscription object of this proxy not freed yet: the live ones
     * and the dead ones cppTango may still call or a thread still runs.
     * sweep_subscriptions frees the others (never inside a callback);
     * lrc_tg_proxy_close frees the rest. */
    std::list<std::unique_ptr<lrcshim::Subscription>> all;
    std::map<int, lrcshim::Subscription *> live; /* by Tango event id */
    /* Attribute data type and format (lower-case name), for empty values. */
    std::map<std::string, std::pair<int, int>> attr_info;
    /* The last call failed to reach the device, at that time
     * (connect_errors.cpp). */
    bool conn_failed = false;
    std::chrono::steady_clock::time_point conn_failed_at;

    lrc_tg_proxy();
    ~lrc_tg_proxy();
};

namespace lrcshim {

/* Data type and format of an attribute (cached attribute_query). Throws
 * DevFailed if the device cannot tell. */
/* connect_errors.cpp: call before each call on p's DeviceProxy. When the
 * last call failed to reach the device less than a second ago, sleeps out
 * the rest of the second, so that cppTango really tries to connect again
 * instead of answering "connection request was delayed". Takes p->mu. */
void pace_connection(lrc_tg_proxy *p) noexcept;

/* fail_current for a call on p that failed; notes for pace_connection
 * whether it failed to reach the device. Call only inside a catch block.
 * Takes p->mu. */
int fail_call(lrc_tg_proxy *p, lrc_error **err, const char *where) noexcept;

void attr_info(lrc_tg_proxy *p, const std::string &attr, int *type, int *format);

/* events.cpp: ends every live subscription (callbacks stop before it
 * returns). Never throws. */
void end_all_subscriptions(lrc_tg_proxy *p) noexcept;

/* events.cpp: frees the subscription objects; call after the DeviceProxy is
 * gone. Never throws. */
void free_subscriptions(lrc_tg_proxy *p) noexcept;

/* client_exit.cpp: call after every subscribe_event (whatever its outcome):
 * notices when cppTango has created its event consumer (and with it the
 * keep-alive thread) and then, once per process, arranges for a fast exit.
 * Never throws. */
void note_event_consumer() noexcept;

} // namespace lrcshim

#endif
