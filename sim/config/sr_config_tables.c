/* sr_config_tables.c: the declarative tables of the experiment file, one per section (STYLE.md #9).
 *
 * Each row gives a key, its type, unit, range, default, whether it is required and a one-line doc.
 * The same rows drive parsing (sr_section_parse), defaults, validation, the sweep paths that may be
 * swept and docs/yaml-reference.md (sr_config_write_reference). Checks that involve several keys or
 * sections (profiles, references between sections, routes) live in sr_config.c. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "failures.h"
#include "mcu_rune.h"
#include "sr_config_internal.h"
#include "sr_policy.h"

static_assert(sizeof(sr_device_class) == sizeof(int) && sizeof(sr_link_type) == sizeof(int) &&
                  sizeof(sr_sharing) == sizeof(int) && sizeof(sr_net_model) == sizeof(int) && sizeof(sr_flow_agg) == sizeof(int) &&
                  sizeof(sr_arrival) == sizeof(int) && sizeof(sr_source_kind) == sizeof(int) &&
                  sizeof(sr_precision) == sizeof(int) && sizeof(sr_run_mode) == sizeof(int),
              "enum fields are stored as int");

static const char *const device_classes[] = {
#define X(id, name) name,
    SR_DEVICE_CLASS_MAP(X)
#undef X
};
static const char *const link_types[] = {
#define X(id, name) name,
    SR_LINK_TYPE_MAP(X)
#undef X
};
static const char *const sharings[] = {"shared", "fatpipe", "wifi"};
static const char *const net_models[] = {"cm02", "lv08"};
static const char *const flow_aggs[]  = {"auto", "off"}; /* sr_flow_agg order */
static const char *const arrivals[] = {"periodic", "poisson", "trace"};
static const char *const source_kinds[] = {"frames", "events"}; /* sr_source_kind order */
static const char *const runtimes[] = {"native", "rune-rust", "rune-protobuf"}; /* sr_rune_mode order */
static_assert(SR_RUNE_MODE_COUNT == 3 && SR_RUNE_NATIVE == 0 && SR_RUNE_RUST == 1 && SR_RUNE_PROTOBUF == 2,
              "runtime names follow sr_rune_mode");
static const char *const run_modes[] = {"model", "exact"}; /* sr_run_mode order */
static_assert(SR_MODE_COUNT == 2 && SR_MODE_MODEL == 0 && SR_MODE_EXACT == 1, "run mode names follow sr_run_mode");
static const char *const trace_formats[] = {"csv", "mahimahi"}; /* sr_trace_format order */
static_assert(SR_TRACE_FORMAT_COUNT == 2 && SR_TRACE_CSV == 0 && SR_TRACE_MAHIMAHI == 1,
              "trace format names follow sr_trace_format");
static const char *const precisions[] = {"fp32", "fp16", "int8"}; /* sr_precision order */
static_assert(SR_PREC_COUNT == 3 && SR_PREC_FP32 == 0 && SR_PREC_FP16 == 1 && SR_PREC_INT8 == 2,
              "precision names follow sr_precision");

#define N(a) (int)(sizeof a / sizeof a[0])
#define ENUM_OF(a) .names = a, .n_names = N(a)
#define OFF(type, field) .offset = offsetof(type, field)
#define RQ SR_FF_REQUIRED
#define HAS_MIN SR_FF_HAS_MIN
#define GT0 (SR_FF_HAS_MIN | SR_FF_MIN_EXCL)
#define FIELDS(a) .fields = a, .n_fields = N(a)

/* ---- metrics ---- */
static const sr_field metrics_fields[] = {
    {"frames", SR_F_BOOL, .def = "true", .doc = "store one row per frame", OFF(sr_metrics_spec, frames)},
    {"links", SR_F_BOOL, .def = "true", .doc = "store per-link rows (bytes, utilisation)",
     OFF(sr_metrics_spec, links)},
    {"hosts", SR_F_BOOL, .def = "true", .doc = "store per-host rows (busy time, energy)",
     OFF(sr_metrics_spec, hosts)},
    {"warmup", SR_F_QTY, SR_UNIT_TIME, HAS_MIN, .def = "0s",
     .doc = "frames captured before this time are left out of the statistics (must be < duration)",
     OFF(sr_metrics_spec, warmup_s)},
    {"baseline_frames", SR_F_INT, SR_UNIT_NONE, HAS_MIN | SR_FF_HAS_MAX, .min = 0, .max = 10000, .def = "0",
     .doc = "> 0: code this many frames of each source's synthetic video with JPEG and H.264 (as `simrun "
            "codec-table` does) and record frame_jpeg_bytes, frame_h264_bytes, amplification_jpeg and "
            "amplification_h264",
     OFF(sr_metrics_spec, baseline_frames)},
    {"baseline_jpeg_quality", SR_F_INT, SR_UNIT_NONE, HAS_MIN | SR_FF_HAS_MAX, .min = 1, .max = 100, .def = "90",
     .doc = "JPEG quality of the frame baseline (libjpeg-turbo, 4:2:0)", OFF(sr_metrics_spec, baseline_jpeg_quality)},
    {"baseline_h264_crf", SR_F_FLOAT, SR_UNIT_NONE, HAS_MIN | SR_FF_HAS_MAX, .min = 0, .max = 51, .def = "23",
     .doc = "x264 constant rate factor of the frame baseline (preset medium, tune zerolatency, keyint 250)",
     OFF(sr_metrics_spec, baseline_h264_crf)},
};
const sr_section sr_sec_metrics = {"metrics", "metrics", 0, "What is recorded in the results database.",
                                   FIELDS(metrics_fields)};

/* ---- sweep ---- */
static const sr_field sweep_fields[] = {
    {"grid", SR_F_MAP, .def_doc = "no axes",
     .doc = "axes: `path: [value, ...]`; every combination is a run point (see Sweep paths)"},
    {"replications", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .min = 1, .def = "1",
     .doc = "runs of every combination and policy with different seeds", OFF(sr_sweep_opts, replications)},
};
const sr_section sr_sec_sweep = {"sweep", "sweep", 0, "Parameter sweep: grid axes x policies x replications.",
                                 FIELDS(sweep_fields)};

