/*
 * fake_transport.h - a scripted fake device behind the client core's
 * transport seam (src/core/transport.h), for unit tests of lrc_invoke & co.
 * without Tango.
 *
 * The fake device has:
 *  - an attribute list, with or without "lrcProtocolVersions", whose value
 *    is a LONG64_ARRAY [min, max] (fake_set_protocol);
 *  - command signatures (fake_add_command); an unknown command fails with
 *    LRC_ENOTFOUND and a DevError "API_CommandNotFound", as the shim does;
 *  - one handler per command, called inside command_inout on the invoking
 *    thread (NULL: as a real LRC device, push the creation event STAGING
 *    for a new command ID, then reply [[QUEUED], [ID]]). A handler may push
 *    events synchronously, to simulate events that arrive BEFORE the command
 *    returns, and returns a reply or an error (fake_command_failed);
 *  - a table of the commands it knows (every ID from fake_new_id), whose
 *    status and result follow the events pushed (or fake_set_lrc); it
 *    answers CheckLongRunningCommandStatus (built in: DevString -> DevString,
 *    "NOT_FOUND" for unknown IDs) and reads of lrcFinished (v2 items of the
 *    finished commands) and longRunningCommandResult (the latest result);
 *  - change-event subscriptions, counted per attribute. Like Tango, subscribe
 *    delivers the current value synchronously inside the call: an empty
 *    string spectrum for _lrcEvent and the v1 status/progress lists, ["", ""]
 *    for longRunningCommandResult. Subscribe failures (with a DevError stack)
 *    can be injected per attribute, unsubscribe failures globally;
 *  - current values set by the test (fake_set_value), which reads and new
 *    subscriptions of that attribute give and later pushes update; an
 *    attribute list the test may replace; read failures on demand;
 *  - push functions that deliver a value or an error event to every current
 *    subscriber of an attribute, synchronously on the calling thread or on a
 *    helper thread (joined before returning) to play a Tango event thread.
 *
 * The transport contract is honoured: deliveries to one subscription never
 * overlap; after unsubscribe returns its callback is neither running nor
 * called again (unsubscribe from inside that callback is allowed); the event
 * value is a fresh heap copy freed right after the callback, so a callback
 * that keeps a pointer to it is caught by ASan/valgrind. Every function is
 * thread-safe. The fake calls the library's callbacks without holding any
 * lock of its own, except the per-subscription "delivering" mark.
 *
 * A trace of the transport calls is kept (fake_trace), e.g.
 * "query:Echo attrs read:lrcProtocolVersions sub:_lrcEvent inout:Echo".
 */
#ifndef LRC_TEST_FAKE_TRANSPORT_H
#define LRC_TEST_FAKE_TRANSPORT_H

#include "core/transport.h"
#include "lrc/error.h"
#include "tango/tango_shim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fake_device fake_device;

/* A command handler: fill *out (fake_reply) and return LRC_OK, or return an
 * error code with *err set (fake_command_failed). in is the argument as the
 * library sent it (type LRC_TG_VOID for none). */
typedef int (*fake_handler_fn)(fake_device *d, void *user, const char *cmd,
                               const lrc_tg_value *in, lrc_tg_value *out, lrc_error **err);

/* A device named `name` ("test/fake/1"), speaking protocols [1, 2], with no
 * commands. Aborts on out of memory. */
fake_device *fake_new(const char *name);
/* Frees the device. Every proxy opened on it must be gone. */
void fake_free(fake_device *d);

/* The transport to give to lrc_proxy_open_with. Opening a connection on it
 * gives this device, whatever the name. */
const lrc_transport *fake_transport(fake_device *d);

/* With has_attr false the attribute list lacks lrcProtocolVersions and
 * _lrcEvent (a pre-1.2 device); else lrcProtocolVersions reads [min, max]. */
void fake_set_protocol(fake_device *d, bool has_attr, int64_t min, int64_t max);

/* Declares a command (replaces an existing one of that name). handler NULL:
 * the default reply [[QUEUED], [fake_new_id(cmd)]]. */
void fake_add_command(fake_device *d, const char *name, lrc_tg_type in, lrc_tg_type out,
                      fake_handler_fn handler, void *user);

/* ---- replies ---------------------------------------------------------------- */

/* A new, unique command ID of the shape <float>_<int>_<cmd> (malloc'd),
 * entered in the table as STAGING. */
char *fake_new_id(fake_device *d, const char *cmd);
/* Sets the status (TaskStatus name; FAKE_QUERY_FAILS makes
 * CheckLongRunningCommandStatus fail for it) and, if result_json is not
 * NULL, the result of a command in the table (added if unknown); the
 * result also becomes the latest one (longRunningCommandResult). */
void fake_set_lrc(fake_device *d, const char *id, const char *status, const char *result_json);
#define FAKE_QUERY_FAILS "!fail"

/* From now on CheckLongRunningCommandStatus answers NOT_FOUND for id (its
 * entry expired, or the device restarted when the status is "NOT_FOUND"
 * too) while lrcFinished still lists it if its status is terminal. */
void fake_expire_lrc(fake_device *d, const char *id);
/* The creation event of a real device: _lrcEvent [id, {"status": 0}] and
 * longRunningCommandStatus [id, "STAGING"], on the calling thread or on a
 * helper thread. */
