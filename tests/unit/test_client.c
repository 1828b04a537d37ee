/* Unit tests of the client API (lrc/client.h) over a scripted fake device
 * (fake_transport.h): the client-side conformance points of the protocol
 * spec (section 6: 3-33, 35, 51-55) and the decisions of section 7.
 *
 * Callbacks run on a real lrc_scheduler (one worker). They are recorded
 * under a mutex and waited for with a 5 s limit. To prove that something was
 * NOT delivered, a "sentinel" invocation on the same proxy and scheduler
 * (hence the same callback queue, which is FIFO) is driven to its end
 * afterwards: once its final callback has run, every callback queued before
 * it has run too. Only the checks that a call does not return (a free
 * waiting for a running callback) use a short bounded wait.
 *
 * Like a real LRC device, the fake pushes the creation event (STAGING)
 * before a command returns, so every invocation's first update is STAGING;
 * without it, lrc_invoke waits 1 s on a young stream and then asks the
 * device (recover.c: test_lost_first_events covers that path).
 *
 * TEST_CLIENT_ONLY / TEST_CLIENT_SKIP (comma-separated fnmatch patterns)
 * select tests, e.g. to run the rest under a sanitizer past a known bug. */
#include "core/client_internal.h" /* lrc_proxy_open_with */
#include "fake_transport.h"
#include "test_util.h"
#include "lrc/client.h"
#include "lrc/device.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEVICE "test/fake/1"

#define LRC_EVENT "_lrcEvent"
#define V1_STATUS "longRunningCommandStatus"
#define V1_PROGRESS "longRunningCommandProgress"
#define V1_RESULT "longRunningCommandResult"

#define J_STAGING "{\"status\": 0}"
#define J_QUEUED "{\"status\": 1}"
#define J_IN_PROGRESS "{\"status\": 2}"
#define J_DONE "{\"status\": 5, \"result\": [0, \"done\"]}"


/* ------------------------------------------------------------------------
 * The fixture: a fake device, a scheduler with one worker, a proxy
 * ---------------------------------------------------------------------- */

typedef struct fx {
    fake_device *d;
    lrc_scheduler *s;
    lrc_proxy *p;
    lrc_invoke_options o; /* scheduler s */
} fx;

static void add_commands(fake_device *d)
{
    const char *voids[] = {"On", "Off", "Reset", "Sentinel", "Abort", "AbortCommands"};
    for (size_t i = 0; i < COUNT(voids); i++)
        fake_add_command(d, voids[i], LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    fake_add_command(d, "Echo", LRC_TG_STRING, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    fake_add_command(d, "SetLong", LRC_TG_LONG, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    fake_add_command(d, "SetBool", LRC_TG_BOOLEAN, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    fake_add_command(d, "SetDouble", LRC_TG_DOUBLE, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    fake_add_command(d, "State", LRC_TG_VOID, LRC_TG_STATE, NULL, NULL);
}

static int fx_setup_with(void **state, int64_t timeout_ms, int64_t linger_ms)
{
    logcap_reset(&test_hook);
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->d = fake_new(DEVICE);
    add_commands(f->d);
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.thread_count = 1;
    so.name = "test-client";
    assert_int_equal(lrc_scheduler_new(&so, &f->s, NULL), LRC_OK);
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.timeout_ms = timeout_ms;
    po.linger_ms = linger_ms; /* most tests: 0, streams end with their last use */
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_open_with(fake_transport(f->d), DEVICE, &po, &f->p, &err), LRC_OK);
    assert_null(err);
    lrc_invoke_options_init(&f->o);
    f->o.scheduler = f->s;
    *state = f;
    return 0;
}

static int fx_setup(void **state) { return fx_setup_with(state, 0, 0); }
static int fx_setup_short_timeout(void **state) { return fx_setup_with(state, 100, 0); }
/* streams linger as by default (30 s), or 500 ms */
static int fx_setup_lingering(void **state) { return fx_setup_with(state, 0, LRC_DEFAULT_LINGER_MS); }
static int fx_setup_short_linger(void **state) { return fx_setup_with(state, 0, 500); }

/* Closes everything and checks that nothing was left behind: no live
 * subscription, the connection closed, no unsubscribe of an unknown id. */
static int fx_teardown(void **state)
{
    fx *f = *state;
    bool clean = fake_close_all(f->s, f->p, f->d);
    free(f);
    assert_true(clean);
    return 0;
}


/* ------------------------------------------------------------------------
 * The update recorder (the callback of every invocation)
 * ---------------------------------------------------------------------- */

typedef struct rec {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    upd u[MAX_UPD];
    size_t n;
    fake_device *d;
    lrc_scheduler *s;
    lrc_subscription *sub; /* lrc_invoke's out parameter */
    size_t free_at;        /* free sub inside callback number free_at (1-based) */
    bool freed_in_cb;
    size_t block_at; /* callback number block_at waits for rec_release */
    bool blocked, released, gate_timeout;
    int linger_ms;   /* then lingers this long before returning */
    bool in_cb;
    bool final_seen;
    void (*action)(struct rec *r, size_t k); /* called in callback k, after recording */
    void *action_arg;
} rec;

static void rec_init(rec *r, fx *f)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->d = f->d;
    r->s = f->s;
}

static void rec_destroy(rec *r)
{
    upd_clear_all(r->u, r->n);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

static int lrc_live(fake_device *d)
{
    return fake_live(d, LRC_EVENT) + fake_live(d, V1_STATUS) + fake_live(d, V1_PROGRESS) +
           fake_live(d, V1_RESULT);
}

static void rec_cb(const lrc_update *u, void *user)
{
    rec *r = user;
    bool on_worker = lrc_scheduler_on_worker(r->s);
    int live = lrc_live(r->d);
    pthread_mutex_lock(&r->mu);
    r->in_cb = true;
    if (r->n < MAX_UPD) {
        upd *c = &r->u[r->n];
        upd_copy(c, u);
        c->live = live;
        c->on_worker = on_worker;
    }
    size_t k = ++r->n;
    if (u->final)
        r->final_seen = true;
    pthread_cond_broadcast(&r->cv);
    if (r->block_at == k) {
        r->blocked = true;
        pthread_cond_broadcast(&r->cv);
        if (!wait_flag(&r->mu, &r->cv, &r->released, WAIT_MS))
            r->gate_timeout = true;
    }
    int linger = r->linger_ms;
    bool do_free = r->free_at == k;
    pthread_mutex_unlock(&r->mu);
    if (linger)
        sleep_ms(linger); /* widens the window a too early free would hit */
    if (r->action)
        r->action(r, k);
    if (do_free) {
        lrc_subscription_free(r->sub);
        pthread_mutex_lock(&r->mu);
        r->freed_in_cb = true;
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_lock(&r->mu);
    r->in_cb = false;
    pthread_mutex_unlock(&r->mu);
}

static void rec_dump(rec *r, const char *title);

/* Waits until at least n callbacks were recorded (dumps them if not). */
static bool rec_wait(rec *r, size_t n)
{
    pthread_mutex_lock(&r->mu);
    bool ok = wait_count(&r->mu, &r->cv, &r->n, n, WAIT_MS);
    pthread_mutex_unlock(&r->mu);
    if (!ok)
        rec_dump(r, "timed out waiting for updates");
    return ok;
}

/* Waits until *flag (a member of r, guarded by r->mu) is true: one copy
 * of the locking for the flags the callback sets. */
static bool rec_wait_flag(rec *r, bool *flag)
{
    pthread_mutex_lock(&r->mu);
    bool ok = wait_flag(&r->mu, &r->cv, flag, WAIT_MS);
    pthread_mutex_unlock(&r->mu);
    return ok;
}

/* Waits for the final callback. */
static bool rec_wait_final(rec *r) { return rec_wait_flag(r, &r->final_seen); }

static size_t rec_n(rec *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Waits until the callback numbered block_at is blocked. */
static bool rec_wait_blocked(rec *r) { return rec_wait_flag(r, &r->blocked); }

static void rec_release(rec *r)
{
    pthread_mutex_lock(&r->mu);
    r->released = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void rec_dump(rec *r, const char *title)
{
    pthread_mutex_lock(&r->mu);
    fprintf(stderr, "-- %s: %zu updates\n", title, r->n);
    for (size_t i = 0; i < r->n && i < MAX_UPD; i++) {
        upd *u = &r->u[i];
        fprintf(stderr,
                "   #%zu id=%s has=0x%x status=%d progress=%lld result=%s extra=%s raw=%s "
                "error=%s final=%d live=%d\n",
                i, u->id, u->has, u->status, (long long)u->progress,
                u->result_json ? u->result_json : "-", u->extra_json ? u->extra_json : "-",
                u->status_raw ? u->status_raw : "-", u->error ? lrc_error_message(u->error) : "-",
                u->final, u->live);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Every update: about id, protocol version, on a worker of the scheduler,
 * with the library's struct size. */
static void rec_check_all(rec *r, const char *id, int version)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->n;
    pthread_mutex_unlock(&r->mu);
    for (size_t i = 0; i < n && i < MAX_UPD; i++) {
        assert_true(r->u[i].size_ok);
        assert_string_equal(r->u[i].id, id);
        assert_int_equal(r->u[i].version, version);
        assert_true(r->u[i].on_worker);
        assert_int_equal(r->u[i].final, i + 1 == n && r->u[i].final);
    }
}

static void assert_status(const upd *u, int status, bool final)
{
    assert_int_equal(u->has, LRC_HAS_STATUS);
    assert_int_equal(u->status, status);
    assert_int_equal(u->final, final);
}

static void assert_progress(const upd *u, int64_t progress)
{
    assert_int_equal(u->has, LRC_HAS_PROGRESS);
    assert_int_equal(u->progress, progress);
    assert_false(u->final);
}

/* The first update of every invocation: the device's creation event
 * (STAGING). Returns the updates after it. */
static const upd *after_creation(rec *r)
{
    assert_true(rec_wait(r, 1));
    assert_status(&r->u[0], LRC_STATUS_STAGING, false);
    return &r->u[1];
}

/* ------------------------------------------------------------------------
 * Invoking
 * ---------------------------------------------------------------------- */

/* lrc_invoke that must succeed; the handle goes to r->sub. */
static lrc_subscription *invoke_ok(fx *f, const char *cmd, const lrc_arg *arg, rec *r)
{
    lrc_error *err = NULL;
    int rc = lrc_invoke(f->p, cmd, arg, rec_cb, r, &f->o, &r->sub, &err);
    if (rc != LRC_OK)
        fprintf(stderr, "lrc_invoke(%s): %d %s\n", cmd, rc, lrc_error_message(err));
    assert_int_equal(rc, LRC_OK);
    assert_null(err);
    assert_non_null(r->sub);
    return r->sub;
}

/* lrc_invoke that must fail with code; returns the error (caller frees). */
static lrc_error *invoke_fail(fx *f, const char *cmd, const lrc_arg *arg, rec *r, int code)
{
    lrc_error *err = NULL;
    lrc_subscription *sub = (lrc_subscription *)&err; /* garbage: must be reset to NULL */
    int rc = lrc_invoke(f->p, cmd, arg, rec_cb, r, &f->o, &sub, &err);
    if (rc != code)
        fprintf(stderr, "lrc_invoke(%s): %d %s\n", cmd, rc, lrc_error_message(err));
    assert_int_equal(rc, code);
    assert_null(sub);
    assert_non_null(err);
    assert_int_equal(lrc_error_code(err), code);
    return err;
}

/* Drives a "Sentinel" invocation on the same proxy and scheduler to its
 * end: afterwards every callback queued before it has run. */
static void sentinel(fx *f)
{
    rec rs;
    rec_init(&rs, f);
    lrc_subscription *s = invoke_ok(f, "Sentinel", NULL, &rs);
    const char *id = lrc_subscription_command_id(s);
    if (lrc_subscription_protocol_version(s) == 2)
        assert_int_equal(fake_push_lrc(f->d, id, "{\"status\": 5}"), 1);
    else
        assert_true(PUSH(f->d, V1_STATUS, id, "COMPLETED") >= 1);
    assert_true(rec_wait_final(&rs));
    assert_int_equal(rs.n, 2); /* the creation event and the final one */
    assert_status(&rs.u[0], LRC_STATUS_STAGING, false);
    assert_true(rs.u[1].final);
    lrc_subscription_free(s);
    rec_destroy(&rs);
}

/* A command handler driven by a script: the creation event (unless
 * silent), early[], an early error event, then the reply or a failure. */
typedef struct script {
    bool silent;             /* no creation event (STAGING) before early[] */
    int64_t code;            /* the reply's ResultCode */
    const char *text;        /* the reply's text; NULL: the new command ID */
    const char *attr;        /* where early[] goes (NULL: _lrcEvent) */
    const char *early[8];    /* values pushed as [ID, early[i]] before replying */
    bool early_error;        /* then an API_EventTimeout error event on attr */
    bool on_thread;          /* push from a helper thread (a Tango thread) */
    const char *fail_reason; /* fail with this DevError instead of replying */
    const char *fail_desc;
    char id[128]; /* the ID allocated by the last call */
    int calls;
} script;

#define EVENT_TIMEOUT_DESC                                                                   \
    "Event channel is not responding anymore, maybe the server or event system is down"

static int script_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                          lrc_tg_value *out, lrc_error **err)
{
    (void)in;
    script *sc = user;
    char *id = fake_new_id(d, cmd);
    snprintf(sc->id, sizeof sc->id, "%s", id);
    sc->calls++;
    const char *attr = sc->attr ? sc->attr : LRC_EVENT;
    if (!sc->silent)
        fake_push_creation(d, id, sc->on_thread);
    for (size_t i = 0; i < COUNT(sc->early) && sc->early[i]; i++) {
        const char *sv[2] = {id, sc->early[i]};
        if (sc->on_thread)
            fake_push_strings_thread(d, attr, sv, 2);
        else
            fake_push_strings(d, attr, sv, 2);
    }
    if (sc->early_error) {
        if (sc->on_thread)
            fake_push_error_thread(d, attr, "API_EventTimeout", EVENT_TIMEOUT_DESC);
        else
            fake_push_error(d, attr, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    }
    if (sc->fail_reason) {
        *err = fake_command_failed(d, cmd, sc->fail_reason, sc->fail_desc);
        free(id);
        return LRC_ETANGO;
    }
    fake_reply(out, sc->code, sc->text ? sc->text : id);
    free(id);
    return LRC_OK;
}

static void set_script(fx *f, const char *cmd, lrc_tg_type in, script *sc)
{
    fake_add_command(f->d, cmd, in, LRC_TG_LONG_STRING_ARRAY, script_handler, sc);
}

static void assert_trace(fx *f, const char *expected) { assert_fake_trace(f->d, expected); }

/* The opening of most tests, in one place: scripts On with sc (NULL: On
 * as add_commands declared it), starts recording into r and invokes On
 * without argument, which must succeed. Close with end_invocation. */
static lrc_subscription *start_on(fx *f, script *sc, rec *r)
{
    if (sc)
        set_script(f, "On", LRC_TG_VOID, sc);
    rec_init(r, f);
    return invoke_ok(f, "On", NULL, r);
}

/* The closing of an invocation begun with start_on (or invoke_ok
 * after rec_init): frees the subscription, then the recorder, whose
 * callbacks have all run by then. */
static void end_invocation(lrc_subscription *s, rec *r)
{
    lrc_subscription_free(s);
    rec_destroy(r);
}

/* ========================================================================
 * 3: invalid arguments give LRC_EINVAL before any call to the device
 * ====================================================================== */

static void test_invalid_arguments_make_no_device_call(void **state)
{
    fx *f = *state;
    rec r;
    rec_init(&r, f);
    lrc_error *err = NULL;
    lrc_subscription *sub = (lrc_subscription *)&r;

    /* NULL callback */
    assert_int_equal(lrc_invoke(f->p, "On", NULL, NULL, &r, &f->o, &sub, &err), LRC_EINVAL);
    assert_null(sub);
    assert_string_equal(lrc_error_message(err), "lrc_invoke: NULL callback");
    lrc_error_free(err);
    err = NULL;
    /* NULL proxy, no command name; err may be NULL */
    assert_int_equal(lrc_invoke(NULL, "On", NULL, rec_cb, &r, &f->o, &sub, NULL), LRC_EINVAL);
    assert_int_equal(lrc_invoke(f->p, NULL, NULL, rec_cb, &r, &f->o, &sub, NULL), LRC_EINVAL);
    assert_int_equal(lrc_invoke(f->p, "", NULL, rec_cb, &r, &f->o, NULL, NULL), LRC_EINVAL);

    /* malformed arguments */
    lrc_arg bad[5];
    bad[0] = lrc_arg_string(NULL);
    bad[1] = lrc_arg_json("{\"a\": ");
    bad[2] = lrc_arg_long_array(NULL, 2);
    const char *strs[] = {"a", NULL};
    bad[3] = lrc_arg_string_array(strs, 2);
    bad[4] = lrc_arg_none();
    bad[4].kind = (lrc_arg_kind)99;
    for (size_t i = 0; i < COUNT(bad); i++) {
        sub = (lrc_subscription *)&r;
        assert_int_equal(lrc_invoke(f->p, "Echo", &bad[i], rec_cb, &r, &f->o, &sub, &err),
                         LRC_EINVAL);
        assert_null(sub);
        assert_non_null(err);
        assert_int_equal(lrc_error_code(err), LRC_EINVAL);
        lrc_error_free(err);
        err = NULL;
    }
    /* options not initialised */
    lrc_invoke_options zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, &zero, &sub, &err), LRC_EINVAL);
    lrc_error_free(err);
    err = NULL;

    assert_int_equal(fake_calls(f->d), 0);
    assert_trace(f, "");

    /* Step 2 needs the signature, and nothing more: a command that is no
     * LRC, an argument of the wrong type, a missing argument. */
    lrc_error *e = invoke_fail(f, "State", NULL, &r, LRC_EINVAL);
    assert_string_equal(lrc_error_message(e), "'State' is not a long running command: it "
                                              "returns DevState, not DevVarLongStringArray");
    lrc_error_free(e);
    lrc_arg text = lrc_arg_string("x");
    e = invoke_fail(f, "SetLong", &text, &r, LRC_EINVAL);
    lrc_error_free(e);
    e = invoke_fail(f, "SetLong", NULL, &r, LRC_EINVAL);
    assert_string_equal(lrc_error_message(e), "command 'SetLong' needs an argument (DevLong)");
    lrc_error_free(e);
    lrc_arg zero_arg = lrc_arg_long(0);
    e = invoke_fail(f, "On", &zero_arg, &r, LRC_EINVAL);
    assert_string_equal(lrc_error_message(e), "command 'On' takes no argument");
    lrc_error_free(e);
    assert_trace(f, "query:State query:SetLong query:On"); /* signatures are cached */
    assert_int_equal(fake_inout_calls(f->d), 0);
    assert_int_equal(fake_subscribes(f->d, NULL), 0);
    assert_int_equal(rec_n(&r), 0);

    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.invocations, 0);
    assert_int_equal(st.subscribes, 0);
    rec_destroy(&r);
}

static void test_proxy_open_arguments(void **state)
{
    fx *f = *state;
    lrc_proxy *p = (lrc_proxy *)f;
    lrc_error *err = NULL;
    int opens = fake_opens(f->d);
    assert_int_equal(lrc_proxy_open_with(fake_transport(f->d), "", NULL, &p, &err), LRC_EINVAL);
    assert_null(p);
    lrc_error_free(err);
    err = NULL;
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    po.timeout_ms = -1;
    assert_int_equal(lrc_proxy_open_with(fake_transport(f->d), DEVICE, &po, &p, &err),
                     LRC_EINVAL);
    lrc_error_free(err);
    memset(&po, 0, sizeof po);
    assert_int_equal(lrc_proxy_open_with(fake_transport(f->d), DEVICE, &po, &p, NULL),
                     LRC_EINVAL);
    assert_int_equal(fake_opens(f->d), opens);

    /* the default timeout reaches the transport; the name is kept */
    assert_string_equal(lrc_proxy_name(f->p), DEVICE);
    assert_int_equal(lrc_proxy_timeout_ms(f->p), 3000);
    assert_int_equal(fake_timeout_ms(f->d), 3000);
    lrc_proxy_close(NULL);
}

/* ========================================================================
 * 4-6: protocol negotiation
 * ====================================================================== */

/* Listener calls the proxy's event routing has made so far. */
static uint64_t route_visits(fx *f)
{
    pthread_mutex_lock(&f->p->mu);
    uint64_t v = f->p->visits;
    pthread_mutex_unlock(&f->p->mu);
    return v;
}

/* Routing by command ID: with many invocations in flight on the same
 * streams, an event visits only the invocations it names (counted through
 * the proxy's visit counter, not timed), they get their update and the
 * others nothing. v2 (_lrcEvent) and the v1 progress list (two IDs named)
 * and result. */
static void routes_only_to_named(fx *f, bool v1)
{
    enum { K = 64 };
    if (v1)
        fake_set_protocol(f->d, false, 0, 0);
    rec *r = calloc(K, sizeof *r);
    assert_non_null(r);
    const char *id[K];
    for (size_t k = 0; k < K; k++) {
        rec_init(&r[k], f);
        id[k] = lrc_subscription_command_id(invoke_ok(f, "On", NULL, &r[k]));
        assert_true(rec_wait(&r[k], 1)); /* the creation event */
    }
    uint64_t before = route_visits(f);
    if (v1) {
        assert_true(PUSH(f->d, V1_PROGRESS, id[3], "30", id[40], "90") >= 1);
        assert_int_equal(route_visits(f) - before, 2);
        assert_true(PUSH(f->d, V1_RESULT, id[7], "[0, \"ok\"]") >= 1);
        assert_int_equal(route_visits(f) - before, 3);
    } else {
        assert_int_equal(fake_push_lrc(f->d, id[3], "{\"progress\": 30}"), 1);
        assert_int_equal(fake_push_lrc(f->d, id[40], "{\"progress\": 90}"), 1);
        assert_int_equal(route_visits(f) - before, 2);
        assert_int_equal(fake_push_lrc(f->d, id[7], "{\"result\": [0, \"ok\"]}"), 1);
        assert_int_equal(route_visits(f) - before, 3);
    }
    /* an ID nobody follows visits nobody */
    assert_int_equal(fake_push_lrc(f->d, "1_1_Nobody", "{\"progress\": 1}"), v1 ? 0 : 1);
    assert_int_equal(route_visits(f) - before, 3);
    sentinel(f); /* every callback queued so far has run */
    for (size_t k = 0; k < K; k++) {
        size_t want = k == 3 || k == 40 || k == 7 ? 2 : 1;
        assert_int_equal(rec_n(&r[k]), want);
        if (want == 2 && k != 7)
            assert_int_equal(r[k].u[1].progress, k == 3 ? 30 : 90);
        if (k == 7)
            assert_true(r[k].u[1].has & LRC_HAS_RESULT);
    }
    for (size_t k = 0; k < K; k++) {
        lrc_subscription_free(r[k].sub);
        rec_destroy(&r[k]);
    }
    free(r);
}

static void test_event_visits_only_its_invocation_v2(void **state)
{
    routes_only_to_named(*state, false);
}

static void test_event_visits_only_its_invocation_v1(void **state)
{
    routes_only_to_named(*state, true);
}

static void test_v1_device_subscribes_three_v1_attributes(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    assert_int_equal(lrc_subscription_protocol_version(s), 1);
    assert_trace(f, "query:On attrs sub:longRunningCommandStatus sub:longRunningCommandProgress "
                    "sub:longRunningCommandResult inout:On");
    assert_int_equal(fake_live(f->d, V1_STATUS), 1);
    assert_int_equal(fake_live(f->d, V1_PROGRESS), 1);
    assert_int_equal(fake_live(f->d, V1_RESULT), 1);
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), 0);
    assert_true(rec_wait(&r, 1)); /* the creation event, from the status list */
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    rec_check_all(&r, lrc_subscription_command_id(s), 1);
    fake_trace_clear(f->d);
    lrc_subscription_free(s);
    assert_int_equal(fake_live_total(f->d), 0);
    char *t = fake_trace(f->d); /* release order is not specified: count them */
    assert_non_null(strstr(t, "unsub:longRunningCommandStatus"));
    assert_non_null(strstr(t, "unsub:longRunningCommandProgress"));
    assert_non_null(strstr(t, "unsub:longRunningCommandResult"));
    free(t);
    assert_int_equal(rec_n(&r), 1);
    rec_destroy(&r);
}

static void test_v2_device_subscribes_only_lrc_event(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    rec r;
    lrc_subscription *s = start_on(f, &sc, &r);
    assert_int_equal(lrc_subscription_protocol_version(s), 2);
    assert_string_equal(lrc_subscription_command_id(s), sc.id);
    assert_trace(f, "query:On attrs read:lrcProtocolVersions sub:_lrcEvent inout:On");
    assert_int_equal(fake_live_total(f->d), 1);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    lrc_subscription_free(s);
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&r);
}

static void test_negotiation_ranges(void **state)
{
    fx *f = *state;
    struct {
        int64_t min, max;
        int version;
    } ok[] = {{1, 1, 1}, {2, 5, 2}, {1, 2, 2}, {0, 1, 1}, {2, 2, 2}};
    for (size_t i = 0; i < COUNT(ok); i++) {
        fake_set_protocol(f->d, true, ok[i].min, ok[i].max);
        rec r;
        lrc_subscription *s = start_on(f, NULL, &r);
        assert_int_equal(lrc_subscription_protocol_version(s), ok[i].version);
        assert_int_equal(fake_live(f->d, LRC_EVENT), ok[i].version == 2 ? 1 : 0);
        assert_int_equal(fake_live(f->d, V1_STATUS), ok[i].version == 1 ? 1 : 0);
        end_invocation(s, &r);
    }

    fake_set_protocol(f->d, true, 3, 4);
    fake_trace_clear(f->d);
    rec r;
    rec_init(&r, f);
    lrc_error *e = invoke_fail(f, "On", NULL, &r, LRC_EPROTOCOL);
    const char *msg = "This version of invoke_lrc() is not compatible with any of the server's "
                      "supported LRC protocols! Client version min, max = (1, 2) - Server "
                      "version min, max = (3, 4)";
    assert_string_equal(lrc_error_message(e), msg);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, msg), 1);
    assert_trace(f, "attrs read:lrcProtocolVersions"); /* nothing subscribed, nothing run */
    lrc_error_free(e);

    fake_set_protocol(f->d, true, 0, 0);
    e = invoke_fail(f, "On", NULL, &r, LRC_EPROTOCOL);
    assert_non_null(strstr(lrc_error_message(e), "Server version min, max = (0, 0)"));
    lrc_error_free(e);
    assert_int_equal(fake_live_total(f->d), 0);
    assert_int_equal(fake_inout_calls(f->d), (int)COUNT(ok));
    rec_destroy(&r);
}