/* ---- policy: the keys every policy has; the rest is each policy's own table (policies/, sr_policy.h) ---- */
static const sr_field policy_fields[] = {
    {"type", SR_F_STR, .flags = RQ, .doc = "the policy (`simrun list policies`); its own keys follow below",
     OFF(sr_policy_spec, type)},
    {"name", SR_F_NAME, .def_doc = "the type", .doc = "label of the policy in results; unique",
     OFF(sr_policy_spec, name)},
};
const sr_section sr_sec_policy = {
    "policy", "policy", 1,
    "One mapping, or a list of mappings: every policy is run at every sweep point. Sweep paths name a "
    "policy by its `name` (default: its type). Besides `type` and `name`, each policy has its own keys "
    "(the sections `policy (type ...)` below).",
    FIELDS(policy_fields)};

/* ---- workload ---- */
static const sr_field source_fields[] = {
    {"name", SR_F_NAME, .flags = RQ, .doc = "unique source name", OFF(sr_source_spec, name)},
    {"devices", SR_F_STR, .flags = RQ, .doc = "device group emitting jobs (one stream per instance)",
     OFF(sr_source_spec, devices)},
    {"model", SR_F_STR, .flags = RQ, .doc = "name of an entry of `models`", OFF(sr_source_spec, model)},
    {"kind", SR_F_ENUM, ENUM_OF(source_kinds), .def = "frames",
     .doc = "frames (camera frames of `resolution`) or events (sensor events of `event_size` bytes)",
     OFF(sr_source_spec, kind)},
    {"fps", SR_F_QTY, SR_UNIT_FREQ, GT0 | SR_FF_UNIT_OPTIONAL, .def_doc = "- (required unless arrival: trace)",
     .doc = "arrivals per second per instance (a number, or with Hz)", OFF(sr_source_spec, fps)},
    {"arrival", SR_F_ENUM, ENUM_OF(arrivals), .def = "periodic",
     .doc = "periodic (fixed interval, instances phase-shifted), poisson, or trace (the times of arrival_trace)",
     OFF(sr_source_spec, arrival)},
    {"arrival_trace", SR_F_STR, .def_doc = "-",
     .doc = "arrival: trace: a file of arrival times in seconds, one per line (first field; `#` comments, an "
            "optional header), non-decreasing, relative to the experiment file; every instance follows it",
     OFF(sr_source_spec, arrival_trace)},
    {"resolution", SR_F_RES, .def_doc = "- (required for frames)",
     .doc = "frame size WIDTHxHEIGHT in pixels (raw frame = W*H*3 bytes)", OFF(sr_source_spec, width)},
    {"event_size", SR_F_QTY, SR_UNIT_SIZE, GT0, .def_doc = "- (required for events)",
     .doc = "events: bytes of one event", OFF(sr_source_spec, event_bytes)},
    {"start", SR_F_QTY, SR_UNIT_TIME, HAS_MIN, .def = "0s", .doc = "time of the first arrival (not with a trace)",
     OFF(sr_source_spec, start_s)},
    {"deadline", SR_F_QTY, SR_UNIT_TIME, HAS_MIN, .def = "0s",
     .doc = "a job completed later than this after its arrival counts as late (outcome late); 0 = no deadline",
     OFF(sr_source_spec, deadline_s)},
};
const sr_section sr_sec_source = {"workload.sources", "source", 1,
                                   "Sources of jobs: cameras' frames or sensors' events, with their arrivals.",
                                   FIELDS(source_fields)};

static const sr_field workload_fields[] = {
    {"sources", SR_F_SEQ, .flags = RQ, .doc = "list of frame sources (at least one)", .sub = &sr_sec_source},
};
const sr_section sr_sec_workload = {"workload", "workload", 0, "What the devices capture.",
                                    FIELDS(workload_fields)};

/* ---- models ---- */
static const sr_field model_fields[] = {
    {"name", SR_F_NAME, .flags = RQ, .doc = "name used by sources", OFF(sr_model_spec, name)},
    {"source", SR_F_STR, .flags = RQ,
     .doc = "a zoo model (simrun list models) or a path to a .onnx / darknet .cfg file, relative to the "
            "experiment file",
     OFF(sr_model_spec, source)},
    {"input", SR_F_DIMS3, .def_doc = "the model's", .doc = "input CxHxW, e.g. 3x224x224",
     OFF(sr_model_spec, input_c)},
    {"precision", SR_F_ENUM, ENUM_OF(precisions), .def = "fp32", .doc = "weights and compute precision",
     OFF(sr_model_spec, precision)},
    {"requires", SR_F_SEQ, .def_doc = "none",
     .doc = "a rune's manifest: the sensors and outputs (names) it needs; a source deploying it to a device with "
            "a rune `runtime` whose `capabilities` lack one is refused"},
};
const sr_section sr_sec_model = {"models", "model", 1, "DNN models.", FIELDS(model_fields)};

/* ---- platform ---- */
static const sr_field failure_fields[] = {
    {"at", SR_F_QTY, SR_UNIT_TIME, RQ | HAS_MIN, .doc = "when the outage starts", OFF(sr_outage, at_s)},
    {"for", SR_F_QTY, SR_UNIT_TIME, RQ | GT0, .doc = "how long it lasts", OFF(sr_outage, for_s)},
};
const sr_section sr_sec_failure = {
    "failures", "failure", 0,
    "One outage of a device or link (entries of `failures`, in time order, without overlap): it is down during "
    "[at, at + for). Work running on it then fails (see the user guide, Traces and failures).",
    FIELDS(failure_fields)};

static const sr_field speed_change_fields[] = {
    {"at", SR_F_QTY, SR_UNIT_TIME, RQ | HAS_MIN, .doc = "when the speed changes", OFF(sr_speed_change, at_s)},
    {"factor", SR_F_FLOAT, SR_UNIT_NONE, RQ | GT0,
     .doc = "the speed from then on, as a fraction of the declared speed (0.5: twice slower)",
     OFF(sr_speed_change, factor)},
};
const sr_section sr_sec_speed_change = {
    "speed_changes", "speed change", 0,
    "A scheduled change of a device's speed (entries of `speed_changes`, in strictly increasing order of `at`): "
    "every instance runs at factor x its declared speed from `at` on, work in progress included (a SimGrid host "
    "speed profile). Plans are still priced at the declared speed; policies hear of each change "
    "(SR_EVENT_DEVICE_SPEED) and `parallel` with adaptive shares re-sizes them.",
    FIELDS(speed_change_fields)};

