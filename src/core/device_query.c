/* device_query.c - one-shot questions to a device (lrc/device.h): which LRC
 * protocol it speaks, the TaskStatus of one command, and a plain Tango
 * command with its reply as JSON. Each is a few transport calls on the
 * calling thread; nothing is subscribed or queued. */
#include "core/arg_convert.h"
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/value.h"

#include <stdlib.h>
#include <string.h>

void lrc_protocol_info_init(lrc_protocol_info *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

/* Copies what the caller's struct has room for (its size says how much),
 * keeping the caller's size. */
static void give_info(lrc_protocol_info *out, const lrc_protocol_info *info)
{
    size_t size = out->size;
    memcpy(out, info, size < sizeof *info ? size : sizeof *info);
    out->size = size;
}

int lrc_proxy_protocol(lrc_proxy *p, lrc_protocol_info *out, lrc_error **err)
{
    if (!p || !out)
        return lrc_fail(err, LRC_EINVAL, "lrc_proxy_protocol: NULL %s", !p ? "proxy" : "output");
    if (out->size < sizeof out->size)
        return lrc_fail(err, LRC_EINVAL,
                        "lrc_proxy_protocol: output not initialised (call lrc_protocol_info_init)");
    lrc_protocol_info info;
    int rc = lrc_proxy_probe(p, &info, err);
    if (rc == LRC_OK && !info.lrc_capable) {
        info.version = 0;
        rc = lrc_fail(err, LRC_ENOTFOUND,
                      "%s is not LRC-capable: it has neither lrcProtocolVersions nor "
                      "longRunningCommandStatus",
                      p->name);
    } else if (rc == LRC_OK && info.version == 0) {
        rc = lrc_error_give(err, lrc_protocol_incompatible(&info));
    }
    give_info(out, &info);
    return rc;
}

int lrc_proxy_command_status(lrc_proxy *p, const char *command_id, lrc_status *out,
                             lrc_error **err)
{
    if (!p || !command_id || !out) /* "" is an ID: the device does not know it */
        return lrc_fail(err, LRC_EINVAL, "lrc_proxy_command_status: NULL %s",
                        !p ? "proxy" : !out ? "output" : "command ID");
    lrc_tg_value in = {.type = LRC_TG_STRING, .s = (char *)command_id}, reply = {0};
    int rc = p->t->ops->command_inout(p->conn, "CheckLongRunningCommandStatus", &in, &reply, err);
    if (rc != LRC_OK)
        return rc;
    if (reply.type != LRC_TG_STRING || !reply.s || !lrc_status_from_name(reply.s, out))
        rc = lrc_fail(err, LRC_EJSON, "CheckLongRunningCommandStatus answered %s%s%s",
                      reply.type == LRC_TG_STRING ? "\"" : "",
                      reply.type == LRC_TG_STRING ? (reply.s ? reply.s : "")
                                                  : lrc_tg_type_name(reply.type),
                      reply.type == LRC_TG_STRING ? "\", which is no TaskStatus name" : "");
    lrc_tg_value_clear(&reply);
    return rc;
}

int lrc_proxy_command(lrc_proxy *p, const char *command, const lrc_arg *arg, char **reply_json,
                      lrc_error **err)
{
    if (reply_json)
        *reply_json = NULL;
    if (!p || !command || !*command || !reply_json)
        return lrc_fail(err, LRC_EINVAL, "lrc_proxy_command: %s",
                        !p ? "NULL proxy" : !reply_json ? "NULL output" : "no command name");
    int rc = lrc_arg_check(arg, err);
    if (rc != LRC_OK)
        return rc;
    lrc_tg_type in_type, out_type;
    if ((rc = lrc_proxy_signature(p, command, &in_type, &out_type, err)) != LRC_OK)
        return rc;
    lrc_tg_value in = {0}, reply = {0};
    if ((rc = lrc_arg_to_tango(arg, in_type, command, &in, err)) != LRC_OK)
        return rc;
    rc = p->t->ops->command_inout(p->conn, command, &in, &reply, err);
    lrc_tg_value_clear(&in);
    if (rc != LRC_OK)
        return rc;
    *reply_json = lrc_value_to_json(&reply);
    lrc_tg_value_clear(&reply);
    return *reply_json ? LRC_OK
                       : lrc_fail(err, LRC_ENOMEM, "out of memory writing the reply of %s",
                                  command);
}
