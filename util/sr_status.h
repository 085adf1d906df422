/* sr_status.h: the status codes every fallible simrun function returns.
 *
 * Convention (STYLE.md #6): 0 is success, negative values are errors, results go through
 * out-parameters. One X-macro list gives the enum, its name and its message. */
#ifndef SR_STATUS_H
#define SR_STATUS_H

#include <stddef.h>

#define SR_STATUS_MAP(X)                                                                                     \
    X(SR_OK, 0, "ok")                                                                                        \
    X(SR_ERR_NOMEM, -1, "out of memory")                                                                     \
    X(SR_ERR_IO, -2, "input/output error")                                                                   \
    X(SR_ERR_PARSE, -3, "malformed input")                                                                   \
    X(SR_ERR_INVALID, -4, "invalid argument or value")                                                       \
    X(SR_ERR_NOT_FOUND, -5, "not found")                                                                     \
    X(SR_ERR_UNSUPPORTED, -6, "unsupported")                                                                 \
    X(SR_ERR_SHAPE, -7, "incompatible tensor shapes")                                                        \
    X(SR_ERR_RANGE, -8, "value out of range")                                                                \
    X(SR_ERR_DB, -9, "database error")                                                                       \
    X(SR_ERR_SIM, -10, "simulation error")                                                                   \
    X(SR_ERR_CORRUPT, -11, "corrupted or truncated data")                                                    \
    X(SR_ERR_CHILD, -12, "worker process failed")

typedef enum {
#define SR_STATUS_ENUM(name, value, msg) name = value,
    SR_STATUS_MAP(SR_STATUS_ENUM)
#undef SR_STATUS_ENUM
} sr_status;

/* Symbolic name of a status ("SR_ERR_PARSE"); "SR_UNKNOWN_STATUS" for values outside the list. */
const char *sr_status_name(int status);
/* Human-readable message of a status ("malformed input"). */
const char *sr_status_message(int status);

/* printf into a caller's error buffer err[err_size]; does nothing when err is NULL or err_size 0. */
void sr_errf(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