#define FAILURE_FIELDS(type)                                                                                     \
    {"failures", SR_F_SEQ, .def_doc = "none",                                                                   \
     .doc = "explicit outages `[{at: 10s, for: 2s}, ...]` of every instance (see failures)",                     \
     .sub = &sr_sec_failure},                                                                                    \
        {"mtbf", SR_F_QTY, SR_UNIT_TIME, GT0, .def_doc = "none",                                                 \
         .doc = "mean time between failures: each instance also fails at exponential intervals drawn from the "  \
                "run seed (needs mttr)",                                                                         \
         OFF(type, failures.mtbf_s)},                                                                            \
        {"mttr", SR_F_QTY, SR_UNIT_TIME, GT0, .def_doc = "none",                                                 \
         .doc = "mean time to repair of the drawn failures (exponential; needs mtbf)", OFF(type, failures.mttr_s)}

static const sr_field device_fields[] = {
    {"name", SR_F_NAME, .flags = RQ,
     .doc = "group name; with count N the instances are name0..name{N-1}, with count 1 just name",
     OFF(sr_device_spec, name)},
    {"count", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .min = 1, .def = "1", .doc = "number of instances",
     OFF(sr_device_spec, count)},
    {"range", SR_F_STR, .def_doc = "none",
     .doc = "instance numbers FIRST-LAST instead of count: `range: 10-19` gives name10..name19",
     OFF(sr_device_spec, range)},
    {"class", SR_F_ENUM, ENUM_OF(device_classes), .def_doc = "the profile's",
     .doc = "device class (required without a profile)", OFF(sr_device_spec, cls)},
    {"profile", SR_F_STR, .def_doc = "none",
     .doc = "device profile giving the defaults below: a name (simrun list profiles; host), or a file written by "
            "simrun calibrate --out (a path ending in .yaml, relative to the experiment file)",
     OFF(sr_device_spec, profile)},
    {"speed", SR_F_QTY, SR_UNIT_FLOPS, GT0, .def_doc = "the profile's",
     .doc = "peak flop/s of one core (required without a profile)", OFF(sr_device_spec, speed_flops)},
    {"cores", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .min = 1, .def_doc = "the profile's, else 1",
     .doc = "cores (or accelerators) working in parallel", OFF(sr_device_spec, cores)},
    {"efficiency", SR_F_FLOAT, SR_UNIT_NONE, GT0 | SR_FF_HAS_MAX, .min = 0, .max = 1,
     .def_doc = "the profile's, else 1", .doc = "fraction of peak reached on DNN layers",
     OFF(sr_device_spec, efficiency)},
    {"cpu", SR_F_QTY, SR_UNIT_CPU, SR_FF_UNIT_OPTIONAL | SR_FF_HAS_MIN | SR_FF_MIN_EXCL, .min = 0,
     .def_doc = "all its cores",
     .doc = "CPU quota of the container running the device's tasks, as Kubernetes allocates it (500m = half a "
            "core, at most `cores`): every compute task's time (each layer class, codecs, flop work) is "
            "multiplied by cores / cpu",
     OFF(sr_device_spec, cpu_cores)},
    {"container_overhead", SR_F_QTY, SR_UNIT_TIME, HAS_MIN, .def = "0s",
     .doc = "fixed time added to every compute task (or batch) on the device: the container runtime's per-task "
            "cost",
     OFF(sr_device_spec, container_overhead_s)},
    {"mem_bw", SR_F_QTY, SR_UNIT_RATE, HAS_MIN | SR_FF_BYTES, .def_doc = "the profile's, else 0",
     .doc = "memory bandwidth (e.g. 25.6GBps); 0 = not modelled", OFF(sr_device_spec, mem_bw_Bps)},
    {"power_idle", SR_F_QTY, SR_UNIT_POWER, HAS_MIN, .def_doc = "the profile's, else 0",
     .doc = "power when idle", OFF(sr_device_spec, power_idle_w)},
    {"power_busy", SR_F_QTY, SR_UNIT_POWER, HAS_MIN, .def_doc = "the profile's, else 0",
     .doc = "power with all cores busy", OFF(sr_device_spec, power_busy_w)},
    {"max_queue", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .def = "0",
     .doc = "tasks allowed to wait for this device beyond those its executors run (a frame arriving at a full "
            "queue is dropped); 0 = unbounded",
     OFF(sr_device_spec, max_queue)},
    {"executors", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .min = 1, .def = "1",
     .doc = "independent executors (GPU streams, FPGA engines): each runs at speed x cores / executors, tasks "
            "wait in FIFO order for a free one",
     OFF(sr_device_spec, executors)},
    {"concurrency", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .min = 1, .def = "1",
     .doc = "tasks one executor runs at once; above 1 they co-run and share the device's cores as SimGrid shares "
            "a multicore host",
     OFF(sr_device_spec, concurrency)},
    {"interference", SR_F_FLOAT, SR_UNIT_NONE, HAS_MIN, .min = 1, .def = "1",
     .def_doc = "the profile's measured factor (fit section corun), else 1",
     .doc = "co-running slowdown: a compute task that starts while a task of another co-run class (set by the "
            "policy, e.g. inference and diagnosis) runs on the same executor does this many times its work, on top "
            "of sharing the executor; executors never slow each other (In-situ AI's GPU: up to 3x in all; profiles "
            "carry a CPU measurement, `simrun calibrate --corun-only`)",
     OFF(sr_device_spec, interference)},
    {"idle_slowdown", SR_F_BOOL, .def = "true",
     .doc = "compute after idle: a compute task that starts on an executor idle for g seconds takes factor(g) x its "
            "time, the curve its profile measured (fit section idle: `simrun calibrate`, MobileNetV2 forwards after "
            "sleeping 3 ms to 1 s against back-to-back ones; docs/calibration.md); profiles without that section, "
            "such as every shipped one, have none; false: never",
     OFF(sr_device_spec, idle_slowdown)},
    {"compute_jitter", SR_F_BOOL, .def = "true",
     .doc = "compute times spread as measured: each compute task takes its price x exp(sigma z), z standard normal "
            "from a stream of the device's own (same seed, same draws), sigma the profile's (fit section idle: the "
            "spread of the calibration's MobileNetV2 forwards); the median stays the price; profiles without it, "
            "such as every shipped one, have none; false: every task takes its price",
     OFF(sr_device_spec, compute_jitter)},
    {"max_in_flight", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .def = "1",
     .doc = "transfers at once from this device to one destination (a connection, FIFO; 1 = one TCP connection); "
            "0 = no connection: every transfer is its own flow at once",
     OFF(sr_device_spec, max_in_flight)},
    {"send_buffer", SR_F_QTY, SR_UNIT_SIZE, HAS_MIN, .def = "4MiB",
     .doc = "bytes a connection holds (waiting or in flight) before a frame that does not fit is dropped (Linux's "
            "default tcp_wmem maximum is 4 MiB); 0 = no limit",
     OFF(sr_device_spec, send_buffer_bytes)},
    {"wifi_level", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .def = "0",
     .doc = "index into the `rates` of the wifi link the device is attached to",
     OFF(sr_device_spec, wifi_level)},
    FAILURE_FIELDS(sr_device_spec),
    {"speed_changes", SR_F_SEQ, .def_doc = "none",
     .doc = "scheduled speed changes `[{at: 10s, factor: 0.5}, ...]` of every instance (see speed_changes)",
     .sub = &sr_sec_speed_change},
    {"runtime", SR_F_ENUM, ENUM_OF(runtimes), .def = "native",
     .doc = "how models run on it: native, or in a Rune WebAssembly container whose boundary messages are "
            "bincode-like (rune-rust) or protobuf (rune-protobuf); every inference's time is multiplied by 1 + "
            "the profile's measured rune overhead (docs/papers/rune.md)",
     OFF(sr_device_spec, runtime)},
    {"capabilities", SR_F_SEQ, .def_doc = "none",
     .doc = "sensors and outputs the device has (names, e.g. [accel, serial]); a rune model's `requires` must "
            "be among them (deployment refused otherwise)"},
};
const sr_section sr_sec_device = {"platform.devices", "device", 1, "Device groups.", FIELDS(device_fields)};

