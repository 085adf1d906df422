/* sr_profile_file.c: reading (libfyaml document API) and writing (plain fprintf) device profile YAML
 * files; see sr_profile_file.h for the format. A loaded profile owns its strings and fit in one
 * allocation (owned_profile below), freed by sr_profile_file_free. */
#include "sr_profile_file.h"

#include "sr_file.h"

#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fpga_design.h"
#include "gpu_insitu_time.h"

typedef struct owned_profile {
    sr_profile p; /* first member: a sr_profile * of ours is an owned_profile * */
    sr_profile_fit fit;
    char *name, *device_class, *description, *source, *fit_file, *gpu_model, *fpga_model;
} owned_profile;

void sr_profile_fit_init(sr_profile_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    for (int c = 0; c < SR_LC_COUNT; c++)
        fit->cls[c].cv_median_rel_err = NAN;
    fit->holdout_layer_median = fit->holdout_layer_p90 = NAN;
    fit->holdout_model_median = fit->holdout_model_p90 = NAN;
}

void sr_profile_file_free(sr_profile *p)
{
    if (!p) return;
    owned_profile *o = (owned_profile *)p;
    free(o->name);
    free(o->device_class);
    free(o->description);
    free(o->source);
    free(o->fit_file);
    free(o->gpu_model);
    free(o->fpga_model);
    free(o);
}

static char *dup_or_null(const char *s, int *fail)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *fail = 1;
    return d;
}

sr_status sr_profile_clone(const sr_profile *src, const sr_profile_fit *fit, sr_profile **out)
{
    if (!src || !out) return SR_ERR_INVALID;
    owned_profile *o = calloc(1, sizeof *o);
    if (!o) return SR_ERR_NOMEM;
    int fail = 0;
    o->p = *src;
    o->name = dup_or_null(src->name ? src->name : "", &fail);
    o->device_class = dup_or_null(src->device_class ? src->device_class : "", &fail);
    o->description = dup_or_null(src->description ? src->description : "", &fail);
    o->source = dup_or_null(src->source ? src->source : "", &fail);
    o->fit_file = dup_or_null(src->fit_file, &fail);
    o->gpu_model = dup_or_null(src->gpu_model, &fail);
    o->fpga_model = dup_or_null(src->fpga_model, &fail);
    if (fail) {
        sr_profile_file_free(&o->p);
        return SR_ERR_NOMEM;
    }
    o->p.name = o->name;
    o->p.device_class = o->device_class;
    o->p.description = o->description;
    o->p.source = o->source;
    o->p.fit_file = o->fit_file;
    o->p.gpu_model = o->gpu_model;
    o->p.fpga_model = o->fpga_model;
    const sr_profile_fit *f = fit ? fit : src->fit;
    if (f) {
        o->fit = *f;
        o->p.fit = &o->fit;
    } else {
        o->p.fit = NULL;
    }
    *out = &o->p;
    return SR_OK;
}

/* ---------------------------------------------------------------------------------------------------
 * Writing */

static void emit_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch < 0x20)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void emit_num(FILE *f, double v)
{
    if (isnan(v))
        fputs(".nan", f);
    else if (isinf(v))
        fputs(v > 0 ? ".inf" : "-.inf", f);
    else
        fprintf(f, "%.17g", v);
}

static void emit_kv(FILE *f, int indent, const char *key, double v)
{
    fprintf(f, "%*s%s: ", indent, "", key);
    emit_num(f, v);
    fputc('\n', f);
}

