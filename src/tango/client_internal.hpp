/*
 * client_internal.hpp - the proxy object shared by client.cpp and events.cpp.
 */
#ifndef LRC_TANGO_CLIENT_INTERNAL_HPP
#define LRC_TANGO_CLIENT_INTERNAL_HPP

#include "tango/shim_internal.hpp"

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

    std::mutex mu; /* guards the members below */
    /* Every subscription ever made through this proxy, live or dead; freed
     * only in lrc_tg_proxy_close (never inside a callback). */
    std::list<std::unique_ptr<lrcshim::Subscription>> all;
    std::map<int, lrcshim::Subscription *> live; /* by Tango event id */
    /* Attribute data type and format (lower-case name), for empty values. */
    std::map<std::string, std::pair<int, int>> attr_info;

    lrc_tg_proxy();
    ~lrc_tg_proxy();
};

namespace lrcshim {

/* Data type and format of an attribute (cached attribute_query). Throws
 * DevFailed if the device cannot tell. */
void attr_info(lrc_tg_proxy *p, const std::string &attr, int *type, int *format);

/* events.cpp: ends every live subscription (callbacks stop before it
 * returns). Never throws. */
void end_all_subscriptions(lrc_tg_proxy *p) noexcept;

/* events.cpp: frees the subscription objects; call after the DeviceProxy is
 * gone. Never throws. */
void free_subscriptions(lrc_tg_proxy *p) noexcept;

} // namespace lrcshim

#endif
