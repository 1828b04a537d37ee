/*
 * tango_fixture.c - see tango_fixture.h. POSIX processes only: fork/exec,
 * waitpid, no system(), no Tango headers.
 */
#define _POSIX_C_SOURCE 200809L

#include "tango_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LRC_SOURCE_DIR
#error "LRC_SOURCE_DIR must be defined (tests/support/CMakeLists.txt does it)"
#endif

#define READY_TIMEOUT_MS 20000 /* all devices answering */
#define STOP_TIMEOUT_MS 10000  /* SIGTERM -> SIGKILL */
#define ADMIN_TIMEOUT_MS 10000 /* one tango_admin call */
#define PING_TIMEOUT_MS 5000   /* one tango_admin --ping-device */
#define DB_UP_TIMEOUT_MS 120000
#define POLL_INTERVAL_MS 50
#define LOG_TAIL_LINES 30

struct lrct_server {
    char **cmd;       /* argv prefix: the executable (or interpreter, script) */
    char *name;       /* the Tango server name */
    char *instance;
    char *class_name;
    char **devices;   /* NULL-terminated */
    char **props;     /* NULL-terminated "DEV:NAME=VALUE" */
    char *log_path;
    pid_t pid;        /* 0 when not running */
    int spawned;      /* the log is truncated on the first spawn only */
};

/* ---- small helpers ------------------------------------------------------ */

static void msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lrct: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* malloc'ed printf; NULL on failure. */
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static void free_strv(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* Deep copy of a NULL-terminated list (NULL gives an empty list). */
static char **dup_strv(const char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **out = calloc(n + 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(out[i] = xstrdup(v[i]))) {
            free_strv(out);
            return NULL;
        }
    }
    return out;
}

static const char *state_dir(void)
{
    const char *d = getenv("LRC_STATE_DIR");
    return d && *d ? d : "/tmp/tango-lrc-state";
}

/* Waits for pid up to timeout_ms (< 0: forever). Returns 1 and sets *status
 * when it was reaped, 0 on timeout, -1 on error (e.g. not our child). */
static int wait_child(pid_t pid, int *status, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        pid_t r = waitpid(pid, status, timeout_ms < 0 ? 0 : WNOHANG);
        if (r == pid)
            return 1;
        if (r == -1 && errno != EINTR)
            return -1;
        if (r == 0) {
            if (now_ms() >= deadline)
                return 0;
            sleep_ms(10);
        }
    }
}

static void kill_and_reap(pid_t pid)
{
    int st;
    kill(pid, SIGKILL);
    wait_child(pid, &st, -1);
}

/* Child side, between fork and exec: async-signal-safe calls only. */
static void child_redirect(int in_fd, int out_fd, int err_fd)
{
    if (in_fd >= 0)
        dup2(in_fd, 0);
    if (out_fd >= 0)
        dup2(out_fd, 1);
    if (err_fd >= 0)
        dup2(err_fd, 2);
}

static void child_exec_failed(const char *what)
{
    static const char m[] = "lrct: exec failed: ";
    ssize_t r = write(2, m, sizeof m - 1);
    r = write(2, what, strlen(what));
    r = write(2, "\n", 1);
    (void)r;
    _exit(127);
}

