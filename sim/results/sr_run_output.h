/* sr_run_output.h: what one simulated run point produces, handed from the engine to the results DB.
 *
 * Times are simulated seconds; sizes bytes; energy joules. Growable arrays owned by the struct. */
#ifndef SR_RUN_OUTPUT_H
#define SR_RUN_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

typedef struct sr_frame_record {
    int64_t frame;         /* sequence number within its source instance */
    int source;            /* index of the source instance (stable across runs) */
    char device[48];       /* host that captured the frame */
    double capture_s;
    double queue_s;        /* time spent waiting for busy devices */
    double compute_s;      /* time computing (all devices) */
    double transfer_s;     /* time transferring (all transfers, incl. latency) */
    double complete_s;     /* completion time; < 0 when dropped */
    double latency_s;      /* complete - capture; < 0 when dropped */
    int dropped;
    int64_t bytes_sent;    /* bytes put on the network for this frame */
    char outcome[12];      /* "completed", "dropped", "failed" or "late" ("" is read as completed/dropped) */
    char cause[64];        /* dropped / failed: which queue or which device / transfer; "" otherwise */
    int plan_version;      /* version of the plan the job ran (1 = the first plan adopted); 0 when unknown */
} sr_frame_record;

/* One executed task of a frame's plan: a computation on one device or a transfer between two hosts.
 * Tasks that did not run (a dropped frame's remaining tasks) have no record. */
typedef struct sr_task_record {
    int64_t frame;         /* sequence number within its source instance (as sr_frame_record.frame) */
    int source;            /* index of the source instance */
    int task;              /* index of the task in the frame's plan */
    char kind[12];         /* "compute", "transfer" or "delay" */
    char label[32];        /* the plan task's label ("head", "tail", "encode", "activation", "frame", ...) */
    char device[48];       /* compute: the host computing; transfer: the sending host */
    char dst[48];          /* transfer: the receiving host; "" for a computation */
    double ready_s;        /* every predecessor finished */
    double start_s;        /* compute: device acquired; transfer: sending started */
    double end_s;          /* finished */
    int64_t bytes;         /* transfer: bytes sent; 0 for a computation */
} sr_task_record;

typedef struct sr_link_stat {
    char name[64];
    char type[16];
    double bw_bps, latency_s;
    int64_t bytes;         /* payload bytes that crossed the link */
    int64_t transfers;
    double energy_j;       /* 0 when link energy is not modelled */
} sr_link_stat;

typedef struct sr_host_stat {
    char name[64];
    char device_class[16];
    double busy_s;         /* simulated seconds with at least one task computing */
    int64_t tasks;
    double energy_j;
} sr_host_stat;

typedef struct sr_metric {
    char name[48];
    double value;
    char unit[16];
} sr_metric;

typedef struct sr_run_output {
    sr_frame_record *frames;
    size_t n_frames, cap_frames;
    sr_task_record *tasks; /* per-task records (empty when the experiment stores no per-frame rows) */
    size_t n_tasks, cap_tasks;
    sr_link_stat *links;
    size_t n_links, cap_links;
    sr_host_stat *hosts;
    size_t n_hosts, cap_hosts;
    sr_metric *metrics;
    size_t n_metrics, cap_metrics;
    double end_s;          /* simulated time when the run ended */
} sr_run_output;

void sr_run_output_init(sr_run_output *o);
void sr_run_output_clear(sr_run_output *o); /* frees the arrays, keeps o usable */
sr_status sr_run_output_add_frame(sr_run_output *o, const sr_frame_record *r);
/* Appends one task record (copied; the strings are terminated when they fill their field). */
sr_status sr_run_output_add_task(sr_run_output *o, const sr_task_record *r);
/* Appends n task records at once (copied; one reallocation at most). */
sr_status sr_run_output_add_tasks(sr_run_output *o, const sr_task_record *r, size_t n);
sr_status sr_run_output_add_link(sr_run_output *o, const sr_link_stat *s);
sr_status sr_run_output_add_host(sr_run_output *o, const sr_host_stat *s);
sr_status sr_run_output_add_metric(sr_run_output *o, const char *name, double value, const char *unit);
/* Computes the summary metrics from the frame records (frames_total, frames_dropped, drop_rate,
 * latency_mean/p50/p95/p99/max, throughput_fps over [warmup, end]) and appends them. */
sr_status sr_run_output_summarize(sr_run_output *o, double warmup_s);
/* Value of a metric by name; returns 0 and sets *value when found, SR_ERR_NOT_FOUND otherwise. */
sr_status sr_run_output_metric(const sr_run_output *o, const char *name, double *value);

#endif