static const sr_field link_fields[] = {
    {"name", SR_F_NAME, .flags = RQ,
     .doc = "link name; with per_device the instances are name0..name{N-1} (always numbered)",
     OFF(sr_link_spec, name)},
    {"type", SR_F_ENUM, .flags = RQ, ENUM_OF(link_types), .doc = "link class giving the defaults",
     OFF(sr_link_spec, type)},
    {"bandwidth", SR_F_QTY, SR_UNIT_RATE, GT0, .def_doc = "the class's", .doc = "capacity",
     OFF(sr_link_spec, bw_bps)},
    {"latency", SR_F_QTY, SR_UNIT_TIME, HAS_MIN, .def_doc = "the class's",
     .doc = "one-way latency (must be 0 with sharing wifi)", OFF(sr_link_spec, latency_s)},
    {"sharing", SR_F_ENUM, ENUM_OF(sharings), .def_doc = "the class's",
     .doc = "shared (max-min fair), fatpipe (no contention) or wifi (802.11 cell)",
     OFF(sr_link_spec, sharing)},
    {"rates", SR_F_SEQ, .def_doc = "[bandwidth]",
     .doc = "wifi only: up to 8 rate levels (bandwidth = the first); devices pick one with wifi_level"},
    {"per_device", SR_F_STR, .def_doc = "-", .doc = "device group: one link per instance of the group",
     OFF(sr_link_spec, per_device)},
    {"power_idle", SR_F_QTY, SR_UNIT_POWER, HAS_MIN, .def = "0W",
     .doc = "link power when idle (0 = not modelled)", OFF(sr_link_spec, power_idle_w)},
    {"power_busy", SR_F_QTY, SR_UNIT_POWER, HAS_MIN, .def = "0W", .doc = "link power when transmitting",
     OFF(sr_link_spec, power_busy_w)},
    {"max_flows", SR_F_INT, SR_UNIT_NONE, HAS_MIN, .def = "0",
     .doc = "transfers crossing this link at once (an admission limit: more wait FIFO at its entrance, so the "
            "link's throughput is kept but its flows are served in order instead of shared); bounds the flow "
            "solver's work on an overloaded shared link; 0 = no limit",
     OFF(sr_link_spec, max_flows)},
    {"bandwidth_trace", SR_F_STR, .def_doc = "none",
     .doc = "file giving the bandwidth over time (in trace_format), relative to the experiment file; read and "
            "checked when the experiment is loaded; before its first time the link has `bandwidth`",
     OFF(sr_link_spec, bandwidth_trace)},
    {"latency_trace", SR_F_STR, .def_doc = "none",
     .doc = "CSV file `time, latency_s` giving the one-way latency over time, relative to the experiment file",
     OFF(sr_link_spec, latency_trace)},
    {"trace_format", SR_F_ENUM, ENUM_OF(trace_formats), .def = "csv",
     .doc = "format of bandwidth_trace: csv (`time_s, bit/s` rows) or mahimahi (one ms timestamp per 1500-byte "
            "delivery opportunity, looping)",
     OFF(sr_link_spec, trace_format)},
    {"trace_bin", SR_F_QTY, SR_UNIT_TIME, GT0, .def = "100ms",
     .doc = "mahimahi only: width of the bins the delivery opportunities are averaged over (whole milliseconds)",
     OFF(sr_link_spec, trace_bin_s)},
    FAILURE_FIELDS(sr_link_spec),
};
const sr_section sr_sec_link = {"platform.links", "link", 1, "Links; defaults come from the link class.",
                                FIELDS(link_fields)};

