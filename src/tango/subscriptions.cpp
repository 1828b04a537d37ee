// subscriptions.cpp - tells the server kit when a client subscribes to an
// attribute whose events a device pushes itself.
//
// Why: a client subscribes by calling the admin device's
// ZmqEventSubscriptionChange, then sets its ZeroMQ subscription filter and
// returns from subscribe_event. The filter reaches the server's publisher
// socket asynchronously (a TCP round trip through two ZeroMQ I/O threads,
// longer under CPU load or on a new connection); what is published before
// it arrives is dropped for that client. A client that calls a command
// right after subscribing (as ska's Python client does on every call) can
// thus lose the command's first or even all events. cppTango's publisher
// is a plain PUB socket, which never tells when a filter arrived, so the
// shim reports the next best thing: when the subscription request was
// served, per attribute and per client. The kit holds pushes for a bounded
// time after it (kit_hold.c).
//
// How: the admin device class's ZmqEventSubscriptionChange command object
// is replaced by one that runs the original and then stamps the attribute.
//
// The same wrapper serialises the subscription change with the shim's
// pushes (publish_mutex). cppTango 9.3.4's ZmqEventSubscriptionChange
// inserts the event's counter into ZmqEventSupplier::event_cptr (a
// std::map, init_event_cptr) without the supplier's push mutex, while
// push_event looks the same map up under that mutex: a client subscribing
// to one device of a server races with pushes of every other device of
// that server (seen by ThreadSanitizer as a map lookup against a node
// insert; a real rebalancing could send a push down a half-linked tree).
// It also updates the supplier's client list and double-send flag, read by
// pushes. The shim cannot change cppTango's locking, so it takes its own
// lock around both sides.
//
// Lock order. A push runs with its device's monitor held (handlers, the
// kit's service thread, init_device), then takes publish_mutex, then,
// inside cppTango, the attribute's and the supplier's mutexes. The
// subscription change runs with the admin device's monitor held, then
// takes publish_mutex; inside it cppTango takes only the supplier's event
// mutex, briefly (it looks the subscribed device up by name and never
// takes that device's monitor nor an attribute's mutex), so both sides
// nest the same way: monitor, publish_mutex, cppTango's event mutexes.
// The admin monitor is never taken under publish_mutex (a push from Init
// or DevRestart holds it before). One wait remains: the first subscription
// of the process asks the polling thread to start the heartbeat and waits
// for its answer, with cppTango's timeout; were the polling thread then
// blocked on a device monitor whose holder waits here to push, that
// subscription would stall until the timeout (cppTango ignores the
// failure), never deadlock. The stamp below runs after publish_mutex is
// released: sub_mu is never nested in it.
//
// Not covered: events cppTango pushes itself (the polling thread, for an
// attribute someone polls; attribute-configuration and interface-change
// events) do not take this lock and keep cppTango's race. The kit's
// attributes are pushed by code, not polled.
#include "tango/server_internal.hpp"

#include <ctime>

namespace lrcshim {

namespace {

/* A client's subscription stamp is kept this long: far longer than any
 * hold, short enough that the table stays small. */
const int64_t FORGET_NS = 60LL * 1000000000;

int64_t mono_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/* Who makes the request this thread serves: "PID@HOST" from the client
 * identity cppTango receives with every call (clients since Tango 7), or ""
 * when unknown. The TCP port is left out: one client process may use
 * several connections. */
std::string client_key(Tango::DeviceImpl *impl)
{
    Tango::client_addr *ca = impl ? impl->get_client_ident() : nullptr;
    if (!ca || !ca->client_ident || ca->client_pid == 0)
        return std::string();
    std::string host(ca->client_ip);
    static const char tcp[] = "giop:tcp:";
    if (host.compare(0, sizeof tcp - 1, tcp) == 0) {
        host.erase(0, sizeof tcp - 1);
        std::string::size_type colon = host.rfind(':');
        if (colon != std::string::npos)
            host.erase(colon);
    }
    return std::to_string(static_cast<long long>(ca->client_pid)) + "@" + host;
}

/* SUB_CHANGE or SUB_ARCHIVE for the event name a client subscribes with
 * ("change", or "idl5_change" from clients of IDL 5 and later), else 0. */
unsigned event_kind(const std::string &event)
{
    static const char idl5[] = "idl5_";
    std::string e = event.compare(0, sizeof idl5 - 1, idl5) == 0 ? event.substr(sizeof idl5 - 1)
                                                                 : event;
    if (e == "change")
        return SUB_CHANGE;
    if (e == "archive")
        return SUB_ARCHIVE;
    return 0;
}

class SubscriptionWatch : public Tango::Command {
public:
    explicit SubscriptionWatch(Tango::Command *original)
        : Tango::Command(original->get_name(), original->get_in_type(),
                         original->get_out_type(), original->get_in_type_desc(),
                         original->get_out_type_desc(), original->get_disp_level()),
          original_(original)
    {
    }
    ~SubscriptionWatch() override { delete original_; }
    SubscriptionWatch(const SubscriptionWatch &) = delete;
    SubscriptionWatch &operator=(const SubscriptionWatch &) = delete;

