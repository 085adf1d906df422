/* sr_hw_layer.c: validation, output sizes and MAC counts of the plain layer descriptions that the
 * analytic device models of models/hw take (see sr_hw_layer.h). */
#include "sr_hw_layer.h"

#include <stddef.h>

sr_status sr_hw_conv_out(const sr_hw_conv *l, int *out_h, int *out_w)
{
    if (l == NULL || l->n <= 0 || l->c <= 0 || l->h <= 0 || l->w <= 0 || l->m <= 0 || l->r <= 0 ||
        l->s <= 0 || l->stride <= 0 || l->pad < 0)
        return SR_ERR_INVALID;
    int64_t ph = (int64_t)l->h + 2 * (int64_t)l->pad, pw = (int64_t)l->w + 2 * (int64_t)l->pad;
    if (ph < l->r || pw < l->s) return SR_ERR_INVALID;
    if (out_h != NULL) *out_h = (int)((ph - l->r) / l->stride + 1);
    if (out_w != NULL) *out_w = (int)((pw - l->s) / l->stride + 1);
    return SR_OK;
}

sr_status sr_hw_fc_check(const sr_hw_fc *l)
{
    if (l == NULL || l->n <= 0 || l->in <= 0 || l->out <= 0) return SR_ERR_INVALID;
    return SR_OK;
}

int64_t sr_hw_conv_macs(const sr_hw_conv *l)
{
    int oh, ow;
    if (sr_hw_conv_out(l, &oh, &ow) != SR_OK) return 0;
    return (int64_t)l->n * l->m * l->c * l->r * l->s * (int64_t)oh * ow;
}

int64_t sr_hw_fc_macs(const sr_hw_fc *l)
{
    if (sr_hw_fc_check(l) != SR_OK) return 0;
    return (int64_t)l->n * l->in * l->out;
}

sr_hw_conv sr_hw_conv_make(int n, int c, int h, int w, int m, int k, int stride, int pad)
{
    sr_hw_conv l = {.n = n, .c = c, .h = h, .w = w, .m = m, .r = k, .s = k, .stride = stride, .pad = pad};
    return l;
}

sr_hw_fc sr_hw_fc_make(int n, int in, int out)
{
    sr_hw_fc l = {.n = n, .in = in, .out = out};
    return l;
}

sr_hw_layer sr_hw_layer_conv(int c, int h, int w, int m, int k, int stride, int pad)
{
    sr_hw_layer l;
    l.kind = SR_HW_CONV;
    l.u.conv = sr_hw_conv_make(1, c, h, w, m, k, stride, pad);
    return l;
}

sr_hw_layer sr_hw_layer_fc(int in, int out)
{
    sr_hw_layer l;
    l.kind = SR_HW_FC;
    l.u.fc = sr_hw_fc_make(1, in, out);
    return l;
}
