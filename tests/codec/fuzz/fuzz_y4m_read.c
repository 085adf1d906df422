/* fuzz_y4m_read.c: libFuzzer target feeding arbitrary bytes to the YUV4MPEG2 reader as a file: header
 * parsing, then every frame. Errors must come back as statuses, never as crashes or overreads. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "y4m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/sr-fuzz-y4m-%d.y4m", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    sr_y4m_reader *r = NULL;
    char err[256];
    if (sr_y4m_reader_open(path, &r, err, sizeof err) == SR_OK) {
        size_t frame = sr_y4m_frame_bytes(sr_y4m_reader_info(r));
        /* the reader validated the header; refuse absurd frames rather than allocate them */
        uint8_t *planes = frame > 0 && frame <= ((size_t)64 << 20) ? malloc(frame) : NULL;
        int eof = 0;
        for (int k = 0; planes && k < 8 && !eof; k++)
            if (sr_y4m_read_frame(r, planes, &eof, err, sizeof err) != SR_OK) break;
        free(planes);
        sr_y4m_reader_free(r);
    }
    unlink(path);
    return 0;
}
