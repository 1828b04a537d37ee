/* end.c - the names and texts of lrc_end: why the library, not the device,
 * ended an invocation. */
#include "lrc/client.h"

const char *lrc_end_name(int end)
{
    switch (end) {
    case LRC_END_TIMED_OUT: return "TIMED_OUT";
    case LRC_END_LOST: return "LOST";
    default: return NULL;
    }
}

const char *lrc_end_text(int end)
{
    switch (end) {
    case LRC_END_TIMED_OUT:
        return "timed out: no final status within the invocation's timeout (the command may "
               "go on on the device)";
    case LRC_END_LOST:
        return "lost: the device cannot tell the command's outcome (it forgot the command "
               "after a restart, or stayed unreachable past the bound)";
    default: return "not ended by the library";
    }
}