/* Runs argv; quiet: stdout and stderr to /dev/null. See lrct_run(). */
static int run_cmd(const char *const *argv, int timeout_ms, char **out, int quiet)
{
    int pfd[2] = { -1, -1 };
    size_t len = 0, cap = 0;
    char *buf = NULL;
    if (out)
        *out = NULL;

    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) {
        msg("open /dev/null: %s", strerror(errno));
        return -1;
    }
    if (out && pipe(pfd) == -1) {
        msg("pipe: %s", strerror(errno));
        close(devnull);
        return -1;
    }
    if (out) {
        fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
        fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    }

    pid_t pid = fork();
    if (pid == -1) {
        msg("fork: %s", strerror(errno));
        close(devnull);
        if (out) {
            close(pfd[0]);
            close(pfd[1]);
        }
        return -1;
    }
    if (pid == 0) {
        child_redirect(devnull, out ? pfd[1] : (quiet ? devnull : 2),
                       quiet ? devnull : -1);
        execvp(argv[0], (char *const *)argv);
        child_exec_failed(argv[0]);
    }
    close(devnull);

    long long deadline = now_ms() + timeout_ms;
    int timed_out = 0;
    if (out) {
        close(pfd[1]);
        for (;;) {
            long left = (long)(deadline - now_ms());
            if (left <= 0) {
                timed_out = 1;
                break;
            }
            struct pollfd p = { pfd[0], POLLIN, 0 };
            int pr = poll(&p, 1, (int)left);
            if (pr == -1 && errno == EINTR)
                continue;
            if (pr <= 0) {
                timed_out = pr == 0;
                break;
            }
            if (cap - len < 4096) {
                size_t ncap = cap ? cap * 2 : 8192;
                char *nb = realloc(buf, ncap);
                if (!nb)
                    break;
                buf = nb;
                cap = ncap;
            }
            ssize_t n = read(pfd[0], buf + len, cap - len - 1);
            if (n == -1 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            len += (size_t)n;
        }
        close(pfd[0]);
        if (!buf)
            buf = calloc(1, 1);
        if (buf)
            buf[len] = '\0';
        *out = buf;
    }

    int st = 0;
    long left = (long)(deadline - now_ms());
    if (timed_out || wait_child(pid, &st, left > 0 ? left : 0) != 1) {
        kill_and_reap(pid);
        msg("%s: timed out after %d ms", argv[0], timeout_ms);
        return -1;
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    msg("%s: killed by signal %d", argv[0], WTERMSIG(st));
    return -1;
}

int lrct_run(const char *const *argv, int timeout_ms, char **out)
{
    return run_cmd(argv, timeout_ms, out, 0);
}

/* tango_admin ARGS..., quiet, with a time limit. Returns its exit status. */
static int tango_admin(const char *a1, const char *a2, const char *a3,
                       const char *a4, int timeout_ms)
{
    const char *argv[] = { "tango_admin", a1, a2, a3, a4, NULL };
    return run_cmd(argv, timeout_ms, NULL, 1);
}

/* Prints the last LOG_TAIL_LINES lines of path to stderr. */
static void print_log_tail(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        msg("(no log %s: %s)", path, strerror(errno));
        return;
    }
    char buf[16384];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t start = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, start);
    close(fd);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    char *p = buf + n;
    int lines = 0;
    if (p > buf && p[-1] == '\n')
        p--; /* ignore the final newline */
    while (p > buf && lines < LOG_TAIL_LINES) {
        p--;
        if (*p == '\n' && ++lines == LOG_TAIL_LINES) {
            p++;
            break;
        }
    }
    msg("last lines of %s:", path);
    fputs(p, stderr);
    if (n > 0 && buf[n - 1] != '\n')
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- database ----------------------------------------------------------- */

int lrct_db_up(void)
{
    const char *script = LRC_SOURCE_DIR "/scripts/tango-db";
    const char *up[] = { script, "up", NULL };
    int rc = run_cmd(up, DB_UP_TIMEOUT_MS, NULL, 0);
    if (rc != 0) {
        msg("%s up failed (exit %d)", script, rc);
        return -1;
    }

    const char *env[] = { script, "env", NULL };
    char *out = NULL;
    rc = run_cmd(env, ADMIN_TIMEOUT_MS, &out, 0);
    if (rc != 0 || !out) {
        msg("%s env failed (exit %d)", script, rc);
        free(out);
        return -1;
    }
    /* Lines "export NAME=VALUE" (values are plain, unquoted). */
    int found_host = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "export ", 7) != 0)
            continue;
        char *name = line + 7;
        char *eq = strchr(name, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (setenv(name, eq + 1, 1) != 0) {
            msg("setenv %s: %s", name, strerror(errno));
            free(out);
            return -1;
        }
        if (strcmp(name, "TANGO_HOST") == 0)
            found_host = 1;
    }
    free(out);
    if (!found_host) {
        msg("%s env printed no TANGO_HOST", script);
        return -1;
    }
    return 0;
}

