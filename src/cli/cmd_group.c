/* cmd_group.c - `lrc invoke` over several devices: the targets run as one
 * lrc_group (one proxy per distinct device, shared by its members), the
 * updates come to the main thread through a cli_follow as for one command,
 * and are shown as a block of live lines on a terminal or as JSON lines
 * (each with its "device"; an outcome line per member as the single form
 * prints; a summary line last). The exit status is the worst member's. */
#include "lrc/group.h"

#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* How often the live lines are redrawn (spinners, elapsed times). */
#define TICK_S 0.1

typedef struct member {
    const cli_target *t;
    lrc_proxy *p;       /* borrowed from the run's proxies; NULL: did not open */
    bool in_group;      /* added to the group, as its member gi              */
    size_t gi;
    bool ended;         /* final update seen, or it never started           */
    bool not_started;   /* the proxy did not open, or lrc_invoke failed     */
    bool rejected;      /* lrc_invoke: the device refused it                */
    cli_diag diag;      /* why, when not started or rejected                */
    char *command_id;
    char *status;       /* last status                                      */
    char *end;          /* the library ended it: TIMED_OUT, LOST            */
    json_t *result;     /* latest result                                    */
    json_t *error;      /* latest error stack of an update                  */
    long long progress; /* < 0: none                                        */
    double elapsed;     /* of the final                                     */
} member;

typedef struct grun {
    const cli_options *o;
    cli_term term;
    size_t n;
    member *m;
    size_t ndevices;      /* distinct devices                     */
    size_t nproxies;      /* ... that opened                      */
    lrc_proxy **proxies;
    lrc_group *g;
    size_t *gmap;         /* the group's member index -> ours (members that
                             did not open are in no group)           */
    cli_follow *f;
    cli_group_view *view; /* NULL unless drawing on a terminal */
    double t0;
    bool done;            /* on_done ran (its marker was taken)   */
    bool abort_sent;
    int interrupts;
    json_t *held;         /* taken while the Ctrl-C question waits */
} grun;

/* ---- outcomes ------------------------------------------------------------------ */

/* Exit statuses from the most to the least urgent: a group exits with the
 * first any member has. Interrupted and lost first (nobody knows how they
 * end), then timed out (still running), could not invoke, rejected,
 * aborted, failed, another ResultCode, OK. */
static const int precedence[] = {CLI_EXIT_INTERRUPTED, CLI_EXIT_LOST,    CLI_EXIT_TIMEOUT,
                                 CLI_EXIT_ERROR,       CLI_EXIT_REJECTED, CLI_EXIT_ABORTED,
                                 CLI_EXIT_FAILED,      CLI_EXIT_RESULT_CODE, CLI_EXIT_OK};

/* A member's outcome name and exit status; stopped: the tool stops
 * following (an interrupt: "INTERRUPTED", the safety deadline: "TIMEOUT"). */
static const char *outcome_of(const member *m, const char *stopped, int *exit_code)
{
    if (m->not_started) {
        *exit_code = m->rejected ? CLI_EXIT_REJECTED : CLI_EXIT_ERROR;
        return m->rejected ? "REJECTED" : "NOT_STARTED";
    }
    if (!m->ended) {
        bool intr = stopped && strcmp(stopped, "INTERRUPTED") == 0;
        *exit_code = intr ? CLI_EXIT_INTERRUPTED : CLI_EXIT_TIMEOUT;
        return intr ? "INTERRUPTED" : "TIMEOUT";
    }
    if (m->end) {
        bool lost = strcmp(m->end, "LOST") == 0;
        *exit_code = lost ? CLI_EXIT_LOST : CLI_EXIT_TIMEOUT;
        return lost ? "LOST" : "TIMEOUT";
    }
    const char *st = m->status ? m->status : "";
    json_t *code = json_is_array(m->result) ? json_array_get(m->result, 0) : NULL;
    if (strcmp(st, "COMPLETED") == 0)
        *exit_code = json_is_integer(code) && json_integer_value(code) != LRC_RESULT_OK
                         ? CLI_EXIT_RESULT_CODE
                         : CLI_EXIT_OK;
    else if (strcmp(st, "FAILED") == 0)
        *exit_code = CLI_EXIT_FAILED;
    else if (strcmp(st, "ABORTED") == 0)
        *exit_code = CLI_EXIT_ABORTED;
    else if (strcmp(st, "REJECTED") == 0)
        *exit_code = CLI_EXIT_REJECTED;
    else
        st = NULL;
    if (!st) {
        *exit_code = CLI_EXIT_ERROR; /* a final update without a final status */
        return "ERROR";
    }
    return st;
}

