/* sr_profile_rune.h: the Rune section of a profile (sr_profile_fit.rune_*): pricing the sine MLP with a
 * profile's own cost model, storing a host measurement (models/rune/sr_rune_host.h), and the time factor a
 * device `runtime:` applies to every inference (Lootus et al., eq. 1: t_rune = t_native x (1 + overhead)). */
#ifndef SR_PROFILE_RUNE_H
#define SR_PROFILE_RUNE_H

#include "mcu_rune.h"
#include "sr_profile.h"
#include "sr_rune_host.h"

/* Seconds of one inference of the zoo's sine MLP (fp32, batch 1) on profile p priced with `fit` (NULL: p's
 * own fit or cost model): exactly what a run on a device with this profile charges. */
sr_status sr_profile_rune_price(const sr_profile *p, const sr_profile_fit *fit, double *native_s);

/* Stores measurement m in fit: overheads (t_mode - t_native) / t_native, bytes per inference, and the
 * measured native time; then prices native_inference_s with p's cost model under `fit`. */
sr_status sr_profile_rune_store(const sr_profile *p, const sr_rune_measurement *m, sr_profile_fit *fit);

/* 1 + overhead of runtime mode m on fit: 1 for native; SR_ERR_NOT_FOUND when the fit has no rune section
 * (native_inference_s == 0) and m is not native. */
sr_status sr_profile_rune_factor(const sr_profile_fit *fit, sr_rune_mode m, double *factor);

#endif
