/* sr_profile.c: built-in device profiles and their sources, the profile -> cost model choice, and the
 * `simrun show profile` printout.
 *
 * Peak = cores x clock x fp32 flops/cycle (vendor figures). Efficiencies are assumptions (labelled as
 * such). Profiles with a fit_file get their per-layer costs from the fitted model stored in that file
 * (calibration/profiles/, written by `simrun calibrate`; docs/calibration.md says how each was made). */
#include "sr_profile.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fpga_engines.h"
#include "sr_cost_fitted.h"
#include "sr_cost_fpga.h"
#include "sr_cost_insitu.h"
#include "sr_profile_file.h"

/* fit_file: the shipped profile whose fit prices layers (calibration/profiles/): host.yaml's fit (measured
 * by `simrun calibrate` on the machine it names) scaled to the device's roofline numbers below
 * (`simrun calibrate --scale-from host.yaml --profile NAME`); each file says so. host.yaml itself is not
 * in this table (adding a name changes the config's golden "unknown profile" message): load it with
 * sr_profile_file_load. */
static const sr_profile profiles[] = {
    {"camera-soc", "camera", "smart-camera SoC, 4x Cortex-A7 @ 1.2 GHz", 1.2e9 * 4, 4, 0.25, 3.2e9, 1.5, 3.0,
     "peak: 4 cores x 1.2 GHz x 4 fp32 flop/cycle (NEON); efficiency 0.25 assumed; power typical of "
     "IP-camera SoCs",
     "camera-soc.yaml", NULL, NULL, NULL},
    {"mcu-h7", "mcu", "Arduino Portenta H7 (STM32H747, Cortex-M7 @ 480 MHz)", 480e6 * 2, 1, 0.3, 1.0e9, 0.15,
     0.45,
     "ST STM32H747 datasheet: Cortex-M7 at 480 MHz with a single-precision FPU (1 FMA/cycle = 2 flop); "
     "efficiency 0.3 assumed; power from the datasheet's run-mode current at 3.3 V",
     "mcu-h7.yaml", NULL, NULL, NULL},
    {"rpi3", "iot", "Raspberry Pi 3 B (4x Cortex-A53 @ 1.2 GHz)", 1.2e9 * 4, 4, 0.2, 2.0e9, 1.4, 3.7,
     "peak: 4 x 1.2 GHz x 4 fp32 flop/cycle; power: Raspberry Pi Foundation figures for idle / "
     "full load; efficiency 0.2 assumed",
     "rpi3.yaml", NULL, NULL, NULL},
    {"rpi4", "iot", "Raspberry Pi 4 B (4x Cortex-A72 @ 1.5 GHz)", 1.5e9 * 8, 4, 0.25, 4.0e9, 2.7, 6.4,
     "peak: 4 x 1.5 GHz x 8 fp32 flop/cycle (2x 128-bit NEON FMA); idle/load power as commonly measured "
     "for the Pi 4 B; efficiency 0.25 assumed",
     "rpi4.yaml", NULL, NULL, NULL},
    {"jetson-tx1", "gpu", "NVIDIA Jetson TX1 (256 Maxwell CUDA cores)", 512e9, 1, 0.4, 25.6e9, 3.5, 15.0,
     "NVIDIA: 1 TFLOPS fp16 / 512 GFLOPS fp32, 25.6 GB/s LPDDR4, 10-15 W module; In-situ AI "
     "(shared/seeds/003) uses a TX1 as its IoT GPU; efficiency 0.4 assumed",
     "jetson-tx1.yaml", NULL, "jetson-tx1", NULL},
    {"jetson-nano", "gpu", "NVIDIA Jetson Nano (128 Maxwell CUDA cores)", 236e9, 1, 0.4, 25.6e9, 1.5, 10.0,
     "NVIDIA: 472 GFLOPS fp16 / 236 GFLOPS fp32, 25.6 GB/s, 5-10 W modes; efficiency 0.4 assumed",
     "jetson-nano.yaml", NULL, NULL, NULL},
    {"titanx", "cloud", "NVIDIA Titan X (Pascal) cloud GPU", 11e12, 1, 0.5, 480e9, 15.0, 250.0,
     "NVIDIA: 11 TFLOPS fp32, 480 GB/s GDDR5X, 250 W board power; In-situ AI's cloud GPU; efficiency 0.5 "
     "assumed",
     "titanx.yaml", NULL, "titan-x-pascal", NULL},
    {"v100", "cloud", "NVIDIA Tesla V100 (PCIe) cloud GPU", 14e12, 1, 0.5, 900e9, 25.0, 250.0,
     "NVIDIA V100 PCIe datasheet: 14 TFLOPS fp32, 900 GB/s HBM2, 250 W; efficiency 0.5 assumed", "v100.yaml",
     NULL, NULL, NULL},
    {"vx690t", "fpga", "Xilinx Virtex-7 VX690T FPGA accelerator", SR_VX690T_DSP * 2.0 * SR_VX690T_FREQ_HZ, 1, 0.8,
     SR_VX690T_MEM_BW_BPS, 5.0, 25.0,
     "Xilinx 7 Series: 3600 DSP48E1 slices, 2 ops/DSP/cycle (16-bit MAC) at 100 MHz (In-situ AI gives no clock; "
     "its NWS engine is Zhang et al. FPGA'15's, 100 MHz); VC709 board 2 x DDR3-1866 = 29.9 GB/s; the same "
     "numbers as the engine preset (models/hw/fpga_engines.h); efficiency 0.8 assumed for a well-tiled engine; "
     "power assumed",
     "vx690t.yaml", NULL, NULL, "vx690t-wss"},
    {"xeon-e5-2620", "edge", "Intel Xeon E5-2620 (6 cores @ 2.0 GHz, Sandy Bridge) server", 2.0e9 * 16, 6,
     0.5, 42.6e9, 50.0, 95.0,
     "Intel ARK: 6 cores, 2.0 GHz, AVX (16 fp32 flop/cycle), 4x DDR3-1333 = 42.6 GB/s, 95 W TDP; "
     "idle power and efficiency assumed",
     "xeon-e5-2620.yaml", NULL, NULL, NULL},
    {"cloud-cpu", "cloud", "cloud VM, 16 vCPU AVX2 @ 2.5 GHz", 2.5e9 * 32, 16, 0.5, 100e9, 60.0, 200.0,
     "peak: 16 x 2.5 GHz x 32 fp32 flop/cycle (2 AVX2 FMA units); power and efficiency assumed",
     "cloud-cpu.yaml", NULL, NULL, NULL},
};