/* Impossible lrcProtocolVersions (docs/bad-input.md): a value that is no
 * [min, max] pair of integers gives LRC_EPROTOCOL, nothing subscribed,
 * nothing run; an inverted range [2, 1] passes ska's test (smin <= 2,
 * 1 <= smax) and gives v1 as in ska's client. */
static void test_impossible_protocol_versions(void **state)
{
    fx *f = *state;
    rec r;
    rec_init(&r, f);
    fake_set_protocol(f->d, true, 2, 1);
    lrc_protocol_info pi;
    lrc_protocol_info_init(&pi);
    assert_int_equal(lrc_proxy_protocol(f->p, &pi, NULL), LRC_OK);
    assert_int_equal(pi.version, 1);
    assert_int_equal(pi.server_min, 2);
    assert_int_equal(pi.server_max, 1);
    lrc_error *e;

    lrc_tg_value text = {.type = LRC_TG_STRING, .s = (char *)"garbage"};
    fake_set_value(f->d, "lrcProtocolVersions", &text);
    e = invoke_fail(f, "On", NULL, &r, LRC_EPROTOCOL);
    assert_string_equal(lrc_error_message(e),
                        DEVICE ": lrcProtocolVersions is not a [min, max] pair of integers "
                               "(DevString of 0 elements)");
    lrc_error_free(e);
    int64_t three[] = {1, 2, 3};
    lrc_tg_value v3 = {.type = LRC_TG_LONG64_ARRAY, .iv = three, .ni = 3};
    fake_set_value(f->d, "lrcProtocolVersions", &v3);
    e = invoke_fail(f, "On", NULL, &r, LRC_EPROTOCOL);
    assert_non_null(strstr(lrc_error_message(e), "not a [min, max] pair"));
    lrc_error_free(e);
    double dbl[] = {1.0, 2.0};
    lrc_tg_value vd = {.type = LRC_TG_DOUBLE_ARRAY, .dv = dbl, .nd = 2};
    fake_set_value(f->d, "lrcProtocolVersions", &vd);
    e = invoke_fail(f, "On", NULL, &r, LRC_EPROTOCOL);
    assert_non_null(strstr(lrc_error_message(e), "not a [min, max] pair"));
    lrc_error_free(e);
    assert_int_equal(fake_inout_calls(f->d), 0);
    assert_int_equal(fake_subscribes(f->d, NULL), 0);
    assert_int_equal(rec_n(&r), 0);
    rec_destroy(&r);
}

/* ========================================================================
 * 7-10, 16: failures of the invocation itself
 * ====================================================================== */

/* The trace is `prefix` followed by the tokens of `unsubs` in any order. */
static void assert_trace_then(fx *f, const char *prefix, const char *const *unsubs, size_t n)
{
    char *t = fake_trace(f->d);
    size_t len = strlen(prefix), total = len;
    if (strncmp(t, prefix, len) != 0)
        fprintf(stderr, "trace: %s\nwanted first: %s\n", t, prefix);
    assert_memory_equal(t, prefix, len);
    for (size_t i = 0; i < n; i++) {
        char token[128];
        snprintf(token, sizeof token, " %s", unsubs[i]);
        assert_non_null(strstr(t + len, token));
        total += strlen(token);
    }
    assert_int_equal(strlen(t), total);
    free(t);
}

static void check_subscribe_failure(fx *f, const char *attr, const char *trace,
                                    const char *const *unsubs, size_t nunsubs)
{
    fake_fail_subscribe(f->d, attr, "API_AttributePollingNotStarted",
                        "The polling (necessary to send events) for the attribute is not "
                        "started");
    fake_trace_clear(f->d);
    rec r;
    rec_init(&r, f);
    lrc_error *e = invoke_fail(f, "On", NULL, &r, LRC_ETANGO);
    char desc[128];
    snprintf(desc, sizeof desc, "Subscribing to '%s' change event failed.", attr);
    assert_string_equal(lrc_error_message(e), desc);
    assert_int_equal(lrc_error_count(e), 3);
    assert_dev_error(e, 0, "API_AttributePollingNotStarted",
                     "The polling (necessary to send events) for the attribute is not started");
    assert_dev_error(e, 1, "API_EventSystemFailed",
                     "Failed to connect to event channel for device " DEVICE);
    assert_dev_error(e, 2, "SKA_InvokeLrcFailed", desc);
    assert_int_equal(lrc_error_at(e, 2)->severity, LRC_SEVERITY_ERR);
    lrc_error_free(e);
    assert_trace_then(f, trace, unsubs, nunsubs);
    assert_int_equal(fake_live_total(f->d), 0);
    fake_fail_subscribe(f->d, NULL, "", "");
    sentinel(f);
    assert_int_equal(rec_n(&r), 0);
    rec_destroy(&r);
}

static void test_subscribe_failure_unsubscribes_earlier_streams(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    rec warm; /* caches the signature of On */
    rec_init(&warm, f);
    lrc_subscription_free(invoke_ok(f, "On", NULL, &warm));
    rec_destroy(&warm);
    const char *status[] = {"unsub:longRunningCommandStatus"};
    const char *both[] = {"unsub:longRunningCommandStatus", "unsub:longRunningCommandProgress"};
    check_subscribe_failure(f, V1_PROGRESS,
                            "attrs sub:longRunningCommandStatus subfail:longRunningCommandProgress",
                            status, 1);
    check_subscribe_failure(f, V1_STATUS, "attrs subfail:longRunningCommandStatus", NULL, 0);
    check_subscribe_failure(f, V1_RESULT,
                            "attrs sub:longRunningCommandStatus sub:longRunningCommandProgress "
                            "subfail:longRunningCommandResult",
                            both, 2);
    fake_set_protocol(f->d, true, 1, 2);
    check_subscribe_failure(f, LRC_EVENT, "attrs read:lrcProtocolVersions subfail:_lrcEvent", NULL,
                            0);
}

static int fail_reset(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                      lrc_tg_value *out, lrc_error **err)
{
    (void)user;
    (void)in;
    (void)out;
    *err = fake_command_failed(d, cmd, "API_CommandNotAllowed",
                               "Command Reset not allowed when the device is in OFF state");
    return LRC_ETANGO;
}

static void check_invocation_failure(fx *f, const char *cmd, const lrc_arg *arg,
                                     const char *args_repr)
{
    fake_trace_clear(f->d);
    rec r;
    rec_init(&r, f);
    lrc_error *e = invoke_fail(f, cmd, arg, &r, LRC_ETANGO);
    char msg[512], outer[256];
    snprintf(msg, sizeof msg, "Invocation of command '%s' failed with args: %s", cmd, args_repr);
    snprintf(outer, sizeof outer,
             "Failed to execute command_inout on device " DEVICE ", command %s", cmd);
    assert_string_equal(lrc_error_message(e), msg);
    assert_int_equal(lrc_error_count(e), 3);
    assert_dev_error(e, 0, "API_CommandNotAllowed",
                     "Command Reset not allowed when the device is in OFF state");
    assert_dev_error(e, 1, "API_CommandFailed", outer);
    assert_dev_error(e, 2, "SKA_InvokeLrcFailed", msg);
    lrc_error_free(e);
    char trace[256];
    snprintf(trace, sizeof trace, "attrs read:lrcProtocolVersions sub:_lrcEvent inout:%s "
                                  "unsub:_lrcEvent", cmd);
    char *t = fake_trace(f->d);
    assert_non_null(strstr(t, trace)); /* the first call also asks the signature */
    free(t);
    assert_int_equal(fake_live_total(f->d), 0);
    sentinel(f);
    assert_int_equal(rec_n(&r), 0);
    rec_destroy(&r);
}

static void test_command_failure_is_rethrown(void **state)
{
    fx *f = *state;
    fake_add_command(f->d, "Reset", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, fail_reset, NULL);
    fake_add_command(f->d, "SetLong", LRC_TG_LONG, LRC_TG_LONG_STRING_ARRAY, fail_reset, NULL);
    fake_add_command(f->d, "Echo", LRC_TG_STRING, LRC_TG_LONG_STRING_ARRAY, fail_reset, NULL);
    check_invocation_failure(f, "Reset", NULL, "None");
    lrc_arg none = lrc_arg_none();
    check_invocation_failure(f, "Reset", &none, "None");
    lrc_arg five = lrc_arg_long(5);
    check_invocation_failure(f, "SetLong", &five, "(5,)");
    lrc_arg hello = lrc_arg_string("hello");
    check_invocation_failure(f, "Echo", &hello, "('hello',)");
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.invocations, 4); /* the sentinels only */
}

static void test_unknown_command_is_rethrown(void **state)
{
    fx *f = *state;
    rec r;
    rec_init(&r, f);
    lrc_error *e = invoke_fail(f, "Nope", NULL, &r, LRC_ETANGO);
    assert_string_equal(lrc_error_message(e),
                        "Invocation of command 'Nope' failed with args: None");
    assert_int_equal(lrc_error_count(e), 2);
    assert_dev_error(e, 0, "API_CommandNotFound", "Command Nope not found");
    assert_dev_error(e, 1, "SKA_InvokeLrcFailed",
                     "Invocation of command 'Nope' failed with args: None");
    lrc_error_free(e);
    assert_trace(f, "query:Nope");
    rec_destroy(&r);
}

static void test_rejected_command(void **state)
{
    fx *f = *state;
    script sc = {.silent = true, /* no ID, no event */
                 .code = LRC_RESULT_REJECTED,
                 .text = "Device is already in ON state."};
    set_script(f, "On", LRC_TG_VOID, &sc);
    rec r;
    rec_init(&r, f);
    lrc_error *e = invoke_fail(f, "On", NULL, &r, LRC_EREJECTED);
    const char *msg = "On command rejected: Device is already in ON state.";
    assert_string_equal(lrc_error_message(e), msg);
    assert_int_equal(lrc_error_count(e), 0);
    lrc_error_free(e);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, msg), 1);
    assert_trace(f, "query:On attrs read:lrcProtocolVersions sub:_lrcEvent inout:On "
                    "unsub:_lrcEvent");
    assert_int_equal(fake_live_total(f->d), 0);
    /* fire and forget fails the same way */
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, &f->o, NULL, NULL), LRC_EREJECTED);
    assert_int_equal(fake_live_total(f->d), 0);
    sentinel(f);
    assert_int_equal(rec_n(&r), 0);
    rec_destroy(&r);
}

static void test_unexpected_result_codes(void **state)
{
    fx *f = *state;
    struct {
        int64_t code;
        const char *name;
    } codes[] = {{LRC_RESULT_OK, "OK"},
                 {LRC_RESULT_FAILED, "FAILED"},
                 {LRC_RESULT_UNKNOWN, "UNKNOWN"},
                 {LRC_RESULT_NOT_ALLOWED, "NOT_ALLOWED"},
                 {LRC_RESULT_ABORTED, "ABORTED"},
                 {42, "not a ResultCode"}};
    script sc = {0};
    set_script(f, "On", LRC_TG_VOID, &sc);
    rec r;
    rec_init(&r, f);
    for (size_t i = 0; i < COUNT(codes); i++) {
        sc.code = codes[i].code;
        sc.early[0] = J_QUEUED; /* dropped with the invocation, as the creation event */
        int unsubs = fake_unsubscribes(f->d, LRC_EVENT);
        lrc_error *e = invoke_fail(f, "On", NULL, &r, LRC_ERESULTCODE);
        char msg[128];
        snprintf(msg, sizeof msg, "Unexpected result code for On command: %lld (%s)",
                 (long long)codes[i].code, codes[i].name);
        assert_string_equal(lrc_error_message(e), msg);
        assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, msg), 1);
        lrc_error_free(e);
        assert_int_equal(fake_live_total(f->d), 0);
        assert_int_equal(fake_unsubscribes(f->d, LRC_EVENT), unsubs + 1);
    }
    sentinel(f);
    assert_int_equal(rec_n(&r), 0);
    rec_destroy(&r);
}

static int bad_shape_reply(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                           lrc_tg_value *out, lrc_error **err)
{
    (void)d, (void)user, (void)cmd, (void)in, (void)err;
    fake_reply(out, LRC_RESULT_QUEUED, "x");
    free(out->sv[0]);
    free(out->sv);
    out->sv = NULL;
    out->ns = 0; /* [[2], []] */
    return LRC_OK;
}

static void test_reply_of_wrong_shape(void **state)
{
    fx *f = *state;
    fake_add_command(f->d, "On", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, bad_shape_reply, NULL);
    rec r;
    rec_init(&r, f);
    lrc_error *e = invoke_fail(f, "On", NULL, &r, LRC_ERESULTCODE);
    lrc_error_free(e);
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&r);
}

/* Issue 10 item 4: an accepted code whose string is no command ID (the
 * deprecated AbortCommands replies [[1], ["Aborting commands"]]) is not
 * followed as a command. */
static void test_reply_that_is_not_an_id(void **state)
{
    fx *f = *state;
    const char *texts[] = {"Aborting commands", "", "id\twith\ttabs", "line\n"};
    script sc = {.silent = true, .code = LRC_RESULT_STARTED};
    set_script(f, "AbortCommands", LRC_TG_VOID, &sc);
    rec r;
    rec_init(&r, f);
    for (size_t i = 0; i < COUNT(texts); i++) {
        sc.text = texts[i];
        sc.code = i % 2 ? LRC_RESULT_QUEUED : LRC_RESULT_STARTED;
        lrc_error *e = invoke_fail(f, "AbortCommands", NULL, &r, LRC_ERESULTCODE);
        assert_non_null(strstr(lrc_error_message(e), "is not a command ID"));
        lrc_error_free(e);
        assert_int_equal(fake_live_total(f->d), 0);
    }
    /* foreign shapes of IDs are still accepted */
    sc.text = "abc-123";
    lrc_subscription *s = invoke_ok(f, "AbortCommands", NULL, &r);
    assert_string_equal(lrc_subscription_command_id(s), "abc-123");
    lrc_subscription_free(s);
    sentinel(f);
    assert_int_equal(rec_n(&r), 0);
    rec_destroy(&r);
}

/* 16: events pushed before the command fails are dropped with it. */
static void test_failed_invocation_discards_early_events(void **state)
{
    fx *f = *state;
    rec r;
    rec_init(&r, f);
    /* the ska "Queue is being aborted" case: STAGING, then REJECTED */
    script rej = {.code = LRC_RESULT_REJECTED,
                  .text = "Queue is being aborted",
                  .early = {"{\"status\": 6, \"result\": [5, \"Queue is being aborted\"]}"}};
    set_script(f, "On", LRC_TG_VOID, &rej);
    lrc_error *e = invoke_fail(f, "On", NULL, &r, LRC_EREJECTED);
    assert_string_equal(lrc_error_message(e), "On command rejected: Queue is being aborted");
    lrc_error_free(e);
    assert_int_equal(fake_live_total(f->d), 0);

    /* a DevFailed after early events and an early error event, from a Tango thread */
    script fail = {.early = {J_QUEUED},
                   .early_error = true,
                   .on_thread = true,
                   .fail_reason = "API_CommandNotAllowed",
                   .fail_desc = "Command Reset not allowed when the device is in OFF state"};
    set_script(f, "Reset", LRC_TG_VOID, &fail);
    e = invoke_fail(f, "Reset", NULL, &r, LRC_ETANGO);
    lrc_error_free(e);
    assert_int_equal(fake_live_total(f->d), 0);
    /* the IDs come back later: nobody listens */
    fake_push_lrc(f->d, rej.id, J_IN_PROGRESS);
    fake_push_lrc(f->d, fail.id, J_IN_PROGRESS);
    sentinel(f);
    assert_int_equal(rec_n(&r), 0);
    /* the early error event was not logged either: the failure was returned */
    char msg[512];
    snprintf(msg, sizeof msg, "'%s' command encountered error(s): API_EventTimeout: %s", fail.id,
             EVENT_TIMEOUT_DESC);
    assert_int_equal(logcap_count(&test_hook, 0, msg), 0);
    rec_destroy(&r);
}