void fake_push_creation(fake_device *d, const char *id, bool on_thread);
/* *out = [[code], [text]] (malloc'd members, as the shim fills them). */
void fake_reply(lrc_tg_value *out, int64_t code, const char *text);
/* A DevFailed as the shim reports a failed command: the device's own
 * DevError (reason, desc) first, then cppTango's API_CommandFailed; code
 * LRC_ETANGO, message = the outermost description. */
lrc_error *fake_command_failed(fake_device *d, const char *cmd, const char *reason,
                               const char *desc);

/* ---- subscriptions ---------------------------------------------------------- */

/* Subscribing to attr fails (LRC_ETANGO) with the stack
 * [(reason, desc, "FakeDevice::subscribe"), ("API_EventSystemFailed",
 * "Failed to connect to event channel for device <name>")], message = the
 * outermost description. attr NULL clears. One attribute at a time. */
void fake_fail_subscribe(fake_device *d, const char *attr, const char *reason, const char *desc);
/* From now on unsubscribe still ends the subscription but reports the
 * failure LRC_ETANGO with message FAKE_UNSUB_MESSAGE and DevError
 * API_EventNotFound. */
void fake_fail_unsubscribe(fake_device *d, bool fail);
/* From now on unsubscribe takes ms milliseconds (the subscription stays
 * counted as live until it returns). */
void fake_delay_unsubscribe(fake_device *d, int ms);
#define FAKE_UNSUB_MESSAGE "Failed to unsubscribe event: the event system is gone"

/* Subscriptions of attr (case-insensitive) live now / made in total /
 * ended in total. */
int fake_live(fake_device *d, const char *attr);
int fake_subscribes(fake_device *d, const char *attr);
int fake_unsubscribes(fake_device *d, const char *attr);
/* Live subscriptions of all attributes. */
int fake_live_total(fake_device *d);
/* The id of the most recent live subscription of attr, or -1. */
int fake_sub_id(fake_device *d, const char *attr);
/* Unsubscribe calls with an id that was not subscribed (a client bug). */
int fake_bad_unsubscribes(fake_device *d);

/* ---- attribute values and reads ---------------------------------------------- */

/* Gives attr (any attribute, case-insensitive) the current value *v
 * (copied): reads of attr return it instead of the built-in answers, a new
 * subscription to attr receives it as its initial value (as Tango sends
 * the current value), and later value pushes to attr replace it. v NULL
 * forgets it (back to the built-in behaviour). */
void fake_set_value(fake_device *d, const char *attr, const lrc_tg_value *v);
/* The same for a string spectrum [sv...]. */
void fake_set_strings(fake_device *d, const char *attr, const char *const *sv, size_t n);
/* Replaces the attribute list the device reports (names NULL: back to the
 * built-in one of fake_set_protocol). */
void fake_set_attribute_list(fake_device *d, const char *const *names, size_t n);
/* From now on the attribute list (attrs true) and reads of attr (NULL:
 * none) fail with LRC_ETANGO, message FAKE_DOWN_MESSAGE and the DevError
 * API_CantConnectToDevice, as for a device that is down. */
void fake_fail_reads(fake_device *d, bool attrs, const char *attr);
#define FAKE_DOWN_MESSAGE "Failed to connect to device test/fake: the device server is down"

/* ---- calls ------------------------------------------------------------------- */

/* Number of calls to the device (command_query, command_inout,
 * attribute_list, read_attribute, subscribe, unsubscribe), whatever their
 * outcome. open/close/timeout_ms are not counted. */
int fake_calls(fake_device *d);
int fake_inout_calls(fake_device *d);
/* The call trace (malloc'd), space separated: query:<cmd> inout:<cmd> attrs
 * read:<attr> sub:<attr> subfail:<attr> unsub:<attr> unsubfail:<attr>. */
char *fake_trace(fake_device *d);
void fake_trace_clear(fake_device *d);
/* A copy of the argument of the last command_inout (lrc_tg_value_clear). */
lrc_tg_value fake_last_input(fake_device *d);
/* Connections open now / ever. */
int fake_open_connections(fake_device *d);
/* Connections closed from inside an event callback (which cppTango
 * forbids: the library must defer that). */
int fake_closes_in_callback(fake_device *d);
/* With track false, pushed events no longer update the table of commands
 * (its bookkeeping is linear per ID: timing tests of the library turn it
 * off). */
void fake_track_pushes(fake_device *d, bool track);
int fake_opens(fake_device *d);
/* Waits (at most timeout_ms) until no connection is open; true if none is. */
bool fake_wait_closed(fake_device *d, int64_t timeout_ms);
int64_t fake_timeout_ms(fake_device *d);

/* ---- events ------------------------------------------------------------------ */

/* Pushes the string spectrum [sv...] to every subscriber of attr, on the
 * calling thread. Returns the number of subscriptions it reached. */
int fake_push_strings(fake_device *d, const char *attr, const char *const *sv, size_t n);
/* _lrcEvent [id, json]. */
int fake_push_lrc(fake_device *d, const char *id, const char *json);
/* An error event (LRC_ETANGO, message desc, one DevError (reason, desc,
 * origin "EventConsumer::keep_alive")) to every subscriber of attr. */
int fake_push_error(fake_device *d, const char *attr, const char *reason, const char *desc);

/* The same, from a helper thread (a Tango event thread), joined before
 * returning. */
int fake_push_strings_thread(fake_device *d, const char *attr, const char *const *sv, size_t n);
int fake_push_lrc_thread(fake_device *d, const char *id, const char *json);
int fake_push_error_thread(fake_device *d, const char *attr, const char *reason,
                           const char *desc);

#endif /* LRC_TEST_FAKE_TRANSPORT_H */
