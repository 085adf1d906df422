/* gpu_insitu_time.c: the In-situ AI GPU time model (Song et al., HPCA'18, eqs. 1-3, 5-9) and the
 * Single-running batch selection. See gpu_insitu_time.h for the model and docs/hw-models.md for the
 * parameter sources. */
#include "gpu_insitu_time.h"

#include <stddef.h>
#include <string.h>

/* Presets. The paper names the devices but gives none of these numbers; all are vendor data except
 * where marked "assumption". */
static const sr_gpu_insitu_params k_presets[] = {
    {
        .name = "jetson-tx1",
        .freq_hz = 998.4e6,  /* NVIDIA Jetson TX1 module data sheet: GPU max clock 998.4 MHz */
        .n_cuda_cores = 256, /* Maxwell GM20B, 2 SMs x 128 cores */
        .n_sm = 2,
        .blocks_per_sm = 32, /* Maxwell resident-block limit per SM (CUDA occupancy table); assumption */
        .tile_m = 64, /* Volkov & Demmel SGEMM (paper ref. [24]): 64 x 16 block of C per thread block */
        .tile_n = 16,
        .mem_bw_Bps = 25.6e9, /* 4 GB LPDDR4, 64-bit, 25.6 GB/s (data sheet) */
        .ram_bytes = 4.0 * 1024 * 1024 * 1024,
        .bytes_per_elem = 4, /* fp32 (Caffe, as in the paper) */
        .source = "NVIDIA Jetson TX1 data sheet; tiling from Volkov & Demmel SC'08; blocks_per_sm assumed",
    },
    {
        .name = "titan-x-maxwell",
        .freq_hz = 1000e6,    /* GeForce GTX TITAN X (GM200) base clock 1000 MHz */
        .n_cuda_cores = 3072, /* 24 SMs x 128 */
        .n_sm = 24,
        .blocks_per_sm = 32,
        .tile_m = 64,
        .tile_n = 16,
        .mem_bw_Bps = 336.5e9, /* 12 GB GDDR5, 384-bit, 7 Gb/s */
        .ram_bytes = 12.0 * 1024 * 1024 * 1024,
        .bytes_per_elem = 4,
        .source = "NVIDIA GTX TITAN X (Maxwell) specifications; the paper does not say which Titan X",
    },
    {
        .name = "titan-x-pascal",
        .freq_hz = 1417e6,    /* NVIDIA TITAN X (Pascal, GP102) base clock 1417 MHz */
        .n_cuda_cores = 3584, /* 28 SMs x 128 */
        .n_sm = 28,
        .blocks_per_sm = 32,
        .tile_m = 64,
        .tile_n = 16,
        .mem_bw_Bps = 480e9, /* 12 GB GDDR5X, 384-bit, 10 Gb/s */
        .ram_bytes = 12.0 * 1024 * 1024 * 1024,
        .bytes_per_elem = 4,
        .source = "NVIDIA TITAN X (Pascal) specifications; the paper does not say which Titan X",
    },
};

sr_status sr_gpu_insitu_preset(const char *name, sr_gpu_insitu_params *out)
{
    if (name == NULL || out == NULL) return SR_ERR_INVALID;
    for (size_t i = 0; i < sizeof k_presets / sizeof k_presets[0]; i++) {
        if (strcmp(k_presets[i].name, name) == 0) {
            *out = k_presets[i];
            return SR_OK;
        }
    }
    return SR_ERR_NOT_FOUND;
}

