/* cmd_versions.c - `lrc versions DEVICE`: the LRC protocol versions the
 * device speaks and the one this client would use with it. */
#include "cli/cli.h"

static int run_versions(const cli_command *cmd, cli_options *o)
{
    (void)cmd;
    const char *device = o->pos[0];
    lrc_proxy *p = NULL;
    int code = cli_open(device, &p, NULL);
    if (code != 0)
        return code;
    lrc_protocol_info pi;
    lrc_protocol_info_init(&pi);
    lrc_error *err = NULL;
    int rc = lrc_proxy_protocol(p, &pi, &err);
    if (rc == LRC_OK || rc == LRC_EPROTOCOL) {
        if (o->json) {
            json_t *obj = json_pack("{s:s, s:i, s:b, s:I, s:I, s:i, s:i}", "device", device,
                                    "protocol", pi.version, "advertised", pi.advertised,
                                    "device_min", (json_int_t)pi.server_min, "device_max",
                                    (json_int_t)pi.server_max, "client_min", LRC_PROTOCOL_MIN,
                                    "client_max", LRC_PROTOCOL_MAX);
            if (rc != LRC_OK)
                json_object_set_new(obj, "protocol", json_null());
            cli_print_json_line(obj);
        } else if (rc == LRC_OK && pi.advertised) {
            printf("%s: LRC protocol %d (device %lld..%lld, this client %d..%d)\n", device,
                   pi.version, (long long)pi.server_min, (long long)pi.server_max,
                   LRC_PROTOCOL_MIN, LRC_PROTOCOL_MAX);
        } else if (rc == LRC_OK) {
            printf("%s: LRC protocol %d (device: no lrcProtocolVersions, 1 assumed; this client "
                   "%d..%d)\n",
                   device, pi.version, LRC_PROTOCOL_MIN, LRC_PROTOCOL_MAX);
        }
        if (rc != LRC_OK) {
            cli_error("%s: %s", device, lrc_error_message(err));
            code = CLI_EXIT_ERROR;
        }
    } else {
        code = cli_report(p, device, NULL, rc, err, NULL);
    }
    lrc_error_free(err);
    lrc_proxy_close(p);
    return code;
}

const cli_command cli_cmd_versions = {
    .name = "versions",
    .synopsis = "DEVICE [--json]",
    .summary = "show the LRC protocol versions of a device and the one used",
    .details = "Reads lrcProtocolVersions (a device without it is taken to speak v1 only, as\n"
               "ska-tango-base's client does) and negotiates with this client's range.\n"
               "No common version: exit 6.\n",
    .opts = CLI_OPT_JSON,
    .min_pos = 1,
    .max_pos = 1,
    .run = run_versions,
};
