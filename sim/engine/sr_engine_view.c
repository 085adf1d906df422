/* sr_engine_view.c: the engine's preparation without SimGrid (sr_engine_view.h). */
#include "sr_engine_view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eng_internal.h"
#include "sr_model_source.h"

struct sr_engine_view {
    engine eng;
    sr_graph **graphs; /* with weights: one per model a source uses */
    sr_weights **weights;
};

sr_status sr_engine_view_create(const sr_experiment *e, uint64_t seed, sr_engine_view **out, char *err,
                                size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    *out = NULL;
    sr_engine_view *v = calloc(1, sizeof *v);
    if (!v) return SR_ERR_NOMEM;
    v->eng.e = e;
    v->eng.seed = seed;
    v->eng.duration_s = e->duration_s;
    int nm = e->n_models ? e->n_models : 1;
    v->graphs = calloc((size_t)nm, sizeof *v->graphs);
    v->weights = calloc((size_t)nm, sizeof *v->weights);
    sr_status st = v->graphs && v->weights ? eng_prepare(&v->eng, seed, err, err_size) : SR_ERR_NOMEM;
    for (int s = 0; s < v->eng.n_sources && st == SR_OK; s++) {
        int m = v->eng.sources[s].model;
        if (v->graphs[m]) continue;
        if (v->eng.weights[m]) continue; /* exact mode loaded them */
        const sr_model_spec *ms = &e->models[m];
        char msg[512] = "";
        st = sr_model_load(ms->source, ms->input_c, ms->input_h, ms->input_w, e->seed, &v->graphs[m],
                           &v->weights[m], msg, sizeof msg);
        if (st != SR_OK) ENG_ERR("model '%s': %s", ms->name, msg[0] ? msg : sr_status_message(st));
    }
    if (st != SR_OK) {
        sr_engine_view_free(v);
        return st;
    }
    *out = v;
    return SR_OK;
}

void sr_engine_view_free(sr_engine_view *v)
{
    if (!v) return;
    const sr_experiment *e = v->eng.e;
    for (int m = 0; m < e->n_models; m++) {
        if (v->graphs) sr_graph_free(v->graphs[m]);
        if (v->weights) sr_weights_free(v->weights[m]);
    }
    free(v->graphs);
    free(v->weights);
    eng_clear(&v->eng);
    free(v);
}

const sr_topology *sr_engine_view_topology(const sr_engine_view *v)
{
    return v->eng.topo;
}

int sr_engine_view_source_count(const sr_engine_view *v)
{
    return v->eng.n_sources;
}

void sr_engine_view_source(const sr_engine_view *v, int i, sr_view_source *out)
{
    const eng_source *s = &v->eng.sources[i];
    out->spec = s->spec;
    out->host = s->host;
    out->model = s->model;
    out->plan = s->plan->plan;
    /* as eng_prepare.c seeds exact mode's video */
    out->video_seed = sr_arrival_seed(v->eng.seed ^ UINT64_C(0x766964656f), (uint64_t)s->index);
}

int sr_engine_view_task_host(const sr_engine_view *v, int i, int t, int *dst)
{
    const eng_plan *p = v->eng.sources[i].plan;
    if (t < 0 || t >= p->n_tasks) return -1;
    if (dst) *dst = p->dst[t] >= 0 ? p->dst[t] : p->host[t];
    return p->host[t];
}

double sr_engine_view_next_arrival(sr_engine_view *v, int i)
{
    return sr_arrival_next(v->eng.sources[i].gen);
}

const sr_graph *sr_engine_view_graph(const sr_engine_view *v, int m)
{
    if (m < 0 || m >= v->eng.e->n_models) return NULL;
    return v->graphs[m] ? v->graphs[m] : v->eng.weights[m] ? v->eng.graphs[m] : NULL;
}

const sr_weights *sr_engine_view_weights(const sr_engine_view *v, int m)
{
    if (m < 0 || m >= v->eng.e->n_models) return NULL;
    return v->weights[m] ? v->weights[m] : v->eng.weights[m];
}
