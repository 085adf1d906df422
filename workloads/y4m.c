/* y4m.c: YUV4MPEG2 reader and writer (see y4m.h). */
#include "y4m.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 1024
#define MAX_SIDE 16384

struct sr_y4m_writer {
    FILE *f;
    sr_y4m_info info;
    int failed;
};

struct sr_y4m_reader {
    FILE *f;
    char *path;
    sr_y4m_info info;
    long frame;
};

size_t sr_y4m_frame_bytes(const sr_y4m_info *i)
{
    size_t luma = (size_t)i->width * (size_t)i->height;
    if (i->chroma == SR_Y4M_444) return 3 * luma;
    return luma + 2 * (size_t)((i->width + 1) / 2) * (size_t)((i->height + 1) / 2);
}

static int parse_pos_int(const char *s, const char **end, long *v)
{
    if (*s < '0' || *s > '9') return 0;
    char *e;
    errno = 0;
    long x = strtol(s, &e, 10);
    if (errno || x <= 0) return 0;
    *v = x;
    *end = e;
    return 1;
}

sr_status sr_y4m_parse_header(const char *line, sr_y4m_info *info, char *err, size_t err_size)
{
    if (strncmp(line, "YUV4MPEG2", 9) != 0 || (line[9] != ' ' && line[9] != '\n' && line[9] != '\0')) {
        sr_errf(err, err_size, "y4m: header does not start with 'YUV4MPEG2 '");
        return SR_ERR_PARSE;
    }
    sr_y4m_info in = {0, 0, 0, 0, SR_Y4M_420};
    const char *s = line + 9;
    while (*s == ' ')
        s++;
    while (*s && *s != '\n') {
        const char *tok = s, *e = s;
        while (*e && *e != ' ' && *e != '\n')
            e++;
        int len = (int)(e - tok);
        long a, b;
        const char *p;
        switch (*tok) {
        case 'W':
        case 'H':
            if (!parse_pos_int(tok + 1, &p, &a) || p != e || a > MAX_SIDE) {
                sr_errf(err, err_size, "y4m: bad size token '%.*s' (expected %c<1..%d>)", len, tok, *tok,
                        MAX_SIDE);
                return SR_ERR_PARSE;
            }
            if (*tok == 'W')
                in.width = (int)a;
            else
                in.height = (int)a;
            break;
        case 'F':
        case 'A':
            if (!parse_pos_int(tok + 1, &p, &a) || *p != ':' || !parse_pos_int(p + 1, &p, &b) || p != e ||
                a > 1000000000L || b > 1000000000L) {
                if (*tok == 'A' && len == 4 && strncmp(tok, "A0:0", 4) == 0) break; /* unknown aspect ratio */
                sr_errf(err, err_size, "y4m: bad ratio token '%.*s' (expected %c<num>:<den>)", len, tok,
                        *tok);
                return SR_ERR_PARSE;
            }
            if (*tok == 'F') in.fps_num = (int)a, in.fps_den = (int)b;
            break;
        case 'I':
            if (len != 2 || (tok[1] != 'p' && tok[1] != '?')) {
                sr_errf(err, err_size, "y4m: interlacing '%.*s' not supported (only Ip)", len, tok);
                return SR_ERR_UNSUPPORTED;
            }
            break;
        case 'C':
            if ((len == 8 && !strncmp(tok, "C420jpeg", 8)) || (len == 4 && !strncmp(tok, "C420", 4)) ||
                (len == 9 && !strncmp(tok, "C420mpeg2", 9)) || (len == 9 && !strncmp(tok, "C420paldv", 9)))
                in.chroma = SR_Y4M_420;
            else if (len == 4 && !strncmp(tok, "C444", 4))
                in.chroma = SR_Y4M_444;
            else {
                sr_errf(err, err_size, "y4m: colour space '%.*s' not supported (C420jpeg, C420, C444)", len,
                        tok);
                return SR_ERR_UNSUPPORTED;
            }
            break;
        case 'X':
            break;
        default:
            sr_errf(err, err_size, "y4m: unknown header token '%.*s'", len, tok);
            return SR_ERR_PARSE;
        }
        s = e;
        while (*s == ' ')
            s++;
    }
    if (!in.width || !in.height || !in.fps_num) {
        sr_errf(err, err_size, "y4m: header lacks %s",
                !in.width    ? "W<width>"
                : !in.height ? "H<height>"
                             : "F<n>:<d>");
        return SR_ERR_PARSE;
    }
    *info = in;
    return SR_OK;
}

