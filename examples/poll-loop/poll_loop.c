/*
 * poll_loop.c - LRC callbacks on the application's own event loop.
 *
 *     lrc-poll-loop-example DEVICE          then, one per line on stdin:
 *     COMMAND [STRING_ARG | NUMBER]        e.g. "Echo hello", "Sleep 0.5"
 *
 * One thread: poll() over stdin and the fd of a scheduler without workers
 * (thread_count 0). Each line starts a long running command; its updates
 * are printed by the callback, which lrc_scheduler_dispatch runs on this
 * same thread, so the program needs no lock. Every line printed says
 * whether it ran on the loop's thread ("loop=1"). Exits once stdin is
 * closed and every command has ended: 0, or 1 if a command could not be
 * started.
 */
#define _POSIX_C_SOURCE 200809L
#include "lrc/client.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_t g_loop_thread;
static int g_running; /* invocations not ended yet: only the loop touches it */

static void on_update(const lrc_update *u, void *user)
{
    const char *command = user;
    int loop = pthread_equal(pthread_self(), g_loop_thread);
    printf("%s", command);
    if (u->has & LRC_HAS_STATUS)
        printf(" status=%s", lrc_status_name(u->status));
    if (u->has & LRC_HAS_PROGRESS)
        printf(" progress=%lld", (long long)u->progress);
    if (u->has & LRC_HAS_RESULT)
        printf(" result=%s", u->result_json);
    if (u->has & LRC_HAS_END)
        printf(" end=%s", lrc_end_name(u->end));
    printf("%s loop=%d\n", u->final ? " final" : "", loop);
    fflush(stdout);
    if (u->final) {
        g_running--;
        free(user);
    }
}

/* "COMMAND [ARG]": starts it, fire and forget (it frees itself after its
 * final callback). */
static int start(lrc_proxy *p, lrc_scheduler *s, char *line)
{
    char *command = strtok(line, " \t\r\n");
    if (!command)
        return 0;
    char *text = strtok(NULL, "\r\n");
    lrc_arg arg = lrc_arg_none();
    char *end;
    if (text) {
        double d = strtod(text, &end);
        arg = end != text && *end == '\0' ? lrc_arg_double(d) : lrc_arg_string(text);
    }
    lrc_invoke_options o;
    lrc_invoke_options_init(&o);
    o.scheduler = s;
    char *name = strdup(command);
    lrc_error *err = NULL;
    if (!name || lrc_invoke(p, command, &arg, on_update, name, &o, NULL, &err) != LRC_OK) {
        fprintf(stderr, "%s: %s\n", command, err ? lrc_error_message(err) : "out of memory");
        lrc_error_free(err);
        free(name);
        return 1;
    }
    g_running++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DEVICE  (commands on stdin, one per line)\n", argv[0]);
        return 64;
    }
    g_loop_thread = pthread_self();
    lrc_scheduler_options so;
    lrc_scheduler_options_init(&so);
    so.thread_count = 0; /* loop mode: callbacks run in lrc_scheduler_dispatch */
    lrc_scheduler *s = NULL;
    lrc_proxy *p = NULL;
    lrc_error *err = NULL;
    if (lrc_scheduler_new(&so, &s, &err) != LRC_OK || lrc_proxy_open(argv[1], NULL, &p, &err)) {
        fprintf(stderr, "%s\n", lrc_error_message(err));
        lrc_error_free(err);
        lrc_scheduler_free(s);
        return 1;
    }
    int status = 0;
    bool input = true;
    char line[512];
    size_t used = 0;
    while (input || g_running > 0) {
        struct pollfd fds[2] = {{.fd = lrc_scheduler_fd(s), .events = POLLIN},
                                {.fd = input ? STDIN_FILENO : -1, .events = POLLIN}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            status = 1;
            break;
        }
        if (fds[0].revents & POLLIN)
            lrc_scheduler_dispatch(s, 0); /* the callbacks run here */
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(STDIN_FILENO, line + used, sizeof line - 1 - used);
            if (n <= 0) {
                input = false; /* EOF: finish what runs */
                continue;
            }
            used += (size_t)n;
            line[used] = '\0';
            char *nl;
            while ((nl = strchr(line, '\n'))) {
                *nl = '\0';
                status |= start(p, s, line);
                used -= (size_t)(nl + 1 - line);
                memmove(line, nl + 1, used + 1);
            }
            if (used == sizeof line - 1)
                used = 0; /* an over-long line: dropped */
        }
    }
    lrc_proxy_close(p);
    lrc_scheduler_free(s);
    return status;
}
