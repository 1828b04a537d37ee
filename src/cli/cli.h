/*
 * cli.h - what the parts of the `lrc` tool share. The tool uses only the
 * public API of tango-lrc (include/lrc/); everything here is the tool's own.
 *
 * Files, one job each:
 *   main.c        subcommand dispatch, global options, help
 *   options.c     option parsing shared by the subcommands
 *   terminal.c    terminal facts (colour, UTF-8, width), signal pipe, prompt
 *   update_json.c an update / error as a JSON object
 *   diagnose.c    a failure as one clear line, an exit status and a code
 *   dbinfo.c      what the Tango database says about a device (its server)
 *   tangorc.c     which database: TANGO_HOST, ~/.tangorc, /etc/tangorc
 *   text.c        device strings made safe for a terminal
 *   ask.c         the Ctrl-C question, held until answered or the end, and
 *                 the Ctrl-C policy of lrc invoke (ask, abort or stop)
 *   follow.c      waiting for callbacks on the main thread (wake pipe, poll)
 *   live.c        the terminal view of one command: live line, final lines
 *   targets.c     what lrc invoke runs where: its words, or a group file
 *   group_view.c  the terminal view of a group: one live line per member

 *   stats.c       a device's metrics as JSON and as a table row (--stats)
 *   cmd_invoke.c  lrc invoke, lrc abort
 *   cmd_group.c   lrc invoke over several devices (lrc/group.h)
 *   cmd_watch.c   lrc watch
 *   cmd_status.c  lrc status
 *   cmd_versions.c lrc versions
 */
#ifndef LRC_CLI_H
#define LRC_CLI_H

#include "lrc/client.h"
#include "lrc/device.h"

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, documented in `lrc --help` and lrc(1). */
enum cli_exit {
    CLI_EXIT_OK = 0,          /* COMPLETED with ResultCode OK (or none)       */
    CLI_EXIT_RESULT_CODE = 1, /* COMPLETED with another ResultCode; for
                                 status: the ID is NOT_FOUND                  */
    CLI_EXIT_FAILED = 2,      /* the command ended FAILED                     */
    CLI_EXIT_ABORTED = 3,     /* ... ABORTED                                  */
    CLI_EXIT_REJECTED = 4,    /* rejected by its reply or as its final status */
    CLI_EXIT_TIMEOUT = 5,     /* --timeout expired                            */
    CLI_EXIT_ERROR = 6,       /* could not invoke / query                     */
    CLI_EXIT_LOST = 7,        /* the outcome cannot be known: the device forgot
                                 the command (restart) or stayed unreachable */
    CLI_EXIT_USAGE = 64,      /* bad command line (EX_USAGE)                  */
    CLI_EXIT_INTERRUPTED = 130
};

/* ---- main.c ------------------------------------------------------------- */

extern const char *cli_prog; /* "lrc" */

/* Prints "lrc: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- options.c ---------------------------------------------------------- */

/* The options every subcommand may take; each subcommand says which it
 * accepts (CLI_OPT_* bits) and how many positional arguments. */
enum cli_opt_bits {
    CLI_OPT_JSON = 1u << 0,
    CLI_OPT_TIMEOUT = 1u << 1,
    CLI_OPT_QUIET = 1u << 2,
    CLI_OPT_ABORT_ON_INT = 1u << 3,
    CLI_OPT_LIVE = 1u << 4,
    CLI_OPT_LOST_AFTER = 1u << 5,
    CLI_OPT_GROUP_FILE = 1u << 6, /* -f / --group-file */
    CLI_OPT_STATS = 1u << 7,      /* --stats */
    CLI_OPT_INTERVAL = 1u << 8    /* --interval (of --stats reports) */
};

