/* sr_experiment.h: the resolved, validated experiment of one run point.
 *
 * The config module (sr_config.h) builds it from YAML; everything downstream (platform builder,
 * engine, policies, results) reads it and never re-parses YAML. All quantities are SI base units:
 * seconds, bits per second for link rates, bytes for sizes, flop/s, watts. Strings are owned by the
 * experiment and freed by sr_experiment_free(). */
#ifndef SR_EXPERIMENT_H
#define SR_EXPERIMENT_H

#include <stdint.h>

#include "sr_graph.h"
#include "sr_params.h"
#include "sr_status.h"

/* Where something was written, for messages about it after parsing (route validation...). */
typedef struct sr_loc {
    const char *file; /* borrowed from the experiment */
    int line, col;    /* 1-based; 0 when unknown */
} sr_loc;

#define SR_DEVICE_CLASS_MAP(X)                                                                         \
    X(SR_DEV_CAMERA, "camera")                                                                         \
    X(SR_DEV_MCU, "mcu")                                                                               \
    X(SR_DEV_IOT, "iot")       /* Raspberry-Pi-class boards */                                         \
    X(SR_DEV_FPGA, "fpga")                                                                             \
    X(SR_DEV_GPU, "gpu")       /* edge GPU (Jetson) */                                                 \
    X(SR_DEV_EDGE, "edge")     /* edge server */                                                       \
    X(SR_DEV_CLOUD, "cloud")   /* cloud machine (GPU or CPU) */

typedef enum {
#define SR_DEV_ENUM(id, name) id,
    SR_DEVICE_CLASS_MAP(SR_DEV_ENUM)
#undef SR_DEV_ENUM
        SR_DEV_CLASS_COUNT
} sr_device_class;

#define SR_LINK_TYPE_MAP(X)                                                                            \
    X(SR_LINK_RDMA, "rdma")                                                                            \
    X(SR_LINK_ETHERNET, "ethernet")                                                                    \
    X(SR_LINK_WIFI, "wifi")                                                                            \
    X(SR_LINK_5G, "5g")                                                                                \
    X(SR_LINK_LTE, "lte")                                                                              \
    X(SR_LINK_3G, "3g")                                                                                \
    X(SR_LINK_BLE, "ble")                                                                              \
    X(SR_LINK_SERIAL, "serial")                                                                        \
    X(SR_LINK_WAN, "wan")

typedef enum {
#define SR_LINK_ENUM(id, name) id,
    SR_LINK_TYPE_MAP(SR_LINK_ENUM)
#undef SR_LINK_ENUM
        SR_LINK_TYPE_COUNT
} sr_link_type;

typedef enum {
    SR_SHARING_SHARED,  /* max-min fair share of one capacity */
    SR_SHARING_FATPIPE, /* every flow gets the full bandwidth */
    SR_SHARING_WIFI,    /* SimGrid's WIFI cell (802.11 performance anomaly) */
    SR_SHARING_COUNT
} sr_sharing;

typedef enum { SR_NET_CM02, SR_NET_LV08, SR_NET_MODEL_COUNT } sr_net_model;
/* Flow aggregation on shared bottleneck links (sim/engine/sr_sg_pool.hpp): auto pools where it is exact. */
typedef enum { SR_FLOW_AGG_AUTO, SR_FLOW_AGG_OFF } sr_flow_agg;
/* model: every task priced from the cost model and codec tables (scales to big runs); exact: the kernels and
 * codecs also really run for every simulated frame (small runs, at most SR_EXACT_MAX_FRAMES frames). */
typedef enum { SR_MODE_MODEL, SR_MODE_EXACT, SR_MODE_COUNT } sr_run_mode;
#define SR_EXACT_MAX_FRAMES 2000 /* frames per run point (all sources together) that exact mode accepts */
#define SR_MAX_DEVICES 1000000  /* device instances per experiment (all groups together) */
#define SR_NAME_MAX_CHARS 128   /* a name (experiment, device, link, model, source, policy): file names hold it */
#define SR_EXPERIMENT_MAX_BYTES ((size_t)64 << 20) /* an experiment file (fleets take count: or range:, not a line each) */
#define SR_EXACT_MIN_SIDE 16     /* exact mode renders frames of at least 16x16 pixels */
#define SR_EXACT_MAX_SIDE 8192   /* ... and at most 8192 pixels a side (a 8192x8192 RGB frame is 192 MiB) */
typedef enum { SR_ARRIVAL_PERIODIC, SR_ARRIVAL_POISSON, SR_ARRIVAL_TRACE, SR_ARRIVAL_COUNT } sr_arrival;
/* frames: camera frames (a resolution, exact mode renders them); events: sensor events of event_size bytes */
typedef enum { SR_SOURCE_FRAMES, SR_SOURCE_EVENTS, SR_SOURCE_KIND_COUNT } sr_source_kind;

