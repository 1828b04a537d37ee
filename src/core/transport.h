/*
 * transport.h - how the client core reaches a device: a small table of
 * functions. The real one (transport_tango.c) forwards to the Tango shim; the
 * unit tests use a scripted fake. The core sees nothing else of Tango.
 *
 * Contracts are those of the matching lrc_tg_* functions in
 * tango/tango_shim.h: values and events in lrc_tg_value / lrc_tg_event form,
 * event callbacks possibly synchronous inside subscribe (the initial value)
 * and on other threads afterwards, never after unsubscribe returns, and
 * unsubscribe never called with a lock the callback takes.
 */
#ifndef LRC_TRANSPORT_H
#define LRC_TRANSPORT_H

#include "lrc/error.h"
#include "tango/tango_shim.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lrc_transport_ops {
    /* Opens a connection to `device`; *conn is what the other calls get. */
    int (*open)(void *ctx, const char *device, int64_t timeout_ms, void **conn, lrc_error **err);
    void (*close)(void *conn);
    int64_t (*timeout_ms)(void *conn);
    int (*command_query)(void *conn, const char *cmd, lrc_tg_type *in_type, lrc_tg_type *out_type,
                         lrc_error **err);
    int (*command_inout)(void *conn, const char *cmd, const lrc_tg_value *in, lrc_tg_value *out,
                         lrc_error **err);
    /* *names: malloc'd array of malloc'd strings (lrc_strv_free). */
    int (*attribute_list)(void *conn, char ***names, size_t *count, lrc_error **err);
    int (*read_attribute)(void *conn, const char *attr, lrc_tg_value *out, lrc_error **err);
    int (*subscribe)(void *conn, const char *attr, lrc_tg_event_fn fn, void *user, int *sub_id,
                     lrc_error **err);
    int (*unsubscribe)(void *conn, int sub_id, lrc_error **err);
} lrc_transport_ops;

typedef struct lrc_transport {
    const lrc_transport_ops *ops;
    void *ctx; /* passed to open */
} lrc_transport;

/* The transport over cppTango (through the shim). */
const lrc_transport *lrc_transport_tango(void);

/* Frees an array of strings as returned by attribute_list. */
void lrc_strv_free(char **v, size_t count);

#endif /* LRC_TRANSPORT_H */