typedef struct cli_options {
    bool json;              /* --json, or a piped event stream            */
    bool json_given;        /* --json on the command line                 */
    bool quiet;             /* -q / --quiet                               */
    bool abort_on_interrupt;
    bool live;              /* --live: the terminal view even when piped  */
    double timeout_s;       /* --timeout; < 0: none                       */
    bool lost_after_given;  /* --lost-after on the command line           */
    double lost_after_s;    /* --lost-after; <= 0: never lost             */
    const char *group_file; /* -f / --group-file FILE (an argv string)    */
    bool help;              /* --help / -h                                */
    bool stats;             /* --stats: metrics instead of the events     */
    double interval_s;      /* --interval: between two stats (1 s)        */
    int npos;
    char **pos;             /* positional arguments (argv's)              */
} cli_options;

/* A subcommand's description for parsing and for its --help text. */
typedef struct cli_command {
    const char *name;
    const char *synopsis; /* after "lrc NAME " */
    const char *summary;  /* one line */
    const char *details;  /* the rest of --help (may be NULL) */
    unsigned opts;        /* CLI_OPT_* accepted */
    int min_pos, max_pos; /* max_pos < 0: unbounded */
    bool json_when_piped; /* a stream of events: JSON lines unless stdout is
                             a terminal (tables stay text unless --json)  */
    int (*run)(const struct cli_command *cmd, cli_options *o);
} cli_command;

/* Parses argv (argv[0] is the subcommand name). On a usage error prints it
 * and returns CLI_EXIT_USAGE; otherwise 0. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_options *o);

/* Prints "lrc: NAME: what arg" and the usage lines on stderr; returns
 * CLI_EXIT_USAGE. For the checks a subcommand makes after cli_parse. */
int cli_usage(const cli_command *cmd, const char *what, const char *arg);

/* Prints the subcommand's --help text on f. */
void cli_print_command_help(const cli_command *cmd, FILE *f);

/* The exit status table, as in --help. */
void cli_print_exit_codes(FILE *f);

/* ---- terminal.c ----------------------------------------------------------- */

typedef struct cli_term {
    bool tty;   /* stdout is a terminal                          */
    bool color; /* ... and colours are wanted (NO_COLOR, TERM)   */
    bool utf8;  /* the locale's charset is UTF-8                 */
} cli_term;

/* What stdout is. Call once, after setlocale. */
void cli_term_probe(cli_term *t);

/* Columns of the terminal on stdout (80 when unknown). */
int cli_term_width(void);

/* Rows of the terminal on stdout; when stdout is no terminal, the LINES
 * environment variable's; 0 when unknown. Read anew at each call (a
 * resized window is seen at the next redraw, as for the width). */
int cli_term_height(void);

#define SGR_RESET "\033[0m"
#define SGR_BOLD "\033[1m"
#define SGR_DIM "\033[2m"
#define SGR_RED "\033[31m"
#define SGR_GREEN "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_CYAN "\033[36m"

/* An SGR colour sequence, or "" when t->color is off. */
const char *cli_sgr(const cli_term *t, const char *code);

/* pipe(2) with both ends non-blocking and close-on-exec. 0 or -1. */
int cli_pipe(int fds[2]);

/* SIGINT/SIGTERM go to a pipe: returns its read end (non-blocking), or -1.
 * Each signal writes one byte (the signal number). Call it on the main
 * thread before any other thread starts (before the first library call):
 * the signals are then blocked on every thread and taken only while the
 * main thread waits in cli_poll. */
int cli_signals_install(void);

/* poll(2) on the main thread, the one place where SIGINT/SIGTERM are taken
 * once cli_signals_install ran (ppoll with them unblocked): returns -1 with
 * errno EINTR when one came, and the signal pipe is readable. */
int cli_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/* ---- ask.c ---------------------------------------------------------------- */

/* Called while a question waits, each time wake_fd became readable (an
 * update arrived): takes what arrived and returns true when the command
 * the question is about has ended. */
typedef bool (*cli_ask_ended_fn)(void *user);

