/* ask.c - the Ctrl-C question ("Abort all commands of DEV? [y/N]"). It
 * stays until it is answered: updates that arrive meanwhile are taken (so
 * the end of the command is noticed) but not drawn, since a redrawn live
 * line would push the question out of sight while the terminal still waits
 * for its answer. If the command ends first, the question is void: what
 * was typed so far is discarded (tcflush), or it would reach the shell as
 * a command once the tool exits. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static void drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static void say(int tty, const char *text)
{
    if (write(tty, text, strlen(text)) < 0) {
        /* the terminal went away: nothing more to tell it */
    }
}

int cli_ask_yes_no(const char *question, int wake_fd, int sig_fd, cli_ask_ended_fn ended,
                   void *user)
{
    int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (tty < 0)
        return -1;
    say(tty, question);
    char line[64];
    size_t n = 0;
    int answer;
    for (;;) {
        struct pollfd fds[3] = {{tty, POLLIN, 0}, {wake_fd, POLLIN, 0}, {sig_fd, POLLIN, 0}};
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            answer = -1;
            break;
        }
        if (fds[2].revents) {
            answer = -3;
            break;
        }
        if (fds[1].revents) {
            drain(wake_fd);
            if (ended(user)) {
                answer = -2;
                break;
            }
            continue; /* an update: the question stays */
        }
        char c;
        ssize_t r = read(tty, &c, 1);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0 || c == '\n') {
            line[n] = '\0';
            answer = (line[0] == 'y' || line[0] == 'Y') ? 1 : 0;
            break;
        }
        if (n + 1 < sizeof line)
            line[n++] = c;
    }
    if (answer == -2)
        tcflush(tty, TCIFLUSH); /* the half-typed answer must not reach the shell */
    if (answer < -1)
        say(tty, "\n");
    close(tty);
    return answer;
}
