/* sr_train.c: the sequential training net of sr_train.h: buffers, forward, backward, SGD, epochs.
 *
 * Every layer keeps its output for the batch (act[i]) and the gradient of the loss with respect to it
 * (dact[i]); the backward pass walks the layers from the last to the first trainable one. Buffers are
 * sized at creation for max_batch, so training allocates nothing. */

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_kernels.h"
#include "sr_train.h"
#include "sr_train_kernels.h"

typedef struct tlayer {
    sr_tl_spec spec;
    int in_c, in_h, in_w, out_c, out_h, out_w;
    int64_t in_sz, out_sz; /* floats per image */
    float *W, *b, *dW, *db, *vW, *vb;
    int64_t nW, nb;
    float *act, *dact; /* max_batch x out_sz each */
} tlayer;

struct sr_tnet {
    int n_layers, max_batch, first_trainable;
    int in_c, in_h, in_w;
    tlayer *L;
    float *ws;      /* conv forward / backward workspace */
    float *prob;    /* max_batch x classes */
    const float *x; /* input of the last forward pass (borrowed) */
};

static const sr_tl_spec lenet5[] = {
    {SR_TL_CONV, 6, 5, 1, 2}, {SR_TL_RELU, 0, 0, 0, 0}, {SR_TL_MAXPOOL, 0, 2, 2, 0},
    {SR_TL_CONV, 16, 5, 1, 0}, {SR_TL_RELU, 0, 0, 0, 0}, {SR_TL_MAXPOOL, 0, 2, 2, 0},
    {SR_TL_FC, 120, 0, 0, 0},  {SR_TL_RELU, 0, 0, 0, 0}, {SR_TL_FC, 84, 0, 0, 0},
    {SR_TL_RELU, 0, 0, 0, 0},  {SR_TL_FC, 10, 0, 0, 0},
};

sr_status sr_tnet_preset(const char *name, const sr_tl_spec **spec, int *n_layers)
{
    if (strcmp(name, "lenet5") == 0) {
        *spec = lenet5;
        *n_layers = (int)(sizeof lenet5 / sizeof lenet5[0]);
        return SR_OK;
    }
    return SR_ERR_NOT_FOUND;
}

static sr_win2d geo(const tlayer *l, int n)
{
    sr_win2d p = {.n = n,
                  .in_c = l->in_c,
                  .in_h = l->in_h,
                  .in_w = l->in_w,
                  .out_c = l->out_c,
                  .out_h = l->out_h,
                  .out_w = l->out_w,
                  .k_h = l->spec.k,
                  .k_w = l->spec.k,
                  .stride_h = l->spec.stride,
                  .stride_w = l->spec.stride,
                  .dil_h = 1,
                  .dil_w = 1,
                  .pad_top = l->spec.pad,
                  .pad_left = l->spec.pad};
    return p;
}

void sr_tnet_free(sr_tnet *net)
{
    if (!net)
        return;
    for (int i = 0; net->L && i < net->n_layers; i++) {
        tlayer *l = &net->L[i];
        free(l->W);
        free(l->b);
        free(l->dW);
        free(l->db);
        free(l->vW);
        free(l->vb);
        free(l->act);
        free(l->dact);
    }
    free(net->L);
    free(net->ws);
    free(net->prob);
    free(net);
}

static float *zalloc(int64_t count)
{
    return calloc((size_t)(count > 0 ? count : 1), sizeof(float));
}

