/* sr_profile.h: device profiles, the numbers that price compute on a device.
 *
 * Every profile has roofline numbers (a layer takes max(flops / (peak * efficiency), bytes / mem_bw))
 * and may carry a fit: per-layer-type regression coefficients measured by `simrun calibrate` (see
 * sr_layer_class.h, sr_fit.h, docs/calibration.md), plus measured codec, copy and serialization costs.
 * A built-in profile names the shipped YAML file its fit lives in (fit_file, in calibration/profiles/);
 * a profile read with sr_profile_file_load() carries the fit itself. sr_profile_cost_model() gives the
 * fitted cost model when there is a fit and the roofline otherwise. Every profile says where its
 * numbers come from (source). */
#ifndef SR_PROFILE_H
#define SR_PROFILE_H

#include <stddef.h>
#include <stdio.h>

#include "sr_cost.h"
#include "sr_fit.h"
#include "sr_idle.h"
#include "sr_layer_class.h"
#include "sr_status.h"

/* One layer class's fit. */
typedef struct sr_profile_class_fit {
    int fitted; /* 0: no fit for this class, the cost model uses the roofline */
    sr_fit_form form;
    int n_coef;                   /* == sr_layer_class_features(class) */
    double coef[SR_FIT_MAX_COEF]; /* seconds per feature unit (linear) or power-law exponents (log) */
    double r2;                    /* R^2 on the training points (time scale) */
    double cv_median_rel_err;     /* 5-fold cross-validated median relative error, NAN if not run */
    int n_points;                 /* training points */
} sr_profile_class_fit;

#define SR_PROFILE_MAX_CODECS 8
#define SR_PROFILE_TEXT_MAX 256

/* Measured cost of one activation codec pipeline (sr_codec.h). */
typedef struct sr_profile_codec_cost {
    char pipeline[64];
    double encode_s_per_elem, decode_s_per_elem;
    double bytes_per_elem; /* compressed size per fp32 element on the calibration tensor */
} sr_profile_codec_cost;

typedef struct sr_profile_fit {
    /* The machine the coefficients price: its effective compute rate (flop/s) and memory bandwidth.
     * The fitted cost model multiplies compute-bound classes by ref_flops / (device peak x efficiency)
     * and memory-bound ones by ref_mem_bw_Bps / device bandwidth, so the same fit prices any device. */
    double ref_flops;
    double ref_mem_bw_Bps;
    char scaling[SR_PROFILE_TEXT_MAX]; /* how the coefficients were obtained ("measured", "scaled ...") */
    sr_profile_class_fit cls[SR_LC_COUNT];
    /* validation on layers of models left out of the fit */
    char holdout_models[SR_PROFILE_TEXT_MAX];
    int holdout_layers;
    double holdout_layer_median, holdout_layer_p90; /* relative errors per layer */
    double holdout_model_median, holdout_model_p90; /* relative errors of whole-model time */
    /* other measured costs (0 = not measured) */
    int n_codecs;
    sr_profile_codec_cost codecs[SR_PROFILE_MAX_CODECS];
    double memcpy_Bps;
    double ser_raw_s_per_byte;                      /* copying a tensor into a raw byte buffer */
    double pb_encode_fixed_s, pb_encode_s_per_byte; /* protobuf-c tensor message pack */
    double pb_decode_fixed_s, pb_decode_s_per_byte; /* protobuf-c tensor message unpack */
    /* Rune container (models/rune, sr_profile_rune.h). The overheads are measured on the calibrating host
     * (a wasm2c rune against the same steps called natively) and carried unchanged to scaled profiles; the
     * native time is always this profile's own cost-model price of the sine MLP, the time a run charges. */
    double rune_native_inf_s;      /* the zoo's sine MLP priced by this profile's cost model (fp32, batch 1) */
    double rune_overhead_rust;     /* (t_rune - t_native) / t_native, bincode-like boundary messages */
    double rune_overhead_protobuf; /* same with protobuf (protobuf-c on the host) */
    double rune_bytes_rust, rune_bytes_protobuf; /* boundary bytes per inference (4 messages) */
    double rune_measured_native_s; /* the measured native inference on the calibrating host; 0 when scaled */
    /* Co-running interference (sr_corun.h): AlexNet's conv layers timed alone and beside a LeNet-5 training loop
     * on one core of the calibrating host, carried unchanged to scaled profiles (a CPU measurement standing in
     * for every device; In-situ AI's GPU Fig. 16). A device with this profile takes it as its `interference`
     * unless the experiment sets one. 0 = not measured. */
    double corun_interference;  /* thread CPU time beside the training / alone */
    double corun_alone_cpu_s;   /* the inference's median CPU time alone */
    double corun_with_cpu_s;    /* ... beside the training */
    double corun_wall_ratio;    /* wall time beside / alone (sharing the core and interference) */
    /* Compute after idle (sr_idle.h): a model's forwards after sleeping each gap of a ladder against warm ones,
     * on the calibrating host under its background at the time. Not carried to scaled profiles (a cache
     * property of this machine). idle.n == 0: not measured (no slowdown). */
    sr_idle_curve idle;
    char idle_model[64];  /* the zoo model timed */
    double idle_warm_s;   /* its median warm forward */
    int idle_rounds;
    double idle_sigma;    /* the forwards' lognormal spread (sr_idle.h); 0: none */
} sr_profile_fit;

