/* plain_device.c - lrc-plain-device, class LrcPlainTest: a kit device for
 * the tests of plain commands, State, Status and logging (it_plain and
 * py/plain_client.py). One plain command per input and output kind, a
 * failing one, a guarded one, and commands that set the state, the status
 * and log; long running commands that change state and status from their
 * worker thread, and one whose result the kit refuses (the kit logs it). */
#include "lrc/server.h"
#include "lrc/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one plain command per kind ------------------------------------------ */

static int ping(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)in, (void)out, (void)user, (void)err;
    return LRC_OK;
}

static int negate(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    return lrc_reply_set_bool(out, !in->u.b);
}

static int twice(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    return lrc_reply_set_long(out, 2 * in->u.l);
}

static int half(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    return lrc_reply_set_double(out, in->u.d / 2);
}

/* "<text>!" (UTF-8 in and out). */
static int shout(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    char buf[256];
    snprintf(buf, sizeof buf, "%s!", in->u.s);
    return lrc_reply_set_string(out, buf);
}

static int sum(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    int64_t s = 0;
    for (size_t i = 0; i < in->u.la.n; i++)
        s += in->u.la.v[i];
    return lrc_reply_set_long(out, s);
}

static int reversed(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                    lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    int64_t v[64];
    size_t n = in->u.la.n < 64 ? in->u.la.n : 64;
    for (size_t i = 0; i < n; i++)
        v[i] = in->u.la.v[n - 1 - i];
    return lrc_reply_set_long_array(out, v, n);
}

static int scale(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    double v[64];
    size_t n = in->u.da.n < 64 ? in->u.da.n : 64;
    for (size_t i = 0; i < n; i++)
        v[i] = in->u.da.v[i] * 10;
    return lrc_reply_set_double_array(out, v, n);
}

/* The strings joined with "+". */
static int join(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    char buf[512] = "";
    for (size_t i = 0; i < in->u.sa.n; i++) {
        if (i)
            strncat(buf, "+", sizeof buf - strlen(buf) - 1);
        strncat(buf, in->u.sa.v[i], sizeof buf - strlen(buf) - 1);
    }
    return lrc_reply_set_string(out, buf);
}

/* The words of the string (split on spaces). */
static int words(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    char *copy = strdup(in->u.s);
    const char *v[32];
    size_t n = 0;
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w && n < 32;
         w = strtok_r(NULL, " ", &save))
        v[n++] = w;
    int rc = lrc_reply_set_string_array(out, v, n);
    free(copy);
    return rc;
}

/* JSON in, JSON out: {"got": <the argument>}. */
static int wrap(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)user, (void)err;
    size_t len = strlen(in->u.s) + 16;
    char *buf = malloc(len);
    if (!buf)
        return LRC_ENOMEM;
    snprintf(buf, len, "{\"got\": %s}", in->u.s);
    int rc = lrc_reply_set_json(out, buf);
    free(buf);
    return rc;
}

/* ---- failures ------------------------------------------------------------- */

/* Fails with a reason of ours. */
static int boom(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)out, (void)user;
    return lrc_command_fail(err, "PLAIN_Boom", "boom: %s", in->u.s);
}

/* Fails with a code only. */
static int bare_fail(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                     lrc_error **err)
{
    (void)dev, (void)in, (void)out, (void)user, (void)err;
    return LRC_ESTATE;
}

/* Declares a DOUBLE result and sets a LONG (refused), then nothing. */
static int wrong_kind(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                      lrc_error **err)
{
    (void)dev, (void)in, (void)user, (void)err;
    if (lrc_reply_set_long(out, 1) != LRC_EINVAL)
        return lrc_command_fail(err, "PLAIN_Bug", "a LONG was accepted for a DOUBLE result");
    return LRC_OK; /* no result: the kit fails the call */
}

/* The setters' own checks: wrong kind, bad JSON, bad UTF-8, NULL; then a
 * valid result, [1]. */
