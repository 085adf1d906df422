/* sr_multi.c: helpers of the multi-device policies (see sr_multi.h). */
#include "sr_multi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sr_multi_parse_layers(const sr_graph *g, const char *list, int *ids, int max, int *n, char *err,
                          size_t size)
{
    *n = 0;
    if (!list) return 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        char name[256];
        if (len == 0 || len >= sizeof name) {
            snprintf(err, size, "empty or overlong layer name in '%s'", list);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        int id = sr_policy_find_layer(g, name);
        if (id < 0) {
            char layers[512];
            sr_policy_sample_layers(g, layers, sizeof layers);
            snprintf(err, size, "model '%s' has no layer '%s' (layers include: %s)", sr_graph_name(g), name,
                     layers);
            return -1;
        }
        if (*n >= max) {
            snprintf(err, size, "too many layers in '%s' (at most %d)", list, max);
            return -1;
        }
        if (*n > 0 && id <= ids[*n - 1]) {
            snprintf(err, size, "layers must be in graph order: '%s' does not come after '%s'", name,
                     sr_graph_node(g, ids[*n - 1])->name);
            return -1;
        }
        ids[(*n)++] = id;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

int sr_multi_parse_workers(const sr_experiment *e, const char *workers, int n_workers, int *group, int *inst,
                           int *n, char *err, size_t size)
{
    *n = 0;
    const char *s = workers;
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        char name[128];
        while (len && *s == ' ')
            s++, len--;
        while (len && s[len - 1] == ' ')
            len--;
        if (len == 0 || len >= sizeof name) {
            snprintf(err, size, "empty device group name in '%s'", workers);
            return -1;
        }
        memcpy(name, s, len);
        name[len] = '\0';
        int g = sr_policy_device_index(e, name);
        if (g < 0) {
            snprintf(err, size, "unknown device group '%s'", name);
            return -1;
        }
        for (int i = 0; i < e->devices[g].count; i++) {
            if (n_workers > 0 && *n >= n_workers) break;
            if (*n >= SR_MULTI_MAX_DEV) {
                snprintf(err, size, "more than %d workers", SR_MULTI_MAX_DEV);
                return -1;
            }
            group[*n] = g, inst[*n] = i, (*n)++;
        }
        if (!end) break;
        s = end + 1;
    }
    if (n_workers > 0 && *n < n_workers) {
        snprintf(err, size, "n_workers is %d but '%s' has %d instances", n_workers, workers, *n);
        return -1;
    }
    return 0;
}

int sr_multi_unclean_reader(const sr_graph *g, int cut, int *input)
{
    int n = sr_graph_node_count(g);
    for (int id = cut + 1; id < n; id++) {
        const sr_node *nd = sr_graph_node(g, id);
        for (int k = 0; k < nd->n_inputs; k++) {
            int in = nd->inputs[k];
            if (in < cut && sr_graph_node(g, in)->op != SR_OP_CONST) {
                *input = in;
                return id;
            }
        }
    }
    return -1;
}

int sr_multi_model_used(const sr_experiment *e, int m)
{
    for (int s = 0; s < e->n_sources; s++)
        if (e->sources[s].model && e->models[m].name && strcmp(e->sources[s].model, e->models[m].name) == 0)
            return 1;
    return 0;
}

double sr_multi_device_speed(const sr_device_spec *d)
{
    double eff = d->efficiency > 0 ? d->efficiency : 1.0;
    return d->speed_flops * (double)(d->cores > 0 ? d->cores : 1) * eff / sr_price_quota_factor(d);
}

void sr_multi_shares(int total, const double *weights, int n, int *out)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += weights[i];
    int given = 0;
    double rem[SR_MULTI_MAX_DEV];
    for (int i = 0; i < n; i++) {
        double x = sum > 0 ? total * weights[i] / sum : (double)total / n;
        out[i] = (int)floor(x);
        rem[i] = x - out[i];
        given += out[i];
    }
    while (given < total) { /* largest remainder first, ties to the lower index */
        int best = 0;
        for (int i = 1; i < n; i++)
            if (rem[i] > rem[best]) best = i;
        out[best]++, rem[best] = -1, given++;
    }
    if (total < n) return;
    for (int i = 0; i < n; i++) /* nobody idle: take a unit from the largest share */
        while (out[i] < 1) {
            int big = 0;
            for (int j = 1; j < n; j++)
                if (out[j] > out[big]) big = j;
            out[big]--, out[i]++;
        }
}