typedef struct sr_profile {
    const char *name;         /* "rpi4" */
    const char *device_class; /* camera, mcu, iot, fpga, gpu, edge, cloud */
    const char *description;
    double speed_flops; /* peak fp32 flop/s of one core (or of the whole accelerator, cores = 1) */
    int cores;
    double efficiency; /* fraction of peak DNN layers reach */
    double mem_bw_Bps; /* memory bandwidth, bytes/s */
    double power_idle_w, power_busy_w;
    const char *source;
    const char *fit_file;      /* built-in: YAML file in calibration/profiles/ holding the fit, or NULL */
    const sr_profile_fit *fit; /* fit carried by the profile (loaded files), or NULL */
    /* In-situ AI GPU preset (sr_gpu_insitu_preset) that prices this device's layers instead of the fit
     * (sr_cost_insitu.h), or NULL: the paper's own GPUs, Jetson TX1 and Titan X, use it. */
    const char *gpu_model;
    /* In-situ AI FPGA design (sr_fpga_design_preset: vx690t-wss, -ws, -nws, -nws-batch) whose engines price this
     * device's layers (sr_cost_fpga.h), or NULL: the paper's VX690T uses it. */
    const char *fpga_model;
} sr_profile;

int sr_profile_count(void);
const sr_profile *sr_profile_at(int i); /* NULL when out of range */
/* A profile by name or file: a built-in name ("rpi4"); a path to a profile file written by `simrun calibrate`
 * (anything with a '/' or ending in .yaml/.yml, relative to the working directory); or the name of a shipped
 * file that is not a built-in (sr_profile_dir()/NAME.yaml: "host"). A file is read once per process and kept
 * until it exits (the same pointer for the same file). NULL when unknown or unreadable. */
const sr_profile *sr_profile_find(const char *name);
/* Same, with the reason in err (may be NULL): "path:line:col: message" for a bad file, the system's reason
 * for one that cannot be opened; "" for an unknown name. */
const sr_profile *sr_profile_find_err(const char *name, char *err, size_t err_size);
/* 1 when sr_profile_find takes name as a file path. */
int sr_profile_is_path(const char *name);

/* The roofline device of a profile (borrowed strings). */
sr_cost_device sr_profile_device(const sr_profile *p);

/* Directory of the shipped profile files: $SR_PROFILE_DIR when set, else the source tree's
 * calibration/profiles (borrowed string). */
const char *sr_profile_dir(void);

/* The cost model of profile p: the In-situ AI GPU model when p names a gpu_model, its FPGA engines when it
 * names an fpga_model, else the fitted model
 * (sr_cost_fitted_create) when p carries a fit or names a fit_file (read from sr_profile_dir()), the
 * roofline otherwise. When a named fit file cannot be read,
 * SR_ERR_IO / SR_ERR_PARSE. Caller frees *out with sr_cost_model_free. */
sr_status sr_profile_cost_model(const sr_profile *p, sr_cost_model **out);
/* As sr_profile_cost_model, with the reason of a failure in err (may be NULL). */
sr_status sr_profile_cost_model_err(const sr_profile *p, sr_cost_model **out, char *err, size_t err_size);

/* The fit of p: p->fit, or the fit of p->fit_file, read once a process and kept until it exits (like the
 * profiles sr_profile_find_err reads). *loaded is always NULL now (callers may still pass it to
 * sr_profile_file_free). *fit is NULL (and SR_OK) when p has no fit. */
sr_status sr_profile_get_fit(const sr_profile *p, const sr_profile_fit **fit, sr_profile **loaded, char *err,
                             size_t err_size);

/* Prints the profile (roofline, power, sources) and, when it has one (carried or in its fit_file), the
 * fit table: class, form, coefficients, R^2, cross-validated and held-out errors, codec and
 * serialization costs. */
void sr_profile_print(const sr_profile *p, FILE *f);

#endif
