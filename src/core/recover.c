/* recover.c - a command whose events were lost because its stream was too
 * young: ZeroMQ hands a new subscription to the device server
 * asynchronously, and what the server publishes before it arrives is
 * dropped without a trace (cppTango confirms nothing; under CPU load the
 * window reaches tens of milliseconds). Every LRC device pushes the STAGING
 * event before the command returns, so no event at all for the command a
 * second after its reply means loss: the device is asked directly. */
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/json_text.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Waits until an event for the command was routed, or the invocation
 * ended, or the bound passed. True unless the bound passed. */
static bool wait_first_event(lrc_subscription *inv)
{
    lrc_proxy *p = inv->p;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += LRC_FIRST_EVENT_WAIT_MS / 1000;
    until.tv_nsec += (long)(LRC_FIRST_EVENT_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    while (!inv->seen_event && inv->state == LRC_INV_ACTIVE)
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until) != 0)
            break;
    bool ok = inv->seen_event || inv->state != LRC_INV_ACTIVE;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

static int query_status(lrc_proxy *p, const char *id, lrc_status *st, lrc_error **err)
{
    lrc_tg_value in = {.type = LRC_TG_STRING, .s = (char *)id}, out = {0};
    int rc = p->t->ops->command_inout(p->conn, "CheckLongRunningCommandStatus", &in, &out, err);
    if (rc != LRC_OK)
        return rc;
    if (out.type != LRC_TG_STRING || !lrc_status_from_name(out.s, st))
        rc = lrc_fail(err, LRC_EJSON, "CheckLongRunningCommandStatus answered %s",
                      out.type == LRC_TG_STRING ? out.s : lrc_tg_type_name(out.type));
    lrc_tg_value_clear(&out);
    return rc;
}

/* The command's result as JSON text, or NULL if the device no longer has
 * it: v2 keeps the last 100 finished commands in lrcFinished, v1 only the
 * most recent result in longRunningCommandResult. */
static char *finished_result(lrc_proxy *p, const char *id, int version)
{
    lrc_tg_value v = {0};
    const char *attr = version == 2 ? "lrcFinished" : "longRunningCommandResult";
    if (p->t->ops->read_attribute(p->conn, attr, &v, NULL) != LRC_OK)
        return NULL;
    char *result = NULL;
    if (version != 2) {
        if (v.type == LRC_TG_STRING_ARRAY && v.ns == 2 && v.sv[0] && strcmp(v.sv[0], id) == 0)
            result = lrc_json_normalize(v.sv[1]);
    } else if (v.type == LRC_TG_STRING_ARRAY) {
        for (size_t i = 0; i < v.ns && !result; i++) {
            json_t *item = json_loads(v.sv[i] ? v.sv[i] : "", 0, NULL);
            json_t *uid = json_object_get(item, "uid");
            json_t *res = json_object_get(item, "result");
            if (json_is_string(uid) && strcmp(json_string_value(uid), id) == 0 && res)
                result = lrc_json_dumps(res);
            json_decref(item);
        }
    }
    lrc_tg_value_clear(&v);
    return result;
}

/* The typical [ResultCode, "message"] shape, as decode.c reads it. */
static void result_code(lrc_decoded *d)
{
    json_t *r = json_loads(d->result_json, JSON_DECODE_ANY, NULL);
    if (json_is_array(r) && json_array_size(r) == 2 && json_is_integer(json_array_get(r, 0)) &&
        json_is_string(json_array_get(r, 1))) {
        json_int_t code = json_integer_value(json_array_get(r, 0));
        if (code >= INT32_MIN && code <= INT32_MAX &&
            (d->result_message = strdup(json_string_value(json_array_get(r, 1))))) {
            d->result_code = (int)code;
            d->has |= LRC_HAS_RESULT_CODE;
        }
    }
    json_decref(r);
}

void lrc_inv_confirm(lrc_subscription *inv)
{
    if (!inv->young_stream || wait_first_event(inv))
        return;
    const char *id = inv->command_id;
    lrc_status st;
    lrc_error *e = NULL;
    if (query_status(inv->p, id, &st, &e) != LRC_OK) {
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': no event arrived within %d ms of the command's reply (lost while "
                    "the subscription took effect?) and its status cannot be asked: %s",
                    id, LRC_FIRST_EVENT_WAIT_MS, lrc_error_message(e));
        lrc_error_free(e);
        return;
    }
    if (st == LRC_STATUS_NOT_FOUND) {
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': no event arrived within %d ms of the command's reply, and the "
                    "device does not know this command ID (NOT_FOUND): no event will come for it",
                    id, LRC_FIRST_EVENT_WAIT_MS);
        return;
    }
    if (!lrc_status_is_terminal(st)) {
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': no event arrived within %d ms of the command's reply; the device "
                    "reports %s: earlier events were lost while the subscription took effect",
                    id, LRC_FIRST_EVENT_WAIT_MS, lrc_status_name(st));
        return;
    }
    lrc_decode_out out;
    memset(&out, 0, sizeof out);
    out.n = 1;
    lrc_decoded *d = &out.upd[0];
    d->has = LRC_HAS_STATUS;
    d->status = st;
    if ((d->result_json = finished_result(inv->p, id, inv->version))) {
        d->has |= LRC_HAS_RESULT;
        result_code(d);
    }
    bool with_result = d->result_json != NULL;
    if (lrc_inv_deliver_final(inv, &out))
        lrc_inv_log(inv, LRC_LOG_WARNING,
                    "'%s': its events were lost while the subscription took effect; the final "
                    "status %s%s was read from the device",
                    id, lrc_status_name(st), with_result ? " and result" : "");
}