    bool is_allowed(Tango::DeviceImpl *dev, const CORBA::Any &in) override
    {
        return original_->is_allowed(dev, in);
    }

    CORBA::Any *execute(Tango::DeviceImpl *dev, const CORBA::Any &in) override
    {
        CORBA::Any *out;
        {
            std::lock_guard<std::mutex> l(publish_mutex());
            out = original_->execute(dev, in); /* throws on refusal */
        }
        try {
            stamp(in);
        } catch (...) {
            /* never fail a subscription that Tango accepted */
        }
        return out;
    }

private:
    /* argin: [device, attribute, action, event type, ...] */
    static void stamp(const CORBA::Any &in)
    {
        const Tango::DevVarStringArray *args = nullptr;
        if (!(in >>= args) || !args || args->length() < 3)
            return;
        if (std::string((*args)[2].in()) != "subscribe")
            return;
        Tango::DeviceImpl *impl = Tango::Util::instance()->get_device_by_name((*args)[0].in());
        auto *dev = dynamic_cast<LrcDevice *>(impl);
        if (!dev)
            return;
        /* Only attributes the device pushes from code: cppTango's own
         * (polled) events are not affected by what the kit holds. */
        Tango::Attribute &attr = impl->get_device_attr()->get_attr_by_name((*args)[1].in());
        if (attr.is_change_event() || attr.is_archive_event()) {
            std::string name = lower((*args)[1].in());
            std::string who = client_key(Tango::Util::instance()->get_dserver_device());
            int64_t now = mono_ns();
            unsigned kind = args->length() > 3 ? event_kind((*args)[3].in()) : 0;
            std::lock_guard<std::mutex> l(dev->handle.sub_mu);
            dev->handle.subscribed_at_ns[name] = now;
            dev->handle.subscribed_kinds[name] |= kind;
            dev->handle.last_subscribed_at_ns.store(now, std::memory_order_release);
            if (!who.empty()) {
                std::map<std::string, int64_t> &by = dev->handle.subscribed_by[name];
                for (auto it = by.begin(); it != by.end();) /* keep it small */
                    it = now - it->second > FORGET_NS ? by.erase(it) : std::next(it);
                by[who] = now;
            }
        }
    }

    Tango::Command *original_;
};

} // namespace

std::mutex &publish_mutex()
{
    /* Leaked on purpose: pushes may still run while static objects are
     * destroyed at exit. */
    static std::mutex *mu = new std::mutex;
    return *mu;
}

void watch_subscriptions(Tango::DServer *ds)
{
    std::vector<Tango::Command *> &cmds = ds->get_device_class()->get_command_list();
    for (Tango::Command *&c : cmds) {
        if (c->get_lower_name() != "zmqeventsubscriptionchange")
            continue;
        if (!dynamic_cast<SubscriptionWatch *>(c)) /* a restart: already done */
            c = new SubscriptionWatch(c);
        return;
    }
}

} // namespace lrcshim

extern "C" double lrc_tg_device_subscribed_at(lrc_tg_device *dev, const char *attr)
{
    if (!dev || !attr)
        return -1;
    try {
        std::string key = lrcshim::lower(attr);
        std::lock_guard<std::mutex> l(dev->sub_mu);
        auto it = dev->subscribed_at_ns.find(key);
        return it == dev->subscribed_at_ns.end() ? -1 : static_cast<double>(it->second) / 1e9;
    } catch (...) {
        return -1;
    }
}

extern "C" double lrc_tg_device_caller_subscribed_at(lrc_tg_device *dev, const char *attr)
{
    if (!dev || !attr)
        return -1;
    try {
        std::string who = lrcshim::client_key(dev->impl);
        if (who.empty()) /* unknown caller: it may be anyone */
            return lrc_tg_device_subscribed_at(dev, attr);
        std::string key = lrcshim::lower(attr);
        std::lock_guard<std::mutex> l(dev->sub_mu);
        auto a = dev->subscribed_by.find(key);
        if (a == dev->subscribed_by.end())
            return -1;
        auto it = a->second.find(who);
        return it == a->second.end() ? -1 : static_cast<double>(it->second) / 1e9;
    } catch (...) {
        return -1;
    }
}

extern "C" double lrc_tg_device_last_subscribed_at(lrc_tg_device *dev)
{
    if (!dev)
        return -1;
    int64_t at = dev->last_subscribed_at_ns.load(std::memory_order_acquire);
    return at < 0 ? -1 : static_cast<double>(at) / 1e9;
}