static const sr_field route_fields[] = {
    {"src", SR_F_STR, .flags = RQ, .doc = "device group or single device", OFF(sr_route_spec, src)},
    {"dst", SR_F_STR, .flags = RQ, .doc = "device group or single device", OFF(sr_route_spec, dst)},
    {"links", SR_F_SEQ, .flags = RQ,
     .doc = "link names in order; a per_device link resolves to the instance of the src (or dst) member; between "
            "members of its own group, to the sender's the first time it is listed and the receiver's the second"},
    {"symmetric", SR_F_BOOL, .def = "true", .doc = "the reverse direction uses the same links reversed",
     OFF(sr_route_spec, symmetric)},
};
const sr_section sr_sec_route = {"platform.routes", "route", 0,
                                 "Routes between every member of src and every member of dst.",
                                 FIELDS(route_fields)};

static const sr_field platform_fields[] = {
    {"devices", SR_F_SEQ, .flags = RQ, .doc = "device groups (at least one)", .sub = &sr_sec_device},
    {"links", SR_F_SEQ, .def_doc = "none", .doc = "links", .sub = &sr_sec_link},
    {"routes", SR_F_SEQ, .def_doc = "none", .doc = "routes", .sub = &sr_sec_route},
    {"simgrid", SR_F_STR, .flags = SR_FF_PATH, .def_doc = "-",
     .doc = "a SimGrid XML platform file (relative to the experiment) read by SimGrid: its hosts, links and routes "
            "become devices, links and routes as `simrun platform --from-simgrid` writes them; given alone"},
};
const sr_section sr_sec_platform = {"platform", "platform", 0, "Devices, links and routes.",
                                    FIELDS(platform_fields)};

/* ---- top level ---- */
static const sr_field output_fields[] = {
    {"db", SR_F_STR, .def_doc = "results/<name>.db", .doc = "SQLite database of the results",
     OFF(sr_experiment, output_db)},
    {"figures", SR_F_STR, .def_doc = "results/<name>", .doc = "directory for figures",
     OFF(sr_experiment, output_figures)},
};
const sr_section sr_sec_output = {"output", "output", 0, "Where results go.", FIELDS(output_fields)};

static const sr_field top_fields[] = {
    {"name", SR_F_NAME, .def_doc = "the file name without .yaml", .doc = "experiment name",
     OFF(sr_experiment, name)},
    {"seed", SR_F_U64, .def = "1", .doc = "base seed; each replication derives its own",
     OFF(sr_experiment, seed)},
    {"duration", SR_F_QTY, SR_UNIT_TIME, GT0, .def = "10s",
     .doc = "frames are captured during [0, duration); the run ends when all are done",
     OFF(sr_experiment, duration_s)},
    {"output", SR_F_MAP, .def_doc = "see output", .doc = "result paths", .sub = &sr_sec_output},
    {"mode", SR_F_ENUM, ENUM_OF(run_modes), .def = "model",
     .doc = "model: tasks priced by the cost model and codec tables; exact: the kernels and codecs also run for "
            "every frame (real coded sizes, output checks; at most 2000 frames per run point)",
     OFF(sr_experiment, mode)},
    {"network_model", SR_F_ENUM, ENUM_OF(net_models), .def = "cm02",
     .doc = "cm02: latency + size/bandwidth (no TCP window, no cross-traffic); lv08: SimGrid's default",
     OFF(sr_experiment, net_model)},
    {"flow_aggregation", SR_F_ENUM, ENUM_OF(flow_aggs), .def = "auto",
     .doc = "auto: the flows of a shared link whose routes' other shared links are their own (e.g. "
            "devices with their own uplinks behind one WAN) are solved by simrun's exact max-min for that "
            "structure, O(routes) per event instead of SimGrid's O(flows); same results (user guide, \"Flow "
            "aggregation\"); off: every flow in SimGrid",
     OFF(sr_experiment, flow_aggregation)},
    {"platform", SR_F_MAP, .flags = RQ, .doc = "devices, links, routes", .sub = &sr_sec_platform},
    {"models", SR_F_SEQ, .flags = RQ, .doc = "DNN models (at least one)", .sub = &sr_sec_model},
    {"workload", SR_F_MAP, .flags = RQ, .doc = "frame sources", .sub = &sr_sec_workload},
    {"policy", SR_F_MAPSEQ, .flags = RQ, .doc = "one policy or a list", .sub = &sr_sec_policy},
    {"sweep", SR_F_MAP, .def_doc = "one point", .doc = "parameter sweep", .sub = &sr_sec_sweep},
    {"metrics", SR_F_MAP, .def_doc = "see metrics", .doc = "what is recorded", .sub = &sr_sec_metrics},
};
const sr_section sr_sec_top = {"", "the experiment", 0, "Top-level keys.", FIELDS(top_fields)};

/* ---- generic parser ---- */

void sr_join_names(const char *const *names, int n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* Edit distance, for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

const char *sr_closest_name(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int bd = 3;
    for (int i = 0; i < n; i++) {
        int dd = edit_distance(word, cands[i]);
        if (dd < bd) bd = dd, best = cands[i];
    }
    return best;
}

static const char *example_of(sr_unit_kind k)
{
    switch (k) {
    case SR_UNIT_NONE:
        return "42";
    case SR_UNIT_TIME:
        return "10ms";
    case SR_UNIT_RATE:
        return "10Mbps";
    case SR_UNIT_SIZE:
        return "60KiB";
    case SR_UNIT_FREQ:
        return "15Hz";
    case SR_UNIT_POWER:
        return "2.5W";
    case SR_UNIT_ENERGY:
        return "1J";
    case SR_UNIT_FLOPS:
        return "10Gf";
    case SR_UNIT_CPU:
        return "500m";
    case SR_UNIT_COUNT:
        break;
    }
    return "?";
}

#define ERR(n, ...) (sr_diag_error(ctx->diag, (n)->line, (n)->col, __VA_ARGS__), 1)

static int check_range(const sr_parse_ctx *ctx, const sr_field *f, const sr_ynode *v, double x)
{
    int lo_bad = (f->flags & SR_FF_HAS_MIN) && ((f->flags & SR_FF_MIN_EXCL) ? !(x > f->min) : !(x >= f->min));
    int hi_bad = (f->flags & SR_FF_HAS_MAX) && !(x <= f->max);
    if (!lo_bad && !hi_bad) return 0;
    if ((f->flags & SR_FF_HAS_MIN) && (f->flags & SR_FF_HAS_MAX))
        return ERR(v, "'%s' must be %s %g and <= %g (got '%s')", f->key,
                   (f->flags & SR_FF_MIN_EXCL) ? ">" : ">=", f->min, f->max, v->text);
    if (lo_bad)
        return ERR(v, "'%s' must be %s %g (got '%s')", f->key,
                   (f->flags & SR_FF_MIN_EXCL) ? ">" : ">=", f->min, v->text);
    return ERR(v, "'%s' must be <= %g (got '%s')", f->key, f->max, v->text);
}

/* Strict decimal integer. */
static int parse_long(const char *s, long long *out)
{
    if (!*s) return -1;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return -1;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q)) return -1;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno) return -1;
    *out = v;
    return 0;
}

