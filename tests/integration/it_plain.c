/* it_plain.c - plain commands, State, Status and logging of kit devices
 * (issue 13 items 2 and 3), against lrc-plain-device (plain_device.c) on
 * the real Tango database: PyTango drives the whole of py/plain_client.py;
 * our shim client checks a few of the same over cppTango, and Init.
 *
 * usage: it_plain LRC_PLAIN_DEVICE */
#include "tango/tango_shim.h"
#include "example_server.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static const char *g_exe;
static const char *const k_py_dir = LRC_IT_PY_DIR;

typedef struct plain_dev {
    lrct_example x; /* the server and its device */
    lrc_tg_proxy *p;
} plain_dev;

static int setup(void **state)
{
    plain_dev *d = calloc(1, sizeof *d);
    assert_non_null(d);
    assert_int_equal(lrct_example_start(&d->x, g_exe, "kitcmd", "LrcPlainTest"), 0);
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_proxy_open(d->x.device, 10000, &d->p, &err), LRC_OK);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    plain_dev *d = *state;
    lrc_tg_proxy_close(d->p);
    int rc = lrct_example_stop(&d->x);
    free(d);
    return rc;
}

static void test_pytango(void **state)
{
    plain_dev *d = *state;
    char script[512], logfile[256];
    snprintf(script, sizeof script, "%s/plain_client.py", k_py_dir);
    snprintf(logfile, sizeof logfile, "/tmp/%s.log", d->x.instance);
    unlink(logfile);
    const char *argv[] = {"/usr/bin/python3", script, d->x.device, logfile, NULL};
    int rc = lrct_run(argv, 120000, NULL);
    unlink(logfile);
    assert_int_equal(rc, 0);
}

static void call(plain_dev *d, const char *cmd, const lrc_tg_value *in, lrc_tg_value *out)
{
    lrc_error *err = NULL;
    int rc = lrc_tg_command_inout(d->p, cmd, in, out, &err);
    if (rc != LRC_OK)
        fail_msg("%s: %s", cmd, lrc_error_message(err));
}

static lrc_tg_state read_state(plain_dev *d)
{
    lrc_tg_value v = {0};
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_read_attribute(d->p, "State", &v, &err), LRC_OK);
    assert_int_equal(v.type, LRC_TG_STATE);
    lrc_tg_state s = (lrc_tg_state)v.i;
    lrc_tg_value_clear(&v);
    return s;
}

static char *read_status(plain_dev *d)
{
    lrc_tg_value v = {0};
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_read_attribute(d->p, "Status", &v, &err), LRC_OK);
    char *s = strdup(v.s ? v.s : "");
    lrc_tg_value_clear(&v);
    return s;
}

/* Change events of State and Status as our client receives them. */
typedef struct seen {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t states[64];
    size_t n_states;
    char last_status[128];
    char statuses[64][128];
    size_t n_status;
} seen;

