/* sr_plan.c: the per-frame task DAG (sr_plan.h): growable task and dependency arrays. */
#include "sr_plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sr_plan {
    sr_plan_task *tasks;
    int n_tasks, cap_tasks;
    int (*deps)[2];
    int n_deps, cap_deps;
};

static const char *const kind_names[] = {"compute", "transfer"};
static const char *const role_names[] = {"source", "target", "other"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == SR_TASK_KIND_COUNT, "task kind names");
_Static_assert(sizeof role_names / sizeof role_names[0] == SR_ROLE_COUNT, "role names");

const char *sr_task_kind_name(sr_task_kind k)
{
    return k >= 0 && k < SR_TASK_KIND_COUNT ? kind_names[k] : "?";
}

const char *sr_dev_role_name(sr_dev_role r)
{
    return r >= 0 && r < SR_ROLE_COUNT ? role_names[r] : "?";
}

sr_status sr_plan_create(sr_plan **out)
{
    if (!out) return SR_ERR_INVALID;
    *out = calloc(1, sizeof **out);
    return *out ? SR_OK : SR_ERR_NOMEM;
}

void sr_plan_free(sr_plan *p)
{
    if (!p) return;
    free(p->tasks);
    free(p->deps);
    free(p);
}

static int push_task(sr_plan *p, const sr_plan_task *t)
{
    if (p->n_tasks == p->cap_tasks) {
        int cap = p->cap_tasks ? 2 * p->cap_tasks : 4;
        sr_plan_task *n = realloc(p->tasks, (size_t)cap * sizeof *n);
        if (!n) return SR_ERR_NOMEM;
        p->tasks = n;
        p->cap_tasks = cap;
    }
    p->tasks[p->n_tasks] = *t;
    return p->n_tasks++;
}

static void set_label(sr_plan_task *t, const char *label)
{
    snprintf(t->label, sizeof t->label, "%s", label ? label : "");
}

int sr_plan_add_compute(sr_plan *p, sr_plan_dev dev, double seconds, int first_layer, int last_layer,
                        const char *label)
{
    if (!p || !isfinite(seconds) || seconds < 0 || dev.group < 0 || dev.instance < 0) return SR_ERR_INVALID;
    sr_plan_task t;
    memset(&t, 0, sizeof t);
    t.kind = SR_TASK_COMPUTE;
    t.dev = dev;
    t.seconds = seconds;
    t.first_layer = first_layer;
    t.last_layer = last_layer;
    t.batch = 1;
    t.src = t.dst = dev;
    set_label(&t, label);
    return push_task(p, &t);
}

int sr_plan_add_transfer(sr_plan *p, sr_plan_dev src, sr_plan_dev dst, double bytes, const char *label)
{
    if (!p || !isfinite(bytes) || bytes < 0 || src.group < 0 || src.instance < 0 || dst.group < 0 ||
        dst.instance < 0)
        return SR_ERR_INVALID;
    sr_plan_task t;
    memset(&t, 0, sizeof t);
    t.kind = SR_TASK_TRANSFER;
    t.src = src;
    t.dst = dst;
    t.dev = src;
    t.bytes = bytes;
    t.first_layer = t.last_layer = -1;
    t.batch = 1;
    set_label(&t, label);
    return push_task(p, &t);
}

sr_status sr_plan_add_dep(sr_plan *p, int before, int after)
{
    if (!p || before < 0 || after >= p->n_tasks || before >= after) return SR_ERR_INVALID;
    if (p->n_deps == p->cap_deps) {
        int cap = p->cap_deps ? 2 * p->cap_deps : 4;
        int(*n)[2] = realloc(p->deps, (size_t)cap * sizeof *n);
        if (!n) return SR_ERR_NOMEM;
        p->deps = n;
        p->cap_deps = cap;
    }
    p->deps[p->n_deps][0] = before;
    p->deps[p->n_deps][1] = after;
    p->n_deps++;
    return SR_OK;
}

int sr_plan_task_count(const sr_plan *p)
{
    return p ? p->n_tasks : 0;
}

const sr_plan_task *sr_plan_task_at(const sr_plan *p, int id)
{
    return p && id >= 0 && id < p->n_tasks ? &p->tasks[id] : NULL;
}

int sr_plan_dep_count(const sr_plan *p)
{
    return p ? p->n_deps : 0;
}

void sr_plan_dep_at(const sr_plan *p, int i, int *before, int *after)
{
    *before = p->deps[i][0];
    *after = p->deps[i][1];
}

double sr_plan_compute_seconds(const sr_plan *p)
{
    double s = 0;
    for (int i = 0; i < p->n_tasks; i++)
        if (p->tasks[i].kind == SR_TASK_COMPUTE) s += p->tasks[i].seconds;
    return s;
}

double sr_plan_transfer_bytes(const sr_plan *p)
{
    double s = 0;
    for (int i = 0; i < p->n_tasks; i++)
        if (p->tasks[i].kind == SR_TASK_TRANSFER) s += p->tasks[i].bytes;
    return s;
}

sr_status sr_plan_validate(const sr_plan *p, char *err, size_t err_size)
{
    if (!p || p->n_tasks == 0) {
        if (err) snprintf(err, err_size, "plan has no task");
        return SR_ERR_INVALID;
    }
    for (int i = 0; i < p->n_tasks; i++) {
        const sr_plan_task *t = &p->tasks[i];
        if (t->kind == SR_TASK_TRANSFER && t->src.group == t->dst.group &&
            t->src.instance == t->dst.instance) {
            if (err)
                snprintf(err, err_size, "plan task %d (%s): transfer from a device to itself", i, t->label);
            return SR_ERR_INVALID;
        }
    }
    return SR_OK;
}

void sr_plan_format(const sr_plan *p, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0) return;
    buf[0] = '\0';
    for (int i = 0; i < p->n_tasks && used < size; i++) {
        const sr_plan_task *t = &p->tasks[i];
        int w;
        if (t->kind == SR_TASK_COMPUTE)
            w = snprintf(buf + used, size - used, "%d compute %s on %s(%d,%d) %.9g s layers %d..%d\n", i,
                         t->label, sr_dev_role_name(t->dev.role), t->dev.group, t->dev.instance, t->seconds,
                         t->first_layer, t->last_layer);
        else
            w = snprintf(buf + used, size - used, "%d transfer %s %s(%d,%d) -> %s(%d,%d) %.0f B\n", i,
                         t->label, sr_dev_role_name(t->src.role), t->src.group, t->src.instance,
                         sr_dev_role_name(t->dst.role), t->dst.group, t->dst.instance, t->bytes);
        if (w < 0) break;
        used += (size_t)w;
    }
}
