/* sr_profile_scale.c: derives a device profile from a measured fit by roofline ratios (for devices this
 * machine cannot measure; see sr_profile_scale.h and docs/calibration.md). */
#include "sr_profile_scale.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sr_profile_file.h"
#include "sr_profile_rune.h"

sr_status sr_profile_scale(const sr_profile *device, const sr_profile *measured, sr_profile **out)
{
    if (!device || !measured || !measured->fit || !out) return SR_ERR_INVALID;
    const sr_profile_fit *src = measured->fit;
    double dev_flops = device->speed_flops * device->cores * device->efficiency;
    double dev_core_flops = device->speed_flops * device->efficiency;
    if (!(dev_flops > 0) || !(device->mem_bw_Bps > 0) || !(src->ref_flops > 0) || !(src->ref_mem_bw_Bps > 0))
        return SR_ERR_INVALID;
    double s_compute = src->ref_flops / dev_flops;
    double s_memory = src->ref_mem_bw_Bps / device->mem_bw_Bps;
    double s_core = src->ref_flops / dev_core_flops; /* single-threaded code: codecs, serialization */
    sr_profile_fit fit = *src;
    for (int c = 0; c < SR_LC_COUNT; c++) {
        sr_profile_class_fit *cf = &fit.cls[c];
        if (!cf->fitted) continue;
        double s = sr_layer_class_compute_bound((sr_layer_class)c) ? s_compute : s_memory;
        switch (cf->form) {
        case SR_FIT_LINEAR:
            for (int j = 0; j < cf->n_coef; j++)
                cf->coef[j] *= s;
            break;
        case SR_FIT_LOGLINEAR:
            cf->coef[0] += log(s);
            break;
        case SR_FIT_FORM_COUNT:
            return SR_ERR_INVALID;
        }
    }
    fit.ref_flops = dev_flops;
    fit.ref_mem_bw_Bps = device->mem_bw_Bps;
    snprintf(fit.scaling, sizeof fit.scaling,
             "not measured: %s's fit scaled by roofline ratios: compute-bound classes x %.4g (peak x efficiency), "
             "memory-bound x %.4g (bandwidth), codecs/serialization times x %.4g (one core); rune overheads kept, native re-priced",
             measured->name, s_compute, s_memory, s_core);
    for (int i = 0; i < fit.n_codecs; i++) {
        fit.codecs[i].encode_s_per_elem *= s_core;
        fit.codecs[i].decode_s_per_elem *= s_core;
    }
    fit.memcpy_Bps = device->mem_bw_Bps / 2.0;
    fit.ser_raw_s_per_byte *= s_memory;
    fit.pb_encode_fixed_s *= s_core, fit.pb_encode_s_per_byte *= s_core;
    fit.pb_decode_fixed_s *= s_core, fit.pb_decode_s_per_byte *= s_core;
    /* Rune: the measured overheads are ratios and stay; the native time is re-priced by the scaled fit, the
     * time a run on this device charges (scaling the host's measured time by s_core instead priced the sine
     * at 214 us on mcu-h7 while runs charged 3.06 us) */
    sr_profile copy = *device;
    copy.fit_file = NULL;
    fit.rune_measured_native_s = 0.0;
    /* compute after idle is the calibrating machine's caches under its background: not the device's */
    memset(&fit.idle, 0, sizeof fit.idle);
    fit.idle_model[0] = '\0';
    fit.idle_warm_s = 0.0;
    fit.idle_rounds = 0;
    fit.idle_sigma = 0.0;
    if (fit.rune_native_inf_s > 0) {
        sr_status st = sr_profile_rune_price(&copy, &fit, &fit.rune_native_inf_s);
        if (st != SR_OK) return st;
    }
    return sr_profile_clone(&copy, &fit, out);
}
