/* mcu_rune.c: the Rune container runtime-overhead model (Lootus et al., Sec. 4); see mcu_rune.h. */
#include "mcu_rune.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

static const char *const k_mode_names[] = {"native", "rune-rust", "rune-protobuf"};
_Static_assert(sizeof k_mode_names / sizeof k_mode_names[0] == SR_RUNE_MODE_COUNT, "rune mode names");

const char *sr_rune_mode_name(sr_rune_mode m)
{
    if ((unsigned)m >= SR_RUNE_MODE_COUNT) return "?";
    return k_mode_names[m];
}

sr_status sr_rune_mode_parse(const char *s, sr_rune_mode *out)
{
    if (s == NULL || out == NULL) return SR_ERR_INVALID;
    for (int i = 0; i < SR_RUNE_MODE_COUNT; i++) {
        if (strcmp(s, k_mode_names[i]) == 0) {
            *out = (sr_rune_mode)i;
            return SR_OK;
        }
    }
    return SR_ERR_INVALID;
}

double sr_mcu_rune_paper_overhead(sr_rune_mode m)
{
    switch (m) {
    case SR_RUNE_NATIVE:
        return 0.0;
    case SR_RUNE_RUST:
        return 0.40; /* Sec. 4: "around 40% at 100k to 1 million iterations" */
    case SR_RUNE_PROTOBUF:
        return 0.45; /* Sec. 4: "a slight increase"; top of the reported 28-45% range (our reading) */
    case SR_RUNE_MODE_COUNT:
        break;
    }
    return -1.0;
}

sr_status sr_mcu_rune_paper_params(sr_rune_mode m, double t_native_inf_s, double data_layer_share,
                                   sr_mcu_rune_params *out)
{
    if (out == NULL || (unsigned)m >= SR_RUNE_MODE_COUNT || !(t_native_inf_s > 0) ||
        !(data_layer_share >= 0) || !(data_layer_share <= 1))
        return SR_ERR_INVALID;
    double ov = sr_mcu_rune_paper_overhead(m);
    assert(ov >= 0);
    out->sandbox_factor = (1.0 - data_layer_share) * ov;
    out->ser_fixed_s = data_layer_share * ov * t_native_inf_s / 2.0; /* input message + output message */
    out->ser_per_byte_s = 0.0;
    out->startup_s = 0.0;
    return SR_OK;
}

static int params_ok(const sr_mcu_rune_params *p)
{
    return p != NULL && p->sandbox_factor >= 0 && p->ser_fixed_s >= 0 && p->ser_per_byte_s >= 0 &&
           p->startup_s >= 0;
}

sr_status sr_mcu_rune_time(const sr_mcu_rune_params *p, double t_native_inf_s, int64_t in_bytes,
                           int64_t out_bytes, int64_t n_inferences, double *total_s)
{
    if (!params_ok(p) || !(t_native_inf_s > 0) || in_bytes < 0 || out_bytes < 0 || n_inferences < 1 ||
        total_s == NULL)
        return SR_ERR_INVALID;
    double per_inf = t_native_inf_s * (1.0 + p->sandbox_factor) + 2.0 * p->ser_fixed_s +
                     (double)(in_bytes + out_bytes) * p->ser_per_byte_s;
    *total_s = p->startup_s + (double)n_inferences * per_inf;
    return SR_OK;
}

sr_status sr_mcu_rune_overhead(const sr_mcu_rune_params *p, double t_native_inf_s, int64_t in_bytes,
                               int64_t out_bytes, int64_t n_inferences, double *overhead)
{
    double t_rune;
    if (overhead == NULL) return SR_ERR_INVALID;
    sr_status st = sr_mcu_rune_time(p, t_native_inf_s, in_bytes, out_bytes, n_inferences, &t_rune);
    if (st != SR_OK) return st;
    double t_native = (double)n_inferences * t_native_inf_s;
    *overhead = (t_rune - t_native) / t_native;
    return SR_OK;
}