/* The outcome line of one member, as the single form's last line; stopped
 * as for outcome_of. */
static void print_member_outcome(const grun *r, const member *m, const char *stopped)
{
    if (!r->o->json || r->o->quiet)
        return;
    int code;
    const char *outcome = outcome_of(m, stopped, &code);
    json_t *o = json_pack("{s:s, s:s}", "outcome", outcome, "device", m->t->device);
    if (m->command_id)
        json_object_set_new(o, "command_id", json_string(m->command_id));
    json_t *rc = json_is_array(m->result) ? json_array_get(m->result, 0) : NULL;
    if (strcmp(outcome, "COMPLETED") == 0 && json_is_integer(rc)) {
        const char *name = lrc_result_code_name((int)json_integer_value(rc));
        json_object_set_new(o, "result_code",
                            name ? json_string(name) : json_integer(json_integer_value(rc)));
    }
    if (m->not_started) {
        const lrc_error *e = m->in_group ? lrc_group_member_error(r->g, m->gi) : NULL;
        json_object_set_new(o, "error", cli_diag_json(&m->diag, e));
    }
    json_object_set_new(o, "exit", json_integer(code));
    json_object_set_new(o, "elapsed", cli_elapsed_json(r->t0));
    cli_print_json_line(o);
}

/* ---- updates --------------------------------------------------------------------- */

static void on_update(lrc_group *g, size_t i, const lrc_update *u, void *user)
{
    (void)g;
    grun *r = user;
    size_t mi = r->gmap[i];
    json_t *o = cli_update_json(u, r->m[mi].t->device, r->t0);
    json_object_set_new(o, "member", json_integer((json_int_t)mi)); /* ours: not printed */
    cli_follow_push(r->f, o);
}

static void on_done(lrc_group *g, const lrc_group_summary *s, void *user)
{
    (void)g;
    (void)s;
    grun *r = user;
    cli_follow_push(r->f, json_pack("{s:b}", "group_done", 1));
}

static void set_str(char **dst, const char *s)
{
    if (!s)
        return;
    free(*dst);
    *dst = strdup(s);
}

static void view_set(grun *r, const member *m)
{
    const char *st = m->not_started ? (m->rejected ? "REJECTED" : "NOT_STARTED")
                     : m->end       ? m->end
                                    : m->status;
    if (r->view)
        cli_group_view_set(r->view, (size_t)(m - r->m), st, m->progress, m->ended, m->elapsed);
}

static void show(grun *r, json_t *u)
{
    const char *log = json_string_value(json_object_get(u, "log"));
    if (log) {
        if (!r->o->quiet) {
            if (r->view)
                cli_group_view_detach(r->view);
            fprintf(stderr, "%s: warning: %s\n", cli_prog, cli_t_err(log));
        }
        return;
    }
    if (json_is_true(json_object_get(u, "group_done"))) {
        r->done = true;
        return;
    }
    json_t *mi = json_object_get(u, "member");
    if (!json_is_integer(mi) || (size_t)json_integer_value(mi) >= r->n)
        return;
    member *m = &r->m[json_integer_value(mi)];
    json_object_del(u, "member");
    if (r->o->json && !r->o->quiet)
        cli_print_json_line(json_incref(u));
    set_str(&m->command_id, json_string_value(json_object_get(u, "command_id")));
    set_str(&m->status, json_string_value(json_object_get(u, "status")));
    json_t *v;
    if ((v = json_object_get(u, "result"))) {
        json_decref(m->result);
        m->result = json_incref(v);
    }
    if ((v = json_object_get(u, "error"))) {
        json_decref(m->error);
        m->error = json_incref(v);
    }
    if (json_is_integer(v = json_object_get(u, "progress")))
        m->progress = json_integer_value(v);
    if (json_is_true(json_object_get(u, "final"))) {
        set_str(&m->end, json_string_value(json_object_get(u, "end")));
        m->ended = true;
        m->elapsed = json_real_value(json_object_get(u, "elapsed"));
        print_member_outcome(r, m, NULL);
    }
    view_set(r, m);
}

