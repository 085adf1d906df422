/* sr_file.c: whole-file reads and XML/HTML escaping (see sr_file.h). */
#include "sr_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* reads f to its end, or until more than max bytes came (SR_ERR_UNSUPPORTED, errno EFBIG) */
static sr_status read_stream_max(FILE *f, size_t max, uint8_t **data, size_t *size)
{
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n > max) {
            free(buf);
            errno = EFBIG;
            return SR_ERR_UNSUPPORTED;
        }
        if (n + 1 >= cap) {
            size_t ncap = cap ? 2 * cap : (size_t)1 << 16;
            if (max < SIZE_MAX - 2 && ncap > max + 2) ncap = max + 2; /* room for one byte past max, and the NUL */
            uint8_t *p = realloc(buf, ncap);
            if (!p) {
                free(buf);
                return SR_ERR_NOMEM;
            }
            buf = p;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        return SR_ERR_IO;
    }
    if (n > max) {
        free(buf);
        errno = EFBIG;
        return SR_ERR_UNSUPPORTED;
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return SR_OK;
}

sr_status sr_file_read_stream(FILE *f, uint8_t **data, size_t *size)
{
    return read_stream_max(f, SIZE_MAX - 2, data, size);
}

int sr_file_is_regular(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

sr_status sr_file_read_max(const char *path, size_t max, uint8_t **data, size_t *size)
{
    struct stat sb;
    if (!path) {
        errno = EINVAL;
        return SR_ERR_INVALID;
    }
    if (stat(path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode)) {
            errno = EINVAL;
            return SR_ERR_INVALID;
        }
        if ((uintmax_t)sb.st_size > (uintmax_t)max) {
            errno = EFBIG;
            return SR_ERR_UNSUPPORTED;
        }
    }
    FILE *f = fopen(path, "rb");
    if (!f) return SR_ERR_IO;
    sr_status st = read_stream_max(f, max, data, size);
    int saved = errno;
    fclose(f);
    errno = saved;
    return st;
}

char *sr_path_beside(const char *dir, const char *path)
{
    if (path[0] == '/') return strdup(path);
    while (path[0] == '.' && path[1] == '/' && path[2]) {
        path += 2;
        while (*path == '/')
            path++;
    }
    if (!*dir || !strcmp(dir, ".")) return strdup(path);
    size_t ld = strlen(dir);
    while (ld > 1 && dir[ld - 1] == '/') /* "a/" or "/": one separator */
        ld--;
    size_t n = ld + 1 + strlen(path) + 1;
    char *full = malloc(n);
    if (full) snprintf(full, n, "%.*s%s%s", (int)ld, dir, dir[ld - 1] == '/' ? "" : "/", path);
    return full;
}

sr_status sr_file_read(const char *path, uint8_t **data, size_t *size)
{
    return sr_file_read_max(path, SIZE_MAX - 2, data, size);
}

/* a byte count in words: "64 MiB", "2 GiB", "1.5 KiB", "100 bytes" */
static void size_words(uint64_t b, char *buf, size_t n)
{
    static const char *unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, u++;
    if (u == 0)
        snprintf(buf, n, "%llu bytes", (unsigned long long)b);
    else if (v == (double)(uint64_t)v)
        snprintf(buf, n, "%llu %s", (unsigned long long)v, unit[u]);
    else
        snprintf(buf, n, "%.1f %s", v, unit[u]);
}

const char *sr_file_read_why(sr_status st, int e, size_t max, const char *what, char *buf, size_t n)
{
    char lim[32];
    size_words(max, lim, sizeof lim);
    if (st == SR_ERR_INVALID)
        snprintf(buf, n, "not a regular file (a device, FIFO or directory is not %s)", what);
    else if (st == SR_ERR_UNSUPPORTED)
        snprintf(buf, n, "larger than the %s simrun reads as %s", lim, what);
    else if (st == SR_ERR_NOMEM)
        snprintf(buf, n, "out of memory reading it");
    else
        snprintf(buf, n, "%s", strerror(e ? e : EIO));
    return buf;
}

void sr_fputs_xml_escaped(const char *s, FILE *f)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

void sr_fputs_json_string(const char *s, FILE *f)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

size_t sr_yaml_text_first_invalid(const char *text, size_t len, int *line, int *col)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t i = 0;
    int comment = 0; /* in a comment ('#' at a line start or after a blank) until the line ends */
    while (i < len) {
        unsigned c = t[i];
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) break; /* not c-printable */
        if (c == '\n') comment = 0;
        if (c == '#' && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n')) comment = 1;
        /* a tab outside a comment: libfyaml 0.7.12 dereferences NULL cleaning up after a parse error it makes in
         * its indentation ("? a:\t- b", "? a:\t:", a key and tabs before "::"; fuzz_profile found four) */
        if (c == '\t' && !comment) break;
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || i + n > len || (n == 2 && c < 0xC2)) break;
        unsigned cp = n == 1 ? c : c & (0x7Fu >> n);
        size_t k = 1;
        for (; k < n && (t[i + k] & 0xC0) == 0x80; k++)
            cp = (cp << 6) | (t[i + k] & 0x3F);
        if (k < n || (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            break;
        i += n;
    }
    int ln = 1, cl = 1;
    for (size_t j = 0; j < i; j++) {
        if (t[j] == '\n')
            ln++, cl = 1;
        else if ((t[j] & 0xC0) != 0x80)
            cl++;
    }
    if (line) *line = ln;
    if (col) *col = cl;
    return i;
}