sr_status sr_profile_file_emit(const sr_profile *p, FILE *f)
{
    if (!p || !f) return SR_ERR_INVALID;
    fprintf(f, "# simrun device profile (format: docs/calibration.md)\n");
    fputs("name: ", f);
    emit_str(f, p->name);
    fputs("\nclass: ", f);
    emit_str(f, p->device_class);
    fputs("\ndescription: ", f);
    emit_str(f, p->description);
    fputs("\nsource: ", f);
    emit_str(f, p->source);
    fputs("\nroofline:\n", f);
    emit_kv(f, 2, "speed_flops", p->speed_flops);
    fprintf(f, "  cores: %d\n", p->cores);
    emit_kv(f, 2, "efficiency", p->efficiency);
    emit_kv(f, 2, "mem_bw_Bps", p->mem_bw_Bps);
    fputs("power:\n", f);
    emit_kv(f, 2, "idle_w", p->power_idle_w);
    emit_kv(f, 2, "busy_w", p->power_busy_w);
    if (p->fit_file) {
        fputs("fit_file: ", f);
        emit_str(f, p->fit_file);
        fputc('\n', f);
    }
    if (p->gpu_model) {
        fputs("# layers priced by the In-situ AI GPU model with this preset (docs/calibration.md), not by "
              "the fit\n"
              "gpu_model: ",
              f);
        emit_str(f, p->gpu_model);
        fputc('\n', f);
    }
    if (p->fpga_model) {
        fputs("# layers priced by the In-situ AI FPGA engines of this design (docs/calibration.md), not by the "
              "fit\n"
              "fpga_model: ",
              f);
        emit_str(f, p->fpga_model);
        fputc('\n', f);
    }
    const sr_profile_fit *fit = p->fit;
    if (fit) {
        fputs("fit:\n", f);
        emit_kv(f, 2, "ref_flops", fit->ref_flops);
        emit_kv(f, 2, "ref_mem_bw_Bps", fit->ref_mem_bw_Bps);
        fputs("  scaling: ", f);
        emit_str(f, fit->scaling);
        fputs("\n  layers:\n", f);
        for (int c = 0; c < SR_LC_COUNT; c++) {
            const sr_profile_class_fit *cf = &fit->cls[c];
            if (!cf->fitted) continue;
            sr_feature feats[SR_FIT_MAX_COEF];
            int n = sr_layer_class_features((sr_layer_class)c, feats);
            fprintf(f, "    %s:\n      form: %s\n      bound: %s\n      features: [",
                    sr_layer_class_name((sr_layer_class)c), sr_fit_form_name(cf->form),
                    sr_layer_class_compute_bound((sr_layer_class)c) ? "compute" : "memory");
            for (int j = 0; j < n; j++)
                fprintf(f, "%s%s", j ? ", " : "", sr_feature_name(feats[j]));
            fputs("]\n      coef: [", f);
            for (int j = 0; j < cf->n_coef; j++) {
                if (j) fputs(", ", f);
                emit_num(f, cf->coef[j]);
            }
            fputs("]\n", f);
            emit_kv(f, 6, "r2", cf->r2);
            emit_kv(f, 6, "cv_median_rel_err", cf->cv_median_rel_err);
            fprintf(f, "      points: %d\n", cf->n_points);
        }
        fputs("  holdout:\n    models: ", f);
        emit_str(f, fit->holdout_models);
        fprintf(f, "\n    layers: %d\n", fit->holdout_layers);
        emit_kv(f, 4, "layer_median_rel_err", fit->holdout_layer_median);
        emit_kv(f, 4, "layer_p90_rel_err", fit->holdout_layer_p90);
        emit_kv(f, 4, "model_median_rel_err", fit->holdout_model_median);
        emit_kv(f, 4, "model_p90_rel_err", fit->holdout_model_p90);
        fputs("  codecs:", f);
        if (fit->n_codecs == 0) fputs(" []", f);
        fputc('\n', f);
        for (int i = 0; i < fit->n_codecs; i++) {
            const sr_profile_codec_cost *cc = &fit->codecs[i];
            fputs("    - pipeline: ", f);
            emit_str(f, cc->pipeline);
            fputc('\n', f);
            emit_kv(f, 6, "encode_s_per_elem", cc->encode_s_per_elem);
            emit_kv(f, 6, "decode_s_per_elem", cc->decode_s_per_elem);
            emit_kv(f, 6, "bytes_per_elem", cc->bytes_per_elem);
        }
        fputs("  copy:\n", f);
        emit_kv(f, 4, "memcpy_Bps", fit->memcpy_Bps);
        emit_kv(f, 4, "raw_s_per_byte", fit->ser_raw_s_per_byte);
        fputs("  protobuf:\n", f);
        emit_kv(f, 4, "encode_fixed_s", fit->pb_encode_fixed_s);
        emit_kv(f, 4, "encode_s_per_byte", fit->pb_encode_s_per_byte);
        emit_kv(f, 4, "decode_fixed_s", fit->pb_decode_fixed_s);
        emit_kv(f, 4, "decode_s_per_byte", fit->pb_decode_s_per_byte);
        fputs("  rune:\n", f);
        emit_kv(f, 4, "native_inference_s", fit->rune_native_inf_s);
        emit_kv(f, 4, "overhead_rust", fit->rune_overhead_rust);
        emit_kv(f, 4, "overhead_protobuf", fit->rune_overhead_protobuf);
        emit_kv(f, 4, "bytes_rust", fit->rune_bytes_rust);
        emit_kv(f, 4, "bytes_protobuf", fit->rune_bytes_protobuf);
        if (fit->rune_measured_native_s > 0)
            emit_kv(f, 4, "measured_native_inference_s", fit->rune_measured_native_s);
        if (fit->corun_interference > 0) {
            fputs("  # co-running interference measured on the calibrating host's CPU (sr_corun.h), a stand-in for "
                  "the device\n  corun:\n",
                  f);
            emit_kv(f, 4, "interference", fit->corun_interference);
            emit_kv(f, 4, "alone_cpu_s", fit->corun_alone_cpu_s);
            emit_kv(f, 4, "with_cpu_s", fit->corun_with_cpu_s);
            emit_kv(f, 4, "wall_ratio", fit->corun_wall_ratio);
        }
        if (fit->idle.n > 0) {
            fputs("  # compute after idle (sr_idle.h): forwards after sleeping gap_s against warm ones, on the "
                  "calibrating host\n  idle:\n    model: ",
                  f);
            emit_str(f, fit->idle_model);
            fputc('\n', f);
            emit_kv(f, 4, "warm_s", fit->idle_warm_s);
            emit_kv(f, 4, "sigma", fit->idle_sigma);
            fprintf(f, "    rounds: %d\n    gap_s: [", fit->idle_rounds);
            for (int i = 0; i < fit->idle.n; i++) {
                if (i) fputs(", ", f);
                emit_num(f, fit->idle.gap_s[i]);
            }
            fputs("]\n    factor: [", f);
            for (int i = 0; i < fit->idle.n; i++) {
                if (i) fputs(", ", f);
                emit_num(f, fit->idle.factor[i]);
            }
            fputs("]\n", f);
        }
    }
    return ferror(f) ? SR_ERR_IO : SR_OK;
}

