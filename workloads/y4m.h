/* y4m.h: YUV4MPEG2 (.y4m) reader and writer, 8-bit planar 4:2:0 (C420jpeg, C420, C420paldv, C420mpeg2
 * are read as 4:2:0; C420jpeg is written) and 4:4:4 (C444).
 *
 * A frame buffer holds the Y, U and V planes back to back (sr_y4m_frame_bytes() bytes); 4:2:0 chroma
 * planes are ceil(w/2) x ceil(h/2). Malformed headers give SR_ERR_PARSE with a message naming the
 * offending token; unsupported variants (interlaced, 4:2:2, mono, alpha, >8 bit) give
 * SR_ERR_UNSUPPORTED. */
#ifndef SR_Y4M_H
#define SR_Y4M_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

typedef enum { SR_Y4M_420, SR_Y4M_444 } sr_y4m_chroma;

typedef struct {
    int width, height;
    int fps_num, fps_den;
    sr_y4m_chroma chroma;
} sr_y4m_info;

size_t sr_y4m_frame_bytes(const sr_y4m_info *info);

/* Parses a stream header line (without or with its trailing '\n'). */
sr_status sr_y4m_parse_header(const char *line, sr_y4m_info *info, char *err, size_t err_size);

typedef struct sr_y4m_writer sr_y4m_writer;
typedef struct sr_y4m_reader sr_y4m_reader;

sr_status sr_y4m_writer_open(const char *path, const sr_y4m_info *info, sr_y4m_writer **out, char *err,
                             size_t err_size);
/* planes: sr_y4m_frame_bytes() bytes, borrowed. */
sr_status sr_y4m_write_frame(sr_y4m_writer *w, const uint8_t *planes);
/* Flushes, closes and frees (NULL is a no-op); SR_ERR_IO if anything failed to reach the file. */
sr_status sr_y4m_writer_close(sr_y4m_writer *w);

sr_status sr_y4m_reader_open(const char *path, sr_y4m_reader **out, char *err, size_t err_size);
const sr_y4m_info *sr_y4m_reader_info(const sr_y4m_reader *r);
/* Reads the next frame into planes; *eof = 1 (and SR_OK) at a clean end of file. A truncated frame or
 * a bad FRAME marker gives SR_ERR_PARSE with a message. */
sr_status sr_y4m_read_frame(sr_y4m_reader *r, uint8_t *planes, int *eof, char *err, size_t err_size);
void sr_y4m_reader_free(sr_y4m_reader *r); /* NULL is a no-op */

#endif
