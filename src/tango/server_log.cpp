// server_log.cpp - a device's messages to its Tango logger (log4tango):
// the device's logging level filters them, its targets (console, file,
// log consumer devices) receive them.
#include "tango/server_internal.hpp"
#include "core/wire_text.h"

#include <cstdlib>
#include <memory>

/* Python-style levels (lrc/log.h) to log4tango's. */
static log4tango::Level::Value tango_level(int level)
{
    if (level >= 50)
        return log4tango::Level::FATAL;
    if (level >= 40)
        return log4tango::Level::ERROR;
    if (level >= 30)
        return log4tango::Level::WARN;
    if (level >= 20)
        return log4tango::Level::INFO;
    return log4tango::Level::DEBUG;
}

/* The logger exists from init_device on (created there under the device
 * monitor; get_logger() creates it lazily otherwise) and lives as long as
 * the device object. */
extern "C" bool lrc_tg_device_log_enabled(lrc_tg_device *dev, int level)
{
    if (!dev || !dev->impl)
        return false;
    try {
        log4tango::Logger *l = dev->impl->get_logger();
        return l && l->is_level_enabled(tango_level(level));
    } catch (...) {
        return false;
    }
}

extern "C" void lrc_tg_device_log(lrc_tg_device *dev, int level, const char *msg)
{
    if (!dev || !dev->impl || !msg)
        return;
    try {
        log4tango::Logger *l = dev->impl->get_logger();
        log4tango::Level::Value lv = tango_level(level);
        if (!l || !l->is_level_enabled(lv))
            return;
        /* Latin-1 like every text the device sends */
        std::unique_ptr<char, void (*)(void *)> wire(lrc_utf8_to_latin1_lossy(msg), free);
        l->log(lv, std::string(wire ? wire.get() : msg));
    } catch (...) {
    }
}