/* ========================================================================
 * 11, 12, 32: accepted replies, arguments, the handle
 * ====================================================================== */

static void test_queued_and_started_accepted(void **state)
{
    fx *f = *state;
    script q = {.code = LRC_RESULT_QUEUED};
    script s = {.code = LRC_RESULT_STARTED};
    set_script(f, "On", LRC_TG_VOID, &q);
    set_script(f, "Abort", LRC_TG_VOID, &s);
    rec r1, r2;
    rec_init(&r1, f);
    rec_init(&r2, f);
    lrc_subscription *a = invoke_ok(f, "On", NULL, &r1);
    lrc_subscription *b = invoke_ok(f, "Abort", NULL, &r2);
    assert_string_equal(lrc_subscription_command_id(a), q.id);
    assert_string_equal(lrc_subscription_command_id(b), s.id);
    assert_non_null(strstr(s.id, "_Abort"));
    fake_push_lrc(f->d, s.id, J_IN_PROGRESS);
    assert_true(rec_wait(&r2, 2));
    assert_status(&r2.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r2.u[1], LRC_STATUS_IN_PROGRESS, false);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.invocations, 2);
    assert_int_equal(st.subscribes, 1); /* one shared stream */
    assert_int_equal(st.streams, 1);
    lrc_subscription_free(a);
    lrc_subscription_free(b);
    assert_null(lrc_subscription_command_id(NULL));
    assert_int_equal(lrc_subscription_protocol_version(NULL), 0);
    lrc_subscription_free(NULL);
    rec_destroy(&r1);
    rec_destroy(&r2);
}

static void test_no_argument_and_falsy_arguments_differ(void **state)
{
    fx *f = *state;
    rec r;
    rec_init(&r, f);
    lrc_tg_value v;

    invoke_ok(f, "On", NULL, &r);
    lrc_subscription_free(r.sub);
    v = fake_last_input(f->d);
    assert_int_equal(v.type, LRC_TG_VOID);
    lrc_tg_value_clear(&v);

    lrc_arg none = lrc_arg_none();
    invoke_ok(f, "On", &none, &r);
    lrc_subscription_free(r.sub);
    v = fake_last_input(f->d);
    assert_int_equal(v.type, LRC_TG_VOID);
    lrc_tg_value_clear(&v);

    lrc_arg zero = lrc_arg_long(0);
    invoke_ok(f, "SetLong", &zero, &r);
    lrc_subscription_free(r.sub);
    v = fake_last_input(f->d);
    assert_int_equal(v.type, LRC_TG_LONG);
    assert_int_equal(v.i, 0);
    lrc_tg_value_clear(&v);

    lrc_arg empty = lrc_arg_string("");
    invoke_ok(f, "Echo", &empty, &r);
    lrc_subscription_free(r.sub);
    v = fake_last_input(f->d);
    assert_int_equal(v.type, LRC_TG_STRING);
    assert_non_null(v.s);
    assert_string_equal(v.s, "");
    lrc_tg_value_clear(&v);

    lrc_arg no = lrc_arg_bool(false);
    invoke_ok(f, "SetBool", &no, &r);
    lrc_subscription_free(r.sub);
    v = fake_last_input(f->d);
    assert_int_equal(v.type, LRC_TG_BOOLEAN);
    assert_int_equal(v.i, 0);
    lrc_tg_value_clear(&v);

    lrc_arg dzero = lrc_arg_double(0.0);
    invoke_ok(f, "SetDouble", &dzero, &r);
    lrc_subscription_free(r.sub);
    v = fake_last_input(f->d);
    assert_int_equal(v.type, LRC_TG_DOUBLE);
    assert_true(v.d == 0.0);
    lrc_tg_value_clear(&v);

    /* a JSON argument is converted by the command's type */
    lrc_arg j = lrc_arg_json("7");
    invoke_ok(f, "SetLong", &j, &r);
    lrc_subscription_free(r.sub);
    v = fake_last_input(f->d);
    assert_int_equal(v.type, LRC_TG_LONG);
    assert_int_equal(v.i, 7);
    lrc_tg_value_clear(&v);

    /* none where an argument is needed: refused before the command runs */
    int inouts = fake_inout_calls(f->d);
    lrc_error *e = invoke_fail(f, "Echo", &none, &r, LRC_EINVAL);
    lrc_error_free(e);
    assert_int_equal(fake_inout_calls(f->d), inouts);
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&r);
}

/* ========================================================================
 * 13-15, 17: initial values and early events
 * ====================================================================== */

/* What a callback sees first is the creation event, never the value Tango
 * delivers inside subscribe (see also test_silent_commands for an empty ID
 * against the v1 result ["", ""]). */
static void test_initial_values_never_reach_the_callback(void **state)
{
    fx *f = *state;
    for (int version = 2; version >= 1; version--) {
        fake_set_protocol(f->d, version == 2, 1, 2);
        rec r;
        lrc_subscription *s = start_on(f, NULL, &r);
        const char *id = lrc_subscription_command_id(s);
        if (version == 2)
            fake_push_lrc(f->d, id, J_QUEUED);
        else
            PUSH(f->d, V1_STATUS, id, "QUEUED");
        assert_true(rec_wait(&r, 2));
        sentinel(f);
        assert_int_equal(rec_n(&r), 2);
        assert_status(&r.u[0], LRC_STATUS_STAGING, false);
        assert_status(&r.u[1], LRC_STATUS_QUEUED, false);
        rec_check_all(&r, id, version);
        end_invocation(s, &r);
    }
    /* the initial values did reach the library: [] (v2), [], [] and ["", ""]
     * (v1); the sentinels shared the streams */
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 1 + 3);
    assert_int_equal(st.events, (1 + 4) + (3 + 4));
}

static void check_staging_before_return(fx *f, bool on_thread)
{
    script sc = {.code = LRC_RESULT_QUEUED, .on_thread = on_thread};
    rec r;
    lrc_subscription *s = start_on(f, &sc, &r);
    fake_push_lrc(f->d, sc.id, J_QUEUED);
    assert_true(rec_wait(&r, 2));
    sentinel(f);
    assert_int_equal(rec_n(&r), 2);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_QUEUED, false);
    rec_check_all(&r, sc.id, 2);
    end_invocation(s, &r);
}

static void test_staging_before_return_delivered_once_first(void **state)
{
    fx *f = *state;
    check_staging_before_return(f, false);
    check_staging_before_return(f, true);
}

static void test_early_events_keep_their_order(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED,
                 .early = {J_QUEUED, J_IN_PROGRESS, "{\"progress\": 10}"},
                 .early_error = true,
                 .on_thread = true};
    rec r;
    lrc_subscription *s = start_on(f, &sc, &r);
    fake_push_lrc(f->d, sc.id, J_DONE);
    assert_true(rec_wait(&r, 6));
    rec_check_all(&r, sc.id, 2);
    assert_int_equal(rec_n(&r), 6);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_QUEUED, false);
    assert_status(&r.u[2], LRC_STATUS_IN_PROGRESS, false);
    assert_progress(&r.u[3], 10);
    assert_int_equal(r.u[4].has, LRC_HAS_ERROR); /* an early error event is kept too */
    assert_string_equal(lrc_error_at(r.u[4].error, 0)->reason, "API_EventTimeout");
    assert_true(r.u[5].final);
    end_invocation(s, &r);

    /* v1: early status and progress lists, in order */
    fake_set_protocol(f->d, false, 0, 0);
    script v1 = {.code = LRC_RESULT_QUEUED,
                 .attr = V1_STATUS,
                 .early = {"QUEUED", "IN_PROGRESS"}};
    set_script(f, "On", LRC_TG_VOID, &v1);
    rec_init(&r, f);
    s = invoke_ok(f, "On", NULL, &r);
    PUSH(f->d, V1_PROGRESS, v1.id, "50");
    assert_true(rec_wait(&r, 4));
    sentinel(f);
    assert_int_equal(rec_n(&r), 4);
    rec_check_all(&r, v1.id, 1);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_QUEUED, false);
    assert_status(&r.u[2], LRC_STATUS_IN_PROGRESS, false);
    assert_progress(&r.u[3], 50);
    end_invocation(s, &r);
}

/* A quick command ends before it returns: the whole life, terminal status
 * included, arrives early and is delivered once the ID is known; what
 * follows the terminal event is not. */
static void test_command_ending_before_it_returns(void **state)
{
    fx *f = *state;
    for (int version = 2; version >= 1; version--) {
        fake_set_protocol(f->d, version == 2, 1, 2);
        script v2 = {.code = LRC_RESULT_QUEUED,
                     .early = {J_QUEUED, J_IN_PROGRESS, J_DONE, J_IN_PROGRESS}};
        script v1 = {.code = LRC_RESULT_QUEUED,
                     .attr = V1_STATUS,
                     .early = {"QUEUED", "IN_PROGRESS", "COMPLETED", "IN_PROGRESS"}};
        script *sc = version == 2 ? &v2 : &v1;
        rec r;
        lrc_subscription *s = start_on(f, sc, &r);
        assert_true(rec_wait_final(&r));
        sentinel(f);
        assert_int_equal(rec_n(&r), 4);
        rec_check_all(&r, sc->id, version);
        assert_status(&r.u[0], LRC_STATUS_STAGING, false);
        assert_status(&r.u[1], LRC_STATUS_QUEUED, false);
        assert_status(&r.u[2], LRC_STATUS_IN_PROGRESS, false);
        assert_int_equal(r.u[3].status, LRC_STATUS_COMPLETED);
        assert_true(r.u[3].final);
        assert_int_equal(r.u[3].live, 0);
        lrc_subscription_free(s);
        assert_int_equal(fake_live_total(f->d), 0);
        rec_destroy(&r);
    }
}

/* 17: the command hangs past the proxy timeout + 1 s (100 ms + 1 s here)
 * while events arrive, then fails as Tango's client timeout would. */
static int hanging_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                           lrc_tg_value *out, lrc_error **err)
{
    (void)in;
    (void)out;
    char *id = fake_new_id(d, cmd);
    snprintf(user, 128, "%s", id);
    fake_push_lrc_thread(d, id, J_STAGING);
    sleep_ms(600);
    fake_push_lrc_thread(d, id, J_QUEUED);
    sleep_ms(600); /* now past the bound */
    fake_push_lrc_thread(d, id, J_IN_PROGRESS);
    fake_push_error_thread(d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    free(id);
    *err = fake_command_failed(d, cmd, "API_DeviceTimedOut",
                               "Timeout (100 mS) exceeded on device " DEVICE);
    return LRC_ETANGO;
}

static void test_command_hanging_past_the_bound_then_failing(void **state)
{
    fx *f = *state;
    assert_int_equal(lrc_proxy_timeout_ms(f->p), 100);
    assert_int_equal(fake_timeout_ms(f->d), 100);
    char id[128] = "";
    fake_add_command(f->d, "On", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, hanging_handler, id);
    rec r;
    rec_init(&r, f);
    lrc_error *e = invoke_fail(f, "On", NULL, &r, LRC_ETANGO);
    assert_string_equal(lrc_error_message(e), "Invocation of command 'On' failed with args: None");
    assert_dev_error(e, 0, "API_DeviceTimedOut", "Timeout (100 mS) exceeded on device " DEVICE);
    lrc_error_free(e);
    assert_int_equal(fake_live_total(f->d), 0);
    fake_push_lrc(f->d, id, J_DONE);
    sentinel(f);
    assert_int_equal(rec_n(&r), 0);
    rec_destroy(&r);
}

/* The reply comes after the bound (a fake can do what Tango's client
 * timeout prevents): what arrived before it is not kept beyond the bound. */
static int late_reply_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                              lrc_tg_value *out, lrc_error **err)
{
    (void)in;
    (void)err;
    char *id = fake_new_id(d, cmd);
    snprintf(user, 128, "%s", id);
    fake_push_lrc_thread(d, id, J_STAGING);
    sleep_ms(1200); /* past 100 ms + 1 s */
    fake_push_lrc_thread(d, id, J_QUEUED);
    fake_reply(out, LRC_RESULT_QUEUED, id);
    free(id);
    return LRC_OK;
}

static void test_command_returning_after_the_bound(void **state)
{
    fx *f = *state;
    char id[128] = "";
    fake_add_command(f->d, "On", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, late_reply_handler, id);
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    char msg[512];
    snprintf(msg, sizeof msg,
             "'%s': events that arrived before the command returned its ID were dropped "
             "(more than %d KiB, or later than the proxy timeout + 1 s)",
             id, LRC_EARLY_MAX_BYTES / 1024);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_WARNING, msg), 1);
    /* with nothing kept, the (young) stream brought no event for the ID:
     * the device was asked (after lrc_invoke returned), and it tracked the
     * late QUEUED */
    snprintf(msg, sizeof msg,
             "'%s': no event arrived within 1000 ms of the command's reply; the device reports "
             "QUEUED: earlier events were lost while the subscription took effect",
             id);
    assert_true(logcap_wait(&test_hook, LRC_LOG_WARNING, msg));
    assert_true(rec_wait(&r, 1));
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_WARNING, msg), 1);
    fake_push_lrc(f->d, id, J_IN_PROGRESS);
    assert_true(rec_wait(&r, 2));
    sentinel(f);
    assert_int_equal(rec_n(&r), 2);
    assert_status(&r.u[0], LRC_STATUS_QUEUED, false); /* as the device reported it */
    assert_status(&r.u[1], LRC_STATUS_IN_PROGRESS, false);
    end_invocation(s, &r);
}

/* ========================================================================
 * 18-28: what the callback receives
 * ====================================================================== */

static void test_v2_happy_path(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    rec r;
    lrc_subscription *s = start_on(f, &sc, &r);
    fake_push_lrc_thread(f->d, sc.id, J_QUEUED);
    fake_push_lrc_thread(f->d, sc.id, J_IN_PROGRESS);
    fake_push_lrc_thread(f->d, sc.id, "{\"progress\": 33}");
    fake_push_lrc_thread(f->d, sc.id, "{\"progress\": 66}");
    fake_push_lrc_thread(f->d, sc.id,
                         "{\"result\": [0, \"On command completed OK\"], \"status\": 5}");
    assert_true(rec_wait(&r, 6));
    sentinel(f);
    assert_int_equal(rec_n(&r), 6);
    rec_check_all(&r, sc.id, 2);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_QUEUED, false);
    assert_status(&r.u[2], LRC_STATUS_IN_PROGRESS, false);
    assert_progress(&r.u[3], 33);
    assert_progress(&r.u[4], 66);
    const upd *last = &r.u[5];
    assert_int_equal(last->has, LRC_HAS_STATUS | LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_int_equal(last->status, LRC_STATUS_COMPLETED);
    assert_string_equal(last->result_json, "[0, \"On command completed OK\"]");
    assert_int_equal(last->result_code, LRC_RESULT_OK);
    assert_string_equal(last->result_message, "On command completed OK");
    assert_true(last->final);
    assert_int_equal(last->live, 0); /* unsubscribed before the final callback */
    for (int i = 0; i < 5; i++)
        assert_int_equal(r.u[i].live, 1);

    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    /* On and the sentinel: two streams in turn, each with its initial value */
    assert_int_equal(st.subscribes, 2);
    assert_int_equal(st.unsubscribes, 2);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.invocations, 2);
    assert_int_equal(st.events, (1 + 6) + (1 + 2)); /* initial values included */
    end_invocation(s, &r);
}

static void test_v1_happy_path_result_before_status(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    script sc = {.code = LRC_RESULT_QUEUED, .attr = V1_STATUS};
    rec r;
    lrc_subscription *s = start_on(f, &sc, &r);
    assert_int_equal(lrc_subscription_protocol_version(s), 1);
    const char *id = sc.id;
    PUSH(f->d, V1_STATUS, id, "QUEUED");
    PUSH(f->d, V1_STATUS, id, "IN_PROGRESS");
    PUSH(f->d, V1_PROGRESS, id, "33");
    PUSH(f->d, V1_PROGRESS, id, "66");
    PUSH(f->d, V1_RESULT, id, "[0, \"On command completed OK\"]");
    PUSH(f->d, V1_STATUS, id, "COMPLETED");
    assert_true(rec_wait(&r, 7));
    sentinel(f);
    assert_int_equal(rec_n(&r), 7);
    rec_check_all(&r, id, 1);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_QUEUED, false);
    assert_status(&r.u[2], LRC_STATUS_IN_PROGRESS, false);
    assert_progress(&r.u[3], 33);
    assert_progress(&r.u[4], 66);
    assert_int_equal(r.u[5].has, LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_string_equal(r.u[5].result_json, "[0, \"On command completed OK\"]");
    assert_int_equal(r.u[5].result_code, 0);
    assert_false(r.u[5].final);
    assert_int_equal(r.u[5].live, 3);
    assert_status(&r.u[6], LRC_STATUS_COMPLETED, true);
    assert_int_equal(r.u[6].live, 0);
    end_invocation(s, &r);
}

static void test_unknown_keys_are_forwarded(void **state)
{
    fx *f = *state;
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    fake_push_lrc(f->d, id,
                  "{\"status\": 2, \"started_time\": \"2026-11-25T08:11:25.292139+00:00\", "
                  "\"info\": {\"a\": [1, 2.5, null, true]}}");
    fake_push_lrc(f->d, id, "{\"name\": \"On\"}");
    assert_true(rec_wait(&r, 3));
    assert_int_equal(u[0].has, LRC_HAS_STATUS | LRC_HAS_EXTRA);
    assert_int_equal(u[0].status, LRC_STATUS_IN_PROGRESS);
    assert_string_equal(u[0].extra_json,
                        "{\"started_time\": \"2026-11-25T08:11:25.292139+00:00\", \"info\": "
                        "{\"a\": [1, 2.5, null, true]}}");
    assert_int_equal(u[1].has, LRC_HAS_EXTRA);
    assert_string_equal(u[1].extra_json, "{\"name\": \"On\"}");
    end_invocation(s, &r);
}

static void test_status_values_converted(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    const int nonterminal[] = {0, 1, 2, 4};
    for (size_t i = 0; i < COUNT(nonterminal); i++) {
        char json[32];
        snprintf(json, sizeof json, "{\"status\": %d}", nonterminal[i]);
        fake_push_lrc(f->d, id, json);
    }
    assert_true(rec_wait(&r, 5));
    sentinel(f);
    assert_int_equal(rec_n(&r), 5);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false); /* the creation event */
    for (size_t i = 0; i < COUNT(nonterminal); i++)
        assert_status(&r.u[i + 1], nonterminal[i], false);
    end_invocation(s, &r);

    fake_set_protocol(f->d, false, 0, 0);
    rec_init(&r, f);
    s = invoke_ok(f, "On", NULL, &r);
    id = lrc_subscription_command_id(s);
    /* after the creation event [id, "STAGING"], a second STAGING is a repeat */
    const char *names[] = {"STAGING", "QUEUED", "IN_PROGRESS", "NOT_FOUND"};
    for (size_t i = 0; i < COUNT(names); i++)
        PUSH(f->d, V1_STATUS, id, names[i]);
    assert_true(rec_wait(&r, 4));
    sentinel(f);
    assert_int_equal(rec_n(&r), 4);
    for (size_t i = 0; i < COUNT(names); i++)
        assert_status(&r.u[i], nonterminal[i], false);
    end_invocation(s, &r);
}

static void check_unknown_status_updates(rec *r, size_t at, const char *id, const char *shown,
                                         const char *raw)
{
    char msg[512];
    snprintf(msg, sizeof msg, "Received unknown TaskStatus from '%s' command: %s", id, shown);
    const upd *e = &r->u[at], *v = &r->u[at + 1];
    assert_int_equal(e->has, LRC_HAS_ERROR);
    assert_string_equal(lrc_error_message(e->error), msg);
    assert_string_equal(lrc_error_at(e->error, 0)->reason, "LRC_UnknownTaskStatus");
    assert_false(e->final);
    assert_int_equal(v->has & (LRC_HAS_UNKNOWN_STATUS | LRC_HAS_STATUS), LRC_HAS_UNKNOWN_STATUS);
    assert_string_equal(v->status_raw, raw);
    assert_false(v->final);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, msg), 1); /* logger.exception */
}

