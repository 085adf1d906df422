/* sr_cut_price.c: per-node costs of both sides of a cut, and cut weights per objective (sr_cut_price.h). */
#include "sr_cut_price.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const objective_names[] = {"latency", "energy", "weighted"};
_Static_assert(sizeof objective_names / sizeof objective_names[0] == SR_CUT_OBJ_COUNT,
               "one name per objective");

const char *sr_cut_objective_name(sr_cut_objective o)
{
    return o >= 0 && o < SR_CUT_OBJ_COUNT ? objective_names[o] : "?";
}

void sr_cut_terms_free(sr_cut_terms *t)
{
    if (!t) return;
    free(t->dev_s);
    free(t->tgt_s);
    free(t->bytes);
    free(t->enc_s);
    free(t->dec_s);
    free(t->may_cross);
    free(t->pinned);
    free(t->codec);
    free(t->w_dev);
    free(t->w_tgt);
    free(t->w_cross);
    memset(t, 0, sizeof *t);
}

sr_status sr_cut_terms_price(const sr_graph *g, const sr_cut_sides *sides, sr_cut_terms *t, char *err,
                             size_t err_size)
{
    memset(t, 0, sizeof *t);
    int n = sr_graph_node_count(g);
    size_t m = (size_t)(n > 0 ? n : 1);
    t->n = n;
    t->dev_s = calloc(m, sizeof(double));
    t->tgt_s = calloc(m, sizeof(double));
    t->bytes = calloc(m, sizeof(double));
    t->enc_s = calloc(m, sizeof(double));
    t->dec_s = calloc(m, sizeof(double));
    t->may_cross = calloc(m, 1);
    t->pinned = calloc(m, 1);
    t->codec = calloc(m, sizeof(sr_plan_codec));
    t->w_dev = calloc(m, sizeof(double));
    t->w_tgt = calloc(m, sizeof(double));
    t->w_cross = calloc(m, sizeof(double));
    if (!t->dev_s || !t->tgt_s || !t->bytes || !t->enc_s || !t->dec_s || !t->may_cross || !t->pinned ||
        !t->codec || !t->w_dev || !t->w_tgt || !t->w_cross) {
        sr_cut_terms_free(t);
        return SR_ERR_NOMEM;
    }
    t->dev_busy_w = sides->dev_busy_w;
    t->radio_w = sides->radio_w;
    for (int v = 0; v < n; v++) {
        const sr_node *nd = sr_graph_node(g, v);
        if (nd->op == SR_OP_CONST) continue;
        sr_status st =
            sr_cost_layers(sides->dev_model, &sides->dev, g, v, v, sides->model_precision, 1, &t->dev_s[v]);
        if (st == SR_OK)
            st = sr_cost_layers(sides->tgt_model, &sides->tgt, g, v, v, sides->model_precision, 1,
                                &t->tgt_s[v]);
        if (st != SR_OK) {
            sr_errf(err, err_size, "cannot price layer '%s' of model '%s': %s", nd->name, sr_graph_name(g),
                    sr_status_message(st));
            sr_cut_terms_free(t);
            return st;
        }
        t->bytes[v] = nd->op == SR_OP_INPUT ? sides->frame_bytes
                                            : (double)sr_node_output_bytes(g, v, sides->activation_precision);
        t->may_cross[v] = 1;
        t->pinned[v] = nd->op == SR_OP_INPUT;
    }
    return SR_OK;
}

/* Codec seconds on a side: elements x s_per_element, scaled from the measuring host's single core. */
static double codec_side_s(const sr_cost_device *d, const sr_plan_codec *c, double elements, double per)
{
    double s = elements * per;
    double eff = d->efficiency > 0 ? d->efficiency : 1.0;
    if (c->host_flops > 0 && d->speed_flops > 0) s *= c->host_flops / (d->speed_flops * eff);
    return s;
}

sr_status sr_cut_terms_set_codec(sr_cut_terms *t, const sr_graph *g, int v, const sr_cut_sides *sides,
                                 const sr_plan_codec *codec)
{
    if (v < 0 || v >= t->n || !codec) return SR_ERR_INVALID;
    double elements = (double)sr_shape_numel(&sr_graph_node(g, v)->out);
    t->codec[v] = *codec;
    t->bytes[v] = ceil(elements * codec->bits_per_element / 8.0);
    t->enc_s[v] = codec_side_s(&sides->dev, codec, elements, codec->encode_s_per_element);
    t->dec_s[v] = codec_side_s(&sides->tgt, codec, elements, codec->decode_s_per_element);
    return SR_OK;
}

