/* cmd_list.c: `simrun list` (the catalogues with their sources) and `simrun show` (one model's layer
 * table, one device profile). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_cmd.h"
#include "sr_policy.h"
#include "sr_codec.h"
#include "sr_experiment.h"
#include "sr_graph.h"
#include "sr_linkclass.h"
#include "sr_model_source.h"
#include "sr_profile.h"
#include "sr_zoo.h"

static void list_devices(void)
{
    printf("%-14s %-7s %12s %5s %6s %10s %8s %8s  %s\n", "profile", "class", "peak GF/s", "cores", "eff",
           "mem GB/s", "idle W", "busy W", "description");
    for (int i = 0; i < sr_profile_count(); i++) {
        const sr_profile *p = sr_profile_at(i);
        printf("%-14s %-7s %12.1f %5d %6.2f %10.1f %8.2f %8.2f  %s\n", p->name, p->device_class,
               p->speed_flops * p->cores / 1e9, p->cores, p->efficiency, p->mem_bw_Bps / 1e9, p->power_idle_w,
               p->power_busy_w, p->description);
        printf("%-14s source: %s\n", "", p->source);
        if (p->gpu_model)
            printf("%-14s layers: In-situ AI GPU model, preset %s\n", "", p->gpu_model);
        else if (p->fpga_model)
            printf("%-14s layers: In-situ AI FPGA engines, design %s\n", "", p->fpga_model);
        else if (p->fit_file)
            printf("%-14s layers: fitted per layer type (%s)\n", "", p->fit_file);
        else
            printf("%-14s layers: roofline\n", "");
    }
}

static void list_links(void)
{
    printf("%-9s %14s %12s %-8s  %s\n", "type", "bandwidth", "latency", "sharing", "description");
    for (int i = 0; i < sr_link_class_count(); i++) {
        const sr_link_class *l = sr_link_class_at(i);
        char bw[32];
        if (l->bw_bps >= 1e9)
            snprintf(bw, sizeof bw, "%g Gbps", l->bw_bps / 1e9);
        else if (l->bw_bps >= 1e6)
            snprintf(bw, sizeof bw, "%g Mbps", l->bw_bps / 1e6);
        else
            snprintf(bw, sizeof bw, "%g Kbps", l->bw_bps / 1e3);
        printf("%-9s %14s %10g ms %-8s  %s\n", l->name, bw, l->latency_s * 1e3, l->sharing, l->description);
        printf("%-9s source: %s\n", "", l->source);
    }
}

static void list_models(void)
{
    printf("%-12s %-12s %16s %14s  %s\n", "model", "input", "MACs", "params", "definition");
    for (int i = 0; i < sr_zoo_count(); i++) {
        int c, h, w;
        sr_zoo_default_input(i, &c, &h, &w);
        sr_graph *g = NULL;
        sr_graph_totals t = {0};
        if (sr_zoo_build(sr_zoo_name(i), 0, 0, 0, &g) == SR_OK) sr_graph_totals_get(g, &t);
        sr_graph_free(g);
        char in[32];
        snprintf(in, sizeof in, "%dx%dx%d", c, h, w);
        printf("%-12s %-12s %16lld %14lld  %s\n", sr_zoo_name(i), in, (long long)t.macs, (long long)t.params,
               sr_zoo_description(i));
    }
}

static void list_policies(void)
{
    for (int k = 0; k < sr_policy_count(); k++) {
        const sr_policy_ops *ops = sr_policy_at(k);
        printf("%-12s %s\n", ops->name, ops->doc);
        for (int i = 0; ops->params && i < ops->params->n_fields; i++) {
            const sr_field *f = &ops->params->fields[i];
            printf("  %-22s %s%s\n", f->key, f->doc, (f->flags & SR_FF_REQUIRED) ? " (required)" : "");
        }
    }
}

/* The activation codec pipeline grammar (models/codec/sr_codec_grammar.c). */
static void list_codecs(void)
{
    printf("Activation codec pipelines (policy key `codec:` of a split policy; `simrun codec-table` measures "
           "them).\n"
           "A pipeline is its stages joined by '+', in this order, each optional:\n"
           "  [transform] [quantizer] [zrle] [entropy]     or     inter(<pipeline>,key=K)\n\n");
    printf("%-10s %-27s %-34s %s\n", "stage", "syntax", "example", "meaning");
    for (int i = 0; i < sr_codec_grammar_count(); i++) {
        const sr_codec_stage_doc *d = sr_codec_grammar_at(i);
        printf("%-10s %-27s %-34s %s\n", d->stage, d->syntax, d->example, d->meaning);
    }
    printf("\nWithout a quantizer the (transformed) floats are sent raw; zrle and the entropy coders need a "
           "quantizer.\n"
           "Whole-frame codecs for the cloud-only baseline (JPEG via libjpeg-turbo, H.264 via x264) are "
           "measured by\n"
           "`simrun codec-table`; see docs/codec-table.md.\n");
}