sr_status sr_tnet_create(const sr_tl_spec *spec, int n_layers, int in_c, int in_h, int in_w, int max_batch,
                         sr_tnet **out, char *err, size_t err_size)
{
    *out = NULL;
    if (n_layers < 1 || max_batch < 1 || in_c < 1 || in_h < 1 || in_w < 1) {
        sr_errf(err, err_size, "training net: need at least one layer, a batch and an input (got %d layers, batch %d)",
                n_layers, max_batch);
        return SR_ERR_INVALID;
    }
    if (spec[n_layers - 1].kind != SR_TL_FC) {
        sr_errf(err, err_size, "training net: the last layer must be fc (its outputs are the class logits)");
        return SR_ERR_INVALID;
    }
    sr_status st = SR_ERR_NOMEM;
    sr_tnet *net = calloc(1, sizeof *net);
    if (!net)
        return SR_ERR_NOMEM;
    net->n_layers = n_layers;
    net->max_batch = max_batch;
    net->in_c = in_c;
    net->in_h = in_h;
    net->in_w = in_w;
    net->L = calloc((size_t)n_layers, sizeof *net->L);
    if (!net->L)
        goto cleanup;
    int c = in_c, h = in_h, w = in_w;
    size_t ws = 0;
    for (int i = 0; i < n_layers; i++) {
        tlayer *l = &net->L[i];
        l->spec = spec[i];
        l->in_c = c;
        l->in_h = h;
        l->in_w = w;
        switch (spec[i].kind) {
        case SR_TL_CONV:
        case SR_TL_MAXPOOL: {
            const int k = spec[i].k, s = spec[i].stride, pad = spec[i].kind == SR_TL_CONV ? spec[i].pad : 0;
            if (k < 1 || s < 1 || pad < 0 || h + 2 * pad < k || w + 2 * pad < k ||
                (spec[i].kind == SR_TL_CONV && spec[i].out < 1)) {
                sr_errf(err, err_size, "training net: layer %d: a %dx%d window (stride %d, pad %d) does not fit %dx%dx%d",
                        i, k, k, s, pad, c, h, w);
                st = SR_ERR_SHAPE;
                goto cleanup;
            }
            l->spec.pad = pad;
            l->out_c = spec[i].kind == SR_TL_CONV ? spec[i].out : c;
            l->out_h = (h + 2 * pad - k) / s + 1;
            l->out_w = (w + 2 * pad - k) / s + 1;
            if (spec[i].kind == SR_TL_CONV) {
                l->nW = (int64_t)l->out_c * c * k * k;
                l->nb = l->out_c;
                sr_win2d p = geo(l, 1);
                size_t f = sr_conv2d_workspace_floats(&p, 1), b = sr_conv2d_bwd_workspace_floats(&p);
                ws = f > ws ? f : ws;
                ws = b > ws ? b : ws;
            }
            break;
        }
        case SR_TL_RELU:
            l->out_c = c;
            l->out_h = h;
            l->out_w = w;
            break;
        case SR_TL_FC:
            if (spec[i].out < 1) {
                sr_errf(err, err_size, "training net: layer %d: fc needs at least one output", i);
                st = SR_ERR_SHAPE;
                goto cleanup;
            }
            l->out_c = spec[i].out;
            l->out_h = 1;
            l->out_w = 1;
            l->nW = (int64_t)l->out_c * c * h * w;
            l->nb = l->out_c;
            break;
        }
        l->in_sz = (int64_t)c * h * w;
        l->out_sz = (int64_t)l->out_c * l->out_h * l->out_w;
        c = l->out_c;
        h = l->out_h;
        w = l->out_w;
        l->act = zalloc(l->out_sz * max_batch);
        l->dact = zalloc(l->out_sz * max_batch);
        if (!l->act || !l->dact)
            goto cleanup;
        if (l->nW) {
            l->W = zalloc(l->nW);
            l->dW = zalloc(l->nW);
            l->vW = zalloc(l->nW);
            l->b = zalloc(l->nb);
            l->db = zalloc(l->nb);
            l->vb = zalloc(l->nb);
            if (!l->W || !l->dW || !l->vW || !l->b || !l->db || !l->vb)
                goto cleanup;
        }
    }
    net->ws = zalloc((int64_t)ws);
    net->prob = zalloc((int64_t)max_batch * c);
    if (!net->ws || !net->prob)
        goto cleanup;
    *out = net;
    net = NULL;
    st = SR_OK;
cleanup:
    sr_tnet_free(net);
    return st;
}

void sr_tnet_init(sr_tnet *net, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert(r);
    gsl_rng_set(r, seed);
    for (int i = 0; i < net->n_layers; i++) {
        tlayer *l = &net->L[i];
        if (!l->nW)
            continue;
        const double fan_in = (double)(l->nW / l->out_c), sd = sqrt(2.0 / fan_in);
        for (int64_t j = 0; j < l->nW; j++)
            l->W[j] = (float)gsl_ran_gaussian_ziggurat(r, sd);
        memset(l->b, 0, sizeof(float) * (size_t)l->nb);
        memset(l->vW, 0, sizeof(float) * (size_t)l->nW);
        memset(l->vb, 0, sizeof(float) * (size_t)l->nb);
    }
    net->first_trainable = 0;
    gsl_rng_free(r);
}

void sr_tnet_zero_momentum(sr_tnet *net)
{
    for (int i = 0; i < net->n_layers; i++) {
        tlayer *l = &net->L[i];
        if (!l->nW)
            continue;
        memset(l->vW, 0, sizeof(float) * (size_t)l->nW);
        memset(l->vb, 0, sizeof(float) * (size_t)l->nb);
    }
}

