/*
 * server_internal.hpp - the device object shared by server.cpp (class,
 * devices, life cycle, lock) and server_io.cpp (commands, attributes,
 * events).
 */
#ifndef LRC_TANGO_SERVER_INTERNAL_HPP
#define LRC_TANGO_SERVER_INTERNAL_HPP

#include "tango/shim_attr.h"
#include "tango/shim_internal.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lrcshim {

class LrcDevice;

/* Event kinds a client subscribed to (lrc_tg_device::subscribed_kinds). */
enum : unsigned { SUB_CHANGE = 1u, SUB_ARCHIVE = 2u };

struct CmdEntry {
    lrc_tg_type in_type;
    lrc_tg_type out_type;
    lrc_tg_command_fn fn;
    void *user;
};

/* Memory handed to Tango::Attribute::set_value (release = false): it stays
 * alive until the next read of the same attribute replaces it. */
struct AttrStore {
    std::shared_ptr<void> hold; /* numeric data */
    std::vector<std::string> strs;
    std::vector<Tango::DevString> ptrs; /* c_str() of strs */
};

struct AttrEntry {
    std::string name; /* as declared */
    lrc_tg_type type;
    lrc_tg_read_fn fn;
    void *user;
    bool change_events;
    bool archive_events;
    AttrStore store;
    /* author attributes (server_attr.cpp): fn is NULL, these are used */
    lrc_tg_qread_fn qread = nullptr;
    lrc_tg_write_fn write = nullptr;
};

std::string lower(std::string s);

/* server_io.cpp: true for the Tango::Command objects the shim creates. */
bool is_lrc_command(Tango::Command *c);

/* Marks the Tango::Attr objects the shim creates per device (the kit's LRC
 * attributes, server_io.cpp, and authors' attributes, server_attr.cpp):
 * cppTango keeps one list of them per class, and a device lists only those
 * it declared itself (LrcDevice::drop_undeclared_attributes). */
struct LrcAttrTag {
    virtual ~LrcAttrTag() = default;
};

/* server_io.cpp: true for the Tango::Attr objects marked with LrcAttrTag. */
bool is_lrc_attr(Tango::Attr *a);

/* subscriptions.cpp: makes the admin device stamp subscribed_at_ns of a
 * device whose pushed attribute gains a subscriber. Idempotent. */
void watch_subscriptions(Tango::DServer *ds);

/* subscriptions.cpp: held around every event push the shim makes
 * (push_change_event, push_archive_event) and around the admin device's
 * ZmqEventSubscriptionChange, whose bookkeeping cppTango 9.3.4 does partly
 * without its own push lock. The innermost lock of the shim: take it last
 * (after the device monitor) and take no other lock of the shim while
 * holding it. Process-wide, never destroyed. */
std::mutex &publish_mutex();

/* server_state.cpp: State and Status, pushing their change events (device
 * monitor held). state_reset: at the start of init_device (events
 * declared, UNKNOWN, no status set); state_ready: at its end (writes out
 * the default status). status_set(NULL): back to the default text. */
void state_reset(lrc_tg_device &h);
void state_ready(lrc_tg_device &h);
void state_set(lrc_tg_device &h, Tango::DevState s);
void status_set(lrc_tg_device &h, const char *wire_text);

/* server_precheck.cpp: fails (with the reason) where cppTango would _exit
 * during start-up: database unreachable, instance not defined, instance
 * already running. Call before Tango::Util::init. */
int server_precheck(int argc, char **argv, lrc_error **err);

} // namespace lrcshim

/* The C handle of a device. Its tables are guarded by the device monitor:
 * they change only in init_device (monitor held), and handlers and pushes
 * run with the monitor held. Between delete_device and the next
 * init_device, `enabled` is false and handlers touch nothing else. */
struct lrc_tg_device {
    lrcshim::LrcDevice *impl = nullptr;
    std::string name;
    void *user = nullptr;
    std::atomic<bool> enabled{false}; /* handlers may be called */
    std::string disabled_reason;      /* why not, while not enabled */
    /* No status set: Status is Tango's "The device is in <STATE> state."
     * (server_state.cpp); device monitor held. */
    bool status_default = true;
    std::map<std::string, lrcshim::CmdEntry> cmds;   /* by lower-case name */
    std::map<std::string, lrcshim::AttrEntry> attrs; /* by lower-case name */
    /* CLOCK_MONOTONIC ns when a client last subscribed to each attribute
     * the device pushes itself, by lower-case name; written by the admin
     * device (subscriptions.cpp), read by any thread. */
    std::mutex sub_mu;
    std::map<std::string, int64_t> subscribed_at_ns; /* by anyone */
    /* Which event kinds anyone ever subscribed to, per attribute (SUB_*
     * bits): a push of a kind nobody asked for is skipped. */
    std::map<std::string, unsigned> subscribed_kinds;
    /* by client ("PID@HOST"), per attribute; stamps over a minute old are
     * dropped when the attribute is subscribed to again */
    std::map<std::string, std::map<std::string, int64_t>> subscribed_by;
    /* The latest of subscribed_at_ns (-1: none yet), readable without
     * sub_mu: one atomic load tells the kit, on every push, that no
     * subscription is young (lrc_tg_device_last_subscribed_at). */
    std::atomic<int64_t> last_subscribed_at_ns{-1};
};

namespace lrcshim {

class LrcDevice : public TANGO_BASE_CLASS {
public:
    LrcDevice(Tango::DeviceClass *cl, const std::string &name, const lrc_tg_class_def *def);
    ~LrcDevice() override;

    void init_device() override;
    void delete_device() override;
    CORBA::Any *command_inout_4(const char *in_cmd, const CORBA::Any &in_data,
                                Tango::DevSource source, const Tango::ClntIdent &cl_ident) override;

    lrc_tg_device handle;

    /* Called by the class once the new device is in its device list. */
    void constructed();

private:
    void drop_undeclared_attributes();
    bool constructed_ = false; /* in the class's device list; monitor held */

    const lrc_tg_class_def *def_;
    std::atomic<bool> c_inited_{false}; /* the C init_device ran: delete is due */
    std::mutex life_mu_;                /* guards deleting_ */
    std::condition_variable life_cv_;
    bool deleting_ = false; /* a thread is inside the C delete_device */
};

} // namespace lrcshim

#endif
