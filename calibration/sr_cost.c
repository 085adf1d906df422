/* sr_cost.c: the implementation-independent part of the cost-model interface (sr_cost.h): argument
 * checks, dispatch through the vtable, creation and destruction. */
#include "sr_cost.h"

#include <math.h>
#include <stdlib.h>

static int device_ok(const sr_cost_device *dev)
{
    return dev && isfinite(dev->speed_flops) && dev->speed_flops > 0 && dev->cores > 0 &&
           isfinite(dev->efficiency) && dev->efficiency > 0 && dev->efficiency <= 1 &&
           !isnan(dev->mem_bw_Bps);
}

sr_status sr_cost_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                         int last, sr_precision p, int batch, double *seconds)
{
    if (!m || !m->ops || !m->ops->layers || !g || !seconds || !device_ok(dev) || batch < 1 || p < 0 ||
        p >= SR_PREC_COUNT)
        return SR_ERR_INVALID;
    int n = sr_graph_node_count(g);
    if (first < 0 || last >= n || first > last) return SR_ERR_RANGE;
    return m->ops->layers(m, dev, g, first, last, p, batch, seconds);
}

const char *sr_cost_model_name(const sr_cost_model *m)
{
    return m && m->ops && m->ops->name ? m->ops->name : "?";
}

int sr_cost_model_per_engine(const sr_cost_model *m)
{
    return m && m->ops ? m->ops->per_engine : 0;
}

sr_status sr_cost_model_create(const sr_cost_model_ops *ops, void *state, sr_cost_model **out)
{
    if (!ops || !ops->layers || !out) return SR_ERR_INVALID;
    sr_cost_model *m = malloc(sizeof *m);
    if (!m) return SR_ERR_NOMEM;
    m->ops = ops;
    m->state = state;
    *out = m;
    return SR_OK;
}

void sr_cost_model_free(sr_cost_model *m)
{
    if (!m) return;
    if (m->ops && m->ops->destroy) m->ops->destroy(m->state);
    free(m);
}
