/*
 * proc.h - run a program under test (the `lrc` tool) through pipes or a
 * pseudo-terminal, feed it input and signals, and collect what it printed.
 *
 * A process is started with proc_start; its output is collected by
 * proc_wait_for (until a text appears) and proc_finish (until it exits).
 * In pipe mode stdout and stderr are kept apart; in pty mode both go to the
 * terminal and are collected as `out`. Main thread only.
 */
#ifndef LRCT_PROC_H
#define LRCT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum proc_mode { PROC_PIPES, PROC_PTY } proc_mode;

typedef struct proc {
    pid_t pid;
    proc_mode mode;
    int out_fd, err_fd; /* -1 once closed; pty: out_fd is the master */
    int in_fd;          /* pipes: the child's stdin, open until it ends */
    char *out, *err;    /* everything read so far, NUL-terminated    */
    size_t nout, nerr;
    int status;         /* exit status once finished (128+sig if killed) */
    bool finished;
} proc;

/* Columns of the pseudo-terminals started from now on (default 100). */
extern int proc_pty_cols;
/* Rows of the pseudo-terminals started from now on (default 40). */
extern int proc_pty_rows;

/* Starts argv[0] with argv. env: NULL or a NULL-terminated list of
 * "NAME=VALUE" to set and "NAME" to unset in the child. Returns NULL on
 * failure (message on stderr). */
proc *proc_start(proc_mode mode, const char *const *argv, const char *const *env);

/* Reads output until `text` appears in out (or err when in_err) or
 * timeout_s passes or the process closes its output. True if it appeared. */
bool proc_wait_for(proc *p, const char *text, bool in_err, double timeout_s);

/* Writes text to the process's stdin (pty: to the terminal). */
bool proc_write(proc *p, const char *text);

/* Sends a signal. */
void proc_kill(proc *p, int sig);

/* Collects the rest of the output and waits for the exit, at most
 * timeout_s (then SIGKILL). Returns the exit status (128+signal when
 * killed by a signal, -1 on timeout). */
int proc_finish(proc *p, double timeout_s);

void proc_free(proc *p);

/* Runs to completion: proc_start + proc_finish. *out_p receives the
 * process (caller frees) or NULL on start failure; returns the status. */
int proc_run(proc_mode mode, const char *const *argv, const char *const *env, double timeout_s,
             proc **out_p);

#endif /* LRCT_PROC_H */
