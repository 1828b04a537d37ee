/* it_multi.c - several devices of one class in one server (it_multi.h). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "it_multi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lrc_tg_proxy *it_open_proxy(const char *dev)
{
    lrc_tg_proxy *p = NULL;
    lrc_error *err = NULL;
    if (lrc_tg_proxy_open(dev, 5000, &p, &err) != LRC_OK) {
        char *t = lrct_error_text(err);
        fail_msg("proxy %s: %s", dev, t);
    }
    return p;
}

/* "SUFFIX:Name=Value" -> "<device of SUFFIX>:Name=Value" (malloc'd). */
static char *device_prop(const it_multi *m, const char *const *suffixes, const char *prop)
{
    const char *colon = strchr(prop, ':');
    assert_non_null(colon);
    for (size_t i = 0; i < m->n; i++) {
        if (strlen(suffixes[i]) != (size_t)(colon - prop) ||
            strncmp(suffixes[i], prop, (size_t)(colon - prop)) != 0)
            continue;
        size_t l = strlen(m->dev[i]) + strlen(colon) + 1;
        char *s = malloc(l);
        assert_non_null(s);
        snprintf(s, l, "%s%s", m->dev[i], colon);
        return s;
    }
    fail_msg("property %s: no device has that suffix", prop);
    return NULL;
}

it_multi *it_multi_start(const char *tag, const char *const *suffixes,
                         const char *const *props)
{
    it_multi *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->instance = lrct_unique_name(tag);
    for (; suffixes[m->n]; m->n++) {
        assert_true(m->n < IT_MULTI_MAX);
        size_t l = strlen(m->instance) + strlen(suffixes[m->n]) + 32;
        m->dev[m->n] = malloc(l);
        assert_non_null(m->dev[m->n]);
        snprintf(m->dev[m->n], l, "test/lrcdemo/%s-%s", m->instance, suffixes[m->n]);
    }
    size_t np = 0;
    while (props && props[np])
        np++;
    char **full = calloc(np + 1, sizeof *full);
    assert_non_null(full);
    for (size_t k = 0; k < np; k++)
        full[k] = device_prop(m, suffixes, props[k]);
    const char *devs[IT_MULTI_MAX + 1] = {NULL};
    for (size_t i = 0; i < m->n; i++)
        devs[i] = m->dev[i];
    m->srv = it_server_start(m->instance, devs, (const char *const *)full);
    for (size_t k = 0; k < np; k++)
        free(full[k]);
    free(full);
    assert_non_null(m->srv);
    for (size_t i = 0; i < m->n; i++)
        m->p[i] = it_open_proxy(m->dev[i]);
    return m;
}

int it_multi_stop(it_multi *m)
{
    for (size_t i = 0; i < m->n; i++) {
        lrc_tg_proxy_close(m->p[i]);
        free(m->dev[i]);
    }
    int rc = lrct_server_stop(m->srv);
    free(m->instance);
    free(m);
    return rc;
}
