/* fault_db.c - see fault_db.h. Started as scripts/tango-db starts the
 * shared DataBaseds (MYSQL_USER/MYSQL_PASSWORD tango, -ORBendPoint on its
 * address), but as our own child, reaped and killed by PID. */
#define _POSIX_C_SOURCE 200809L

#include "fault_db.h"

#include "tango_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DATABASEDS "/usr/lib/tango/DataBaseds"
#define UP_TIMEOUT_S 30
#define STOP_TIMEOUT_S 10
#define ADMIN_TIMEOUT_MS 10000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int spawn(fdb *d)
{
    char endpoint[96];
    snprintf(endpoint, sizeof endpoint, "giop:tcp:%s", d->host);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (null >= 0)
            dup2(null, 0);
        setenv("MYSQL_USER", "tango", 1);
        setenv("MYSQL_PASSWORD", "tango", 1);
        setenv("TANGO_HOST", d->host, 1);
        execl(DATABASEDS, DATABASEDS, d->instance, "-ORBendPoint", endpoint, (char *)NULL);
        _exit(127);
    }
    d->pid = pid;
    double end = now_s() + UP_TIMEOUT_S;
    const char *ping[] = {"tango_admin", "--ping-database", NULL};
    while (now_s() < end) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            d->pid = 0;
            fprintf(stderr, "fault_db: DataBaseds %s exited at start-up (log %s)\n", d->instance,
                    d->log);
            return -1;
        }
        if (lrct_run(ping, 5000, NULL) == 0)
            return 0;
        sleep_ms(100);
    }
    fprintf(stderr, "fault_db: DataBaseds %s not answering on %s after %d s\n", d->instance,
            d->host, UP_TIMEOUT_S);
    fdb_stop(d);
    return -1;
}

int fdb_start(fdb *d, const char *addr, int port)
{
    memset(d, 0, sizeof *d);
    const char *shared = getenv("TANGO_HOST");
    if (!shared) {
        fprintf(stderr, "fault_db: TANGO_HOST is not set (lrct_db_up first)\n");
        return -1;
    }
    snprintf(d->shared, sizeof d->shared, "%s", shared);
    snprintf(d->instance, sizeof d->instance, "lrcf%ld", (long)getpid());
    snprintf(d->host, sizeof d->host, "%s:%d", addr, port);
    const char *state = getenv("LRC_STATE_DIR");
    snprintf(d->log, sizeof d->log, "%s/databaseds-%s.log", state ? state : "/tmp/tango-lrc-state",
             d->instance);
    char server[64], device[64];
    snprintf(server, sizeof server, "DataBaseds/%s", d->instance);
    snprintf(device, sizeof device, "sys/database/%s", d->instance);
    const char *add[] = {"tango_admin", "--add-server", server, "DataBase", device, NULL};
    if (lrct_run(add, ADMIN_TIMEOUT_MS, NULL) != 0) {
        fprintf(stderr, "fault_db: registering %s failed\n", server);
        return -1;
    }
    d->registered = 1;
    setenv("TANGO_HOST", d->host, 1);
    if (spawn(d) != 0) {
        fdb_remove(d);
        return -1;
    }
    fprintf(stderr, "fault_db: DataBaseds %s (pid %ld) on %s\n", d->instance, (long)d->pid,
            d->host);
    return 0;
}

int fdb_stop(fdb *d)
{
    if (d->pid <= 0)
        return 0;
    kill(d->pid, SIGTERM);
    double end = now_s() + STOP_TIMEOUT_S;
    int st;
    while (waitpid(d->pid, &st, WNOHANG) == 0) {
        if (now_s() > end) {
            fprintf(stderr, "fault_db: DataBaseds %ld ignored SIGTERM: SIGKILL\n", (long)d->pid);
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &st, 0);
            break;
        }
        sleep_ms(50);
    }
    d->pid = 0;
    return 0;
}

int fdb_restart(fdb *d)
{
    fdb_stop(d);
    return spawn(d);
}

void fdb_remove(fdb *d)
{
    fdb_stop(d);
    if (d->shared[0])
        setenv("TANGO_HOST", d->shared, 1);
    if (d->registered) {
        char server[64];
        snprintf(server, sizeof server, "DataBaseds/%s", d->instance);
        const char *del[] = {"tango_admin", "--delete-server", server, NULL};
        if (lrct_run(del, ADMIN_TIMEOUT_MS, NULL) != 0)
            fprintf(stderr, "fault_db: could not delete %s\n", server);
        d->registered = 0;
    }
}