sr_status sr_gpu_insitu_check(const sr_gpu_insitu_params *p)
{
    if (p == NULL || !(p->freq_hz > 0) || p->n_cuda_cores <= 0 || p->n_sm <= 0 || p->blocks_per_sm <= 0 ||
        p->tile_m <= 0 || p->tile_n <= 0 || !(p->mem_bw_Bps > 0) || !(p->ram_bytes > 0) ||
        p->bytes_per_elem <= 0)
        return SR_ERR_INVALID;
    return SR_OK;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

int64_t sr_gpu_insitu_max_blocks(const sr_gpu_insitu_params *p)
{
    return (int64_t)p->n_sm * p->blocks_per_sm;
}

double sr_gpu_insitu_conv_ops(const sr_hw_conv *l)
{
    return 2.0 * (double)sr_hw_conv_macs(l);
}

int64_t sr_gpu_insitu_grid_size(const sr_gpu_insitu_params *p, int64_t rows_m, int64_t cols)
{
    return ceil_div(rows_m, p->tile_m) * ceil_div(cols, p->tile_n);
}

double sr_gpu_insitu_util(const sr_gpu_insitu_params *p, int64_t grid_size)
{
    int64_t mb = sr_gpu_insitu_max_blocks(p);
    if (grid_size <= 0) return 0.0;
    return (double)grid_size / ((double)mb * (double)ceil_div(grid_size, mb));
}

double sr_gpu_insitu_max_ops(const sr_gpu_insitu_params *p, double util)
{
    return 2.0 * p->freq_hz * (double)p->n_cuda_cores * util;
}

sr_status sr_gpu_insitu_conv_time(const sr_gpu_insitu_params *p, const sr_hw_conv *l, double *time_s,
                                  double *util_out)
{
    int oh, ow;
    if (time_s == NULL || sr_gpu_insitu_check(p) != SR_OK || sr_hw_conv_out(l, &oh, &ow) != SR_OK)
        return SR_ERR_INVALID;
    int64_t grid = sr_gpu_insitu_grid_size(p, l->m, (int64_t)oh * ow * l->n);
    double util = sr_gpu_insitu_util(p, grid);
    *time_s = sr_gpu_insitu_conv_ops(l) / (sr_gpu_insitu_max_ops(p, 1.0) * util);
    if (util_out != NULL) *util_out = util;
    return SR_OK;
}

sr_status sr_gpu_insitu_conv_data(const sr_hw_conv *l, sr_gpu_insitu_data *out)
{
    int oh, ow;
    if (out == NULL || sr_hw_conv_out(l, &oh, &ow) != SR_OK) return SR_ERR_INVALID;
    int64_t nk2 = (int64_t)l->c * l->r * l->s, rcb = (int64_t)oh * ow * l->n;
    out->d_in = nk2 * rcb;
    out->d_w = (int64_t)l->m * nk2;
    out->d_out = (int64_t)l->m * rcb;
    return SR_OK;
}

sr_status sr_gpu_insitu_fc_data(const sr_hw_fc *l, sr_gpu_insitu_data *out)
{
    if (out == NULL || sr_hw_fc_check(l) != SR_OK) return SR_ERR_INVALID;
    out->d_in = (int64_t)l->in * l->n;
    out->d_w = (int64_t)l->out * l->in;
    out->d_out = (int64_t)l->out * l->n;
    return SR_OK;
}

sr_status sr_gpu_insitu_fc_time(const sr_gpu_insitu_params *p, const sr_hw_fc *l,
                                sr_gpu_insitu_fc_result *out)
{
    sr_gpu_insitu_data d;
    if (out == NULL || sr_gpu_insitu_check(p) != SR_OK || sr_gpu_insitu_fc_data(l, &d) != SR_OK)
        return SR_ERR_INVALID;
    double ops = 2.0 * (double)sr_hw_fc_macs(l);
    double util = sr_gpu_insitu_util(p, sr_gpu_insitu_grid_size(p, l->out, l->n));
    double max_ops = sr_gpu_insitu_max_ops(p, util);
    double bytes = (double)(d.d_in + d.d_w + d.d_out) * p->bytes_per_elem;
    double ctm = ops / bytes;
    double mem_roof = ctm * p->mem_bw_Bps;
    out->ops = ops;
    out->util = util;
    out->ctm_ops_per_byte = ctm;
    out->memory_bound = mem_roof < max_ops;
    out->perf_ops_s = out->memory_bound ? mem_roof : max_ops;
    out->time_s = ops / out->perf_ops_s;
    return SR_OK;
}

static sr_status layer_time(const sr_gpu_insitu_params *p, const sr_hw_layer *layer, int batch, double *t)
{
    switch (layer->kind) {
    case SR_HW_CONV: {
        sr_hw_conv c = layer->u.conv;
        c.n = batch;
        return sr_gpu_insitu_conv_time(p, &c, t, NULL);
    }
    case SR_HW_FC: {
        sr_hw_fc f = layer->u.fc;
        f.n = batch;
        sr_gpu_insitu_fc_result r;
        sr_status st = sr_gpu_insitu_fc_time(p, &f, &r);
        if (st == SR_OK) *t = r.time_s;
        return st;
    }
    }
    return SR_ERR_INVALID;
}

static sr_status layer_bytes(const sr_gpu_insitu_params *p, const sr_hw_layer *layer, int batch,
                             double *bytes)
{
    sr_gpu_insitu_data d;
    sr_status st = SR_ERR_INVALID;
    switch (layer->kind) {
    case SR_HW_CONV: {
        sr_hw_conv c = layer->u.conv;
        c.n = batch;
        st = sr_gpu_insitu_conv_data(&c, &d);
        break;
    }
    case SR_HW_FC: {
        sr_hw_fc f = layer->u.fc;
        f.n = batch;
        st = sr_gpu_insitu_fc_data(&f, &d);
        break;
    }
    }
    if (st == SR_OK) *bytes = (double)(d.d_in + d.d_w + d.d_out) * p->bytes_per_elem;
    return st;
}

sr_status sr_gpu_insitu_net_time(const sr_gpu_insitu_params *p, const sr_hw_layer *layers, int n_layers,
                                 int batch, double *time_s)
{
    if (layers == NULL || n_layers <= 0 || batch <= 0 || time_s == NULL) return SR_ERR_INVALID;
    double sum = 0.0;
    for (int i = 0; i < n_layers; i++) {
        double t;
        sr_status st = layer_time(p, &layers[i], batch, &t);
        if (st != SR_OK) return st;
        sum += t;
    }
    *time_s = sum;
    return SR_OK;
}

static sr_status fits_ram(const sr_gpu_insitu_params *p, const sr_hw_layer *layers, int n_layers, int batch,
                          int *fits)
{
    *fits = 1;
    for (int i = 0; i < n_layers; i++) {
        double bytes;
        sr_status st = layer_bytes(p, &layers[i], batch, &bytes);
        if (st != SR_OK) return st;
        if (bytes > p->ram_bytes) *fits = 0;
    }
    return SR_OK;
}

sr_status sr_gpu_insitu_max_batch_memory(const sr_gpu_insitu_params *p, const sr_hw_layer *layers,
                                         int n_layers, int b_cap, int *batch)
{
    if (sr_gpu_insitu_check(p) != SR_OK || layers == NULL || n_layers <= 0 || b_cap <= 0 || batch == NULL)
        return SR_ERR_INVALID;
    /* The working set of every layer grows with the batch (D_w is constant, D_in and D_out are
     * linear in it), so the feasible batches form a prefix [1, b*]: binary search. */
    int fits;
    sr_status st = fits_ram(p, layers, n_layers, 1, &fits);
    if (st != SR_OK) return st;
    if (!fits) return SR_ERR_NOT_FOUND;
    int lo = 1, hi = b_cap; /* lo fits */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        st = fits_ram(p, layers, n_layers, mid, &fits);
        if (st != SR_OK) return st;
        if (fits)
            lo = mid;
        else
            hi = mid - 1;
    }
    *batch = lo;
    return SR_OK;
}

sr_status sr_gpu_insitu_select_batch(const sr_gpu_insitu_params *p, const sr_hw_layer *layers, int n_layers,
                                     double latency_bound_s, int b_cap, int *batch, double *time_s)
{
    if (sr_gpu_insitu_check(p) != SR_OK || layers == NULL || n_layers <= 0 || b_cap <= 0 || batch == NULL ||
        !(latency_bound_s > 0))
        return SR_ERR_INVALID;
    int mem_cap;
    sr_status st = sr_gpu_insitu_max_batch_memory(p, layers, n_layers, b_cap, &mem_cap);
    if (st != SR_OK) return st;
    int best = 0;
    double best_t = 0.0;
    for (int b = 1; b <= mem_cap; b++) {
        double t;
        st = sr_gpu_insitu_net_time(p, layers, n_layers, b, &t);
        if (st != SR_OK) return st;
        if (t <= latency_bound_s) {
            best = b;
            best_t = t;
        }
    }
    if (best == 0) return SR_ERR_NOT_FOUND;
    *batch = best;
    if (time_s != NULL) *time_s = best_t;
    return SR_OK;
}