static void on_event(const lrc_tg_event *ev, void *user)
{
    seen *s = user;
    pthread_mutex_lock(&s->mu);
    if (ev->value && ev->value->type == LRC_TG_STATE && s->n_states < 64)
        s->states[s->n_states++] = ev->value->i;
    else if (ev->value && ev->value->type == LRC_TG_STRING) {
        snprintf(s->last_status, sizeof s->last_status, "%s", ev->value->s ? ev->value->s : "");
        if (s->n_status < 64)
            memcpy(s->statuses[s->n_status++], s->last_status, sizeof s->last_status);
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Waits up to 10 s for the last State event to be `state` and the last
 * Status event to be `status`. */
static bool wait_seen(seen *s, int64_t state, const char *status)
{
    struct timespec end;
    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += 10;
    pthread_mutex_lock(&s->mu);
    bool ok;
    while (!(ok = s->n_states > 0 && s->states[s->n_states - 1] == state &&
                  strcmp(s->last_status, status) == 0))
        if (pthread_cond_timedwait(&s->cv, &s->mu, &end) != 0)
            break;
    if (!ok)
        print_message("last State event %lld, last Status event \"%s\"\n",
                      s->n_states ? (long long)s->states[s->n_states - 1] : -1LL,
                      s->last_status);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* Our client subscribes to State and Status (no polling configured) and
 * sees the changes a plain command and a task's worker thread make. */
static void test_shim_client_events(void **state)
{
    plain_dev *d = *state;
    seen s = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    lrc_error *err = NULL;
    int sid_state = -1, sid_status = -1;
    assert_int_equal(lrc_tg_subscribe_change(d->p, "State", on_event, &s, &sid_state, &err),
                     LRC_OK);
    assert_int_equal(lrc_tg_subscribe_change(d->p, "Status", on_event, &s, &sid_status, &err),
                     LRC_OK);
    assert_true(wait_seen(&s, LRC_TG_ON, "The device is in ON state."));
    lrc_tg_value out = {0};
    /* A subscription's filter reaches the server's publisher some time
     * after subscribe returns (events pushed before are lost: Tango's
     * "fresh subscriber" window, docs/protocol.md section 7): probe until a
     * Status event arrives. Status was subscribed last, over the same
     * connection as State, so State's filter is in place too. */
    bool ready = false;
    for (int k = 0; k < 100 && !ready; k++) {
        char probe[32];
        snprintf(probe, sizeof probe, "probe %d", k);
        lrc_tg_value pv = {.type = LRC_TG_STRING, .s = probe};
        call(d, "SetStatus", &pv, &out);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&s.mu);
        while (!(ready = strcmp(s.last_status, probe) == 0))
            if (pthread_cond_timedwait(&s.cv, &s.mu, &until) != 0)
                break;
        pthread_mutex_unlock(&s.mu);
    }
    assert_true(ready);
    call(d, "ResetStatus", NULL, &out);
    assert_true(wait_seen(&s, LRC_TG_ON, "The device is in ON state."));
    lrc_tg_value st = {.type = LRC_TG_LONG64, .i = LRC_TG_OPEN};
    call(d, "SetState", &st, &out);
    assert_true(wait_seen(&s, LRC_TG_OPEN, "The device is in OPEN state."));
    lrc_tg_value text = {.type = LRC_TG_STRING, .s = "valve open"};
    call(d, "SetStatus", &text, &out);
    assert_true(wait_seen(&s, LRC_TG_OPEN, "valve open"));
    call(d, "ResetStatus", NULL, &out);
    st.i = LRC_TG_ON;
    call(d, "SetState", &st, &out);
    assert_true(wait_seen(&s, LRC_TG_ON, "The device is in ON state."));
    pthread_mutex_lock(&s.mu);
    size_t states_before = s.n_states, status_before = s.n_status;
    pthread_mutex_unlock(&s.mu);
    call(d, "Move", NULL, &out); /* MOVING, then ON, from the worker */
    lrc_tg_value_clear(&out);
    /* the task's changes, in order (checked once all have arrived:
     * the callback may run them all before this thread looks) */
    struct timespec end;
    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += 10;
    pthread_mutex_lock(&s.mu);
    while (s.n_states < states_before + 2 || s.n_status < status_before + 3)
        if (pthread_cond_timedwait(&s.cv, &s.mu, &end) != 0)
            break;
    assert_int_equal(s.n_states, states_before + 2);
    assert_int_equal(s.n_status, status_before + 3);
    assert_int_equal(s.states[states_before], LRC_TG_MOVING);
    assert_int_equal(s.states[states_before + 1], LRC_TG_ON);
    /* the default text follows MOVING, then the task's own text, then,
     * reset, the default again */
    assert_string_equal(s.statuses[status_before], "The device is in MOVING state.");
    assert_string_equal(s.statuses[status_before + 1], "moving to the target");
    assert_string_equal(s.statuses[status_before + 2], "The device is in ON state.");
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(lrc_tg_unsubscribe(d->p, sid_state, &err), LRC_OK);
    assert_int_equal(lrc_tg_unsubscribe(d->p, sid_status, &err), LRC_OK);
}

/* Our client: typed results, an error's reason, state and status, and
 * Init (commands registered again, state and default status restored). */
static void test_shim_client_and_init(void **state)
{
    plain_dev *d = *state;
    lrc_tg_value in = {.type = LRC_TG_LONG64, .i = -21}, out = {0};
    call(d, "Twice", &in, &out);
    assert_int_equal(out.type, LRC_TG_LONG64);
    assert_int_equal(out.i, -42);
    lrc_tg_value_clear(&out);

    lrc_tg_value boom = {.type = LRC_TG_STRING, .s = "now"};
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_command_inout(d->p, "Boom", &boom, &out, &err), LRC_ETANGO);
    assert_true(lrc_error_count(err) >= 1);
    const lrc_dev_error *e0 = lrc_error_at(err, 0);
    assert_string_equal(e0->reason, "PLAIN_Boom");
    assert_string_equal(e0->desc, "boom: now");
    lrc_error_free(err);

    lrc_tg_value st = {.type = LRC_TG_LONG64, .i = LRC_TG_MOVING};
    call(d, "SetState", &st, &out);
    assert_int_equal(read_state(d), LRC_TG_MOVING);
    lrc_tg_value text = {.type = LRC_TG_STRING, .s = "busy"};
    call(d, "SetStatus", &text, &out);
    char *s = read_status(d);
    assert_string_equal(s, "busy");
    free(s);

    call(d, "Init", NULL, &out);
    assert_int_equal(read_state(d), LRC_TG_ON);
    s = read_status(d);
    assert_string_equal(s, "The device is in ON state.");
    free(s);
    lrc_tg_value half = {.type = LRC_TG_DOUBLE, .d = 3.0};
    call(d, "Half", &half, &out);
    assert_int_equal(out.type, LRC_TG_DOUBLE);
    assert_true(out.d == 1.5);
    lrc_tg_value_clear(&out);
}

int main(int argc, char **argv)
{
    int rc = lrct_example_main(argc, argv, "LRC_PLAIN_DEVICE", &g_exe);
    if (rc != 0)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pytango, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shim_client_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shim_client_and_init, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