/* ---- servers ------------------------------------------------------------ */

/* Registers the server and (re)sets its properties. 0 or -1. */
static int register_server(const lrct_server *s)
{
    size_t len = 1;
    for (char **d = s->devices; *d; d++)
        len += strlen(*d) + 1;
    char *devlist = calloc(1, len);
    char *srvname = xasprintf("%s/%s", s->name, s->instance);
    if (!devlist || !srvname) {
        free(devlist);
        free(srvname);
        msg("out of memory");
        return -1;
    }
    for (char **d = s->devices; *d; d++) {
        if (d != s->devices)
            strcat(devlist, ",");
        strcat(devlist, *d);
    }
    int rc = tango_admin("--add-server", srvname, s->class_name, devlist,
                         ADMIN_TIMEOUT_MS);
    if (rc != 0)
        msg("tango_admin --add-server %s %s %s failed (exit %d; TANGO_HOST=%s)",
            srvname, s->class_name, devlist, rc, getenv("TANGO_HOST"));
    free(devlist);
    free(srvname);
    if (rc != 0)
        return -1;

    for (char **p = s->props; *p; p++) {
        char *entry = xstrdup(*p);
        if (!entry) {
            msg("out of memory");
            return -1;
        }
        char *eq = strchr(entry, '=');
        char *colon = NULL;
        if (eq) {
            *eq = '\0';
            colon = strrchr(entry, ':');
        }
        if (!eq || !colon || colon == entry || colon[1] == '\0') {
            msg("bad property \"%s\": expected DEV:NAME=VALUE", *p);
            free(entry);
            return -1;
        }
        *colon = '\0';
        const char *dev = entry, *name = colon + 1, *value = eq + 1;
        tango_admin("--delete-property", dev, name, NULL, ADMIN_TIMEOUT_MS);
        rc = tango_admin("--add-property", dev, name, value, ADMIN_TIMEOUT_MS);
        if (rc != 0)
            msg("tango_admin --add-property %s %s %s failed (exit %d)", dev,
                name, value, rc);
        free(entry);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Forks/execs the server with its output appended to the log. 0 or -1. */
static int spawn_server(lrct_server *s)
{
    const char *ep = getenv("LRC_ORB_ENDPOINT");
    if (!ep)
        ep = "giop:tcp:127.0.0.1:";
    size_t ncmd = 0;
    while (s->cmd[ncmd])
        ncmd++;
    const char **argv = calloc(ncmd + 4, sizeof *argv);
    if (!argv) {
        msg("out of memory");
        return -1;
    }
    for (size_t k = 0; k < ncmd; k++)
        argv[k] = s->cmd[k];
    argv[ncmd] = s->instance;
    argv[ncmd + 1] = *ep ? "-ORBendPoint" : NULL;
    argv[ncmd + 2] = ep;

    /* Fresh log for a fresh start; restarts append to it. */
    int logfd = open(s->log_path,
                     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (s->spawned ? 0 : O_TRUNC),
                     0644);
    if (logfd < 0) {
        msg("cannot open %s: %s", s->log_path, strerror(errno));
        free(argv);
        return -1;
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        msg("open /dev/null: %s", strerror(errno));
        close(logfd);
        free(argv);
        return -1;
    }
    dprintf(logfd, "=== lrct: starting");
    for (size_t k = 0; k < ncmd; k++)
        dprintf(logfd, " %s", s->cmd[k]);
    dprintf(logfd, " %s%s%s (TANGO_HOST=%s)\n", s->instance, *ep ? " -ORBendPoint " : "", ep,
            getenv("TANGO_HOST"));
    /* Close inherited descriptors in the child; computed before fork. */
    long maxfd = sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 65536)
        maxfd = 65536;
    pid_t parent = getpid();
    fflush(NULL);

    pid_t pid = fork();
    if (pid == -1) {
        msg("fork: %s", strerror(errno));
        close(logfd);
        close(devnull);
        free(argv);
        return -1;
    }
    if (pid == 0) {
        /* Die with the thread that started us: no orphans after a crash. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        child_redirect(devnull, logfd, logfd);
        for (int fd = 3; fd < maxfd; fd++)
            close(fd);
        execv(argv[0], (char *const *)argv);
        child_exec_failed(argv[0]);
    }
    free(argv);
    close(logfd);
    close(devnull);
    s->pid = pid;
    s->spawned = 1;
    return 0;
}

/* Kills and reaps the child, prints why and the log tail. Always -1. */
static int start_failed(lrct_server *s, const char *why)
{
    if (s->pid > 0) {
        kill_and_reap(s->pid);
        s->pid = 0;
    }
    msg("%s/%s: %s", s->name, s->instance, why);
    print_log_tail(s->log_path);
    return -1;
}

/* Register, spawn, wait until every device answers. 0 or -1 (no process). */
static int start_process(lrct_server *s)
{
    if (!getenv("TANGO_HOST")) {
        msg("TANGO_HOST is not set: call lrct_db_up() first");
        return -1;
    }
    if (register_server(s) != 0)
        return -1;
    if (spawn_server(s) != 0)
        return -1;

    long long deadline = now_ms() + READY_TIMEOUT_MS;
    for (char **d = s->devices; *d; d++) {
        for (;;) {
            int st;
            int w = wait_child(s->pid, &st, 0);
            if (w != 0) {
                char why[160];
                if (w == 1 && WIFEXITED(st))
                    snprintf(why, sizeof why, "exited with status %d during start-up",
                             WEXITSTATUS(st));
                else if (w == 1)
                    snprintf(why, sizeof why, "killed by signal %d during start-up",
                             WTERMSIG(st));
                else
                    snprintf(why, sizeof why, "lost track of pid %ld", (long)s->pid);
                s->pid = 0;
                return start_failed(s, why);
            }
            if (tango_admin("--ping-device", *d, NULL, NULL, PING_TIMEOUT_MS) == 0)
                break;
            if (now_ms() >= deadline) {
                char why[300];
                snprintf(why, sizeof why, "%s not answering after %d ms", *d,
                         READY_TIMEOUT_MS);
                return start_failed(s, why);
            }
            sleep_ms(POLL_INTERVAL_MS);
        }
    }
    return 0;
}

/* SIGTERM, wait, SIGKILL; reaps. Returns 0 if the server exited with status
 * 0 on its own after SIGTERM (or was not running), -1 otherwise. */
static int terminate(lrct_server *s)
{
    if (s->pid <= 0)
        return 0;
    int st = 0, rc = 0;
    kill(s->pid, SIGTERM);
    if (wait_child(s->pid, &st, STOP_TIMEOUT_MS) == 0) {
        msg("%s/%s (pid %ld) ignored SIGTERM for %d ms: SIGKILL", s->name,
            s->instance, (long)s->pid, STOP_TIMEOUT_MS);
        kill_and_reap(s->pid);
        rc = -1;
    } else if (WIFSIGNALED(st)) {
        msg("%s/%s (pid %ld) died of signal %d on SIGTERM", s->name, s->instance,
            (long)s->pid, WTERMSIG(st));
        rc = -1;
    } else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
        msg("%s/%s (pid %ld) exited with status %d on SIGTERM", s->name, s->instance,
            (long)s->pid, WEXITSTATUS(st));
        rc = -1;
    }
    s->pid = 0;
    return rc;
}

/* Returns -1 if the server's log holds a sanitizer report (ASan, LSan,
 * UBSan, TSan): the tests' servers are instrumented in sanitizer builds, and
 * their reports would otherwise only sit in a log nobody reads. */
static int check_log_clean(const lrct_server *s)
{
    static const char *const markers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                          "runtime error:", "WARNING: ThreadSanitizer"};
    FILE *f = fopen(s->log_path, "r");
    if (!f)
        return 0;
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f))
        for (size_t k = 0; k < sizeof markers / sizeof markers[0]; k++)
            if (strstr(line, markers[k])) {
                msg("%s/%s: sanitizer report in %s: %s", s->name, s->instance, s->log_path, line);
                rc = -1;
                break;
            }
    fclose(f);
    return rc;
}

