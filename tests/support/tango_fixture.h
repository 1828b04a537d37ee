/*
 * tango_fixture.h - real Tango database and device servers for integration
 * tests.
 *
 * Plain C11 + POSIX: no Tango headers. It drives scripts/tango-db,
 * tango_admin and the server processes; the tests talk to the servers through
 * the library under test.
 *
 * Typical use (cmocka group setup / test / teardown):
 *
 *     assert_int_equal(lrct_db_up(), 0);
 *     char *inst = lrct_unique_name("demo");
 *     char dev[128]; snprintf(dev, sizeof dev, "test/demo/%s", inst);
 *     const char *devs[] = { dev, NULL };
 *     lrct_server *srv = lrct_server_start(exe, inst, "LrcDemo", devs, NULL);
 *     assert_non_null(srv);
 *     ... use dev through the library ...
 *     assert_int_equal(lrct_server_stop(srv), 0);
 *     free(inst);
 *
 * Thread-safety: lrct_unique_name() may be called from any thread. The other
 * functions are meant for the test's main thread (they fork, wait for their
 * own children and change the environment); do not call them concurrently.
 * Messages go to stderr, prefixed with "lrct:".
 */
#ifndef LRC_TANGO_FIXTURE_H
#define LRC_TANGO_FIXTURE_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bring up the test Tango database: runs `scripts/tango-db up` from the
 * source tree (LRC_SOURCE_DIR, compiled in), which starts MariaDB and
 * DataBaseds on 127.0.0.1:$LRC_TANGO_DB_PORT (default 10000) if they are not
 * running already, then sets TANGO_HOST, TANGO_EVENT_BUFFER_HWM and
 * TANGO_DS_EVENT_BUFFER_HWM in this process (setenv, overwriting) to what
 * `scripts/tango-db env` prints. Call it before the first Tango client call of
 * the process: libtango reads these variables once.
 * Returns 0, or -1 after printing why on stderr. Cheap when already up
 * (about 30 ms).
 */
int lrct_db_up(void);

/* A device server process started by lrct_server_start(). Opaque. */
typedef struct lrct_server lrct_server;

/*
 * Register and start a device server, and wait until it serves its devices.
 *
 * - exe_path: the server executable. Its basename is the Tango server name,
 *   so the server registered is BASENAME/instance (right for C/C++ servers;
 *   a PyTango server names itself after its class instead).
 * - instance: the instance name, e.g. from lrct_unique_name().
 * - class_name: the Tango class of the devices.
 * - devices: NULL-terminated list of device names (at least one).
 * - props: NULL, or a NULL-terminated list of "DEV:NAME=VALUE" device
 *   properties. Each is deleted first, then set, so re-runs start clean.
 *   VALUE is split on commas into an array (tango_admin --add-property).
 *   DEV is everything before the last ':' preceding the first '='.
 *
 * The process runs as `exe_path instance -ORBendPoint giop:tcp:127.0.0.1:`
 * (loopback, any port; $LRC_ORB_ENDPOINT overrides the endpoint, empty
 * drops the option), inherits this process's environment, gets stdin from
 * /dev/null and stdout+stderr appended to $LRC_STATE_DIR (default
 * /tmp/tango-lrc-state)/server-BASENAME-instance.log. It is sent SIGKILL if
 * the thread that started it exits (PR_SET_PDEATHSIG), so a crashed test
 * leaves no server behind: start servers from the test's main thread.
 *
 * Readiness: polls `tango_admin --ping-device` for every device until all
 * answer, at most 20 s; fails early if the process exits.
 *
 * TANGO_HOST must be set (lrct_db_up() does it); /etc/tangorc is never used.
 * Returns a handle owned by the caller (release it with lrct_server_stop()),
 * or NULL after printing the reason and the tail of the server log on stderr;
 * on failure the child, if any, has been killed and reaped, and the server
 * unregistered again.
 */