static void take_all(grun *r)
{
    json_t *u;
    while ((u = cli_follow_take(r->f))) {
        show(r, u);
        json_decref(u);
    }
}

/* ---- Ctrl-C ------------------------------------------------------------------------ */

/* user: the run (a cli_interrupt_ops callback). */
static void send_abort(void *user)
{
    grun *r = user;
    r->abort_sent = true;
    if (r->view)
        cli_group_view_detach(r->view);
    lrc_error *err = NULL;
    int rc = lrc_group_abort(r->g, &err);
    if (rc == LRC_OK) {
        if (!r->o->quiet && !r->o->json)
            printf("Abort sent to the devices; waiting for the commands to end\n");
    } else {
        cli_error("Abort failed: %s", err ? lrc_error_message(err) : lrc_strerror(rc));
    }
    lrc_error_free(err);
}

/* The run's parts for cli_on_interrupt (user: the run), in k_interrupt_ops. */
static bool nothing_to_abort(void *user)
{
    grun *r = user;
    return r->abort_sent || !r->g;
}

static void detach_view(void *user)
{
    grun *r = user;
    if (r->view)
        cli_group_view_detach(r->view);
}

static bool is_group_done(void *user, json_t *u)
{
    (void)user;
    return json_is_true(json_object_get(u, "group_done"));
}

static void show_cb(void *user, json_t *u)
{
    show(user, u);
}

static const cli_interrupt_ops k_interrupt_ops = {
    nothing_to_abort, send_abort, detach_view, is_group_done, show_cb};

/* ---- setting up -------------------------------------------------------------------- */

/* Opens one proxy per distinct device (Tango names ignore case). */
static void open_proxies(grun *r)
{
    lrc_proxy_options po;
    lrc_proxy_options_init(&po);
    if (r->o->lost_after_given) {
        int64_t ms = (int64_t)(r->o->lost_after_s * 1000 + 0.5);
        po.lost_after_ms = r->o->lost_after_s <= 0 ? -1 : ms > 0 ? ms : 1;
    }
    for (size_t i = 0; i < r->n; i++) {
        member *m = &r->m[i];
        size_t j = 0;
        for (; j < i; j++)
            if (strcasecmp(r->m[j].t->device, m->t->device) == 0)
                break;
        if (j < i) { /* the same device: its proxy, or its failure */
            m->p = r->m[j].p;
            m->diag = r->m[j].diag;
            m->not_started = r->m[j].not_started;
            continue;
        }
        r->ndevices++;
        m->diag.silent = r->view != NULL; /* the view lists it at the end */
        if (cli_open_with(m->t->device, &po, &m->p, &m->diag) != 0) {
            m->not_started = true;
            continue;
        }
        r->proxies[r->nproxies++] = m->p;
    }
}

/* The group of the members whose proxy opened. Returns how many, or -1. */
static int build(grun *r)
{
    lrc_error *err = NULL;
    if (lrc_group_new(&r->g, &err) != LRC_OK)
        goto fail;
    size_t added = 0;
    for (size_t i = 0; i < r->n; i++) {
        member *m = &r->m[i];
        if (m->not_started)
            continue;
        lrc_arg arg = cli_target_arg(m->t->arg);
        if (lrc_group_add(r->g, m->p, m->t->command, &arg, &m->gi, &err) != LRC_OK)
            goto fail;
        m->in_group = true;
        r->gmap[m->gi] = i;
        added++;
    }
    return (int)added;
fail:
    cli_error("%s", err ? lrc_error_message(err) : "out of memory");
    lrc_error_free(err);
    return -1;
}

/* Issues the group; members lrc_group_invoke could not start are marked.
 * False when the group could not be issued at all (printed). */
static bool invoke(grun *r)
{
    lrc_invoke_options io = cli_invoke_options(r->o, r->f);
    lrc_error *err = NULL;
    if (lrc_group_invoke(r->g, &io, on_update, on_done, r, &err) != LRC_OK) {
        cli_error("%s", err ? lrc_error_message(err) : "cannot start the group");
        lrc_error_free(err);
        return false;
    }
    for (size_t i = 0; i < r->n; i++) {
        member *m = &r->m[i];
        const lrc_error *e = m->in_group ? lrc_group_member_error(r->g, m->gi) : NULL;
        if (!e)
            continue;
        m->not_started = true;
        m->diag.silent = r->view != NULL;
        m->rejected = cli_report(m->p, m->t->device, m->t->command, lrc_error_code(e), e,
                                 &m->diag) == CLI_EXIT_REJECTED;
    }
    return true;
}

