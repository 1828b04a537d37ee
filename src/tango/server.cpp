// server.cpp - the device server: one generic DeviceClass, one generic
// device type, the server main loop, the device lock, state and properties.
#include "tango/server_internal.hpp"
#include "core/wire_text.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <utility>

namespace lrcshim {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/* ---- the device lock (the device's TangoMonitor) ------------------------
 *
 * TangoMonitor tells owners apart by omni_thread::self(), which is NULL on
 * threads not created by omniORB (two such threads would both look like the
 * owner). Such a thread gets a dummy omni_thread the first time it locks,
 * kept until the thread exits. */

struct OmniSelf {
    bool dummy = false;
    ~OmniSelf()
    {
        if (dummy) {
            try {
                omni_thread::release_dummy();
            } catch (...) {
            }
        }
    }
};
static thread_local OmniSelf tls_self;

static void ensure_omni_self()
{
    if (!tls_self.dummy && omni_thread::self() == nullptr) {
        omni_thread::create_dummy();
        tls_self.dummy = true;
    }
}

/* Takes the monitor however long it takes (the shim's own use). */
static void acquire_forever(Tango::TangoMonitor &mon, const std::string &dev_name)
{
    ensure_omni_self();
    for (bool warned = false;; warned = true) {
        try {
            mon.get_monitor();
            return;
        } catch (const Tango::DevFailed &) {
            /* API_CommandTimedOut after the monitor timeout (3.2 s) */
            if (!warned)
                std::fprintf(stderr, "lrc: %s: still waiting for the device lock\n",
                             dev_name.c_str());
        }
    }
}

/* Releases every hold of the calling thread, which must hold the monitor;
 * returns how many there were. */
static long release_all(Tango::TangoMonitor &mon)
{
    long n = mon.get_locking_ctr();
    for (long i = 0; i < n; i++)
        mon.rel_monitor();
    return n;
}

static void reacquire(Tango::TangoMonitor &mon, long n, const std::string &dev_name)
{
    for (long i = 0; i < n; i++)
        acquire_forever(mon, dev_name);
}

class MonitorHold {
public:
    MonitorHold(Tango::TangoMonitor &mon, const std::string &dev_name) : mon_(mon)
    {
        acquire_forever(mon_, dev_name);
    }
    ~MonitorHold() { mon_.rel_monitor(); }
    MonitorHold(const MonitorHold &) = delete;
    MonitorHold &operator=(const MonitorHold &) = delete;

private:
    Tango::TangoMonitor &mon_;
};

/* ---- the device -------------------------------------------------------- */

static const char *const NOT_READY = "the device is being initialised";

LrcDevice::LrcDevice(Tango::DeviceClass *cl, const std::string &name, const lrc_tg_class_def *def)
    : TANGO_BASE_CLASS(cl, name.c_str()), def_(def)
{
    handle.impl = this;
    handle.name = name;
    init_device();
}

LrcDevice::~LrcDevice()
{
    try {
        delete_device();
    } catch (...) {
    }
    /* cppTango 9.3 does not free device-level commands (add_command(cmd,
     * true)) with the device: free ours and leave the list empty, so that a
     * cppTango that does free them finds nothing left. */
    try {
        std::vector<Tango::Command *> &cmds = get_local_command_list();
        for (auto it = cmds.begin(); it != cmds.end();) {
            if (is_lrc_command(*it)) {
                delete *it;
                it = cmds.erase(it);
            } else {
                ++it;
            }
        }
    } catch (...) {
    }
}

void LrcDevice::init_device()
{
    MonitorHold hold(get_dev_monitor(), handle.name); /* Tango holds it already on Init */
    /* Another Init may have run while a delete_device released the
     * monitor (ours or the one Tango called just before): end that
     * incarnation first. Once c_inited_ is false with the monitor held,
     * nobody else can initialise. */
    while (c_inited_.load())
        delete_device();
    handle.enabled.store(false);
    handle.disabled_reason = NOT_READY;
    handle.cmds.clear();
    handle.attrs.clear();
    state_reset(handle);
    (void)get_logger(); /* created now, under the lock: workers log through it */
    c_inited_.store(true);
    lrc_error *err = nullptr;
    int rc = def_->init_device(&handle, def_->class_user, &err);
    if (rc != LRC_OK) {
        std::string msg = err ? lrc_error_message(err) : "";
        if (msg.empty())
            msg = lrc_strerror(rc);
        state_set(handle, Tango::FAULT);
        std::unique_ptr<char, void (*)(void *)> wire(lrc_utf8_to_latin1_lossy(msg.c_str()), free);
        status_set(handle, wire ? wire.get() : "");
    }
    lrc_error_free(err);
    if (constructed_) /* else constructed() does it */
        drop_undeclared_attributes();
    /* Even after a failure, what init_device registered stays callable:
     * the C code decides what its handlers do on a FAULT device. */
    handle.disabled_reason.clear();
    handle.enabled.store(true);
    state_ready(handle);
}

/* cppTango keeps one attribute list per class (MultiClassAttribute):
 * DeviceImpl::add_attribute appends to it, and every device created later
 * (MultiAttribute's constructor: start-up, DevRestart) gets an Attribute for
 * each entry, declared or not. A device of LrcProtocolVersions "none"
 * created after a v2 one would list lrcProtocolVersions, _lrcEvent,
 * lrcQueue, ... and fail to read them. So each device, once its C
 * init_device has declared what it has, drops the Attributes of the shim's
 * kind it did not declare, from its own list only:
 * MultiAttribute::remove_attribute(name, false) leaves the class's Attr
 * (and so every other device) alone, and rebuilds the device's own name
 * map and writable and alarm lists. DeviceImpl::remove_attribute is not
 * usable here: during construction the device is not yet in the class's
 * device list, and it would then take the Attr away from the class while
 * other devices still use it. Even MultiAttribute's removal looks the
 * device up by name (Attribute::get_att_device), which fails until the
 * device is in its class's list: a new device drops them in constructed(),
 * called by the class right after adding it there, before it is exported.
 * Attributes of any other kind (Tango's State and Status, an Attr the shim
 * does not create) are kept. Monitor held. */
void LrcDevice::constructed()
{
    MonitorHold hold(get_dev_monitor(), handle.name);
    constructed_ = true;
    drop_undeclared_attributes();
}

void LrcDevice::drop_undeclared_attributes()
{
    try {
        Tango::MultiAttribute *ma = get_device_attr();
        std::vector<Tango::Attr *> &cls = get_device_class()->get_class_attr()->get_attr_list();
        std::vector<std::string> drop;
        for (Tango::Attribute *att : ma->get_attribute_list()) {
            long idx = att->get_attr_idx(); /* -1: State, Status */
            if (idx < 0 || static_cast<size_t>(idx) >= cls.size() || !is_lrc_attr(cls[idx]))
                continue;
            if (handle.attrs.find(att->get_name_lower()) == handle.attrs.end())
                drop.push_back(att->get_name());
        }
        for (std::string &n : drop)
            ma->remove_attribute(n, false);
    } catch (...) {
        lrc_error *err = nullptr;
        fail_current(&err, "drop_undeclared_attributes");
        std::fprintf(stderr, "lrc: %s: cannot drop the attributes it did not declare: %s\n",
                     handle.name.c_str(), lrc_error_message(err));
        lrc_error_free(err);
    }
}

/* Runs the C delete_device WITHOUT the device monitor, so that it can join
 * threads waiting for the device lock. From here until the next
 * init_device the handlers are not called. A second Init arriving while
 * the monitor is released waits here, also without the monitor. */
void LrcDevice::delete_device()
{
    Tango::TangoMonitor &mon = get_dev_monitor();
    MonitorHold hold(mon, handle.name);
    for (;;) {
        if (!c_inited_.load())
            return;
        handle.enabled.store(false);
        handle.disabled_reason = NOT_READY;
        std::unique_lock<std::mutex> l(life_mu_);
        if (!deleting_) {
            deleting_ = true;
            break;
        }
        /* another thread is inside the C delete_device: wait for it */
        long n = release_all(mon);
        life_cv_.wait(l, [this] { return !deleting_; });
        l.unlock();
        reacquire(mon, n, handle.name);
    }
    long n = release_all(mon);
    if (def_->delete_device)
        def_->delete_device(&handle, def_->class_user);
    {
        std::lock_guard<std::mutex> l(life_mu_);
        c_inited_.store(false);
        deleting_ = false;
    }
    life_cv_.notify_all();
    reacquire(mon, n, handle.name);
}

/* A client's default source, CACHE_DEV, makes cppTango look for the
 * command in the polling buffer first: it checks the command can be polled
 * (it throws for any command with an input, such as Echo) or searches the
 * poll list (and throws "not polled"), catches its own exception and only
 * then runs the command. That throw costs the server CPU on every call
 * from PyTango (and from cppTango clients with default settings). While
 * nothing of the device is polled, CACHE_DEV can only end in running the
 * command, so it is run at once, as for source DEV (same lock, same
 * handler); a device someone polls keeps cppTango's path. `polled` is a
 * flag the admin device sets when polling starts; a stale read only picks
 * the other, equivalent path. */
CORBA::Any *LrcDevice::command_inout_4(const char *in_cmd, const CORBA::Any &in_data,
                                       Tango::DevSource source,
                                       const Tango::ClntIdent &cl_ident)
{
    if (source == Tango::CACHE_DEV && !is_polled())
        source = Tango::DEV;
    return TANGO_BASE_CLASS::command_inout_4(in_cmd, in_data, source, cl_ident);
}

/* ---- the class ---------------------------------------------------------- */

static lrc_tg_class_def g_def;
static std::string g_class_name;
static std::atomic<bool> g_server_started{false};

class LrcClass : public Tango::DeviceClass {
public:
    explicit LrcClass(std::string &class_name) : Tango::DeviceClass(class_name) {}