/* "AxB" or "AxBxC" with positive integers into v[n]. */
static int parse_dims(const char *s, int *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)*s)) return -1;
        long long x = 0;
        while (isdigit((unsigned char)*s)) {
            x = x * 10 + (*s - '0');
            if (x > 1000000) return -1;
            s++;
        }
        if (x <= 0) return -1;
        v[i] = (int)x;
        if (i < n - 1) {
            if (*s != 'x' && *s != 'X') return -1;
            s++;
        }
    }
    return *s ? -1 : 0;
}

static int valid_name(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') return 0;
    return 1;
}

static int parse_value(const sr_parse_ctx *ctx, const sr_field *f, const sr_ynode *v, void *out)
{
    char *dst = out ? (char *)out + f->offset : NULL;
    switch (f->type) {
    case SR_F_MAP:
        if (v->type != SR_YN_MAP)
            return ERR(v, "'%s' must be a mapping, not %s", f->key, sr_ynode_type_name(v));
        return 0;
    case SR_F_SEQ:
        if (v->type != SR_YN_SEQ) return ERR(v, "'%s' must be a list, not %s", f->key, sr_ynode_type_name(v));
        return 0;
    case SR_F_MAPSEQ:
        if (v->type == SR_YN_SCALAR)
            return ERR(v, "'%s' must be a mapping or a list of mappings, not %s", f->key,
                       sr_ynode_type_name(v));
        return 0;
    case SR_F_STR:
    case SR_F_NAME:
    case SR_F_INT:
    case SR_F_U64:
    case SR_F_FLOAT:
    case SR_F_BOOL:
    case SR_F_ENUM:
    case SR_F_QTY:
    case SR_F_DIMS3:
    case SR_F_RES:
        break;
    }
    if (v->type != SR_YN_SCALAR)
        return ERR(v, "'%s' must be a single value, not %s", f->key, sr_ynode_type_name(v));
    if (v->is_null) return ERR(v, "'%s' has no value", f->key);
    const char *t = v->text;
    switch (f->type) {
    case SR_F_NAME:
        if (strlen(t) > SR_NAME_MAX_CHARS)
            return ERR(v, "a name of %zu characters ('%.32s...'); names have at most %d (they become file names, "
                          "table rows and figure labels)",
                       strlen(t), t, SR_NAME_MAX_CHARS);
        if (!valid_name(t)) return ERR(v, "'%s' is not a valid name (use letters, digits, '_' and '-')", t);
        /* fall through */
    case SR_F_STR: {
        char *s = strdup(t);
        if (!s) return ERR(v, "out of memory");
        char **p = (char **)(void *)dst;
        free(*p);
        *p = s;
        return 0;
    }
    case SR_F_INT: {
        long long x;
        if (parse_long(t, &x) != 0 || x > INT32_MAX || x < INT32_MIN)
            return ERR(v, "'%s' must be an integer (got '%s')", f->key, t);
        if (check_range(ctx, f, v, (double)x)) return 1;
        int xi = (int)x;
        memcpy(dst, &xi, sizeof xi);
        return 0;
    }
    case SR_F_U64: {
        for (const char *q = t; *q; q++)
            if (!isdigit((unsigned char)*q))
                return ERR(v, "'%s' must be a non-negative integer (got '%s')", f->key, t);
        errno = 0;
        unsigned long long x = strtoull(t, NULL, 10);
        if (errno) return ERR(v, "'%s' is too large (got '%s')", f->key, t);
        uint64_t u = x;
        memcpy(dst, &u, sizeof u);
        return 0;
    }
    case SR_F_BOOL: {
        int b;
        if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE"))
            b = 1;
        else if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "FALSE"))
            b = 0;
        else
            return ERR(v, "'%s' must be true or false (got '%s')", f->key, t);
        memcpy(dst, &b, sizeof b);
        return 0;
    }
    case SR_F_ENUM: {
        for (int i = 0; i < f->n_names; i++)
            if (strcmp(t, f->names[i]) == 0) {
                memcpy(dst, &i, sizeof i);
                return 0;
            }
        char list[512];
        sr_join_names(f->names, f->n_names, list, sizeof list);
        const char *near = sr_closest_name(t, f->names, f->n_names);
        if (near) return ERR(v, "unknown %s '%s' (did you mean '%s'? valid: %s)", f->key, t, near, list);
        return ERR(v, "unknown %s '%s' (valid: %s)", f->key, t, list);
    }
    case SR_F_FLOAT:
    case SR_F_QTY: {
        sr_unit_kind k = f->type == SR_F_FLOAT ? SR_UNIT_NONE : f->unit;
        double x = 0;
        switch (sr_quantity_parse_ex(t, k, (f->flags & SR_FF_UNIT_OPTIONAL) != 0, &x)) {
        case SR_QTY_OK:
            break;
        case SR_QTY_BAD_NUMBER:
            if (k == SR_UNIT_NONE) return ERR(v, "'%s' must be a number (got '%s')", f->key, t);
            return ERR(v, "'%s' must be a %s like %s (got '%s')", f->key, sr_unit_kind_name(k), example_of(k),
                       t);
        case SR_QTY_NO_UNIT:
            return ERR(v, "'%s' needs a unit, like %s (%s units: %s)", f->key, example_of(k),
                       sr_unit_kind_name(k), sr_unit_list(k));
        case SR_QTY_BAD_UNIT:
            if (k == SR_UNIT_NONE) return ERR(v, "'%s' must be a plain number (got '%s')", f->key, t);
            return ERR(v, "unknown %s unit in '%s' (valid: %s)", sr_unit_kind_name(k), t, sr_unit_list(k));
        }
        if (check_range(ctx, f, v, x)) return 1;
        if (f->flags & SR_FF_BYTES) x /= 8.0;
        memcpy(dst, &x, sizeof x);
        return 0;
    }
    case SR_F_DIMS3: {
        int d[3];
        if (parse_dims(t, d, 3) != 0)
            return ERR(v, "'%s' must be CxHxW with positive integers, like 3x224x224 (got '%s')", f->key, t);
        memcpy(dst, d, sizeof d);
        return 0;
    }
    case SR_F_RES: {
        int d[2];
        if (parse_dims(t, d, 2) != 0)
            return ERR(v, "'%s' must be WIDTHxHEIGHT with positive integers, like 1280x720 (got '%s')",
                       f->key, t);
        memcpy(dst, d, sizeof d);
        return 0;
    }
    case SR_F_MAP:
    case SR_F_SEQ:
    case SR_F_MAPSEQ:
        break;
    }
    return 0;
}