sr_status sr_profile_file_write(const sr_profile *p, const char *path, char *err, size_t err_size)
{
    if (!p || !path) return SR_ERR_INVALID;
    FILE *f = fopen(path, "w");
    if (!f) {
        if (err) snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        return SR_ERR_IO;
    }
    sr_status st = sr_profile_file_emit(p, f);
    if (fclose(f) != 0 && st == SR_OK) st = SR_ERR_IO;
    if (st != SR_OK && err) snprintf(err, err_size, "%s: write failed", path);
    return st;
}

/* ---------------------------------------------------------------------------------------------------
 * Reading */

typedef struct pctx {
    const char *path;
    char *err;
    size_t err_size;
    int failed;
} pctx;

static void node_mark(struct fy_node *n, int *line, int *col)
{
    *line = 0, *col = 0;
    if (!n) return;
    struct fy_token *t = fy_node_get_scalar_token(n);
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    if (m) *line = m->line + 1, *col = m->column + 1;
}

/* Reports an error at node `at` (a scalar: its position; otherwise the position of `key`). */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
perr(pctx *c, struct fy_node *at, struct fy_node *key, const char *fmt, ...)
{
    if (c->failed) return; /* keep the first error */
    c->failed = 1;
    int line, col;
    node_mark(at && fy_node_is_scalar(at) ? at : key, &line, &col);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->err) snprintf(c->err, c->err_size, "%s:%d:%d: %s", c->path, line, col, msg);
}

static const char *scalar_of(pctx *c, struct fy_node *v, struct fy_node *k, const char *what)
{
    if (!v || !fy_node_is_scalar(v)) {
        perr(c, v, k, "%s: expected a scalar", what);
        return NULL;
    }
    const char *s = fy_node_get_scalar0(v);
    if (!s) perr(c, v, k, "%s: out of memory", what);
    return s;
}

static int get_num(pctx *c, struct fy_node *v, struct fy_node *k, const char *what, double *out)
{
    const char *s = scalar_of(c, v, k, what);
    if (!s) return -1;
    if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, "nan") == 0) {
        *out = NAN;
        return 0;
    }
    /* YAML 1.2 core-schema infinities, as emit_num writes them */
    const char *u = (*s == '+' || *s == '-') ? s + 1 : s;
    if (strcmp(u, ".inf") == 0 || strcmp(u, ".Inf") == 0 || strcmp(u, ".INF") == 0 || strcmp(u, "inf") == 0) {
        *out = *s == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE) {
        perr(c, v, k, "%s: '%s' is not a number", what, s);
        return -1;
    }
    *out = d;
    return 0;
}

static int get_nonneg(pctx *c, struct fy_node *v, struct fy_node *k, const char *what, double *out)
{
    if (get_num(c, v, k, what, out)) return -1;
    if (!(*out >= 0) || !isfinite(*out)) {
        perr(c, v, k, "%s: must be a finite number >= 0", what);
        return -1;
    }
    return 0;
}

static int get_int(pctx *c, struct fy_node *v, struct fy_node *k, const char *what, int lo, int hi, int *out)
{
    double d;
    if (get_num(c, v, k, what, &d)) return -1;
    if (d != floor(d) || d < lo || d > hi) {
        perr(c, v, k, "%s: expected an integer in [%d, %d]", what, lo, hi);
        return -1;
    }
    *out = (int)d;
    return 0;
}

static int get_text(pctx *c, struct fy_node *v, struct fy_node *k, const char *what, char *buf, size_t size)
{
    const char *s = scalar_of(c, v, k, what);
    if (!s) return -1;
    if (strlen(s) >= size) {
        perr(c, v, k, "%s: longer than %zu characters", what, size - 1);
        return -1;
    }
    strcpy(buf, s);
    return 0;
}

static int get_str(pctx *c, struct fy_node *v, struct fy_node *k, const char *what, char **out)
{
    const char *s = scalar_of(c, v, k, what);
    if (!s) return -1;
    free(*out);
    *out = strdup(s);
    if (!*out) {
        perr(c, v, k, "%s: out of memory", what);
        return -1;
    }
    return 0;
}