int sr_profile_count(void)
{
    return (int)(sizeof profiles / sizeof profiles[0]);
}

const sr_profile *sr_profile_at(int i)
{
    if (i < 0 || i >= sr_profile_count()) return NULL;
    return &profiles[i];
}

/* Profiles read from files by sr_profile_find_err, kept until the process exits so that the pointers it hands
 * out stay valid, like the built-ins' (they are never changed once loaded). Keyed by the file's real path. */
typedef struct loaded_profile {
    char *key;   /* the file's real path */
    char *asked; /* the path it was asked for by (realpath costs a system call per component: ask once) */
    sr_profile *p;
    struct loaded_profile *next;
} loaded_profile;
static loaded_profile *g_loaded;

/* A new entry at the head of the list: p under key, asked for by asked. */
static loaded_profile *cache_add(const char *key, const char *asked, sr_profile *p)
{
    loaded_profile *l = calloc(1, sizeof *l);
    if (!l || !(l->key = strdup(key)) || !(l->asked = strdup(asked))) {
        if (l) free(l->key);
        free(l);
        return NULL;
    }
    l->p = p;
    l->next = g_loaded;
    g_loaded = l;
    return l;
}

/* The profile file at path, read once a process (the same file named again, by any path, is not read again:
 * validating a sweep builds every point, and read each device's fit file three times a point). A path asked for
 * before is found without resolving it again; another path to a loaded file gets an entry of its own. */
static sr_status load_cached(const char *path, const sr_profile **out, char *err, size_t err_size)
{
    for (loaded_profile *l = g_loaded; l; l = l->next)
        if (strcmp(l->asked, path) == 0) {
            *out = l->p;
            return SR_OK;
        }
    char real[PATH_MAX];
    const char *key = realpath(path, real) ? real : path;
    sr_profile *p = NULL;
    for (loaded_profile *l = g_loaded; l && !p; l = l->next)
        if (strcmp(l->key, key) == 0) p = l->p;
    int fresh = !p;
    if (fresh) {
        sr_status st = sr_profile_file_load(path, &p, err, err_size);
        if (st != SR_OK) return st;
    }
    if (!cache_add(key, path, p)) {
        if (fresh) sr_profile_file_free(p);
        if (err && err_size) snprintf(err, err_size, "out of memory");
        return SR_ERR_NOMEM;
    }
    *out = p;
    return SR_OK;
}