static void list_usage(FILE *f)
{
    fputs("usage: simrun list devices|profiles|links|models|policies|codecs\n\n"
          "  devices, profiles  device profiles: peak speed, memory bandwidth, power, source, cost model\n"
          "  links              link classes with their default bandwidth, latency and sources\n"
          "  models             the model zoo with MACs and parameter counts\n"
          "  policies           placement policies\n"
          "  codecs             the grammar of an activation codec pipeline, with examples\n",
          f);
}

int sr_cmd_list(int argc, char **argv)
{
    const char *what = argc >= 2 ? argv[1] : "";
    if (strcmp(what, "--help") == 0 || strcmp(what, "-h") == 0) {
        list_usage(stdout);
        return 0;
    }
    if (strcmp(what, "codecs") == 0)
        list_codecs();
    else if (strcmp(what, "devices") == 0 || strcmp(what, "profiles") == 0)
        list_devices();
    else if (strcmp(what, "links") == 0)
        list_links();
    else if (strcmp(what, "models") == 0)
        list_models();
    else if (strcmp(what, "policies") == 0)
        list_policies();
    else {
        list_usage(stderr);
        return 2;
    }
    return 0;
}

static int parse_chw(const char *s, int *c, int *h, int *w)
{
    char tail;
    return sscanf(s, "%dx%dx%d%c", c, h, w, &tail) == 3 && *c > 0 && *h > 0 && *w > 0;
}

/* Emmons et al.'s data amplification: each layer's output size at precision p divided by the raw frame
 * (the input tensor's elements at one byte each, i.e. 8-bit RGB). */
static void print_amplification(const sr_graph *g, sr_precision p)
{
    const sr_node *in = sr_graph_node(g, 0);
    double raw_bytes = (double)sr_shape_numel(&in->out);
    printf("%-5s %-28s %-8s %-18s %14s %10s\n", "id", "layer", "op", "output", "bytes", "x raw");
    double max_ratio = 0.0;
    int max_id = 0;
    for (int i = 0; i < sr_graph_node_count(g); i++) {
        const sr_node *n = sr_graph_node(g, i);
        char shape[64];
        sr_shape_format(&n->out, shape, sizeof shape);
        double bytes = (double)sr_node_output_bytes(g, i, p);
        printf("%-5d %-28s %-8s %-18s %14.0f %10.3f\n", i, n->name, sr_op_name(n->op), shape, bytes,
               bytes / raw_bytes);
        if (bytes / raw_bytes > max_ratio) max_ratio = bytes / raw_bytes, max_id = i;
    }
    printf("raw frame: %.0f bytes (8-bit); largest activation: %s, %.2fx the raw frame at %s\n", raw_bytes,
           sr_graph_node(g, max_id)->name, max_ratio, sr_precision_name(p));
}

