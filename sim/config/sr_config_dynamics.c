/* sr_config_dynamics.c: the keys that make devices and links change over time: `failures` (explicit outages),
 * `mtbf` / `mttr` (drawn outages), and on links `bandwidth_trace`, `latency_trace`, `trace_format`,
 * `trace_bin`. Trace files are read and checked here, when the experiment is loaded, so `simrun validate`
 * rejects a bad trace with the trace's own file:line:col next to the YAML key that names it; the loaded
 * traces travel in the experiment (sr_link_spec.bw_trace / lat_trace) to the engine (sr_profiles.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "failures.h"
#include "sr_config_internal.h"
#include "sr_file.h"
#include "sr_trace.h"

/* Drawn outages are capped by the engine (sr_profiles.c); reject schedules that would come near the cap. */
#define MAX_EXPECTED_FAILURES 100000.0

#define DERR(n, ...) sr_diag_error(ctx->diag, (n)->line, (n)->col, __VA_ARGS__)

static const sr_ynode *given_of(const sr_section *sec, const sr_ynode *const *given, const char *key)
{
    int i = sr_field_index(sec, key);
    return i < 0 ? NULL : given[i];
}

static void parse_failures(const sr_parse_ctx *ctx, const sr_section *sec, sr_failure_spec *f,
                           const sr_ynode *const *given, double duration_s)
{
    const sr_ynode *gfail = given_of(sec, given, "failures");
    const sr_ynode *gmtbf = given_of(sec, given, "mtbf");
    const sr_ynode *gmttr = given_of(sec, given, "mttr");
    if (gfail && gfail->type == SR_YN_SEQ && gfail->n > 0) {
        f->list = calloc((size_t)gfail->n, sizeof *f->list);
        if (!f->list) {
            DERR(gfail, "out of memory");
            return;
        }
        int k = 0, bad_entries = 0;
        const sr_ynode *nodes[64];
        for (int i = 0; i < gfail->n; i++) {
            const sr_ynode *it = gfail->vals[i];
            if (it->type != SR_YN_MAP) {
                DERR(it, "each entry of failures must be a mapping {at: TIME, for: DURATION}, not %s",
                     sr_ynode_type_name(it));
                bad_entries++;
                continue;
            }
            const sr_ynode *g2[2];
            sr_parse_ctx plain = {ctx->diag, NULL, 0};
            if (sr_section_parse(&plain, &sr_sec_failure, it, NULL, &f->list[k], g2) != 0) {
                bad_entries++;
                continue;
            }
            if (k < 64) nodes[k] = it;
            k++;
        }
        f->n = k;
        int bad = -1;
        char msg[256];
        if (!bad_entries && sr_failures_check(f->list, k, &bad, msg, sizeof msg) != SR_OK)
            DERR(bad >= 0 && bad < 64 ? nodes[bad] : gfail, "%s", msg);
    }
    if (gmtbf && !gmttr) DERR(gmtbf, "'mtbf' needs 'mttr' (the mean time to repair of the drawn failures)");
    if (gmttr && !gmtbf) DERR(gmttr, "'mttr' needs 'mtbf' (the mean time between failures)");
    if (gmtbf && gmttr && f->mtbf_s > 0 && duration_s / f->mtbf_s > MAX_EXPECTED_FAILURES)
        DERR(gmtbf, "mtbf %gs gives about %.0f failures over the duration (%gs); at most %.0f are drawn",
             f->mtbf_s, duration_s / f->mtbf_s, duration_s, MAX_EXPECTED_FAILURES);
    if (!(gmtbf && gmttr)) f->mtbf_s = f->mttr_s = 0.0;
}

/* `speed_changes`: mappings {at, factor}, at strictly increasing. */
static void parse_speed_changes(const sr_parse_ctx *ctx, sr_device_spec *d, const sr_ynode *const *given)
{
    const sr_ynode *gs = given_of(&sr_sec_device, given, "speed_changes");
    if (!gs || gs->type != SR_YN_SEQ || gs->n == 0) return;
    d->speed_changes = calloc((size_t)gs->n, sizeof *d->speed_changes);
    if (!d->speed_changes) {
        DERR(gs, "out of memory");
        return;
    }
    int k = 0;
    for (int i = 0; i < gs->n; i++) {
        const sr_ynode *it = gs->vals[i];
        if (it->type != SR_YN_MAP) {
            DERR(it, "each entry of speed_changes must be a mapping {at: TIME, factor: NUMBER}, not %s",
                 sr_ynode_type_name(it));
            continue;
        }
        const sr_ynode *g2[2];
        sr_parse_ctx plain = {ctx->diag, NULL, 0};
        sr_speed_change c;
        memset(&c, 0, sizeof c);
        if (sr_section_parse(&plain, &sr_sec_speed_change, it, NULL, &c, g2) != 0) continue;
        if (k > 0 && !(c.at_s > d->speed_changes[k - 1].at_s)) {
            DERR(g2[0] ? g2[0] : it, "speed change at %gs does not come after the one at %gs (give them in time order)",
                 c.at_s, d->speed_changes[k - 1].at_s);
            continue;
        }
        d->speed_changes[k++] = c;
    }
    d->n_speed_changes = k;
}

