/* sr_cut_summary.c: every source's cut in `simrun run`'s summary, with layer names (see sr_cut_summary.h). */
#include "sr_cut_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr_experiment.h"
#include "sr_graph.h"
#include "sr_model_source.h"

int sr_cut_rows_read(const sr_read_run *run, sr_cut_row *rows)
{
    int n = 0;
    for (int k = 0; k < run->n_metrics && n < SR_CUT_SUMMARY_MAX_SOURCES; k++) {
        const char *name = run->metrics[k].name, *tail = strrchr(name, '.');
        if (!tail || strcmp(tail, ".cut_layer") != 0) continue;
        /* <policy type>.cut_layer or <policy type>.<source>.cut_layer */
        char pre[160], key[224];
        snprintf(pre, sizeof pre, "%.*s", (int)(tail - name), name);
        sr_cut_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        const char *dot = strchr(pre, '.');
        snprintf(r->source, sizeof r->source, "%s", dot ? dot + 1 : "");
        r->last_node = run->metrics[k].value;
#define CUT_METRIC(field, suffix)                                                                            \
    snprintf(key, sizeof key, "%s.%s", pre, suffix);                                                         \
    r->field = sr_read_run_metric(run, key);
        CUT_METRIC(device_nodes, "cut_device_nodes")
        CUT_METRIC(tensors, "cut_tensors")
        CUT_METRIC(bytes, "cut_bytes")
        CUT_METRIC(pred_s, "cut_predicted_latency_s")
#undef CUT_METRIC
    }
    return n;
}

typedef struct {
    char *key;   /* model source and input shape */
    sr_graph *g; /* NULL: could not be loaded (names fall back to ids) */
} graph_entry;

struct sr_cut_names {
    const sr_config *c;
    int point; /* the point exp belongs to, -1 none */
    sr_experiment *exp;
    graph_entry *graphs;
    int n_graphs, cap;
};

sr_cut_names *sr_cut_names_create(const sr_config *c)
{
    sr_cut_names *cn = calloc(1, sizeof *cn);
    if (cn) {
        cn->c = c;
        cn->point = -1;
    }
    return cn;
}

void sr_cut_names_free(sr_cut_names *cn)
{
    if (!cn) return;
    for (int i = 0; i < cn->n_graphs; i++) {
        free(cn->graphs[i].key);
        sr_graph_free(cn->graphs[i].g);
    }
    free(cn->graphs);
    sr_experiment_free(cn->exp);
    free(cn);
}

/* The graph of the model of source `src` ("" : the first source with a model) at point_index; *src_name its
 * name. NULL when anything is missing. */
static const sr_graph *graph_of(sr_cut_names *cn, int point_index, const char *src, const char **src_name)
{
    *src_name = src;
    if (cn->point != point_index) {
        sr_experiment_free(cn->exp);
        cn->exp = NULL;
        cn->point = point_index;
        if (sr_config_experiment(cn->c, point_index, &cn->exp) != SR_OK) cn->exp = NULL;
    }
    const sr_experiment *e = cn->exp;
    if (!e) return NULL;
    const sr_model_spec *ms = NULL;
    for (int k = 0; k < e->n_sources && !ms; k++) {
        const sr_source_spec *s = &e->sources[k];
        if (!s->model || (src[0] && (!s->name || strcmp(s->name, src) != 0))) continue;
        for (int m = 0; m < e->n_models && !ms; m++)
            if (e->models[m].name && strcmp(e->models[m].name, s->model) == 0) {
                ms = &e->models[m];
                if (s->name) *src_name = s->name;
            }
    }
    if (!ms || !ms->source) return NULL;
    char key[1200];
    snprintf(key, sizeof key, "%s@%dx%dx%d", ms->source, ms->input_c, ms->input_h, ms->input_w);
    for (int i = 0; i < cn->n_graphs; i++)
        if (strcmp(cn->graphs[i].key, key) == 0) return cn->graphs[i].g;
    if (cn->n_graphs == cn->cap) {
        int cap = cn->cap ? 2 * cn->cap : 4;
        graph_entry *ng = realloc(cn->graphs, (size_t)cap * sizeof *ng);
        if (!ng) return NULL;
        cn->graphs = ng;
        cn->cap = cap;
    }
    graph_entry *ge = &cn->graphs[cn->n_graphs];
    ge->key = strdup(key);
    ge->g = NULL;
    if (!ge->key) return NULL;
    cn->n_graphs++;
    char err[256];
    if (sr_model_load(ms->source, ms->input_c, ms->input_h, ms->input_w, 0, &ge->g, NULL, err, sizeof err) !=
        SR_OK)
        ge->g = NULL;
    return ge->g;
}

void sr_cut_names_print(sr_cut_names *cn, FILE *f, int point_index, const sr_cut_row *row)
{
    const char *src = row->source;
    const sr_graph *g = cn ? graph_of(cn, point_index, row->source, &src) : NULL;
    char where[200];
    int id = isfinite(row->last_node) ? (int)row->last_node : -1;
    int n_nodes = g ? sr_graph_node_count(g) : 0;
    const sr_node *nd = g && id >= 0 && id < n_nodes ? sr_graph_node(g, id) : NULL;
    if (nd && nd->op == SR_OP_INPUT)
        snprintf(where, sizeof where, "cloud-only (the input '%s' alone on the device)", nd->name);
    else if (nd && row->device_nodes >= n_nodes)
        snprintf(where, sizeof where, "device-only (every layer, the last '%s')", nd->name);
    else if (nd)
        snprintf(where, sizeof where, "after '%s' (node %d)", nd->name, id);
    else
        snprintf(where, sizeof where, "after node %d", id);
    fprintf(f, "    %-12s %s, %.0f nodes on the device, %.0f tensor(s), %.0f B sent, predicted %.2f ms\n",
            src[0] ? src : "-", where, row->device_nodes, row->tensors, row->bytes, row->pred_s * 1e3);
}