static int want_map(pctx *c, struct fy_node *v, struct fy_node *k, const char *what)
{
    if (!v || !fy_node_is_mapping(v)) {
        perr(c, v, k, "%s: expected a mapping", what);
        return -1;
    }
    return 0;
}

/* Iterates the pairs of mapping m: *key gets the key node, *val the value, *name the key string. */
static int next_pair(pctx *c, struct fy_node *m, void **it, struct fy_node **key, struct fy_node **val,
                     const char **name)
{
    struct fy_node_pair *pr = fy_node_mapping_iterate(m, it);
    if (!pr) return 0;
    *key = fy_node_pair_key(pr);
    *val = fy_node_pair_value(pr);
    *name = *key && fy_node_is_scalar(*key) ? fy_node_get_scalar0(*key) : NULL;
    if (!*name) {
        perr(c, *key, *key, "keys must be plain strings");
        return 0;
    }
    return 1;
}

static void parse_class(pctx *c, struct fy_node *m, struct fy_node *mk, sr_layer_class cls,
                        sr_profile_fit *fit)
{
    if (want_map(c, m, mk, sr_layer_class_name(cls))) return;
    sr_profile_class_fit *cf = &fit->cls[cls];
    sr_feature feats[SR_FIT_MAX_COEF];
    int nf = sr_layer_class_features(cls, feats);
    int have_form = 0, have_coef = 0;
    void *it = NULL;
    struct fy_node *k, *v;
    const char *name;
    while (!c->failed && next_pair(c, m, &it, &k, &v, &name)) {
        if (strcmp(name, "form") == 0) {
            const char *s = scalar_of(c, v, k, "form");
            if (s && sr_fit_form_parse(s, &cf->form) != SR_OK)
                perr(c, v, k, "form: unknown fit form '%s' (linear, loglinear)", s);
            have_form = 1;
        } else if (strcmp(name, "bound") == 0) {
            const char *s = scalar_of(c, v, k, "bound");
            const char *want = sr_layer_class_compute_bound(cls) ? "compute" : "memory";
            if (s && strcmp(s, want) != 0)
                perr(c, v, k, "bound: class %s is %s-bound in this simrun, not '%s'",
                     sr_layer_class_name(cls), want, s);
        } else if (strcmp(name, "features") == 0) {
            if (!fy_node_is_sequence(v) || fy_node_sequence_item_count(v) != nf) {
                perr(c, v, k, "features: class %s has %d features", sr_layer_class_name(cls), nf);
                break;
            }
            for (int j = 0; j < nf && !c->failed; j++) {
                struct fy_node *e = fy_node_sequence_get_by_index(v, j);
                const char *s = scalar_of(c, e, k, "features");
                if (s && strcmp(s, sr_feature_name(feats[j])) != 0)
                    perr(c, e, k, "features: item %d of class %s must be '%s', not '%s'", j,
                         sr_layer_class_name(cls), sr_feature_name(feats[j]), s);
            }
        } else if (strcmp(name, "coef") == 0) {
            if (!fy_node_is_sequence(v) || fy_node_sequence_item_count(v) != nf) {
                perr(c, v, k, "coef: class %s needs %d coefficients", sr_layer_class_name(cls), nf);
                break;
            }
            for (int j = 0; j < nf && !c->failed; j++) {
                struct fy_node *e = fy_node_sequence_get_by_index(v, j);
                if (get_num(c, e, k, "coef", &cf->coef[j]) == 0 && !isfinite(cf->coef[j]))
                    perr(c, e, k, "coef: must be finite");
            }
            cf->n_coef = nf;
            have_coef = 1;
        } else if (strcmp(name, "r2") == 0) {
            get_num(c, v, k, "r2", &cf->r2);
        } else if (strcmp(name, "cv_median_rel_err") == 0) {
            get_num(c, v, k, "cv_median_rel_err", &cf->cv_median_rel_err);
        } else if (strcmp(name, "points") == 0) {
            get_int(c, v, k, "points", 0, 1 << 30, &cf->n_points);
        } else {
            perr(c, k, k,
                 "unknown key '%s' in layer class %s (form, bound, features, coef, r2, "
                 "cv_median_rel_err, points)",
                 name, sr_layer_class_name(cls));
        }
    }
    if (!c->failed && (!have_form || !have_coef))
        perr(c, mk, mk, "layer class %s: needs form and coef", sr_layer_class_name(cls));
    cf->fitted = !c->failed;
}