int sr_profile_is_path(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n && (strchr(name, '/') || (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
                 (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

const sr_profile *sr_profile_find_err(const char *name, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!name || !name[0]) return NULL;
    for (int i = 0; i < sr_profile_count(); i++)
        if (strcmp(profiles[i].name, name) == 0) return &profiles[i];
    char path[4096];
    if (sr_profile_is_path(name)) {
        snprintf(path, sizeof path, "%s", name);
    } else { /* a shipped file that is not a built-in (host.yaml) */
        snprintf(path, sizeof path, "%s/%s.yaml", sr_profile_dir(), name);
        if (access(path, R_OK) != 0) return NULL;
    }
    const sr_profile *p = NULL;
    return load_cached(path, &p, err, err_size) == SR_OK ? p : NULL;
}

const sr_profile *sr_profile_find(const char *name)
{
    return sr_profile_find_err(name, NULL, 0);
}

sr_cost_device sr_profile_device(const sr_profile *p)
{
    sr_cost_device d = {p->name, p->speed_flops, p->cores, p->efficiency, p->mem_bw_Bps, 0};
    return d;
}

const char *sr_profile_dir(void)
{
    const char *env = getenv("SR_PROFILE_DIR");
    if (env && env[0]) return env;
#ifdef SR_PROFILE_DIR_DEFAULT
    return SR_PROFILE_DIR_DEFAULT;
#else
    return "calibration/profiles";
#endif
}

sr_status sr_profile_get_fit(const sr_profile *p, const sr_profile_fit **fit, sr_profile **loaded, char *err,
                             size_t err_size)
{
    if (!p || !fit || !loaded) return SR_ERR_INVALID;
    *fit = NULL;
    *loaded = NULL;
    if (p->fit) {
        *fit = p->fit;
        return SR_OK;
    }
    if (!p->fit_file) return SR_OK;
    char path[4096];
    if (p->fit_file[0] == '/')
        snprintf(path, sizeof path, "%s", p->fit_file);
    else
        snprintf(path, sizeof path, "%s/%s", sr_profile_dir(), p->fit_file);
    const sr_profile *fp = NULL;
    sr_status st = load_cached(path, &fp, err, err_size);
    if (st != SR_OK) return st;
    if (!fp->fit) {
        if (err) snprintf(err, err_size, "%s: profile has no fit section", path);
        return SR_ERR_PARSE;
    }
    *fit = fp->fit;
    return SR_OK;
}

sr_status sr_profile_cost_model_err(const sr_profile *p, sr_cost_model **out, char *err, size_t err_size)
{
    if (!p || !out) return SR_ERR_INVALID;
    if (p->gpu_model) {
        sr_gpu_insitu_params gp;
        sr_status st = sr_gpu_insitu_preset(p->gpu_model, &gp);
        if (st != SR_OK) {
            if (err && err_size) snprintf(err, err_size, "unknown In-situ AI GPU preset '%s'", p->gpu_model);
            return st;
        }
        return sr_cost_insitu_create(&gp, out);
    }
    if (p->fpga_model) {
        sr_fpga_design fd;
        sr_status st = sr_fpga_design_preset(p->fpga_model, &fd);
        if (st != SR_OK) {
            if (err && err_size) snprintf(err, err_size, "unknown In-situ AI FPGA design '%s'", p->fpga_model);
            return st;
        }
        return sr_cost_fpga_create(&fd, out);
    }
    const sr_profile_fit *fit = NULL;
    sr_profile *loaded = NULL;
    sr_status st = sr_profile_get_fit(p, &fit, &loaded, err, err_size);
    if (st != SR_OK) return st;
    st = fit ? sr_cost_fitted_create(fit, out) : sr_cost_roofline_create(out);
    sr_profile_file_free(loaded);
    return st;
}

sr_status sr_profile_cost_model(const sr_profile *p, sr_cost_model **out)
{
    return sr_profile_cost_model_err(p, out, NULL, 0);
}

static void print_fit(const sr_profile_fit *fit, FILE *f)
{
    fprintf(f, "fit:          reference %.4g GFLOP/s, %.4g GB/s\n", fit->ref_flops / 1e9,
            fit->ref_mem_bw_Bps / 1e9);
    if (fit->scaling[0]) fprintf(f, "scaling:      %s\n", fit->scaling);
    fprintf(f, "  %-11s %-9s %-7s %6s %8s %6s  coefficients (features)\n", "class", "form", "bound", "R2",
            "cv-err", "points");
    for (int c = 0; c < SR_LC_COUNT; c++) {
        const sr_profile_class_fit *cf = &fit->cls[c];
        if (!cf->fitted) {
            fprintf(f, "  %-11s (no fit: roofline)\n", sr_layer_class_name((sr_layer_class)c));
            continue;
        }
        sr_feature feats[SR_FIT_MAX_COEF];
        int n = sr_layer_class_features((sr_layer_class)c, feats);
        fprintf(f, "  %-11s %-9s %-7s %6.3f %7.1f%% %6d ", sr_layer_class_name((sr_layer_class)c),
                sr_fit_form_name(cf->form),
                sr_layer_class_compute_bound((sr_layer_class)c) ? "compute" : "memory", cf->r2,
                100.0 * cf->cv_median_rel_err, cf->n_points);
        for (int j = 0; j < n && j < cf->n_coef; j++)
            fprintf(f, " %.4g*%s", cf->coef[j], sr_feature_name(feats[j]));
        fputc('\n', f);
    }
    if (fit->holdout_layers > 0)
        fprintf(f,
                "held out:     %s: %d layers, per-layer relative error median %.1f%% p90 %.1f%%; whole model "
                "median %.1f%% p90 %.1f%%\n",
                fit->holdout_models, fit->holdout_layers, 100 * fit->holdout_layer_median,
                100 * fit->holdout_layer_p90, 100 * fit->holdout_model_median, 100 * fit->holdout_model_p90);
    for (int i = 0; i < fit->n_codecs; i++)
        fprintf(f, "codec:        %-20s encode %.3g ns/elem, decode %.3g ns/elem, %.3g bytes/elem\n",
                fit->codecs[i].pipeline, 1e9 * fit->codecs[i].encode_s_per_elem,
                1e9 * fit->codecs[i].decode_s_per_elem, fit->codecs[i].bytes_per_elem);
    if (fit->memcpy_Bps > 0)
        fprintf(f, "copy:         memcpy %.3g GB/s, raw tensor serialization %.3g ns/byte\n",
                fit->memcpy_Bps / 1e9, 1e9 * fit->ser_raw_s_per_byte);
    if (fit->pb_encode_s_per_byte > 0 || fit->pb_encode_fixed_s > 0)
        fprintf(f, "protobuf-c:   pack %.3g us + %.3g ns/byte, unpack %.3g us + %.3g ns/byte\n",
                1e6 * fit->pb_encode_fixed_s, 1e9 * fit->pb_encode_s_per_byte, 1e6 * fit->pb_decode_fixed_s,
                1e9 * fit->pb_decode_s_per_byte);
    if (fit->rune_native_inf_s > 0)
        fprintf(f,
                "rune (sine):  native %.3g us/inference (this profile's price); rune-rust %.3g us (+%.1f%%, %.0f "
                "B), rune-protobuf %.3g us (+%.1f%%, %.0f B) (paper, Portenta H7: 28-45%%)\n",
                1e6 * fit->rune_native_inf_s, 1e6 * fit->rune_native_inf_s * (1 + fit->rune_overhead_rust),
                100 * fit->rune_overhead_rust, fit->rune_bytes_rust,
                1e6 * fit->rune_native_inf_s * (1 + fit->rune_overhead_protobuf), 100 * fit->rune_overhead_protobuf,
                fit->rune_bytes_protobuf);
    if (fit->corun_interference > 0)
        fprintf(f,
                "co-running:   interference %.4g (AlexNet conv layers beside a LeNet-5 training loop on one core of "
                "the calibrating host's CPU: %.4g ms -> %.4g ms of CPU time, wall x %.3g; a CPU stand-in for the "
                "device, sr_corun.h)\n",
                fit->corun_interference, 1e3 * fit->corun_alone_cpu_s, 1e3 * fit->corun_with_cpu_s,
                fit->corun_wall_ratio);
    if (fit->idle.n > 0) {
        fprintf(f, "after idle:   %s %.4g ms warm; x factor after an idle gap (sr_idle.h, %d rounds):", fit->idle_model,
                1e3 * fit->idle_warm_s, fit->idle_rounds);
        for (int i = 0; i < fit->idle.n; i++)
            fprintf(f, " %gs %.3f", fit->idle.gap_s[i], fit->idle.factor[i]);
        fprintf(f, "; spread sigma %.3f\n", fit->idle_sigma);
    }
}

void sr_profile_print(const sr_profile *p, FILE *f)
{
    if (!p || !f) return;
    fprintf(f, "profile:      %s\nclass:        %s\ndescription:  %s\n", p->name, p->device_class,
            p->description);
    fprintf(f, "peak:         %.4g GFLOP/s (%d cores x %.4g GFLOP/s)\n", p->speed_flops * p->cores / 1e9,
            p->cores, p->speed_flops / 1e9);
    fprintf(f, "efficiency:   %.2f (roofline compute ceiling %.4g GFLOP/s)\n", p->efficiency,
            p->speed_flops * p->cores * p->efficiency / 1e9);
    fprintf(f, "memory bw:    %.4g GB/s\npower:        %.3g W idle, %.3g W busy\n", p->mem_bw_Bps / 1e9,
            p->power_idle_w, p->power_busy_w);
    fprintf(f, "source:       %s\n", p->source);
    if (p->gpu_model) {
        sr_gpu_insitu_params gp;
        if (sr_gpu_insitu_preset(p->gpu_model, &gp) != SR_OK) {
            fprintf(f, "cost model:   unknown In-situ AI GPU preset '%s'\n", p->gpu_model);
            return;
        }
        fprintf(f,
                "cost model:   In-situ AI GPU model (Song et al. HPCA'18, eqs. 1-3, 5-8), preset %s: %.4g "
                "MHz x %d "
                "CUDA cores, %d SMs x %d resident blocks, %dx%d tiles, %.4g GB/s; conv and FC layers by the "
                "model, "
                "other layers memory-bound at its bandwidth (docs/calibration.md)\n"
                "preset from:  %s\n",
                gp.name, gp.freq_hz / 1e6, gp.n_cuda_cores, gp.n_sm, gp.blocks_per_sm, gp.tile_m, gp.tile_n,
                gp.mem_bw_Bps / 1e9, gp.source);
    }
    if (p->fpga_model) {
        sr_fpga_design fd;
        if (sr_fpga_design_preset(p->fpga_model, &fd) != SR_OK) {
            fprintf(f, "cost model:   unknown In-situ AI FPGA design '%s'\n", p->fpga_model);
            return;
        }
        fprintf(f,
                "cost model:   In-situ AI FPGA engines (Song et al. HPCA'18, eqs. 4, 10-14), design %s on the %s: "
                "%.4g MHz, %.4g GB/s, %lld of %d DSPs; conv and FC layers by the engines' closed forms, other "
                "layers memory-bound at its bandwidth (docs/calibration.md)\n"
                "design:       %s\n",
                fd.name, fd.fpga.name, fd.fpga.freq_hz / 1e6, fd.fpga.mem_bw_Bps / 1e9,
                (long long)sr_fpga_design_dsp(&fd), fd.fpga.dsp_total, fd.source);
    }
    const int analytic = p->gpu_model || p->fpga_model;
    const sr_profile_fit *fit = NULL;
    sr_profile *loaded = NULL;
    char err[512] = "";
    sr_status st = sr_profile_get_fit(p, &fit, &loaded, err, sizeof err);
    if (st != SR_OK) {
        fprintf(f, "%s:   roofline (fit file unreadable: %s)\n", analytic ? "fit" : "cost model", err);
        return;
    }
    if (!fit) {
        if (!analytic)
            fprintf(f, "cost model:   roofline, t = max(flops / (peak x efficiency), bytes / memory bw) per "
                       "layer\n");
        return;
    }
    if (analytic)
        fprintf(f,
                "fit:          %s%s (its layer classes are not used: the In-situ AI model prices layers; its "
                "codec, copy and serialization costs are)\n",
                p->fit_file ? "from " : "carried", p->fit_file ? p->fit_file : "");
    else
        fprintf(f, "cost model:   fitted per layer type%s%s; roofline for types without a fit\n",
                p->fit_file ? ", from " : "", p->fit_file ? p->fit_file : "");
    print_fit(fit, f);
    sr_profile_file_free(loaded);
}