/* Asks `question` on the controlling terminal and waits for one answer
 * line, however many updates arrive meanwhile (each is handed to `ended`,
 * nothing is drawn). 1 for yes, 0 for no, -1 when there is no terminal,
 * -2 when the command ended first (what was typed is discarded, so that it
 * does not reach the shell), -3 on a signal (sig_fd readable). */
int cli_ask_yes_no(const char *question, int wake_fd, int sig_fd, cli_ask_ended_fn ended,
                   void *user);

/* The parts a run that follows commands (one command, or a group) lends
 * the Ctrl-C policy, called back synchronously inside cli_on_interrupt
 * with the run. */
typedef struct cli_interrupt_ops {
    /* True when a Ctrl-C must stop at once: an abort was sent already, or
     * there is nothing to abort. */
    bool (*stop_now)(void *run);
    /* Sends the abort and says so (or says why it failed). */
    void (*send_abort)(void *run);
    /* Takes the live view off the terminal before the question. */
    void (*hide)(void *run);
    /* True when update u, held while the question waits, ends the run. */
    bool (*ends)(void *run, json_t *u);
    /* Shows one update (those held, once the question is answered). */
    void (*show)(void *run, json_t *u);
} cli_interrupt_ops;

/* One Ctrl-C's view of the run, filled by the run for each call. */
typedef struct cli_interrupt {
    const cli_interrupt_ops *ops;
    void *run;               /* handed to ops                                */
    struct cli_follow *f;    /* the run's updates                            */
    bool abort_on_interrupt; /* --abort-on-interrupt                         */
    bool tty;                /* the run draws on a terminal (cli_term.tty)   */
    const char *question;    /* asked on the terminal                        */
    const char *what;        /* "WHAT ended before an answer" (through cli_t) */
    int *count;              /* the run's Ctrl-Cs so far                     */
    json_t **held;           /* the run's held updates: made here when NULL,
                                the run frees it                             */
} cli_interrupt;

/* A signal arrived while following (sig_fd: cli_signals_install's pipe).
 * Returns true to stop following now. The policy, the same for one command
 * and a group: a second Ctrl-C (or one after the abort) stops;
 * --abort-on-interrupt sends the abort and goes on following; without a
 * terminal it stops; else it asks, holding the updates meanwhile: yes sends
 * the abort and goes on, no (or Ctrl-C at the question) stops, and if the
 * run ended first it says so and goes on (the held end is shown). Main
 * thread only. */
bool cli_on_interrupt(cli_interrupt *in, int sig_fd);

/* Seconds on the monotonic clock. */
double cli_now(void);

/* ---- update_json.c ---------------------------------------------------------- */

/* An update as the JSON object of the tool's output: "device",
 * "command_id", then the keys present: "status" (name, or null with
 * "status_raw"), "progress", "result", "error", the extra keys, "final"
 * (only when true), "elapsed" (seconds since t0). New reference. */
json_t *cli_update_json(const lrc_update *u, const char *device, double t0);

/* A DevError stack as [{"reason", "desc", "origin", "severity"}]; an
 * error without a stack gives one entry with reason "LRC_Error". */
json_t *cli_error_stack_json(const lrc_error *e);

/* {"code": "LRC_E...", "message": ..., "stack": [...]} */
json_t *cli_error_json(int rc, const lrc_error *e);

/* A value as text for people, written like Python's json.dumps (the way
 * devices write results): "[0, \"Sleep done\"]". malloc'd; NULL if out of
 * memory. */
char *cli_json_text(const json_t *v);

/* Seconds since t0, to the millisecond, as a JSON number. */
json_t *cli_elapsed_json(double t0);

/* True for the keys cli_update_json writes itself; the others of an
 * update object are the extra keys the device sent. */
bool cli_update_key_is_ours(const char *key);

/* Prints obj as one compact line on stdout and flushes. Steals obj. */
void cli_print_json_line(json_t *obj);

/* The LRC_E* name of a code ("LRC_EREJECTED"). */
const char *cli_code_name(int rc);