sr_status sr_y4m_writer_open(const char *path, const sr_y4m_info *info, sr_y4m_writer **out, char *err,
                             size_t err_size)
{
    *out = NULL;
    if (!info || info->width < 1 || info->height < 1 || info->width > MAX_SIDE || info->height > MAX_SIDE ||
        info->fps_num < 1 || info->fps_den < 1) {
        sr_errf(err, err_size, "y4m: invalid stream parameters");
        return SR_ERR_INVALID;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        sr_errf(err, err_size, "y4m: cannot create '%s': %s", path, strerror(errno));
        return SR_ERR_IO;
    }
    sr_y4m_writer *w = calloc(1, sizeof *w);
    if (!w) {
        fclose(f);
        return SR_ERR_NOMEM;
    }
    w->f = f;
    w->info = *info;
    if (fprintf(f, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 %s\n", info->width, info->height, info->fps_num,
                info->fps_den, info->chroma == SR_Y4M_444 ? "C444" : "C420jpeg") < 0)
        w->failed = 1;
    *out = w;
    return SR_OK;
}

sr_status sr_y4m_write_frame(sr_y4m_writer *w, const uint8_t *planes)
{
    size_t n = sr_y4m_frame_bytes(&w->info);
    if (fputs("FRAME\n", w->f) < 0 || fwrite(planes, 1, n, w->f) != n) {
        w->failed = 1;
        return SR_ERR_IO;
    }
    return SR_OK;
}

sr_status sr_y4m_writer_close(sr_y4m_writer *w)
{
    if (!w) return SR_OK;
    int bad = w->failed;
    if (fclose(w->f) != 0) bad = 1;
    free(w);
    return bad ? SR_ERR_IO : SR_OK;
}

/* Reads one line (without '\n') of at most MAX_LINE-1 chars. 0 ok, 1 EOF before any char, -1 too long
 * or EOF inside the line. */
static int read_line(FILE *f, char *buf)
{
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF) {
        if (ch == '\n') {
            buf[n] = '\0';
            return 0;
        }
        if (n >= MAX_LINE - 1 || ch == '\0') return -1;
        buf[n++] = (char)ch;
    }
    buf[n] = '\0';
    return n == 0 ? 1 : -1;
}

sr_status sr_y4m_reader_open(const char *path, sr_y4m_reader **out, char *err, size_t err_size)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        sr_errf(err, err_size, "y4m: cannot open '%s': %s", path, strerror(errno));
        return SR_ERR_IO;
    }
    char line[MAX_LINE];
    if (read_line(f, line) != 0) {
        fclose(f);
        sr_errf(err, err_size, "y4m: '%s': missing or overlong header line", path);
        return SR_ERR_PARSE;
    }
    sr_y4m_info info;
    char msg[256];
    sr_status st = sr_y4m_parse_header(line, &info, msg, sizeof msg);
    if (st) {
        fclose(f);
        sr_errf(err, err_size, "%s: %s", path, msg);
        return st;
    }
    sr_y4m_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        fclose(f);
        return SR_ERR_NOMEM;
    }
    r->f = f;
    r->info = info;
    *out = r;
    return SR_OK;
}

const sr_y4m_info *sr_y4m_reader_info(const sr_y4m_reader *r)
{
    return &r->info;
}

sr_status sr_y4m_read_frame(sr_y4m_reader *r, uint8_t *planes, int *eof, char *err, size_t err_size)
{
    *eof = 0;
    char line[MAX_LINE];
    int rc = read_line(r->f, line);
    if (rc == 1) {
        *eof = 1;
        return SR_OK;
    }
    if (rc != 0 || strncmp(line, "FRAME", 5) != 0 || (line[5] != '\0' && line[5] != ' ')) {
        sr_errf(err, err_size, "%s: frame %ld: expected a 'FRAME' line", r->path, r->frame);
        return SR_ERR_PARSE;
    }
    size_t n = sr_y4m_frame_bytes(&r->info);
    if (fread(planes, 1, n, r->f) != n) {
        sr_errf(err, err_size, "%s: frame %ld: truncated (%zu bytes expected)", r->path, r->frame, n);
        return SR_ERR_PARSE;
    }
    r->frame++;
    return SR_OK;
}

void sr_y4m_reader_free(sr_y4m_reader *r)
{
    if (!r) return;
    fclose(r->f);
    free(r->path);
    free(r);
}
