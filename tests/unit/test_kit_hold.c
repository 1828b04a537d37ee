/* test_kit_hold.c - the kit's pushes held for fresh subscribers
 * (src/server/kit_hold.c), over a fake clock and a fake shim: which pushes
 * wait, until when, and in which order they leave. */
#include "server/kit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- the fakes kit_hold.c calls --------------------------------------- */

static double g_now; /* the monotonic clock (lrc_mono_now, linked with --wrap) */
static double g_tick; /* added to g_now after each read: time passing in a call */
static double g_sub_at[LRC_ATTR_COUNT];     /* subscription stamps, -1: none */
static char g_sent[4096];                   /* what reached "Tango", in order */

double __wrap_lrc_mono_now(void);
double __wrap_lrc_mono_now(void)
{
    double t = g_now;
    g_now += g_tick;
    return t;
}

double lrc_tg_device_subscribed_at(lrc_tg_device *dev, const char *attr)
{
    (void)dev;
    for (int a = 0; a < LRC_ATTR_COUNT; a++)
        if (strcmp(lrc_attr_name((lrc_attr)a), attr) == 0)
            return g_sub_at[a];
    return -1;
}

/* The latest stamp of any attribute, as the shim keeps it. */
double lrc_tg_device_last_subscribed_at(lrc_tg_device *dev)
{
    (void)dev;
    double last = -1;
    for (int a = 0; a < LRC_ATTR_COUNT; a++)
        if (g_sub_at[a] > last)
            last = g_sub_at[a];
    return last;
}

/* The caller's own subscription to _lrcEvent; -1: none. */
static double g_caller_sub_at;

double lrc_tg_device_caller_subscribed_at(lrc_tg_device *dev, const char *attr)
{
    (void)dev;
    return strcmp(attr, "_lrcEvent") == 0 ? g_caller_sub_at : -1;
}

const char *lrc_tg_device_name(const lrc_tg_device *dev)
{
    (void)dev;
    return "test/hold/1";
}

/* The kit's device log (kit_log.c) is not under test here. */
void kit_log(lrc_device *dev, int level, const char *fmt, ...)
{
    (void)dev;
    (void)level;
    (void)fmt;
}

/* Records "ATTR=v0,v1 " for each push. */
void kit_push_now(lrc_device *dev, lrc_attr a, char **v, size_t n)
{
    (void)dev;
    size_t len = strlen(g_sent);
    len += (size_t)snprintf(g_sent + len, sizeof g_sent - len, "%s=", lrc_attr_name(a));
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(g_sent + len, sizeof g_sent - len, "%s%s", i ? "," : "", v[i]);
    snprintf(g_sent + len, sizeof g_sent - len, " ");
}

/* ---- helpers ----------------------------------------------------------- */

static int setup(void **state)
{
    lrc_device *dev = calloc(1, sizeof *dev);
    assert_non_null(dev);
    pthread_mutex_init(&dev->mu, NULL);
    pthread_cond_init(&dev->service_cv, NULL);
    dev->hold_deadline = -1;
    dev->held_list_release = -1;
    dev->held_due = -1;
    dev->subscriber_hold = 0.1;
    for (int a = 0; a < LRC_ATTR_COUNT; a++) {
        dev->has_attr[a] = true;
        g_sub_at[a] = -1;
    }
    g_caller_sub_at = -1;
    g_now = 100;
    g_tick = 0;
    g_sent[0] = '\0';
    *state = dev;
    return 0;
}

static int teardown(void **state)
{
    lrc_device *dev = *state;
    kit_hold_free(dev);
    pthread_cond_destroy(&dev->service_cv);
    pthread_mutex_destroy(&dev->mu);
    free(dev);
    return 0;
}

static void event(lrc_device *dev, const char *id, const char *json)
{
    char *v[2] = {(char *)id, (char *)json};
    kit_push(dev, LRC_ATTR_EVENT, v, 2);
}

static void status_list(lrc_device *dev, const char *id, const char *status)
{
    char *v[2] = {(char *)id, (char *)status};
    kit_push(dev, LRC_ATTR_STATUS, v, 2);
}

