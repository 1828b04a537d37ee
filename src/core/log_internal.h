/* log_internal.h - the library's own logging calls (see lrc/log.h). */
#ifndef LRC_LOG_INTERNAL_H
#define LRC_LOG_INTERNAL_H

#include "core/error_build.h" /* LRC_PRINTF */
#include "lrc/log.h"

#include <stdbool.h>

/* Formats and sends one message to the process-wide hook. Thread-safe. */
void lrc_log(int level, const char *fmt, ...) LRC_PRINTF(2, 3);

/* Sends one message to fn(user, ...) when fn is not NULL (a caller's own
 * logger, which gets every level), else to the hook like lrc_log. */
void lrc_log_to(lrc_log_fn fn, void *user, int level, const char *fmt, ...) LRC_PRINTF(4, 5);

/* True if a message at this level would be delivered. */
bool lrc_log_enabled(int level);

#endif