/* ---- diagnose.c ------------------------------------------------------------- */

/* A diagnosed failure: what the tool printed, for the JSON error object. */
typedef struct cli_diag {
    int exit;          /* the exit status                                     */
    const char *code;  /* "LRC_ENODEVICE", ... (static; lrc(1) lists them)     */
    char message[1024]; /* the line printed on stderr, without "lrc: "        */
    bool silent;       /* set by the caller: do not print (it words it)       */
} cli_diag;

/* Checks that a Tango database is configured for a device name (found as
 * cli_tango_host does, unless the name is a full tango:// one); prints the
 * error and a hint and returns false if not. d (may be NULL) gets the
 * diagnosis. */
bool cli_check_tango_host(const char *device, cli_diag *d);

/* Opens a proxy for the tool; on failure prints one clear line, fills d
 * (may be NULL) and returns CLI_EXIT_ERROR. */
int cli_open(const char *device, lrc_proxy **out, cli_diag *d);
/* The same with proxy options (NULL: the library's defaults). */
int cli_open_with(const char *device, const lrc_proxy_options *po, lrc_proxy **out,
                  cli_diag *d);

/* Prints one clear line for a failed call about `device` (and `command`,
 * may be NULL), fills d (may be NULL) and returns the exit status:
 * LRC_EREJECTED gives CLI_EXIT_REJECTED, everything else CLI_EXIT_ERROR.
 * p (may be NULL) is used to tell a device that is not LRC-capable. Does
 * not free err. */
int cli_report(lrc_proxy *p, const char *device, const char *command, int rc,
               const lrc_error *err, cli_diag *d);

/* {"code": d->code, "message": d->message, "stack": [...] (when e)} */
json_t *cli_diag_json(const cli_diag *d, const lrc_error *e);

/* True if a DevError with this reason is in e's stack. */
bool cli_has_reason(const lrc_error *e, const char *reason);

/* True when err says the device could not be reached (its server is not
 * running, or not accepting connections). */
bool cli_is_unreachable(const lrc_error *err);

/* ---- dbinfo.c ----------------------------------------------------------------- */

/* The server of a plain device name and whether it is exported, from the
 * database (DbImportDevice). False when the database cannot tell. */
bool cli_db_device_info(const char *device, char *server, size_t n, bool *exported);

/* ---- tangorc.c ---------------------------------------------------------------- */

/* The database host:port for plain device names, found as cppTango does:
 * $TANGO_HOST, else TANGO_HOST in $HOME/.tangorc, else in /etc/tangorc.
 * NULL when none. *origin (origin may be NULL) gets "TANGO_HOST" or the
 * file's path. */
const char *cli_tango_host(const char **origin);

/* When the database comes from a tangorc file, puts it into this process's
 * TANGO_HOST (setenv), so that libtango takes it from the environment
 * instead of reading the file again itself. Why: libtango's handling of a
 * file-given database races at exit (ThreadSanitizer, on every `lrc` run
 * with TANGO_HOST unset: its keep-alive thread reads its static list of
 * database hosts while static destructors free it); with the variable set
 * it does not. Same lookup order, same value. Call first in main, before
 * any thread exists. */
void cli_tango_host_export(void);

/* ---- text.c ------------------------------------------------------------------- */

/* s with every control character escaped (\n, \e, \x07, \u009b; bytes
 * that are not UTF-8 as \xNN). malloc'd; NULL if out of memory. */
char *cli_escape(const char *s);

/* s as it may be written to stdout (cli_t) or stderr (cli_t_err): escaped
 * when that is a terminal, else s itself. The result lives until a few
 * more calls; main thread only. NULL gives "". */
const char *cli_t(const char *s);
const char *cli_t_err(const char *s);

/* Frees the buffers of cli_t (at exit, for leak checkers). */
void cli_text_release(void);

/* ---- follow.c ----------------------------------------------------------------- */

/* Updates handed from scheduler workers to the main thread. */
typedef struct cli_follow cli_follow;

