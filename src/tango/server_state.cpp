// server_state.cpp - State and Status of a device, with their change events.
//
// Both attributes are declared as pushed by the code (set_change_event(...,
// true, false)): clients subscribe without polling, and each change is
// pushed at once. cppTango builds a State or Status event from the device
// itself (get_state(), get_status()), not from a value given to the push.
// get_status() is the raw text, which is "Not initialised" until someone
// sets one (only a read turns that into "The device is in ON state."), so
// while the author has set no status the shim keeps that default text
// written out, and pushes Status too when a state change changes it.
#include "tango/server_internal.hpp"
#include "core/wire_text.h"

#include <cstdlib>
#include <memory>

namespace lrcshim {

static void push(lrc_tg_device &h, const char *attr)
{
    try {
        std::lock_guard<std::mutex> l(publish_mutex()); /* subscriptions.cpp */
        h.impl->push_change_event(attr);
    } catch (...) {
        /* no event system yet (start-up) or nobody can receive it: the
         * value is read by the next subscriber anyway */
    }
}

static std::string default_status(Tango::DevState s)
{
    unsigned k = static_cast<unsigned>(s);
    const char *name = k <= static_cast<unsigned>(Tango::UNKNOWN) ? Tango::DevStateName[k]
                                                                  : "UNKNOWN";
    return std::string("The device is in ") + name + " state.";
}

static void put_status(lrc_tg_device &h, const std::string &text)
{
    if (h.impl->get_status() == text)
        return;
    h.impl->set_status(text);
    push(h, "Status");
}

void state_reset(lrc_tg_device &h)
{
    h.impl->set_change_event("State", true, false);
    h.impl->set_change_event("Status", true, false);
    h.status_default = true;
    h.impl->set_state(Tango::UNKNOWN);
    h.impl->set_status(Tango::StatusNotSet);
}

void state_ready(lrc_tg_device &h)
{
    if (h.status_default)
        put_status(h, default_status(h.impl->get_state()));
}

void state_set(lrc_tg_device &h, Tango::DevState s)
{
    if (h.impl->get_state() != s) {
        h.impl->set_state(s);
        push(h, "State");
    }
    if (h.status_default && h.enabled.load())
        put_status(h, default_status(s));
}

void status_set(lrc_tg_device &h, const char *wire_text)
{
    h.status_default = wire_text == nullptr;
    put_status(h, wire_text ? std::string(wire_text) : default_status(h.impl->get_state()));
}

} // namespace lrcshim

extern "C" void lrc_tg_device_set_state(lrc_tg_device *dev, lrc_tg_state state)
{
    if (!dev)
        return;
    try {
        lrcshim::state_set(*dev, static_cast<Tango::DevState>(state));
    } catch (...) {
    }
}

extern "C" lrc_tg_state lrc_tg_device_get_state(lrc_tg_device *dev)
{
    if (!dev)
        return LRC_TG_UNKNOWN;
    try {
        return static_cast<lrc_tg_state>(dev->impl->get_state());
    } catch (...) {
        return LRC_TG_UNKNOWN;
    }
}

extern "C" void lrc_tg_device_set_status(lrc_tg_device *dev, const char *status)
{
    if (!dev)
        return;
    try {
        if (!status) {
            lrcshim::status_set(*dev, nullptr);
            return;
        }
        /* Status is a DevString too: Latin-1 on the wire; what it cannot
         * hold becomes '?' (a status must be shown, whatever it says). */
        std::unique_ptr<char, void (*)(void *)> wire(lrc_utf8_to_latin1_lossy(status), free);
        lrcshim::status_set(*dev, wire ? wire.get() : "");
    } catch (...) {
    }
}