static int show_model(int argc, char **argv)
{
    const char *name = NULL;
    int c = 0, h = 0, w = 0;
    sr_precision p = SR_PREC_FP32;
    int amplification = 0, splits = 0;
    const char *dev = "camera-soc", *tgt = "v100", *link = "lte", *bandwidth = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--amplification") == 0) {
            amplification = 1;
            continue;
        }
        if (strcmp(argv[i], "--splits") == 0) {
            splits = 1;
            continue;
        }
        const char **opt = strcmp(argv[i], "--profile") == 0     ? &dev
                           : strcmp(argv[i], "--target") == 0    ? &tgt
                           : strcmp(argv[i], "--link") == 0      ? &link
                           : strcmp(argv[i], "--bandwidth") == 0 ? &bandwidth
                                                                 : NULL;
        if (opt && i + 1 < argc) {
            *opt = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
            if (!parse_chw(argv[++i], &c, &h, &w)) {
                fprintf(stderr, "simrun show model: --input wants CxHxW (e.g. 3x224x224), got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--precision") == 0 && i + 1 < argc) {
            if (sr_precision_parse(argv[++i], &p) != SR_OK) {
                fprintf(stderr, "simrun show model: --precision wants fp32, fp16 or int8, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (argv[i][0] != '-' && !name) {
            name = argv[i];
        } else {
            fprintf(stderr, "simrun show model: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!name) {
        fprintf(
            stderr,
            "usage: simrun show model NAME|FILE.onnx|FILE.cfg [--input CxHxW] [--precision fp32|fp16|int8] "
            "[--amplification]\n");
        return 2;
    }
    sr_graph *g = NULL;
    char err[1024] = "";
    if (sr_model_load(name, c, h, w, 0, &g, NULL, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun show model: %s\n", err);
        return 2;
    }
    int rc = 0;
    if (splits)
        rc = sr_show_splits(g, p, dev, tgt, link, bandwidth);
    else if (amplification)
        print_amplification(g, p);
    else
        sr_graph_print(g, p, stdout);
    sr_graph_free(g);
    return rc;
}

static int show_profile(const char *name)
{
    char why[1024] = "";
    const sr_profile *p = sr_profile_find_err(name, why, sizeof why);
    if (!p && why[0]) {
        fprintf(stderr, "simrun show profile: %s\n", why);
        return 2;
    }
    if (!p && sr_profile_is_path(name)) {
        fprintf(stderr, "simrun show profile: cannot read profile file '%s'\n", name);
        return 2;
    }
    if (!p) {
        fprintf(stderr,
                "simrun show profile: unknown profile '%s' (see `simrun list devices`; or a file written by "
                "`simrun calibrate --out FILE`)\n",
                name);
        return 2;
    }
    sr_profile_print(p, stdout);
    return 0;
}

static void show_usage(FILE *f)
{
    fputs("usage: simrun show model NAME|FILE.onnx|FILE.cfg [--input CxHxW] [--precision fp32|fp16|int8]\n"
          "                        [--amplification] [--splits [--profile P] [--target T] [--link L] "
          "[--bandwidth B]]\n"
          "       simrun show profile NAME|FILE.yaml\n\n"
          "  model    the per-layer table of a zoo model (`simrun list models`), an ONNX file or a darknet "
          ".cfg:\n"
          "           shapes, MACs, parameters, bytes; --amplification: each layer's output size relative to "
          "the\n"
          "           raw 8-bit frame; --splits: the clean single-tensor cuts between device profile P (camera-soc)\n"
          "           and target T (v100) over link class L (lte; bandwidth B instead of the class's) with device\n"
          "           time, bytes sent (tensors at --precision) and predicted latency, and the best cut of all\n"
          "  profile  a device profile's numbers, their sources and its fitted cost model: a built-in\n"
          "           (`simrun list devices`), the shipped `host`, or a file written by `simrun calibrate --out`\n",
          f);
}

int sr_cmd_show(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            show_usage(stdout);
            return 0;
        }
    if (argc >= 3 && strcmp(argv[1], "model") == 0) return show_model(argc, argv);
    if (argc == 3 && strcmp(argv[1], "profile") == 0) return show_profile(argv[2]);
    show_usage(stderr);
    return 2;
}