static const sr_ynode *find_override(const sr_parse_ctx *ctx, const sr_section *sec, const char *elem,
                                     const char *key)
{
    for (int i = 0; i < ctx->n_ov; i++) {
        const sr_override *o = &ctx->ov[i];
        if (o->sec != sec || strcmp(o->key, key) != 0) continue;
        if ((o->elem == NULL) != (elem == NULL)) continue;
        if (elem && strcmp(o->elem, elem) != 0) continue;
        return o->value;
    }
    return NULL;
}

int sr_section_parse(const sr_parse_ctx *ctx, const sr_section *sec, const sr_ynode *map, const char *elem,
                     void *out, const sr_ynode **given)
{
    return sr_section_parse_ex(ctx, sec, map, elem, out, given, NULL, 1);
}

int sr_section_parse_ex(const sr_parse_ctx *ctx, const sr_section *sec, const sr_ynode *map, const char *elem,
                        void *out, const sr_ynode **given, const sr_section *also, int report_unknown)
{
    assert(map && map->type == SR_YN_MAP);
    int errs = 0;
    for (int i = 0; i < map->n && report_unknown; i++) {
        const sr_ynode *k = map->keys[i];
        if (sr_field_index(sec, k->text) >= 0 || (also && sr_field_index(also, k->text) >= 0)) continue;
        const char *cands[64];
        int nc = 0;
        for (int j = 0; j < sec->n_fields && nc < 32; j++)
            cands[nc++] = sec->fields[j].key;
        for (int j = 0; also && j < also->n_fields && nc < 64; j++)
            cands[nc++] = also->fields[j].key;
        char list[512];
        sr_join_names(cands, nc, list, sizeof list);
        const char *near = sr_closest_name(k->text, cands, nc);
        const char *where = sec->path[0] ? sec->path : "the top level";
        if (near)
            errs += ERR(k, "unknown key '%s' in %s (did you mean '%s'?)", k->text, where, near);
        else
            errs += ERR(k, "unknown key '%s' in %s (valid keys: %s)", k->text, where, list);
    }
    for (int i = 0; i < sec->n_fields; i++) {
        const sr_field *f = &sec->fields[i];
        const sr_ynode *v = find_override(ctx, sec, elem, f->key);
        if (!v) v = sr_ynode_get(map, f->key);
        given[i] = v;
        if (v) {
            errs += parse_value(ctx, f, v, out);
            continue;
        }
        if (f->flags & SR_FF_REQUIRED) {
            if (elem)
                errs += ERR(map, "missing required key '%s' in %s '%s'", f->key, sec->what, elem);
            else
                errs += ERR(map, "missing required key '%s' in %s", f->key, sec->what);
        } else if (f->def) {
            sr_ynode d = {.type = SR_YN_SCALAR, .text = (char *)f->def};
            int e = parse_value(ctx, f, &d, out);
            assert(e == 0 && "table default must parse");
            (void)e;
        }
    }
    return errs;
}

/* ---- reference ---- */

static void type_text(const sr_field *f, char *buf, size_t size)
{
    switch (f->type) {
    case SR_F_STR:
        snprintf(buf, size, "string");
        return;
    case SR_F_NAME:
        snprintf(buf, size, "name");
        return;
    case SR_F_INT:
        snprintf(buf, size, "integer");
        return;
    case SR_F_U64:
        snprintf(buf, size, "integer (64-bit, >= 0)");
        return;
    case SR_F_FLOAT:
        snprintf(buf, size, "number");
        return;
    case SR_F_BOOL:
        snprintf(buf, size, "true/false");
        return;
    case SR_F_ENUM: {
        char list[512];
        sr_join_names(f->names, f->n_names, list, sizeof list);
        snprintf(buf, size, "one of: %s", list);
        return;
    }
    case SR_F_QTY:
        if (f->flags & SR_FF_UNIT_OPTIONAL)
            snprintf(buf, size, "%s (bare number = %s)", sr_unit_kind_name(f->unit), sr_unit_base(f->unit));
        else if (f->flags & SR_FF_BYTES)
            snprintf(buf, size, "%s (stored in bytes/s)", sr_unit_kind_name(f->unit));
        else
            snprintf(buf, size, "%s", sr_unit_kind_name(f->unit));
        return;
    case SR_F_DIMS3:
        snprintf(buf, size, "CxHxW");
        return;
    case SR_F_RES:
        snprintf(buf, size, "WIDTHxHEIGHT");
        return;
    case SR_F_MAP:
        snprintf(buf, size, "mapping");
        return;
    case SR_F_SEQ:
        snprintf(buf, size, "list");
        return;
    case SR_F_MAPSEQ:
        snprintf(buf, size, "mapping or list");
        return;
    }
    buf[0] = '\0';
}

static void range_text(const sr_field *f, char *buf, size_t size)
{
    buf[0] = '\0';
    if ((f->flags & SR_FF_HAS_MIN) && (f->flags & SR_FF_HAS_MAX))
        snprintf(buf, size, "%s %g, <= %g", (f->flags & SR_FF_MIN_EXCL) ? ">" : ">=", f->min, f->max);
    else if (f->flags & SR_FF_HAS_MIN)
        snprintf(buf, size, "%s %g", (f->flags & SR_FF_MIN_EXCL) ? ">" : ">=", f->min);
    else if (f->flags & SR_FF_HAS_MAX)
        snprintf(buf, size, "<= %g", f->max);
}

