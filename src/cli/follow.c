/* follow.c - callbacks run on the library's scheduler workers; the tool
 * draws and decides on its main thread. The callback turns each update into
 * a JSON object at once (the update is only valid during the callback),
 * appends it to a list and writes a byte to a pipe the main thread polls
 * together with the signal pipe. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_follow {
    pthread_mutex_t mu;
    json_t *waiting; /* array of update objects, oldest first */
    int wake[2];     /* read end polled by the main thread    */
    char *device;
    double t0;
};

cli_follow *cli_follow_new(const char *device, double t0)
{
    cli_follow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->wake[0] = f->wake[1] = -1;
    if (!(f->device = strdup(device)) || !(f->waiting = json_array()) || cli_pipe(f->wake) != 0) {
        cli_follow_free(f);
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    f->t0 = t0;
    return f;
}

void cli_follow_free(cli_follow *f)
{
    if (!f)
        return;
    if (f->wake[0] >= 0) {
        close(f->wake[0]);
        close(f->wake[1]);
        pthread_mutex_destroy(&f->mu);
    }
    json_decref(f->waiting);
    free(f->device);
    free(f);
}


void cli_follow_push(cli_follow *f, json_t *obj)
{
    pthread_mutex_lock(&f->mu);
    json_array_append_new(f->waiting, obj);
    pthread_mutex_unlock(&f->mu);
    char b = 'u';
    if (write(f->wake[1], &b, 1) < 0) {
        /* EAGAIN: the pipe is full, the main thread is woken anyway */
    }
}

void cli_follow_log(void *user, int level, const char *msg)
{
    if (level >= LRC_LOG_WARNING && level < LRC_LOG_ERROR)
        cli_follow_note(user, msg);
}

lrc_invoke_options cli_invoke_options(const cli_options *o, cli_follow *f)
{
    lrc_invoke_options io;
    lrc_invoke_options_init(&io);
    io.logger = cli_follow_log;
    io.logger_user = f;
    if (o->timeout_s >= 0) {
        int64_t ms = (int64_t)(o->timeout_s * 1000 + 0.5);
        io.timeout_ms = ms > 0 ? ms : 1; /* 0 would mean none */
    }
    return io;
}

void cli_follow_note(cli_follow *f, const char *message)
{
    cli_follow_push(f, json_pack("{s:s}", "log", message));
}

void cli_follow_cb(const lrc_update *u, void *user)
{
    cli_follow *f = user;
    cli_follow_push(f, cli_update_json(u, f->device, f->t0));
}

json_t *cli_follow_take(cli_follow *f)
{
    pthread_mutex_lock(&f->mu);
    json_t *u = NULL;
    if (json_array_size(f->waiting) > 0) {
        u = json_incref(json_array_get(f->waiting, 0));
        json_array_remove(f->waiting, 0);
    }
    pthread_mutex_unlock(&f->mu);
    return u;
}

int cli_follow_wake_fd(const cli_follow *f) { return f->wake[0]; }

static void drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

void cli_follow_wait(cli_follow *f, int sig_fd, double timeout_s, bool *signalled)
{
    *signalled = false;
    pthread_mutex_lock(&f->mu);
    bool ready = json_array_size(f->waiting) > 0;
    pthread_mutex_unlock(&f->mu);
    /* Updates waiting: only a look for a signal, which is taken nowhere
     * else (a flood of updates must not hide a Ctrl-C). */
    int ms = ready ? 0 : timeout_s < 0 ? -1 : (int)ceil(timeout_s * 1000);
    struct pollfd fds[2] = {{f->wake[0], POLLIN, 0}, {sig_fd, POLLIN, 0}};
    int n = cli_poll(fds, sig_fd >= 0 ? 2 : 1, ms);
    if (n <= 0)
        return; /* timeout, or EINTR: the caller looks again */
    if (fds[0].revents)
        drain(f->wake[0]);
    if (sig_fd >= 0 && fds[1].revents) {
        drain(sig_fd);
        *signalled = true;
    }
}