sr_status sr_tnet_copy_weights(sr_tnet *dst, const sr_tnet *src)
{
    if (dst->n_layers != src->n_layers || dst->in_c != src->in_c || dst->in_h != src->in_h ||
        dst->in_w != src->in_w)
        return SR_ERR_SHAPE;
    for (int i = 0; i < dst->n_layers; i++)
        if (memcmp(&dst->L[i].spec, &src->L[i].spec, sizeof(sr_tl_spec)) != 0)
            return SR_ERR_SHAPE;
    for (int i = 0; i < dst->n_layers; i++) {
        tlayer *d = &dst->L[i];
        const tlayer *s = &src->L[i];
        if (d->nW) {
            memcpy(d->W, s->W, sizeof(float) * (size_t)d->nW);
            memcpy(d->b, s->b, sizeof(float) * (size_t)d->nb);
        }
    }
    return SR_OK;
}

int sr_tnet_n_layers(const sr_tnet *net)
{
    return net->n_layers;
}

int sr_tnet_classes(const sr_tnet *net)
{
    return net->L[net->n_layers - 1].out_c;
}

int64_t sr_tnet_input_floats(const sr_tnet *net)
{
    return (int64_t)net->in_c * net->in_h * net->in_w;
}

int64_t sr_tnet_param_count(const sr_tnet *net, int first)
{
    int64_t n = 0;
    for (int i = first < 0 ? 0 : first; i < net->n_layers; i++)
        n += net->L[i].nW + net->L[i].nb;
    return n;
}

int64_t sr_tnet_layer_macs(const sr_tnet *net, int i)
{
    const tlayer *l = &net->L[i];
    if (l->spec.kind == SR_TL_CONV)
        return l->nW * l->out_h * l->out_w;
    if (l->spec.kind == SR_TL_FC)
        return l->nW;
    return 0;
}

int64_t sr_tnet_train_macs(const sr_tnet *net, int first)
{
    first = first < 0 ? 0 : first;
    int64_t m = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const int64_t f = sr_tnet_layer_macs(net, i);
        m += f;
        if (i >= first && f > 0)
            m += f + (i > first ? f : 0);
    }
    return m;
}

void sr_tnet_layer_params(sr_tnet *net, int i, float **W, float **b, float **dW, float **db, int64_t *nW,
                          int64_t *nb)
{
    tlayer *l = &net->L[i];
    *W = l->W;
    *b = l->b;
    *dW = l->dW;
    *db = l->db;
    *nW = l->nW;
    *nb = l->nb;
}

void sr_tnet_freeze_below(sr_tnet *net, int first_trainable)
{
    first_trainable = first_trainable < 0 ? 0 : first_trainable;
    net->first_trainable = first_trainable > net->n_layers ? net->n_layers : first_trainable;
}

const float *sr_tnet_forward(sr_tnet *net, const float *x, int n)
{
    assert(n >= 1 && n <= net->max_batch);
    net->x = x;
    const float *in = x;
    for (int i = 0; i < net->n_layers; i++) {
        tlayer *l = &net->L[i];
        sr_win2d p = geo(l, n);
        switch (l->spec.kind) {
        case SR_TL_CONV:
            sr_conv2d(&p, 1, in, l->W, l->b, 0, l->out_c, l->act, net->ws);
            break;
        case SR_TL_MAXPOOL:
            sr_maxpool2d(&p, in, l->act);
            break;
        case SR_TL_RELU:
            sr_relu(l->out_sz * n, in, l->act);
            break;
        case SR_TL_FC:
            sr_fc(n, (int)l->in_sz, l->out_c, in, l->W, l->b, 0, l->out_c, l->act);
            break;
        }
        in = l->act;
    }
    return in;
}

double sr_tnet_gradients(sr_tnet *net, const float *x, const int *labels, int n)
{
    const float *logits = sr_tnet_forward(net, x, n);
    const int last = net->n_layers - 1;
    const double loss = sr_softmax_xent(n, sr_tnet_classes(net), logits, labels, NULL, net->L[last].dact);
    for (int i = last; i >= net->first_trainable; i--) {
        tlayer *l = &net->L[i];
        const float *in = i > 0 ? net->L[i - 1].act : net->x;
        /* The gradient with respect to this layer's input is needed by the layer below, if it trains. */
        float *din = i > net->first_trainable ? net->L[i - 1].dact : NULL;
        sr_win2d p = geo(l, n);
        if (l->nW) {
            memset(l->dW, 0, sizeof(float) * (size_t)l->nW);
            memset(l->db, 0, sizeof(float) * (size_t)l->nb);
        }
        switch (l->spec.kind) {
        case SR_TL_CONV:
            sr_conv2d_bwd(&p, in, l->W, l->dact, l->dW, l->db, din, net->ws);
            break;
        case SR_TL_MAXPOOL:
            if (din)
                sr_maxpool2d_bwd(&p, in, l->dact, din);
            break;
        case SR_TL_RELU:
            if (din)
                sr_relu_bwd(l->out_sz * n, l->act, l->dact, din);
            break;
        case SR_TL_FC:
            sr_fc_bwd(n, (int)l->in_sz, l->out_c, in, l->W, l->dact, l->dW, l->db, din);
            break;
        }
    }
    return loss;
}

