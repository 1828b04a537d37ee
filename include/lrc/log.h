/*
 * lrc/log.h - where tango-lrc's log messages go.
 *
 * One process-wide hook receives every message of the library and the server
 * kit (the client adds a per-invocation logger later). Levels use Python's
 * logging numbers, so messages map 1:1 onto the Python client's.
 */
#ifndef LRC_LOG_H
#define LRC_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

enum lrc_log_level {
    LRC_LOG_DEBUG = 10,
    LRC_LOG_INFO = 20,
    LRC_LOG_WARNING = 30,
    LRC_LOG_ERROR = 40,
    LRC_LOG_CRITICAL = 50
};

/* A log hook. Called on whatever thread logs, possibly several at once; it
 * must be thread-safe and must not call back into tango-lrc. msg is valid
 * only during the call. */
typedef void (*lrc_log_fn)(void *user, int level, const char *msg);

/* Installs the process-wide hook (NULL restores the default, which writes
 * messages of level >= min_level to stderr). Messages below min_level are
 * not formatted at all. Thread-safe; takes effect for messages started
 * after it returns. */
void lrc_log_set_hook(lrc_log_fn fn, void *user, int min_level);

#ifdef __cplusplus
}
#endif

#endif /* LRC_LOG_H */
