/* list_commands.c - reading what a device's commands are doing:
 * lrc_proxy_list_commands (lrcQueue / lrcExecuting / lrcFinished, or the v1
 * lists of a pre-1.2 device) and the result a finished command left on the
 * device (for recover.c). The parsing is command_list.c's. */
#include "core/client_internal.h"
#include "core/command_list.h"
#include "core/error_build.h"
#include "core/json_text.h"

#include <stdlib.h>
#include <string.h>

/* Reads one list attribute of `src` and adds its items to l. */
static int read_items(lrc_proxy *p, const char *attr, lrc_command_source src,
                      lrc_command_list *l, lrc_error **err)
{
    lrc_tg_value v = {0};
    int rc = p->t->ops->read_attribute(p->conn, attr, &v, err);
    if (rc != LRC_OK)
        return rc;
    if (v.type != LRC_TG_STRING_ARRAY || (v.ns && !v.sv))
        rc = lrc_command_list_add_malformed(
            l, lrc_asprintf("%s is a %s, not a list of strings", attr, lrc_tg_type_name(v.type)));
    for (size_t i = 0; rc == LRC_OK && v.type == LRC_TG_STRING_ARRAY && i < v.ns; i++)
        rc = lrc_command_list_add_item(l, src, i, v.sv[i]);
    lrc_tg_value_clear(&v);
    return rc == LRC_ENOMEM ? lrc_fail(err, rc, "out of memory") : rc;
}

/* The three v1 lists, read in the order the device pushes them (result,
 * progress, status), so the status is at least as new as the rest. */
static int read_v1(lrc_proxy *p, lrc_command_list *l, lrc_error **err)
{
    static const char *const attrs[] = {"longRunningCommandResult", "longRunningCommandProgress",
                                        "longRunningCommandStatus"};
    lrc_tg_value v[3] = {{0}};
    int rc = LRC_OK;
    for (size_t i = 0; i < 3 && rc == LRC_OK; i++)
        rc = p->t->ops->read_attribute(p->conn, attrs[i], &v[i], err);
    if (rc == LRC_OK && (rc = lrc_command_list_add_v1(l, &v[2], &v[1], &v[0])) != LRC_OK)
        rc = lrc_fail(err, rc, "out of memory");
    for (size_t i = 0; i < 3; i++)
        lrc_tg_value_clear(&v[i]);
    return rc;
}

int lrc_proxy_list_commands(lrc_proxy *p, lrc_command_list **out, lrc_error **err)
{
    if (out)
        *out = NULL;
    if (!p || !out)
        return lrc_fail(err, LRC_EINVAL, "lrc_proxy_list_commands: NULL %s",
                        !p ? "proxy" : "output");
    static const char *const names[] = {"lrcFinished", "longRunningCommandStatus"};
    bool has[2];
    int rc = lrc_proxy_has_attributes(p, names, 2, has, err);
    if (rc != LRC_OK)
        return rc;
    bool v2 = has[0];
    if (!v2 && !has[1])
        return lrc_fail(err, LRC_ENOTFOUND,
                        "%s lists no commands: it has neither lrcFinished nor "
                        "longRunningCommandStatus",
                        p->name);

    lrc_command_list *l = lrc_command_list_new();
    if (!l)
        return lrc_fail(err, LRC_ENOMEM, "out of memory");
    if (v2) {
        /* In the order a command moves through them: one that moves on
         * between two reads is seen twice (finish keeps its later state),
         * never missed. */
        rc = read_items(p, "lrcQueue", LRC_SOURCE_QUEUE, l, err);
        if (rc == LRC_OK)
            rc = read_items(p, "lrcExecuting", LRC_SOURCE_EXECUTING, l, err);
        if (rc == LRC_OK)
            rc = read_items(p, "lrcFinished", LRC_SOURCE_FINISHED, l, err);
    } else {
        rc = read_v1(p, l, err);
    }
    if (rc != LRC_OK) {
        lrc_command_list_free(l);
        return rc;
    }
    lrc_command_list_finish(l);
    *out = l;
    return LRC_OK;
}

/* The result JSON text of id in lrcFinished, or NULL. */
static char *finished_result(lrc_proxy *p, const char *id)
{
    lrc_command_list *l = lrc_command_list_new();
    const lrc_command_info *c = NULL;
    if (l && read_items(p, "lrcFinished", LRC_SOURCE_FINISHED, l, NULL) == LRC_OK)
        c = lrc_command_list_find(l, id);
    char *text = c && c->result_json ? strdup(c->result_json) : NULL;
    lrc_command_list_free(l);
    return text;
}

bool lrc_command_result(lrc_proxy *p, const char *id, int version, lrc_decoded *d)
{
    json_t *result = NULL;
    if (version == 2) {
        char *text = finished_result(p, id);
        if (text && lrc_json_parse(text, &result) != LRC_OK)
            result = NULL;
        free(text);
    } else {
        lrc_tg_value v = {0};
        if (p->t->ops->read_attribute(p->conn, "longRunningCommandResult", &v, NULL) == LRC_OK &&
            lrc_v1_result_of(&v, id, &result) != LRC_OK)
            result = NULL;
        lrc_tg_value_clear(&v);
    }
    bool ok = result && lrc_decoded_set_result(d, result) == LRC_OK;
    json_decref(result);
    return ok;
}

bool lrc_command_finished(lrc_proxy *p, const char *id, lrc_decoded *d)
{
    lrc_command_list *l = lrc_command_list_new();
    const lrc_command_info *c = NULL;
    if (l && read_items(p, "lrcFinished", LRC_SOURCE_FINISHED, l, NULL) == LRC_OK)
        c = lrc_command_list_find(l, id);
    bool ok = c && lrc_status_is_terminal(c->status);
    json_t *result = NULL;
    if (ok) {
        d->has |= LRC_HAS_STATUS;
        d->status = c->status;
        if (c->result_json && lrc_json_parse(c->result_json, &result) == LRC_OK)
            (void)lrc_decoded_set_result(d, result); /* without memory: the status alone */
    }
    json_decref(result);
    lrc_command_list_free(l);
    return ok;
}
