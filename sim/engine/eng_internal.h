/* eng_internal.h: the engine's state, shared by its files (not a public interface).
 *
 *   sr_engine.c     sr_engine_run_opts: preparation -> SimGrid -> event loop -> collection, in that order
 *   eng_prepare.c   everything before SimGrid starts: topology, graphs, cost models, the policy's state,
 *                   plans (priced, resolved to hosts, routes and connections), sources and their arrival streams
 *   eng_loop.c      the event-loop core, in maestro callbacks: jobs, tasks, executors and batches, connections,
 *                   failures, outcomes, re-planning, the policy's view of the simulation (sr_policy_sim)
 *   eng_sg.c        SimGrid glue: configuration, the platform file, Wi-Fi stations, the run itself
 *   eng_collect.c   results: per-job and per-task records, host and link statistics, summary metrics
 *
 * Vocabulary: a job is one run of a plan (a frame of a source, or a job a policy submitted); a slot is the
 * state of one task of a job. Devices have `executors` executors (SimGrid cores); a connection carries the
 * transfers of one (sender, receiver) host pair in FIFO order. */
#ifndef ENG_INTERNAL_H
#define ENG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <simgrid/forward.h>

#include "arrival.h"
#include "sr_engine.h"
#include "sr_exact.h"
#include "sr_idle.h"
#include "sr_platform.h"
#include "sr_policy.h"

#define ENG_ERR(...)                                                                                         \
    do {                                                                                                     \
        if (err) snprintf(err, err_size, __VA_ARGS__);                                                       \
    } while (0)

typedef struct engine engine;
typedef struct eng_job eng_job;

/* A FIFO of slots (ring buffer). */
typedef struct eng_fifo {
    struct eng_slot **q;
    size_t head, len, cap;
} eng_fifo;

/* Per task of a job: predecessors left, times, and the activity's user data. A source's arrival marker is a
 * slot with job == NULL (task: the source index). */
typedef struct eng_slot {
    eng_job *job;
    int task;
    int pending;            /* predecessors not finished */
    int executor;           /* compute: executor serving it (-1 before) */
    double ready_s, start_s;
    int64_t seq;            /* readiness order (FIFO order across an executor's queues) */
    struct eng_slot *next;  /* batch: the next member (the head is the one queued and executed) */
    int batch_n;            /* batch head: members, head included (1: not batched) */
    int admitted;           /* transfer: admitted on the limited links of its route */
    int children;           /* hold: parts spawned on it still running */
    signed char released;   /* hold: the policy released it (1: ok, -1: failed); 0 before */
} eng_slot;

/* A batch being formed on one executor for one batch key. */
typedef struct eng_batch {
    int key, executor;
    eng_slot *head, *tail;
    int n;
    int64_t epoch; /* bumped when the batch leaves, so a stale timer does nothing */
    struct eng_host *host;
} eng_batch;

/* An executor of a device: its own FIFO (tasks pinned to it) and the number of tasks it runs. */
typedef struct eng_exec {
    eng_fifo q;
    int running;
    int class_running[SR_CORUN_CLASSES]; /* running tasks per co-run class (class 0 not counted) */
    double idle_since_s; /* when its last task ended (-inf before the first): compute after idle, sr_idle.h */
} eng_exec;

typedef struct eng_host {
    sg_host_t sg;
    int index;
    double core_flops; /* one executor's speed: the device's speed / executors */
    int n_exec;
    int concurrency;   /* tasks one executor runs at once */
    double interference; /* device's co-running slowdown (sr_device_spec.interference; <= 1: none) */
    sr_idle_curve idle;  /* compute after idle (sr_device_spec.idle_*; n == 0: none) */
    double jitter_sigma; /* compute times x exp(sigma z) (sr_device_spec.jitter_sigma; 0: none) */
    uint64_t jitter_state; /* its stream (splitmix64 from the run's seed and the host's index) */
    int64_t idle_slowed; /* compute tasks that started after idle and were slowed */
    double idle_factor_sum; /* their factors, summed */
    eng_exec *exec;
    eng_fifo shared;   /* tasks for any executor */
    int occupancy;     /* tasks at the device: batching, waiting or being served (the max_queue rule) */
    int max_queue;
    int serving;       /* host_serve is on the stack */
    int up;
    eng_batch **batches; /* batch formers, each allocated once (timers point at them) */
    int n_batches, cap_batches;
    int max_in_flight; /* connections from this host: transfers at once (0: no limit, one flow each) */
    double send_buffer_bytes; /* connections from this host: bytes queued or in flight (0: no limit) */
    double busy_s;
    int64_t tasks;
} eng_host;

