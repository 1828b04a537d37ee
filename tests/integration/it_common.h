/*
 * it_common.h - shared plumbing of the integration test programs: one demo
 * device server per test (unique instance and device names), a proxy, a
 * recorder, the model of section 1.3-1.5/7, and whole-recording invariant
 * checks (no ghosts, item keys, times, list ordering).
 */
#ifndef LRCT_IT_COMMON_H
#define LRCT_IT_COMMON_H

#include "model.h"
#include "recorder.h"
#include "tango_fixture.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* argv[1] of every test program: the device implementation the tests run
 * against. A path ending in ".py" is the PyTango stand-in for a ska-tango-base
 * device (tests/pydevice/ska_lrc_device.py, class SkaLrcDevice, run by
 * $LRC_PYTHON or /usr/bin/python3: the only Python with PyTango); anything
 * else is the lrc-demo-device executable (our C server kit, class LrcDemo). */
extern const char *g_exe;
typedef enum it_impl {
    IT_IMPL_DEMO, /* lrc-demo-device: pushes at once, submitted_time, On/Off, Complete */
    IT_IMPL_PY    /* SkaLrcDevice: 100 ms batches, ska 1.3.2 wire format */
} it_impl;
extern it_impl g_impl;
/* "demo" or "pydevice", for messages. */
const char *it_impl_name(void);
/* Starts a server of the selected implementation serving `devices`
 * (lrct_server_start / lrct_server_start_cmd); props as there. */
lrct_server *it_server_start(const char *instance, const char *const *devices,
                             const char *const *props);

/* All LRC attributes of a v2 device (section 1.3) except
 * lrcProtocolVersions, which has no events. */
extern const char *const k_all_v2_attrs[];
/* The v1 attributes (what a "none" device has). */
extern const char *const k_v1_attrs[];

typedef struct it_dev {
    lrct_server *srv;
    char *instance;
    char *device;
    lrc_tg_proxy *p;
    lrct_recorder *rec;
    lm *m;
    double t_start_real;
    int max_exec; /* MaxExecutingTasks, for size checks */
    /* every command id the device returned to us */
    char **ids;
    size_t nids, capids;
} it_dev;

/* Program start: argv[1] = device (see g_exe); raises the ZMQ high-water
 * marks, brings the Tango DB up (TANGO_HOST). Exits on failure. */
void it_init(int argc, char **argv);

/* cmocka setup/teardown: allocate a zeroed it_dev in *state / stop and free
 * everything it holds (server stopped, proxy closed). */
int it_setup(void **state);
int it_teardown(void **state);

/* Starts a demo server with one device; props = NULL-terminated
 * "Name=Value" device properties. Opens the proxy. False on failure
 * (message printed). */
bool it_dev_start(it_dev *d, const char *tag, const char *const *props);
/* Subscribes the recorder to attrs, and creates the model (v2 = device has
 * _lrcEvent etc.; commanded = commandedState is among attrs). */
bool it_dev_record(it_dev *d, const char *const *attrs, bool v2, bool commanded);
/* Stops recording and the server; false if the server did not end cleanly
 * (crash, non-zero exit, sanitizer report: see lrct_server_stop). */
bool it_dev_stop(it_dev *d);

/* Starts d (it_dev_start) with the one device property `prop`, which the
 * device is expected to refuse: returns its Status text (the caller frees
 * it) when it is in FAULT; NULL otherwise (printed). */
char *it_dev_start_faulty(it_dev *d, const char *tag, const char *prop);

void it_dev_add_id(it_dev *d, const char *id);
bool it_dev_known_id(const it_dev *d, const char *id);

/* Calls an LRC command; records the id when the code is QUEUED/STARTED and
 * checks its shape (<float>_<int>_<cmd>, time prefix within 60 s of now).
 * Returns false (and prints) on a Tango error or malformed id. */
bool it_call(it_dev *d, const char *cmd, const lrc_tg_value *in, int64_t *code, char **text);
bool it_call_void(it_dev *d, const char *cmd, int64_t *code, char **text);
bool it_call_str(it_dev *d, const char *cmd, const char *arg, int64_t *code, char **text);
bool it_call_double(it_dev *d, const char *cmd, double arg, int64_t *code, char **text);

/* Waits for the terminal state of id (v2: its _lrcEvent with a terminal
 * status; v1: a longRunningCommandStatus list with a terminal name for
 * it). Returns the terminal status or -1 on timeout. */
int it_wait_terminal(it_dev *d, const char *id, double timeout_s);

/* Observed progress values of id, in arrival order (v2: _lrcEvent; v1:
 * longRunningCommandProgress entries, each change once). */
size_t it_observed_progress(it_dev *d, const char *id, long *out, size_t max);

/* Feeds the model the life of one accepted command (create, QUEUED,
 * IN_PROGRESS, the observed progress values, final status + result) and
 * compares the recording from `from` exactly; `final_result` is borrowed.
 * Call after it_wait_terminal. *next (optional) = index after the
 * compared events. */
bool it_expect_lifecycle(it_dev *d, size_t from, const char *id, const char *name,
                         int final_status, const json_t *final_result, size_t *next);

/* Submits Echo(text) and expects its exact lifecycle from `from` (so any
 * event pushed after `from` that is not the sentinel's is a failure: used
 * to prove that a rejected/failed call pushed nothing). */
bool it_sentinel(it_dev *d, size_t from, const char *text);

/* Expects the removal pushes of `id` (model) from `from`. */
bool it_expect_removal(it_dev *d, size_t from, const char *id, size_t *next);

/* Whole-recording invariants (spec 1.3/1.4/7): every id known (no ghost),
 * _lrcEvent = [id, json] with only status/progress/result, status ints,
 * progress ints; lrc* items with exactly the allowed keys, ISO times,
 * per-uid stable submitted/started times, submitted <= started <= finished;
 * v1 status list ordering finished/executing/queued; no error events. */
bool it_check_invariants(it_dev *d);

/* Waits until ok(arg), evaluated with mu held, is true or timeout_s has
 * passed: on cv (signalled by whoever changes what ok reads), waking at
 * least every 0.2 s so that a missed signal costs little. Takes and
 * releases mu itself (the caller must not hold it). Returns ok's last
 * value. */
bool it_wait_cond(pthread_mutex_t *mu, pthread_cond_t *cv, bool (*ok)(void *), void *arg,
                  double timeout_s);

/* Last value of an attribute as normalised JSON (new ref) or NULL. */
json_t *it_last_json(it_dev *d, const char *attr);

#endif
