/* fuzz_arg_json.c - a client's JSON argument converted to a command's input
 * type (lrc_arg_check, lrc_arg_to_tango, lrc_arg_repr). The first byte of
 * the input picks the Tango type, the rest is the JSON text. */
#include "core/arg_convert.h"
#include "fuzz_input.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const lrc_tg_type types[] = {
        LRC_TG_VOID,          LRC_TG_BOOLEAN,          LRC_TG_SHORT,
        LRC_TG_LONG,          LRC_TG_FLOAT,            LRC_TG_DOUBLE,
        LRC_TG_USHORT,        LRC_TG_ULONG,            LRC_TG_STRING,
        LRC_TG_CHAR_ARRAY,    LRC_TG_SHORT_ARRAY,      LRC_TG_LONG_ARRAY,
        LRC_TG_FLOAT_ARRAY,   LRC_TG_DOUBLE_ARRAY,     LRC_TG_USHORT_ARRAY,
        LRC_TG_ULONG_ARRAY,   LRC_TG_STRING_ARRAY,     LRC_TG_LONG_STRING_ARRAY,
        LRC_TG_DOUBLE_STRING_ARRAY, LRC_TG_STATE,      LRC_TG_BOOLEAN_ARRAY,
        LRC_TG_UCHAR,         LRC_TG_LONG64,           LRC_TG_ULONG64,
        LRC_TG_LONG64_ARRAY,  LRC_TG_ULONG64_ARRAY,    LRC_TG_ENUM};
    if (size < 1)
        return 0;
    lrc_tg_type type = types[data[0] % (sizeof types / sizeof types[0])];
    char *text = fuzz_str(data + 1, size - 1);
    lrc_arg a = {.kind = LRC_ARG_JSON};
    a.u.s = text;
    lrc_error *err = NULL;
    if (lrc_arg_check(&a, &err) == LRC_OK) {
        lrc_tg_value v = {0};
        (void)lrc_arg_to_tango(&a, type, "Fuzz", &v, &err);
        lrc_tg_value_clear(&v);
    }
    lrc_error_free(err);
    free(lrc_arg_repr(&a));
    free(text);
    return 0;
}
