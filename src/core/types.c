/* types.c - names of the protocol enumerations. */
#include "lrc/types.h"

#include <stddef.h>
#include <string.h>

static const char *const status_names[] = {
    "STAGING", "QUEUED", "IN_PROGRESS", "ABORTED", "NOT_FOUND", "COMPLETED", "REJECTED", "FAILED",
};

static const char *const result_code_names[] = {
    "OK", "STARTED", "QUEUED", "FAILED", "UNKNOWN", "REJECTED", "NOT_ALLOWED", "ABORTED",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *lrc_status_name(int status)
{
    return status >= 0 && (size_t)status < COUNT(status_names) ? status_names[status] : NULL;
}

bool lrc_status_from_name(const char *name, lrc_status *out)
{
    if (!name)
        return false;
    for (size_t i = 0; i < COUNT(status_names); i++) {
        if (strcmp(name, status_names[i]) == 0) {
            if (out)
                *out = (lrc_status)i;
            return true;
        }
    }
    return false;
}

bool lrc_status_is_terminal(int status)
{
    return status == LRC_STATUS_ABORTED || status == LRC_STATUS_COMPLETED ||
           status == LRC_STATUS_REJECTED || status == LRC_STATUS_FAILED;
}

const char *lrc_result_code_name(int code)
{
    return code >= 0 && (size_t)code < COUNT(result_code_names) ? result_code_names[code] : NULL;
}
