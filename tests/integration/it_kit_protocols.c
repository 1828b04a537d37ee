/*
 * it_kit_protocols.c - demo devices of one class in one server process with
 * different LrcProtocolVersions (issue 13 item 4), and progress with context
 * (item 6).
 *
 * One server, devices ".../<instance>-a" (default "1,2"), "-b" ("none": a
 * pre-1.2 device), "-c" ("1,1"). -a sorts first, so cppTango creates it
 * first: its attributes are in the class's list when -b is created, and
 * cppTango gives a new device every attribute of that list.
 *  - each device lists exactly its own LRC attributes (attribute_list_query
 *    through the shim, PyTango's get_attribute_list) and reads them all;
 *  - our client negotiates v2 with -a and v1 with -b and -c, and invokes
 *    over that protocol;
 *  - Init of one device, with or without a new LrcProtocolVersions, leaves
 *    the others' lists alone; DevRestart of the "none" device (a new device
 *    object built from the class's list) keeps its own;
 *  - progress with context: Heat's progress updates carry "temperature" in
 *    _lrcEvent (our client: extra_json; PyTango: the payload's keys; `lrc
 *    invoke --json`: the update lines); Report shows the kit's refusals; the
 *    "none" device reports the percent alone.
 * argv: lrc-demo-device, then the `lrc` tool.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "client_rec.h"
#include "it_multi.h"
#include "lrc/device.h"
#include "lrc/server.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *k_lrc_tool;
static const char *const k_py_dir = LRC_IT_PY_DIR;

enum { D_V2, D_NONE, D_V11, N_DEV };
/* the devices' suffixes; -b has LrcProtocolVersions "none", -c "1,1" */
static const char *const k_suffix[N_DEV + 1] = {"a", "b", "c", NULL};

/* What each kind of device lists besides State and Status (lower case). */
static const char *const k_v1_list[] = {"longrunningcommandsinqueue",
                                        "longrunningcommandidsinqueue",
                                        "longrunningcommandresult",
                                        "longrunningcommandprogress",
                                        "longrunningcommandstatus",
                                        "longrunningcommandinprogress",
                                        "commandedstate",
                                        NULL};
static const char *const k_v2_extra[] = {"_lrcevent", "lrcqueue", "lrcexecuting",
                                         "lrcfinished", "lrcprotocolversions", NULL};

/* s->dev[i], s->p[i]: the device of k_suffix[i] and a proxy to it */
typedef it_multi kp;

static int group_setup(void **state)
{
    const char *const props[] = {"b:LrcProtocolVersions=none", "c:LrcProtocolVersions=1,1",
                                 NULL};
    *state = it_multi_start("kitproto", k_suffix, props);
    return 0;
}

static int group_teardown(void **state)
{
    return it_multi_stop(*state);
}

static bool in_list(const char *const *l, const char *name)
{
    for (; *l; l++)
        if (strcmp(*l, name) == 0)
            return true;
    return false;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    for (char *c = d; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return d;
}

/* Checks a device's attribute names (any case) against its kind: exactly
 * State, Status and its own LRC attributes, each once. */
static void expect_names(const char *dev, char **names, size_t n, bool v2)
{
    size_t want = 2 + 7 + (v2 ? 5 : 0);
    size_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        char *l = lower_dup(names[i]);
        bool ok = strcmp(l, "state") == 0 || strcmp(l, "status") == 0 || in_list(k_v1_list, l) ||
                  (v2 && in_list(k_v2_extra, l));
        if (!ok)
            fail_msg("%s lists %s, which a %s device does not have", dev, names[i],
                     v2 ? "v2" : "\"none\"");
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(names[j], names[i]) == 0)
                fail_msg("%s lists %s twice", dev, names[i]);
        seen++;
        free(l);
    }
    if (seen != want) {
        fail_msg("%s lists %zu attributes, expected %zu", dev, seen, want);
    }
}

/* The device's list through the shim, checked; then every listed attribute
 * is read (none may fail), and lrcProtocolVersions of a "none" device is
 * not found. */