static void server_free(lrct_server *s)
{
    free_strv(s->cmd);
    free(s->name);
    free(s->instance);
    free(s->class_name);
    free_strv(s->devices);
    free_strv(s->props);
    free(s->log_path);
    free(s);
}

lrct_server *lrct_server_start(const char *exe_path, const char *instance,
                               const char *class_name,
                               const char *const *devices,
                               const char *const *props)
{
    if (!exe_path) {
        msg("lrct_server_start: exe_path is required");
        return NULL;
    }
    const char *base = strrchr(exe_path, '/');
    const char *cmd[] = { exe_path, NULL };
    return lrct_server_start_cmd(cmd, base ? base + 1 : exe_path, instance, class_name,
                                 devices, props);
}

lrct_server *lrct_server_start_cmd(const char *const *cmd, const char *server_name,
                                   const char *instance, const char *class_name,
                                   const char *const *devices,
                                   const char *const *props)
{
    if (!cmd || !cmd[0] || !server_name || !*server_name || strchr(server_name, '/') ||
        !instance || !class_name || !devices || !devices[0]) {
        msg("lrct_server_start_cmd: a command, a server name (no '/'), an instance, a class "
            "and at least one device are required");
        return NULL;
    }
    const char *exe_path = cmd[0];
    lrct_server *s = calloc(1, sizeof *s);
    if (!s) {
        msg("out of memory");
        return NULL;
    }
    s->cmd = dup_strv(cmd);
    s->name = xstrdup(server_name);
    s->instance = xstrdup(instance);
    s->class_name = xstrdup(class_name);
    s->devices = dup_strv(devices);
    s->props = dup_strv(props);
    s->log_path = xasprintf("%s/server-%s-%s.log", state_dir(), server_name, instance);
    if (!s->cmd || !s->name || !s->instance || !s->class_name || !s->devices ||
        !s->props || !s->log_path) {
        msg("out of memory");
        server_free(s);
        return NULL;
    }
    if (access(exe_path, X_OK) != 0) {
        msg("%s is not an executable: %s", exe_path, strerror(errno));
        server_free(s);
        return NULL;
    }
    if (mkdir(state_dir(), 0755) != 0 && errno != EEXIST) {
        msg("cannot create %s: %s", state_dir(), strerror(errno));
        server_free(s);
        return NULL;
    }
    if (start_process(s) != 0) {
        /* Leave no registration behind (harmless if it was never made). */
        char *srvname = xasprintf("%s/%s", s->name, s->instance);
        if (srvname)
            tango_admin("--delete-server", srvname, "--with-properties", NULL,
                        ADMIN_TIMEOUT_MS);
        free(srvname);
        server_free(s);
        return NULL;
    }
    return s;
}

