/* sr_file.h: small file helpers shared by the importers, the config parser and the report writers. */
#ifndef SR_FILE_H
#define SR_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sr_status.h"

/* Reads the rest of f into a new buffer (*data, caller frees), NUL-terminated one byte past *size so
 * text callers can use it as a string. SR_ERR_IO on a read error, SR_ERR_NOMEM. f stays open. */
sr_status sr_file_read_stream(FILE *f, uint8_t **data, size_t *size);
/* Same for the file at path (SR_ERR_IO when it cannot be opened: errno tells why; SR_ERR_INVALID, errno
 * EINVAL, for anything but a regular file: a device or a FIFO would be read for ever or block). */
sr_status sr_file_read(const char *path, uint8_t **data, size_t *size);
/* sr_file_read for a file of at most max bytes: SR_ERR_UNSUPPORTED (errno EFBIG) for a larger one, seen from its
 * size before anything is read (or while reading, for one that grows). The readers of users' files pass their
 * format's own limit, so that a sparse file of terabytes is refused at once rather than read into memory. */
sr_status sr_file_read_max(const char *path, size_t max, uint8_t **data, size_t *size);
/* Why sr_file_read_max(path, max, ...) returned st (errno e saved after it), in words for a message: "not a regular
 * file (a device, FIFO or directory)", "larger than the 64 MiB simrun reads as <what>", "out of memory", or
 * strerror(e). Returns buf. */
const char *sr_file_read_why(sr_status st, int e, size_t max, const char *what, char *buf, size_t n);

/* path as read from a file in dir (its folder, "." for the working one): itself when absolute; written beside
 * the file otherwise, without the "./" a plain join would put in messages ("././x.yaml"): dir "." gives the
 * path as written, leading "./" of path are dropped. A new string (caller frees), or NULL when out of memory.
 */
char *sr_path_beside(const char *dir, const char *path);

/* 1 when path is a regular file (symbolic links followed), 0 otherwise (also when it does not exist). */
int sr_file_is_regular(const char *path);

/* Offset of the first byte of text[0..len) that a YAML text cannot hold: not valid UTF-8 (bad lead or
 * continuation bytes, cut sequences, overlong forms, surrogates, code points above U+10FFFF), a control
 * character YAML excludes from its character set (NUL, C0 controls but tab, LF and CR, DEL), or a tab outside a
 * comment (YAML allows tabs in a few places, but libfyaml 0.7.12 crashes on several of them: simrun's files take
 * spaces; in quoted text too), or len when all of it is valid. *line and *col (1-based, col counting characters; may be NULL) get its position. The YAML readers check
 * their input with it first: libfyaml 0.7.12 loops for ever on some invalid bytes and dereferences NULL cleaning
 * up after tabs in several places ("? a:\t- b", "? a:\t:": an 8-byte experiment made `simrun validate` crash;
 * found by fuzz_profile). */
size_t sr_yaml_text_first_invalid(const char *text, size_t len, int *line, int *col);

/* Writes s to f with &, <, >, " and ' escaped: valid in XML attributes and HTML text alike. */
void sr_fputs_xml_escaped(const char *s, FILE *f);
/* Writes s to f as a JSON string, quotes included: '"', '\\' and control characters escaped (UTF-8 bytes
 * pass through). NULL is written as "". */
void sr_fputs_json_string(const char *s, FILE *f);

#endif
