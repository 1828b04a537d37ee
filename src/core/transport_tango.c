/* transport_tango.c - the client transport over the Tango shim. */
#include "core/transport.h"

#include <stdlib.h>

static int tg_open(void *ctx, const char *device, int64_t timeout_ms, void **conn,
                   lrc_error **err)
{
    (void)ctx;
    lrc_tg_proxy *p = NULL;
    int rc = lrc_tg_proxy_open(device, timeout_ms, &p, err);
    *conn = p;
    return rc;
}

static void tg_close(void *conn) { lrc_tg_proxy_close(conn); }

static int64_t tg_timeout_ms(void *conn) { return lrc_tg_proxy_timeout_ms(conn); }

static int tg_command_query(void *conn, const char *cmd, lrc_tg_type *in_type,
                            lrc_tg_type *out_type, lrc_error **err)
{
    return lrc_tg_command_query(conn, cmd, in_type, out_type, err);
}

static int tg_command_inout(void *conn, const char *cmd, const lrc_tg_value *in, lrc_tg_value *out,
                            lrc_error **err)
{
    return lrc_tg_command_inout(conn, cmd, in, out, err);
}

static int tg_attribute_list(void *conn, char ***names, size_t *count, lrc_error **err)
{
    return lrc_tg_attribute_list(conn, names, count, err);
}

static int tg_read_attribute(void *conn, const char *attr, lrc_tg_value *out, lrc_error **err)
{
    return lrc_tg_read_attribute(conn, attr, out, err);
}

static int tg_subscribe(void *conn, const char *attr, lrc_tg_event_fn fn, void *user, int *sub_id,
                        lrc_error **err)
{
    return lrc_tg_subscribe_change(conn, attr, fn, user, sub_id, err);
}

static int tg_unsubscribe(void *conn, int sub_id, lrc_error **err)
{
    return lrc_tg_unsubscribe(conn, sub_id, err);
}

static const lrc_transport_ops tango_ops = {
    .open = tg_open,
    .close = tg_close,
    .timeout_ms = tg_timeout_ms,
    .command_query = tg_command_query,
    .command_inout = tg_command_inout,
    .attribute_list = tg_attribute_list,
    .read_attribute = tg_read_attribute,
    .subscribe = tg_subscribe,
    .unsubscribe = tg_unsubscribe,
};

static const lrc_transport tango_transport = {&tango_ops, NULL};

const lrc_transport *lrc_transport_tango(void) { return &tango_transport; }

void lrc_strv_free(char **v, size_t count)
{
    if (!v)
        return;
    for (size_t i = 0; i < count; i++)
        free(v[i]);
    free(v);
}