static void write_section(FILE *f, const sr_section *s)
{
    fprintf(f, "## `%s`%s\n\n%s\n\n", s->path[0] ? s->path : "(top level)",
            s->named ? " (list of mappings)" : "", s->doc);
    fprintf(f, "| key | type | default | range | description |\n|---|---|---|---|---|\n");
    for (int i = 0; i < s->n_fields; i++) {
        const sr_field *fl = &s->fields[i];
        char type[600], range[64];
        type_text(fl, type, sizeof type);
        range_text(fl, range, sizeof range);
        const char *def = (fl->flags & SR_FF_REQUIRED) ? "**required**" : fl->def ? fl->def : fl->def_doc;
        fprintf(f, "| `%s` | %s | %s | %s | %s%s |\n", fl->key, type, def ? def : "", range, fl->doc,
                fl->type == SR_F_NAME ? " (not sweepable)" : "");
    }
    fputc('\n', f);
}

void sr_config_write_reference(FILE *f)
{
    fputs(
        "# Experiment file reference\n\n"
        "Generated by `sr_config_write_reference()` from the section tables in "
        "`sim/config/sr_config_tables.c`.\n"
        "Do not edit by hand: `tests/config` fails when this file differs from what the code generates "
        "(the failing test\nwrites the current text to `<build>/yaml-reference.md`; copy it here).\n\n"
        "An experiment is one YAML document. Unknown keys are errors; every problem is reported as\n"
        "`FILE:LINE:COL: error: MESSAGE` with the source line and a caret, all of them at once.\n\n"
        "Names (devices, links, models, sources, policies) use letters, digits, `_` and `-`, and are unique "
        "within their list.\n\n",
        f);
    fputs(
        "## Units\n\nQuantities are a number followed by a unit (`5.85Mbps`, `10ms`, `60KiB`). A bare number "
        "is accepted only\nwhere the type says so. Units are case-sensitive (`b` = bit, `B` = byte).\n\n"
        "| kind | units | stored as |\n|---|---|---|\n",
        f);
    for (int k = SR_UNIT_TIME; k < SR_UNIT_COUNT; k++)
        fprintf(f, "| %s | %s | %s |\n", sr_unit_kind_name((sr_unit_kind)k), sr_unit_list((sr_unit_kind)k),
                sr_unit_base((sr_unit_kind)k));
    fputc('\n', f);
    const sr_section *order[] = {&sr_sec_top,    &sr_sec_output,  &sr_sec_platform, &sr_sec_device,
                                 &sr_sec_link,   &sr_sec_failure, &sr_sec_speed_change, &sr_sec_route, &sr_sec_model,
                                 &sr_sec_workload, &sr_sec_source, &sr_sec_policy,  &sr_sec_sweep,
                                 &sr_sec_metrics};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        write_section(f, order[i]);
        if (order[i] != &sr_sec_policy) continue;
        for (int k = 0; k < sr_policy_count(); k++) {
            const sr_policy_ops *ops = sr_policy_at(k);
            if (ops->params)
                write_section(f, ops->params);
            else
                fprintf(f, "## `policy (type %s)`\n\n%s. No keys besides `type` and `name`.\n\n", ops->name,
                        ops->doc);
        }
    }
    fputs(
        "## Cross-checks\n\n"
        "- Device groups: `count: N` gives instances `name0`..`name{N-1}`; `count: 1` a device called "
        "`name`. "
        "Instance\n  names must not clash with other devices. Without `profile`, `class` and `speed` are "
        "required.\n"
        "- Links: `per_device: G` gives one link per instance of group G, named `<name><i>` (always "
        "numbered, also when G\n  has one member). `sharing: wifi` needs latency 0 and allows `rates`.\n"
        "- Routes: `src`/`dst` are groups or single devices, `links` must exist; a per-device link in a "
        "route "
        "must belong to\n  the src or dst group. Every source's devices need a route to every policy's "
        "`target` (symmetric routes\n  count in both directions).\n"
        "- Models: `source` is a zoo name or a `.onnx`/`.cfg` path relative to the experiment file (must "
        "exist).\n"
        "- Policies: each policy checks its own keys (policies/<type>.c): a `target` must be a device group that "
        "every\n  source instance has a route to; split's `split_at` must be a layer of every source's model where "
        "the cut is\n  clean; its `codec` must parse for that layer's activation shape and excludes "
        "`activation_precision`; in model\n  mode `codec_table` is required, must exist and must hold a row for "
        "every (model, split_at, codec) with the\n  model's element count.\n"
        "- `mode: exact` refuses run points with more than 2000 expected frames ((duration - start) x fps x "
        "instances,\n  summed over the sources).\n\n",
        f);
    fputs(
        "## Sweep paths\n\n"
        "An axis of `sweep.grid` is a path to one single-valued key, followed by the list of values it "
        "takes:\n\n"
        "| path | addresses |\n|---|---|\n"
        "| `duration`, `seed`, `network_model` | a top-level key |\n"
        "| `output.<key>`, `metrics.<key>` | a key of that section |\n"
        "| `platform.devices.<name>.<key>` | a device group |\n"
        "| `platform.links.<name>.<key>` | a link |\n"
        "| `models.<name>.<key>` | a model |\n"
        "| `workload.sources.<name>.<key>` | a source |\n"
        "| `policy.<name>.<key>` | one policy (other policies are not multiplied by this axis) |\n\n"
        "Each value is checked exactly like a value written in place (units, ranges, references), and "
        "errors point at the\nvalue inside the sweep list. Names and lists cannot be swept; routes cannot be "
        "swept.\n\n"
        "Run points are ordered grid combinations (last axis fastest) x policies x replications. Each "
        "point has\n`params_json` = `{\"<axis>\": \"<value as written>\", ..., \"policy\": \"<name>\", "
        "\"replication\": r}`, a 16-hex-digit hash of\nit (FNV-1a 64), and a seed derived (splitmix64) from "
        "the experiment seed and the replication only, so every\npolicy and grid value of one replication "
        "sees the same random draws.\n",
        f);
}