static double deadline(lrc_device *dev)
{
    pthread_mutex_lock(&dev->mu);
    double d = dev->hold_deadline;
    pthread_mutex_unlock(&dev->mu);
    return d;
}

/* ---- tests ------------------------------------------------------------- */

/* Nobody subscribed: every push leaves at once. */
static void test_no_subscription_pushes_at_once(void **state)
{
    lrc_device *dev = *state;
    kit_hold_command(dev, "A");
    event(dev, "A", "s0");
    status_list(dev, "A", "STAGING");
    assert_string_equal(g_sent, "_lrcEvent=A,s0 longRunningCommandStatus=A,STAGING ");
    assert_true(deadline(dev) < 0);
}

/* An old subscription (older than the hold) holds nothing. */
static void test_old_subscription_holds_nothing(void **state)
{
    lrc_device *dev = *state;
    g_sub_at[LRC_ATTR_EVENT] = g_caller_sub_at = g_now - 0.2;
    g_sub_at[LRC_ATTR_STATUS] = g_now - 0.2;
    kit_hold_command(dev, "A");
    event(dev, "A", "s0");
    status_list(dev, "A", "STAGING");
    assert_string_equal(g_sent, "_lrcEvent=A,s0 longRunningCommandStatus=A,STAGING ");
}

/* SubscriberHold 0 turns the hold off. */
static void test_hold_zero_is_off(void **state)
{
    lrc_device *dev = *state;
    dev->subscriber_hold = 0;
    g_sub_at[LRC_ATTR_EVENT] = g_caller_sub_at = g_now;
    kit_hold_command(dev, "A");
    event(dev, "A", "s0");
    assert_string_equal(g_sent, "_lrcEvent=A,s0 ");
}

/* A command whose caller's subscription to _lrcEvent is young: its events
 * wait until the subscription is `hold` old, then leave in order; a
 * command created before goes on at once; the list attributes (nobody
 * subscribed to them) are not held. */
static void test_fresh_event_subscriber_holds_new_commands_only(void **state)
{
    lrc_device *dev = *state;
    kit_hold_command(dev, "OLD"); /* before the subscription */
    g_sub_at[LRC_ATTR_EVENT] = g_caller_sub_at = g_now;
    g_now += 0.01;
    kit_hold_command(dev, "NEW");
    event(dev, "NEW", "s0");
    event(dev, "OLD", "s5");
    status_list(dev, "NEW", "STAGING");
    event(dev, "NEW", "s1");
    assert_string_equal(g_sent, "_lrcEvent=OLD,s5 longRunningCommandStatus=NEW,STAGING ");
    assert_true(deadline(dev) > 100.09 && deadline(dev) < 100.11);

    g_now = 100.05; /* not yet due */
    kit_hold_flush(dev, false);
    assert_string_equal(g_sent, "_lrcEvent=OLD,s5 longRunningCommandStatus=NEW,STAGING ");

    g_now = 100.1; /* due: both leave, in order */
    g_sent[0] = '\0';
    kit_hold_flush(dev, false);
    assert_string_equal(g_sent, "_lrcEvent=NEW,s0 _lrcEvent=NEW,s1 ");
    assert_true(deadline(dev) < 0);

    event(dev, "NEW", "s5"); /* afterwards: at once */
    assert_string_equal(g_sent, "_lrcEvent=NEW,s0 _lrcEvent=NEW,s1 _lrcEvent=NEW,s5 ");
}

/* The hold ends while a push is being made (the clock moves between its
 * reads, as when the thread is preempted): what is held of the command
 * still leaves before the new push, never after it. */
static void test_hold_ending_during_a_push_keeps_order(void **state)
{
    lrc_device *dev = *state;
    g_sub_at[LRC_ATTR_EVENT] = g_caller_sub_at = g_now;
    kit_hold_command(dev, "A"); /* release at 100.1 */
    event(dev, "A", "s0");
    event(dev, "A", "s1");
    assert_string_equal(g_sent, "");
    g_now = 100.1 - 0.0005; /* just before the release... */
    g_tick = 0.001;         /* ...and past it at the next read of the clock */
    event(dev, "A", "s2");
    g_tick = 0;
    kit_hold_flush(dev, false);
    assert_string_equal(g_sent, "_lrcEvent=A,s0 _lrcEvent=A,s1 _lrcEvent=A,s2 ");
}

