/* fuzz_decode_v2.c - the v2 event decoder (_lrcEvent: [command ID, JSON
 * object]) on any string spectrum: one element a line of the input. The
 * ID followed is "1_1_Echo", the one of the seeds; other IDs are decoded
 * to nothing, which must hold too. */
#include "core/decode.h"
#include "fuzz_input.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lrc_tg_value v;
    fuzz_lines(data, size, &v);
    lrc_decode_out out = {0};
    if (lrc_decode_value(LRC_STREAM_LRC_EVENT, "1_1_Echo", &v, NULL, &out) != LRC_OK)
        abort(); /* only out of memory may fail */
    if (out.n > LRC_DECODE_MAX_UPDATES || out.nlogs > LRC_DECODE_MAX_LOGS)
        abort();
    (void)lrc_decode_out_only_progress(&out);
    lrc_decode_out_clear(&out);
    lrc_tg_value_clear(&v);
    return 0;
}
