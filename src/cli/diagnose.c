/* diagnose.c - a failure as one line an operator understands at once, and
 * the exit status it maps to. The library's own message stays in the line:
 * it is exact; the words around it say what to do. */
#include "cli/cli.h"

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

static const char *tango_host(void)
{
    const char *h = getenv("TANGO_HOST");
    return h && *h ? h : NULL;
}

bool cli_check_tango_host(const char *device)
{
    if (is_full_name(device) || tango_host())
        return true;
    cli_error("TANGO_HOST is not set: no Tango database to find %s in", device);
    fprintf(stderr, "hint: set it to the database's host:port, e.g. export "
                    "TANGO_HOST=127.0.0.1:10000\n");
    return false;
}

/* The innermost Tango description, which usually says what happened. */
static const char *innermost_desc(const lrc_error *e)
{
    return lrc_error_count(e) ? lrc_error_at(e, 0)->desc : lrc_error_message(e);
}

static bool database_unreachable(const lrc_error *e)
{
    return cli_has_reason(e, "API_CantConnectToDatabase") ||
           cli_has_reason(e, "DB_CantConnectToDatabase") ||
           (cli_has_reason(e, "API_CorbaException") && !cli_has_reason(e, "API_DeviceNotExported") &&
            !cli_has_reason(e, "API_CantConnectToDevice") && !cli_has_reason(e, "API_CommandFailed"));
}

int cli_open(const char *device, lrc_proxy **out)
{
    *out = NULL;
    if (!cli_check_tango_host(device))
        return CLI_EXIT_ERROR;
    lrc_error *err = NULL;
    int rc = lrc_proxy_open(device, NULL, out, &err);
    if (rc == LRC_OK)
        return 0;
    const char *host = tango_host() ? tango_host() : "the given host";
    if (rc == LRC_ENOTFOUND)
        cli_error("%s: no such device in the Tango database at %s", device, host);
    else if (database_unreachable(err))
        cli_error("cannot reach the Tango database at %s (TANGO_HOST): %s", host,
                  innermost_desc(err));
    else
        cli_error("%s: %s", device, innermost_desc(err));
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

int cli_report(lrc_proxy *p, const char *device, const char *command, int rc,
               const lrc_error *err)
{
    const char *msg = err ? lrc_error_message(err) : lrc_strerror(rc);
    if (rc == LRC_EREJECTED) {
        cli_error("%s", msg); /* "<command> command rejected: <reason>" */
        return CLI_EXIT_REJECTED;
    }
    if (rc != LRC_EPROTOCOL && not_lrc_capable(p)) {
        cli_error("%s is not LRC-capable: it has neither lrcProtocolVersions nor "
                  "longRunningCommandStatus",
                  device);
        return CLI_EXIT_ERROR;
    }
    if (cli_has_reason(err, "API_CommandNotFound")) {
        cli_error("%s: no command '%s'", device, command ? command : "?");
    } else if (cli_has_reason(err, "API_DeviceNotExported")) {
        cli_error("%s is not running: its device server has not been started (or has not "
                  "registered since)",
                  device);
    } else if (cli_has_reason(err, "API_CantConnectToDevice") ||
               cli_has_reason(err, "API_DeviceTimedOut")) {
        cli_error("%s does not answer: %s", device, innermost_desc(err));
    } else if (rc == LRC_EINVAL && command && !strstr(msg, "not a long running command")) {
        cli_error("%s: bad argument: %s", command, msg);
    } else if (rc == LRC_ETANGO && lrc_error_count(err) > 1) {
        /* SKA_InvokeLrcFailed on top, what Tango said below it */
        cli_error("%s: %s: %s", device, msg, innermost_desc(err));
    } else {
        cli_error("%s: %s", device, msg);
    }
    return CLI_EXIT_ERROR;
}