static void test_unknown_status(void **state)
{
    fx *f = *state;
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    fake_push_lrc(f->d, id, "{\"status\": 42, \"progress\": 5}");
    fake_push_lrc(f->d, id, "{\"status\": \"DONE\"}");
    fake_push_lrc(f->d, id, J_IN_PROGRESS); /* still subscribed */
    assert_true(rec_wait(&r, 6));
    check_unknown_status_updates(&r, 1, id, "42", "42");
    assert_int_equal(u[1].has, LRC_HAS_UNKNOWN_STATUS | LRC_HAS_PROGRESS);
    assert_int_equal(u[1].progress, 5);
    check_unknown_status_updates(&r, 3, id, "\"DONE\"", "\"DONE\"");
    assert_status(&u[4], LRC_STATUS_IN_PROGRESS, false);
    assert_int_equal(u[4].live, 1);
    end_invocation(s, &r);

    fake_set_protocol(f->d, false, 0, 0);
    rec_init(&r, f);
    s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    id = lrc_subscription_command_id(s);
    PUSH(f->d, V1_STATUS, id, "BOGUS");
    PUSH(f->d, V1_STATUS, id, "QUEUED");
    assert_true(rec_wait(&r, 4));
    check_unknown_status_updates(&r, 1, id, "BOGUS", "\"BOGUS\"");
    assert_status(&u[2], LRC_STATUS_QUEUED, false);
    assert_int_equal(u[2].live, 3);
    end_invocation(s, &r);
}

static void test_non_integer_progress(void **state)
{
    fx *f = *state;
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    fake_push_lrc(f->d, id, "{\"progress\": \"50%\"}");
    fake_push_lrc(f->d, id, "{\"progress\": 12.5}");
    assert_true(rec_wait(&r, 3));
    assert_int_equal(u[0].has, LRC_HAS_EXTRA);
    assert_string_equal(u[0].extra_json, "{\"progress\": \"50%\"}");
    assert_int_equal(u[1].has, LRC_HAS_EXTRA);
    assert_string_equal(u[1].extra_json, "{\"progress\": 12.5}");
    char msg[512];
    snprintf(msg, sizeof msg,
             "'%s' command progress is not an int, but str. Its type may be checked and "
             "enforced in the future.",
             id);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_WARNING, msg), 1);
    snprintf(msg, sizeof msg,
             "'%s' command progress is not an int, but float. Its type may be checked and "
             "enforced in the future.",
             id);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_WARNING, msg), 1);
    end_invocation(s, &r);
}

static void push_status(fx *f, int version, const char *id, const char *value)
{
    if (version == 2)
        fake_push_lrc_thread(f->d, id, value);
    else
        PUSH(f->d, V1_STATUS, id, value);
}

static void check_terminal(fx *f, int version, const char *terminal, int status)
{
    fake_set_protocol(f->d, version == 2, 1, 2);
    const char *later = version == 2 ? J_IN_PROGRESS : "IN_PROGRESS";
    int nattrs = version == 2 ? 1 : 3;

    /* alone: every stream is unsubscribed before the final callback */
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    int unsubs = fake_unsubscribes(f->d, NULL);
    push_status(f, version, lrc_subscription_command_id(s), terminal);
    assert_true(rec_wait(&r, 2));
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_int_equal(r.u[0].live, nattrs);
    assert_status(&r.u[1], status, true);
    assert_int_equal(r.u[1].live, 0);
    assert_int_equal(fake_unsubscribes(f->d, NULL), unsubs + nattrs);
    lrc_subscription_free(s); /* after the final: fine, nothing unsubscribed twice */
    assert_int_equal(fake_unsubscribes(f->d, NULL), unsubs + nattrs);
    rec_destroy(&r);

    /* another invocation keeps the streams, and its callback holds the
     * worker while the terminal event and later ones arrive: those reach
     * the library before the final callback runs, and are ignored */
    rec k;
    rec_init(&k, f);
    k.block_at = 1; /* its creation event */
    lrc_subscription *keeper = invoke_ok(f, "Off", NULL, &k);
    rec_init(&r, f);
    s = invoke_ok(f, "On", NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    assert_true(rec_wait_blocked(&k));
    push_status(f, version, id, terminal);
    push_status(f, version, id, later);
    push_status(f, version, id, terminal);
    rec_release(&k);
    assert_true(rec_wait(&r, 2));
    assert_true(r.u[1].final);
    assert_int_equal(r.u[1].live, nattrs);
    sentinel(f);
    assert_int_equal(rec_n(&r), 2);
    assert_int_equal(rec_n(&k), 1);
    lrc_subscription_free(s);
    lrc_subscription_free(keeper);
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&r);
    rec_destroy(&k);
}

static void test_terminal_statuses_end_the_invocation(void **state)
{
    fx *f = *state;
    check_terminal(f, 2, "{\"status\": 3}", LRC_STATUS_ABORTED);
    check_terminal(f, 2, "{\"status\": 5}", LRC_STATUS_COMPLETED);
    check_terminal(f, 2, "{\"status\": 6}", LRC_STATUS_REJECTED);
    check_terminal(f, 2, "{\"status\": 7}", LRC_STATUS_FAILED);
    check_terminal(f, 1, "ABORTED", LRC_STATUS_ABORTED);
    check_terminal(f, 1, "COMPLETED", LRC_STATUS_COMPLETED);
    check_terminal(f, 1, "REJECTED", LRC_STATUS_REJECTED);
    check_terminal(f, 1, "FAILED", LRC_STATUS_FAILED);
}

static void test_not_found_and_in_progress_keep_listening(void **state)
{
    fx *f = *state;
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    fake_push_lrc(f->d, id, "{\"status\": 4}");
    fake_push_lrc(f->d, id, J_IN_PROGRESS);
    fake_push_lrc(f->d, id, "{\"progress\": 100}");
    assert_true(rec_wait(&r, 4));
    assert_status(&u[0], LRC_STATUS_NOT_FOUND, false);
    assert_status(&u[1], LRC_STATUS_IN_PROGRESS, false);
    assert_progress(&u[2], 100);
    for (int i = 0; i < 3; i++)
        assert_int_equal(u[i].live, 1);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    assert_int_equal(fake_unsubscribes(f->d, LRC_EVENT), 0);
    end_invocation(s, &r);
}

static void test_error_event_is_delivered_and_logged(void **state)
{
    fx *f = *state;
    rec r1, r2;
    rec_init(&r1, f);
    rec_init(&r2, f);
    lrc_subscription *a = invoke_ok(f, "On", NULL, &r1);
    lrc_subscription *b = invoke_ok(f, "Off", NULL, &r2);
    assert_int_equal(fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout",
                                            EVENT_TIMEOUT_DESC),
                     1);
    fake_push_lrc(f->d, lrc_subscription_command_id(a), J_IN_PROGRESS);
    fake_push_lrc(f->d, lrc_subscription_command_id(b), J_IN_PROGRESS);
    assert_true(rec_wait(&r1, 3));
    assert_true(rec_wait(&r2, 3));
    rec *recs[] = {&r1, &r2};
    lrc_subscription *subs[] = {a, b};
    for (int k = 0; k < 2; k++) {
        rec *r = recs[k];
        const char *id = lrc_subscription_command_id(subs[k]);
        rec_check_all(r, id, 2);
        assert_status(&r->u[0], LRC_STATUS_STAGING, false);
        assert_int_equal(r->u[1].has, LRC_HAS_ERROR);
        assert_false(r->u[1].final);
        assert_int_equal(lrc_error_code(r->u[1].error), LRC_ETANGO);
        assert_int_equal(lrc_error_count(r->u[1].error), 1);
        assert_dev_error(r->u[1].error, 0, "API_EventTimeout", EVENT_TIMEOUT_DESC);
        assert_string_equal(lrc_error_at(r->u[1].error, 0)->origin, "EventConsumer::keep_alive");
        assert_int_equal(r->u[1].live, 1);
        assert_status(&r->u[2], LRC_STATUS_IN_PROGRESS, false); /* still listening */
        char msg[512];
        snprintf(msg, sizeof msg, "'%s' command encountered error(s): API_EventTimeout: %s", id,
                 EVENT_TIMEOUT_DESC);
        assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, msg), 1);
    }
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    lrc_subscription_free(a);
    lrc_subscription_free(b);
    rec_destroy(&r1);
    rec_destroy(&r2);
}

static void test_malformed_values_give_error_updates(void **state)
{
    fx *f = *state;
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    PUSH(f->d, LRC_EVENT, id);                 /* [id]: no value */
    fake_push_lrc(f->d, id, "not json");       /* not an object */
    fake_push_lrc(f->d, id, J_QUEUED);
    assert_true(rec_wait(&r, 4));
    char msg[512];
    snprintf(msg, sizeof msg, "'%s' command has no status/progress/result value", id);
    assert_int_equal(u[0].has, LRC_HAS_ERROR);
    assert_string_equal(lrc_error_message(u[0].error), msg);
    assert_int_equal(lrc_error_code(u[0].error), LRC_EJSON);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, msg), 1);
    assert_int_equal(u[1].has, LRC_HAS_ERROR);
    snprintf(msg, sizeof msg, "'%s' command sent a malformed event: not json", id);
    assert_string_equal(lrc_error_message(u[1].error), msg);
    assert_status(&u[2], LRC_STATUS_QUEUED, false);
    end_invocation(s, &r);

    fake_set_protocol(f->d, false, 0, 0);
    rec_init(&r, f);
    s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    id = lrc_subscription_command_id(s);
    PUSH(f->d, V1_STATUS, "other_1_X", "QUEUED", id);
    PUSH(f->d, V1_PROGRESS, id);
    PUSH(f->d, V1_RESULT, id);
    PUSH(f->d, V1_STATUS, id, "QUEUED");
    assert_true(rec_wait(&r, 5));
    const char *what[] = {"status", "progress", "result"};
    for (int i = 0; i < 3; i++) {
        snprintf(msg, sizeof msg, "'%s' command has no %s value", id, what[i]);
        assert_int_equal(u[i].has, LRC_HAS_ERROR);
        assert_false(u[i].final);
        assert_string_equal(lrc_error_message(u[i].error), msg);
        assert_string_equal(lrc_error_at(u[i].error, 0)->reason, "LRC_MalformedEvent");
        assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, msg), 1);
    }
    assert_status(&u[3], LRC_STATUS_QUEUED, false);
    assert_int_equal(u[3].live, 3);
    end_invocation(s, &r);
}

static void test_other_command_ids_ignored(void **state)
{
    fx *f = *state;
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%.*s", (int)strlen(id) - 1, id); /* a prefix of ours */
    fake_push_lrc(f->d, "1795594285.999999_1_Other", J_DONE);
    fake_push_lrc(f->d, prefix, J_DONE);
    PUSH(f->d, LRC_EVENT, "1795594285.999999_1_Other");
    PUSH(f->d, LRC_EVENT, "x", id); /* our ID in the wrong place */
    fake_push_lrc(f->d, id, J_QUEUED);
    assert_true(rec_wait(&r, 2));
    sentinel(f);
    assert_int_equal(rec_n(&r), 2);
    assert_status(&u[0], LRC_STATUS_QUEUED, false);
    end_invocation(s, &r);
}

/* 29 plus the shared stream: two invocations, one subscription. */
static void test_two_invocations_share_one_stream(void **state)
{
    fx *f = *state;
    rec r1, r2;
    rec_init(&r1, f);
    rec_init(&r2, f);
    lrc_subscription *a = invoke_ok(f, "On", NULL, &r1);
    lrc_subscription *b = invoke_ok(f, "Off", NULL, &r2);
    const char *ia = lrc_subscription_command_id(a), *ib = lrc_subscription_command_id(b);
    assert_string_not_equal(ia, ib);
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), 1);
    fake_push_lrc(f->d, ia, J_IN_PROGRESS);
    fake_push_lrc(f->d, ib, J_QUEUED);
    fake_push_lrc(f->d, ib, J_IN_PROGRESS);
    fake_push_lrc(f->d, ia, J_DONE);
    assert_true(rec_wait(&r1, 3));
    assert_int_equal(r1.u[2].live, 1); /* b still needs the stream */
    fake_push_lrc(f->d, ib, "{\"status\": 7, \"result\": [3, \"boom\"]}");
    assert_true(rec_wait(&r2, 4));
    sentinel(f);
    assert_int_equal(rec_n(&r1), 3);
    assert_int_equal(rec_n(&r2), 4);
    rec_check_all(&r1, ia, 2);
    rec_check_all(&r2, ib, 2);
    assert_status(&r1.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r2.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r1.u[1], LRC_STATUS_IN_PROGRESS, false);
    assert_true(r1.u[2].final);
    assert_int_equal(r1.u[2].status, LRC_STATUS_COMPLETED);
    assert_status(&r2.u[1], LRC_STATUS_QUEUED, false);
    assert_status(&r2.u[2], LRC_STATUS_IN_PROGRESS, false);
    assert_true(r2.u[3].final);
    assert_int_equal(r2.u[3].status, LRC_STATUS_FAILED);
    assert_int_equal(r2.u[3].result_code, LRC_RESULT_FAILED);
    assert_string_equal(r2.u[3].result_message, "boom");
    assert_int_equal(r2.u[3].live, 0);
    /* one subscription for both, then one for the sentinel */
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), 2);
    lrc_subscription_free(a);
    lrc_subscription_free(b);
    rec_destroy(&r1);
    rec_destroy(&r2);
}

static void test_v1_repeated_status_delivered_once(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    const char *b = "1795594285.999999_1_Other";
    PUSH(f->d, V1_STATUS, id, "IN_PROGRESS");
    PUSH(f->d, V1_STATUS, id, "IN_PROGRESS", b, "STAGING");
    PUSH(f->d, V1_STATUS, id, "IN_PROGRESS", b, "QUEUED");
    PUSH(f->d, V1_STATUS, b, "ABORTED", id, "IN_PROGRESS");
    PUSH(f->d, V1_PROGRESS, id, "10");
    PUSH(f->d, V1_STATUS, b, "ABORTED", id, "IN_PROGRESS");
    PUSH(f->d, V1_STATUS, b, "ABORTED", id, "ABORTED");
    assert_true(rec_wait(&r, 4));
    sentinel(f);
    assert_int_equal(rec_n(&r), 4);
    assert_status(&u[0], LRC_STATUS_IN_PROGRESS, false);
    assert_progress(&u[1], 10);
    assert_status(&u[2], LRC_STATUS_ABORTED, true);
    end_invocation(s, &r);
}

/* Abuse by the device (docs/bad-input.md): statuses and progress going
 * backwards are delivered as the device sent them, in its order (the
 * library reports, it does not judge); a 1 MiB result arrives whole; a
 * duplicate final after the final and an event for an ID nobody invoked
 * reach no callback. */
static void test_out_of_order_duplicate_and_huge_events(void **state)
{
    fx *f = *state;
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    fake_push_lrc(f->d, id, J_IN_PROGRESS);
    fake_push_lrc(f->d, id, J_QUEUED);
    fake_push_lrc(f->d, id, "{\"progress\": 50}");
    fake_push_lrc(f->d, id, "{\"progress\": 10}");
    fake_push_lrc(f->d, id, J_STAGING);
    fake_push_lrc(f->d, "1700000000.0_1_Nobody", J_DONE);
    size_t big = 1024 * 1024;
    char *text = malloc(big + 64);
    assert_non_null(text);
    int at = snprintf(text, big + 64, "{\"status\": 5, \"result\": [0, \"");
    memset(text + at, 'x', big);
    strcpy(text + at + big, "\"]}");
    fake_push_lrc(f->d, id, text);
    fake_push_lrc(f->d, id, J_DONE); /* a duplicate final */
    assert_true(rec_wait_final(&r));
    sentinel(f);
    assert_int_equal(rec_n(&r), 7);
    assert_status(&u[0], LRC_STATUS_IN_PROGRESS, false);
    assert_status(&u[1], LRC_STATUS_QUEUED, false);
    assert_progress(&u[2], 50);
    assert_progress(&u[3], 10);
    assert_status(&u[4], LRC_STATUS_STAGING, false);
    assert_true(u[5].final);
    assert_int_equal(u[5].status, LRC_STATUS_COMPLETED);
    assert_true(u[5].has & LRC_HAS_RESULT_CODE);
    assert_int_equal(u[5].result_code, 0);
    assert_int_equal(strlen(u[5].result_message), big);
    assert_int_equal(strspn(u[5].result_message, "x"), big);
    rec_check_all(&r, id, 2);
    free(text);
    end_invocation(s, &r);
}

static void test_result_json_values(void **state)
{
    fx *f = *state;
    struct {
        const char *event, *result_json;
    } cases[] = {
        {"{\"result\": {\"a\": 1, \"b\": [true, false, null]}}",
         "{\"a\": 1, \"b\": [true, false, null]}"},
        {"{\"result\": [1, 2, 3]}", "[1, 2, 3]"},
        {"{\"result\": \"text\"}", "\"text\""},
        {"{\"result\": 42}", "42"},
        {"{\"result\": -2.5}", "-2.5"},
        {"{\"result\": null}", "null"},
        {"{\"result\": [[1, [2, {\"x\": []}]], {}]}", "[[1, [2, {\"x\": []}]], {}]"},
        {"{\"result\": \"h\\u00e9llo \\u2713\"}", "\"h\\u00e9llo \\u2713\""},
        {"{\"result\": \"h\xc3\xa9llo \xe2\x9c\x93\"}", "\"h\\u00e9llo \\u2713\""},
        {"{\"result\": \"\\ud83d\\ude00\"}", "\"\\ud83d\\ude00\""},
    };
    rec r;
    const upd *u;
    rec_init(&r, f);
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    u = after_creation(&r);
    const char *id = lrc_subscription_command_id(s);
    for (size_t i = 0; i < COUNT(cases); i++)
        fake_push_lrc(f->d, id, cases[i].event);
    fake_push_lrc(f->d, id, "{\"status\": 5, \"result\": [3, \"Unhandled exception during "
                            "execution: bo\\u00f6m\"]}");
    assert_true(rec_wait(&r, COUNT(cases) + 2));
    for (size_t i = 0; i < COUNT(cases); i++) {
        assert_int_equal(u[i].has & ~LRC_HAS_RESULT_CODE, LRC_HAS_RESULT);
        assert_string_equal(u[i].result_json, cases[i].result_json);
        assert_false(u[i].final);
    }
    const upd *last = &u[COUNT(cases)];
    assert_true(last->final);
    assert_int_equal(last->result_code, LRC_RESULT_FAILED);
    assert_string_equal(last->result_message,
                        "Unhandled exception during execution: bo\xc3\xb6m");
    assert_string_equal(last->result_json,
                        "[3, \"Unhandled exception during execution: bo\\u00f6m\"]");
    end_invocation(s, &r);
}

/* Issue 10 item 2: a final event that strict JSON refuses but Python reads
 * (json.dumps writes NaN and Infinity; any number; Latin-1 bytes) ends the
 * command with its result; one that is no JSON even to Python still ends
 * it, with an error update and the status found in it. */
static void test_final_events_python_reads(void **state)
{
    fx *f = *state;
    struct {
        const char *event, *result_json;
    } cases[] = {
        {"{\"status\": 5, \"result\": [0, NaN]}", "[0, NaN]"},
        {"{\"status\": 5, \"result\": [Infinity, -Infinity, \"NaN\"]}",
         "[Infinity, -Infinity, \"NaN\"]"},
        {"{\"status\": 7, \"result\": [3, 1e400]}", "[3, 1e400]"},
        {"{\"status\": 5, \"result\": [0, 123456789012345678901234567890]}",
         "[0, 123456789012345678901234567890]"},
        {"{\"status\": 5, \"result\": [0, \"caf\xe9\"]}", "[0, \"caf\\u00e9\"]"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        rec r;
        lrc_subscription *s = start_on(f, NULL, &r);
        const upd *u = after_creation(&r);
        fake_push_lrc(f->d, lrc_subscription_command_id(s), cases[i].event);
        if (!rec_wait_final(&r))
            fail_msg("no final update for %s", cases[i].event);
        assert_int_equal(rec_n(&r), 2);
        assert_true(u[0].final);
        assert_true(u[0].has & LRC_HAS_RESULT);
        assert_string_equal(u[0].result_json, cases[i].result_json);
        end_invocation(s, &r);
    }
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    const upd *u = after_creation(&r);
    fake_push_lrc(f->d, lrc_subscription_command_id(s), "{\"status\": 3, \"result\": [7, \"x");
    assert_true(rec_wait_final(&r));
    assert_int_equal(rec_n(&r), 3);
    assert_int_equal(u[0].has, LRC_HAS_ERROR);
    assert_false(u[0].final);
    assert_status(&u[1], LRC_STATUS_ABORTED, true);
    end_invocation(s, &r);
}

/* Issue 10 item 5: events before the ID is known. Other commands' traffic
 * is not kept (ska's IDs name their command), however much of it comes;
 * the command's own is bounded in bytes, not in events. */
static int busy_device_handler(fake_device *d, void *user, const char *cmd,
                               const lrc_tg_value *in, lrc_tg_value *out, lrc_error **err)
{
    (void)in, (void)err;
    bool big = user != NULL;
    char *id = fake_new_id(d, cmd);
    fake_push_creation(d, id, false);
    static char payload[40 * 1024];
    memset(payload, 'x', sizeof payload - 1);
    char *json = malloc(sizeof payload + 64);
    assert_non_null(json);
    snprintf(json, sizeof payload + 64, "{\"result\": \"%s\"}", payload);
    for (int i = 0; i < (big ? 8 : 6000); i++) {
        const char *other[] = {"1796291733.18932_57661982913396_Scan", "{\"progress\": 5}"};
        if (big)
            fake_push_lrc(d, id, json); /* 8 x 40 KiB of its own */
        else if (i % 1000 == 999)
            fake_push_lrc(d, other[0], json); /* large too */
        else
            fake_push_strings(d, LRC_EVENT, other, 2);
    }
    free(json);
    fake_push_lrc(d, id, J_QUEUED);
    fake_reply(out, LRC_RESULT_QUEUED, id);
    free(id);
    return LRC_OK;
}

static void test_early_buffer_keeps_only_its_own_bytes(void **state)
{
    fx *f = *state;
    fake_add_command(f->d, "On", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, busy_device_handler,
                     NULL);
    fake_add_command(f->d, "Off", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, busy_device_handler,
                     f);
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    assert_true(rec_wait(&r, 2));
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_QUEUED, false);
    char msg[512];
    snprintf(msg, sizeof msg,
             "'%s': events that arrived before the command returned its ID were dropped "
             "(more than 256 KiB, or later than the proxy timeout + 1 s)",
             lrc_subscription_command_id(s));
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_WARNING, msg), 0);
    end_invocation(s, &r);

    rec_init(&r, f);
    s = invoke_ok(f, "Off", NULL, &r);
    snprintf(msg, sizeof msg,
             "'%s': events that arrived before the command returned its ID were dropped "
             "(more than 256 KiB, or later than the proxy timeout + 1 s)",
             lrc_subscription_command_id(s));
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_WARNING, msg), 1);
    end_invocation(s, &r);
}

