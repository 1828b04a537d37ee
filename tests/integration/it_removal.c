/*
 * it_removal.c - the default removal time (lrc-protocol.md 1.3 removal, 7;
 * checks 36, 39): with no RemovalTime property a finished command stays in
 * longRunningCommandsInQueue / longRunningCommandIDsInQueue (and the status
 * list) for 10 s after its terminal status, then those lists are re-pushed
 * without it (the kit also re-pushes longRunningCommandStatus, section 7),
 * nothing else is pushed, and CheckLongRunningCommandStatus still answers
 * COMPLETED. Also pruning under load (status_queue_size, section 1.3/5.6).
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

/* Arrival time of the k-th event recorded from `from` (-1 if none). */
static double nth_time(it_dev *d, size_t from, size_t k)
{
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, from, &n);
    double t = k < n ? v[k]->t : -1;
    free(v);
    return t;
}

static double first_time(it_dev *d, size_t from) { return nth_time(d, from, 0); }

static double lrc_time(it_dev *d, const char *id, int status)
{
    long k = lrct_find_lrc_status(d->rec, 0, id, status);
    assert_true(k >= 0);
    return first_time(d, (size_t)k);
}

static void test_default_removal_time(void **state)
{
    it_dev *d = *state;
    assert_true(it_dev_start(d, "rmdefault", NULL)); /* RemovalTime not set: 10 s */
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    int64_t code = -1;
    char *s = NULL, *e = NULL;

    size_t mark = lrct_recorder_count(d->rec);
    assert_true(it_call_double(d, "Sleep", 0.3, &code, &s));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, s, 10), TS_COMPLETED);
    json_t *r1 = json_pack("[i,s]", 0, "Sleep done");
    size_t next = 0;
    assert_true(it_expect_lifecycle(d, mark, s, "Sleep", TS_COMPLETED, r1, &next));
    json_decref(r1);

    assert_true(it_call_str(d, "Echo", "kept", &code, &e));
    assert_int_equal(code, RC_QUEUED);
    assert_int_equal(it_wait_terminal(d, e, 10), TS_COMPLETED);
    json_t *r2 = json_pack("[i,s]", 0, "kept");
    assert_true(it_expect_lifecycle(d, next, e, "Echo", TS_COMPLETED, r2, &next));
    json_decref(r2);

    /* still in the v1 lists well before the removal time */
    lrc_error *err = NULL;
    json_t *ids = lrct_read_strings(d->p, "longRunningCommandIDsInQueue", &err);
    assert_non_null(ids);
    assert_int_equal(json_array_size(ids), 2);
    json_decref(ids);

    double t_s = lrc_time(d, s, TS_COMPLETED);
    double t_e = lrc_time(d, e, TS_COMPLETED);
    /* the Sleep is removed first, then the Echo, nothing in between; the
     * two removals are due a few ms apart, so a device may also remove both
     * in one go (one push per list): both forms are accepted */
    size_t before = next;
    assert_true(lrct_wait_events(d->rec, before, "longRunningCommandIDsInQueue", 1, 15));
    json_t *first_ids = NULL;
    {
        size_t n = 0;
        const lrct_event **v = lrct_recorder_snapshot(d->rec, before, &n);
        for (size_t k = 0; k < n && !first_ids; k++)
            if (strcmp(v[k]->attr, "longRunningCommandIDsInQueue") == 0)
                first_ids = lrct_event_json(v[k]);
        free(v);
    }
    bool together = json_array_size(first_ids) == 0;
    json_decref(first_ids);
    double dt_s, dt_e;
    if (together) {
        print_message("both commands removed in one push\n");
        const char *both[2] = {s, e};
        lm_remove_set(d->m, both, 2);
        size_t ne = 0;
        lm_push *ex = lm_take(d->m, &ne);
        bool ok = lm_expect(d->m, d->rec, before, ex, ne, 15.0, &next);
        lm_pushes_free(ex, ne);
        assert_true(ok);
        dt_s = first_time(d, before) - t_s;
        dt_e = first_time(d, before) - t_e;
    } else {
        /* the Sleep's removal, then the Echo's, exactly and nothing in
         * between: compared in one go, since the second is due a few ms
         * after the first and may already be recorded when it is looked at */
        lm_remove(d->m, s);
        lm_remove(d->m, e);
        size_t ne = 0;
        lm_push *ex = lm_take(d->m, &ne);
        size_t n_first = 0; /* pushes of the Sleep's removal: its group */
        while (n_first < ne && ex[n_first].group == ex[0].group)
            n_first++;
        bool ok = lm_expect(d->m, d->rec, before, ex, ne, 15.0, &next);
        lm_pushes_free(ex, ne);
        assert_true(ok);
        assert_true(n_first > 0 && n_first < ne);
        dt_s = first_time(d, before) - t_s;
        dt_e = nth_time(d, before, n_first) - t_e;
    }
    print_message("removal after %.2f s (Sleep) and %.2f s (Echo); default 10 s\n", dt_s, dt_e);
    assert_true(dt_s >= 9.5 && dt_s <= 12.0);
    assert_true(dt_e >= 9.5 && dt_e <= 12.0);

    ids = lrct_read_strings(d->p, "longRunningCommandIDsInQueue", &err);
    assert_non_null(ids);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
    json_t *names = lrct_read_strings(d->p, "longRunningCommandsInQueue", &err);
    assert_non_null(names);
    assert_int_equal(json_array_size(names), 0);
    json_decref(names);

    /* CheckLongRunningCommandStatus long after the removal (36) */
    char *st = lrct_check_status(d->p, s, &err);
    assert_non_null(st);
    assert_string_equal(st, "COMPLETED");
    free(st);
    st = lrct_check_status(d->p, e, &err);
    assert_non_null(st);
    assert_string_equal(st, "COMPLETED");
    free(st);
    /* lrcFinished has no removal time */
    json_t *fin = lrct_read_strings(d->p, "lrcFinished", &err);
    assert_non_null(fin);
    assert_int_equal(json_array_size(fin), 2);
    json_decref(fin);
    assert_true(it_check_invariants(d));
    free(s);
    free(e);
}

