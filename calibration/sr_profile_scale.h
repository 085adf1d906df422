/* sr_profile_scale.h: a device profile whose fit is a measured fit scaled by roofline ratios.
 *
 * For devices no one has measured, the coefficients of a measured profile (e.g. host.yaml) are scaled:
 * compute-bound layer classes by (measured ref_flops) / (device speed_flops x cores x efficiency),
 * memory-bound classes by (measured ref_mem_bw_Bps) / (device mem_bw_Bps); linear fits scale every
 * coefficient, log-linear fits add ln(scale) to the intercept. Codec, serialization and Rune times scale
 * by the one-core ratio (that code is single-threaded). The new fit's reference numbers are the
 * device's, so the fitted cost model prices it with scale 1; the `scaling` text records the factors. */
#ifndef SR_PROFILE_SCALE_H
#define SR_PROFILE_SCALE_H

#include "sr_profile.h"

/* device: roofline numbers, name, sources (borrowed); measured: a profile with a fit (borrowed).
 * Caller frees *out with sr_profile_file_free. */
sr_status sr_profile_scale(const sr_profile *device, const sr_profile *measured, sr_profile **out);

#endif