/* Another client's fresh subscription holds nothing of this caller's: a
 * pre-connected client keeps its latency while others subscribe per call. */
static void test_other_clients_subscription_holds_nothing(void **state)
{
    lrc_device *dev = *state;
    g_sub_at[LRC_ATTR_EVENT] = g_now; /* someone else, just now */
    g_now += 0.01;
    kit_hold_command(dev, "MINE");
    event(dev, "MINE", "s0");
    event(dev, "MINE", "s5");
    assert_string_equal(g_sent, "_lrcEvent=MINE,s0 _lrcEvent=MINE,s5 ");
    assert_true(deadline(dev) < 0);
}

/* A push made after the release time but before the service thread flushed
 * does not overtake the held ones of its command. */
static void test_late_push_does_not_overtake(void **state)
{
    lrc_device *dev = *state;
    g_sub_at[LRC_ATTR_EVENT] = g_caller_sub_at = g_now;
    kit_hold_command(dev, "A");
    event(dev, "A", "s0");
    event(dev, "A", "s1");
    g_now += 0.5; /* the service thread is late */
    event(dev, "A", "s5");
    assert_string_equal(g_sent, "_lrcEvent=A,s0 _lrcEvent=A,s1 _lrcEvent=A,s5 ");
}

/* A subscription to a v1 attribute holds every list push (all commands'),
 * in one queue, keeping the v1 result before the final status; _lrcEvent
 * pushes of commands not held still leave at once. */
static void test_fresh_list_subscriber_holds_lists_in_order(void **state)
{
    lrc_device *dev = *state;
    g_sub_at[LRC_ATTR_STATUS] = g_now;
    g_now += 0.02;
    kit_hold_command(dev, "A");
    status_list(dev, "A", "STAGING");
    char *res[2] = {"A", "[0, \"ok\"]"};
    kit_push(dev, LRC_ATTR_RESULT, res, 2);
    status_list(dev, "A", "COMPLETED");
    event(dev, "A", "s5");
    assert_string_equal(g_sent, "_lrcEvent=A,s5 ");

    g_sub_at[LRC_ATTR_RESULT] = g_now; /* a second subscription, later */
    g_now += 0.01;
    status_list(dev, "B", "STAGING"); /* waits for the later one */
    g_now = 100.1;
    g_sent[0] = '\0';
    kit_hold_flush(dev, false);
    assert_string_equal(g_sent, "longRunningCommandStatus=A,STAGING "
                                "longRunningCommandResult=A,[0, \"ok\"] "
                                "longRunningCommandStatus=A,COMPLETED ");
    g_now = 100.13;
    g_sent[0] = '\0';
    kit_hold_flush(dev, false);
    assert_string_equal(g_sent, "longRunningCommandStatus=B,STAGING ");
    assert_true(deadline(dev) < 0);
}

/* Device teardown: flush(all) sends everything at once, in order. */
static void test_flush_all_sends_everything(void **state)
{
    lrc_device *dev = *state;
    g_sub_at[LRC_ATTR_EVENT] = g_caller_sub_at = g_now;
    g_sub_at[LRC_ATTR_STATUS] = g_now;
    kit_hold_command(dev, "A");
    event(dev, "A", "s0");
    status_list(dev, "A", "ABORTED");
    event(dev, "A", "s3");
    assert_string_equal(g_sent, "");
    kit_hold_flush(dev, true);
    assert_string_equal(g_sent, "_lrcEvent=A,s0 longRunningCommandStatus=A,ABORTED "
                                "_lrcEvent=A,s3 ");
    assert_true(deadline(dev) < 0);
    event(dev, "A", "late");
    assert_string_equal(g_sent, "_lrcEvent=A,s0 longRunningCommandStatus=A,ABORTED "
                                "_lrcEvent=A,s3 _lrcEvent=A,late ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_subscription_pushes_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_subscription_holds_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_zero_is_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_event_subscriber_holds_new_commands_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_clients_subscription_holds_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_late_push_does_not_overtake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_ending_during_a_push_keeps_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fresh_list_subscriber_holds_lists_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flush_all_sends_everything, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
