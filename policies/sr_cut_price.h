/* sr_cut_price.h: what each node of a model costs on either side of a device/target cut, and the cut weights
 * (sr_cut.h) of an objective at a bandwidth.
 *
 * Per node v (priced once; the bandwidth enters only when weights are made, so a bandwidth change re-weights
 * without re-pricing):
 *   dev_s[v], tgt_s[v]  seconds of the layer on the device / the target (the groups' cost models, batch 1; a
 * layer range costs the sum of its layers, as the roofline and the fitted models define it) bytes[v] bytes
 * sent when v's output crosses: graph inputs send the frame (frame_bytes, as cloud_only does), other nodes
 * their output at the activation precision, or with a codec ceil(elements x bits_per_element / 8) of the
 * codec table's row for that layer enc_s[v], dec_s[v]  codec seconds on the device / the target (0 without a
 * codec) may_cross[v]        0 when v's output may not cross (with a codec: layers without a row in the
 * table)
 *
 * The weights of a cut at uplink bandwidth bw (bit/s) and route latency lat (s), per objective:
 *   latency   device = dev_s, target = tgt_s, cross = enc_s + lat + 8 bytes / bw + dec_s
 *             (the end-to-end latency of a frame alone, every crossing tensor paying its own transfer)
 *   energy    device = P_busy dev_s, target = 0, cross = P_busy enc_s + P_radio 8 bytes / bw
 *             (the device's energy per frame: its busy power while it computes and codes, the route's first
 *             link's busy power while it sends; Neurosurgeon's mobile energy)
 *   weighted  latency_weight x latency + energy_weight x energy
 * Inputs are pinned on the device (target = INFINITY): the frame is captured there. */
#ifndef SR_CUT_PRICE_H
#define SR_CUT_PRICE_H

#include "sr_cost.h"
#include "sr_cut.h"
#include "sr_graph.h"
#include "sr_plan.h"

typedef enum {
    SR_CUT_OBJ_LATENCY,
    SR_CUT_OBJ_ENERGY,
    SR_CUT_OBJ_WEIGHTED,
    SR_CUT_OBJ_COUNT
} sr_cut_objective;
const char *sr_cut_objective_name(sr_cut_objective o);

typedef struct sr_cut_terms {
    int n;
    double *dev_s, *tgt_s, *bytes, *enc_s, *dec_s;
    unsigned char *may_cross;
    unsigned char *pinned; /* graph inputs: must stay on the device */
    sr_plan_codec *codec;  /* per node: the codec pricing of its row (codec tables only), else NULL */
    double dev_busy_w;     /* device busy power (W) */
    double radio_w;        /* the route's first link's busy power (W), 0 when not modelled */
    /* scratch weights of the last sr_cut_terms_weights call */
    double *w_dev, *w_tgt, *w_cross;
} sr_cut_terms;

/* How the two sides are priced (borrowed during sr_cut_terms_price). */
typedef struct sr_cut_sides {
    const sr_cost_model *dev_model, *tgt_model;
    sr_cost_device dev, tgt;
    sr_precision model_precision;      /* layers' precision (the model spec's) */
    sr_precision activation_precision; /* of a raw activation sent */
    double frame_bytes;                /* bytes of a graph input sent (the frame) */
    double dev_busy_w, radio_w;
} sr_cut_sides;

/* Allocates the arrays of g's node count and prices every node (no codec). Caller frees with
 * sr_cut_terms_free. Errors of the cost models are returned with a message. */
sr_status sr_cut_terms_price(const sr_graph *g, const sr_cut_sides *sides, sr_cut_terms *t, char *err,
                             size_t err_size);
void sr_cut_terms_free(sr_cut_terms *t); /* frees the arrays; a zeroed struct is fine */

/* Prices node v's output with a codec of `bits_per_element`, encode/decode seconds per element on a host of
 * host_flops (0: as measured; otherwise scaled by host_flops / (side speed x efficiency), as sr_price.c
 * does). The codec struct is kept in t->codec[v] (its pipeline string borrowed: it must outlive t). */
sr_status sr_cut_terms_set_codec(sr_cut_terms *t, const sr_graph *g, int v, const sr_cut_sides *sides,
                                 const sr_plan_codec *codec);

/* Fills the terms' weight arrays for an objective at bandwidth bw_bps (> 0; 0 makes every crossing infinite)
 * and latency lat_s, and points w at them. */
void sr_cut_terms_weights(sr_cut_terms *t, sr_cut_objective obj, double latency_weight, double energy_weight,
                          double bw_bps, double lat_s, sr_cut_weights *w);

/* What a cut predicts per frame alone. */
typedef struct sr_cut_prediction {
    double latency_s, energy_j;
    double device_s;  /* compute (and encode) seconds on the device */
    double bytes;     /* bytes sent */
    int tensors;      /* tensors crossing */
    int device_nodes; /* non-constant nodes on the device */
    int last_device;  /* highest node id on the device (-1: none) */
} sr_cut_prediction;
void sr_cut_predict(const sr_cut_terms *t, const sr_graph *g, const unsigned char *on_device, double bw_bps,
                    double lat_s, sr_cut_prediction *out);

#endif