/* ========================================================================
 * 30, 31: freeing the handle
 * ====================================================================== */

static void test_free_stops_callbacks(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    char id[128];
    snprintf(id, sizeof id, "%s", lrc_subscription_command_id(s));
    fake_push_lrc(f->d, id, J_QUEUED);
    assert_true(rec_wait(&r, 2));
    lrc_subscription_free(s);
    assert_int_equal(fake_live_total(f->d), 0);
    assert_int_equal(fake_push_lrc(f->d, id, J_DONE), 0);
    sentinel(f);
    assert_int_equal(rec_n(&r), 2);
    rec_destroy(&r);

    /* queued but not yet run when freed: not run */
    rec_init(&r, f);
    rec other;
    rec_init(&other, f);
    other.block_at = 1; /* its creation event blocks the worker */
    lrc_subscription *o = invoke_ok(f, "Off", NULL, &other);
    assert_true(rec_wait_blocked(&other));
    s = invoke_ok(f, "On", NULL, &r); /* its creation event waits behind */
    fake_push_lrc(f->d, lrc_subscription_command_id(s), J_QUEUED);
    lrc_subscription_free(s);
    rec_release(&other);
    sentinel(f);
    assert_int_equal(rec_n(&r), 0);
    lrc_subscription_free(o);
    rec_destroy(&r);
    rec_destroy(&other);
}

static void test_free_after_final(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    fake_push_lrc(f->d, lrc_subscription_command_id(s), J_DONE);
    assert_true(rec_wait(&r, 2));
    assert_true(r.u[1].final);
    sentinel(f);
    int unsubs = fake_unsubscribes(f->d, LRC_EVENT);
    lrc_subscription_free(s);
    assert_int_equal(fake_unsubscribes(f->d, LRC_EVENT), unsubs); /* nothing twice */
    assert_int_equal(fake_bad_unsubscribes(f->d), 0);
    rec_destroy(&r);
}

/* The final status makes a worker give the streams back (unsubscribe)
 * before the final callback; a handle freed meanwhile from another thread
 * returns only after that unsubscribe: once every handle is freed, no
 * thread of the library is inside Tango for them (an exit at that moment
 * would tear Tango's event consumer down under the unsubscribe). */
static void test_free_waits_for_the_final_unsubscribe(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    fake_delay_unsubscribe(f->d, 300);
    int64_t t0 = lrc_now_ms();
    fake_push_lrc(f->d, lrc_subscription_command_id(s), J_DONE);
    sleep_ms(50); /* the worker is in the unsubscribe now */
    assert_int_equal(fake_live_total(f->d), 1);
    lrc_subscription_free(s);
    int64_t took = lrc_now_ms() - t0;
    assert_int_equal(fake_live_total(f->d), 0);
    assert_true(took >= 250);
    fake_delay_unsubscribe(f->d, 0);
    sentinel(f);
    rec_destroy(&r);
}

static void test_free_inside_callback(void **state)
{
    fx *f = *state;
    /* in a non-final callback (the creation event, which may run before
     * lrc_invoke returns: the handle must not be used afterwards) */
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "Off", LRC_TG_VOID, &sc);
    rec r;
    rec_init(&r, f);
    r.free_at = 1;
    invoke_ok(f, "Off", NULL, &r);
    const char *id = sc.id;
    fake_push_lrc(f->d, id, J_QUEUED);
    fake_push_lrc(f->d, id, J_IN_PROGRESS); /* may be queued already: must not run */
    sentinel(f);
    assert_int_equal(rec_n(&r), 1);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_true(r.freed_in_cb);
    assert_int_equal(fake_live_total(f->d), 0);
    fake_push_lrc(f->d, id, J_DONE);
    sentinel(f);
    assert_int_equal(rec_n(&r), 1);
    rec_destroy(&r);

    /* in the final callback */
    rec_init(&r, f);
    r.free_at = 2;
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    fake_push_lrc(f->d, lrc_subscription_command_id(s), J_DONE);
    sentinel(f);
    assert_int_equal(rec_n(&r), 2);
    assert_true(r.u[1].final);
    assert_true(r.freed_in_cb);
    rec_destroy(&r);

    /* in the first of two updates of one event (unknown status): the
     * second is not delivered */
    rec_init(&r, f);
    r.free_at = 2;
    s = invoke_ok(f, "On", NULL, &r);
    fake_push_lrc(f->d, lrc_subscription_command_id(s), "{\"status\": 99}");
    sentinel(f);
    assert_int_equal(rec_n(&r), 2);
    assert_int_equal(r.u[1].has, LRC_HAS_ERROR);
    assert_true(r.freed_in_cb);
    rec_destroy(&r);
}

/* lrc_subscription_free on another thread, which notes whether a call of
 * the user's (*running, under *user_mu) still ran when the free returned. */
typedef struct free_job {
    lrc_subscription *s;
    pthread_mutex_t *user_mu;
    const bool *running;
    pthread_t t;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    bool running_at_return;
} free_job;

static void *free_main(void *arg)
{
    free_job *j = arg;
    lrc_subscription_free(j->s);
    pthread_mutex_lock(j->user_mu);
    bool running = *j->running;
    pthread_mutex_unlock(j->user_mu);
    pthread_mutex_lock(&j->mu);
    j->done = true;
    j->running_at_return = running;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* Starts the free while the user's call runs; true if the free returned
 * within 200 ms (a bounded negative check: it must not). */
static bool free_job_start(free_job *j, lrc_subscription *s, pthread_mutex_t *user_mu,
                           const bool *running)
{
    memset(j, 0, sizeof *j);
    j->s = s;
    j->user_mu = user_mu;
    j->running = running;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    assert_int_equal(pthread_create(&j->t, NULL, free_main, j), 0);
    pthread_mutex_lock(&j->mu);
    bool returned = wait_flag(&j->mu, &j->cv, &j->done, 200);
    pthread_mutex_unlock(&j->mu);
    return returned;
}

static void free_job_join(free_job *j)
{
    pthread_join(j->t, NULL);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
}

static void test_free_waits_for_a_running_callback(void **state)
{
    fx *f = *state;
    rec r;
    rec_init(&r, f);
    r.block_at = 1; /* the creation event */
    r.linger_ms = 50;
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    char id[128];
    snprintf(id, sizeof id, "%s", lrc_subscription_command_id(s));
    assert_true(rec_wait_blocked(&r));

    free_job j;
    bool returned_early = free_job_start(&j, s, &r.mu, &r.in_cb);
    fake_push_lrc(f->d, id, J_IN_PROGRESS); /* routing already stopped */
    rec_release(&r);
    free_job_join(&j);
    assert_false(returned_early);
    assert_false(j.running_at_return);
    assert_false(r.gate_timeout);
    sentinel(f);
    assert_int_equal(rec_n(&r), 1);
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&r);
}

static void test_unsubscribe_failure_is_a_warning(void **state)
{
    fx *f = *state;
    fake_fail_unsubscribe(f->d, true);
    /* on free */
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    int sub_id = fake_sub_id(f->d, LRC_EVENT);
    assert_true(sub_id >= 0);
    lrc_subscription_free(s);
    char msg[512];
    snprintf(msg, sizeof msg, "proxy.unsubscribe_event(%d) failed with: %s", sub_id,
             FAKE_UNSUB_MESSAGE);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_WARNING, msg), 1);
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&r);

    /* on the final status (on the worker) */
    rec_init(&r, f);
    s = invoke_ok(f, "On", NULL, &r);
    sub_id = fake_sub_id(f->d, LRC_EVENT);
    fake_push_lrc(f->d, lrc_subscription_command_id(s), J_DONE);
    assert_true(rec_wait(&r, 2));
    assert_true(r.u[1].final);
    snprintf(msg, sizeof msg, "proxy.unsubscribe_event(%d) failed with: %s", sub_id,
             FAKE_UNSUB_MESSAGE);
    assert_true(logcap_wait(&test_hook, LRC_LOG_WARNING, msg));
    end_invocation(s, &r);
    fake_fail_unsubscribe(f->d, false);
}

/* ========================================================================
 * Fire and forget, the default scheduler, closing the proxy
 * ====================================================================== */

static void test_fire_and_forget(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "On", LRC_TG_VOID, &sc);
    rec r;
    rec_init(&r, f);
    lrc_error *err = NULL;
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, &f->o, NULL, &err), LRC_OK);
    assert_null(err);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    /* the caller's handle on the proxy may go: the invocation keeps it */
    lrc_proxy_close(f->p);
    f->p = NULL;
    assert_int_equal(fake_open_connections(f->d), 1);
    fake_push_lrc_thread(f->d, sc.id, J_IN_PROGRESS);
    fake_push_lrc_thread(f->d, sc.id, J_DONE);
    assert_true(rec_wait(&r, 3));
    rec_check_all(&r, sc.id, 2);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_IN_PROGRESS, false);
    assert_true(r.u[2].final);
    assert_int_equal(r.u[2].live, 0);
    /* the invocation frees itself, and with it the last proxy reference */
    assert_true(fake_wait_closed(f->d, WAIT_MS));
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&r);
}

static void test_default_scheduler(void **state)
{
    fx *f = *state;
    rec r;
    rec_init(&r, f);
    r.s = lrc_scheduler_default();
    lrc_error *err = NULL;
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, NULL, &r.sub, &err), LRC_OK);
    fake_push_lrc(f->d, lrc_subscription_command_id(r.sub), J_DONE);
    assert_true(rec_wait(&r, 2));
    rec_check_all(&r, lrc_subscription_command_id(r.sub), 2);
    assert_true(r.u[1].final);
    lrc_subscription_free(r.sub);
    rec_destroy(&r);
}

static void test_close_proxy_with_running_invocation(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    lrc_proxy_close(f->p);
    f->p = NULL;
    assert_int_equal(fake_open_connections(f->d), 1);
    fake_push_lrc(f->d, lrc_subscription_command_id(s), J_IN_PROGRESS);
    assert_true(rec_wait(&r, 2)); /* callbacks keep coming */
    assert_status(&r.u[1], LRC_STATUS_IN_PROGRESS, false);
    lrc_subscription_free(s);
    assert_true(fake_wait_closed(f->d, WAIT_MS));
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&r);
}

/* ========================================================================
 * 51, 52: pre-connected streams
 * ====================================================================== */

/* One invocation driven through STAGING (creation), IN_PROGRESS, COMPLETED;
 * returns the live count seen in the final callback. */
static int run_one(fx *f, script *sc)
{
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    fake_push_lrc(f->d, sc->id, J_IN_PROGRESS);
    fake_push_lrc(f->d, sc->id, J_DONE);
    assert_true(rec_wait(&r, 3));
    rec_check_all(&r, sc->id, 2);
    assert_int_equal(rec_n(&r), 3);
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_IN_PROGRESS, false);
    assert_int_equal(r.u[2].has, LRC_HAS_STATUS | LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_true(r.u[2].final);
    assert_string_equal(r.u[2].result_json, "[0, \"done\"]");
    int live = r.u[2].live;
    end_invocation(s, &r);
    return live;
}

static void test_connect_interface_subscribes_once(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "On", LRC_TG_VOID, &sc);
    assert_int_equal(run_one(f, &sc), 0); /* unconnected: unsubscribed at the end */
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), 1);

    fake_trace_clear(f->d);
    lrc_error *err = NULL;
    assert_int_equal(lrc_connect_interface(f->p, f->s, &err), LRC_OK);
    assert_null(err);
    assert_trace(f, "attrs read:lrcProtocolVersions sub:_lrcEvent");
    assert_int_equal(lrc_connect_interface(f->p, f->s, NULL), LRC_OK); /* again: no change */
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), 2);
    lrc_proxy_stats before;
    lrc_proxy_get_stats(f->p, &before);
    assert_int_equal(before.streams, 1);

    const int N = 5;
    for (int i = 0; i < N; i++)
        assert_int_equal(run_one(f, &sc), 1); /* the same updates, stream kept */
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), 2);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    lrc_proxy_stats after;
    lrc_proxy_get_stats(f->p, &after);
    assert_int_equal(after.subscribes, before.subscribes);
    assert_int_equal(after.unsubscribes, before.unsubscribes);
    assert_int_equal(after.streams, 1);
    assert_int_equal(after.invocations, before.invocations + (uint64_t)N);
    /* still connected at close: lrc_proxy_close disconnects (teardown checks) */
}

static void test_disconnect_interface(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "On", LRC_TG_VOID, &sc);
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_ENOTFOUND);
    assert_int_equal(lrc_connect_interface(f->p, f->s, NULL), LRC_OK);
    /* connected with f->s, not with the default scheduler */
    assert_int_equal(lrc_disconnect_interface(f->p, NULL), LRC_ENOTFOUND);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);

    /* an invocation running across the disconnect keeps its stream */
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_OK);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    fake_push_lrc(f->d, sc.id, J_DONE);
    assert_true(rec_wait(&r, 2));
    assert_true(r.u[1].final);
    assert_int_equal(r.u[1].live, 0);
    end_invocation(s, &r);
    assert_int_equal(fake_live_total(f->d), 0);

    /* disconnect releases the streams; invoke still works */
    assert_int_equal(lrc_connect_interface(f->p, f->s, NULL), LRC_OK);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_OK);
    assert_int_equal(fake_live_total(f->d), 0);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.subscribes, st.unsubscribes);
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_ENOTFOUND);
    int subs = fake_subscribes(f->d, LRC_EVENT);
    assert_int_equal(run_one(f, &sc), 0);
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), subs + 1);

    /* v1: three streams */
    fake_set_protocol(f->d, false, 0, 0);
    assert_int_equal(lrc_connect_interface(f->p, f->s, NULL), LRC_OK);
    assert_int_equal(lrc_live(f->d), 3);
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_OK);
    assert_int_equal(lrc_live(f->d), 0);

    /* the default scheduler */
    fake_set_protocol(f->d, true, 1, 2);
    assert_int_equal(lrc_connect_interface(f->p, NULL, NULL), LRC_OK);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);
    assert_int_equal(lrc_disconnect_interface(f->p, NULL), LRC_OK);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 0);
    assert_int_equal(lrc_disconnect_interface(NULL, NULL), LRC_EINVAL);
}

static void test_connect_interface_failures(void **state)
{
    fx *f = *state;
    lrc_error *err = NULL;
    assert_int_equal(lrc_connect_interface(NULL, f->s, &err), LRC_EINVAL);
    lrc_error_free(err);
    err = NULL;
    fake_set_protocol(f->d, true, 3, 4);
    assert_int_equal(lrc_connect_interface(f->p, f->s, &err), LRC_EPROTOCOL);
    assert_string_equal(lrc_error_message(err),
                        "This version of invoke_lrc() is not compatible with any of the "
                        "server's supported LRC protocols! Client version min, max = (1, 2) - "
                        "Server version min, max = (3, 4)");
    lrc_error_free(err);
    err = NULL;
    fake_set_protocol(f->d, false, 0, 0);
    fake_fail_subscribe(f->d, V1_RESULT, "API_EventSystemFailed", "no event channel");
    assert_int_equal(lrc_connect_interface(f->p, f->s, &err), LRC_ETANGO);
    assert_string_equal(lrc_error_message(err),
                        "Subscribing to 'longRunningCommandResult' change event failed.");
    size_t n = lrc_error_count(err);
    assert_int_equal(n, 3);
    assert_dev_error(err, 0, "API_EventSystemFailed", "no event channel");
    assert_dev_error(err, 2, "SKA_InvokeLrcFailed",
                     "Subscribing to 'longRunningCommandResult' change event failed.");
    lrc_error_free(err);
    assert_int_equal(fake_live_total(f->d), 0);
    assert_int_equal(lrc_disconnect_interface(f->p, f->s), LRC_ENOTFOUND);
}

/* ========================================================================
 * 53: invoking from several threads at once
 * ====================================================================== */

#define THREADS 6
#define PER_THREAD 4

static int staging_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                           lrc_tg_value *out, lrc_error **err)
{
    (void)user;
    (void)in;
    (void)err;
    char *id = fake_new_id(d, cmd);
    fake_push_lrc(d, id, J_STAGING);
    fake_reply(out, LRC_RESULT_QUEUED, id);
    free(id);
    return LRC_OK;
}

typedef struct thread_job {
    fx *f;
    int index;
    int failures;
    char why[256];
} thread_job;

