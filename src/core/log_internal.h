/* log_internal.h - the library's own logging calls (see lrc/log.h). */
#ifndef LRC_LOG_INTERNAL_H
#define LRC_LOG_INTERNAL_H

#include "core/error_build.h" /* LRC_PRINTF */
#include "lrc/log.h"

#include <stdbool.h>

/* Formats and sends one message to the process-wide hook. Thread-safe. */
void lrc_log(int level, const char *fmt, ...) LRC_PRINTF(2, 3);

/* True if a message at this level would be delivered. */
bool lrc_log_enabled(int level);

#endif
