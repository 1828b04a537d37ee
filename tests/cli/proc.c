/* proc.c - child processes of the CLI tests: pipes or a pseudo-terminal. */
#define _DEFAULT_SOURCE /* forkpty, cfmakeraw */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int proc_pty_cols = 100;
int proc_pty_rows = 40;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void apply_env(const char *const *env)
{
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq) {
            unsetenv(env[i]);
            continue;
        }
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - env[i]), env[i]);
        setenv(name, eq + 1, 1);
    }
}

static void exec_child(const char *const *argv, const char *const *env)
{
    apply_env(env);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "proc: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

proc *proc_start(proc_mode mode, const char *const *argv, const char *const *env)
{
    proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->mode = mode;
    p->out = calloc(1, 1);
    p->err = calloc(1, 1);
    p->out_fd = p->err_fd = p->in_fd = -1;
    fflush(NULL);
    if (mode == PROC_PTY) {
        struct winsize ws = {.ws_row = (unsigned short)proc_pty_rows, .ws_col = (unsigned short)proc_pty_cols};
        int master = -1;
        p->pid = forkpty(&master, NULL, NULL, &ws);
        if (p->pid == 0)
            exec_child(argv, env);
        p->out_fd = master;
    } else {
        int o[2], e[2], i[2];
        if (pipe(o) || pipe(e) || pipe(i)) {
            perror("proc: pipe");
            proc_free(p);
            return NULL;
        }
        p->pid = fork();
        if (p->pid == 0) {
            dup2(i[0], 0);
            dup2(o[1], 1);
            dup2(e[1], 2);
            close(i[1]);
            close(o[0]);
            close(e[0]);
            exec_child(argv, env);
        }
        close(i[0]);
        close(o[1]);
        close(e[1]);
        p->out_fd = o[0];
        p->err_fd = e[0];
        /* stdin stays open (and empty) until the process ends: a closed
         * stdin would read as EOF at a prompt */
        p->in_fd = i[1];
    }
    if (p->pid < 0) {
        perror("proc: fork");
        proc_free(p);
        return NULL;
    }
    return p;
}

/* Appends what is readable on fd; closes it at EOF (EIO for a pty). */
static void read_some(int *fd, char **buf, size_t *n)
{
    char chunk[4096];
    ssize_t r = read(*fd, chunk, sizeof chunk);
    if (r <= 0) {
        if (r < 0 && errno == EINTR)
            return;
        close(*fd);
        *fd = -1;
        return;
    }
    char *grown = realloc(*buf, *n + (size_t)r + 1);
    if (!grown)
        return;
    memcpy(grown + *n, chunk, (size_t)r);
    *n += (size_t)r;
    grown[*n] = '\0';
    *buf = grown;
}

/* Reads for at most `wait_s`; false when both outputs are closed. */
static bool pump(proc *p, double wait_s)
{
    struct pollfd fds[2];
    int nf = 0;
    int which[2];
    if (p->out_fd >= 0) {
        fds[nf] = (struct pollfd){p->out_fd, POLLIN, 0};
        which[nf++] = 0;
    }
    if (p->err_fd >= 0) {
        fds[nf] = (struct pollfd){p->err_fd, POLLIN, 0};
        which[nf++] = 1;
    }
    if (nf == 0)
        return false;
    int ms = wait_s < 0 ? 0 : (int)(wait_s * 1000);
    if (poll(fds, (nfds_t)nf, ms) <= 0)
        return true;
    for (int k = 0; k < nf; k++) {
        if (!fds[k].revents)
            continue;
        if (which[k] == 0)
            read_some(&p->out_fd, &p->out, &p->nout);
        else
            read_some(&p->err_fd, &p->err, &p->nerr);
    }
    return true;
}

bool proc_wait_for(proc *p, const char *text, bool in_err, double timeout_s)
{
    double until = now_s() + timeout_s;
    for (;;) {
        if (strstr(in_err ? p->err : p->out, text))
            return true;
        double left = until - now_s();
        if (left <= 0 || !pump(p, left > 0.2 ? 0.2 : left))
            return strstr(in_err ? p->err : p->out, text) != NULL;
    }
}

bool proc_write(proc *p, const char *text)
{
    int fd = p->mode == PROC_PTY ? p->out_fd : p->in_fd;
    size_t n = strlen(text);
    return fd >= 0 && write(fd, text, n) == (ssize_t)n;
}

void proc_kill(proc *p, int sig)
{
    if (!p->finished && p->pid > 0)
        kill(p->pid, sig);
}

int proc_finish(proc *p, double timeout_s)
{
    if (p->finished)
        return p->status;
    double until = now_s() + timeout_s;
    int st = 0;
    pid_t r = 0;
    for (;;) {
        pump(p, 0.05);
        if (r == 0)
            r = waitpid(p->pid, &st, WNOHANG);
        /* exited and its output drained (a pty reports EIO once the child
         * and its descendants closed it) */
        if (r == p->pid && (p->out_fd < 0 || p->mode == PROC_PTY) && p->err_fd < 0) {
            if (p->mode == PROC_PTY)
                while (p->out_fd >= 0 && pump(p, 0.05) && now_s() < until) {
                }
            break;
        }
        if (now_s() > until) {
            fprintf(stderr, "proc: %d did not end within %.1f s: killed\n", (int)p->pid,
                    timeout_s);
            kill(p->pid, SIGKILL);
            if (r == 0)
                waitpid(p->pid, &st, 0);
            p->finished = true;
            p->status = -1;
            return -1;
        }
    }
    p->finished = true;
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return p->status;
}

void proc_free(proc *p)
{
    if (!p)
        return;
    if (!p->finished && p->pid > 0) {
        kill(p->pid, SIGKILL);
        proc_finish(p, 5);
    }
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    if (p->in_fd >= 0)
        close(p->in_fd);
    free(p->out);
    free(p->err);
    free(p);
}

int proc_run(proc_mode mode, const char *const *argv, const char *const *env, double timeout_s,
             proc **out_p)
{
    proc *p = proc_start(mode, argv, env);
    *out_p = p;
    return p ? proc_finish(p, timeout_s) : -1;
}
