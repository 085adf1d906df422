/* fuzz_jpeg_decode.c: libFuzzer target feeding arbitrary bytes to the JPEG frame decoder (libjpeg-turbo
 * behind sr_jpeg_decode). It must return a status, never crash, abort or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sr_framecodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    if (sr_jpeg_decode(data, size, &rgb, &w, &h) == SR_OK) free(rgb);
    return 0;
}