/* ---- the end ------------------------------------------------------------------------ */

static void print_summary(grun *r, const char *stopped, int exit_code)
{
    /* the counts of lrc_group_summary, from what this run saw: members that
     * did not open are in no group, and a stopped run has running ones */
    static const char *const names[] = {"completed", "failed",    "rejected",    "aborted",
                                        "lost",      "timed_out", "not_started", "running"};
    static const char *const upper[] = {"COMPLETED", "FAILED",    "REJECTED",    "ABORTED",
                                        "LOST",      "TIMED_OUT", "NOT_STARTED", "RUNNING"};
    size_t count[8] = {0}, total = r->n;
    for (size_t i = 0; i < r->n; i++) {
        int code;
        const char *o = outcome_of(&r->m[i], stopped, &code);
        size_t k = 7; /* still running when the tool stopped following */
        if (r->m[i].ended && strcmp(o, "TIMEOUT") == 0)
            k = 5;
        else if (strcmp(o, "ERROR") == 0)
            k = 1; /* ended without a final status: not a success */
        else
            for (size_t j = 0; j < 7; j++)
                if (strcmp(o, upper[j]) == 0)
                    k = j;
        count[k]++;
    }
    double elapsed = cli_now() - r->t0;
    if (r->o->json) {
        if (r->o->quiet)
            return;
        json_t *s = json_pack("{s:I}", "total", (json_int_t)total);
        for (size_t k = 0; k < 8; k++)
            if (k < 7 || count[k])
                json_object_set_new(s, names[k], json_integer((json_int_t)count[k]));
        json_t *line = json_pack("{s:o}", "summary", s);
        if (stopped)
            json_object_set_new(line, "stopped", json_string(stopped));
        json_object_set_new(line, "exit", json_integer(exit_code));
        json_object_set_new(line, "elapsed", cli_elapsed_json(r->t0));
        cli_print_json_line(line);
        return;
    }
    if (r->o->quiet)
        return;
    /* "3 devices: 2 COMPLETED, 1 FAILED in 4.2 s" */
    if (r->ndevices == r->n)
        printf("%zu devices:", total);
    else
        printf("%zu commands on %zu devices:", total, r->ndevices);
    const char *sep = " ";
    for (size_t k = 0; k < 8; k++)
        if (count[k]) {
            printf("%s%zu %s%s%s", sep, count[k], cli_sgr(&r->term, cli_status_sgr(upper[k])),
                   upper[k], cli_sgr(&r->term, SGR_RESET));
            sep = ", ";
        }
    if (stopped)
        printf(" in %.1f s, stopped following (%s)\n", elapsed,
               strcmp(stopped, "INTERRUPTED") == 0 ? "interrupted" : "--timeout");
    else
        printf(" in %.1f s\n", elapsed);
    /* what went wrong, member by member */
    for (size_t i = 0; i < r->n; i++) {
        member *m = &r->m[i];
        int code;
        const char *o = outcome_of(m, stopped, &code);
        if (code == CLI_EXIT_OK)
            continue;
        printf("%s%s %s:%s %s", cli_sgr(&r->term, SGR_BOLD), cli_t(m->t->device),
               cli_t(m->t->command), cli_sgr(&r->term, SGR_RESET), o);
        if (m->not_started) {
            printf(": %s\n", cli_t(m->diag.message));
            continue;
        }
        fputc('\n', stdout);
        size_t k;
        json_t *e;
        json_array_foreach(m->error, k, e)
            printf("  %s: %s\n", cli_t(json_string_value(json_object_get(e, "reason"))),
                   cli_t(json_string_value(json_object_get(e, "desc"))));
        if (m->result) {
            char *text = cli_json_text(m->result);
            printf("  result: %s\n", text ? cli_t(text) : "?");
            free(text);
        }
    }
    fflush(stdout);
}

/* The group's exit status: the first of `precedence` a member has. */
static int group_exit(const grun *r, const char *stopped)
{
    int worst = CLI_EXIT_OK;
    size_t rank = sizeof precedence / sizeof *precedence - 1;
    for (size_t i = 0; i < r->n; i++) {
        int code;
        outcome_of(&r->m[i], stopped, &code);
        for (size_t k = 0; k < rank; k++)
            if (precedence[k] == code) {
                rank = k;
                worst = code;
                break;
            }
    }
    return worst;
}

