/*
 * lrc/arg.h - a command argument: a small tagged value.
 *
 * Used by the client (the argument of lrc_invoke) and by the server kit (the
 * argument a task receives). An lrc_arg only BORROWS what it points to: the
 * strings and arrays must stay valid while the lrc_arg is in use.
 * "No argument" (LRC_ARG_NONE) and a falsy argument (0, "", false) are
 * different things.
 *
 * Text is UTF-8 (strings, string arrays, JSON text). On the wire Tango
 * carries it as Latin-1: the library converts both ways, and a client
 * argument holding a character Latin-1 cannot hold (above U+00FF) is
 * LRC_EINVAL before anything is sent. A task's string argument arrives as
 * UTF-8 too (docs/protocol.md section 8).
 */
#ifndef LRC_ARG_H
#define LRC_ARG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lrc_arg_kind {
    LRC_ARG_NONE = 0,     /* no argument (DevVoid)                              */
    LRC_ARG_BOOL,         /* DevBoolean                                         */
    LRC_ARG_LONG,         /* an integer (DevShort/DevLong/DevLong64/unsigned)    */
    LRC_ARG_DOUBLE,       /* DevFloat / DevDouble                               */
    LRC_ARG_STRING,       /* DevString                                          */
    LRC_ARG_LONG_ARRAY,   /* integer arrays                                     */
    LRC_ARG_DOUBLE_ARRAY, /* DevVarFloatArray / DevVarDoubleArray               */
    LRC_ARG_STRING_ARRAY, /* DevVarStringArray                                  */
    LRC_ARG_JSON          /* JSON text, converted by the command's input type   */
} lrc_arg_kind;

typedef struct lrc_arg {
    lrc_arg_kind kind;
    union {
        bool b;
        int64_t l;
        double d;
        const char *s; /* STRING and JSON */
        struct {
            const int64_t *v;
            size_t n;
        } la;
        struct {
            const double *v;
            size_t n;
        } da;
        struct {
            const char *const *v;
            size_t n;
        } sa;
    } u;
} lrc_arg;

/* No argument: for a DevVoid command (not the same as a falsy argument). */
static inline lrc_arg lrc_arg_none(void)
{
    lrc_arg a = {LRC_ARG_NONE, {0}};
    return a;
}
/* A boolean (DevBoolean). */
static inline lrc_arg lrc_arg_bool(bool v)
{
    lrc_arg a = {LRC_ARG_BOOL, {0}};
    a.u.b = v;
    return a;
}
/* An integer, for any integer input type that can hold it. */
static inline lrc_arg lrc_arg_long(int64_t v)
{
    lrc_arg a = {LRC_ARG_LONG, {0}};
    a.u.l = v;
    return a;
}
/* A floating-point number (DevDouble, DevFloat). */
static inline lrc_arg lrc_arg_double(double v)
{
    lrc_arg a = {LRC_ARG_DOUBLE, {0}};
    a.u.d = v;
    return a;
}
/* A string (DevString); borrows v. */
static inline lrc_arg lrc_arg_string(const char *v)
{
    lrc_arg a = {LRC_ARG_STRING, {0}};
    a.u.s = v;
    return a;
}
/* JSON text, converted by the command's declared input type; borrows it. */
static inline lrc_arg lrc_arg_json(const char *json_text)
{
    lrc_arg a = {LRC_ARG_JSON, {0}};
    a.u.s = json_text;
    return a;
}
/* An array of n integers; borrows v. */
static inline lrc_arg lrc_arg_long_array(const int64_t *v, size_t n)
{
    lrc_arg a = {LRC_ARG_LONG_ARRAY, {0}};
    a.u.la.v = v;
    a.u.la.n = n;
    return a;
}
/* An array of n doubles; borrows v. */
static inline lrc_arg lrc_arg_double_array(const double *v, size_t n)
{
    lrc_arg a = {LRC_ARG_DOUBLE_ARRAY, {0}};
    a.u.da.v = v;
    a.u.da.n = n;
    return a;
}
/* An array of n strings; borrows v and the strings. */
static inline lrc_arg lrc_arg_string_array(const char *const *v, size_t n)
{
    lrc_arg a = {LRC_ARG_STRING_ARRAY, {0}};
    a.u.sa.v = v;
    a.u.sa.n = n;
    return a;
}

/* The argument as JSON text (null for NONE, numbers, strings, arrays; the
 * text itself for JSON after validating it). Returns a malloc'd string the
 * caller frees, or NULL if out of memory, or the JSON text is invalid, or a
 * double is not finite (JSON has no NaN). */
char *lrc_arg_to_json(const lrc_arg *a);

#ifdef __cplusplus
}
#endif

#endif /* LRC_ARG_H */