static void parse_codecs(pctx *c, struct fy_node *s, struct fy_node *sk, sr_profile_fit *fit)
{
    if (!fy_node_is_sequence(s)) {
        perr(c, s, sk, "codecs: expected a sequence");
        return;
    }
    int n = fy_node_sequence_item_count(s);
    if (n > SR_PROFILE_MAX_CODECS) {
        perr(c, s, sk, "codecs: at most %d entries", SR_PROFILE_MAX_CODECS);
        return;
    }
    for (int i = 0; i < n && !c->failed; i++) {
        struct fy_node *m = fy_node_sequence_get_by_index(s, i);
        if (want_map(c, m, sk, "codecs entry")) return;
        sr_profile_codec_cost *cc = &fit->codecs[i];
        void *it = NULL;
        struct fy_node *k, *v;
        const char *name;
        while (!c->failed && next_pair(c, m, &it, &k, &v, &name)) {
            if (strcmp(name, "pipeline") == 0)
                get_text(c, v, k, "pipeline", cc->pipeline, sizeof cc->pipeline);
            else if (strcmp(name, "encode_s_per_elem") == 0)
                get_nonneg(c, v, k, name, &cc->encode_s_per_elem);
            else if (strcmp(name, "decode_s_per_elem") == 0)
                get_nonneg(c, v, k, name, &cc->decode_s_per_elem);
            else if (strcmp(name, "bytes_per_elem") == 0)
                get_nonneg(c, v, k, name, &cc->bytes_per_elem);
            else
                perr(c, k, k,
                     "unknown key '%s' in a codecs entry (pipeline, encode_s_per_elem, "
                     "decode_s_per_elem, bytes_per_elem)",
                     name);
        }
        fit->n_codecs = i + 1;
    }
}