typedef struct eng_link {
    int64_t bytes, transfers;
    int max_flows; /* admission limit (0: none) */
    int flows;     /* admitted transfers crossing it */
    eng_fifo wait; /* transfers waiting to be admitted */
} eng_link;

/* The transfers of one (sender, receiver) pair. */
typedef struct eng_conn {
    int src, dst;
    eng_fifo q;
    int in_flight;
    double queued_bytes; /* waiting + in flight */
} eng_conn;

/* A priced plan resolved to hosts, shared by the jobs that run it; kept until the end of the run (the task
 * records name their plan's tasks after it). */
typedef struct eng_plan {
    int limited; /* some route of the plan crosses a link with an admission limit */
    sr_plan *plan;
    int version;
    int n_tasks;
    int *host;                   /* compute, delay: device; transfer: sender */
    int *dst;                    /* transfer: receiver */
    const sr_topo_route **route; /* transfer: route */
    int *conn;                   /* transfer: connection index */
    int *n_preds;
    int *succ_first, *succ; /* successors, CSR */
} eng_plan;

typedef struct eng_source {
    engine *eng;
    int index;       /* global source instance index */
    int spec;        /* index in e->sources */
    int group, instance;
    double next_s;   /* capture time of the arrival being started */
    eng_slot marker; /* the arrival's zero-flop exec (see source_timer) */
    int host;
    double raw_frame_bytes; /* width * height * 3: the 8-bit RGB frame it captures */
    double jpeg_frame_bytes, h264_frame_bytes; /* metrics.baseline_frames > 0: the video's mean coded frame */
    double deadline_s;      /* jobs completing later than this after capture are late; 0: none */
    sr_arrival_gen *gen;
    eng_plan *plan;  /* current plan */
    int stale;       /* the policy asked for a re-plan: the next job plans anew */
    int64_t n_frames;
    int model;       /* index in e->models */
    sr_exact *exact; /* exact mode: the instance's real computation; NULL in model mode */
} eng_source;

typedef enum {
    ENG_CAUSE_NONE,
    ENG_CAUSE_DEVICE_QUEUE,  /* dropped: max_queue */
    ENG_CAUSE_SEND_BUFFER,   /* dropped: a connection's send buffer */
    ENG_CAUSE_DEVICE_DOWN,   /* failed: a device it needed was down or failed */
    ENG_CAUSE_TRANSFER,      /* failed: a transfer failed (a link or an end went down) */
    ENG_CAUSE_POLICY,        /* failed: the policy released a hold of it as failed */
    ENG_CAUSE_COUNT
} eng_cause;

struct eng_job {
    engine *eng;
    eng_source *src; /* NULL for a submitted job */
    eng_plan *plan;
    int64_t k;       /* frame number within the source (submitted jobs: their sequence number) */
    double capture_s;
    int remaining;   /* tasks not finished */
    double queue_s, compute_s, transfer_s;
    int64_t bytes;
    sr_outcome outcome; /* COMPLETED until something else happens */
    eng_cause cause;
    int cause_where;    /* host index of the cause (-1) */
    double act_bytes;   /* exact mode with a codec: real coded size of the activation; -1: the plan's bytes */
    eng_slot *parent;   /* a part spawned on a hold: that hold (of the job it is part of); NULL otherwise */
    int tag;            /* a part: the policy's tag */
    int task_base;      /* a part: number of its first task in the task records (after the job's own) */
    int spawned_tasks;  /* a root job: task numbers its parts took so far */
    eng_cause part_cause; /* a held job: the cause of its last failed part (ENG_CAUSE_NONE) */
    int part_where;
    eng_slot slot[];    /* per task */
};

/* What the hot path records per executed task; expanded to sr_task_record after the run. */
typedef struct eng_task_rec {
    int64_t frame;
    int source, task;
    int id;      /* the task's number in the job's records (task, or after the job's own for a part's) */
    int version; /* plan version (looked up after the run) */
    double ready_s, start_s, end_s;
    int64_t bytes;
} eng_task_rec;

