/* ask.c - the Ctrl-C question ("Abort all commands of DEV? [y/N]") and
 * the policy around it, one for lrc invoke of one command and of a group
 * so that both answer a Ctrl-C the same way. The question stays until it
 * is answered: updates that arrive meanwhile are taken (so the end of the
 * command is noticed) but not drawn, since a redrawn live line would push
 * the question out of sight while the terminal still waits for its
 * answer. If the command ends first, the question is void: what
 * was typed so far is discarded (tcflush), or it would reach the shell as
 * a command once the tool exits. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
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
        if (cli_poll(fds, 3, -1) < 0) {
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

/* While the question waits: keeps the updates for later (drawing them
 * would hide the question) and tells whether the run ended. */
static bool ended_while_asking(void *user)
{
    cli_interrupt *in = user;
    json_t *u;
    bool ended = false;
    while ((u = cli_follow_take(in->f))) {
        ended |= in->ops->ends(in->run, u);
        json_array_append_new(*in->held, u);
    }
    return ended;
}

bool cli_on_interrupt(cli_interrupt *in, int sig_fd)
{
    ++*in->count;
    if (*in->count > 1 || in->ops->stop_now(in->run))
        return true; /* a second Ctrl-C, or Abort already sent: stop now */
    if (in->abort_on_interrupt) {
        in->ops->send_abort(in->run);
        return false;
    }
    if (!isatty(STDIN_FILENO) || !in->tty)
        return true;
    in->ops->hide(in->run);
    if (!*in->held)
        *in->held = json_array();
    int answer = cli_ask_yes_no(in->question, cli_follow_wake_fd(in->f), sig_fd,
                                ended_while_asking, in);
    if (answer == -2) {
        /* the run ended before the answer: nothing left to abort */
        printf("%s ended before an answer; nothing to abort (what was typed is discarded)\n",
               cli_t(in->what));
        fflush(stdout);
    }
    size_t i;
    json_t *u;
    json_array_foreach(*in->held, i, u) in->ops->show(in->run, u);
    json_array_clear(*in->held);
    if (answer == 1) {
        in->ops->send_abort(in->run);
        return false;
    }
    if (answer == -2)
        return false; /* the end was held and shown: following ends with it */
    return true;      /* no, no terminal, or Ctrl-C at the question */
}
