/* kit_status.c - the Status text set by the author. (The State and Status
 * change events are pushed by the shim when either changes.) */
#include "server/kit.h"

void lrc_device_set_status(lrc_device *dev, const char *text)
{
    if (!dev)
        return;
    kit_lock(dev);
    lrc_tg_device_set_status(dev->tg, text);
    kit_unlock(dev);
}