static void check_device(kp *s, int i, bool v2)
{
    char **names = NULL;
    size_t n = 0;
    lrc_error *err = NULL;
    if (lrc_tg_attribute_list(s->p[i], &names, &n, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("attribute list of %s: %s", s->dev[i], t);
    }
    expect_names(s->dev[i], names, n, v2);
    for (size_t k = 0; k < n; k++) {
        lrc_tg_value v = {0};
        if (lrc_tg_read_attribute(s->p[i], names[k], &v, &err) != LRC_OK) {
            char *t = lrct_error_text(err);
            fail_msg("read %s/%s: %s", s->dev[i], names[k], t);
        }
        lrc_tg_value_clear(&v);
    }
    lrc_tg_strv_free(names, n);
    lrc_tg_value v = {0};
    int rc = lrc_tg_read_attribute(s->p[i], "lrcProtocolVersions", &v, &err);
    if (v2) {
        assert_int_equal(rc, LRC_OK);
        assert_int_equal(v.type, LRC_TG_LONG64_ARRAY);
        assert_int_equal(v.ni, 2);
        assert_int_equal(v.iv[0], 1);
        assert_int_equal(v.iv[1], i == D_V11 ? 1 : 2);
        lrc_tg_value_clear(&v);
    } else {
        assert_int_not_equal(rc, LRC_OK);
        assert_true(lrct_error_has_reason(err, "API_AttrNotFound"));
        lrc_error_free(err);
    }
}

static void check_all(kp *s, bool b_v2)
{
    check_device(s, D_V2, true);
    check_device(s, D_NONE, b_v2);
    check_device(s, D_V11, true);
}

/* PyTango's get_attribute_list() of every device, checked the same way. */
static void check_pytango(kp *s, bool b_v2)
{
    char script[512];
    snprintf(script, sizeof script, "%s/kit_protocols.py", k_py_dir);
    const char *argv[] = {"/usr/bin/python3", script, "lists", s->dev[0], s->dev[1], s->dev[2],
                          NULL};
    char *out = NULL;
    assert_int_equal(lrct_run(argv, 60000, &out), 0);
    json_t *j = json_loads(out, 0, NULL);
    if (!json_is_object(j))
        fail_msg("kit_protocols.py lists: %s", out);
    for (int i = 0; i < N_DEV; i++) {
        json_t *l = json_object_get(j, s->dev[i]);
        assert_true(json_is_array(l));
        size_t n = json_array_size(l);
        char **names = calloc(n + 1, sizeof *names);
        assert_non_null(names);
        for (size_t k = 0; k < n; k++)
            names[k] = (char *)json_string_value(json_array_get(l, k));
        expect_names(s->dev[i], names, n, i != D_NONE || b_v2);
        free(names);
    }
    json_decref(j);
    free(out);
}

static void test_attribute_lists(void **state)
{
    kp *s = *state;
    check_all(s, false);
    check_pytango(s, false);
}

/* The result a recording received ("" if none): v1 may deliver it in an
 * update before the final status. */
static const char *result_of(const crec *r)
{
    for (size_t i = r->n; i-- > 0;)
        if (r->u[i].has & LRC_HAS_RESULT)
            return r->u[i].result_json;
    return "";
}

/* Negotiation and one Echo through our client on each device. */
static void test_protocols(void **state)
{
    kp *s = *state;
    const int want_version[N_DEV] = {2, 1, 1};
    const bool advertised[N_DEV] = {true, false, true};
    for (int i = 0; i < N_DEV; i++) {
        lrc_proxy *p = NULL;
        lrc_error *err = NULL;
        assert_int_equal(lrc_proxy_open(s->dev[i], NULL, &p, &err), LRC_OK);
        lrc_protocol_info pi;
        lrc_protocol_info_init(&pi);
        if (lrc_proxy_protocol(p, &pi, &err) != LRC_OK)
            fail_msg("lrc_proxy_protocol %s: %s", s->dev[i], lrc_error_message(err));
        assert_true(pi.lrc_capable);
        assert_int_equal(pi.advertised, advertised[i]);
        assert_int_equal(pi.version, want_version[i]);
        crec r;
        crec_init(&r);
        lrc_arg a = lrc_arg_string("per device");
        lrc_subscription *sub = NULL;
        if (lrc_invoke(p, "Echo", &a, crec_cb, &r, NULL, &sub, &err) != LRC_OK)
            fail_msg("lrc_invoke Echo on %s: %s", s->dev[i], lrc_error_message(err));
        assert_true(crec_wait_finals(&r, 1, 20));
        assert_int_equal(lrc_subscription_protocol_version(sub), want_version[i]);
        crec_update *last = &r.u[r.n - 1];
        assert_true(last->has & LRC_HAS_STATUS);
        assert_int_equal(last->status, LRC_STATUS_COMPLETED);
        assert_string_equal(result_of(&r), "[0, \"per device\"]");
        lrc_subscription_free(sub);
        crec_clear(&r);
        lrc_proxy_close(p);
    }
}

static void run_ok(const char *const *argv)
{
    if (lrct_run(argv, 30000, NULL) != 0)
        fail_msg("%s %s failed", argv[0], argv[1]);
}

static void init_device(lrc_tg_proxy *p)
{
    lrc_tg_value out = {0};
    lrc_error *err = NULL;
    if (lrc_tg_command_inout(p, "Init", NULL, &out, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("Init of %s: %s", lrc_tg_proxy_name(p), t);
    }
}

static void set_versions(const char *dev, const char *value)
{
    const char *del[] = {"tango_admin", "--delete-property", dev, "LrcProtocolVersions", NULL};
    const char *add[] = {"tango_admin", "--add-property", dev, "LrcProtocolVersions", value,
                         NULL};
    lrct_run(del, 10000, NULL);
    run_ok(add);
}

/* Init of one device never changes another's list; a device whose setting
 * changed takes its new list at its Init; DevRestart (a new device object,
 * built from the class's list) keeps a "none" device's own. */
static void test_init_and_restart(void **state)
{
    kp *s = *state;
    init_device(s->p[D_V2]);
    init_device(s->p[D_V11]);
    check_all(s, false);

    set_versions(s->dev[D_NONE], "1,2");
    init_device(s->p[D_NONE]);
    check_all(s, true);

    set_versions(s->dev[D_NONE], "none");
    init_device(s->p[D_NONE]);
    check_all(s, false);

    size_t l = strlen(s->instance) + 64;
    char *admin = malloc(l);
    assert_non_null(admin);
    snprintf(admin, l, "dserver/lrc-demo-device/%s", s->instance);
    lrc_tg_proxy *ap = it_open_proxy(admin);
    lrc_tg_value name = {.type = LRC_TG_STRING, .s = s->dev[D_NONE]};
    lrc_tg_value out = {0};
    lrc_error *err = NULL;
    if (lrc_tg_command_inout(ap, "DevRestart", &name, &out, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("DevRestart %s: %s", s->dev[D_NONE], t);
    }
    lrc_tg_proxy_close(ap);
    free(admin);
    /* the proxy reconnects to the new device object */
    lrc_tg_proxy_close(s->p[D_NONE]);
    s->p[D_NONE] = it_open_proxy(s->dev[D_NONE]);
    check_all(s, false);
    check_pytango(s, false);
    test_protocols(state);
}

/* Runs cmd(arg) through our client to its end; returns the recorder. */
static void invoke_to_end(const char *dev, const char *cmd, lrc_arg a, crec *r, int version)
{
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    assert_int_equal(lrc_proxy_open(dev, NULL, &p, &err), LRC_OK);
    crec_init(r);
    lrc_subscription *sub = NULL;
    if (lrc_invoke(p, cmd, &a, crec_cb, r, NULL, &sub, &err) != LRC_OK)
        fail_msg("lrc_invoke %s on %s: %s", cmd, dev, lrc_error_message(err));
    assert_true(crec_wait_finals(r, 1, 30));
    assert_int_equal(lrc_subscription_protocol_version(sub), version);
    lrc_subscription_free(sub);
    lrc_proxy_close(p);
}

static double temperature_of(const char *extra_json)
{
    json_t *j = json_loads(extra_json, 0, NULL);
    json_t *t = json_object_get(j, "temperature");
    if (!json_is_number(t))
        fail_msg("no temperature in %s", extra_json);
    double v = json_number_value(t);
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);
    return v;
}

/* Our client: each progress update of Heat on the v2 device carries the
 * temperature in extra_json, the last one the target's. */
static void test_progress_context_client(void **state)
{
    kp *s = *state;
    crec r;
    invoke_to_end(s->dev[D_V2], "Heat", lrc_arg_double(30.0), &r, 2);
    size_t n_progress = 0;
    double last = 0;
    for (size_t i = 0; i < r.n; i++) {
        crec_update *u = &r.u[i];
        if (!(u->has & LRC_HAS_PROGRESS)) {
            assert_false(u->has & LRC_HAS_EXTRA);
            continue;
        }
        assert_true(u->has & LRC_HAS_EXTRA);
        last = temperature_of(u->extra_json);
        n_progress++;
        if (u->progress == 100)
            assert_true(last > 29.99 && last < 30.01);
    }
    assert_true(n_progress >= 1); /* the client may coalesce nothing: usually 10 */
    assert_true(last > 29.99 && last < 30.01);
    assert_int_equal(r.u[r.n - 1].status, LRC_STATUS_COMPLETED);
    assert_string_equal(result_of(&r), "[0, \"Heated to 30.00\"]");
    crec_clear(&r);

    /* non-ASCII text: escaped on the wire, UTF-8 for the callback */
    invoke_to_end(s->dev[D_V2], "Report",
                  lrc_arg_string("{\"unit\": \"\xc2\xb0" "C\", \"step\": [1, 2]}"), &r, 2);
    bool seen = false;
    for (size_t i = 0; i < r.n; i++) {
        crec_update *u = &r.u[i];
        if (!(u->has & LRC_HAS_PROGRESS))
            continue;
        assert_int_equal(u->progress, 50);
        assert_true(u->has & LRC_HAS_EXTRA);
        json_t *j = json_loads(u->extra_json, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(j, "unit")), "\xc2\xb0" "C");
        assert_int_equal(json_array_size(json_object_get(j, "step")), 2);
        json_decref(j);
        seen = true;
    }
    assert_true(seen);
    assert_int_equal(r.u[r.n - 1].status, LRC_STATUS_COMPLETED);
    crec_clear(&r);

    /* the "none" device: v1 progress, the percent alone */
    invoke_to_end(s->dev[D_NONE], "Heat", lrc_arg_double(25.0), &r, 1);
    for (size_t i = 0; i < r.n; i++)
        assert_false(r.u[i].has & LRC_HAS_EXTRA);
    assert_int_equal(r.u[r.n - 1].status, LRC_STATUS_COMPLETED);
    crec_clear(&r);
}

/* What the kit refuses: the task gets the code, nothing is pushed, and the
 * command (Report) fails with the reason. */
static void test_progress_context_refused(void **state)
{
    kp *s = *state;
    char big[LRC_TASK_CONTEXT_MAX_BYTES + 64];
    snprintf(big, sizeof big, "{\"x\": \"%0*d\"}", LRC_TASK_CONTEXT_MAX_BYTES, 0);
    const struct {
        const char *context, *why;
    } cases[] = {
        {"{\"status\": 1}", "invalid argument"},
        {"{\"t\": 1, \"progress\": 3}", "invalid argument"},
        {"{\"result\": [0, \"x\"]}", "invalid argument"},
        {"[1, 2]", "invalid argument"},
        {"not json", "malformed JSON"},
        {big, "invalid argument"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        crec r;
        invoke_to_end(s->dev[D_V2], "Report", lrc_arg_string(cases[k].context), &r, 2);
        for (size_t i = 0; i < r.n; i++)
            assert_false(r.u[i].has & (LRC_HAS_PROGRESS | LRC_HAS_EXTRA));
        crec_update *last = &r.u[r.n - 1];
        assert_int_equal(last->status, LRC_STATUS_FAILED);
        char want[160];
        snprintf(want, sizeof want,
                 "[3, \"Unhandled exception during execution: Report: progress context "
                 "refused: %s\"]",
                 cases[k].why);
        assert_string_equal(result_of(&r), want);
        crec_clear(&r);
    }
}

/* A PyTango subscriber (what ska's client hands its callback as keyword
 * arguments) and `lrc invoke --json` see the key too. */
static void test_progress_context_others(void **state)
{
    kp *s = *state;
    char script[512];
    snprintf(script, sizeof script, "%s/kit_protocols.py", k_py_dir);
    const char *argv[] = {"/usr/bin/python3", script, "heat", s->dev[D_V2], "40", NULL};
    char *out = NULL;
    assert_int_equal(lrct_run(argv, 60000, &out), 0);
    json_t *j = json_loads(out, 0, NULL);
    if (!json_is_array(j))
        fail_msg("kit_protocols.py heat: %s", out);
    size_t i, n_progress = 0;
    json_t *p;
    json_array_foreach(j, i, p)
    {
        json_t *progress = json_object_get(p, "progress");
        if (!progress)
            continue;
        n_progress++;
        assert_true(json_is_integer(progress));
        assert_true(json_is_number(json_object_get(p, "temperature")));
        /* the order of section 1.4 kept: progress first */
        assert_string_equal(json_object_iter_key(json_object_iter(p)), "progress");
    }
    assert_int_equal(n_progress, 10);
    json_decref(j);
    free(out);

    const char *cli[] = {k_lrc_tool, "invoke", s->dev[D_V2], "Heat", "35", "--json", NULL};
    out = NULL;
    assert_int_equal(lrct_run(cli, 60000, &out), 0);
    size_t lines_with = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *u = json_loads(line, 0, NULL);
        if (json_object_get(u, "progress")) {
            assert_true(json_is_number(json_object_get(u, "temperature")));
            lines_with++;
        }
        json_decref(u);
    }
    assert_true(lines_with >= 1);
    free(out);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s LRC_DEMO_DEVICE LRC_TOOL\n", argv[0]);
        return 2;
    }
    k_lrc_tool = argv[2];
    it_init(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribute_lists),
        cmocka_unit_test(test_protocols),
        cmocka_unit_test(test_progress_context_client),
        cmocka_unit_test(test_progress_context_refused),
        cmocka_unit_test(test_progress_context_others),
        cmocka_unit_test(test_init_and_restart),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
