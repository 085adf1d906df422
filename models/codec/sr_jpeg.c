/* sr_jpeg.c: JPEG encode/decode through libjpeg(-turbo) with in-memory buffers (see sr_framecodec.h).
 *
 * libjpeg reports fatal errors through error_exit; we longjmp back and return a status instead of
 * letting it exit the process. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

#include "sr_framecodec.h"

#define MAX_SIDE 16384

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
} err_mgr;

static void on_error(j_common_ptr cinfo)
{
    err_mgr *e = (err_mgr *)cinfo->err;
    longjmp(e->jb, 1);
}

static void no_message(j_common_ptr cinfo) { (void)cinfo; }

sr_status sr_jpeg_encode(const uint8_t *rgb, int w, int h, int quality, uint8_t **bytes, size_t *n_bytes)
{
    *bytes = NULL;
    *n_bytes = 0;
    if (!rgb || w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE || quality < 1 || quality > 100)
        return SR_ERR_INVALID;
    struct jpeg_compress_struct ci;
    err_mgr em;
    unsigned char *volatile buf = NULL;
    unsigned long size = 0;
    ci.err = jpeg_std_error(&em.pub);
    em.pub.error_exit = on_error;
    em.pub.output_message = no_message;
    if (setjmp(em.jb)) {
        jpeg_destroy_compress(&ci);
        free(buf);
        return SR_ERR_INVALID;
    }
    jpeg_create_compress(&ci);
    unsigned char *b = NULL;
    jpeg_mem_dest(&ci, &b, &size);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)ci.next_scanline * (size_t)w * 3);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    buf = b;
    jpeg_destroy_compress(&ci);
    *bytes = buf;
    *n_bytes = size;
    return SR_OK;
}

sr_status sr_jpeg_decode(const uint8_t *bytes, size_t n_bytes, uint8_t **rgb, int *w, int *h)
{
    *rgb = NULL;
    if (!bytes || n_bytes == 0 || n_bytes > (size_t)1 << 31)
        return SR_ERR_CORRUPT;
    struct jpeg_decompress_struct ci;
    err_mgr em;
    uint8_t *volatile out = NULL;
    ci.err = jpeg_std_error(&em.pub);
    em.pub.error_exit = on_error;
    em.pub.output_message = no_message;
    if (setjmp(em.jb)) {
        jpeg_destroy_decompress(&ci);
        free(out);
        return SR_ERR_CORRUPT;
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, bytes, (unsigned long)n_bytes);
    if (jpeg_read_header(&ci, TRUE) != JPEG_HEADER_OK || ci.image_width > MAX_SIDE || ci.image_height > MAX_SIDE) {
        jpeg_destroy_decompress(&ci);
        return SR_ERR_CORRUPT;
    }
    ci.out_color_space = JCS_RGB;
    jpeg_start_decompress(&ci);
    size_t stride = (size_t)ci.output_width * 3;
    out = malloc(stride * ci.output_height);
    if (!out) {
        jpeg_destroy_decompress(&ci);
        return SR_ERR_NOMEM;
    }
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW row = (JSAMPROW)(out + (size_t)ci.output_scanline * stride);
        jpeg_read_scanlines(&ci, &row, 1);
    }
    jpeg_finish_decompress(&ci);
    *w = (int)ci.output_width;
    *h = (int)ci.output_height;
    jpeg_destroy_decompress(&ci);
    *rgb = out;
    return SR_OK;
}
