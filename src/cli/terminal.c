/* terminal.c - what stdout is (terminal? colours? UTF-8? how wide?), the
 * signal pipe. */
#define _GNU_SOURCE /* ppoll */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

void cli_term_probe(cli_term *t)
{
    memset(t, 0, sizeof *t);
    t->tty = isatty(STDOUT_FILENO);
    const char *term = getenv("TERM");
    const char *no_color = getenv("NO_COLOR"); /* https://no-color.org: any non-empty value */
    t->color = t->tty && !(no_color && *no_color) && !(term && strcmp(term, "dumb") == 0);
    const char *cs = nl_langinfo(CODESET);
    t->utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

int cli_term_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

int cli_term_height(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        return ws.ws_row;
    /* --live into a pipe: a caller may say how tall its screen is */
    const char *lines = getenv("LINES");
    char *end = NULL;
    long n = lines && *lines ? strtol(lines, &end, 10) : 0;
    return n > 0 && n < 100000 && end && !*end ? (int)n : 0;
}

const char *cli_sgr(const cli_term *t, const char *code) { return t->color ? code : ""; }

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- signals ------------------------------------------------------------ */

static int sig_pipe[2] = {-1, -1};
static sigset_t accept_mask; /* the main thread's mask inside cli_poll */

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (write(sig_pipe[1], &b, 1) < 0) {
        /* the pipe is full: enough signals are pending already */
    }
    errno = saved;
}

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int cli_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    if (set_flags(fds[0]) != 0 || set_flags(fds[1]) != 0) {
        close(fds[0]);
        close(fds[1]);
        fds[0] = fds[1] = -1;
        return -1;
    }
    return 0;
}

int cli_signals_install(void)
{
    if (sig_pipe[0] >= 0)
        return sig_pipe[0];
    if (cli_pipe(sig_pipe) != 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* The signals are taken only inside cli_poll on this thread. Blocked
     * everywhere else, on this thread and on every thread started after
     * (Tango's, the library's), they never interrupt a system call inside
     * Tango: a Ctrl-C in the middle of a subscription made cppTango fail it
     * ("Failed to create connection to event channel!"). A signal that
     * comes during a library call waits for the next cli_poll. */
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGINT);
    sigaddset(&both, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &both, &accept_mask);
    sigdelset(&accept_mask, SIGINT);
    sigdelset(&accept_mask, SIGTERM);
    /* A closed pipe on stdout (lrc watch dev | head) ends the tool through
     * write errors, not through a signal in the middle of a library call. */
    signal(SIGPIPE, SIG_IGN);
    return sig_pipe[0];
}

int cli_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (sig_pipe[0] < 0)
        return poll(fds, n, timeout_ms);
    struct timespec ts, *limit = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        limit = &ts;
    }
    return ppoll(fds, n, limit, &accept_mask);
}
