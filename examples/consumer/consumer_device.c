/*
 * consumer-device: a tiny LRC device server outside the tango-lrc source
 * tree, built against the INSTALLED server kit (lrc::server or pkg-config
 * lrc-server): it uses only <lrc/server.h>.
 *
 *   consumer-device INSTANCE     class LrcConsumer, devices from the database
 *
 * One long running command, Echo(DevString), which completes at once with
 * [0, "consumer-device: <argument>"].
 */
#include <lrc/server.h>

#include <stdio.h>
#include <stdlib.h>

static lrc_status echo(lrc_task *t, const lrc_arg *arg, void *user)
{
    (void)user;
    char msg[512];
    snprintf(msg, sizeof msg, "consumer-device: %s", arg->u.s);
    lrc_task_set_result_code(t, LRC_RESULT_OK, msg);
    return LRC_STATUS_COMPLETED;
}

static int init(lrc_device *dev, void *user, lrc_error **err)
{
    (void)user;
    lrc_command_def def = lrc_command_def_init("Echo", LRC_ARG_STRING, echo, NULL);
    return lrc_device_add_command(dev, &def, err);
}

int main(int argc, char **argv)
{
    lrc_server_config cfg = lrc_server_config_init("LrcConsumer", init, NULL);
    return lrc_server_main(argc, argv, &cfg);
}