struct engine {
    const sr_experiment *e;
    const sr_policy_ops *pol;
    void *pol_state;
    sr_policy_env env;
    sr_policy_sim sim;
    sr_topology *topo;
    int n_pooled_links; /* shared links whose flows the pool solves (eng_pool.c) */
    int any_idle_curve; /* a device has a compute-after-idle curve (metrics idle_slowed_tasks, ...) */
    eng_host *hosts;
    int n_hosts;
    eng_link *links;
    eng_conn *conns;
    int n_conns, cap_conns;
    int *conn_index; /* open addressing over (src, dst): index + 1, 0 = empty */
    size_t conn_slots;
    eng_source *sources;
    int n_sources;
    eng_plan **plans; /* every plan adopted (for records and freeing) */
    int n_plans, cap_plans;
    int next_version;
    int64_t seq;
    int64_t n_submitted;
    int64_t n_held; /* hold tasks ready and not yet ended (a policy that never releases one fails the run) */
    sr_frame_record *recs;
    size_t n_recs, cap_recs;
    int want_tasks; /* metrics.frames: record every executed task */
    eng_task_rec *trecs;
    size_t n_trecs, cap_trecs;
    sr_status fail; /* first failure inside the simulation (out of memory, exact-mode kernel error) */
    char fail_msg[512];
    double duration_s;
    uint64_t seed; /* the run point's seed */
    const sr_engine_opts *opts;
    sr_graph **graphs;
    sr_weights **weights;             /* exact mode: the weights the kernels run with */
    sr_cost_model *default_cost_own;  /* the roofline, when opts gives none */
    sr_cost_model **group_cost;       /* per device group: its profile's cost model, or NULL (the default model) */
    /* exact-mode results */
    int64_t ex_frames, ex_top1;
    double ex_rel_l2_sum, ex_sig2, ex_err2, ex_wall_s;
    int64_t ex_parts;      /* frames computed part by part (partitioned plans) and stitched */
    double ex_stitch_max;  /* their largest max |y - y_ref| / max |y_ref| */
};

/* eng_prepare.c */
sr_status eng_prepare(engine *eng, uint64_t seed, char *err, size_t err_size);
/* A new plan for source s (the policy's, priced and resolved), adopted as its current one. */
sr_status eng_source_replan(engine *eng, eng_source *s, char *err, size_t err_size);
/* Resolves a plan to hosts, routes and connections and wraps it (takes ownership of p). */
sr_status eng_plan_adopt(engine *eng, sr_plan *p, const char *who, eng_plan **out, char *err, size_t err_size);
void eng_clear(engine *eng);

/* eng_loop.c */
void eng_activity_done(void *data, int ok, void *user);
void eng_host_state(sg_host_t host, int on, void *user);
void eng_source_arm(eng_source *s);
void eng_sim_init(engine *eng);
void eng_policy_start(engine *eng); /* SR_EVENT_START to the policy, at time 0 */
/* Timers for the policy's link events (bandwidth changes of traced links, link outages) and devices' speed changes,
 * from the schedules sr_profiles gives SimGrid; nothing when the policy has no on_event. */
sr_status eng_link_events(engine *eng, char *err, size_t err_size);

/* eng_sg.c */
sr_status eng_sg_run(engine *eng, char *err, size_t err_size);
int eng_needs_link_energy(const sr_experiment *e); /* link energy is modelled (the plugin is on) */
/* Hands the shared links whose flows can be aggregated exactly to the pool (eng_pool.c); after the platform
 * is loaded and the profiles applied. */
sr_status eng_pool_setup(engine *eng, char *err, size_t err_size);

/* eng_collect.c */
sr_status eng_collect(engine *eng, sr_run_output *out);
const char *eng_cause_text(const engine *eng, eng_cause c, int where, char *buf, size_t size);

/* eng_baseline.c: metrics.baseline_frames > 0: the mean JPEG and H.264 frame of source spec `spec`'s synthetic
 * video (0 and 0 for event sources or when off). */
sr_status eng_frame_baselines(const sr_experiment *e, int spec, double *jpeg_bytes, double *h264_bytes, char *err,
                              size_t err_size);

#endif