/* A new hand-over; t0 is the time elapsed is counted from. */
cli_follow *cli_follow_new(const char *device, double t0);
void cli_follow_free(cli_follow *f);

/* The lrc_update_fn to give lrc_invoke / lrc_watch_start with f as user. */
void cli_follow_cb(const lrc_update *u, void *f);

/* Hands any JSON object to the main thread (steals obj). Any thread. */
void cli_follow_push(cli_follow *f, json_t *obj);

/* Hands a log message to the main thread: {"log": message}. Any thread. */
void cli_follow_note(cli_follow *f, const char *message);

/* An lrc_log_fn (user: the cli_follow) for the library's messages about
 * the tool's invocations and watches: its warnings (dropped events, a
 * failed unsubscribe, lost first events) reach the main thread like
 * updates, so they never tear the live line. Errors are not handed over:
 * each comes back as the failure of a call or as an error update, which
 * the tool shows anyway. */
void cli_follow_log(void *user, int level, const char *msg);

/* The options of the tool's invocations (one command, a group, an Abort):
 * the library's warnings go to the main thread through f with the updates
 * (cli_follow_log); --timeout becomes timeout_ms. */
lrc_invoke_options cli_invoke_options(const cli_options *o, cli_follow *f);

/* The next update (a JSON object as cli_update_json makes, new reference)
 * or NULL when none is waiting. */
json_t *cli_follow_take(cli_follow *f);

/* Waits until an update is waiting, a signal arrived (*signalled set), or
 * timeout_s passed (< 0: no limit). */
void cli_follow_wait(cli_follow *f, int sig_fd, double timeout_s, bool *signalled);

/* The read end of the wake pipe (readable while updates wait). */
int cli_follow_wake_fd(const cli_follow *f);

/* ---- live.c --------------------------------------------------------------------- */

/* The terminal view of one command. */
typedef struct cli_live cli_live;

cli_live *cli_live_new(const cli_term *t, const char *device, const char *command,
                       const char *command_id, double t0);
void cli_live_free(cli_live *l);

/* Renders one update (a cli_update_json object). */
void cli_live_update(cli_live *l, json_t *u);

/* Redraws the live line (spinner, elapsed time). */
void cli_live_tick(cli_live *l);