double sr_tnet_train_step(sr_tnet *net, const float *x, const int *labels, int n, const sr_sgd_params *opt)
{
    const double loss = sr_tnet_gradients(net, x, labels, n);
    for (int i = net->first_trainable; i < net->n_layers; i++) {
        tlayer *l = &net->L[i];
        if (!l->nW)
            continue;
        sr_sgd_momentum(l->nW, opt->lr, opt->momentum, opt->decay, l->W, l->dW, l->vW);
        sr_sgd_momentum(l->nb, opt->lr, opt->momentum, 0.0f, l->b, l->db, l->vb);
    }
    return loss;
}

void sr_tnet_predict(sr_tnet *net, const float *x, int64_t n, int *pred, float *conf)
{
    const int k = sr_tnet_classes(net);
    const int64_t in_sz = sr_tnet_input_floats(net);
    for (int64_t s = 0; s < n; s += net->max_batch) {
        const int m = (int)(n - s < net->max_batch ? n - s : net->max_batch);
        const float *z = sr_tnet_forward(net, x + s * in_sz, m);
        for (int r = 0; r < m; r++) {
            const float *zr = z + (int64_t)r * k;
            int best = 0;
            for (int j = 1; j < k; j++)
                if (zr[j] > zr[best])
                    best = j;
            if (pred)
                pred[s + r] = best;
            if (conf) {
                double sum = 0.0;
                for (int j = 0; j < k; j++)
                    sum += exp((double)zr[j] - zr[best]);
                conf[s + r] = (float)(1.0 / sum);
            }
        }
    }
}

sr_status sr_tnet_train_epoch(sr_tnet *net, const float *x, const int *labels, const int64_t *order,
                              int64_t count, int batch, const sr_sgd_params *opt, double *mean_loss)
{
    assert(batch >= 1 && batch <= net->max_batch);
    const int64_t in_sz = sr_tnet_input_floats(net);
    /* Each mini-batch is gathered from the shuffled order into one staging buffer per epoch. */
    sr_status st = SR_ERR_NOMEM;
    float *xb = malloc(sizeof(float) * (size_t)(in_sz * batch));
    int *yb = malloc(sizeof(int) * (size_t)batch);
    if (!xb || !yb)
        goto cleanup;
    double total = 0.0;
    for (int64_t s = 0; s < count; s += batch) {
        const int m = (int)(count - s < batch ? count - s : batch);
        for (int r = 0; r < m; r++) {
            memcpy(xb + (int64_t)r * in_sz, x + order[s + r] * in_sz, sizeof(float) * (size_t)in_sz);
            yb[r] = labels[order[s + r]];
        }
        total += sr_tnet_train_step(net, xb, yb, m, opt) * m;
    }
    if (mean_loss)
        *mean_loss = count > 0 ? total / (double)count : 0.0;
    st = SR_OK;
cleanup:
    free(xb);
    free(yb);
    return st;
}

double sr_tnet_accuracy(sr_tnet *net, const float *x, const int *labels, int64_t count, double *mean_loss)
{
    const int64_t in_sz = sr_tnet_input_floats(net);
    const int k = sr_tnet_classes(net);
    int64_t right = 0;
    double loss = 0.0;
    for (int64_t s = 0; s < count; s += net->max_batch) {
        const int m = (int)(count - s < net->max_batch ? count - s : net->max_batch);
        const float *z = sr_tnet_forward(net, x + s * in_sz, m);
        loss += sr_softmax_xent(m, k, z, labels + s, NULL, NULL) * m;
        for (int r = 0; r < m; r++) {
            const float *zr = z + (int64_t)r * k;
            int best = 0;
            for (int j = 1; j < k; j++)
                if (zr[j] > zr[best])
                    best = j;
            right += best == labels[s + r];
        }
    }
    if (mean_loss)
        *mean_loss = count > 0 ? loss / (double)count : 0.0;
    return count > 0 ? (double)right / (double)count : 0.0;
}