#define JOB_CHECK(cond)                                                                      \
    do {                                                                                     \
        if (!(cond) && !j->failures++)                                                       \
            snprintf(j->why, sizeof j->why, "thread %d, line %d: %s", j->index, __LINE__,    \
                     #cond);                                                                 \
    } while (0)

static void *invoke_main(void *arg)
{
    thread_job *j = arg;
    fx *f = j->f;
    for (int k = 0; k < PER_THREAD; k++) {
        char text[32];
        snprintf(text, sizeof text, "t%d-%d", j->index, k);
        rec r;
        rec_init(&r, f);
        lrc_arg a = lrc_arg_string(text);
        lrc_error *err = NULL;
        int rc = lrc_invoke(f->p, "Echo", &a, rec_cb, &r, &f->o, &r.sub, &err);
        JOB_CHECK(rc == LRC_OK);
        lrc_error_free(err);
        if (rc != LRC_OK) {
            rec_destroy(&r);
            continue;
        }
        char id[128];
        snprintf(id, sizeof id, "%s", lrc_subscription_command_id(r.sub));
        fake_push_lrc(f->d, id, J_IN_PROGRESS);
        char json[128];
        snprintf(json, sizeof json, "{\"status\": 5, \"result\": [0, \"%s\"]}", text);
        fake_push_lrc(f->d, id, json);
        JOB_CHECK(rec_wait(&r, 3));
        pthread_mutex_lock(&r.mu);
        JOB_CHECK(r.n == 3);
        for (size_t i = 0; i < r.n && i < MAX_UPD; i++) {
            JOB_CHECK(strcmp(r.u[i].id, id) == 0);
            JOB_CHECK(r.u[i].on_worker);
        }
        if (r.n == 3) {
            JOB_CHECK(r.u[0].status == LRC_STATUS_STAGING && !r.u[0].final);
            JOB_CHECK(r.u[1].status == LRC_STATUS_IN_PROGRESS && !r.u[1].final);
            JOB_CHECK(r.u[2].status == LRC_STATUS_COMPLETED && r.u[2].final);
            JOB_CHECK(r.u[2].result_message && strcmp(r.u[2].result_message, text) == 0);
        }
        pthread_mutex_unlock(&r.mu);
        lrc_subscription_free(r.sub);
        rec_destroy(&r);
    }
    return NULL;
}

static void test_invoke_from_many_threads(void **state)
{
    fx *f = *state;
    fake_add_command(f->d, "Echo", LRC_TG_STRING, LRC_TG_LONG_STRING_ARRAY, staging_handler,
                     NULL);
    pthread_t t[THREADS];
    thread_job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (thread_job){.f = f, .index = i};
        assert_int_equal(pthread_create(&t[i], NULL, invoke_main, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        if (jobs[i].failures)
            fprintf(stderr, "%d failure(s), first: %s\n", jobs[i].failures, jobs[i].why);
        assert_int_equal(jobs[i].failures, 0);
    }
    assert_int_equal(fake_live_total(f->d), 0);
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.invocations, THREADS * PER_THREAD);
    assert_int_equal(st.streams, 0);
    assert_int_equal(st.subscribes, st.unsubscribes);
    assert_int_equal((int)st.subscribes, fake_subscribes(f->d, LRC_EVENT));
}

/* ========================================================================
 * 54: log messages go to the invocation's logger, else to the hook
 * ====================================================================== */

static void test_invocation_logger_gets_the_messages(void **state)
{
    fx *f = *state;
    logcap mine;
    logcap_init(&mine);
    f->o.logger = logcap_fn;
    f->o.logger_user = &mine;
    rec r;
    rec_init(&r, f);
    char msg[512];

    /* error: rejected, unexpected result code, incompatible protocol */
    script sc = {.silent = true, .code = LRC_RESULT_REJECTED, .text = "Busy"};
    set_script(f, "Reset", LRC_TG_VOID, &sc);
    lrc_error_free(invoke_fail(f, "Reset", NULL, &r, LRC_EREJECTED));
    assert_int_equal(logcap_count(&mine, LRC_LOG_ERROR, "Reset command rejected: Busy"), 1);
    sc.code = LRC_RESULT_FAILED;
    lrc_error_free(invoke_fail(f, "Reset", NULL, &r, LRC_ERESULTCODE));
    assert_int_equal(
        logcap_count(&mine, LRC_LOG_ERROR, "Unexpected result code for Reset command: 3 (FAILED)"),
        1);
    fake_set_protocol(f->d, true, 3, 4);
    lrc_error_free(invoke_fail(f, "Reset", NULL, &r, LRC_EPROTOCOL));
    assert_int_equal(logcap_count(&mine, LRC_LOG_ERROR,
                                  "This version of invoke_lrc() is not compatible with any of "
                                  "the server's supported LRC protocols! Client version min, "
                                  "max = (1, 2) - Server version min, max = (3, 4)"),
                     1);
    fake_set_protocol(f->d, true, 1, 2);

    /* error: event error, unknown status, missing value; warning: progress */
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    fake_push_lrc(f->d, id, "{\"status\": 8}");
    PUSH(f->d, LRC_EVENT, id);
    fake_push_lrc(f->d, id, "{\"progress\": [1]}");
    assert_true(rec_wait(&r, 6)); /* creation, error, unknown status (2), malformed, progress */
    snprintf(msg, sizeof msg, "'%s' command encountered error(s): API_EventTimeout: %s", id,
             EVENT_TIMEOUT_DESC);
    assert_int_equal(logcap_count(&mine, LRC_LOG_ERROR, msg), 1);
    snprintf(msg, sizeof msg, "Received unknown TaskStatus from '%s' command: 8", id);
    assert_int_equal(logcap_count(&mine, LRC_LOG_ERROR, msg), 1);
    snprintf(msg, sizeof msg, "'%s' command has no status/progress/result value", id);
    assert_int_equal(logcap_count(&mine, LRC_LOG_ERROR, msg), 1);
    snprintf(msg, sizeof msg,
             "'%s' command progress is not an int, but list. Its type may be checked and "
             "enforced in the future.",
             id);
    assert_int_equal(logcap_count(&mine, LRC_LOG_WARNING, msg), 1);

    /* warning: unsubscribe failure when the handle is freed */
    fake_fail_unsubscribe(f->d, true);
    int sub_id = fake_sub_id(f->d, LRC_EVENT);
    lrc_subscription_free(s);
    fake_fail_unsubscribe(f->d, false);
    snprintf(msg, sizeof msg, "proxy.unsubscribe_event(%d) failed with: %s", sub_id,
             FAKE_UNSUB_MESSAGE);
    assert_int_equal(logcap_count(&mine, LRC_LOG_WARNING, msg), 1);

    assert_int_equal(logcap_n(&mine), 8);
    if (logcap_n(&test_hook) != 0)
        logcap_dump(&test_hook, "hook");
    assert_int_equal(logcap_n(&test_hook), 0); /* nothing went to the hook */
    f->o.logger = NULL;
    rec_destroy(&r);
    logcap_destroy(&mine);
}

/* The unsubscribe that follows a terminal status is the invocation's too:
 * its failure belongs in the invocation's logger (section 2.4, 2.6). */
static void test_invocation_logger_gets_unsubscribe_warning_after_final(void **state)
{
    fx *f = *state;
    logcap mine;
    logcap_init(&mine);
    f->o.logger = logcap_fn;
    f->o.logger_user = &mine;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    int sub_id = fake_sub_id(f->d, LRC_EVENT);
    fake_fail_unsubscribe(f->d, true);
    fake_push_lrc(f->d, lrc_subscription_command_id(s), J_DONE);
    assert_true(rec_wait_final(&r));
    fake_fail_unsubscribe(f->d, false);
    f->o.logger = NULL;
    sentinel(f); /* the unsubscribe ran before the final callback */
    char msg[512];
    snprintf(msg, sizeof msg, "proxy.unsubscribe_event(%d) failed with: %s", sub_id,
             FAKE_UNSUB_MESSAGE);
    size_t in_mine = logcap_count(&mine, LRC_LOG_WARNING, msg);
    size_t in_hook = logcap_count(&test_hook, LRC_LOG_WARNING, msg);
    if (in_mine != 1) {
        logcap_dump(&mine, "invocation logger");
        logcap_dump(&test_hook, "hook");
    }
    end_invocation(s, &r);
    logcap_destroy(&mine);
    assert_int_equal(in_hook + in_mine, 1);
    assert_int_equal(in_mine, 1);
}

/* ========================================================================
 * 55: error events mid-command (a device restart), then free
 * ====================================================================== */

static void test_error_events_mid_command_then_free(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    rec r;
    lrc_subscription *s = start_on(f, &sc, &r);
    fake_push_lrc_thread(f->d, sc.id, J_IN_PROGRESS);
    for (int i = 0; i < 3; i++)
        fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    fake_push_strings_thread(f->d, LRC_EVENT, NULL, 0); /* the re-sent (empty) value */
    fake_push_lrc_thread(f->d, sc.id, "{\"progress\": 50}");
    assert_true(rec_wait(&r, 6));
    assert_status(&r.u[0], LRC_STATUS_STAGING, false);
    assert_status(&r.u[1], LRC_STATUS_IN_PROGRESS, false);
    for (int i = 2; i < 5; i++) {
        assert_int_equal(r.u[i].has, LRC_HAS_ERROR);
        assert_false(r.u[i].final);
    }
    assert_progress(&r.u[5], 50);
    lrc_subscription_free(s);
    fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    sentinel(f);
    assert_int_equal(rec_n(&r), 6);
    rec_destroy(&r);
}


/* ========================================================================
 * Calls from inside callbacks, overflow, a scheduler that goes away
 * ====================================================================== */

typedef struct nested {
    fx *f;
    rec inner;
    int invoke_rc, connect_rc, disconnect_rc;
} nested;

static void nested_action(rec *r, size_t k)
{
    nested *n = r->action_arg;
    if (k != 1)
        return;
    n->invoke_rc =
        lrc_invoke(n->f->p, "Off", NULL, rec_cb, &n->inner, &n->f->o, &n->inner.sub, NULL);
    n->connect_rc = lrc_connect_interface(n->f->p, n->f->s, NULL);
    n->disconnect_rc = lrc_disconnect_interface(n->f->p, n->f->s);
}

static void test_calls_from_inside_a_callback(void **state)
{
    fx *f = *state;
    script off = {.code = LRC_RESULT_QUEUED};
    set_script(f, "Off", LRC_TG_VOID, &off);
    nested n = {.f = f};
    rec_init(&n.inner, f);
    rec r;
    rec_init(&r, f);
    r.action = nested_action;
    r.action_arg = &n;
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    fake_push_lrc(f->d, lrc_subscription_command_id(s), J_QUEUED);
    assert_true(rec_wait(&r, 1));
    sentinel(f); /* the first callback, and its calls, have returned */
    assert_int_equal(n.invoke_rc, LRC_OK);
    assert_int_equal(n.connect_rc, LRC_OK);
    assert_int_equal(n.disconnect_rc, LRC_OK);
    assert_non_null(n.inner.sub);
    assert_string_equal(lrc_subscription_command_id(n.inner.sub), off.id);
    fake_push_lrc(f->d, off.id, J_DONE);
    assert_true(rec_wait(&n.inner, 2));
    rec_check_all(&n.inner, off.id, 2);
    assert_status(&n.inner.u[0], LRC_STATUS_STAGING, false);
    assert_true(n.inner.u[1].final);
    lrc_subscription_free(n.inner.sub);
    lrc_subscription_free(s);
    rec_destroy(&n.inner);
    rec_destroy(&r);
}

/* ========================================================================
 * Lost first events (src/core/recover.c): a command with no event for its
 * ID by the time it returns, on a stream younger than LRC_YOUNG_STREAM_MS,
 * makes lrc_invoke wait LRC_FIRST_EVENT_WAIT_MS for one, then ask
 * CheckLongRunningCommandStatus. All cases run at once, to wait only once.
 * ====================================================================== */

/* No event at all; the device's tracker holds spec = {status, result}. */
static int silent_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                          lrc_tg_value *out, lrc_error **err)
{
    (void)in;
    (void)err;
    const char *const *spec = user;
    char *id = fake_new_id(d, cmd);
    fake_set_lrc(d, id, spec[0], spec[1]);
    fake_reply(out, LRC_RESULT_QUEUED, id);
    free(id);
    return LRC_OK;
}

/* The creation event, then more early events than the buffer holds. */
static int flood_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                         lrc_tg_value *out, lrc_error **err)
{
    (void)in;
    (void)err;
    (void)user;
    char *id = fake_new_id(d, cmd);
    fake_push_creation(d, id, false);
    for (int i = 1; i <= 4096; i++) { /* over LRC_EARLY_MAX_BYTES */
        char json[48];
        snprintf(json, sizeof json, "{\"progress\": %d}", i % 101);
        fake_push_lrc(d, id, json);
    }
    fake_reply(out, LRC_RESULT_QUEUED, id);
    free(id);
    return LRC_OK;
}

typedef struct lost_job {
    lrc_proxy *p;
    lrc_invoke_options *o;
    const char *cmd;
    rec r;
    int rc;
    size_t n_at_return; /* updates delivered when lrc_invoke returned */
} lost_job;

static void *lost_main(void *arg)
{
    lost_job *j = arg;
    j->rc = lrc_invoke(j->p, j->cmd, NULL, rec_cb, &j->r, j->o, &j->r.sub, NULL);
    j->n_at_return = rec_n(&j->r);
    return NULL;
}

static void assert_recovered_final(rec *r, const char *result_json)
{
    assert_int_equal(rec_n(r), 1);
    const upd *u = &r->u[0];
    assert_int_equal(u->has, LRC_HAS_STATUS | LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_int_equal(u->status, LRC_STATUS_COMPLETED);
    assert_string_equal(u->result_json, result_json);
    assert_int_equal(u->result_code, 0);
    assert_string_equal(u->result_message, "Done command completed OK");
    assert_true(u->final);
    assert_true(u->on_worker);
}

static void assert_hook_once(int level, const char *fmt, const char *id)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, id);
    logcap_wait(&test_hook, level, msg); /* the device is asked after lrc_invoke returned */
    if (logcap_count(&test_hook, level, msg) != 1) {
        fprintf(stderr, "wanted once: %s\n", msg);
        logcap_dump(&test_hook, "hook");
    }
    assert_int_equal(logcap_count(&test_hook, level, msg), 1);
}

#define WAIT_TEXT "no event arrived within 1000 ms of the command's reply"

static void test_lost_first_events(void **state)
{
    fx *f = *state;
    assert_int_equal(LRC_FIRST_EVENT_WAIT_MS, 1000); /* in WAIT_TEXT */
    const char *done[] = {"COMPLETED", "[0, \"Done command completed OK\"]"};
    const char *busy[] = {"IN_PROGRESS", NULL};
    const char *broken[] = {FAKE_QUERY_FAILS, NULL};
    fake_add_command(f->d, "Done", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, silent_handler, done);
    fake_add_command(f->d, "Busy", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, silent_handler, busy);
    fake_add_command(f->d, "Broken", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, silent_handler,
                     broken);
    fake_add_command(f->d, "Flood", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, flood_handler, NULL);
    script abort_commands = {
        .silent = true, .code = LRC_RESULT_STARTED, .text = "Aborting commands"};
    set_script(f, "AbortCommands", LRC_TG_VOID, &abort_commands);

    /* a v1 device beside it */
    fake_device *d1 = fake_new("test/fake/2");
    fake_set_protocol(d1, false, 0, 0);
    fake_add_command(d1, "Done", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, silent_handler, done);
    script empty = {.silent = true, .code = LRC_RESULT_QUEUED, .text = ""};
    fake_add_command(d1, "Sentinel", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    lrc_proxy *p1 = NULL;
    assert_int_equal(lrc_proxy_open_with(fake_transport(d1), "test/fake/2", NULL, &p1, NULL),
                     LRC_OK);
    /* and a v1 device of its own for the empty ID, so that its invocation
     * surely subscribes, and buffers the initial values */
    fake_device *d2 = fake_new("test/fake/3");
    fake_set_protocol(d2, false, 0, 0);
    fake_add_command(d2, "Empty", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, script_handler, &empty);
    fake_add_command(d2, "Sentinel", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, NULL, NULL);
    lrc_proxy *p2 = NULL;
    assert_int_equal(lrc_proxy_open_with(fake_transport(d2), "test/fake/3", NULL, &p2, NULL),
                     LRC_OK);

    enum { DONE2, BUSY, BROKEN, FLOOD, ABORTCMDS, DONE1, EMPTY, NJOBS };
    const char *cmds[NJOBS] = {"Done", "Busy", "Broken", "Flood", "AbortCommands", "Done", "Empty"};
    lost_job jobs[NJOBS];
    pthread_t t[NJOBS];
    for (int i = 0; i < NJOBS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].p = i == EMPTY ? p2 : i == DONE1 ? p1 : f->p;
        jobs[i].o = &f->o;
        jobs[i].cmd = cmds[i];
        rec_init(&jobs[i].r, f);
        jobs[i].r.d = i == EMPTY ? d2 : i == DONE1 ? d1 : f->d;
    }
    for (int i = 0; i < NJOBS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, lost_main, &jobs[i]), 0);
    for (int i = 0; i < NJOBS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NJOBS; i++) {
        if (i == ABORTCMDS || i == EMPTY) {
            /* 35, and issue 10 item 4: no command ID, no command to follow */
            assert_int_equal(jobs[i].rc, LRC_ERESULTCODE);
            assert_null(jobs[i].r.sub);
            continue;
        }
        assert_int_equal(jobs[i].rc, LRC_OK);
        /* lrc_invoke returned without waiting for a first event: nothing
         * had been asked or delivered yet (the timer does it a second
         * after the reply) */
        assert_int_equal(jobs[i].n_at_return, 0);
    }
    const char *id[NJOBS];
    for (int i = 0; i < NJOBS; i++)
        id[i] = lrc_subscription_command_id(jobs[i].r.sub);

    /* The device says the command has ended: the final update is read from
     * lrcFinished (v2) or longRunningCommandResult (v1), and delivered. */
    const char *recovered = "'%s': its events were lost while the subscription took effect; "
                            "the final status COMPLETED and result was read from the device";
    assert_true(rec_wait_final(&jobs[DONE2].r));
    assert_recovered_final(&jobs[DONE2].r, "[0, \"Done command completed OK\"]");
    assert_hook_once(LRC_LOG_WARNING, recovered, id[DONE2]);
    assert_true(rec_wait_final(&jobs[DONE1].r));
    assert_recovered_final(&jobs[DONE1].r, "[0, \"Done command completed OK\"]");
    assert_hook_once(LRC_LOG_WARNING, recovered, id[DONE1]);
    assert_int_equal(jobs[DONE1].r.u[0].version, 1);

    /* Still running: a warning; later events are delivered as usual. */
    assert_hook_once(LRC_LOG_WARNING,
                     "'%s': " WAIT_TEXT "; the device reports IN_PROGRESS: earlier events were "
                     "lost while the subscription took effect",
                     id[BUSY]);
    fake_push_lrc(f->d, id[BUSY], J_DONE);
    assert_true(rec_wait_final(&jobs[BUSY].r));
    /* the status the device reported, then the final */
    assert_int_equal(rec_n(&jobs[BUSY].r), 2);
    assert_status(&jobs[BUSY].r.u[0], LRC_STATUS_IN_PROGRESS, false);

    /* The status cannot be asked */
    char fmt[512];
    snprintf(fmt, sizeof fmt,
             "'%%s': " WAIT_TEXT " (lost while the subscription took effect?) and its status "
             "cannot be asked: Failed to execute command_inout on device " DEVICE
             ", command CheckLongRunningCommandStatus");
    assert_hook_once(LRC_LOG_WARNING, fmt, id[BROKEN]);

    /* 35: AbortCommands answers [[STARTED], ["Aborting commands"]], no ID;
     * 13: an empty "ID" (v1) never matches the result's initial ["", ""]:
     * both fail at once (above), nothing is followed. */

    /* More early events than the buffer holds: all dropped, with a warning;
     * what comes after the ID arrives */
    assert_hook_once(LRC_LOG_WARNING,
                     "'%s': events that arrived before the command returned its ID were "
                     "dropped (more than 256 KiB, or later than the proxy timeout + 1 s)",
                     id[FLOOD]);
    assert_hook_once(LRC_LOG_WARNING,
                     "'%s': " WAIT_TEXT "; the device reports STAGING: earlier events were "
                     "lost while the subscription took effect",
                     id[FLOOD]);
    fake_push_lrc(f->d, id[FLOOD], J_DONE);
    assert_true(rec_wait_final(&jobs[FLOOD].r));
    assert_int_equal(rec_n(&jobs[FLOOD].r), 2);
    assert_status(&jobs[FLOOD].r.u[0], LRC_STATUS_STAGING, false);

    /* nothing else reached a callback, not even when the initial value
     * ["", ""] comes again */
    PUSH(d2, V1_RESULT, "", "");
    PUSH(d2, V1_STATUS, "", "");
    sentinel(f);
    fx f1 = {.d = d1, .s = f->s, .p = p1, .o = f->o};
    sentinel(&f1);
    fx f2 = {.d = d2, .s = f->s, .p = p2, .o = f->o};
    sentinel(&f2);
    assert_int_equal(rec_n(&jobs[BROKEN].r), 0);
    assert_int_equal(rec_n(&jobs[ABORTCMDS].r), 0);
    assert_int_equal(rec_n(&jobs[EMPTY].r), 0);
    char *trace = fake_trace(f->d);
    assert_non_null(strstr(trace, "inout:CheckLongRunningCommandStatus read:lrcFinished"));
    free(trace);

    for (int i = 0; i < NJOBS; i++) {
        lrc_subscription_free(jobs[i].r.sub);
        rec_destroy(&jobs[i].r);
    }
    lrc_proxy_close(p1);
    lrc_proxy_close(p2);
    assert_true(fake_wait_closed(d1, WAIT_MS));
    assert_true(fake_wait_closed(d2, WAIT_MS));
    assert_int_equal(fake_live_total(d1), 0);
    assert_int_equal(fake_live_total(d2), 0);
    fake_free(d1);
    fake_free(d2);
}

/* A command that pushes one early event (spec[0], JSON) but not STAGING,
 * as when the stream took effect during the command; the device then
 * reports spec[1] to CheckLongRunningCommandStatus. */
static int partial_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                           lrc_tg_value *out, lrc_error **err)
{
    (void)in;
    (void)err;
    const char *const *spec = user;
    char *id = fake_new_id(d, cmd);
    fake_set_lrc(d, id, spec[1], NULL);
    fake_push_lrc(d, id, spec[0]);
    fake_reply(out, LRC_RESULT_QUEUED, id);
    free(id);
    return LRC_OK;
}

/* The first event on a young stream is not STAGING: events were lost.
 * The device is asked, and its status is delivered unless an event has
 * told a status already; nothing is delivered twice. */
static void test_first_events_lost_mid_command(void **state)
{
    fx *f = *state;
    const char *progress_only[] = {"{\"progress\": 10}", "IN_PROGRESS"};
    const char *queued_seen[] = {J_QUEUED, "IN_PROGRESS"};
    fake_add_command(f->d, "Partial", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, partial_handler,
                     progress_only);
    fake_add_command(f->d, "Queued", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, partial_handler,
                     queued_seen);
    const char *lost = "'%s': its first event was not STAGING; the device reports IN_PROGRESS: "
                       "earlier events were lost while the subscription took effect";
    const char *lost_queued = "'%s': its first event was not STAGING; the device reports "
                              "QUEUED: earlier events were lost while the subscription took "
                              "effect";

    rec a;
    rec_init(&a, f);
    assert_int_equal(lrc_invoke(f->p, "Partial", NULL, rec_cb, &a, &f->o, &a.sub, NULL), LRC_OK);
    const char *ida = lrc_subscription_command_id(a.sub);
    assert_true(rec_wait(&a, 2));
    assert_progress(&a.u[0], 10);
    assert_status(&a.u[1], LRC_STATUS_IN_PROGRESS, false); /* read from the device */
    assert_hook_once(LRC_LOG_WARNING, lost, ida);
    fake_push_lrc(f->d, ida, J_IN_PROGRESS); /* a late repeat is still an event */
    fake_push_lrc(f->d, ida, J_DONE);
    assert_true(rec_wait_final(&a));
    assert_int_equal(rec_n(&a), 4);

    /* an event told a status (QUEUED; the fake device now reports it too):
     * the device's answer is only logged, not delivered again */
    rec b;
    rec_init(&b, f);
    assert_int_equal(lrc_invoke(f->p, "Queued", NULL, rec_cb, &b, &f->o, &b.sub, NULL), LRC_OK);
    const char *idb = lrc_subscription_command_id(b.sub);
    assert_hook_once(LRC_LOG_WARNING, lost_queued, idb);
    fake_push_lrc(f->d, idb, J_DONE);
    assert_true(rec_wait_final(&b));
    assert_int_equal(rec_n(&b), 2);
    assert_status(&b.u[0], LRC_STATUS_QUEUED, false);

    char *trace = fake_trace(f->d);
    assert_non_null(strstr(trace, "inout:CheckLongRunningCommandStatus"));
    free(trace);
    lrc_subscription_free(a.sub);
    lrc_subscription_free(b.sub);
    rec_destroy(&a);
    rec_destroy(&b);
}