/* Clears the live line, prints a note line, redraws. */
void cli_live_note(cli_live *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears the live line (before a prompt or the end). */
void cli_live_clear(cli_live *l);

/* The command did not end while followed (timeout, interrupt): prints why,
 * the last status and the result known so far. */
void cli_live_stop(cli_live *l, const char *why);

/* The parts of a status line, shared by the view of one command and the
 * view of a group (group_view.c). */

/* The SGR code (SGR_*) of a status name; NULL: no status yet. */
const char *cli_status_sgr(const char *status);

/* The mark of a final status (a check mark, a cross; "OK", "!!" without
 * UTF-8). */
const char *cli_final_symbol(const cli_term *t, const char *status);

/* Frame n of the spinner. */
const char *cli_spinner(const cli_term *t, unsigned n);

/* Display columns of UTF-8 text (one per code point: what we draw). */
int cli_columns(const char *s);

/* Prints on stdout the end of a status line whose start took `used`
 * columns: the progress when has_progress (the bar if there is room, the
 * percentage always), then the elapsed time if there is room. Never
 * reaches the terminal's last column. */
void cli_put_tail(const cli_term *t, int used, bool has_progress, long long progress,
                  double elapsed_s);

/* ---- targets.c ------------------------------------------------------------------ */

/* One command to run on one device. */
typedef struct cli_target {
    char *device;
    char *command;
    char *arg; /* the ARG text as typed; NULL: no argument */
} cli_target;

typedef struct cli_targets {
    size_t n;
    cli_target *v;
} cli_targets;

/* What `lrc invoke` runs, from its positional words and o->group_file:
 *   DEVICE COMMAND [ARG]                one device (aliases work)
 *   DEVICE DEVICE... COMMAND [ARG]      every word after the first that
 *                                       has a '/' is another device; the
 *                                       first word without one is COMMAND
 *   --group-file FILE [COMMAND [ARG]]   devices (and commands) from FILE
 * 0, or CLI_EXIT_USAGE / CLI_EXIT_ERROR with the error printed (a bad
 * file line is named FILE:LINE). *out is the caller's (cli_targets_free). */
int cli_targets_parse(const cli_command *cmd, const cli_options *o, cli_targets *out);
void cli_targets_free(cli_targets *t);

/* A target's ARG text as the command's argument: JSON when it parses as
 * JSON, else a string (lrc invoke dev Echo hello); NULL: none. Borrows
 * text. One rule for one device and for a group. */
lrc_arg cli_target_arg(const char *text);

/* ---- group_view.c ---------------------------------------------------------------- */

/* The terminal view of a group: a block of lines, one per member (device,
 * command, spinner or final mark, status, progress, elapsed), redrawn in
 * place. When the members do not fit the terminal's height, the block is
 * bounded: the members still running, then a line of counts for the rest;
 * a member that ends leaves it, its final line printed once above it. */
typedef struct cli_group_view cli_group_view;

/* devices[i], commands[i]: member i's (borrowed until cli_group_view_free). */
cli_group_view *cli_group_view_new(const cli_term *t, size_t n, const char *const *devices,
                                   const char *const *commands, double t0);
void cli_group_view_free(cli_group_view *v);

/* Member i's state: its status (NULL: none yet), progress (< 0: none);
 * ended: the line is final (its mark, elapsed frozen at `elapsed`). */
void cli_group_view_set(cli_group_view *v, size_t i, const char *status, long long progress,
                        bool ended, double elapsed);

/* Redraws the block (below what was printed since, when something was). */
void cli_group_view_draw(cli_group_view *v);

/* Something else is printed next (a note, a prompt): the block is drawn
 * anew below it next time. */
void cli_group_view_detach(cli_group_view *v);

/* ---- cmd_group.c ----------------------------------------------------------------- */

/* Runs the targets as one group (lrc/group.h) and follows them to their
 * end; returns the exit status (the worst member's, see lrc --help). */
int cli_invoke_group(const cli_options *o, const cli_targets *t);

/* ---- stats.c -------------------------------------------------------------------- */

/* A device's metrics (lrc_proxy_get_metrics) as the JSON object of `lrc
 * watch --stats`: "device", "events" {values, errors}, "queue" {received,
 * processed, dropped, discarded, length}, "queue_time_us" and
 * "callback_time_us" {count, mean, p50, p90, p99, max}, "invocations"
 * {started, not_started, completed, failed, rejected, aborted, timed_out,
 * lost}, "subscribe_ms" (as the times), "streams". New reference; NULL if
 * out of memory. */
json_t *cli_stats_json(const char *device, const lrc_proxy *p);

/* The compact table: its header line, and one row per cli_stats_json. */
void cli_stats_print_header(FILE *out, const cli_term *t);
void cli_stats_print_row(FILE *out, json_t *dev);

/* `lrc invoke --stats`: one report of p's metrics on stderr (stdout keeps
 * the command's output): a JSON line {"stats": [...]} when json, else the
 * table's header and row. */
void cli_stats_report(const char *device, const lrc_proxy *p, bool json);

/* The same for n devices in one report (lrc invoke over several devices):
 * one JSON line with every device, or the header and a row per device.
 * devices NULL: each proxy's own name. */
void cli_stats_report_all(const char *const *devices, const lrc_proxy *const *ps, size_t n,
                          bool json);

/* ---- subcommands ------------------------------------------------------------------ */

extern const cli_command cli_cmd_invoke, cli_cmd_abort, cli_cmd_watch, cli_cmd_status,
    cli_cmd_versions;

#endif /* LRC_CLI_H */
