/* kit_log.c - log messages about one device: to the process-wide hook
 * (lrc/log.h) and to the device's Tango logger, so that an operator sees
 * them where Tango puts a device's messages (its log level, file and
 * log-consumer targets). */
#include "core/log_internal.h"
#include "server/kit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void log_v(lrc_device *dev, int level, const char *fmt, va_list ap)
{
    bool to_hook = lrc_log_enabled(level);
    bool to_tango = lrc_tg_device_log_enabled(dev->tg, level);
    if (!to_hook && !to_tango)
        return; /* nobody listens at this level: do not even format */
    char *msg = lrc_vasprintf(fmt, ap);
    const char *text = msg ? msg : "(out of memory formatting a log message)";
    if (to_hook)
        lrc_log(level, "%s: %s", lrc_tg_device_name(dev->tg), text);
    if (to_tango)
        lrc_tg_device_log(dev->tg, level, text);
    free(msg);
}

void kit_log(lrc_device *dev, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(dev, level, fmt, ap);
    va_end(ap);
}

void lrc_device_log(lrc_device *dev, int level, const char *fmt, ...)
{
    if (!dev || !fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_v(dev, level, fmt, ap);
    va_end(ap);
}