/* ========================================================================
 * The invocation's logger lives as long as its handle: a recovery under way
 * when lrc_subscription_free returns logs to the hook, free waits for a
 * logger call on another thread, and may be called from inside one.
 * ====================================================================== */

/* One call held until released: a device answer, or a logger call. */
typedef struct held {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, released, left;
    bool inside;           /* entered and not left */
    logcap cap;            /* what a held logger was given */
    lrc_subscription *sub; /* freed from inside the held logger, if set */
} held;

static void held_init(held *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    logcap_init(&h->cap);
}

static void held_destroy(held *h)
{
    logcap_destroy(&h->cap);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
}

static void held_here(held *h)
{
    pthread_mutex_lock(&h->mu);
    h->entered = h->inside = true;
    pthread_cond_broadcast(&h->cv);
    wait_flag(&h->mu, &h->cv, &h->released, 10000);
    h->inside = false;
    h->left = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static bool held_wait(held *h, bool *flag, int64_t ms)
{
    pthread_mutex_lock(&h->mu);
    bool ok = wait_flag(&h->mu, &h->cv, flag, ms);
    pthread_mutex_unlock(&h->mu);
    return ok;
}

static void held_release(held *h)
{
    pthread_mutex_lock(&h->mu);
    h->released = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* CheckLongRunningCommandStatus answering IN_PROGRESS once released. */
static int held_status_handler(fake_device *d, void *user, const char *cmd, const lrc_tg_value *in,
                               lrc_tg_value *out, lrc_error **err)
{
    (void)d;
    (void)cmd;
    (void)in;
    (void)err;
    held_here(user);
    out->type = LRC_TG_STRING;
    out->s = strdup("IN_PROGRESS");
    assert_non_null(out->s);
    return LRC_OK;
}

/* A logger that holds its first warning (and may free a handle in it). */
static void held_logger(void *user, int level, const char *msg)
{
    held *h = user;
    logcap_fn(&h->cap, level, msg);
    if (level != LRC_LOG_WARNING)
        return;
    pthread_mutex_lock(&h->mu);
    lrc_subscription *s = h->sub;
    h->sub = NULL;
    pthread_mutex_unlock(&h->mu);
    lrc_subscription_free(s); /* from inside the logger: must not wait for itself */
    held_here(h);
}

#define BUSY_LOST                                                                              \
    "'%s': " WAIT_TEXT "; the device reports IN_PROGRESS: earlier events were lost while the " \
    "subscription took effect"

static lrc_subscription *invoke_busy(fx *f, lrc_log_fn logger, void *logger_user, rec *r)
{
    static const char *busy[] = {"IN_PROGRESS", NULL};
    fake_add_command(f->d, "Busy", LRC_TG_VOID, LRC_TG_LONG_STRING_ARRAY, silent_handler, busy);
    lrc_invoke_options o = f->o;
    o.logger = logger;
    o.logger_user = logger_user;
    rec_init(r, f);
    assert_int_equal(lrc_invoke(f->p, "Busy", NULL, rec_cb, r, &o, &r->sub, NULL), LRC_OK);
    return r->sub;
}

static void test_logger_not_called_after_free(void **state)
{
    fx *f = *state;
    held query;
    held_init(&query);
    fake_add_command(f->d, "CheckLongRunningCommandStatus", LRC_TG_STRING, LRC_TG_STRING,
                     held_status_handler, &query);
    logcap mine;
    logcap_init(&mine);
    rec r;
    lrc_subscription *s = invoke_busy(f, logcap_fn, &mine, &r);
    char id[128];
    snprintf(id, sizeof id, "%s", lrc_subscription_command_id(s));
    /* no event: a second after the reply a worker asks the device */
    assert_true(held_wait(&query, &query.entered, WAIT_MS));
    lrc_subscription_free(s); /* does not wait for the device's answer */
    pthread_mutex_lock(&query.mu);
    bool answered_before_free_returned = query.left;
    pthread_mutex_unlock(&query.mu);
    held_release(&query);
    assert_hook_once(LRC_LOG_WARNING, BUSY_LOST, id); /* the hook, not the freed logger */
    sentinel(f); /* the recovery's queue has run dry */
    if (logcap_n(&mine) != 0)
        logcap_dump(&mine, "the freed invocation's logger");
    assert_int_equal(logcap_n(&mine), 0);
    assert_false(answered_before_free_returned);
    assert_int_equal(rec_n(&r), 0); /* the status read is not delivered either */
    rec_destroy(&r);
    logcap_destroy(&mine);
    held_destroy(&query);
}

static void test_free_waits_for_a_running_logger(void **state)
{
    fx *f = *state;
    held lg;
    held_init(&lg);
    rec r;
    lrc_subscription *s = invoke_busy(f, held_logger, &lg, &r);
    char id[128], msg[512];
    snprintf(id, sizeof id, "%s", lrc_subscription_command_id(s));
    assert_true(held_wait(&lg, &lg.entered, WAIT_MS)); /* the recovery's warning */
    free_job j;
    bool returned_early = free_job_start(&j, s, &lg.mu, &lg.inside);
    held_release(&lg);
    free_job_join(&j);
    assert_false(returned_early);
    assert_false(j.running_at_return);
    snprintf(msg, sizeof msg, BUSY_LOST, id);
    assert_int_equal(logcap_count(&lg.cap, LRC_LOG_WARNING, msg), 1);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_WARNING, msg), 0);
    rec_destroy(&r);
    held_destroy(&lg);
}

static void test_free_inside_the_logger(void **state)
{
    fx *f = *state;
    held lg;
    held_init(&lg);
    rec r;
    lrc_subscription *s = invoke_busy(f, held_logger, &lg, &r);
    char msg[512];
    snprintf(msg, sizeof msg, BUSY_LOST, lrc_subscription_command_id(s));
    pthread_mutex_lock(&lg.mu);
    lg.sub = s; /* the logger frees it, then holds */
    pthread_mutex_unlock(&lg.mu);
    assert_true(held_wait(&lg, &lg.entered, WAIT_MS)); /* the free returned inside it */
    held_release(&lg);
    assert_true(held_wait(&lg, &lg.left, WAIT_MS));
    sentinel(f);
    pthread_mutex_lock(&lg.mu);
    assert_null(lg.sub);
    pthread_mutex_unlock(&lg.mu);
    assert_int_equal(logcap_count(&lg.cap, LRC_LOG_WARNING, msg), 1);
    assert_int_equal(logcap_n(&lg.cap), 1);
    rec_destroy(&r);
    held_destroy(&lg);
}

static void test_invoke_options_size_is_honoured(void **state)
{
    fx *f = *state;
    logcap mine;
    logcap_init(&mine);
    script sc = {.silent = true, .code = LRC_RESULT_REJECTED, .text = "Busy"};
    set_script(f, "On", LRC_TG_VOID, &sc);
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    assert_int_equal(o.size, sizeof o);
    o.scheduler = f->s;
    o.logger = logcap_fn;
    o.logger_user = &mine;
    o.size = offsetof(lrc_invoke_options, logger); /* a caller built before the logger */
    rec r;
    rec_init(&r, f);
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, &o, NULL, NULL), LRC_EREJECTED);
    assert_int_equal(logcap_n(&mine), 0);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, "On command rejected: Busy"), 1);
    o.size = sizeof o;
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, &o, NULL, NULL), LRC_EREJECTED);
    assert_int_equal(logcap_count(&mine, LRC_LOG_ERROR, "On command rejected: Busy"), 1);
    assert_int_equal(logcap_count(&test_hook, LRC_LOG_ERROR, "On command rejected: Busy"), 1);
    rec_destroy(&r);
    logcap_destroy(&mine);
}

/* lrc_invoke on another scheduler, the handle in r->sub. */
static void invoke_on(fx *f, lrc_scheduler *s, const char *cmd, rec *r)
{
    lrc_invoke_options o = f->o;
    o.scheduler = s;
    r->s = s;
    assert_int_equal(lrc_invoke(f->p, cmd, NULL, rec_cb, r, &o, &r->sub, NULL), LRC_OK);
}

/* A full queue drops the oldest non-terminal callbacks, never the final
 * one, also those of a handle already freed. */
static void test_queue_overflow_keeps_the_final_callback(void **state)
{
    fx *f = *state;
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.queue_capacity = 4;
    lrc_scheduler *s2 = NULL;
    assert_int_equal(lrc_scheduler_new(&so, &s2, NULL), LRC_OK);

    rec b, a;
    rec_init(&b, f);
    rec_init(&a, f);
    b.block_at = 1; /* its creation event holds the worker */
    invoke_on(f, s2, "Off", &b);
    invoke_on(f, s2, "On", &a); /* its creation event is queued */
    const char *ia = lrc_subscription_command_id(a.sub);
    const char *ib = lrc_subscription_command_id(b.sub);
    assert_true(rec_wait_blocked(&b));
    for (int i = 1; i <= 10; i++) {
        char json[48];
        snprintf(json, sizeof json, "{\"progress\": %d}", i);
        fake_push_lrc(f->d, ia, json);
    }
    fake_push_lrc(f->d, ia, J_DONE);
    rec_release(&b);
    assert_true(rec_wait_final(&a));
    assert_int_equal(rec_n(&a), 4);
    assert_status(&a.u[0], LRC_STATUS_STAGING, false); /* a status is never dropped */
    assert_progress(&a.u[1], 9);
    assert_progress(&a.u[2], 10);
    assert_true(a.u[3].final);
    lrc_queue_stats st;
    lrc_scheduler_get_stats(s2, &st);
    assert_int_equal(st.dropped, 8); /* progress 1-8 */

    /* the queued callbacks of a freed handle are dropped the same way */
    rec b2, c;
    rec_init(&b2, f);
    rec_init(&c, f);
    b2.block_at = 1;
    invoke_on(f, s2, "Off", &b2);
    invoke_on(f, s2, "On", &c);
    const char *ib2 = lrc_subscription_command_id(b2.sub);
    assert_true(rec_wait_blocked(&b2));
    for (int i = 1; i <= 3; i++)
        fake_push_lrc(f->d, lrc_subscription_command_id(c.sub), "{\"progress\": 1}");
    lrc_subscription_free(c.sub);
    for (int i = 1; i <= 4; i++) {
        char json[48];
        snprintf(json, sizeof json, "{\"progress\": %d}", i);
        fake_push_lrc(f->d, ib2, json);
    }
    fake_push_lrc(f->d, ib2, J_DONE);
    rec_release(&b2);
    assert_true(rec_wait_final(&b2));
    assert_int_equal(rec_n(&b2), 4); /* c's creation event (a status) stays queued */
    assert_progress(&b2.u[1], 3);
    assert_int_equal(rec_n(&c), 0);

    fake_push_lrc(f->d, ib, J_DONE);
    assert_true(rec_wait_final(&b));
    lrc_subscription_free(a.sub);
    lrc_subscription_free(b.sub);
    lrc_subscription_free(b2.sub);
    lrc_scheduler_free(s2);
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&a);
    rec_destroy(&b);
    rec_destroy(&b2);
    rec_destroy(&c);
}

/* Issue 10 item 3: v1 sends a command's result as an update of its own just
 * before the final status; an overflowing queue drops progress only, never
 * that result (nor a status). */
static void test_v1_overflow_keeps_the_result(void **state)
{
    fx *f = *state;
    fake_set_protocol(f->d, false, 0, 0);
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.queue_capacity = 1;
    lrc_scheduler *s2 = NULL;
    assert_int_equal(lrc_scheduler_new(&so, &s2, NULL), LRC_OK);
    rec b, a;
    rec_init(&b, f);
    rec_init(&a, f);
    b.block_at = 1; /* its creation event holds the worker */
    invoke_on(f, s2, "Off", &b);
    invoke_on(f, s2, "On", &a); /* its creation event is queued */
    const char *ia = lrc_subscription_command_id(a.sub);
    assert_true(rec_wait_blocked(&b));
    PUSH(f->d, V1_PROGRESS, ia, "10");
    PUSH(f->d, V1_PROGRESS, ia, "20");
    PUSH(f->d, V1_RESULT, ia, "[0, \"done\"]");
    PUSH(f->d, V1_STATUS, ia, "COMPLETED");
    rec_release(&b);
    assert_true(rec_wait_final(&a));
    assert_int_equal(rec_n(&a), 3);
    assert_status(&a.u[0], LRC_STATUS_STAGING, false);
    assert_int_equal(a.u[1].has, LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_string_equal(a.u[1].result_json, "[0, \"done\"]");
    assert_status(&a.u[2], LRC_STATUS_COMPLETED, true);
    lrc_queue_stats st;
    lrc_scheduler_get_stats(s2, &st);
    assert_int_equal(st.dropped, 2); /* the two progress updates */

    PUSH(f->d, V1_STATUS, lrc_subscription_command_id(b.sub), "COMPLETED");
    assert_true(rec_wait_final(&b));
    lrc_subscription_free(a.sub);
    lrc_subscription_free(b.sub);
    lrc_scheduler_free(s2);
    assert_int_equal(fake_live_total(f->d), 0);
    rec_destroy(&a);
    rec_destroy(&b);
}

/* A fire-and-forget invocation whose scheduler is freed before the command
 * ends: its final event cannot be delivered any more, but the invocation
 * has ended all the same and must not keep the device subscribed (nor the
 * proxy alive) for ever. */
static void test_fire_and_forget_outlives_its_scheduler(void **state)
{
    fx *f = *state;
    lrc_scheduler *s2 = NULL;
    assert_int_equal(lrc_scheduler_new(NULL, &s2, NULL), LRC_OK);
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "On", LRC_TG_VOID, &sc);
    lrc_invoke_options o = f->o;
    o.scheduler = s2;
    rec r;
    rec_init(&r, f);
    r.s = s2;
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, &o, NULL, NULL), LRC_OK);
    fake_push_lrc(f->d, sc.id, J_IN_PROGRESS);
    assert_true(rec_wait(&r, 2));
    lrc_scheduler_free(s2);
    fake_push_lrc(f->d, sc.id, J_DONE); /* nowhere to run its callback */
    assert_true(lrc_reaper_wait_idle(WAIT_MS)); /* the event thread left it to the reaper */
    int live = fake_live_total(f->d);
    lrc_proxy_close(f->p);
    f->p = NULL;
    bool closed = fake_wait_closed(f->d, 200);
    assert_int_equal(rec_n(&r), 2);
    rec_destroy(&r);
    assert_int_equal(live, 0);
    assert_true(closed);
}

/* Issue 10 item 1: the same, but the proxy is closed first: the event that
 * finds the scheduler gone arrives on a Tango thread and ends the last use
 * of the proxy there. Its connection must be closed elsewhere (cppTango
 * waits 5 s, then unlocks a freed mutex, when a proxy is closed inside its
 * own event callback). */
static void test_last_proxy_use_ends_on_a_tango_thread(void **state)
{
    fx *f = *state;
    lrc_scheduler *s2 = NULL;
    assert_int_equal(lrc_scheduler_new(NULL, &s2, NULL), LRC_OK);
    lrc_invoke_options o = f->o;
    o.scheduler = s2;
    rec r;
    rec_init(&r, f);
    r.s = s2;
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, &o, NULL, NULL), LRC_OK);
    assert_true(rec_wait(&r, 1)); /* STAGING */
    lrc_proxy_close(f->p); /* the invocation keeps it open */
    f->p = NULL;
    assert_int_equal(fake_open_connections(f->d), 1);
    lrc_scheduler_free(s2);
    fake_push_lrc_thread(f->d, r.u[0].id, J_IN_PROGRESS);
    bool closed = fake_wait_closed(f->d, WAIT_MS);
    assert_int_equal(fake_closes_in_callback(f->d), 0);
    assert_true(closed);
    assert_int_equal(fake_live_total(f->d), 0);
    assert_int_equal(rec_n(&r), 1);
    rec_destroy(&r);
}

/* ------------------------------------------------------------------------ */

/* ========================================================================
 * Lingering streams (lrc_proxy_options.linger_ms)
 * ====================================================================== */

/* Waits (WAIT_MS) until attr has `live` live subscriptions. */
static bool wait_live(fx *f, const char *attr, int live)
{
    for (int64_t end = lrc_now_ms() + WAIT_MS; lrc_now_ms() < end;) {
        if (fake_live(f->d, attr) == live)
            return true;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return fake_live(f->d, attr) == live;
}

/* The default: the stream outlives the invocation, the next one reuses it
 * (no subscription, no negotiation), lrc_proxy_close drops it at once. */
static void test_linger_reuses_the_stream(void **state)
{
    fx *f = *state;
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    assert_int_equal(po.linger_ms, LRC_DEFAULT_LINGER_MS);
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "On", LRC_TG_VOID, &sc);
    assert_int_equal(run_one(f, &sc), 1); /* still subscribed in the final callback */
    assert_int_equal(fake_live(f->d, LRC_EVENT), 1);

    fake_trace_clear(f->d);
    for (int i = 0; i < 3; i++)
        assert_int_equal(run_one(f, &sc), 1);
    assert_trace(f, "inout:On inout:On inout:On"); /* nothing but the commands */
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.subscribes, 1);
    assert_int_equal(st.unsubscribes, 0);
    assert_int_equal(st.streams, 1);
    assert_int_equal(st.invocations, 4);

    /* close: unsubscribed before it returns, the connection closed with it
     * (no timer keeps the proxy) */
    lrc_proxy_close(f->p);
    f->p = NULL;
    assert_int_equal(fake_live_total(f->d), 0);
    assert_int_equal(fake_unsubscribes(f->d, LRC_EVENT), 1);
    assert_true(fake_wait_closed(f->d, WAIT_MS));
}

/* linger_ms 0: today's behaviour, unsubscribed before the final callback. */
static void test_linger_zero_unsubscribes_at_once(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "On", LRC_TG_VOID, &sc);
    assert_int_equal(run_one(f, &sc), 0);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 0);
    assert_int_equal(run_one(f, &sc), 0);
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), 2);
    assert_int_equal(fake_unsubscribes(f->d, LRC_EVENT), 2);
}

/* The timer ends a lingering stream; the next invocation subscribes. */
static void test_linger_expires(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "On", LRC_TG_VOID, &sc);
    assert_int_equal(run_one(f, &sc), 1);
    assert_true(wait_live(f, LRC_EVENT, 0));
    lrc_proxy_stats st;
    lrc_proxy_get_stats(f->p, &st);
    assert_int_equal(st.unsubscribes, 1);
    assert_int_equal(st.streams, 0);
    assert_int_equal(run_one(f, &sc), 1);
    assert_int_equal(fake_subscribes(f->d, LRC_EVENT), 2);
}

/* A lingering stream that reports an error (the device is down or
 * restarting) is dropped at once: the next invocation subscribes and
 * negotiates afresh, as without lingering. */
static void test_lingering_stream_error_drops_it(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    set_script(f, "On", LRC_TG_VOID, &sc);
    assert_int_equal(run_one(f, &sc), 1);
    assert_int_equal(fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout",
                                            EVENT_TIMEOUT_DESC),
                     1);
    assert_true(wait_live(f, LRC_EVENT, 0));
    assert_int_equal(fake_unsubscribes(f->d, LRC_EVENT), 1);

    /* the device came back, as v1 only */
    fake_set_protocol(f->d, false, 0, 0);
    fake_trace_clear(f->d);
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    assert_int_equal(lrc_subscription_protocol_version(s), 1);
    char *trace = fake_trace(f->d);
    assert_non_null(strstr(trace, "attrs sub:longRunningCommandStatus"));
    free(trace);
    assert_true(PUSH(f->d, V1_STATUS, sc.id, "COMPLETED") >= 1);
    assert_true(rec_wait_final(&r));
    end_invocation(s, &r);
    assert_int_equal(fake_live(f->d, LRC_EVENT), 0);
}

/* ========================================================================
 * An event that cannot be read (issue 10 item 2)
 * ====================================================================== */

/* Neither JSON nor with a readable status: it may have been the final
 * event, so the device is asked, and its final status and result are
 * delivered; a readable later event is not needed to end. */