lrct_server *lrct_server_start(const char *exe_path, const char *instance,
                               const char *class_name,
                               const char *const *devices,
                               const char *const *props);

/*
 * lrct_server_start() for a server that is not a plain executable named
 * after itself, e.g. a PyTango script (PyTango's Device.run_server() names
 * the server after the device class, not after the script):
 *
 *     const char *cmd[] = { "/usr/bin/python3", "ska_lrc_device.py", NULL };
 *     lrct_server_start_cmd(cmd, "SkaLrcDevice", inst, "SkaLrcDevice", devs, NULL);
 *
 * - cmd: NULL-terminated argv prefix; cmd[0] is an executable path (no PATH
 *   search). The process runs as `cmd... instance -ORBendPoint ...`.
 * - server_name: the Tango server name (no '/'): the server registered is
 *   server_name/instance, and the log is server-SERVER_NAME-instance.log.
 * Everything else as lrct_server_start(), which is this function with
 * cmd = { exe_path } and server_name = basename(exe_path).
 */
lrct_server *lrct_server_start_cmd(const char *const *cmd, const char *server_name,
                                   const char *instance, const char *class_name,
                                   const char *const *devices,
                                   const char *const *props);

/*
 * Stop the server if it runs (SIGTERM, then up to 10 s for it to exit, then
 * SIGKILL), reap it, unregister BASENAME/instance and its device properties
 * from the database, and free the handle. When it returns the process is gone
 * and its ports are free. Also the way to free a handle after
 * lrct_server_kill() or a failed lrct_server_restart(). NULL is a no-op.
 * Returns 0 if the server ended cleanly: it exited with status 0 on SIGTERM
 * (or was no longer running) and its log holds no sanitizer report. Returns
 * -1 otherwise, after printing why and the log's tail: tests assert on it,
 * so a server that crashes, leaks or misbehaves under a sanitizer fails
 * the test that used it.
 */
int lrct_server_stop(lrct_server *srv);

/*
 * Crash the server: SIGKILL and reap it, at once. The database still lists
 * its devices as exported (as after a real crash). The handle stays valid for
 * lrct_server_restart() and must still be released with lrct_server_stop().
 * No-op if the server is not running; NULL is a no-op.
 */
void lrct_server_kill(lrct_server *srv);

/*
 * Start the server again with the same arguments, properties and log file
 * (appended). If it is still running it is first stopped gracefully as in
 * lrct_server_stop() (without unregistering it). Waits for readiness like
 * lrct_server_start(). The new process has a new PID.
 * Returns 0, or -1 with a message on stderr (the handle stays valid, with no
 * process: stop it or restart it again).
 */
int lrct_server_restart(lrct_server *srv);

/* PID of the running server process, or 0 when it is not running. */
pid_t lrct_server_pid(const lrct_server *srv);

/* Path of the server's log file; owned by the handle. */
const char *lrct_server_log_path(const lrct_server *srv);

/*
 * A name unique in this machine's test database for this run:
 * "PREFIX-<pid>-<n>" with n counting up per process from 1, so tests running
 * in parallel processes never collide. Safe to call from any thread.
 * Returns a malloc'ed string the caller frees, or NULL if out of memory.
 */
char *lrct_unique_name(const char *prefix);

/*
 * Run a command and wait for it (fork + execvp, no shell), at most
 * timeout_ms milliseconds (then SIGKILL). stdin is /dev/null. If out is
 * non-NULL, stdout is captured into a malloc'ed NUL-terminated string stored
 * in *out (the caller frees it, even on failure; NULL if nothing could be
 * started); otherwise stdout goes to stderr. stderr is inherited.
 * Returns the exit status (0-255), or -1 if the command could not be run,
 * died from a signal or timed out (with a message on stderr).
 */
int lrct_run(const char *const *argv, int timeout_ms, char **out);

#ifdef __cplusplus
}
#endif

#endif /* LRC_TANGO_FIXTURE_H */
