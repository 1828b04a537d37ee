/* fuzz_kit_args.c - the server kit's handling of a command's argument: the
 * Tango value a client sent, as the lrc_arg its task sees
 * (kit_arg_from_value; JSON arguments are parsed and refused when
 * invalid). The first byte picks the argument kind the command declared,
 * the rest is the value: its text (strings, JSON), its lines (string
 * arrays), or bytes read as numbers. The lrc_arg is then checked and
 * printed as a client would (lrc_arg_check, lrc_arg_repr). */
#include "core/arg_convert.h"
#include "fuzz_input.h"
#include "server/kit.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    lrc_arg_kind kind = (lrc_arg_kind)(data[0] % (LRC_ARG_JSON + 2)); /* one unknown */
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    lrc_tg_value v = {0};
    v.type = kit_arg_tango_type(kind);
    switch (v.type) {
    case LRC_TG_STRING: v.s = fuzz_str(p, n); break;
    case LRC_TG_STRING_ARRAY: fuzz_lines(p, n, &v); break;
    case LRC_TG_LONG64_ARRAY:
        v.ni = n / sizeof(int64_t);
        v.iv = malloc(v.ni * sizeof(int64_t) + 1);
        if (!v.iv)
            abort();
        memcpy(v.iv, p, v.ni * sizeof(int64_t));
        break;
    case LRC_TG_DOUBLE_ARRAY:
        v.nd = n / sizeof(double);
        v.dv = malloc(v.nd * sizeof(double) + 1);
        if (!v.dv)
            abort();
        memcpy(v.dv, p, v.nd * sizeof(double));
        break;
    default:
        memcpy(&v.i, p, n < sizeof v.i ? n : sizeof v.i);
        memcpy(&v.d, p, n < sizeof v.d ? n : sizeof v.d);
        break;
    }
    lrc_arg arg;
    lrc_error *err = NULL;
    if (kit_arg_from_value(kind, &v, &arg, &err) == LRC_OK) {
        if (lrc_arg_check(&arg, &err) != LRC_OK && kind != LRC_ARG_JSON)
            abort(); /* the kit hands its tasks only arguments a client could send */
        free(lrc_arg_repr(&arg));
    }
    lrc_error_free(err);
    lrc_tg_value_clear(&v);
    return 0;
}