int lrct_server_stop(lrct_server *srv)
{
    if (!srv)
        return 0;
    int rc = terminate(srv);
    if (check_log_clean(srv) != 0)
        rc = -1;
    if (rc != 0)
        print_log_tail(srv->log_path);
    char *srvname = xasprintf("%s/%s", srv->name, srv->instance);
    if (srvname)
        tango_admin("--delete-server", srvname, "--with-properties", NULL,
                    ADMIN_TIMEOUT_MS);
    free(srvname);
    server_free(srv);
    return rc;
}

void lrct_server_kill(lrct_server *srv)
{
    if (!srv || srv->pid <= 0)
        return;
    kill_and_reap(srv->pid);
    srv->pid = 0;
}

int lrct_server_restart(lrct_server *srv)
{
    if (!srv)
        return -1;
    terminate(srv);
    return start_process(srv);
}

pid_t lrct_server_pid(const lrct_server *srv)
{
    return srv ? srv->pid : 0;
}

const char *lrct_server_log_path(const lrct_server *srv)
{
    return srv ? srv->log_path : NULL;
}

char *lrct_unique_name(const char *prefix)
{
    static atomic_uint counter;
    unsigned n = atomic_fetch_add(&counter, 1u) + 1u;
    return xasprintf("%s-%ld-%u", prefix ? prefix : "lrct", (long)getpid(), n);
}