    void command_factory() override {}
    void attribute_factory(std::vector<Tango::Attr *> &) override {}

    void device_factory(const Tango::DevVarStringArray *devlist) override
    {
        size_t first = device_list.size();
        for (CORBA::ULong i = 0; i < devlist->length(); i++) {
            std::string n((*devlist)[i].in());
            LrcDevice *dev = new LrcDevice(this, n, &g_def);
            device_list.push_back(dev);
            dev->constructed();
        }
        for (size_t i = first; i < device_list.size(); i++) {
            Tango::DeviceImpl *dev = device_list[i];
            if (Tango::Util::_UseDb && !Tango::Util::_FileDb)
                export_device(dev);
            else
                export_device(dev, dev->get_name().c_str());
        }
    }
};

/* Registered with DServer::register_class_factory: libtango 9.3 already
 * defines a default DServer::class_factory(), so defining our own would
 * depend on symbol interposition order. */
static void lrc_class_factory(Tango::DServer *ds)
{
    watch_subscriptions(ds); /* before any client can subscribe */
    ds->_add_class(new LrcClass(g_class_name));
}

} // namespace lrcshim

using lrcshim::LrcDevice;

extern "C" int lrc_tg_server_run(int argc, char **argv, const lrc_tg_class_def *cls,
                                 lrc_error **err)
{
    if (!cls || !cls->class_name || !*cls->class_name || !cls->init_device)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_server_run: incomplete class definition");
    if (argc < 2 || !argv || !argv[0] || !argv[1])
        return lrc_fail(err, LRC_EINVAL, "usage: %s INSTANCE [Tango options]",
                        argc > 0 && argv && argv[0] ? argv[0] : "server");
    /* cppTango _exits with status 255 where it cannot start (database,
     * registration): find those first, to fail with a message instead. */
    if (lrcshim::server_precheck(argc, argv, err) != LRC_OK)
        return LRC_ESTATE;
    if (lrcshim::g_server_started.exchange(true))
        return lrc_fail(err, LRC_ESTATE, "lrc_tg_server_run: a server already ran in this process");
    int rc = LRC_OK;
    try {
        lrcshim::g_class_name = cls->class_name;
        lrcshim::g_def = *cls;
        lrcshim::g_def.class_name = lrcshim::g_class_name.c_str();
        Tango::DServer::register_class_factory(&lrcshim::lrc_class_factory);

        Tango::Util *tg = Tango::Util::init(argc, argv);
        tg->server_init(false);
        std::cout << "Ready to accept request" << std::endl;
        tg->server_run();
    } catch (...) {
        rc = lrcshim::fail_current(err, "lrc_tg_server_run");
    }
    try {
        Tango::Util *tg = Tango::Util::instance(false);
        if (tg)
            tg->server_cleanup();
    } catch (...) {
    }
    return rc;
}

