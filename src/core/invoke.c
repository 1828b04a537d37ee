/* invoke.c - lrc_invoke: the sequence of ska-tango-base's invoke_lrc
 * (protocol section 2.2), with the errors and log messages of its Python
 * client. */
#include "core/arg_convert.h"
#include "core/client_internal.h"
#include "core/error_build.h"
#include "core/log_internal.h"
#include "core/scheduler_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVOKE_FAILED_REASON "SKA_InvokeLrcFailed"

void lrc_invoke_options_init(lrc_invoke_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

/* Re-throws a Tango failure as the Python client does: a DevError with
 * reason SKA_InvokeLrcFailed on top of the original stack, code LRC_ETANGO. */
static int wrap_tango(lrc_error **out, lrc_error *inner, int line, const char *fmt, ...)
    LRC_PRINTF(4, 5);
static int wrap_tango(lrc_error **out, lrc_error *inner, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *desc = lrc_vasprintf(fmt, ap);
    va_end(ap);
    lrc_error *e = inner ? inner : lrc_error_new(LRC_ETANGO, "%s", "Tango call failed");
    if (lrc_error_count(e) == 0) /* a failure of ours below Tango: keep its text */
        lrc_error_push(e, "LRC_Error", lrc_error_message(e), "lrc_invoke", LRC_SEVERITY_ERR);
    char origin[64];
    snprintf(origin, sizeof origin, "lrc::lrc_invoke at (invoke.c:%d)", line);
    lrc_error_push(e, INVOKE_FAILED_REASON, desc ? desc : "out of memory", origin,
                   LRC_SEVERITY_ERR);
    lrc_error_set(e, LRC_ETANGO, "%s", desc ? desc : "out of memory");
    free(desc);
    return lrc_error_give(out, e);
}

static int invocation_failed(lrc_error **out, lrc_error *inner, int line, const char *command,
                             const lrc_arg *arg)
{
    char *args = lrc_arg_repr(arg);
    int rc = wrap_tango(out, inner, line, "Invocation of command '%s' failed with args: %s",
                        command, args ? args : "?");
    free(args);
    return rc;
}

/* Step 1: everything that needs no Tango call. */
static int check_call(lrc_proxy *p, const char *command, const lrc_arg *arg, lrc_update_fn cb,
                      const lrc_invoke_options *opts, lrc_invoke_options *o, lrc_error **err)
{
    if (!p)
        return lrc_fail(err, LRC_EINVAL, "lrc_invoke: NULL proxy");
    if (!command || !*command)
        return lrc_fail(err, LRC_EINVAL, "lrc_invoke: no command name");
    if (!cb)
        return lrc_fail(err, LRC_EINVAL, "lrc_invoke: NULL callback");
    lrc_invoke_options_init(o);
    int rc = lrc_options_copy(o, sizeof *o, opts, "lrc_invoke", "lrc_invoke_options_init", err);
    if (rc == LRC_OK && o->timeout_ms < 0)
        return lrc_fail(err, LRC_EINVAL, "lrc_invoke: negative timeout %lld ms",
                        (long long)o->timeout_ms);
    return rc != LRC_OK ? rc : lrc_arg_check(arg, err);
}

/* Step 2: the command must be an LRC, and the argument must fit. */
static int prepare_argument(lrc_proxy *p, const char *command, const lrc_arg *arg,
                            lrc_tg_value *in, lrc_error **err)
{
    lrc_tg_type in_type, out_type;
    lrc_error *e = NULL;
    int rc = lrc_proxy_signature(p, command, &in_type, &out_type, &e);
    if (rc != LRC_OK)
        return invocation_failed(err, e, __LINE__, command, arg);
    if (out_type != LRC_TG_LONG_STRING_ARRAY)
        return lrc_fail(err, LRC_EINVAL,
                        "'%s' is not a long running command: it returns %s, not "
                        "DevVarLongStringArray",
                        command, lrc_tg_type_name(out_type));
    return lrc_arg_to_tango(arg, in_type, command, in, err);
}

/* Whether the string of an accepted reply can be a command ID. ska makes
 * `<time>_<number>_<Command>` (protocol section 1.2), but IDs are opaque
 * and foreign devices may make others: accept any non-empty word of
 * printable characters, reject what no device would use as a key, such as
 * a sentence ("Aborting commands"), an empty string or control
 * characters. */
static bool looks_like_id(const char *s)
{
    if (!*s)
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

/* Steps 5 and 6: the command's reply [[ResultCode], [ID or reason]]. */
static int check_reply(lrc_subscription *inv, const char *command, const lrc_tg_value *r,
                       lrc_error **err)
{
    if (r->type != LRC_TG_LONG_STRING_ARRAY || r->ni < 1 || r->ns < 1)
        return lrc_fail(err, LRC_ERESULTCODE,
                        "Unexpected reply of %s command: %s with %zu codes and %zu strings "
                        "instead of [[ResultCode], [command ID]]",
                        command, lrc_tg_type_name(r->type), r->ni, r->ns);
    int64_t code = r->iv[0];
    const char *text = r->sv[0] ? r->sv[0] : "";
    lrc_error *e;
    if ((code == LRC_RESULT_QUEUED || code == LRC_RESULT_STARTED) && looks_like_id(text))
        return LRC_OK;
    if (code == LRC_RESULT_QUEUED || code == LRC_RESULT_STARTED) {
        /* e.g. the deprecated AbortCommands: [[1], ["Aborting commands"]]
         * did its work, but there is no command to follow */
        e = lrc_error_new(LRC_ERESULTCODE,
                          "Unexpected reply of %s command: '%s' is not a command ID (%s is "
                          "not a long running command that can be followed)",
                          command, text, command);
    } else if (code == LRC_RESULT_REJECTED) {
        e = lrc_error_new(LRC_EREJECTED, "%s command rejected: %s", command, text);
    } else {
        const char *name = lrc_result_code_name((int)code);
        e = lrc_error_new(LRC_ERESULTCODE, "Unexpected result code for %s command: %lld (%s)",
                          command, (long long)code, name ? name : "not a ResultCode");
    }
    lrc_inv_log(inv, LRC_LOG_ERROR, "%s", lrc_error_message(e));
    return lrc_error_give(err, e);
}

/* lrc_invoke without the counting of calls that did not start: *started
 * is set once the command was accepted. */
static int invoke(lrc_proxy *p, const char *command, const lrc_arg *arg, lrc_update_fn cb,
                  void *user, const lrc_invoke_options *opts, lrc_subscription **out,
                  lrc_error **err, bool *started)
{
    if (out)
        *out = NULL;
    lrc_invoke_options o;
    int rc = check_call(p, command, arg, cb, opts, &o, err);
    if (rc != LRC_OK)
        return rc;

    lrc_tg_value in = {0};
    if ((rc = prepare_argument(p, command, arg, &in, err)) != LRC_OK)
        return rc;

    /* Step 3, unless the device's LRC streams are subscribed and healthy
     * (connected or lingering): they were subscribed for the version
     * negotiated then, and a restart of the device, the only way it can
     * change, shows on them as an error event first. */
    int version = lrc_stream_known_version(p);
    lrc_queue *q = NULL;
    lrc_subscription *inv = NULL;
    if ((!version &&
         (rc = lrc_proxy_negotiate(p, o.logger, o.logger_user, &version, err)) != LRC_OK) ||
        (rc = lrc_proxy_queue(p, o.scheduler ? o.scheduler : lrc_scheduler_default(), &q, err)) !=
            LRC_OK) {
        lrc_tg_value_clear(&in);
        return rc;
    }
    rc = lrc_inv_new(p, q, command, cb, user, &o, &inv);
    lrc_queue_unref(q);
    if (rc != LRC_OK) {
        lrc_tg_value_clear(&in);
        return lrc_fail(err, rc, "out of memory");
    }

    /* Step 4: listen before the command runs, so no event is missed. */
    char origin[64];
    snprintf(origin, sizeof origin, "lrc::lrc_invoke at (invoke.c:%d)", __LINE__);
    if ((rc = lrc_inv_attach(inv, version, origin, err)) != LRC_OK)
        goto fail;
    lrc_error *e = NULL;

    /* Step 5. Events pushed meanwhile are buffered until the ID is known. */
    pthread_mutex_lock(&p->mu);
    inv->early_deadline_ms = lrc_now_ms() + p->timeout_ms + 1000;
    pthread_mutex_unlock(&p->mu);
    lrc_tg_value reply = {0};
    rc = p->t->ops->command_inout(p->conn, command, &in, &reply, &e);
    if (rc != LRC_OK) {
        rc = invocation_failed(err, e, __LINE__, command, arg);
        goto fail;
    }
    if ((rc = check_reply(inv, command, &reply, err)) != LRC_OK) {
        lrc_tg_value_clear(&reply);
        goto fail;
    }

    /* Step 7. From here a callback may free the handle: hold a reference. */
    pthread_mutex_lock(&p->mu);
    p->st.invocations++;
    pthread_mutex_unlock(&p->mu);
    *started = true;
    atomic_fetch_add(&inv->refs, 1);
    if (out)
        *out = inv;
    /* The events that came before the reply are routed now, under the
     * proxy's lock: the worker is woken once, after it. */
    lrc_sched_defer_wakes();
    rc = lrc_inv_activate(inv, reply.sv[0] ? reply.sv[0] : "");
    lrc_sched_flush_wakes();
    lrc_tg_value_clear(&reply);
    lrc_tg_value_clear(&in);
    if (rc != LRC_OK) { /* out of memory: the command runs, unfollowed */
        if (out)
            *out = NULL;
        lrc_inv_abandon(inv);
        lrc_inv_unref(inv);
        lrc_inv_unref(inv);
        return lrc_fail(err, rc, "out of memory after the command was accepted");
    }
    lrc_inv_confirm(inv); /* a young stream may have lost the first events:
                             the timer checks, lrc_invoke returns now */
    lrc_inv_arm_timeout(inv);
    if (!out)
        lrc_inv_unref(inv); /* fire and forget: the streams keep it until its end */
    lrc_inv_unref(inv);
    return LRC_OK;

fail:
    lrc_tg_value_clear(&in);
    lrc_inv_abandon(inv);
    lrc_inv_unref(inv);
    return rc;
}

int lrc_invoke(lrc_proxy *p, const char *command, const lrc_arg *arg, lrc_update_fn cb,
               void *user, const lrc_invoke_options *opts, lrc_subscription **out,
               lrc_error **err)
{
    bool started = false;
    int rc = invoke(p, command, arg, cb, user, opts, out, err, &started);
    if (rc != LRC_OK && p && !started) {
        pthread_mutex_lock(&p->mu);
        p->mx.not_started++;
        if (rc == LRC_EREJECTED)
            p->mx.rejected++;
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}