/* Number of lines of the server log containing `needle`. */
static int log_count(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    int c = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            c++;
    fclose(f);
    return c;
}

#define N_PRUNE 80
#define STATUS_QUEUE_SIZE 66 /* max(2*32 + 2, 32): section 5.6 defaults */

/* 39, pruning under load: the v1 lists never exceed status_queue_size;
 * when a new command would make them exceed it, the oldest finished
 * commands are pruned (and "Status queue too big: removing item <id>" is
 * logged for the first of them only: once per crossing, the others are
 * counted); every command still shows up in the lists when it
 * is created. */
static void test_pruning(void **state)
{
    it_dev *d = *state;
    const char *props[] = {"RemovalTime=600", NULL};
    assert_true(it_dev_start(d, "rmprune", props));
    assert_true(it_dev_record(d, k_all_v2_attrs, true, true));
    lm_set_status_queue_size(d->m, STATUS_QUEUE_SIZE);
    char *ids[N_PRUNE];
    json_t *res = json_pack("[i,s]", 0, "p");
    size_t mark = lrct_recorder_count(d->rec);
    int bad = 0;
    for (int i = 0; i < N_PRUNE; i++) {
        int64_t code = -1;
        assert_true(it_call_str(d, "Echo", "p", &code, &ids[i]));
        assert_int_equal(code, RC_QUEUED);
        assert_int_equal(it_wait_terminal(d, ids[i], 10), TS_COMPLETED);
        /* exact pushes, pruning included (model) */
        if (bad == 0 && !it_expect_lifecycle(d, mark, ids[i], "Echo", TS_COMPLETED, res, &mark)) {
            fprintf(stderr, "(command #%d of %d)\n", i, N_PRUNE);
            bad = i + 1;
        }
    }
    json_decref(res);
    /* wait for the v1 status list that shows the last one COMPLETED */
    assert_true(lrct_wait_events(d->rec, 0, "lrcFinished", N_PRUNE, 5));
    size_t n = 0;
    const lrct_event **v = lrct_recorder_snapshot(d->rec, 0, &n);
    bool *seen = calloc(N_PRUNE, sizeof *seen);
    for (size_t k = 0; k < n; k++) {
        const lrct_event *e = v[k];
        if (e->initial || e->is_error)
            continue;
        if (strcmp(e->attr, "longRunningCommandIDsInQueue") == 0 ||
            strcmp(e->attr, "longRunningCommandsInQueue") == 0) {
            if (e->value.ns > STATUS_QUEUE_SIZE)
                fail_msg("%s event with %zu > %d entries", e->attr, e->value.ns,
                         STATUS_QUEUE_SIZE);
            if (strcmp(e->attr, "longRunningCommandIDsInQueue") == 0)
                for (size_t i = 0; i < e->value.ns; i++)
                    for (int j = 0; j < N_PRUNE; j++)
                        if (strcmp(e->value.sv[i], ids[j]) == 0)
                            seen[j] = true;
        }
        if (strcmp(e->attr, "longRunningCommandStatus") == 0 &&
            e->value.ns > 2 * STATUS_QUEUE_SIZE)
            fail_msg("longRunningCommandStatus event with %zu > %d entries", e->value.ns,
                     2 * STATUS_QUEUE_SIZE);
    }
    free(v);
    int missing = 0;
    for (int j = 0; j < N_PRUNE; j++) {
        if (!seen[j]) {
            if (missing < 5)
                fprintf(stderr, "command #%d %s never appeared in longRunningCommandIDsInQueue\n",
                        j, ids[j]);
            missing++;
        }
    }
    free(seen);
    if (missing)
        fail_msg("%d of %d commands never appeared in a longRunningCommandIDsInQueue event "
                 "(the creation push must carry the new command, section 1.3/1.5)",
                 missing, N_PRUNE);
    /* the lists now hold the newest STATUS_QUEUE_SIZE commands */
    lrc_error *err = NULL;
    json_t *rd = lrct_read_strings(d->p, "longRunningCommandIDsInQueue", &err);
    assert_non_null(rd);
    json_t *want = json_array();
    for (int j = N_PRUNE - STATUS_QUEUE_SIZE; j < N_PRUNE; j++)
        json_array_append_new(want, json_string(ids[j]));
    if (!json_equal(rd, want)) {
        char *g = lrct_json_str(rd);
        fail_msg("longRunningCommandIDsInQueue after %d commands: %.600s", N_PRUNE, g);
    }
    json_t *last = it_last_json(d, "longRunningCommandIDsInQueue");
    if (!json_equal(last, want)) {
        char *g = lrct_json_str(last);
        fail_msg("last longRunningCommandIDsInQueue event after %d commands: %.600s", N_PRUNE,
                 g);
    }
    json_decref(last);
    json_decref(want);
    json_decref(rd);
    /* logged once, for the first pruned id, never for the others */
    const char *log = lrct_server_log_path(d->srv);
    assert_non_null(log);
    for (int j = 0; j < N_PRUNE; j++) {
        char needle[256];
        snprintf(needle, sizeof needle, "Status queue too big: removing item %s", ids[j]);
        int want_n = j == 0 ? 1 : 0;
        int c = log_count(log, needle);
        for (int t = 0; t < 100 && c < want_n; t++) {
            lrct_wait_events(d->rec, lrct_recorder_count(d->rec), NULL, 1, 0.02);
            c = log_count(log, needle);
        }
        if (c != want_n)
            fail_msg("'%s' logged %d times in %s, expected %d", needle, c, log, want_n);
    }
    if (bad)
        fail_msg("the pushes of command #%d did not follow the spec (see above)", bad - 1);
    /* pruned from the v1 lists, still known (they are in lrcFinished) */
    char *st = lrct_check_status(d->p, ids[0], &err);
    assert_non_null(st);
    assert_string_equal(st, "COMPLETED");
    free(st);
    assert_true(it_check_invariants(d));
    for (int j = 0; j < N_PRUNE; j++)
        free(ids[j]);
}

int main(int argc, char **argv)
{
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_removal_time, it_setup, it_teardown),
        cmocka_unit_test_setup_teardown(test_pruning, it_setup, it_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