void sr_config_device_dynamics(const sr_parse_ctx *ctx, sr_device_spec *d, const sr_ynode *const *given,
                               double duration_s)
{
    parse_failures(ctx, &sr_sec_device, &d->failures, given, duration_s);
    parse_speed_changes(ctx, d, given);
}

/* Resolves path (relative to dir), reads it and stores the trace in *slot; errors at node g. */
static void load_trace(const sr_parse_ctx *ctx, const char *dir, const sr_ynode *g, char **path,
                       sr_trace **slot, sr_trace_format fmt, sr_trace_kind kind, int64_t bin_ms)
{
    const char *written = *path;
    char *full = sr_path_beside(dir, written);
    if (!full) {
        DERR(g, "out of memory");
        return;
    }
    char msg[1024];
    sr_status st = sr_trace_read(full, fmt, kind, bin_ms, slot, msg, sizeof msg);
    if (st == SR_ERR_IO && strcmp(written, full))
        DERR(g, "%s trace file '%s' not found or unreadable (looked for '%s')", sr_trace_kind_name(kind),
             written, full);
    else if (st == SR_ERR_IO)
        DERR(g, "%s trace file '%s' not found or unreadable", sr_trace_kind_name(kind), written);
    else if (st != SR_OK)
        DERR(g, "bad %s trace '%s': %s", sr_trace_kind_name(kind), written, msg);
    free(*path);
    *path = full;
}

void sr_config_link_dynamics(const sr_parse_ctx *ctx, const char *dir, sr_link_spec *l,
                             const sr_ynode *const *given, double duration_s)
{
    const sr_section *sec = &sr_sec_link;
    const sr_ynode *gbw = given_of(sec, given, "bandwidth_trace");
    const sr_ynode *glat = given_of(sec, given, "latency_trace");
    const sr_ynode *gfmt = given_of(sec, given, "trace_format");
    const sr_ynode *gbin = given_of(sec, given, "trace_bin");
    const sr_ynode *gfail = given_of(sec, given, "failures");
    const sr_ynode *gmtbf = given_of(sec, given, "mtbf");
    parse_failures(ctx, sec, &l->failures, given, duration_s);
    if (l->sharing == SR_SHARING_WIFI) {
        const sr_ynode *first = gbw ? gbw : glat ? glat : gfail ? gfail : gmtbf;
        if (first)
            DERR(first,
                 "traces and failures are not supported on wifi links (SimGrid gives each station its own "
                 "rate): put them on the wired link behind the cell, or fail the stations");
        return;
    }
    if (gfmt && !gbw) DERR(gfmt, "'trace_format' is the format of bandwidth_trace (latency traces are CSV)");
    int64_t bin_ms = 0;
    if (gbin) {
        double ms = l->trace_bin_s * 1000.0;
        if (!gbw || l->trace_format != SR_TRACE_MAHIMAHI)
            DERR(gbin, "'trace_bin' is only for a bandwidth_trace with trace_format: mahimahi");
        else if (fabs(ms - floor(ms + 0.5)) > 1e-6 || ms < 1.0 || ms > 1e9)
            DERR(gbin, "'trace_bin' must be a whole number of milliseconds (got '%s')", gbin->text);
        else
            bin_ms = (int64_t)floor(ms + 0.5);
    } else {
        bin_ms = (int64_t)floor(l->trace_bin_s * 1000.0 + 0.5);
    }
    if (gbw && l->bandwidth_trace && bin_ms >= 1)
        load_trace(ctx, dir, gbw, &l->bandwidth_trace, &l->bw_trace, (sr_trace_format)l->trace_format,
                   SR_TRACE_BANDWIDTH, bin_ms);
    if (glat && l->latency_trace)
        load_trace(ctx, dir, glat, &l->latency_trace, &l->lat_trace, SR_TRACE_CSV, SR_TRACE_LATENCY, 0);
}