/* Follows the group to its end, a safety deadline or an interrupt. */
static const char *follow(grun *r, int sig_fd)
{
    double deadline = r->o->timeout_s >= 0 ? r->t0 + r->o->timeout_s + 5 : -1;
    /* Ctrl-C: as for one command (ask.c's policy) */
    char q[512];
    snprintf(q, sizeof q, "\nAbort all commands of the %zu devices? [y/N] ", r->nproxies);
    cli_interrupt in = {.ops = &k_interrupt_ops, .run = r, .f = r->f, .question = q,
                        .what = "the commands", .count = &r->interrupts, .held = &r->held,
                        .abort_on_interrupt = r->o->abort_on_interrupt, .tty = r->term.tty};
    for (;;) {
        take_all(r);
        if (r->done)
            return NULL;
        double now = cli_now();
        if (deadline >= 0 && now >= deadline)
            return "TIMEOUT";
        double wait = deadline >= 0 ? deadline - now : -1;
        if (r->view && (wait < 0 || wait > TICK_S))
            wait = TICK_S;
        bool signalled;
        cli_follow_wait(r->f, sig_fd, wait, &signalled);
        if (signalled && cli_on_interrupt(&in, sig_fd))
            return "INTERRUPTED";
        if (r->view)
            cli_group_view_draw(r->view);
    }
}

int cli_invoke_group(const cli_options *o, const cli_targets *t)
{
    grun r = {.o = o, .n = t->n};
    cli_term_probe(&r.term);
    int sig_fd = cli_signals_install();
    r.t0 = cli_now();
    r.m = calloc(t->n, sizeof *r.m);
    r.proxies = calloc(t->n, sizeof *r.proxies);
    r.gmap = calloc(t->n, sizeof *r.gmap);
    int code = CLI_EXIT_ERROR;
    const char **devs = calloc(t->n, sizeof *devs), **cmds = calloc(t->n, sizeof *cmds);
    r.f = cli_follow_new("", r.t0);
    if (!r.m || !r.proxies || !r.gmap || !devs || !cmds || !r.f) {
        cli_error("out of memory");
        r.n = 0;
        goto out;
    }
    for (size_t i = 0; i < t->n; i++) {
        r.m[i].t = &t->v[i];
        r.m[i].progress = -1;
        devs[i] = t->v[i].device;
        cmds[i] = t->v[i].command;
    }
    if (!o->json && !o->quiet && (r.term.tty || o->live))
        r.view = cli_group_view_new(&r.term, t->n, devs, cmds, r.t0);
    open_proxies(&r);
    int added = build(&r);
    if (added < 0)
        goto out;
    if (added > 0 && !invoke(&r))
        goto out;
    for (size_t i = 0; i < r.n; i++)
        if (r.m[i].not_started) { /* no update will come */
            r.m[i].ended = true;
            print_member_outcome(&r, &r.m[i], NULL);
            view_set(&r, &r.m[i]);
        }
    r.done |= added == 0;
    code = 0;
out:;
    const char *stopped = NULL;
    if (code == 0) {
        stopped = follow(&r, sig_fd);
        if (r.view) {
            cli_group_view_draw(r.view);
            cli_group_view_detach(r.view);
        }
        for (size_t i = 0; stopped && i < r.n; i++)
            if (!r.m[i].ended) /* an outcome line for every member */
                print_member_outcome(&r, &r.m[i], stopped);
        code = group_exit(&r, stopped);
        print_summary(&r, stopped, code);
    }
    lrc_group_free(r.g); /* before the proxies it borrows; no callback after */
    if (o->stats)
        cli_stats_report_all(NULL, (const lrc_proxy *const *)r.proxies, r.nproxies, o->json);
    cli_group_view_free(r.view);
    for (size_t i = 0; i < r.nproxies; i++)
        lrc_proxy_close(r.proxies[i]);
    cli_follow_free(r.f);
    json_decref(r.held);
    for (size_t i = 0; r.m && i < r.n; i++) {
        free(r.m[i].command_id);
        free(r.m[i].status);
        free(r.m[i].end);
        json_decref(r.m[i].result);
        json_decref(r.m[i].error);
    }
    free(r.m);
    free(r.proxies);
    free(r.gmap);
    free(devs);
    free(cmds);
    return code;
}
