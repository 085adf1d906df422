/* sr_units.c: quantities with units ("5.85Mbps", "10ms", "1.5MiB") -> SI base units.
 *
 * Units are case-sensitive because b (bit) and B (byte) differ; decimal prefixes for bits and bytes,
 * binary ones (KiB, MiB...) for sizes. Rates are bits/s: byte rates (MBps) are multiplied by 8. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr_config_internal.h"

typedef struct unit {
    const char *name;
    double factor;
} unit;

static const unit time_units[] = {{"s", 1},     {"ms", 1e-3}, {"us", 1e-6},
                                  {"ns", 1e-9}, {"min", 60},  {"h", 3600}};
static const unit rate_units[] = {{"bps", 1},    {"Kbps", 1e3},  {"kbps", 1e3}, {"Mbps", 1e6},
                                  {"Gbps", 1e9}, {"Tbps", 1e12}, {"Bps", 8},    {"KBps", 8e3},
                                  {"kBps", 8e3}, {"MBps", 8e6},  {"GBps", 8e9}, {"TBps", 8e12}};
static const unit size_units[] = {{"B", 1},
                                  {"KB", 1e3},
                                  {"kB", 1e3},
                                  {"MB", 1e6},
                                  {"GB", 1e9},
                                  {"TB", 1e12},
                                  {"KiB", 1024.0},
                                  {"MiB", 1024.0 * 1024},
                                  {"GiB", 1024.0 * 1024 * 1024},
                                  {"TiB", 1024.0 * 1024 * 1024 * 1024}};
static const unit freq_units[] = {{"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}};
static const unit power_units[] = {{"mW", 1e-3}, {"W", 1}, {"kW", 1e3}};
static const unit energy_units[] = {{"J", 1}, {"mJ", 1e-3}, {"kJ", 1e3}, {"Wh", 3600}, {"kWh", 3.6e6}};
static const unit flops_units[] = {{"f", 1},        {"kf", 1e3},     {"Mf", 1e6},      {"Gf", 1e9},
                                   {"Tf", 1e12},    {"Pf", 1e15},    {"flops", 1},     {"kflops", 1e3},
                                   {"Mflops", 1e6}, {"Gflops", 1e9}, {"Tflops", 1e12}, {"Pflops", 1e15}};

static const unit cpu_units[] = {{"m", 1e-3}};

typedef struct kind_info {
    const char *name, *base, *list;
    const unit *units;
    int n;
} kind_info;

#define UNITS(a) a, (int)(sizeof a / sizeof a[0])
static const kind_info kinds[SR_UNIT_COUNT] = {
    [SR_UNIT_NONE] = {"number", "", "", NULL, 0},
    [SR_UNIT_TIME] = {"time", "s", "s, ms, us, ns, min, h", UNITS(time_units)},
    [SR_UNIT_RATE] = {"rate", "bit/s",
                      "bps, Kbps, Mbps, Gbps, Tbps (bits); Bps, KBps, MBps, GBps, TBps (bytes)",
                      UNITS(rate_units)},
    [SR_UNIT_SIZE] = {"size", "B", "B, KB, MB, GB, TB (decimal); KiB, MiB, GiB, TiB (binary)",
                      UNITS(size_units)},
    [SR_UNIT_FREQ] = {"frequency", "Hz", "Hz, kHz, MHz, GHz", UNITS(freq_units)},
    [SR_UNIT_POWER] = {"power", "W", "mW, W, kW", UNITS(power_units)},
    [SR_UNIT_ENERGY] = {"energy", "J", "J, mJ, kJ, Wh, kWh", UNITS(energy_units)},
    [SR_UNIT_FLOPS] = {"compute speed", "flop/s", "f, kf, Mf, Gf, Tf, Pf (flop/s; also Gflops...)",
                       UNITS(flops_units)},
    [SR_UNIT_CPU] = {"cpu quota", "cores", "m (millicores, as Kubernetes writes them: 500m = half a core); a bare "
                     "number is cores", UNITS(cpu_units)},
};

const char *sr_unit_list(sr_unit_kind kind)
{
    return (unsigned)kind < SR_UNIT_COUNT ? kinds[kind].list : "";
}

const char *sr_unit_kind_name(sr_unit_kind kind)
{
    return (unsigned)kind < SR_UNIT_COUNT ? kinds[kind].name : "?";
}

const char *sr_unit_base(sr_unit_kind kind)
{
    return (unsigned)kind < SR_UNIT_COUNT ? kinds[kind].base : "";
}

/* Length of a decimal number at s ([+-]digits[.digits][e[+-]digits]), 0 when there is none. */
static size_t number_len(const char *s)
{
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    while (isdigit((unsigned char)s[i]))
        i++, digits++;
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i]))
            i++, digits++;
    }
    if (digits == 0) return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-') j++;
        if (isdigit((unsigned char)s[j])) {
            while (isdigit((unsigned char)s[j]))
                j++;
            i = j;
        }
    }
    return i;
}

sr_qty_result sr_quantity_parse_ex(const char *text, sr_unit_kind kind, int unit_optional, double *out)
{
    if (!text || (unsigned)kind >= SR_UNIT_COUNT) return SR_QTY_BAD_NUMBER;
    const char *s = text;
    while (*s == ' ')
        s++;
    size_t n = number_len(s);
    if (n == 0) return SR_QTY_BAD_NUMBER;
    char buf[64];
    if (n >= sizeof buf) return SR_QTY_BAD_NUMBER;
    memcpy(buf, s, n);
    buf[n] = '\0';
    double v = strtod(buf, NULL);
    if (!isfinite(v)) return SR_QTY_BAD_NUMBER;
    const char *u = s + n;
    while (*u == ' ')
        u++;
    size_t ulen = strlen(u);
    while (ulen > 0 && u[ulen - 1] == ' ')
        ulen--;
    if (ulen == 0) {
        if (kind != SR_UNIT_NONE && !unit_optional) return SR_QTY_NO_UNIT;
        *out = v;
        return SR_QTY_OK;
    }
    const kind_info *k = &kinds[kind];
    for (int i = 0; i < k->n; i++)
        if (strlen(k->units[i].name) == ulen && memcmp(k->units[i].name, u, ulen) == 0) {
            double r = v * k->units[i].factor;
            if (!isfinite(r)) return SR_QTY_BAD_NUMBER;
            *out = r;
            return SR_QTY_OK;
        }
    return SR_QTY_BAD_UNIT;
}

sr_status sr_parse_quantity(const char *text, sr_unit_kind kind, double *out)
{
    double v;
    if (!out || sr_quantity_parse_ex(text, kind, 0, &v) != SR_QTY_OK) return SR_ERR_INVALID;
    *out = v;
    return SR_OK;
}

sr_status sr_parse_quantity_any(const char *text, double *value_si, sr_unit_kind *kind)
{
    if (!text || !value_si || !kind) return SR_ERR_INVALID;
    for (int k = 0; k < SR_UNIT_COUNT; k++) {
        double v;
        if (sr_quantity_parse_ex(text, (sr_unit_kind)k, 0, &v) == SR_QTY_OK) {
            *value_si = v;
            *kind = (sr_unit_kind)k;
            return SR_OK;
        }
    }
    return SR_ERR_INVALID;
}

const char *sr_unit_kind_base(sr_unit_kind kind)
{
    return sr_unit_base(kind);
}