/* A flow sequence of up to SR_IDLE_MAX_POINTS numbers into v; its length, or -1 after an error. */
static int parse_num_list(pctx *c, struct fy_node *v, struct fy_node *k, const char *what, double *out)
{
    if (!fy_node_is_sequence(v)) {
        perr(c, v, k, "%s: expected a sequence of numbers", what);
        return -1;
    }
    int n = fy_node_sequence_item_count(v);
    if (n > SR_IDLE_MAX_POINTS) {
        perr(c, v, k, "%s: at most %d numbers, got %d", what, SR_IDLE_MAX_POINTS, n);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (get_num(c, fy_node_sequence_get_by_index(v, i), k, what, &out[i]) != 0) return -1;
    return n;
}

static void parse_idle(pctx *c, struct fy_node *m, struct fy_node *mk, sr_profile_fit *fit)
{
    if (want_map(c, m, mk, "idle")) return;
    void *it = NULL;
    struct fy_node *k, *v, *gk = NULL;
    const char *name;
    int ng = -2, nf = -2;
    while (!c->failed && next_pair(c, m, &it, &k, &v, &name)) {
        if (strcmp(name, "model") == 0)
            get_text(c, v, k, name, fit->idle_model, sizeof fit->idle_model);
        else if (strcmp(name, "warm_s") == 0)
            get_nonneg(c, v, k, name, &fit->idle_warm_s);
        else if (strcmp(name, "rounds") == 0)
            get_int(c, v, k, name, 0, 1 << 30, &fit->idle_rounds);
        else if (strcmp(name, "sigma") == 0) {
            if (get_nonneg(c, v, k, name, &fit->idle_sigma) == 0 && !(fit->idle_sigma <= 1.0))
                perr(c, v, k, "sigma: a lognormal spread of at most 1 (a factor of e), got %g", fit->idle_sigma);
        }
        else if (strcmp(name, "gap_s") == 0)
            ng = parse_num_list(c, v, k, name, fit->idle.gap_s), gk = k;
        else if (strcmp(name, "factor") == 0)
            nf = parse_num_list(c, v, k, name, fit->idle.factor);
        else
            perr(c, k, k, "unknown key '%s' in idle (model, warm_s, sigma, rounds, gap_s, factor)", name);
    }
    if (c->failed) return;
    if (ng < 0 || nf < 0) {
        perr(c, mk, mk, "idle: needs gap_s and factor");
        return;
    }
    if (ng != nf) {
        perr(c, gk, gk, "idle: gap_s has %d numbers and factor %d; they go in pairs", ng, nf);
        return;
    }
    fit->idle.n = ng;
    char why[160];
    if (sr_idle_curve_check(&fit->idle, why, sizeof why) != 0) perr(c, gk, gk, "idle: %s", why);
}

typedef struct numkey {
    const char *key;
    double *dst;
    int nonneg;
} numkey;

static void parse_nums(pctx *c, struct fy_node *m, struct fy_node *mk, const char *section,
                       const numkey *keys, int n_keys)
{
    if (want_map(c, m, mk, section)) return;
    void *it = NULL;
    struct fy_node *k, *v;
    const char *name;
    while (!c->failed && next_pair(c, m, &it, &k, &v, &name)) {
        int found = 0;
        for (int i = 0; i < n_keys && !found; i++) {
            if (strcmp(name, keys[i].key) != 0) continue;
            found = 1;
            if (keys[i].nonneg)
                get_nonneg(c, v, k, name, keys[i].dst);
            else
                get_num(c, v, k, name, keys[i].dst);
        }
        if (!found) {
            char list[256] = "";
            size_t used = 0;
            for (int i = 0; i < n_keys && used < sizeof list; i++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", keys[i].key);
            perr(c, k, k, "unknown key '%s' in %s (%s)", name, section, list);
        }
    }
}

static void parse_fit(pctx *c, struct fy_node *m, struct fy_node *mk, sr_profile_fit *fit)
{
    if (want_map(c, m, mk, "fit")) return;
    int have_ref = 0;
    void *it = NULL;
    struct fy_node *k, *v;
    const char *name;
    while (!c->failed && next_pair(c, m, &it, &k, &v, &name)) {
        if (strcmp(name, "ref_flops") == 0) {
            if (get_num(c, v, k, name, &fit->ref_flops) == 0 &&
                !(fit->ref_flops > 0 && isfinite(fit->ref_flops)))
                perr(c, v, k, "ref_flops: must be > 0");
            have_ref |= 1;
        } else if (strcmp(name, "ref_mem_bw_Bps") == 0) {
            if (get_num(c, v, k, name, &fit->ref_mem_bw_Bps) == 0 &&
                !(fit->ref_mem_bw_Bps > 0 && isfinite(fit->ref_mem_bw_Bps)))
                perr(c, v, k, "ref_mem_bw_Bps: must be > 0");
            have_ref |= 2;
        } else if (strcmp(name, "scaling") == 0) {
            get_text(c, v, k, name, fit->scaling, sizeof fit->scaling);
        } else if (strcmp(name, "layers") == 0) {
            if (want_map(c, v, k, "layers")) break;
            void *it2 = NULL;
            struct fy_node *k2, *v2;
            const char *cname;
            while (!c->failed && next_pair(c, v, &it2, &k2, &v2, &cname)) {
                sr_layer_class cls;
                if (sr_layer_class_parse(cname, &cls) != SR_OK) {
                    perr(c, k2, k2, "unknown layer class '%s'", cname);
                    break;
                }
                parse_class(c, v2, k2, cls, fit);
            }
        } else if (strcmp(name, "holdout") == 0) {
            if (want_map(c, v, k, "holdout")) break;
            void *it2 = NULL;
            struct fy_node *k2, *v2;
            const char *hn;
            while (!c->failed && next_pair(c, v, &it2, &k2, &v2, &hn)) {
                if (strcmp(hn, "models") == 0)
                    get_text(c, v2, k2, hn, fit->holdout_models, sizeof fit->holdout_models);
                else if (strcmp(hn, "layers") == 0) /* a count: inf or 1e300 into an int was undefined (fuzz_profile) */
                    get_int(c, v2, k2, hn, 0, 1 << 30, &fit->holdout_layers);
                else if (strcmp(hn, "layer_median_rel_err") == 0)
                    get_num(c, v2, k2, hn, &fit->holdout_layer_median);
                else if (strcmp(hn, "layer_p90_rel_err") == 0)
                    get_num(c, v2, k2, hn, &fit->holdout_layer_p90);
                else if (strcmp(hn, "model_median_rel_err") == 0)
                    get_num(c, v2, k2, hn, &fit->holdout_model_median);
                else if (strcmp(hn, "model_p90_rel_err") == 0)
                    get_num(c, v2, k2, hn, &fit->holdout_model_p90);
                else
                    perr(c, k2, k2, "unknown key '%s' in holdout", hn);
            }
        } else if (strcmp(name, "codecs") == 0) {
            parse_codecs(c, v, k, fit);
        } else if (strcmp(name, "copy") == 0) {
            numkey keys[] = {{"memcpy_Bps", &fit->memcpy_Bps, 1},
                             {"raw_s_per_byte", &fit->ser_raw_s_per_byte, 1}};
            parse_nums(c, v, k, "copy", keys, 2);
        } else if (strcmp(name, "protobuf") == 0) {
            numkey keys[] = {{"encode_fixed_s", &fit->pb_encode_fixed_s, 1},
                             {"encode_s_per_byte", &fit->pb_encode_s_per_byte, 1},
                             {"decode_fixed_s", &fit->pb_decode_fixed_s, 1},
                             {"decode_s_per_byte", &fit->pb_decode_s_per_byte, 1}};
            parse_nums(c, v, k, "protobuf", keys, 4);
        } else if (strcmp(name, "rune") == 0) {
            numkey keys[] = {{"native_inference_s", &fit->rune_native_inf_s, 1},
                             {"overhead_rust", &fit->rune_overhead_rust, 0},
                             {"overhead_protobuf", &fit->rune_overhead_protobuf, 0},
                             {"bytes_rust", &fit->rune_bytes_rust, 1},
                             {"bytes_protobuf", &fit->rune_bytes_protobuf, 1},
                             {"measured_native_inference_s", &fit->rune_measured_native_s, 1}};
            parse_nums(c, v, k, "rune", keys, 6);
        } else if (strcmp(name, "corun") == 0) {
            numkey keys[] = {{"interference", &fit->corun_interference, 1},
                             {"alone_cpu_s", &fit->corun_alone_cpu_s, 1},
                             {"with_cpu_s", &fit->corun_with_cpu_s, 1},
                             {"wall_ratio", &fit->corun_wall_ratio, 1}};
            parse_nums(c, v, k, "corun", keys, 4);
            if (!c->failed && !(fit->corun_interference >= 1.0))
                perr(c, k, k, "corun: interference must be >= 1 (a co-runner cannot speed a task up), got %g",
                     fit->corun_interference);
        } else if (strcmp(name, "idle") == 0) {
            parse_idle(c, v, k, fit);
        } else {
            perr(c, k, k,
                 "unknown key '%s' in fit (ref_flops, ref_mem_bw_Bps, scaling, layers, holdout, "
                 "codecs, copy, protobuf, rune, corun, idle)",
                 name);
        }
    }
    if (!c->failed && have_ref != 3) perr(c, mk, mk, "fit: needs ref_flops and ref_mem_bw_Bps");
}

static void parse_profile(pctx *c, struct fy_node *root, owned_profile *o)
{
    if (!root || !fy_node_is_mapping(root)) {
        perr(c, root, root, "a profile file is a mapping (name:, class:, roofline:, ...)");
        return;
    }
    int have = 0; /* bits: name, roofline */
    void *it = NULL;
    struct fy_node *k, *v;
    const char *name;
    struct fy_node *first_key = NULL;
    while (!c->failed && next_pair(c, root, &it, &k, &v, &name)) {
        if (!first_key) first_key = k;
        if (strcmp(name, "name") == 0) {
            if (get_str(c, v, k, name, &o->name) == 0 && o->name[0] == '\0') perr(c, v, k, "name: empty");
            have |= 1;
        } else if (strcmp(name, "class") == 0) {
            get_str(c, v, k, name, &o->device_class);
        } else if (strcmp(name, "description") == 0) {
            get_str(c, v, k, name, &o->description);
        } else if (strcmp(name, "source") == 0) {
            get_str(c, v, k, name, &o->source);
        } else if (strcmp(name, "fit_file") == 0) {
            get_str(c, v, k, name, &o->fit_file);
        } else if (strcmp(name, "gpu_model") == 0) {
            sr_gpu_insitu_params gp;
            if (get_str(c, v, k, name, &o->gpu_model) == 0 &&
                sr_gpu_insitu_preset(o->gpu_model, &gp) != SR_OK)
                perr(c, v, k,
                     "gpu_model: unknown In-situ AI GPU preset '%s' (jetson-tx1, titan-x-maxwell, "
                     "titan-x-pascal)",
                     o->gpu_model);
        } else if (strcmp(name, "fpga_model") == 0) {
            sr_fpga_design fd;
            if (get_str(c, v, k, name, &o->fpga_model) == 0 && sr_fpga_design_preset(o->fpga_model, &fd) != SR_OK) {
                char names[256] = "";
                for (int i = 0; sr_fpga_design_name(i); i++)
                    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                             sr_fpga_design_name(i));
                perr(c, v, k, "fpga_model: unknown In-situ AI FPGA design '%s' (%s)", o->fpga_model, names);
            }
        } else if (strcmp(name, "roofline") == 0) {
            double cores = 0;
            numkey keys[] = {{"speed_flops", &o->p.speed_flops, 1},
                             {"cores", &cores, 1},
                             {"efficiency", &o->p.efficiency, 1},
                             {"mem_bw_Bps", &o->p.mem_bw_Bps, 1}};
            parse_nums(c, v, k, "roofline", keys, 4);
            if (c->failed) break;
            if (cores != floor(cores) || cores < 1 || cores > 1e6) {
                perr(c, k, k, "roofline: cores must be an integer >= 1");
                break;
            }
            o->p.cores = (int)cores;
            if (!(o->p.speed_flops > 0) || !(o->p.efficiency > 0 && o->p.efficiency <= 1)) {
                perr(c, k, k, "roofline: needs speed_flops > 0 and efficiency in (0, 1]");
                break;
            }
            have |= 2;
        } else if (strcmp(name, "power") == 0) {
            numkey keys[] = {{"idle_w", &o->p.power_idle_w, 1}, {"busy_w", &o->p.power_busy_w, 1}};
            parse_nums(c, v, k, "power", keys, 2);
        } else if (strcmp(name, "fit") == 0) {
            parse_fit(c, v, k, &o->fit);
            o->p.fit = &o->fit;
        } else {
            perr(c, k, k,
                 "unknown key '%s' (name, class, description, source, roofline, power, fit_file, gpu_model, "
                 "fpga_model, fit)",
                 name);
        }
    }
    if (!c->failed && (have & 1) == 0) perr(c, first_key, first_key, "missing key 'name'");
    if (!c->failed && (have & 2) == 0) perr(c, first_key, first_key, "missing section 'roofline'");
}

static void silent_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag, (void)user, (void)buf, (void)len;
}

