/*
 * it_state_machine.c - On/Off/Standby of the demo device (lrc-protocol.md
 * 1.2, 1.3 commandedState, 1.6, 7): the device starts OFF; each command
 * takes ~0.2 s with progress, ends COMPLETED [0, "<Cmd> command completed
 * OK"], sets the Tango state and commandedState ("ON"/"OFF"/"STANDBY" when
 * it goes IN_PROGRESS); when already in that state it is REJECTED "Device
 * is already in <X> state." with no ID and nothing pushed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_props[] = {"RemovalTime=600", NULL};

static void expect_state(it_dev *d, int want, const char *name)
{
    lrc_error *err = NULL;
    int st = lrct_state(d->p, &err);
    if (st != want)
        fail_msg("Tango state %d, expected %d (%s)", st, want, name);
}

static void expect_commanded(it_dev *d, const char *want)
{
    lrc_tg_value v;
    memset(&v, 0, sizeof v);
    lrc_error *err = NULL;
    assert_int_equal(lrc_tg_read_attribute(d->p, "commandedState", &v, &err), LRC_OK);
    assert_int_equal(v.type, LRC_TG_STRING);
    if (strcmp(v.s, want) != 0)
        fail_msg("commandedState '%s', expected '%s'", v.s, want);
    lrc_tg_value_clear(&v);
}

static void expect_rejected(it_dev *d, const char *cmd, const char *state_name)
{
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *text = NULL;
    assert_true(it_call_void(d, cmd, &code, &text));
    char want[128];
    snprintf(want, sizeof want, "Device is already in %s state.", state_name);
    if (code != RC_REJECTED || strcmp(text, want) != 0)
        fail_msg("%s in %s: expected [5, \"%s\"], got [%lld, \"%s\"]", cmd, state_name, want,
                 (long long)code, text);
    free(text);
    /* nothing pushed: the next events are exactly the sentinel's */
    assert_true(it_sentinel(d, mark, "sentinel"));
}

static void run_cmd(it_dev *d, const char *cmd, int want_state, const char *commanded)
{
    size_t mark = lrct_recorder_count(d->rec);
    int64_t code = -1;
    char *id = NULL;
    assert_true(it_call_void(d, cmd, &code, &id));
    if (code != RC_QUEUED)
        fail_msg("%s: expected QUEUED, got [%lld, \"%s\"]", cmd, (long long)code, id);
    assert_int_equal(it_wait_terminal(d, id, 10), TS_COMPLETED);
    long prog[64];
    size_t np = it_observed_progress(d, id, prog, 64);
    print_message("%s progress:", cmd);
    for (size_t k = 0; k < np; k++)
        print_message(" %ld", prog[k]);
    print_message("\n");
    if (np == 0)
        fail_msg("%s reported no progress", cmd);
    for (size_t k = 0; k < np; k++)
        assert_true(prog[k] >= 0 && prog[k] <= 100);
    char msg[128];
    snprintf(msg, sizeof msg, "%s command completed OK", cmd);
    json_t *res = json_pack("[i,s]", 0, msg);
    assert_true(it_expect_lifecycle(d, mark, id, cmd, TS_COMPLETED, res, NULL));
    json_decref(res);
    /* takes about 0.2 s */
    long k0 = lrct_find_lrc_status(d->rec, mark, id, TS_IN_PROGRESS);
    long k1 = lrct_find_lrc_status(d->rec, mark, id, TS_COMPLETED);
    assert_true(k0 >= 0 && k1 > k0);
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, (size_t)k0, &n);
    double dt = v[k1 - k0]->t - v[0]->t;
    free(v);
    print_message("%s ran %.3f s\n", cmd, dt);
    assert_true(dt >= 0.1 && dt <= 2.0);
    expect_state(d, want_state, commanded);
    expect_commanded(d, commanded);
    free(id);
}

static void test_state_machine(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "states", k_props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    expect_state(d, LRC_TG_OFF, "OFF");
    expect_commanded(d, "None");

    expect_rejected(d, "Off", "OFF");
    run_cmd(d, "On", LRC_TG_ON, "ON");
    expect_rejected(d, "On", "ON");
    run_cmd(d, "Standby", LRC_TG_STANDBY, "STANDBY");
    expect_rejected(d, "Standby", "STANDBY");
    run_cmd(d, "On", LRC_TG_ON, "ON");
    run_cmd(d, "Off", LRC_TG_OFF, "OFF");
    expect_rejected(d, "Off", "OFF");
    run_cmd(d, "Standby", LRC_TG_STANDBY, "STANDBY");
    run_cmd(d, "Off", LRC_TG_OFF, "OFF");
    assert_true(it_check_invariants(d));
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_machine, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
