/* diagnose.c - a failure as one line an operator understands at once, the
 * exit status it maps to, and a code a script can tell apart (the "code" of
 * the JSON error object; lrc(1) lists them). The library's own message
 * stays in the line when it is exact; the words around it say what to do. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

bool cli_has_reason(const lrc_error *e, const char *reason)
{
    for (size_t i = 0; i < lrc_error_count(e); i++)
        if (strcmp(lrc_error_at(e, i)->reason, reason) == 0)
            return true;
    return false;
}

static bool is_full_name(const char *device) { return strncmp(device, "tango://", 8) == 0; }

/* Fills d, prints its message as the tool's error line, returns d->exit. */
static int diag(cli_diag *d, int exit_code, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int diag(cli_diag *d, int exit_code, const char *code, const char *fmt, ...)
{
    d->exit = exit_code;
    d->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    if (!d->silent)
        cli_error("%s", d->message);
    return exit_code;
}

bool cli_check_tango_host(const char *device, cli_diag *d)
{
    cli_diag local = {.silent = false};
    d = d ? d : &local;
    if (is_full_name(device) || cli_tango_host(NULL))
        return true;
    diag(d, CLI_EXIT_ERROR, "LRC_ENODB",
         "TANGO_HOST is not set (nor in ~/.tangorc or /etc/tangorc): no Tango database to find "
         "%s in",
         device);
    fprintf(stderr, "hint: set it to the database's host:port, e.g. export "
                    "TANGO_HOST=127.0.0.1:10000\n");
    return false;
}

/* The innermost Tango description, which usually says what happened: its
 * first line (cppTango adds explanations on further lines). */
static const char *innermost_desc(const lrc_error *e, char *buf, size_t n)
{
    const char *s = lrc_error_count(e) ? lrc_error_at(e, 0)->desc : lrc_error_message(e);
    snprintf(buf, n, "%.*s", (int)strcspn(s, "\n"), s);
    return buf;
}

static bool database_unreachable(const lrc_error *e)
{
    return cli_has_reason(e, "API_CantConnectToDatabase") ||
           cli_has_reason(e, "DB_CantConnectToDatabase") ||
           (cli_has_reason(e, "API_CorbaException") && !cli_has_reason(e, "API_DeviceNotExported") &&
            !cli_has_reason(e, "API_CantConnectToDevice") && !cli_has_reason(e, "API_CommandFailed"));
}

/* "host:port (from ~/.tangorc)" for messages. */
static const char *db_words(char *buf, size_t n)
{
    const char *origin = NULL;
    const char *host = cli_tango_host(&origin);
    if (!host)
        return "the given host";
    if (strcmp(origin, "TANGO_HOST") == 0)
        snprintf(buf, n, "%s (TANGO_HOST)", host);
    else
        snprintf(buf, n, "%s (TANGO_HOST in %s)", host, origin);
    return buf;
}

int cli_open(const char *device, lrc_proxy **out, cli_diag *d)
{
    return cli_open_with(device, NULL, out, d);
}

int cli_open_with(const char *device, const lrc_proxy_options *po, lrc_proxy **out,
                  cli_diag *d)
{
    cli_diag local = {.silent = false};
    d = d ? d : &local;
    *out = NULL;
    if (!cli_check_tango_host(device, d))
        return CLI_EXIT_ERROR;
    lrc_error *err = NULL;
    int rc = lrc_proxy_open(device, po, out, &err);
    if (rc == LRC_OK)
        return 0;
    char where[600], desc[512];
    const char *host = cli_tango_host(NULL) ? cli_tango_host(NULL) : "the given host";
    if (rc == LRC_ENOTFOUND)
        diag(d, CLI_EXIT_ERROR, "LRC_ENODEVICE", "%s: no such device in the Tango database at %s",
             device, host);
    else if (database_unreachable(err))
        diag(d, CLI_EXIT_ERROR, "LRC_ENODB", "cannot reach the Tango database at %s: %s",
             db_words(where, sizeof where), innermost_desc(err, desc, sizeof desc));
    else
        diag(d, CLI_EXIT_ERROR, cli_code_name(rc), "%s: %s", device,
             innermost_desc(err, desc, sizeof desc));
    lrc_error_free(err);
    return CLI_EXIT_ERROR;
}

/* True when the device answers and has no LRC interface at all. */
static bool not_lrc_capable(lrc_proxy *p)
{
    if (!p)
        return false;
    lrc_protocol_info pi;
    lrc_protocol_info_init(&pi);
    int rc = lrc_proxy_protocol(p, &pi, NULL);
    return rc == LRC_ENOTFOUND && !pi.lrc_capable;
}

/* The device could not be reached. Ask the database (not the device again:
 * a second connection attempt within a second only earns cppTango's
 * "connection request was delayed") what runs it. */
static int not_running(cli_diag *d, const char *device, const lrc_error *err)
{
    char server[256], desc[512];
    bool exported = false;
    if (!cli_db_device_info(device, server, sizeof server, &exported))
        return diag(d, CLI_EXIT_ERROR, "LRC_ENOTRUNNING", "%s is not running (%s)", device,
                    innermost_desc(err, desc, sizeof desc));
    if (!exported)
        return diag(d, CLI_EXIT_ERROR, "LRC_ENOTRUNNING",
                    "%s is not running: its server %s has not been started", device, server);
    return diag(d, CLI_EXIT_ERROR, "LRC_ENOTRUNNING",
                "%s is not running: its server %s is registered as running but does not accept "
                "connections (it may have crashed)",
                device, server);
}

bool cli_is_unreachable(const lrc_error *err)
{
    return cli_has_reason(err, "API_DeviceNotExported") ||
           cli_has_reason(err, "API_CantConnectToDevice") ||
           cli_has_reason(err, "API_ServerNotRunning");
}

int cli_report(lrc_proxy *p, const char *device, const char *command, int rc,
               const lrc_error *err, cli_diag *d)
{
    cli_diag local = {.silent = false};
    d = d ? d : &local;
    const char *msg = err ? lrc_error_message(err) : lrc_strerror(rc);
    char desc[512];
    if (rc == LRC_EREJECTED) /* "<command> command rejected: <reason>" */
        return diag(d, CLI_EXIT_REJECTED, "LRC_EREJECTED", "%s", msg);
    if (cli_is_unreachable(err))
        return not_running(d, device, err);
    if (cli_has_reason(err, "API_DeviceTimedOut"))
        return diag(d, CLI_EXIT_ERROR, "LRC_ENOANSWER", "%s does not answer: %s", device,
                    innermost_desc(err, desc, sizeof desc));
    if (rc != LRC_EPROTOCOL && not_lrc_capable(p))
        return diag(d, CLI_EXIT_ERROR, "LRC_ENOTLRC",
                    "%s is not LRC-capable: it has neither lrcProtocolVersions nor "
                    "longRunningCommandStatus",
                    device);
    if (cli_has_reason(err, "API_CommandNotFound"))
        return diag(d, CLI_EXIT_ERROR, "LRC_ENOCOMMAND", "%s: no command '%s'", device,
                    command ? command : "?");
    if (rc == LRC_EINVAL && command && !strstr(msg, "not a long running command"))
        return diag(d, CLI_EXIT_ERROR, "LRC_EBADARG", "%s: bad argument: %s", command, msg);
    if (rc == LRC_EPROTOCOL)
        return diag(d, CLI_EXIT_ERROR, "LRC_EPROTOCOL", "%s: %s", device, msg);
    if (rc == LRC_ETANGO && lrc_error_count(err) > 1) /* SKA_InvokeLrcFailed on top */
        return diag(d, CLI_EXIT_ERROR, "LRC_ETANGO", "%s: %s: %s", device, msg,
                    innermost_desc(err, desc, sizeof desc));
    return diag(d, CLI_EXIT_ERROR, cli_code_name(rc), "%s: %s", device, msg);
}

json_t *cli_diag_json(const cli_diag *d, const lrc_error *e)
{
    json_t *o = json_pack("{s:s, s:s}", "code", d->code, "message", d->message);
    if (e)
        json_object_set_new(o, "stack", cli_error_stack_json(e));
    return o;
}