static void test_unreadable_final_event_asks_the_device(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    rec r;
    lrc_subscription *s = start_on(f, &sc, &r);
    after_creation(&r);
    /* still running on the device: the error update, nothing else */
    fake_push_lrc_thread(f->d, sc.id, "{\"progress\": 5, \"sta");
    assert_true(rec_wait(&r, 2));
    assert_true(r.u[1].has & LRC_HAS_ERROR);
    sentinel(f);
    assert_int_equal(rec_n(&r), 2);

    /* ended on the device: its final status and result */
    fake_set_lrc(f->d, sc.id, "COMPLETED", "[0, \"done\"]");
    fake_push_lrc_thread(f->d, sc.id, "{\"result\": [0, \"done\"], \"st");
    assert_true(rec_wait_final(&r));
    assert_int_equal(rec_n(&r), 4);
    assert_true(r.u[2].has & LRC_HAS_ERROR);
    assert_false(r.u[2].final);
    const upd *last = &r.u[3];
    assert_int_equal(last->has, LRC_HAS_STATUS | LRC_HAS_RESULT | LRC_HAS_RESULT_CODE);
    assert_int_equal(last->status, LRC_STATUS_COMPLETED);
    assert_string_equal(last->result_json, "[0, \"done\"]");
    assert_true(last->final);
    assert_hook_once(LRC_LOG_WARNING,
                     "'%s': an event could not be read; the final status COMPLETED and result "
                     "was read from the device",
                     sc.id);
    /* a late readable final changes nothing */
    fake_push_lrc(f->d, sc.id, J_DONE);
    sentinel(f);
    assert_int_equal(rec_n(&r), 4);
    end_invocation(s, &r);
}


/* A stream that comes back after an error event (cppTango re-subscribed
 * after the device restarted) lost what the device published meanwhile:
 * the device is asked, and a command that ended meanwhile gets its final
 * update. */
static void test_stream_back_after_error_asks_the_device(void **state)
{
    fx *f = *state;
    script sc = {.code = LRC_RESULT_QUEUED};
    rec r;
    lrc_subscription *s = start_on(f, &sc, &r);
    after_creation(&r);
    fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    assert_true(rec_wait(&r, 2));
    assert_true(r.u[1].has & LRC_HAS_ERROR);
    /* the device ended it meanwhile; the stream's fresh value is another
     * command's event */
    fake_set_lrc(f->d, sc.id, "COMPLETED", "[0, \"done\"]");
    const char *other[] = {"1.5_7_Off", J_IN_PROGRESS};
    fake_push_strings_thread(f->d, LRC_EVENT, other, 2);
    assert_true(rec_wait_final(&r));
    assert_int_equal(rec_n(&r), 3);
    const upd *last = &r.u[2];
    assert_int_equal(last->status, LRC_STATUS_COMPLETED);
    assert_string_equal(last->result_json, "[0, \"done\"]");
    assert_true(last->final);
    assert_hook_once(LRC_LOG_WARNING,
                     "'%s': its event stream came back after an error; the final status "
                     "COMPLETED and result was read from the device",
                     sc.id);
    end_invocation(s, &r);
}


/* ------------------------------------------------------------------------
 * Ends the library decides: timeout_ms, "lost"
 * ---------------------------------------------------------------------- */

/* The one final update of an end by the library: no TaskStatus, the end
 * reason, the last status seen, an error that says why. */
static void assert_client_end(const upd *u, int end, int last_status)
{
    assert_true(u->final);
    assert_true(u->has & LRC_HAS_END);
    assert_false(u->has & LRC_HAS_STATUS);
    assert_int_equal(u->status, -1);
    assert_int_equal(u->end, end);
    assert_int_equal(u->last_status, last_status);
    assert_true(u->has & LRC_HAS_ERROR);
    assert_non_null(u->error);
}

/* A real final of the device: its terminal status (with its result). */
static void assert_real_final(const upd *u, int status)
{
    assert_true(u->final);
    assert_true(u->has & LRC_HAS_STATUS);
    assert_false(u->has & LRC_HAS_END);
    assert_int_equal(u->status, status);
}

static void test_end_names(void **state)
{
    (void)state;
    assert_string_equal(lrc_end_name(LRC_END_TIMED_OUT), "TIMED_OUT");
    assert_string_equal(lrc_end_name(LRC_END_LOST), "LOST");
    assert_null(lrc_end_name(LRC_END_NONE));
    assert_null(lrc_end_name(99));
    assert_non_null(strstr(lrc_end_text(LRC_END_LOST), "lost"));
    assert_non_null(strstr(lrc_end_text(LRC_END_TIMED_OUT), "timed out"));
    assert_non_null(lrc_end_text(-1));
}

static void test_timeout_ends_once_and_nothing_follows(void **state)
{
    fx *f = *state;
    lrc_error *err = NULL;
    rec r;
    rec_init(&r, f);
    f->o.timeout_ms = -1;
    lrc_subscription *bad = NULL;
    assert_int_equal(lrc_invoke(f->p, "On", NULL, rec_cb, &r, &f->o, &bad, &err), LRC_EINVAL);
    assert_null(bad);
    lrc_error_free(err);
    f->o.timeout_ms = 300;
    lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    after_creation(&r);
    assert_int_equal(fake_push_lrc(f->d, id, J_IN_PROGRESS), 1);
    assert_true(rec_wait_final(&r));
    assert_int_equal(rec_n(&r), 3);
    assert_status(&r.u[1], LRC_STATUS_IN_PROGRESS, false);
    assert_client_end(&r.u[2], LRC_END_TIMED_OUT, LRC_STATUS_IN_PROGRESS);
    assert_int_equal(lrc_error_code(r.u[2].error), LRC_ETIMEDOUT);
    rec_check_all(&r, id, 2);
    /* the device's final afterwards reaches nobody: the streams are gone */
    assert_int_equal(fake_push_lrc(f->d, id, J_DONE), 0);
    sentinel(f);
    assert_int_equal(rec_n(&r), 3);
    end_invocation(s, &r);
}

/* A real final and the timeout at the same moment: exactly one final,
 * whichever came first, and nothing after it. Many rounds, racing the
 * reaper thread against a Tango thread. */
static void test_timeout_races_the_real_final(void **state)
{
    fx *f = *state;
    int real = 0, timed = 0;
    for (int round = 0; round < 60; round++) {
        rec r;
        rec_init(&r, f);
        f->o.timeout_ms = 20;
        lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
        const char *id = lrc_subscription_command_id(s);
        sleep_ms(round % 3 == 0 ? 19 : round % 3 == 1 ? 20 : 21);
        fake_push_strings_thread(f->d, LRC_EVENT, (const char *[]){id, J_DONE}, 2);
        assert_true(rec_wait_final(&r));
        sentinel(f); /* whatever was queued for it has run */
        size_t n = rec_n(&r);
        size_t finals = 0;
        for (size_t i = 0; i < n; i++)
            finals += r.u[i].final;
        assert_int_equal(finals, 1);
        assert_true(r.u[n - 1].final);
        if (r.u[n - 1].has & LRC_HAS_END) {
            assert_client_end(&r.u[n - 1], LRC_END_TIMED_OUT, LRC_STATUS_STAGING);
            timed++;
        } else {
            assert_real_final(&r.u[n - 1], LRC_STATUS_COMPLETED);
            real++;
        }
        end_invocation(s, &r);
    }
    f->o.timeout_ms = 0;
    print_message("timeout vs final: %d real finals, %d timeouts, 0 duplicates\n", real, timed);
}

/* lrc_subscription_free racing the timer: no callback after free returns,
 * nothing leaks (ASan/valgrind), the timer's reference is dropped. */
static void test_free_races_the_timer(void **state)
{
    fx *f = *state;
    for (int round = 0; round < 60; round++) {
        rec r;
        rec_init(&r, f);
        f->o.timeout_ms = 5;
        lrc_subscription *s = invoke_ok(f, "On", NULL, &r);
        sleep_ms(round % 10);
        lrc_subscription_free(s);
        size_t n = rec_n(&r);
        sleep_ms(15);
        sentinel(f);
        assert_int_equal(rec_n(&r), n); /* nothing after free */
        rec_destroy(&r);
    }
    f->o.timeout_ms = 0;
}

/* A stream comes back after an error; the restarted device does not know
 * the command: lost, with the last status seen. */
static void test_not_found_after_restart_is_lost(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    after_creation(&r);
    assert_int_equal(fake_push_lrc(f->d, id, J_IN_PROGRESS), 1);
    fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    assert_true(rec_wait(&r, 3));
    assert_true(r.u[2].has & LRC_HAS_ERROR);
    assert_false(r.u[2].final);
    fake_set_lrc(f->d, id, "NOT_FOUND", NULL); /* restarted: it forgot the command */
    const char *other[] = {"", ""};
    fake_push_strings_thread(f->d, LRC_EVENT, other, 2);
    assert_true(rec_wait_final(&r));
    sentinel(f);
    assert_int_equal(rec_n(&r), 4);
    assert_client_end(&r.u[3], LRC_END_LOST, LRC_STATUS_IN_PROGRESS);
    assert_int_equal(lrc_error_code(r.u[3].error), LRC_ENOTFOUND);
    assert_non_null(strstr(lrc_error_message(r.u[3].error), "NOT_FOUND"));
    end_invocation(s, &r);
}

/* A device whose entry expired (NOT_FOUND) but still lists the command in
 * lrcFinished: its real outcome, not lost. */
static void test_not_found_but_finished_is_the_real_outcome(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    after_creation(&r);
    fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    assert_true(rec_wait(&r, 2));
    fake_set_lrc(f->d, id, "COMPLETED", "[0, \"done\"]");
    fake_expire_lrc(f->d, id);
    const char *other[] = {"", ""};
    fake_push_strings_thread(f->d, LRC_EVENT, other, 2);
    assert_true(rec_wait_final(&r));
    sentinel(f);
    assert_int_equal(rec_n(&r), 3);
    assert_real_final(&r.u[2], LRC_STATUS_COMPLETED);
    end_invocation(s, &r);
}

static int fx_setup_lost_fast(void **state)
{
    int rc = fx_setup_with(state, 0, 0);
    fx *f = *state;
    lrc_proxy_close(f->p);
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    assert_int_equal(po.lost_after_ms, LRC_DEFAULT_LOST_AFTER_MS);
    po.linger_ms = 0;
    po.lost_after_ms = 400;
    assert_int_equal(lrc_proxy_open_with(fake_transport(f->d), DEVICE, &po, &f->p, NULL), LRC_OK);
    return rc;
}

/* The stream stays in error and the device does not answer: lost once the
 * bound is past; the device was asked meanwhile. */
static void test_unreachable_past_the_bound_is_lost(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    after_creation(&r);
    fake_set_lrc(f->d, id, FAKE_QUERY_FAILS, NULL);
    int64_t t0 = lrc_now_ms();
    fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    assert_true(rec_wait_final(&r));
    int64_t took = lrc_now_ms() - t0;
    assert_true(took >= 400);
    sentinel(f);
    assert_int_equal(rec_n(&r), 3);
    assert_true(r.u[1].has & LRC_HAS_ERROR);
    assert_client_end(&r.u[2], LRC_END_LOST, LRC_STATUS_STAGING);
    assert_int_equal(lrc_error_code(r.u[2].error), LRC_ETIMEDOUT);
    assert_non_null(strstr(lrc_error_message(r.u[2].error), "unreachable"));
    char *trace = fake_trace(f->d);
    /* Asked before giving up: the bound is judged only when a question
     * fails (how many were asked within 400 ms depends on the machine's
     * load: one when the first is late). */
    assert_non_null(strstr(trace, "inout:CheckLongRunningCommandStatus"));
    free(trace);
    end_invocation(s, &r);
}

/* The stream stays in error, but the device answers (it came back without
 * its stream): the probe finds the real final. */
static void test_probe_finds_the_final_while_the_stream_is_down(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    after_creation(&r);
    fake_set_lrc(f->d, id, "IN_PROGRESS", NULL);
    fake_push_error_thread(f->d, LRC_EVENT, "API_EventTimeout", EVENT_TIMEOUT_DESC);
    assert_true(rec_wait(&r, 2));
    sleep_ms(600); /* past the bound: but the device answers, so not lost */
    assert_false(r.final_seen);
    fake_set_lrc(f->d, id, "COMPLETED", "[0, \"done\"]");
    assert_true(rec_wait_final(&r));
    sentinel(f);
    assert_int_equal(rec_n(&r), 3);
    assert_real_final(&r.u[2], LRC_STATUS_COMPLETED);
    end_invocation(s, &r);
}

#define MISSED_DESC "Missed some events! Zmq queue has reached HWM?"

/* An event gap (cppTango's API_MissedEvents, then the value that showed
 * it) while the command runs, and its final dropped by a later gap with
 * no event after it: the device is asked again each question period until
 * the invocation ends, so the final is found without any new event. */
static void test_gap_then_silence_still_finds_the_final(void **state)
{
    fx *f = *state;
    rec r;
    lrc_subscription *s = start_on(f, NULL, &r);
    const char *id = lrc_subscription_command_id(s);
    after_creation(&r);
    fake_set_lrc(f->d, id, "IN_PROGRESS", NULL);
    fake_push_error_thread(f->d, LRC_EVENT, "API_MissedEvents", MISSED_DESC);
    assert_true(rec_wait(&r, 2));
    assert_true(r.u[1].has & LRC_HAS_ERROR);
    const char *other[] = {"1.5_7_Off", J_IN_PROGRESS};
    fake_push_strings_thread(f->d, LRC_EVENT, other, 2); /* the comeback */
    sleep_ms(600); /* questions answered IN_PROGRESS: nothing to deliver */
    assert_false(r.final_seen);
    fake_set_lrc(f->d, id, "COMPLETED", "[0, \"done\"]"); /* no event */
    assert_true(rec_wait_final(&r));
    sentinel(f);
    assert_int_equal(rec_n(&r), 3);
    assert_real_final(&r.u[2], LRC_STATUS_COMPLETED);
    end_invocation(s, &r);
}

/* An invocation started on a stream that just had a gap is asked too: the
 * congestion that dropped events may drop its final, with nothing after. */
static void test_invocation_on_a_stream_in_doubt_is_asked(void **state)
{
    fx *f = *state;
    rec ra, rb;
    rec_init(&ra, f);
    rec_init(&rb, f);
    lrc_subscription *a = invoke_ok(f, "On", NULL, &ra); /* holds the stream */
    after_creation(&ra);
    fake_set_lrc(f->d, lrc_subscription_command_id(a), "IN_PROGRESS", NULL);
    fake_push_error_thread(f->d, LRC_EVENT, "API_MissedEvents", MISSED_DESC);
    assert_true(rec_wait(&ra, 2));
    const char *other[] = {"1.5_7_Off", J_IN_PROGRESS};
    fake_push_strings_thread(f->d, LRC_EVENT, other, 2);
    lrc_subscription *b = invoke_ok(f, "On", NULL, &rb);
    const char *id = lrc_subscription_command_id(b);
    after_creation(&rb);
    fake_set_lrc(f->d, id, "COMPLETED", "[0, \"done\"]"); /* its final event dropped */
    assert_true(rec_wait_final(&rb));
    assert_real_final(&rb.u[rec_n(&rb) - 1], LRC_STATUS_COMPLETED);
    fake_set_lrc(f->d, lrc_subscription_command_id(a), "COMPLETED", "[0, \"done\"]");
    assert_true(rec_wait_final(&ra));
    lrc_subscription_free(b);
    lrc_subscription_free(a);
    rec_destroy(&rb);
    rec_destroy(&ra);
}

/* True if name matches one of the comma-separated patterns (if_none when
 * there are none). */
static bool matches(const char *patterns, const char *name, bool if_none)
{
    if (!patterns || !*patterns)
        return if_none;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", patterns);
    char *save = NULL;
    for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
        if (fnmatch(p, name, 0) == 0)
            return true;
    return false;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_invalid_arguments_make_no_device_call),
        T(test_end_names),
        T(test_timeout_ends_once_and_nothing_follows),
        T(test_timeout_races_the_real_final),
        T(test_free_races_the_timer),
        T(test_not_found_after_restart_is_lost),
        T(test_not_found_but_finished_is_the_real_outcome),
        cmocka_unit_test_setup_teardown(test_unreachable_past_the_bound_is_lost,
                                        fx_setup_lost_fast, fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_finds_the_final_while_the_stream_is_down,
                                        fx_setup_lost_fast, fx_teardown),
        cmocka_unit_test_setup_teardown(test_gap_then_silence_still_finds_the_final,
                                        fx_setup_lost_fast, fx_teardown),
        cmocka_unit_test_setup_teardown(test_invocation_on_a_stream_in_doubt_is_asked,
                                        fx_setup_lost_fast, fx_teardown),
        T(test_proxy_open_arguments),
        T(test_v1_device_subscribes_three_v1_attributes),
        T(test_event_visits_only_its_invocation_v2),
        T(test_event_visits_only_its_invocation_v1),
        T(test_v2_device_subscribes_only_lrc_event),
        T(test_negotiation_ranges),
        T(test_impossible_protocol_versions),
        T(test_subscribe_failure_unsubscribes_earlier_streams),
        T(test_command_failure_is_rethrown),
        T(test_unknown_command_is_rethrown),
        T(test_rejected_command),
        T(test_unexpected_result_codes),
        T(test_reply_of_wrong_shape),
        T(test_reply_that_is_not_an_id),
        T(test_failed_invocation_discards_early_events),
        T(test_queued_and_started_accepted),
        T(test_no_argument_and_falsy_arguments_differ),
        T(test_initial_values_never_reach_the_callback),
        T(test_staging_before_return_delivered_once_first),
        T(test_early_events_keep_their_order),
        T(test_command_ending_before_it_returns),
        cmocka_unit_test_setup_teardown(test_command_hanging_past_the_bound_then_failing,
                                        fx_setup_short_timeout, fx_teardown),
        cmocka_unit_test_setup_teardown(test_command_returning_after_the_bound,
                                        fx_setup_short_timeout, fx_teardown),
        T(test_v2_happy_path),
        T(test_v1_happy_path_result_before_status),
        T(test_unknown_keys_are_forwarded),
        T(test_status_values_converted),
        T(test_unknown_status),
        T(test_non_integer_progress),
        T(test_terminal_statuses_end_the_invocation),
        T(test_not_found_and_in_progress_keep_listening),
        T(test_error_event_is_delivered_and_logged),
        T(test_malformed_values_give_error_updates),
        T(test_other_command_ids_ignored),
        T(test_two_invocations_share_one_stream),
        T(test_v1_repeated_status_delivered_once),
        T(test_out_of_order_duplicate_and_huge_events),
        T(test_result_json_values),
        T(test_final_events_python_reads),
        T(test_early_buffer_keeps_only_its_own_bytes),
        T(test_free_stops_callbacks),
        T(test_free_after_final),
        T(test_free_waits_for_the_final_unsubscribe),
        T(test_free_inside_callback),
        T(test_free_waits_for_a_running_callback),
        T(test_unsubscribe_failure_is_a_warning),
        T(test_fire_and_forget),
        T(test_default_scheduler),
        T(test_close_proxy_with_running_invocation),
        T(test_connect_interface_subscribes_once),
        T(test_disconnect_interface),
        T(test_connect_interface_failures),
        T(test_invoke_from_many_threads),
        T(test_invocation_logger_gets_the_messages),
        T(test_invocation_logger_gets_unsubscribe_warning_after_final),
        T(test_error_events_mid_command_then_free),
        T(test_calls_from_inside_a_callback),
        T(test_lost_first_events),
        T(test_first_events_lost_mid_command),
        T(test_logger_not_called_after_free),
        T(test_free_waits_for_a_running_logger),
        T(test_free_inside_the_logger),
        T(test_invoke_options_size_is_honoured),
        T(test_queue_overflow_keeps_the_final_callback),
        T(test_v1_overflow_keeps_the_result),
        T(test_fire_and_forget_outlives_its_scheduler),
        T(test_last_proxy_use_ends_on_a_tango_thread),
        cmocka_unit_test_setup_teardown(test_linger_reuses_the_stream, fx_setup_lingering,
                                        fx_teardown),
        T(test_linger_zero_unsubscribes_at_once),
        cmocka_unit_test_setup_teardown(test_linger_expires, fx_setup_short_linger, fx_teardown),
        cmocka_unit_test_setup_teardown(test_lingering_stream_error_drops_it, fx_setup_lingering,
                                        fx_teardown),
        T(test_unreadable_final_event_asks_the_device),
        T(test_stream_back_after_error_asks_the_device),
    };
    /* TEST_CLIENT_ONLY / TEST_CLIENT_SKIP: comma-separated fnmatch patterns
     * of test names, e.g. TEST_CLIENT_SKIP='*outlives*,*connect*'. */
    struct CMUnitTest chosen[COUNT(tests)];
    size_t n = 0;
    for (size_t i = 0; i < COUNT(tests); i++)
        if (matches(getenv("TEST_CLIENT_ONLY"), tests[i].name, true) &&
            !matches(getenv("TEST_CLIENT_SKIP"), tests[i].name, false))
            chosen[n++] = tests[i];
    return _cmocka_run_group_tests("test_client", chosen, n, test_hook_install, test_hook_remove);
}
