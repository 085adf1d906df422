/* sr_profile_file.h: device profiles as YAML files (calibration/profiles/NAME.yaml), read with libfyaml.
 *
 * The format (docs/calibration.md) is what sr_profile_file_emit() writes: name, class, description,
 * source, roofline {speed_flops, cores, efficiency, mem_bw_Bps}, power {idle_w, busy_w}, optional
 * fit_file and fit {ref_flops, ref_mem_bw_Bps, scaling, layers {CLASS: {form, features, coef, r2,
 * cv_median_rel_err, points}}, holdout {...}, codecs [...], copy {...}, protobuf {...}, rune {...}}.
 * Unknown keys are errors; every error names file:line:col. Numbers are written with 17 significant
 * digits, so write + load gives back the same doubles. */
#ifndef SR_PROFILE_FILE_H
#define SR_PROFILE_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "sr_profile.h"

/* Largest profile file read (the shipped ones are under 7 KiB; a calibrated one with every table about 50 KiB). */
#define SR_PROFILE_MAX_BYTES ((size_t)16 << 20)

/* Reads the profile file at path. On failure SR_ERR_IO (cannot open), SR_ERR_INVALID (not a regular file),
 * SR_ERR_UNSUPPORTED (larger than SR_PROFILE_MAX_BYTES), SR_ERR_NOMEM or SR_ERR_PARSE, with
 * "path:line:col: message" or "path: cannot read: why" in err (may be NULL). Caller frees *out with
 * sr_profile_file_free. */
sr_status sr_profile_file_load(const char *path, sr_profile **out, char *err, size_t err_size);
/* Same from a string; `name` is used in messages in place of the path. */
sr_status sr_profile_file_load_string(const char *text, size_t len, const char *name, sr_profile **out,
                                      char *err, size_t err_size);

/* Frees a profile made by sr_profile_file_load / sr_profile_clone. NULL is a no-op. */
void sr_profile_file_free(sr_profile *p);

/* Deep copy of src whose fit is `fit` (copied; NULL: src->fit, which may be NULL too). Caller frees with
 * sr_profile_file_free. */
sr_status sr_profile_clone(const sr_profile *src, const sr_profile_fit *fit, sr_profile **out);

/* Writes p as YAML to f / to the file at path (SR_ERR_IO with a message in err when it cannot). */
sr_status sr_profile_file_emit(const sr_profile *p, FILE *f);
sr_status sr_profile_file_write(const sr_profile *p, const char *path, char *err, size_t err_size);

/* Empty fit: no class fitted, every measured cost 0, cross-validation and hold-out errors NAN. */
void sr_profile_fit_init(sr_profile_fit *fit);

#endif
