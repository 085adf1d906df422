/* fuzz_codec_decode.c: libFuzzer target feeding arbitrary bytes to the pipeline decoders. The first
 * byte picks a pipeline; decoding must return a status, never crash or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sr_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *pipes[] = {"quant8", "quant8+zrle+rans", "dct8+quant6+huffman", "klt+quant8+rans",
                                  "lloyd4+zrle+zstd", "mulaw6.pc+huffman", "raw", "inter(quant6+zrle+rans,key=3)"};
    if (size < 1)
        return 0;
    sr_codec *c;
    if (sr_codec_create(pipes[data[0] % 8], 4, 6, 10, &c, NULL, 0) != SR_OK)
        return 0;
    float y[4 * 6 * 10];
    (void)sr_codec_decode(c, data + 1, size - 1, y);
    (void)sr_codec_decode(c, data + 1, size - 1, y); /* second frame: exercises inter state */
    sr_codec_free(c);
    return 0;
}