const char *sr_device_class_name(sr_device_class c);
const char *sr_link_type_name(sr_link_type t);
const char *sr_sharing_name(sr_sharing s);
const char *sr_net_model_name(sr_net_model m);
const char *sr_arrival_name(sr_arrival a);
const char *sr_run_mode_name(sr_run_mode m);

/* Failures of a device or link (docs/user-guide.md, "Traces and failures"): an explicit schedule and/or
 * outages drawn per instance from MTBF/MTTR with the run's seed (workloads/failures.h). */
struct sr_outage;
typedef struct sr_failure_spec {
    int n;                    /* explicit outages, checked: in time order, no overlap */
    struct sr_outage *list;   /* n outages {at_s, for_s}, owned */
    double mtbf_s, mttr_s;    /* both > 0 for random failures; 0 = none */
} sr_failure_spec;

/* A scheduled change of a device's speed: from at_s on, every instance runs at factor x its declared speed
 * (factor > 0; the changes of a group are in strictly increasing order of at_s). */
typedef struct sr_speed_change {
    double at_s;
    double factor;
} sr_speed_change;

struct sr_trace;

#define SR_DEVICE_IDLE_POINTS 8 /* == SR_IDLE_MAX_POINTS (calibration/sr_idle.h) */

/* A device group: `count` instances named name0..name{count-1} (or nameF..name{F+count-1} with a range
 * F-L), or a single device called `name` when count is 1 and no range was given. */
typedef struct sr_device_spec {
    char *name;
    int count;
    char **instances;        /* count expanded host names */
    sr_device_class cls;
    char *profile;           /* catalogue profile the defaults came from */
    double speed_flops;      /* peak flop/s of one core */
    int cores;
    double efficiency;       /* achieved fraction of peak on DNN layers (roofline) */
    double mem_bw_Bps;       /* memory bandwidth, bytes/s (roofline) */
    double cpu_cores;        /* CPU quota in cores (Kubernetes `cpu: 500m` = 0.5); 0 = all `cores` */
    double container_overhead_s; /* added to every compute task (batch) on the device */
    double power_idle_w;
    double power_busy_w;     /* all cores busy */
    int max_queue;           /* tasks allowed to wait for this device (beyond its executors); 0 = unbounded */
    int executors;           /* independent executors (GPU streams, FPGA engines), each speed x cores / executors */
    int concurrency;         /* tasks one executor runs at once (> 1: co-running, sharing its speed) */
    double interference;     /* work factor of a task starting beside another co-run class on its executor (>= 1) */
    int idle_slowdown;       /* 1: compute after idle follows the curve below (calibration/sr_idle.h) */
    int idle_n;              /* the curve's points (its profile's measurement; 0: none) */
    double idle_gap_s[SR_DEVICE_IDLE_POINTS], idle_factor[SR_DEVICE_IDLE_POINTS];
    int compute_jitter;      /* 1: compute times spread as jitter_sigma says (calibration/sr_idle.h) */
    double jitter_sigma;     /* lognormal sigma of a compute task's time around its price (its profile's; 0: none) */
    int max_in_flight;       /* transfers at once per connection (destination); 0 = unlimited, one flow each */
    double send_buffer_bytes; /* bytes waiting or in flight per connection before a job is dropped; 0 = no limit */
    int wifi_level;          /* rate level index when attached to a WIFI link */
    sr_loc loc;
    char *range;             /* "FIRST-LAST" as written (NULL when count was used) */
    int first_index;         /* number of the first instance: name<first_index>.. (0 unless a range) */
    sr_failure_spec failures;  /* every instance fails on this schedule (MTBF draws differ per instance) */
    int n_speed_changes;
    sr_speed_change *speed_changes; /* every instance follows them (SimGrid speed profile), owned */
    int runtime;             /* how models run on it: sr_rune_mode (models/hw/mcu_rune.h), 0 = native */
    double runtime_factor;   /* every inference's layer time x this: 1 + the profile's measured rune overhead
                              * (0 when the spec was not built by the config: taken as 1) */
} sr_device_spec;

/* A link. With per_device set, one instance per member of that device group ("<name><i>"),
 * otherwise a single link called `name`. */