static int reply_checks(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                        lrc_error **err)
{
    (void)dev, (void)in, (void)user;
    const char *const bad_utf8[] = {"\xc3"};
    struct {
        int got, want;
        const char *what;
    } c[] = {
        {lrc_reply_set_json(out, "{bad"), LRC_EJSON, "invalid JSON"},
        {lrc_reply_set_json(out, "\"\xff\""), LRC_EINVAL, "JSON that is not UTF-8"},
        {lrc_reply_set_json(out, NULL), LRC_EINVAL, "NULL JSON"},
        {lrc_reply_set_string(out, "x"), LRC_EINVAL, "a STRING for a JSON result"},
        {lrc_reply_set_string_array(out, bad_utf8, 1), LRC_EINVAL, "a STRING_ARRAY"},
        {lrc_reply_set_double(NULL, 1.0), LRC_EINVAL, "a NULL reply"},
        {lrc_reply_set_json(out, "[1]"), LRC_OK, "valid JSON"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        if (c[i].got != c[i].want)
            return lrc_command_fail(err, "PLAIN_Bug", "%s gave %d, not %d", c[i].what, c[i].got,
                                    c[i].want);
    return LRC_OK;
}

/* A result Latin-1 cannot carry (the euro sign): the client gets
 * LRC_InvalidText. */
static int euro(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user, lrc_error **err)
{
    (void)dev, (void)in, (void)user, (void)err;
    return lrc_reply_set_string(out, "5 \xe2\x82\xac");
}

static bool only_when_on(lrc_device *dev, void *user)
{
    (void)user;
    return lrc_device_get_state(dev) == LRC_DEV_ON;
}

static int guarded(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                   lrc_error **err)
{
    (void)dev, (void)in, (void)user, (void)err;
    return lrc_reply_set_long(out, 42);
}

/* ---- state, status, logging ----------------------------------------------- */

static int set_state(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                     lrc_error **err)
{
    (void)out, (void)user;
    if (in->u.l < 0 || in->u.l > LRC_DEV_UNKNOWN)
        return lrc_command_fail(err, "PLAIN_BadState", "no state %lld", (long long)in->u.l);
    lrc_device_set_state(dev, (lrc_dev_state)in->u.l);
    return LRC_OK;
}

static int set_status(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                      lrc_error **err)
{
    (void)out, (void)user, (void)err;
    lrc_device_set_status(dev, in->u.s);
    return LRC_OK;
}

static int reset_status(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                        lrc_error **err)
{
    (void)in, (void)out, (void)user, (void)err;
    lrc_device_set_status(dev, NULL);
    return LRC_OK;
}

/* [level, text]: lrc_device_log(dev, level, "%s", text). */
static int log_cmd(lrc_device *dev, const lrc_arg *in, lrc_reply *out, void *user,
                   lrc_error **err)
{
    (void)out, (void)user;
    if (in->u.sa.n != 2)
        return lrc_command_fail(err, "PLAIN_BadArgument", "want [level, text]");
    lrc_device_log(dev, atoi(in->u.sa.v[0]), "%s", in->u.sa.v[1]);
    return LRC_OK;
}

/* ---- long running commands ------------------------------------------------ */

/* From the worker thread: MOVING, a status, then ON and the default status. */
static lrc_status move(lrc_task *t, const lrc_arg *arg, void *user)
{
    (void)arg, (void)user;
    lrc_device *dev = lrc_task_device(t);
    lrc_device_set_state(dev, LRC_DEV_MOVING);
    lrc_device_set_status(dev, "moving to the target");
    lrc_device_log(dev, LRC_LOG_INFO, "move started");
    lrc_task_sleep(t, 300);
    lrc_device_set_state(dev, LRC_DEV_ON);
    lrc_device_set_status(dev, NULL);
    lrc_task_set_result_code(t, LRC_RESULT_OK, "moved");
    return LRC_STATUS_COMPLETED;
}

/* A result that is not JSON: the kit refuses it and logs why. */
static lrc_status bad_result(lrc_task *t, const lrc_arg *arg, void *user)
{
    (void)arg, (void)user;
    lrc_task_set_result(t, "{not json");
    return LRC_STATUS_COMPLETED;
}

/* ---- set-up ---------------------------------------------------------------- */

/* A name the kit must refuse: init fails (device FAULT, saying which) if
 * it is accepted. */
static int expect_refused(lrc_device *dev, const char *name, bool plain, lrc_error **err)
{
    lrc_error *why = NULL;
    int rc;
    if (plain) {
        lrc_plain_command_def d = lrc_plain_command_def_init(name, LRC_ARG_NONE, LRC_ARG_NONE,
                                                             ping, NULL);
        rc = lrc_device_add_plain_command(dev, &d, &why);
    } else {
        lrc_command_def d = lrc_command_def_init(name, LRC_ARG_NONE, bad_result, NULL);
        rc = lrc_device_add_command(dev, &d, &why);
    }
    lrc_error_free(why);
    if (rc == LRC_EINVAL)
        return LRC_OK;
    return lrc_command_fail(err, "PLAIN_NameCheck", "%s command name %s was not refused (%d)",
                            plain ? "plain" : "LRC", name, rc);
}

static int init(lrc_device *dev, void *user, lrc_error **err)
{
    (void)user;
    static const struct {
        const char *name;
        lrc_arg_kind in, out;
        lrc_plain_fn fn;
    } plain[] = {
        {"Ping", LRC_ARG_NONE, LRC_ARG_NONE, ping},
        {"Negate", LRC_ARG_BOOL, LRC_ARG_BOOL, negate},
        {"Twice", LRC_ARG_LONG, LRC_ARG_LONG, twice},
        {"Half", LRC_ARG_DOUBLE, LRC_ARG_DOUBLE, half},
        {"Shout", LRC_ARG_STRING, LRC_ARG_STRING, shout},
        {"Sum", LRC_ARG_LONG_ARRAY, LRC_ARG_LONG, sum},
        {"Reversed", LRC_ARG_LONG_ARRAY, LRC_ARG_LONG_ARRAY, reversed},
        {"Scale", LRC_ARG_DOUBLE_ARRAY, LRC_ARG_DOUBLE_ARRAY, scale},
        {"Join", LRC_ARG_STRING_ARRAY, LRC_ARG_STRING, join},
        {"Words", LRC_ARG_STRING, LRC_ARG_STRING_ARRAY, words},
        {"Wrap", LRC_ARG_JSON, LRC_ARG_JSON, wrap},
        {"Boom", LRC_ARG_STRING, LRC_ARG_NONE, boom},
        {"BareFail", LRC_ARG_NONE, LRC_ARG_NONE, bare_fail},
        {"WrongKind", LRC_ARG_NONE, LRC_ARG_DOUBLE, wrong_kind},
        {"ReplyChecks", LRC_ARG_NONE, LRC_ARG_JSON, reply_checks},
        {"Euro", LRC_ARG_NONE, LRC_ARG_STRING, euro},
        {"SetState", LRC_ARG_LONG, LRC_ARG_NONE, set_state},
        {"SetStatus", LRC_ARG_STRING, LRC_ARG_NONE, set_status},
        {"ResetStatus", LRC_ARG_NONE, LRC_ARG_NONE, reset_status},
        {"Log", LRC_ARG_STRING_ARRAY, LRC_ARG_NONE, log_cmd},
    };
    int rc = LRC_OK;
    for (size_t i = 0; rc == LRC_OK && i < sizeof plain / sizeof plain[0]; i++) {
        lrc_plain_command_def d =
            lrc_plain_command_def_init(plain[i].name, plain[i].in, plain[i].out, plain[i].fn, NULL);
        rc = lrc_device_add_plain_command(dev, &d, err);
    }
    if (rc == LRC_OK) {
        lrc_plain_command_def d =
            lrc_plain_command_def_init("Guarded", LRC_ARG_NONE, LRC_ARG_LONG, guarded, NULL);
        d.allowed = only_when_on;
        rc = lrc_device_add_plain_command(dev, &d, err);
    }
    lrc_command_def mv = lrc_command_def_init("Move", LRC_ARG_NONE, move, NULL);
    lrc_command_def bad = lrc_command_def_init("BadResult", LRC_ARG_NONE, bad_result, NULL);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &mv, err);
    if (rc == LRC_OK)
        rc = lrc_device_add_command(dev, &bad, err);
    /* one name space for both kinds, case-insensitive, built-ins reserved */
    if (rc == LRC_OK)
        rc = expect_refused(dev, "twice", true, err);
    if (rc == LRC_OK)
        rc = expect_refused(dev, "TWICE", false, err);
    if (rc == LRC_OK)
        rc = expect_refused(dev, "move", true, err);
    if (rc == LRC_OK)
        rc = expect_refused(dev, "abort", true, err);
    if (rc == LRC_OK)
        rc = expect_refused(dev, "Status", true, err);
    if (rc == LRC_OK)
        rc = expect_refused(dev, "init", true, err);
    if (rc == LRC_OK)
        lrc_device_set_state(dev, LRC_DEV_ON);
    return rc;
}

int main(int argc, char **argv)
{
    lrc_server_config cfg = lrc_server_config_init("LrcPlainTest", init, NULL);
    return lrc_server_main(argc, argv, &cfg);
}