extern "C" void lrc_tg_device_set_user(lrc_tg_device *dev, void *user)
{
    if (dev)
        dev->user = user;
}

extern "C" void *lrc_tg_device_user(const lrc_tg_device *dev)
{
    return dev ? dev->user : nullptr;
}

extern "C" const char *lrc_tg_device_name(const lrc_tg_device *dev)
{
    return dev ? dev->name.c_str() : "";
}

extern "C" int lrc_tg_device_lock(lrc_tg_device *dev)
{
    if (!dev)
        return LRC_EINVAL;
    try {
        lrcshim::ensure_omni_self();
        dev->impl->get_dev_monitor().get_monitor();
        return LRC_OK;
    } catch (const Tango::DevFailed &) {
        return LRC_ETIMEDOUT; /* API_CommandTimedOut: not held */
    } catch (...) {
        std::fprintf(stderr, "lrc: %s: cannot take the device lock\n", dev->name.c_str());
        return LRC_EINTERNAL;
    }
}

extern "C" void lrc_tg_device_unlock(lrc_tg_device *dev)
{
    if (!dev)
        return;
    try {
        dev->impl->get_dev_monitor().rel_monitor(); /* no-op if not the owner */
    } catch (...) {
    }
}

extern "C" int lrc_tg_device_get_property(lrc_tg_device *dev, const char *name, char **value,
                                          lrc_error **err)
{
    if (value)
        *value = nullptr;
    if (!dev || !name || !value)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_device_get_property: NULL argument");
    try {
        if (!Tango::Util::_UseDb)
            return LRC_OK;
        Tango::DbData data;
        data.push_back(Tango::DbDatum(name));
        dev->impl->get_db_device()->get_property(data);
        data[0].reset_exceptions(Tango::DbDatum::isempty_flag);
        if (data[0].is_empty())
            return LRC_OK;
        std::vector<std::string> v;
        data[0] >> v;
        std::string joined;
        for (size_t i = 0; i < v.size(); i++) {
            if (i)
                joined += ',';
            joined += v[i];
        }
        *value = lrcshim::xstrdup(joined.c_str());
        return LRC_OK;
    } catch (...) {
        return lrcshim::fail_current(err, "lrc_tg_device_get_property");
    }
}