typedef struct sr_link_spec {
    char *name;
    sr_link_type type;
    double bw_bps;           /* bandwidth (first rate level for WIFI) */
    double latency_s;
    sr_sharing sharing;
    int n_rates;             /* WIFI: rate levels in bits/s, rates[0] == bw_bps */
    double rates_bps[8];
    char *per_device;        /* device group name, or NULL */
    int count;               /* instances (1, or the group's count) */
    char **instances;        /* expanded link names */
    double power_idle_w, power_busy_w; /* link energy (0 = not modelled) */
    int max_flows;           /* transfers crossing the link at once; more wait FIFO at its entrance; 0 = no limit */
    sr_loc loc;
    /* Time-varying link, read and checked by the config (every instance follows the same traces). */
    char *bandwidth_trace;       /* path (relative to the experiment file, resolved), or NULL */
    char *latency_trace;         /* CSV path, or NULL */
    int trace_format;            /* sr_trace_format of bandwidth_trace: csv or mahimahi */
    double trace_bin_s;          /* mahimahi bin width (a whole number of milliseconds) */
    struct sr_trace *bw_trace;   /* bandwidth (bit/s) over time, owned; NULL without bandwidth_trace */
    struct sr_trace *lat_trace;  /* latency (s) over time, owned; NULL without latency_trace */
    sr_failure_spec failures;
} sr_link_spec;

/* A route between two device groups (or single devices): every instance pair (i-th member of src
 * with every member of dst) is connected through the listed links, in order. A per-device link
 * group in the list resolves to the instance of the src (or, failing that, dst) member it belongs to. */
typedef struct sr_route_spec {
    char *src, *dst;
    int n_links;
    char **links;
    int symmetric;           /* default 1: the reverse direction uses the same links reversed */
    sr_loc loc;
} sr_route_spec;

typedef struct sr_model_spec {
    char *name;              /* name used by sources/policies */
    char *source;            /* zoo name, or a path to .onnx / .cfg */
    int input_c, input_h, input_w; /* 0 = the model's default */
    sr_precision precision;  /* weights/compute precision */
    sr_loc loc;
} sr_model_spec;

typedef struct sr_source_spec {
    char *name;
    char *devices;           /* device group emitting frames (one source per instance) */
    char *model;             /* model spec name */
    sr_source_kind kind;
    double fps;              /* arrivals per second per instance (periodic, Poisson; 0 with a trace) */
    sr_arrival arrival;
    char *arrival_trace;     /* arrival trace: path (resolved), or NULL */
    double *trace_times_s;   /* arrival trace: its times (seconds, non-decreasing), owned; every instance */
    int n_trace_times;
    int width, height;       /* frames: resolution; the raw frame is width*height*3 bytes (0 for events) */
    double event_bytes;      /* events: bytes of one event (the payload a policy sends) */
    double start_s;          /* first frame time (periodic sources are phase-shifted per instance) */
    double deadline_s;       /* a job completing later than this after capture is late; 0 = no deadline */
    sr_loc loc;
} sr_source_spec;

/* The policy of a run point: its type names a policy of the registry (policies/sr_policy.h), whose own table
 * (params_sec) the config parsed its keys with into `params`, a struct only that policy reads. */
typedef struct sr_policy_spec {
    char *name;                   /* label used in results (defaults to the type) */
    char *type;                   /* registry name */
    void *params;                 /* the policy's parameter struct (params_sec->size bytes), owned; NULL if none */
    const sr_section *params_sec; /* the table params was parsed with (static, borrowed); NULL if none */
    sr_loc loc;                   /* the policy's mapping */
} sr_policy_spec;

typedef struct sr_metrics_spec {
    int frames;              /* store one row per frame (default 1) */
    int links, hosts;        /* store per-link and per-host rows (default 1) */
    double warmup_s;         /* frames captured before this are excluded from the statistics */
    int baseline_frames;     /* > 0: JPEG / H.264 frame baselines of each source's video (frames coded) */
    int baseline_jpeg_quality;
    double baseline_h264_crf;
} sr_metrics_spec;

typedef struct sr_experiment {
    char *file;              /* path of the YAML file */
    char *name;
    uint64_t seed;           /* base seed; the run point's seed is derived from it and the replication */
    double duration_s;       /* frames are captured during [0, duration); the run ends when all finish */
    char *output_db;         /* path of the SQLite database */
    char *output_figures;    /* directory for figures */
    sr_loc output_db_loc, output_figures_loc; /* their keys in the file (the name's, when made from it) */
    sr_net_model net_model;
    sr_flow_agg flow_aggregation;
    sr_run_mode mode;        /* model (default) or exact */

    int n_devices;
    sr_device_spec *devices;
    int n_links;
    sr_link_spec *links;
    int n_routes;
    sr_route_spec *routes;
    int n_models;
    sr_model_spec *models;
    int n_sources;
    sr_source_spec *sources;
    sr_policy_spec policy;   /* the policy of this run point */
    sr_metrics_spec metrics;
} sr_experiment;

void sr_experiment_free(sr_experiment *e); /* frees everything, e included; NULL is a no-op */

/* Lookups by name; NULL when absent. */
const sr_device_spec *sr_experiment_device(const sr_experiment *e, const char *name);
const sr_link_spec *sr_experiment_link(const sr_experiment *e, const char *name);
const sr_model_spec *sr_experiment_model(const sr_experiment *e, const char *name);

#endif
