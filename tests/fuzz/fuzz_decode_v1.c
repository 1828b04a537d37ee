/* fuzz_decode_v1.c - the v1 decoders (longRunningCommandStatus, ...Progress
 * and ...Result: flat [ID, value, ID, value, ...] lists) on any string
 * spectrum. The first byte of the input picks the attribute; the rest,
 * one element a line, is decoded twice for ID "1_1_Echo" with the same
 * decoder state, as two events of one invocation (repeat suppression). */
#include "core/decode.h"
#include "fuzz_input.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const lrc_stream_kind kinds[] = {LRC_STREAM_V1_STATUS, LRC_STREAM_V1_PROGRESS,
                                            LRC_STREAM_V1_RESULT};
    if (size < 1)
        return 0;
    lrc_stream_kind kind = kinds[data[0] % 3];
    lrc_tg_value v;
    fuzz_lines(data + 1, size - 1, &v);
    lrc_decode_state st = {0};
    for (int round = 0; round < 2; round++) {
        lrc_decode_out out = {0};
        if (lrc_decode_value(kind, "1_1_Echo", &v, &st, &out) != LRC_OK)
            abort();
        if (out.n > LRC_DECODE_MAX_UPDATES || out.nlogs > LRC_DECODE_MAX_LOGS)
            abort();
        lrc_decode_out_clear(&out);
    }
    lrc_decode_state_clear(&st);
    lrc_tg_value_clear(&v);
    return 0;
}
