// events.cpp - change-event subscriptions: one Tango::CallBack per
// subscription forwarding EventData to the C callback.
#include "tango/client_internal.hpp"

#include <atomic>
#include <chrono>
#include <thread>

namespace lrcshim {

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
        try {
            forward(ed);
        } catch (...) {
            /* conversion failed (out of memory): drop the event */
        }
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
            int rc = attribute_to_value(*ed->attr_value, hint_type_, hint_format_, &vh.v, &e);
            if (rc == NEED_HINT)
                e = lrc_error_new(LRC_ETANGO, "%s: cannot tell the data type of an empty value",
                                  ed->attr_name.c_str());
            else if (rc != LRC_OK && !e)
                e = lrc_error_new(rc, "%s: cannot convert the event value", ed->attr_name.c_str());
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
            /* May call s synchronously (initial value) before returning. */
            id = p->dp->subscribe_event(a, Tango::CHANGE_EVENT, s, false);
        } catch (...) {
            s->kill(); /* stays in p->all until the proxy is closed */
            throw;
        }
        try {
            std::lock_guard<std::mutex> g(p->mu);
            p->live[id] = s;
        } catch (...) {
            s->kill();
            try {
                p->dp->unsubscribe_event(id);
            } catch (...) {
            }
            throw;
        }
        *sub_id = id;
        return LRC_OK;
    } catch (...) {
        return lrcshim::fail_current(err, "lrc_tg_subscribe_change");
    }
}

extern "C" int lrc_tg_unsubscribe(lrc_tg_proxy *p, int sub_id, lrc_error **err)
{
    if (!p)
        return lrc_fail(err, LRC_EINVAL, "lrc_tg_unsubscribe: NULL proxy");
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
        p->dp->unsubscribe_event(sub_id);
        return LRC_OK;
    } catch (...) {
        return lrcshim::fail_current(err, "lrc_tg_unsubscribe");
    }
}
