// events.cpp - change-event subscriptions: one Tango::CallBack per
// subscription forwarding EventData to the C callback.
#include "tango/client_internal.hpp"

/* EventConsumer (not part of tango.h): the shim asks it whether an event id
 * is still known. */
#if __has_include(<eventconsumer.h>)
#include <eventconsumer.h>
#else
#include <tango/client/eventconsumer.h>
#endif

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace lrcshim {

/* How many push_event calls of our subscriptions are on this thread's stack.
 * Non-zero means "called from inside an event callback", where cppTango may
 * defer an unsubscription (see lrc_tg_unsubscribe). */
static thread_local int t_push_depth = 0;

class Subscription : public Tango::CallBack {
public:
    Subscription(lrc_tg_event_fn fn, void *user, int hint_type, int hint_format)
        : fn_(fn), user_(user), hint_type_(hint_type), hint_format_(hint_format)
    {
    }

    using Tango::CallBack::push_event;

    /* Called by cppTango on the subscribing thread, the ZMQ consumer thread
     * or the keep-alive thread. Nothing may escape into Tango. */
    void push_event(Tango::EventData *ed) override
    {
        active_.fetch_add(1);
        t_push_depth++;
        try {
            forward(ed);
        } catch (...) {
            /* out of memory building the event: drop it (a value of the
             * wrong type is an error event, see event_value) */
        }
        t_push_depth--;
        active_.fetch_sub(1); /* last access to *this */
    }

    /* After it returns the C callback is not running (except further up the
     * stack of this very thread) and is never called again. */
    void kill()
    {
        std::lock_guard<std::recursive_mutex> g(mu_);
        dead_.store(true);
    }

    /* True while cppTango is inside push_event. */
    bool busy() const { return active_.load() != 0; }

    /* The object's life, guarded by the proxy's mu. The object may be freed
     * once `released` is set and busy() is false: cppTango holds no pointer
     * to it any more, so no new push_event can start, and none runs. */
    bool released = false;
    /* When non-zero: cppTango accepted an unsubscription of this event id but
     * may not have dropped its pointer yet (it defers the work when called
     * on its ZMQ thread, i.e. from a callback, and the keep-alive thread may
     * still push to the callback until then). `released` is set once
     * cppTango knows neither the id nor its negation (the deferred form). */
    int confirm_id = 0;

private:
    void forward(Tango::EventData *ed)
    {
        if (dead_.load())
            return;
        ValueHolder vh;
        lrc_error *e = nullptr;
        std::unique_ptr<lrc_error, void (*)(lrc_error *)> eg(nullptr, lrc_error_free);
        lrc_tg_event ev{};
        ev.attr_name = ed->attr_name.c_str();
        if (ed->err) {
            e = error_from_errlist(ed->errors, LRC_ETANGO);
        } else if (!ed->attr_value) {
            e = lrc_error_new(LRC_ETANGO, "event %s without a value", ed->event.c_str());
        } else {
            /* an error, never a lost event, when the type changed */
            event_value(*ed->attr_value, ed->attr_name.c_str(), hint_type_, hint_format_, &vh.v,
                        &e);
        }
        eg.reset(e);
        if (e)
            ev.error = e;
        else
            ev.value = &vh.v;

        std::lock_guard<std::recursive_mutex> g(mu_);
        if (!dead_.load())
            fn_(&ev, user_);
    }

    lrc_tg_event_fn fn_;
    void *user_;
    int hint_type_;
    int hint_format_;
    std::recursive_mutex mu_; /* held around the C callback */
    std::atomic<bool> dead_{false};
    std::atomic<int> active_{0};
};

/* cppTango creates the process's event consumer in the first
 * subscribe_event, testing and setting ApiUtil's pointer to it without a
 * lock: two threads subscribing for the first time at once (a group issuing
 * its members in parallel) could both create one, or one could use the
 * other's consumer before its construction is visible (ThreadSanitizer
 * sees the consumer's mutex read before its initialisation). Creating it
 * here, once, orders every subscription of the shim after the creation. A
 * failure leaves the flag unset: the next subscription tries again. */
static void ensure_event_consumer()
{
    static std::once_flag once;
    std::call_once(once, [] {
        Tango::ApiUtil *api = Tango::ApiUtil::instance();
        if (!api->get_zmq_event_consumer())
            api->create_zmq_event_consumer();
    });
}

/* True while cppTango's event maps hold a subscription with this id. Takes
 * cppTango's map lock: never call it with p->mu held (a callback thread
 * holds that lock and may wait for p->mu). */
static bool tango_knows_id(int id)
{
    Tango::ZmqEventConsumer *ec = Tango::ApiUtil::instance()->get_zmq_event_consumer();
    if (!ec)
        return false;
    try {
        ec->get_event_system_for_event_id(id);
        return true;
    } catch (const Tango::DevFailed &e) {
        /* anything but "not found" proves nothing: keep the object */
        return !has_reason(e.errors, "API_EventNotFound");
    }
}

/* Marks s as no longer referenced by cppTango once its unsubscription (or
 * failed subscription) is over. From inside a callback cppTango may only
 * have scheduled the removal: then it must be confirmed later. */
static void mark_unsubscribed(lrc_tg_proxy *p, Subscription *s, int id, bool certain)
{
    std::lock_guard<std::mutex> g(p->mu);
    if (certain && t_push_depth == 0)
        s->released = true;
    else
        s->confirm_id = id;
}

/* Frees the subscription objects nobody can reach any more: released by
 * cppTango and not running on any thread (so never the one whose callback
 * is on this thread's stack). Confirms deferred unsubscriptions first, but
 * not from inside a callback (cppTango's map lock may be held up the stack).
 * Call without p->mu held. Never throws. */
static void sweep_subscriptions(lrc_tg_proxy *p) noexcept
{
    try {
        std::vector<std::pair<Subscription *, int>> to_confirm;
        {
            std::lock_guard<std::mutex> g(p->mu);
            for (auto it = p->all.begin(); it != p->all.end();) {
                Subscription *s = it->get();
                if (s->released && !s->busy()) {
                    it = p->all.erase(it);
                    continue;
                }
                if (!s->released && s->confirm_id != 0 && t_push_depth == 0)
                    to_confirm.emplace_back(s, s->confirm_id);
                ++it;
            }
        }
        if (to_confirm.empty())
            return;
        std::vector<Subscription *> gone;
        for (auto &c : to_confirm)
            if (!tango_knows_id(c.second) && !tango_knows_id(-c.second))
                gone.push_back(c.first);
        if (gone.empty())
            return;
        /* The objects are still in p->all: only released ones are erased,
         * and lrc_tg_proxy_close does not run concurrently with us. */
        std::lock_guard<std::mutex> g(p->mu);
        for (Subscription *s : gone)
            s->released = true;
        for (auto it = p->all.begin(); it != p->all.end();) {
            if ((*it)->released && !(*it)->busy())
                it = p->all.erase(it);
            else
                ++it;
        }
    } catch (...) {
        /* out of memory or a Tango failure: try again next time */
    }
}

void end_all_subscriptions(lrc_tg_proxy *p) noexcept
{
    std::map<int, Subscription *> live;
    {
        std::lock_guard<std::mutex> g(p->mu);
        live.swap(p->live);
    }
    for (auto &kv : live) {
        try {
            kv.second->kill();
            if (p->dp)
                p->dp->unsubscribe_event(kv.first);
        } catch (...) {
        }
    }
}

void free_subscriptions(lrc_tg_proxy *p) noexcept
{
    for (auto &s : p->all) {
        /* A callback that was running when its subscription ended may still
         * be returning through push_event; give it a moment (bounded). */
        for (int i = 0; i < 5000 && s->busy(); i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    p->all.clear();
}

} // namespace lrcshim

using lrcshim::Subscription;

/* Defined here, where Subscription is a complete type. */
lrc_tg_proxy::lrc_tg_proxy() = default;
lrc_tg_proxy::~lrc_tg_proxy() = default;

extern "C" int lrc_tg_subscribe_change(lrc_tg_proxy *p, const char *attr, lrc_tg_event_fn fn,
                                       void *user, int *sub_id, lrc_error **err)
{
    if (!p || !attr || !fn || !sub_id)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_subscribe_change: NULL argument");
    *sub_id = -1;
    lrcshim::sweep_subscriptions(p);
    lrcshim::pace_connection(p);
    try {
        std::string a(attr);
        /* The type of an empty value is not in the event: learn it now
         * (failures are left for subscribe_event to report). */
        int type = -1, format = -1;
        try {
            lrcshim::attr_info(p, a, &type, &format);
        } catch (const Tango::DevFailed &) {
        }

        Subscription *s = nullptr;
        {
            std::lock_guard<std::mutex> g(p->mu);
            p->all.emplace_back(new Subscription(fn, user, type, format));
            s = p->all.back().get();
        }
        int id;
        try {
            lrcshim::ensure_event_consumer();
            /* May call s synchronously (initial value) before returning. */
            id = p->dp->subscribe_event(a, Tango::CHANGE_EVENT, s, false);
        } catch (...) {
            lrcshim::note_event_consumer();
            s->kill();
            /* A failed (stateful) subscription leaves cppTango without a
             * pointer to s, also from a callback, where cppTango refuses
             * before using it. */
            std::lock_guard<std::mutex> g(p->mu);
            s->released = true;
            throw;
        }
        lrcshim::note_event_consumer();
        try {
            std::lock_guard<std::mutex> g(p->mu);
            p->live[id] = s;
        } catch (...) {
            s->kill();
            bool done = false;
            try {
                p->dp->unsubscribe_event(id);
                done = true;
            } catch (...) {
            }
            lrcshim::mark_unsubscribed(p, s, id, done);
            throw;
        }
        *sub_id = id;
        return LRC_OK;
    } catch (...) {
        return lrcshim::fail_call(p, err, "lrc_tg_subscribe_change");
    }
}

extern "C" int lrc_tg_unsubscribe(lrc_tg_proxy *p, int sub_id, lrc_error **err)
{
    if (!p)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_unsubscribe: NULL proxy");
    lrcshim::sweep_subscriptions(p);
    int rc = LRC_OK;
    try {
        Subscription *s = nullptr;
        {
            std::lock_guard<std::mutex> g(p->mu);
            auto it = p->live.find(sub_id);
            if (it != p->live.end()) {
                s = it->second;
                p->live.erase(it);
            }
        }
        if (!s)
            return lrc_fail(err, LRC_ENOTFOUND, "%s: no subscription with id %d",
                            p->name.c_str(), sub_id);
        s->kill(); /* waits for a callback running on another thread */
        try {
            p->dp->unsubscribe_event(sub_id);
        } catch (...) {
            /* cppTango may or may not have dropped s: find out later */
            lrcshim::mark_unsubscribed(p, s, sub_id, false);
            throw;
        }
        lrcshim::mark_unsubscribed(p, s, sub_id, true);
    } catch (...) {
        rc = lrcshim::fail_current(err, "lrc_tg_unsubscribe");
    }
    /* Frees s at once unless this runs inside a callback. */
    lrcshim::sweep_subscriptions(p);
    return rc;
}

extern "C" size_t lrc_tg_proxy_subscription_objects(const lrc_tg_proxy *p)
{
    if (!p)
        return 0;
    std::lock_guard<std::mutex> g(p->mu);
    return p->all.size();
}