sr_status sr_profile_file_load_string(const char *text, size_t len, const char *name, sr_profile **out,
                                      char *err, size_t err_size)
{
    if (!text || !out) return SR_ERR_INVALID;
    pctx c = {name ? name : "<string>", err, err_size, 0};
    if (err && err_size) err[0] = '\0';
    int bad_line = 0, bad_col = 0;
    size_t bad = sr_yaml_text_first_invalid(text, len, &bad_line, &bad_col);
    if (bad < len) { /* before libfyaml, which loops for ever on some invalid bytes and crashes on a NUL (found by
                      * fuzz_profile) */
        if (((unsigned char)text[bad] < 0x20 && text[bad] != '\t') || (unsigned char)text[bad] == 0x7F)
            sr_errf(err, err_size, "%s:%d:%d: control character 0x%02x: profile files are UTF-8 text, which YAML says "
                    "cannot hold it", c.path, bad_line, bad_col, (unsigned char)text[bad]);
        else if (text[bad] == '\t')
            sr_errf(err, err_size, "%s:%d:%d: a tab: simrun's YAML files take spaces (libfyaml crashes on tabs in "
                    "some places)", c.path, bad_line, bad_col);
        else
            sr_errf(err, err_size, "%s:%d:%d: not valid UTF-8 (byte 0x%02x): profile files are UTF-8 text", c.path,
                    bad_line, bad_col, (unsigned char)text[bad]);
        return SR_ERR_PARSE;
    }
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.output_fn = silent_output;
    dc.colorize = false;
    struct fy_diag *fyd = fy_diag_create(&dc);
    owned_profile *o = calloc(1, sizeof *o);
    struct fy_document *doc = NULL;
    sr_status st = SR_ERR_PARSE;
    if (!fyd || !o) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    fy_diag_set_collect_errors(fyd, true);
    sr_profile_fit_init(&o->fit);
    struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = fyd};
    errno = 0;
    doc = fy_document_build_from_string(&pc, text, len);
    const int oom = errno == ENOMEM;
    void *it = NULL;
    struct fy_diag_error *de;
    while ((de = fy_diag_errors_iterate(fyd, &it))) {
        if (de->type < FYET_ERROR) continue;
        if (!c.failed && err)
            snprintf(err, err_size, "%s:%d:%d: %s", c.path, de->line, de->column,
                     de->msg ? de->msg : "YAML syntax error");
        c.failed = 1;
    }
    if (!doc && !c.failed && oom) {
        /* a failed allocation inside libfyaml (seen under --point-memory 16MiB, where it had been reported as
         * "malformed input") */
        if (err) snprintf(err, err_size, "%s: out of memory while reading the profile", c.path);
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    if (!doc && !c.failed) {
        if (err) snprintf(err, err_size, "%s:1:1: no YAML document (the file is empty or only comments)", c.path);
        c.failed = 1;
    }
    if (c.failed) goto cleanup;
    parse_profile(&c, fy_document_root(doc), o);
    if (c.failed) goto cleanup;
    o->p.name = o->name;
    o->p.device_class = o->device_class ? o->device_class : (o->device_class = strdup(""));
    o->p.description = o->description ? o->description : (o->description = strdup(""));
    o->p.source = o->source ? o->source : (o->source = strdup(""));
    o->p.fit_file = o->fit_file;
    o->p.gpu_model = o->gpu_model;
    o->p.fpga_model = o->fpga_model;
    if (!o->p.device_class || !o->p.description || !o->p.source) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    *out = &o->p;
    o = NULL;
    st = SR_OK;
cleanup:
    if (doc) fy_document_destroy(doc);
    if (fyd) fy_diag_destroy(fyd);
    if (o) sr_profile_file_free(&o->p);
    return st;
}

sr_status sr_profile_file_load(const char *path, sr_profile **out, char *err, size_t err_size)
{
    if (!path || !out) return SR_ERR_INVALID;
    uint8_t *data = NULL;
    size_t len = 0;
    sr_status rst = sr_file_read_max(path, SR_PROFILE_MAX_BYTES, &data, &len);
    if (rst != SR_OK) {
        int e = errno;
        char why[160];
        if (err && rst == SR_ERR_IO)
            snprintf(err, err_size, "%s: cannot open: %s", path, strerror(e));
        else if (err)
            snprintf(err, err_size, "%s: cannot read: %s", path,
                     sr_file_read_why(rst, e, SR_PROFILE_MAX_BYTES, "a profile", why, sizeof why));
        return rst;
    }
    char *buf = (char *)data;
    sr_status st = sr_profile_file_load_string(buf, len, path, out, err, err_size);
    free(buf);
    return st;
}
