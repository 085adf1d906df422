/* sr_plan.c: the job task DAG (sr_plan.h): growable task and dependency arrays. */
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
    int version;
};

static const char *const kind_names[] = {"compute", "transfer", "delay"};
static const char *const role_names[] = {"source", "target", "other"};
static const char *const work_names[] = {"layers", "encode", "decode", "seconds", "flops"};
static const char *const payload_names[] = {"frame", "activation", "model", "bytes"};
static const char *const cause_names[] = {"cold_start", "serialization", "runtime", "other", "copy", "hold"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == SR_TASK_KIND_COUNT, "task kind names");
_Static_assert(sizeof role_names / sizeof role_names[0] == SR_ROLE_COUNT, "role names");
_Static_assert(sizeof work_names / sizeof work_names[0] == SR_WORK_KIND_COUNT, "work kind names");
_Static_assert(sizeof payload_names / sizeof payload_names[0] == SR_PAYLOAD_KIND_COUNT, "payload names");
_Static_assert(sizeof cause_names / sizeof cause_names[0] == SR_DELAY_CAUSE_COUNT, "delay cause names");

const char *sr_task_kind_name(sr_task_kind k)
{
    return k >= 0 && k < SR_TASK_KIND_COUNT ? kind_names[k] : "?";
}

const char *sr_dev_role_name(sr_dev_role r)
{
    return r >= 0 && r < SR_ROLE_COUNT ? role_names[r] : "?";
}

const char *sr_work_kind_name(sr_work_kind k)
{
    return k >= 0 && k < SR_WORK_KIND_COUNT ? work_names[k] : "?";
}

const char *sr_payload_kind_name(sr_payload_kind k)
{
    return k >= 0 && k < SR_PAYLOAD_KIND_COUNT ? payload_names[k] : "?";
}

