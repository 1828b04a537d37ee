/* dbinfo.c - what the Tango database knows about a device: its server and
 * whether the server exported it. Used to say "X is not running (server
 * S)" in one line instead of cppTango's connection errors. The database is
 * a Tango device itself (sys/database/2, DbImportDevice), so the public
 * plain-command call of the library is enough. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

bool cli_db_device_info(const char *device, char *server, size_t n, bool *exported)
{
    if (strncmp(device, "tango://", 8) == 0)
        return false; /* another database: not worth a second guess */
    lrc_proxy *db = NULL;
    if (lrc_proxy_open("sys/database/2", NULL, &db, NULL) != LRC_OK)
        return false;
    lrc_arg arg = lrc_arg_string(device);
    char *reply = NULL;
    bool ok = false;
    if (lrc_proxy_command(db, "DbImportDevice", &arg, &reply, NULL) == LRC_OK) {
        /* [[exported, pid], [name, ior, version, server, host, class]] */
        json_t *v = json_loads(reply, 0, NULL);
        json_t *codes = json_array_get(v, 0), *strs = json_array_get(v, 1);
        const char *srv = json_string_value(json_array_get(strs, 3));
        if (srv && json_is_integer(json_array_get(codes, 0))) {
            snprintf(server, n, "%s", srv);
            *exported = json_integer_value(json_array_get(codes, 0)) != 0;
            ok = true;
        }
        json_decref(v);
    }
    free(reply);
    lrc_proxy_close(db);
    return ok;
}