/* Seconds to send b bytes. */
static double send_s(double b, double bw_bps, double lat_s)
{
    if (b <= 0) return 0.0;
    return bw_bps > 0 ? lat_s + 8.0 * b / bw_bps : INFINITY;
}

void sr_cut_terms_weights(sr_cut_terms *t, sr_cut_objective obj, double latency_weight, double energy_weight,
                          double bw_bps, double lat_s, sr_cut_weights *w)
{
    double wl = obj == SR_CUT_OBJ_LATENCY ? 1.0 : obj == SR_CUT_OBJ_WEIGHTED ? latency_weight : 0.0;
    double we = obj == SR_CUT_OBJ_ENERGY ? 1.0 : obj == SR_CUT_OBJ_WEIGHTED ? energy_weight : 0.0;
    for (int v = 0; v < t->n; v++) {
        double tx = send_s(t->bytes[v], bw_bps, lat_s);
        double wire = t->bytes[v] > 0 && bw_bps > 0 ? 8.0 * t->bytes[v] / bw_bps
                      : t->bytes[v] > 0             ? INFINITY
                                                    : 0.0;
        double lat_dev = t->dev_s[v], lat_tgt = t->tgt_s[v], lat_cross = t->enc_s[v] + tx + t->dec_s[v];
        double e_dev = t->dev_busy_w * t->dev_s[v];
        double e_cross = t->dev_busy_w * t->enc_s[v] + (t->radio_w > 0 ? t->radio_w * wire : 0.0);
        /* 0 x INFINITY must stay 0: a weight of 0 ignores the term */
        t->w_dev[v] = (wl > 0 ? wl * lat_dev : 0.0) + (we > 0 ? we * e_dev : 0.0);
        t->w_tgt[v] = t->pinned[v] ? INFINITY : wl > 0 ? wl * lat_tgt : 0.0;
        t->w_cross[v] = (wl > 0 ? wl * lat_cross : 0.0) + (we > 0 ? we * e_cross : 0.0);
        if (!isfinite(tx)) t->w_cross[v] = INFINITY; /* nothing crosses a dead link */
        if (!t->may_cross[v]) t->w_cross[v] = INFINITY;
    }
    w->device = t->w_dev;
    w->target = t->w_tgt;
    w->cross = t->w_cross;
}

void sr_cut_predict(const sr_cut_terms *t, const sr_graph *g, const unsigned char *on_device, double bw_bps,
                    double lat_s, sr_cut_prediction *out)
{
    memset(out, 0, sizeof *out);
    out->last_device = -1;
    int n = t->n;
    for (int v = 0; v < n; v++) {
        const sr_node *nd = sr_graph_node(g, v);
        if (nd->op == SR_OP_CONST) continue;
        if (on_device[v]) {
            out->device_nodes++;
            out->last_device = v;
            out->device_s += t->dev_s[v];
            out->latency_s += t->dev_s[v];
            out->energy_j += t->dev_busy_w * t->dev_s[v];
        } else {
            out->latency_s += t->tgt_s[v];
        }
        /* does v's output cross? */
        if (!on_device[v]) continue;
        int crosses = 0;
        for (int r = v + 1; r < n && !crosses; r++) {
            const sr_node *rd = sr_graph_node(g, r);
            if (rd->op == SR_OP_CONST || on_device[r]) continue;
            for (int k = 0; k < rd->n_inputs; k++)
                if (rd->inputs[k] == v) crosses = 1;
        }
        if (!crosses) continue;
        double tx = send_s(t->bytes[v], bw_bps, lat_s);
        out->tensors++;
        out->bytes += t->bytes[v];
        out->device_s += t->enc_s[v];
        out->latency_s += t->enc_s[v] + tx + t->dec_s[v];
        out->energy_j += t->dev_busy_w * t->enc_s[v];
        if (t->radio_w > 0 && t->bytes[v] > 0)
            out->energy_j += bw_bps > 0 ? t->radio_w * 8.0 * t->bytes[v] / bw_bps : INFINITY;
    }
}