const char *sr_delay_cause_name(sr_delay_cause c)
{
    return c >= 0 && c < SR_DELAY_CAUSE_COUNT ? cause_names[c] : "?";
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

static int dev_ok(sr_plan_dev d)
{
    return d.group >= 0 && d.instance >= 0;
}

/* A task with every optional field at its neutral value. */
static sr_plan_task blank(sr_task_kind kind, sr_plan_dev dev, const char *label)
{
    sr_plan_task t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.dev = t.dst = dev;
    t.model = t.first_layer = t.last_layer = t.node = -1;
    t.executor = -1;
    t.batch_max = 1;
    t.version = -1;
    snprintf(t.label, sizeof t.label, "%s", label ? label : "");
    return t;
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

int sr_plan_add_layers(sr_plan *p, sr_plan_dev dev, int model, int first_layer, int last_layer, const char *label)
{
    if (!p || !dev_ok(dev) || model < 0 || first_layer < 0 || last_layer < first_layer) return SR_ERR_INVALID;
    sr_plan_task t = blank(SR_TASK_COMPUTE, dev, label);
    t.work = SR_WORK_LAYERS;
    t.model = model;
    t.first_layer = first_layer;
    t.last_layer = last_layer;
    return push_task(p, &t);
}

int sr_plan_add_codec(sr_plan *p, sr_plan_dev dev, sr_work_kind encode_or_decode, int model, int node,
                      const sr_plan_codec *codec, const char *label)
{
    if (!p || !dev_ok(dev) || model < 0 || node < 0 || !codec ||
        (encode_or_decode != SR_WORK_ENCODE && encode_or_decode != SR_WORK_DECODE))
        return SR_ERR_INVALID;
    sr_plan_task t = blank(SR_TASK_COMPUTE, dev, label);
    t.work = encode_or_decode;
    t.model = model;
    t.node = node;
    t.codec = codec;
    return push_task(p, &t);
}

int sr_plan_add_work(sr_plan *p, sr_plan_dev dev, sr_work_kind seconds_or_flops, double amount, const char *label)
{
    if (!p || !dev_ok(dev) || !isfinite(amount) || amount < 0 ||
        (seconds_or_flops != SR_WORK_SECONDS && seconds_or_flops != SR_WORK_FLOPS))
        return SR_ERR_INVALID;
    sr_plan_task t = blank(SR_TASK_COMPUTE, dev, label);
    t.work = seconds_or_flops;
    t.amount = amount;
    return push_task(p, &t);
}

int sr_plan_add_transfer(sr_plan *p, sr_plan_dev src, sr_plan_dev dst, sr_payload_kind payload, double bytes,
                         const char *label)
{
    if (!p || !isfinite(bytes) || bytes < 0 || !dev_ok(src) || !dev_ok(dst) || payload < 0 ||
        payload >= SR_PAYLOAD_KIND_COUNT)
        return SR_ERR_INVALID;
    sr_plan_task t = blank(SR_TASK_TRANSFER, src, label);
    t.dst = dst;
    t.payload = payload;
    t.bytes = bytes;
    return push_task(p, &t);
}

int sr_plan_add_delay(sr_plan *p, sr_plan_dev dev, sr_delay_cause cause, double seconds, const char *label)
{
    if (!p || !dev_ok(dev) || !isfinite(seconds) || seconds < 0 || cause < 0 || cause >= SR_DELAY_CAUSE_COUNT)
        return SR_ERR_INVALID;
    sr_plan_task t = blank(SR_TASK_DELAY, dev, label);
    t.cause = cause;
    t.seconds = seconds;
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

int sr_plan_part_is_tile(const sr_plan_part *q)
{
    return q->y1 > q->y0 || q->x1 > q->x0;
}

int sr_plan_part_is_slice(const sr_plan_part *q)
{
    return q->c1 > q->c0;
}

sr_status sr_plan_set_part(sr_plan *p, int id, sr_plan_part q)
{
    sr_plan_task *t = sr_plan_task_mut(p, id);
    int tile = sr_plan_part_is_tile(&q), slice = sr_plan_part_is_slice(&q);
    if (!t || tile == slice || q.y0 < 0 || q.x0 < 0 || q.c0 < 0) return SR_ERR_INVALID;
    if (tile && !(q.y1 > q.y0 && q.x1 > q.x0)) return SR_ERR_INVALID;
    int layers = t->kind == SR_TASK_COMPUTE && t->work == SR_WORK_LAYERS;
    int act = t->kind == SR_TASK_TRANSFER && t->payload == SR_PAYLOAD_ACTIVATION;
    if (!layers && !act) return SR_ERR_INVALID;
    t->part = q;
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

sr_plan_task *sr_plan_task_mut(sr_plan *p, int id)
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

int sr_plan_version(const sr_plan *p)
{
    return p ? p->version : 0;
}

void sr_plan_set_version(sr_plan *p, int version)
{
    if (p) p->version = version;
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
        const char *why = NULL;
        if (t->kind == SR_TASK_TRANSFER && t->dev.group == t->dst.group && t->dev.instance == t->dst.instance)
            why = "transfer from a device to itself";
        else if (!isfinite(t->seconds) || t->seconds < 0)
            why = "negative or non-finite seconds";
        else if (t->kind == SR_TASK_COMPUTE && (t->batch_key < 0 || t->batch_max < 1 ||
                                                !(t->batch_wait_s >= 0) || !isfinite(t->batch_wait_s)))
            why = "bad batch key, size or wait";
        else if (t->kind == SR_TASK_COMPUTE && t->executor < -1)
            why = "bad executor";
        if (why) {
            if (err) snprintf(err, err_size, "plan task %d (%s): %s", i, t->label, why);
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
        int w = -1;
        switch (t->kind) {
        case SR_TASK_COMPUTE:
            w = snprintf(buf + used, size - used, "%d compute %s (%s) on %s(%d,%d) %.9g s layers %d..%d", i,
                         t->label, sr_work_kind_name(t->work), sr_dev_role_name(t->dev.role), t->dev.group,
                         t->dev.instance, t->seconds, t->first_layer, t->last_layer);
            if (w >= 0 && (size_t)w < size - used) {
                used += (size_t)w;
                if (sr_plan_part_is_tile(&t->part))
                    w = snprintf(buf + used, size - used, " tile [%d,%d)x[%d,%d)\n", t->part.y0, t->part.y1,
                                 t->part.x0, t->part.x1);
                else if (sr_plan_part_is_slice(&t->part))
                    w = snprintf(buf + used, size - used, " channels [%d,%d)\n", t->part.c0, t->part.c1);
                else
                    w = snprintf(buf + used, size - used, "\n");
            }
            break;
        case SR_TASK_TRANSFER:
            w = snprintf(buf + used, size - used, "%d transfer %s (%s) %s(%d,%d) -> %s(%d,%d) %.0f B\n", i,
                         t->label, sr_payload_kind_name(t->payload), sr_dev_role_name(t->dev.role), t->dev.group,
                         t->dev.instance, sr_dev_role_name(t->dst.role), t->dst.group, t->dst.instance, t->bytes);
            break;
        case SR_TASK_DELAY:
            w = snprintf(buf + used, size - used, "%d delay %s (%s) on %s(%d,%d) %.9g s\n", i, t->label,
                         sr_delay_cause_name(t->cause), sr_dev_role_name(t->dev.role), t->dev.group,
                         t->dev.instance, t->seconds);
            break;
        case SR_TASK_KIND_COUNT:
            break;
        }
        if (w < 0) break;
        used += (size_t)w;
    }
}
