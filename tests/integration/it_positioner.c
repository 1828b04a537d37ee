/* it_positioner.c - the lrc-positioner example device (issue 13 item 5) on
 * the real Tango database: PyTango drives py/positioner_client.py (velocity
 * rule, MoveTo with position, State and _lrcEvent events, a second move
 * REJECTED, Abort, Position(), Home()); our client invokes MoveTo and
 * checks that each progress update carries the position in extra_json.
 * Each test gets a fresh server (an axis at 0 mm, velocity 1 mm/s).
 *
 * usage: it_positioner LRC_POSITIONER */
#include "client_rec.h"
#include "lrc/client.h"
#include "example_server.h"

#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *g_exe;
static const char *const k_py_dir = LRC_IT_PY_DIR;

typedef lrct_example axis_fx;

static int setup(void **state)
{
    axis_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(lrct_example_start(f, g_exe, "positioner", "LrcPositioner"), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    axis_fx *f = *state;
    int rc = lrct_example_stop(f);
    free(f);
    return rc;
}

static void test_pytango(void **state)
{
    axis_fx *f = *state;
    char script[512];
    snprintf(script, sizeof script, "%s/positioner_client.py", k_py_dir);
    const char *argv[] = {"/usr/bin/python3", script, f->device, NULL};
    assert_int_equal(lrct_run(argv, 120000, NULL), 0);
}

/* The "position" of an update's extra_json, or NAN when there is none. */
static double position_of(const crec_update *u)
{
    if (!(u->has & LRC_HAS_EXTRA) || !u->extra_json)
        return NAN;
    json_t *o = json_loads(u->extra_json, 0, NULL);
    json_t *p = o ? json_object_get(o, "position") : NULL;
    double v = json_is_number(p) ? json_number_value(p) : NAN;
    json_decref(o);
    return v;
}

/* MoveTo(0.5) at the default 1 mm/s: ~0.5 s, a progress update every
 * 50 ms, each with the position reached; ends COMPLETED at 0.5. */
static void test_invoke_progress_position(void **state)
{
    axis_fx *f = *state;
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    if (lrc_proxy_open(f->device, NULL, &p, &err) != LRC_OK)
        fail_msg("lrc_proxy_open %s: %s", f->device, lrc_error_message(err));
    crec r;
    crec_init(&r);
    lrc_arg goal = lrc_arg_double(0.5);
    lrc_subscription *sub = NULL;
    if (lrc_invoke(p, "MoveTo", &goal, crec_cb, &r, NULL, &sub, &err) != LRC_OK)
        fail_msg("lrc_invoke MoveTo: %s", lrc_error_message(err));
    assert_true(crec_wait_finals(&r, 1, 30));
    char *seq = crec_sequence(&r);
    printf("MoveTo(0.5): %s\n", seq);
    free(seq);

    size_t n_progress = 0;
    double last = 0.0;
    const crec_update *final = NULL;
    for (size_t i = 0; i < r.n; i++) {
        const crec_update *u = &r.u[i];
        if (u->final)
            final = u;
        if (!(u->has & LRC_HAS_PROGRESS))
            continue;
        double pos = position_of(u);
        if (isnan(pos))
            fail_msg("progress update %zu (%lld%%) has no position: extra %s", i, u->progress,
                     u->extra_json ? u->extra_json : "(none)");
        assert_true(pos > 0.0 && pos <= 0.5);
        assert_true(pos >= last); /* the axis only moves forward */
        last = pos;
        n_progress++;
    }
    /* The stream may lose the first events of a fresh subscription, never
     * all of them: the move lasts ~10 steps. */
    assert_true(n_progress >= 2);
    assert_true(last == 0.5);
    assert_non_null(final);
    assert_true(final->has & LRC_HAS_STATUS);
    assert_int_equal(final->status, LRC_STATUS_COMPLETED);
    assert_non_null(final->result_json);
    assert_string_equal(final->result_json, "[0, \"arrived at 0.500 mm\"]");
    lrc_subscription_free(sub);
    crec_clear(&r);
    lrc_proxy_close(p);
}

int main(int argc, char **argv)
{
    int rc = lrct_example_main(argc, argv, "LRC_POSITIONER", &g_exe);
    if (rc != 0)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pytango, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invoke_progress_position, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
