/* sr_status.c: names and messages of the status codes in sr_status.h. */
#include "sr_status.h"

#include <stdarg.h>
#include <stdio.h>

const char *sr_status_name(int status)
{
    switch (status) {
#define SR_STATUS_NAME(name, value, msg)                                                                     \
    case value:                                                                                              \
        return #name;
        SR_STATUS_MAP(SR_STATUS_NAME)
#undef SR_STATUS_NAME
    }
    return "SR_UNKNOWN_STATUS";
}

const char *sr_status_message(int status)
{
    switch (status) {
#define SR_STATUS_MSG(name, value, msg)                                                                      \
    case value:                                                                                              \
        return msg;
        SR_STATUS_MAP(SR_STATUS_MSG)
#undef SR_STATUS_MSG
    }
    return "unknown status";
}

void sr_errf(char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || !err_size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}
