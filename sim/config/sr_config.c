/* sr_config.c: experiment YAML -> validated run points (sr_config.h).
 *
 * Load = parse the text into a tree (sr_ytree.c), read the sweep section, then build the experiment of
 * every grid combination with the section tables (sr_config_tables.c) plus the checks that span
 * sections (catalogue defaults, references, routes, layers). A sweep value is not copied into the tree:
 * it is an override that the section parser uses in place of the written value, so it is checked by
 * exactly the same code, and its errors point at the value inside the sweep list. Every message is
 * collected; identical ones (the same mistake seen from several combinations) are printed once. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "arrival.h"
#include "sr_trace.h"
#include "sr_config_internal.h"
#include "sr_linkclass.h"
#include "sr_profile.h"
#include "sr_profile_file.h"
#include "sr_profile_rune.h"
#include "sr_file.h"
#include "sr_name_ix.h"
#include "sr_model_source.h"
#include "sr_platform.h"
#include "sr_platform_import.h"
#include "sr_policy.h"
#include "sr_zoo.h"

#define MAX_POINTS 10000000

typedef struct axis {
    char *path; /* as written */
    const sr_section *sec;
    char *elem;      /* element name for named sections, else NULL */
    const char *key; /* borrowed from the table */
    int is_policy;   /* a key of one policy (the common table or the policy's own) */
    int n_values;
    const sr_ynode **values; /* borrowed from the tree */
} axis;

typedef struct zoo_entry {
    char *source;
    int c, h, w;
    sr_status st;
    sr_graph *g;
    char err[512]; /* why loading failed */
} zoo_entry;

typedef struct zoo_cache {
    zoo_entry *e;
    int n, cap;
} zoo_cache;

typedef struct point_ref {
    int combo;  /* grid combination index */
    int policy; /* policy index */
} point_ref;

struct sr_config {
    char *path, *dir, *text;
    char hash[17];
    char *name;
    sr_ydoc *doc;
    int n_axes;
    axis *axes;
    int replications;
    int n_policies;
    char **policy_elem; /* the name sweep paths use for each policy (name, else type, as written) */
    int n_points;
    sr_point *points;
    point_ref *refs;
    zoo_cache zoo;
    int topology_checked; /* the platform of one combination was built: others need it only if they sweep it */
    char **inputs;        /* files the run points read (resolved paths, distinct): part of the identity */
    int n_inputs;
};

/* ---- small helpers ---- */

static uint64_t fnv1a64(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t point_seed(uint64_t base, int replication)
{
    return splitmix64(base ^ splitmix64((uint64_t)replication + 0x632be59bd9b4e019ULL));
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Growable string for lists in messages and params_json. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

/* Appends the n bytes of s (kept NUL-terminated). Out of memory leaves b as it was. */
static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 64) + n;
        char *ns = realloc(b->s, cap);
        if (!ns) return;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    if (!strchr(fmt, '%')) { /* plain text: no formatting (validating a sweep adds millions of these) */
        sb_put(b, fmt, strlen(fmt));
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    if (b->n + (size_t)w + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 64) + (size_t)w;
        char *ns = realloc(b->s, cap);
        if (!ns) return;
        b->s = ns;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)w;
}

/* b's text in a block of its own size (a sweep keeps two of these a point: the slack of a growing buffer would
 * be a third of its memory); b is left empty. */
static char *sb_take(sbuf *b)
{
    char *t = b->s ? realloc(b->s, b->n + 1) : NULL;
    if (!t) t = b->s;
    b->s = NULL, b->n = b->cap = 0;
    return t;
}

static const char *sb_str(const sbuf *b)
{
    return b->s ? b->s : "";
}

/* s as a JSON string, quotes included: runs of plain characters copied at once, '"', '\\' and controls
 * escaped. */
static void sb_json_str(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    while (*s) {
        size_t run = 0;
        while (s[run] && s[run] != '"' && s[run] != '\\' && (unsigned char)s[run] >= 0x20)
            run++;
        sb_put(b, s, run);
        s += run;
        if (!*s) break;
        unsigned char ch = (unsigned char)*s++;
        if (ch == '"' || ch == '\\')
            sb_add(b, "\\%c", ch);
        else
            sb_add(b, "\\u%04x", ch);
    }
    sb_put(b, "\"", 1);
}

/* ---- zoo ---- */

static int is_file_source(const char *s)
{
    size_t n = strlen(s);
    return (n > 5 && strcmp(s + n - 5, ".onnx") == 0) || (n > 4 && strcmp(s + n - 4, ".cfg") == 0);
}

static int zoo_index(const char *name)
{
    for (int i = 0; i < sr_zoo_count(); i++)
        if (strcmp(sr_zoo_name(i), name) == 0) return i;
    return -1;
}

/* Graph of zoo model `source` at c x h x w (cached; borrowed). */
static sr_status zoo_get(zoo_cache *zc, const char *source, int c, int h, int w, const sr_graph **out,
                         const char **errmsg)
{
    for (int i = 0; i < zc->n; i++) {
        zoo_entry *z = &zc->e[i];
        if (z->c == c && z->h == h && z->w == w && strcmp(z->source, source) == 0) {
            *out = z->g;
            if (errmsg) *errmsg = z->err;
            return z->st;
        }
    }
    if (zc->n == zc->cap) {
        int cap = zc->cap ? 2 * zc->cap : 8;
        zoo_entry *ne = realloc(zc->e, (size_t)cap * sizeof *ne);
        if (!ne) return SR_ERR_NOMEM;
        zc->e = ne;
        zc->cap = cap;
    }
    zoo_entry *z = &zc->e[zc->n];
    z->source = strdup(source);
    if (!z->source) return SR_ERR_NOMEM;
    z->c = c, z->h = h, z->w = w;
    z->g = NULL;
    z->err[0] = '\0';
    z->st = sr_model_load(source, c, h, w, 0, &z->g, NULL, z->err, sizeof z->err);
    if (z->st != SR_OK) z->g = NULL;
    zc->n++;
    *out = z->g;
    if (errmsg) *errmsg = z->err;
    return z->st;
}

static void zoo_clear(zoo_cache *zc)
{
    for (int i = 0; i < zc->n; i++) {
        free(zc->e[i].source);
        sr_graph_free(zc->e[i].g);
    }
    free(zc->e);
    memset(zc, 0, sizeof *zc);
}

/* ---- the files an experiment reads ---- */

static void note_input(sr_config *c, const char *path)
{
    if (!path) return;
    for (int i = 0; i < c->n_inputs; i++)
        if (strcmp(c->inputs[i], path) == 0) return;
    char **ni = realloc(c->inputs, (size_t)(c->n_inputs + 1) * sizeof *ni);
    if (!ni) return;
    c->inputs = ni;
    if ((c->inputs[c->n_inputs] = strdup(path))) c->n_inputs++;
}

/* Profiles, traces and model files of one combination's experiment (build() notes the policies' files). */
static void note_inputs(sr_config *c, const sr_experiment *e)
{
    for (int i = 0; i < e->n_devices; i++)
        if (e->devices[i].profile && sr_profile_is_path(e->devices[i].profile)) note_input(c, e->devices[i].profile);
    for (int i = 0; i < e->n_links; i++) {
        note_input(c, e->links[i].bandwidth_trace);
        note_input(c, e->links[i].latency_trace);
    }
    for (int i = 0; i < e->n_sources; i++)
        note_input(c, e->sources[i].arrival_trace);
    for (int i = 0; i < e->n_models; i++) {
        const char *src = e->models[i].source;
        if (!src || !is_file_source(src)) continue;
        char *full = sr_path_beside(c->dir, src);
        if (full) note_input(c, full);
        free(full);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Folds the contents of every input file (in path order) into the identity hash: a changed profile, trace or
 * model is a different experiment (a --resume does not take old rows for new ones). 64-bit words through a
 * multiply-xorshift; a file that cannot be read contributes its error (the run will report it). */
static uint64_t inputs_hash(sr_config *c, uint64_t h)
{
    qsort(c->inputs, (size_t)c->n_inputs, sizeof *c->inputs, cmp_str);
    static unsigned char buf[1 << 16];
    for (int i = 0; i < c->n_inputs; i++) {
        FILE *f = fopen(c->inputs[i], "rb");
        uint64_t fh = 0x9e3779b97f4a7c15ULL, len = 0;
        size_t n;
        while (f && (n = fread(buf, 1, sizeof buf, f)) > 0) {
            size_t k = 0;
            for (; k + 8 <= n; k += 8) {
                uint64_t w;
                memcpy(&w, buf + k, 8);
                fh = (fh ^ w) * 0xff51afd7ed558ccdULL;
                fh ^= fh >> 32;
            }
            for (; k < n; k++)
                fh = (fh ^ buf[k]) * 0x100000001b3ULL;
            len += n;
        }
        if (!f) fh = 0;
        if (f) fclose(f);
        h = (h ^ fh ^ (len << 1)) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
    }
    return h;
}

/* ---- building one experiment ---- */

typedef struct bctx {
    sr_parse_ctx pc;
    const sr_config *cfg;
    zoo_cache *zc; /* NULL: layer names are not checked (already validated) */
    sr_experiment *e;
    sr_policy_spec *pols;
    int n_pols;
    const sr_ynode **dev_given; /* n_devices x field count of sr_sec_device */
    const sr_ynode **src_given;
    const sr_ynode **model_given;
    int dev_bad;    /* the device list is missing or broken: references to devices are not checked */
    int models_bad; /* same for models */
    int routes_bad; /* a route did not resolve: reachability is not checked */
    sr_name_ix dev_ix;  /* device group names (the first of a repeated name) */
    sr_name_ix link_ix; /* link names, likewise */
} bctx;

#define BERR(n, ...) sr_diag_error(b->pc.diag, (n)->line, (n)->col, __VA_ARGS__)
#define NF(sec) ((sec).n_fields)
#define GIVEN(arr, i, sec, key) ((arr)[(size_t)(i) * (size_t)NF(sec) + (size_t)sr_field_index(&(sec), key)])

static sr_loc loc_of(const bctx *b, const sr_ynode *n)
{
    return (sr_loc){b->e->file, n ? n->line : 0, n ? n->col : 0};
}

/* Name an element will be known by before it is parsed (for messages and overrides). */
static const char *elem_name(const sr_ynode *map, const char *key)
{
    const sr_ynode *n = sr_ynode_get(map, key);
    return n && n->type == SR_YN_SCALAR && !n->is_null ? n->text : NULL;
}

static void list_device_groups(const sr_experiment *e, sbuf *sb)
{
    for (int i = 0; i < e->n_devices; i++)
        if (e->devices[i].name) sb_add(sb, "%s%s", sb->n ? ", " : "", e->devices[i].name);
}

static int find_group(const bctx *b, const char *name)
{
    return sr_name_ix_get(&b->dev_ix, name);
}

/* Resolves a group or instance name: group index, and *inst = instance index or -1 for the group. An instance
 * is a group's name and a number ("cam12": group "cam", or group "cam1"); of the groups that could hold it, the
 * first declared. */
static int find_device(const bctx *b, const char *name, int *inst)
{
    const sr_experiment *e = b->e;
    int g = find_group(b, name);
    *inst = -1;
    if (g >= 0) {
        if (e->devices[g].count == 1) *inst = 0;
        return g;
    }
    size_t len = strlen(name), digits = 0;
    while (digits < len && name[len - 1 - digits] >= '0' && name[len - 1 - digits] <= '9')
        digits++;
    int best = -1, best_inst = -1;
    char prefix[SR_NAME_MAX_CHARS + 16];
    for (size_t ln = len - digits; ln < len; ln++) { /* the group's name: name[0..ln), the number after it */
        if (ln == 0 || ln >= sizeof prefix) continue;
        const char *r = name + ln;
        if ((r[0] == '0' && r[1]) || strlen(r) > 9) continue;
        memcpy(prefix, name, ln);
        prefix[ln] = '\0';
        int i = find_group(b, prefix);
        if (i < 0 || (best >= 0 && i > best)) continue;
        const sr_device_spec *d = &e->devices[i];
        if (d->count <= 1 && !d->range) continue;
        long k = strtol(r, NULL, 10) - d->first_index;
        if (k >= 0 && k < d->count) {
            best = i;
            best_inst = (int)k;
        }
    }
    if (best >= 0) *inst = best_inst;
    return best;
}

static int find_link(const bctx *b, const char *name)
{
    return sr_name_ix_get(&b->link_ix, name);
}

static char **make_instances(const char *name, int count, int numbered, int first)
{
    char **v = calloc((size_t)count, sizeof *v);
    if (!v) return NULL;
    for (int i = 0; i < count; i++) {
        if (!numbered) {
            v[i] = strdup(name);
        } else {
            size_t n = strlen(name) + 12;
            v[i] = malloc(n);
            if (v[i]) snprintf(v[i], n, "%s%d", name, first + i);
        }
        if (!v[i]) {
            for (int k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return NULL;
        }
    }
    return v;
}

typedef struct inst_ref {
    const char *name;
    int group;
} inst_ref;

static int inst_cmp(const void *a, const void *b)
{
    const inst_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return (x->group > y->group) - (x->group < y->group);
}

/* Reports instance names shared by two different groups (names[i] of group i, instances[i][k]). */
static void check_instance_clash(bctx *b, const char *what, int n, char *const *names, const int *counts,
                                 char **const *instances, const sr_loc *locs)
{
    /* Instances are <group name>[digits]: two can only be equal when one group name starts with the
     * other. Without such a pair there is nothing to sort. */
    int prefix = 0;
    for (int i = 0; i < n && !prefix; i++)
        for (int j = 0; j < n && !prefix; j++)
            if (i != j && names[i] && names[j] && strcmp(names[i], names[j]) != 0 &&
                strncmp(names[i], names[j], strlen(names[i])) == 0)
                prefix = 1;
    if (!prefix) return;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        if (instances[i]) total += (size_t)counts[i];
    if (total < 2) return;
    inst_ref *v = malloc(total * sizeof *v);
    if (!v) return;
    size_t k = 0;
    for (int i = 0; i < n; i++)
        if (instances[i])
            for (int j = 0; j < counts[i]; j++)
                v[k++] = (inst_ref){instances[i][j], i};
    qsort(v, total, sizeof *v, inst_cmp);
    for (size_t i = 1; i < total; i++) {
        if (strcmp(v[i].name, v[i - 1].name) != 0 || v[i].group == v[i - 1].group) continue;
        int g1 = v[i - 1].group, g2 = v[i].group;
        if (strcmp(names[g1], names[g2]) == 0) continue; /* duplicate names are reported separately */
        sr_diag_error(
            b->pc.diag, locs[g2].line, locs[g2].col,
            "%s name '%s' is used by both '%s' and '%s' (a group of count N is named <name>0..<name>{N-1})",
            what, v[i].name, names[g1], names[g2]);
    }
    free(v);
}

/* Entry i of a list section whose entries are mappings: the mapping, or NULL after reporting an entry
 * that is not one ("each entry of <what> must be a mapping (<keys>), not <type>"). */
static const sr_ynode *list_entry(bctx *b, const sr_ynode *seq, int i, const char *what, const char *keys)
{
    const sr_ynode *it = seq->vals[i];
    if (it->type == SR_YN_MAP) return it;
    BERR(it, "each entry of %s must be a mapping (%s), not %s", what, keys, sr_ynode_type_name(it));
    return NULL;
}

static char *relative_to_file(const bctx *b, const char *path);

/* A device's `runtime:`: rune modes need the profile's measured rune section (sr_profile_rune.h); the factor
 * 1 + overhead multiplies every inference priced on the device (policies/sr_price.c). */
static void device_runtime(bctx *b, sr_device_spec *d, int di, const sr_profile *p, const char *who)
{
    d->runtime_factor = 1.0;
    const sr_ynode *grt = GIVEN(b->dev_given, di, sr_sec_device, "runtime");
    if (!grt || d->runtime == SR_RUNE_NATIVE) return;
    const char *mode = sr_rune_mode_name((sr_rune_mode)d->runtime);
    if (!p) {
        BERR(grt, "device '%s': runtime %s needs a profile with a measured rune section", who, mode);
        return;
    }
    const sr_profile_fit *fit = NULL;
    sr_profile *loaded = NULL;
    char why[512] = "";
    sr_status st = sr_profile_get_fit(p, &fit, &loaded, why, sizeof why);
    if (st == SR_OK) st = sr_profile_rune_factor(fit, (sr_rune_mode)d->runtime, &d->runtime_factor);
    if (st == SR_ERR_NOT_FOUND)
        BERR(grt,
             "device '%s': runtime %s needs a measured rune section in profile '%s' (simrun calibrate --rune-only; "
             "docs/papers/rune.md)",
             who, mode, p->name);
    else if (st != SR_OK)
        BERR(grt, "device '%s': runtime %s: profile '%s': %s", who, mode, p->name,
             why[0] ? why : sr_status_message(st));
    sr_profile_file_free(loaded);
}

static void parse_devices(bctx *b, const sr_ynode *seq)
{
    sr_experiment *e = b->e;
    if (seq->n == 0) {
        BERR(seq, "platform.devices must list at least one device group");
        return;
    }
    e->devices = calloc((size_t)seq->n, sizeof *e->devices);
    b->dev_given = calloc((size_t)seq->n * (size_t)NF(sr_sec_device), sizeof *b->dev_given);
    if (!e->devices || !b->dev_given) return;
    int64_t total_devices = 0;
    for (int i = 0; i < seq->n; i++) {
        const sr_ynode *it = list_entry(b, seq, i, "platform.devices", "name:, profile:, ...");
        if (!it) continue;
        int di = e->n_devices++;
        sr_device_spec *d = &e->devices[di];
        const sr_ynode **g = &b->dev_given[(size_t)di * (size_t)NF(sr_sec_device)];
        const char *nm = elem_name(it, "name");
        sr_section_parse(&b->pc, &sr_sec_device, it, nm, d, g);
        d->loc = loc_of(b, it);
        const sr_ynode *gprof = GIVEN(b->dev_given, di, sr_sec_device, "profile");
        const sr_profile *p = NULL;
        if (gprof && d->profile && sr_profile_is_path(d->profile)) {
            /* a profile file (simrun calibrate --out), relative to the experiment file */
            char *full = relative_to_file(b, d->profile);
            char why[512] = "";
            if (full) {
                free(d->profile);
                d->profile = full;
                p = sr_profile_find_err(full, why, sizeof why);
            }
            if (!p && why[0])
                BERR(gprof, "cannot read profile file: %s", why);
            else if (!p)
                BERR(gprof, "cannot read profile file '%s': %s", d->profile, strerror(errno));
        } else if (gprof && d->profile) {
            p = sr_profile_find(d->profile);
            if (!p) {
                sbuf sb = {0};
                for (int k = 0; k < sr_profile_count(); k++)
                    sb_add(&sb, "%s%s", k ? ", " : "", sr_profile_at(k)->name);
                BERR(gprof, "unknown profile '%s' (profiles: %s)", d->profile, sb_str(&sb));
                free(sb.s);
            }
        }
        const char *who = d->name ? d->name : "?";
        if (!GIVEN(b->dev_given, di, sr_sec_device, "class")) {
            int found = 0;
            for (int k = 0; p && k < SR_DEV_CLASS_COUNT; k++)
                if (strcmp(sr_device_class_name((sr_device_class)k), p->device_class) == 0) {
                    d->cls = (sr_device_class)k;
                    found = 1;
                }
            if (!found && !(gprof && !p))
                BERR(it, "device '%s' needs a class (or a profile that gives one)", who);
        }
        if (!GIVEN(b->dev_given, di, sr_sec_device, "speed")) {
            if (p)
                d->speed_flops = p->speed_flops;
            else if (!gprof)
                BERR(it, "device '%s' needs a speed (or a profile that gives one)", who);
        }
        if (!GIVEN(b->dev_given, di, sr_sec_device, "cores")) d->cores = p ? p->cores : 1;
        const sr_ynode *gcpu = GIVEN(b->dev_given, di, sr_sec_device, "cpu");
        if (gcpu && d->cores >= 1 && d->cpu_cores > (double)d->cores)
            BERR(gcpu, "device '%s' has a cpu quota of %g cores but only %d core%s (a container gets at most the "
                       "device's cores)",
                 who, d->cpu_cores, d->cores, d->cores == 1 ? "" : "s");
        if (!GIVEN(b->dev_given, di, sr_sec_device, "efficiency")) d->efficiency = p ? p->efficiency : 1.0;
        if (!GIVEN(b->dev_given, di, sr_sec_device, "mem_bw")) d->mem_bw_Bps = p ? p->mem_bw_Bps : 0.0;
        if (!GIVEN(b->dev_given, di, sr_sec_device, "power_idle"))
            d->power_idle_w = p ? p->power_idle_w : 0.0;
        if (!GIVEN(b->dev_given, di, sr_sec_device, "power_busy"))
            d->power_busy_w = p ? p->power_busy_w : 0.0;
        if (!GIVEN(b->dev_given, di, sr_sec_device, "interference") && p) {
            /* the co-running interference its profile measured (sr_corun.h), when it has one */
            const sr_profile_fit *fit = NULL;
            sr_profile *loaded = NULL;
            if (sr_profile_get_fit(p, &fit, &loaded, NULL, 0) == SR_OK && fit && fit->corun_interference >= 1.0)
                d->interference = fit->corun_interference;
            sr_profile_file_free(loaded);
        }
        d->idle_n = 0;
        d->jitter_sigma = 0;
        if (d->compute_jitter && p) { /* the spread of its profile's measured forwards (sr_idle.h) */
            const sr_profile_fit *fit = NULL;
            sr_profile *loaded = NULL;
            if (sr_profile_get_fit(p, &fit, &loaded, NULL, 0) == SR_OK && fit && fit->idle_sigma > 0)
                d->jitter_sigma = fit->idle_sigma;
            sr_profile_file_free(loaded);
        }
        if (d->idle_slowdown && p) {
            /* compute after idle as its profile measured it (sr_idle.h), when it has the section */
            const sr_profile_fit *fit = NULL;
            sr_profile *loaded = NULL;
            if (sr_profile_get_fit(p, &fit, &loaded, NULL, 0) == SR_OK && fit && fit->idle.n > 0 &&
                fit->idle.n <= SR_DEVICE_IDLE_POINTS) {
                d->idle_n = fit->idle.n;
                for (int k = 0; k < fit->idle.n; k++)
                    d->idle_gap_s[k] = fit->idle.gap_s[k], d->idle_factor[k] = fit->idle.factor[k];
            }
            sr_profile_file_free(loaded);
        }
        device_runtime(b, d, di, p, who);
        const sr_ynode *grange = GIVEN(b->dev_given, di, sr_sec_device, "range");
        if (grange && d->range) {
            long lo = -1, hi = -1;
            char tail = 0;
            if (sscanf(d->range, "%ld-%ld%c", &lo, &hi, &tail) != 2 || lo < 0 || hi < lo ||
                hi - lo >= 10000000) {
                BERR(grange, "range '%s' must be FIRST-LAST with 0 <= FIRST <= LAST (e.g. 0-99)", d->range);
            } else if (GIVEN(b->dev_given, di, sr_sec_device, "count")) {
                BERR(grange, "device '%s' gives both count and range; keep one", who);
            } else {
                d->count = (int)(hi - lo + 1);
                d->first_index = (int)lo;
            }
        }
        if (d->count > SR_MAX_DEVICES - total_devices) {
            const sr_ynode *gc = GIVEN(b->dev_given, di, sr_sec_device, "count");
            BERR(gc ? gc : grange ? grange : it,
                 "device '%s' brings the experiment to %lld devices; at most %d are allowed in one experiment",
                 who, (long long)total_devices + d->count, SR_MAX_DEVICES);
            d->count = 0;
        }
        total_devices += d->count > 0 ? d->count : 0;
        if (d->name && d->count >= 1)
            d->instances = make_instances(d->name, d->count, d->count > 1 || d->range, d->first_index);
        if (!d->instances) d->count = 0;
        sr_config_device_dynamics(&b->pc, d, g, e->duration_s);
        int k = d->name ? sr_name_ix_put(&b->dev_ix, d->name, di) : -1;
        if (k >= 0) {
            const sr_ynode *nn = GIVEN(b->dev_given, di, sr_sec_device, "name");
            BERR(nn, "duplicate device name '%s' (first defined at line %d)", d->name, e->devices[k].loc.line);
        }
    }
    int n = e->n_devices;
    char **names = calloc((size_t)n + 1, sizeof *names);
    int *counts = calloc((size_t)n + 1, sizeof *counts);
    char ***inst = calloc((size_t)n + 1, sizeof *inst);
    sr_loc *locs = calloc((size_t)n + 1, sizeof *locs);
    if (names && counts && inst && locs) {
        for (int i = 0; i < n; i++) {
            names[i] = e->devices[i].name;
            counts[i] = e->devices[i].count;
            inst[i] = e->devices[i].name ? e->devices[i].instances : NULL;
            locs[i] = e->devices[i].loc;
        }
        check_instance_clash(b, "device", n, names, counts, inst, locs);
    }
    free(names), free(counts), free(inst), free(locs);
}

static int sharing_from_name(const char *s, sr_sharing *out)
{
    for (int k = 0; k < SR_SHARING_COUNT; k++)
        if (strcmp(sr_sharing_name((sr_sharing)k), s) == 0) {
            *out = (sr_sharing)k;
            return 0;
        }
    return -1;
}

static void parse_link_rates(bctx *b, sr_link_spec *l, const sr_ynode *rates, int bw_given)
{
    static const sr_field rate_field = {
        "rates", SR_F_QTY, SR_UNIT_RATE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL, .doc = "rate level", .offset = 0};
    if (l->sharing != SR_SHARING_WIFI) {
        BERR(rates, "'rates' is only for links with sharing: wifi");
        return;
    }
    if (rates->n == 0) {
        BERR(rates, "'rates' needs at least one rate");
        return;
    }
    if (bw_given) {
        BERR(rates, "give either 'bandwidth' or 'rates' (the bandwidth is the first rate)");
        return;
    }
    int n = 0;
    for (int i = 0; i < rates->n; i++) {
        if (i >= 8) {
            BERR(rates->vals[i], "at most 8 rate levels");
            break;
        }
        /* One-field section so that the value goes through the same parser. */
        sr_section one = {"platform.links", "link", 0, "", &rate_field, 1, 0};
        sr_ynode key = {.type = SR_YN_SCALAR, .text = (char *)"rates"};
        sr_ynode *keys[1] = {&key};
        sr_ynode *vals[1] = {rates->vals[i]};
        sr_ynode map = {
            .type = SR_YN_MAP, .line = rates->line, .col = rates->col, .n = 1, .keys = keys, .vals = vals};
        const sr_ynode *given[1];
        double v = 0;
        sr_parse_ctx pc = {b->pc.diag, NULL, 0};
        if (sr_section_parse(&pc, &one, &map, NULL, &v, given) == 0) l->rates_bps[n++] = v;
    }
    l->n_rates = n;
    if (n > 0) l->bw_bps = l->rates_bps[0];
}

static void parse_links(bctx *b, const sr_ynode *seq)
{
    sr_experiment *e = b->e;
    if (!seq || seq->n == 0) return;
    e->links = calloc((size_t)seq->n, sizeof *e->links);
    if (!e->links) return;
    const int nf = NF(sr_sec_link);
    const sr_ynode **g = calloc((size_t)nf, sizeof *g);
    if (!g) return;
    for (int i = 0; i < seq->n; i++) {
        const sr_ynode *it = list_entry(b, seq, i, "platform.links", "name:, type:, ...");
        if (!it) continue;
        sr_link_spec *l = &e->links[e->n_links++];
        const char *nm = elem_name(it, "name");
        int errs = sr_section_parse(&b->pc, &sr_sec_link, it, nm, l, g);
        l->loc = loc_of(b, it);
        const sr_ynode *gtype = g[sr_field_index(&sr_sec_link, "type")];
        const sr_ynode *gbw = g[sr_field_index(&sr_sec_link, "bandwidth")];
        const sr_ynode *glat = g[sr_field_index(&sr_sec_link, "latency")];
        const sr_ynode *gsh = g[sr_field_index(&sr_sec_link, "sharing")];
        const sr_ynode *grates = g[sr_field_index(&sr_sec_link, "rates")];
        const sr_ynode *gper = g[sr_field_index(&sr_sec_link, "per_device")];
        const sr_link_class *cls = gtype ? sr_link_class_find(sr_link_type_name(l->type)) : NULL;
        if (gtype && !cls && (!gbw || !glat || !gsh))
            BERR(gtype, "link type '%s' has no catalogue defaults: give bandwidth, latency and sharing",
                 sr_link_type_name(l->type));
        if (cls) {
            if (!gbw) l->bw_bps = cls->bw_bps;
            if (!glat) l->latency_s = cls->latency_s;
            if (!gsh && sharing_from_name(cls->sharing, &l->sharing) != 0)
                BERR(gtype, "link class '%s' has an unknown sharing '%s'", cls->name, cls->sharing);
        }
        if (grates && grates->type == SR_YN_SEQ && (gtype || gsh))
            parse_link_rates(b, l, grates, gbw != NULL);
        if (l->sharing == SR_SHARING_WIFI && l->n_rates == 0) {
            l->n_rates = 1;
            l->rates_bps[0] = l->bw_bps;
        }
        if (l->sharing == SR_SHARING_WIFI && l->latency_s != 0.0 && (gtype || gsh) && !errs) {
            if (glat)
                BERR(glat, "a link with sharing wifi must have latency 0 (SimGrid's WIFI links have none)");
            else
                BERR(gsh ? gsh : gtype,
                     "sharing wifi needs latency 0, but type '%s' defaults to %gs: add latency: 0s",
                     sr_link_type_name(l->type), l->latency_s);
        }
        sr_config_link_dynamics(&b->pc, b->cfg->dir, l, g, e->duration_s);
        l->count = 1;
        if (gper && l->per_device && !b->dev_bad) {
            int gi = find_group(b, l->per_device);
            if (gi < 0) {
                sbuf sb = {0};
                list_device_groups(e, &sb);
                BERR(gper, "unknown device group '%s' for per_device (groups: %s)", l->per_device,
                     sb_str(&sb));
                free(sb.s);
            } else {
                l->count = e->devices[gi].count > 0 ? e->devices[gi].count : 1;
            }
        }
        if (l->name) {
            int gi = l->per_device ? find_group(b, l->per_device) : -1;
            l->instances = make_instances(l->name, l->count, l->per_device != NULL,
                                          gi >= 0 ? e->devices[gi].first_index : 0);
            if (!l->instances) l->count = 0;
        }
        int k = l->name ? sr_name_ix_put(&b->link_ix, l->name, e->n_links - 1) : -1;
        if (k >= 0) {
            const sr_ynode *nn = g[sr_field_index(&sr_sec_link, "name")];
            BERR(nn, "duplicate link name '%s' (first defined at line %d)", l->name, e->links[k].loc.line);
        }
    }
    free(g);
    int n = e->n_links;
    char **names = calloc((size_t)n + 1, sizeof *names);
    int *counts = calloc((size_t)n + 1, sizeof *counts);
    char ***inst = calloc((size_t)n + 1, sizeof *inst);
    sr_loc *locs = calloc((size_t)n + 1, sizeof *locs);
    if (names && counts && inst && locs) {
        for (int i = 0; i < n; i++) {
            names[i] = e->links[i].name;
            counts[i] = e->links[i].count;
            inst[i] = e->links[i].name ? e->links[i].instances : NULL;
            locs[i] = e->links[i].loc;
        }
        check_instance_clash(b, "link", n, names, counts, inst, locs);
    }
    free(names), free(counts), free(inst), free(locs);
}

static void parse_routes(bctx *b, const sr_ynode *seq)
{
    sr_experiment *e = b->e;
    if (!seq || seq->n == 0) return;
    e->routes = calloc((size_t)seq->n, sizeof *e->routes);
    const int nf = NF(sr_sec_route);
    const sr_ynode **g = calloc((size_t)nf, sizeof *g);
    if (!e->routes || !g) {
        free(g);
        return;
    }
    for (int i = 0; i < seq->n; i++) {
        const sr_ynode *it = list_entry(b, seq, i, "platform.routes", "src:, dst:, links:");
        if (!it) continue;
        sr_route_spec *r = &e->routes[e->n_routes++];
        sr_section_parse(&b->pc, &sr_sec_route, it, NULL, r, g);
        r->loc = loc_of(b, it);
        const sr_ynode *ends[2] = {g[sr_field_index(&sr_sec_route, "src")],
                                   g[sr_field_index(&sr_sec_route, "dst")]};
        const char *endv[2] = {r->src, r->dst};
        int grp[2] = {-1, -1};
        for (int k = 0; k < 2; k++) {
            if (!ends[k] || !endv[k] || b->dev_bad) continue;
            int inst;
            grp[k] = find_device(b, endv[k], &inst);
            if (grp[k] < 0) {
                sbuf sb = {0};
                list_device_groups(e, &sb);
                BERR(ends[k], "unknown device '%s' in route %s (groups: %s)", endv[k], k ? "dst" : "src",
                     sb_str(&sb));
                b->routes_bad = 1;
                free(sb.s);
            }
        }
        const sr_ynode *gl = g[sr_field_index(&sr_sec_route, "links")];
        if (!gl || gl->type != SR_YN_SEQ) continue;
        if (gl->n == 0) {
            BERR(gl, "a route needs at least one link");
            continue;
        }
        r->links = calloc((size_t)gl->n, sizeof *r->links);
        if (!r->links) continue;
        for (int k = 0; k < gl->n; k++) {
            const sr_ynode *ln = gl->vals[k];
            if (ln->type != SR_YN_SCALAR || ln->is_null) {
                BERR(ln, "route links must be link names, not %s", sr_ynode_type_name(ln));
                continue;
            }
            int li = find_link(b, ln->text);
            if (li < 0) {
                sbuf sb = {0};
                for (int j = 0; j < e->n_links; j++)
                    if (e->links[j].name) sb_add(&sb, "%s%s", sb.n ? ", " : "", e->links[j].name);
                BERR(ln, "unknown link '%s' (links: %s)", ln->text,
                     e->n_links ? sb_str(&sb) : "none declared");
                b->routes_bad = 1;
                free(sb.s);
                continue;
            }
            const sr_link_spec *l = &e->links[li];
            if (l->per_device) {
                int pg = find_group(b, l->per_device);
                if (pg >= 0 && pg != grp[0] && pg != grp[1] && grp[0] >= 0 && grp[1] >= 0)
                    BERR(ln,
                         "link '%s' is per-device for group '%s', which is neither the route's src ('%s') "
                         "nor dst ('%s')",
                         l->name, l->per_device, r->src, r->dst);
            }
            r->links[r->n_links++] = strdup(ln->text);
        }
    }
    free(g);
}

static void parse_models(bctx *b, const sr_ynode *seq)
{
    sr_experiment *e = b->e;
    if (seq->n == 0) {
        BERR(seq, "models must list at least one model");
        return;
    }
    e->models = calloc((size_t)seq->n, sizeof *e->models);
    b->model_given = calloc((size_t)seq->n * (size_t)NF(sr_sec_model), sizeof *b->model_given);
    if (!e->models || !b->model_given) return;
    for (int i = 0; i < seq->n; i++) {
        const sr_ynode *it = list_entry(b, seq, i, "models", "name:, source:, ...");
        if (!it) continue;
        int mi = e->n_models++;
        sr_model_spec *m = &e->models[mi];
        const sr_ynode **g = &b->model_given[(size_t)mi * (size_t)NF(sr_sec_model)];
        int errs = sr_section_parse(&b->pc, &sr_sec_model, it, elem_name(it, "name"), m, g);
        m->loc = loc_of(b, it);
        const sr_ynode *gsrc = GIVEN(b->model_given, mi, sr_sec_model, "source");
        if (gsrc && m->source) {
            if (is_file_source(m->source)) {
                char *full = sr_path_beside(b->cfg->dir, m->source);
                struct stat st;
                int missing = full && (stat(full, &st) != 0 || !S_ISREG(st.st_mode));
                if (missing && strcmp(full, m->source)) /* the path as looked for, when it differs */
                    BERR(gsrc, "model file '%s' not found (looked for '%s')", m->source, full);
                else if (missing)
                    BERR(gsrc, "model file '%s' not found", m->source);
                else if (full && b->zc && !errs) {
                    const sr_graph *gr;
                    const char *msg = NULL;
                    if (zoo_get(b->zc, full, m->input_c, m->input_h, m->input_w, &gr, &msg) != SR_OK)
                        BERR(gsrc, "cannot load model file '%s': %s", m->source, msg);
                }
                if (full) {
                    free(m->source);
                    m->source = full;
                }
            } else if (zoo_index(m->source) < 0) {
                sbuf sb = {0};
                for (int k = 0; k < sr_zoo_count(); k++)
                    sb_add(&sb, "%s%s", k ? ", " : "", sr_zoo_name(k));
                BERR(gsrc, "unknown model source '%s' (zoo models: %s; or a path to a .onnx or .cfg file)",
                     m->source, sb_str(&sb));
                free(sb.s);
            } else if (b->zc && !errs) {
                const sr_graph *gr;
                sr_status st = zoo_get(b->zc, m->source, m->input_c, m->input_h, m->input_w, &gr, NULL);
                const sr_ynode *gin = GIVEN(b->model_given, mi, sr_sec_model, "input");
                if (st == SR_ERR_SHAPE)
                    BERR(gin ? gin : gsrc, "input %dx%dx%d is too small for %s", m->input_c, m->input_h,
                         m->input_w, m->source);
                else if (st != SR_OK)
                    BERR(gin ? gin : gsrc, "cannot build %s: %s", m->source, sr_status_message(st));
            }
        }
        for (int k = 0; k < mi && m->name; k++)
            if (e->models[k].name && strcmp(e->models[k].name, m->name) == 0) {
                BERR(GIVEN(b->model_given, mi, sr_sec_model, "name"),
                     "duplicate model name '%s' (first defined at line %d)", m->name, e->models[k].loc.line);
                break;
            }
    }
}

static int find_model(const sr_experiment *e, const char *name)
{
    for (int i = 0; i < e->n_models; i++)
        if (e->models[i].name && strcmp(e->models[i].name, name) == 0) return i;
    return -1;
}

/* The keys a source needs by its kind and arrival: a resolution for frames, an event size for events, fps for
 * periodic and Poisson arrivals, an arrival trace (read and checked now) for trace arrivals. */
static void source_arrivals(bctx *b, sr_source_spec *s, const sr_ynode *it, int si)
{
    const char *who = s->name ? s->name : "?";
#define G(key) GIVEN(b->src_given, si, sr_sec_source, key)
    if (s->kind == SR_SOURCE_FRAMES && !G("resolution"))
        BERR(it, "missing required key 'resolution' in source '%s' (frames need a resolution)", who);
    if (s->kind == SR_SOURCE_EVENTS && !G("event_size"))
        BERR(it, "missing required key 'event_size' in source '%s' (events need a size)", who);
    if (s->kind == SR_SOURCE_EVENTS && G("resolution"))
        BERR(G("resolution"), "'resolution' is for frames; events have an event_size");
    if (s->kind == SR_SOURCE_EVENTS && b->e->mode == SR_MODE_EXACT)
        BERR(G("kind"), "exact mode renders camera frames; event sources need mode: model");
    if (s->arrival != SR_ARRIVAL_TRACE) {
        if (!G("fps")) BERR(it, "missing required key 'fps' in source '%s'", who);
        if (G("arrival_trace")) BERR(G("arrival_trace"), "'arrival_trace' needs arrival: trace");
        return;
    }
    if (G("fps")) BERR(G("fps"), "arrival: trace takes its times from arrival_trace, not fps");
    if (G("start")) BERR(G("start"), "arrival: trace takes its times from arrival_trace (absolute seconds), not start");
    if (!G("arrival_trace") || !s->arrival_trace) {
        BERR(it, "missing required key 'arrival_trace' in source '%s' (arrival: trace)", who);
        return;
    }
    char *full = relative_to_file(b, s->arrival_trace);
    if (!full) return;
    free(s->arrival_trace);
    s->arrival_trace = full;
    uint8_t *text = NULL;
    size_t len = 0;
    char msg[1024] = "";
    sr_status rst = sr_file_read_max(full, SR_TRACE_MAX_BYTES, &text, &len);
    if (rst == SR_ERR_IO) {
        int e = errno;
        const char *w = G("arrival_trace")->text;
        if (strcmp(w, full))
            BERR(G("arrival_trace"), "arrival trace file '%s' not found or unreadable (looked for '%s': %s)",
                 w, full, strerror(e));
        else
            BERR(G("arrival_trace"), "arrival trace file '%s' not found or unreadable (%s)", w, strerror(e));
        return;
    } else if (rst != SR_OK) {
        char why[160];
        BERR(G("arrival_trace"), "arrival trace file '%s' (%s): %s", G("arrival_trace")->text, full,
             sr_file_read_why(rst, errno, SR_TRACE_MAX_BYTES, "a trace", why, sizeof why));
        return;
    }
    if (sr_trace_parse_times(full, (const char *)text, len, &s->trace_times_s, &s->n_trace_times, msg,
                               sizeof msg) != SR_OK)
        BERR(G("arrival_trace"), "bad arrival trace: %s", msg);
    free(text);
#undef G
}

/* A source deploys its model to its device group: when the group runs models in a rune (`runtime`) and the
 * model gives a manifest (`requires`), every capability named there must be among the group's `capabilities`
 * (Lootus et al. Sec. 3.1: the manifest stage refuses a rune the hardware cannot serve). */
static void rune_capabilities(bctx *b, int si)
{
    const sr_experiment *e = b->e;
    const sr_source_spec *s = &e->sources[si];
    int g = find_group(b, s->devices), m = find_model(e, s->model);
    if (g < 0 || m < 0 || e->devices[g].runtime == SR_RUNE_NATIVE) return;
    const sr_ynode *req = GIVEN(b->model_given, m, sr_sec_model, "requires");
    const sr_ynode *caps = GIVEN(b->dev_given, g, sr_sec_device, "capabilities");
    if (!req || req->type != SR_YN_SEQ) return;
    for (int k = 0; k < req->n; k++) {
        const sr_ynode *r = req->vals[k];
        if (r->type != SR_YN_SCALAR || r->is_null) continue; /* reported by the model's own check */
        int found = 0;
        for (int j = 0; caps && caps->type == SR_YN_SEQ && j < caps->n && !found; j++)
            found = caps->vals[j]->type == SR_YN_SCALAR && !caps->vals[j]->is_null &&
                    strcmp(caps->vals[j]->text, r->text) == 0;
        if (found) continue;
        sbuf sb = {0};
        for (int j = 0; caps && caps->type == SR_YN_SEQ && j < caps->n; j++)
            if (caps->vals[j]->type == SR_YN_SCALAR) sb_add(&sb, "%s%s", sb.n ? ", " : "", caps->vals[j]->text);
        BERR(GIVEN(b->src_given, si, sr_sec_source, "devices"),
             "source '%s' deploys rune '%s' to device '%s', which lacks capability '%s' required by its manifest "
             "(line %d) (the device has: %s)",
             s->name ? s->name : "?", s->model, s->devices, r->text, r->line, sb.n ? sb_str(&sb) : "none");
        free(sb.s);
    }
}

static void parse_sources(bctx *b, const sr_ynode *seq)
{
    sr_experiment *e = b->e;
    if (seq->n == 0) {
        BERR(seq, "workload.sources must list at least one source");
        return;
    }
    e->sources = calloc((size_t)seq->n, sizeof *e->sources);
    b->src_given = calloc((size_t)seq->n * (size_t)NF(sr_sec_source), sizeof *b->src_given);
    if (!e->sources || !b->src_given) return;
    for (int i = 0; i < seq->n; i++) {
        const sr_ynode *it = list_entry(b, seq, i, "workload.sources", "name:, devices:, ...");
        if (!it) continue;
        int si = e->n_sources++;
        sr_source_spec *s = &e->sources[si];
        const sr_ynode **g = &b->src_given[(size_t)si * (size_t)NF(sr_sec_source)];
        sr_section_parse(&b->pc, &sr_sec_source, it, elem_name(it, "name"), s, g);
        s->loc = loc_of(b, it);
        const sr_ynode *gdev = GIVEN(b->src_given, si, sr_sec_source, "devices");
        if (gdev && s->devices && !b->dev_bad && find_group(b, s->devices) < 0) {
            sbuf sb = {0};
            list_device_groups(e, &sb);
            int inst;
            if (find_device(b, s->devices, &inst) >= 0)
                BERR(gdev, "'%s' is one device of a group; sources take a device group (groups: %s)",
                     s->devices, sb_str(&sb));
            else
                BERR(gdev, "unknown device group '%s' (groups: %s)", s->devices, sb_str(&sb));
            free(sb.s);
        }
        const sr_ynode *gm = GIVEN(b->src_given, si, sr_sec_source, "model");
        if (gm && s->model && !b->models_bad && find_model(e, s->model) < 0) {
            sbuf sb = {0};
            for (int k = 0; k < e->n_models; k++)
                if (e->models[k].name) sb_add(&sb, "%s%s", sb.n ? ", " : "", e->models[k].name);
            BERR(gm, "unknown model '%s' (models: %s)", s->model, sb_str(&sb));
            free(sb.s);
        }
        source_arrivals(b, s, it, si);
        if (gm && s->model && s->devices) rune_capabilities(b, si);
        for (int k = 0; k < si && s->name; k++)
            if (e->sources[k].name && strcmp(e->sources[k].name, s->name) == 0) {
                BERR(GIVEN(b->src_given, si, sr_sec_source, "name"),
                     "duplicate source name '%s' (first defined at line %d)", s->name,
                     e->sources[k].loc.line);
                break;
            }
    }
}

/* Does route r connect instance (ga, ia) to (gb, ib)? */
static int end_covers(const bctx *b, const char *end, int g, int inst)
{
    const sr_experiment *e = b->e;
    int ei;
    int eg = find_device(b, end, &ei);
    return eg == g && (ei < 0 || e->devices[eg].count == 1 || ei == inst);
}

static int connected(const bctx *b, int ga, int ia, int gb, int ib)
{
    const sr_experiment *e = b->e;
    for (int r = 0; r < e->n_routes; r++) {
        const sr_route_spec *rt = &e->routes[r];
        if (!rt->src || !rt->dst) continue;
        if (end_covers(b, rt->src, ga, ia) && end_covers(b, rt->dst, gb, ib)) return 1;
        if (rt->symmetric && end_covers(b, rt->dst, ga, ia) && end_covers(b, rt->src, gb, ib)) return 1;
    }
    return 0;
}

/* route_exists for policies' checks: one route joining the two whole groups, or one covering the pair. */
static int route_exists(const void *user, int sg, int si, int dg, int di)
{
    const bctx *b = user;
    const sr_experiment *e = b->e;
    for (int r = 0; r < e->n_routes; r++) {
        const sr_route_spec *rt = &e->routes[r];
        if (!rt->src || !rt->dst) continue;
        int a = find_group(b, rt->src), z = find_group(b, rt->dst);
        if ((a == sg && z == dg) || (rt->symmetric && a == dg && z == sg)) return 1;
    }
    return connected(b, sg, si, dg, di);
}

/* Resolves a path written relative to the experiment file. Caller frees. */
static char *relative_to_file(const bctx *b, const char *path)
{
    return sr_path_beside(b->cfg->dir, path);
}

/* What a policy's check() reports through: its keys' nodes in the mapping. */
typedef struct pol_diag_ctx {
    bctx *b;
    const sr_ynode *map;
    const sr_section *ps; /* the policy's table, or NULL */
    const sr_ynode **pg;  /* nodes of its keys */
    const sr_ynode **g;   /* nodes of the common keys */
} pol_diag_ctx;

static const sr_ynode *pol_key_node(const pol_diag_ctx *c, const char *key)
{
    if (!key) return NULL;
    int i = c->ps ? sr_field_index(c->ps, key) : -1;
    if (i >= 0) return c->pg[i];
    i = sr_field_index(&sr_sec_policy, key);
    return i >= 0 ? c->g[i] : NULL;
}

static void pol_emit(void *user, const char *key, const char *msg)
{
    pol_diag_ctx *c = user;
    const sr_ynode *n = pol_key_node(c, key);
    bctx *b = c->b;
    BERR(n ? n : c->map, "%s", msg);
}

static int pol_given(void *user, const char *key)
{
    return pol_key_node(user, key) != NULL;
}

/* The inferred graph of every model (borrowed from the zoo cache; NULL where it cannot be loaded). Caller
 * frees the array. */
static const sr_graph **model_graphs(bctx *b)
{
    const sr_experiment *e = b->e;
    const sr_graph **gs = calloc((size_t)(e->n_models ? e->n_models : 1), sizeof *gs);
    for (int m = 0; gs && m < e->n_models; m++) {
        const sr_model_spec *ms = &e->models[m];
        if (!ms->source || (!is_file_source(ms->source) && zoo_index(ms->source) < 0)) continue;
        if (zoo_get(b->zc, ms->source, ms->input_c, ms->input_h, ms->input_w, &gs[m], NULL) != SR_OK) gs[m] = NULL;
    }
    return gs;
}

/* "did you mean" over the registry's names, in the message the enum parser gives. */
static void unknown_type(bctx *b, const sr_ynode *at)
{
    const char *names[64];
    int n = 0;
    for (int i = 0; i < sr_policy_count() && n < 64; i++)
        names[n++] = sr_policy_at(i)->name;
    char list[512];
    sr_join_names(names, n, list, sizeof list);
    const char *near = sr_closest_name(at->text, names, n);
    if (near)
        BERR(at, "unknown type '%s' (did you mean '%s'? valid: %s)", at->text, near, list);
    else
        BERR(at, "unknown type '%s' (valid: %s)", at->text, list);
}

static void parse_policies(bctx *b, const sr_ynode *node)
{
    sr_experiment *e = b->e;
    int n = node->type == SR_YN_MAP ? 1 : node->n;
    if (n == 0) {
        BERR(node, "policy must give at least one policy");
        return;
    }
    b->pols = calloc((size_t)n, sizeof *b->pols);
    const int nf = NF(sr_sec_policy);
    const sr_ynode **g = calloc((size_t)nf, sizeof *g);
    const sr_graph **graphs = b->zc && !b->dev_bad ? model_graphs(b) : NULL;
    if (!b->pols || !g) goto done;
    for (int i = 0; i < n; i++) {
        const sr_ynode *it = node->type == SR_YN_MAP ? node : node->vals[i];
        if (it->type != SR_YN_MAP) {
            BERR(it, "each policy must be a mapping (type:, name:, ...), not %s", sr_ynode_type_name(it));
            continue;
        }
        int pi = b->n_pols++;
        sr_policy_spec *p = &b->pols[pi];
        const char *en = elem_name(it, "name");
        if (!en) en = elem_name(it, "type");
        const sr_ynode *tn = sr_ynode_get(it, "type");
        const sr_policy_ops *ops = tn && tn->type == SR_YN_SCALAR ? sr_policy_find(tn->text) : NULL;
        const sr_section *ps = ops ? ops->params : NULL;
        /* with an unknown type, its other keys cannot be judged: only the type is reported */
        int errs = sr_section_parse_ex(&b->pc, &sr_sec_policy, it, en, p, g, ps, ops || !tn);
        p->loc = loc_of(b, it);
        if (!p->type) continue; /* missing type: reported */
        if (!ops) {
            unknown_type(b, g[sr_field_index(&sr_sec_policy, "type")]);
            continue;
        }
        if (!p->name) p->name = strdup(ops->name);
        const sr_ynode **pg = NULL;
        if (ps) {
            p->params = calloc(1, ps->size ? ps->size : 1);
            pg = calloc((size_t)(ps->n_fields ? ps->n_fields : 1), sizeof *pg);
            if (!p->params || !pg) {
                free(pg);
                goto done;
            }
            p->params_sec = ps;
            errs += sr_section_parse_ex(&b->pc, ps, it, en, p->params, pg, &sr_sec_policy, 0);
            for (int k = 0; k < ps->n_fields; k++) {
                char **sp = (char **)((char *)p->params + ps->fields[k].offset);
                if (ps->fields[k].type != SR_F_STR || !(ps->fields[k].flags & SR_FF_PATH) || !*sp) continue;
                char *full = relative_to_file(b, *sp);
                if (full) {
                    free(*sp);
                    *sp = full;
                }
            }
        }
        if (!errs && ops->check && graphs) {
            sr_policy_env env = {.exp = e,
                                 .graphs = graphs,
                                 .route_exists = b->routes_bad ? NULL : route_exists,
                                 .route_user = b};
            pol_diag_ctx dc = {b, it, ps, pg, g};
            sr_policy_diag d = {pol_emit, pol_given, &dc, 0};
            ops->check(p->params, &env, &d);
        }
        free(pg);
        const sr_ynode *gname = g[sr_field_index(&sr_sec_policy, "name")];
        for (int k = 0; k < pi; k++)
            if (b->pols[k].name && strcmp(b->pols[k].name, p->name) == 0) {
                BERR(gname ? gname : tn, "duplicate policy name '%s' (give each policy a distinct name:)", p->name);
                break;
            }
    }
done:
    free(graphs);
    free(g);
}

/* The platform as the engine will build it (sr_platform.h): what SimGrid would abort on, and the route rules
 * the section tables cannot see (a Wi-Fi hop needs a wired link behind its access point, ...). Its messages
 * carry their own "file:line:col: error: " prefix; they are reported at that position. */
static void check_topology(bctx *b, const sr_ynode *at)
{
    sr_topology *t = NULL;
    char err[1024] = "";
    if (sr_topology_build(b->e, &t, err, sizeof err) == SR_OK) {
        sr_topology_free(t);
        return;
    }
    const char *file = b->e->file ? b->e->file : "";
    size_t fl = strlen(file);
    int line = 0, col = 0, used = 0;
    if (fl && strncmp(err, file, fl) == 0 && sscanf(err + fl, ":%d:%d: error: %n", &line, &col, &used) == 2 &&
        used > 0)
        sr_diag_error(b->pc.diag, line, col, "%s", err + fl + used);
    else
        BERR(at, "%s", err);
}

/* Exact mode runs the real kernels for every frame: refuse run points with more than SR_EXACT_MAX_FRAMES
 * expected frames ((duration - start) x fps per instance, summed over the sources). */
static void check_exact_budget(bctx *b, const sr_ynode *at)
{
    const sr_experiment *e = b->e;
    double frames = 0;
    for (int s = 0; s < e->n_sources; s++) {
        const sr_source_spec *src = &e->sources[s];
        int g = src->devices ? find_group(b, src->devices) : -1;
        if (g < 0) continue;
        if (src->arrival == SR_ARRIVAL_TRACE) {
            for (int k = 0; k < src->n_trace_times && src->trace_times_s[k] < e->duration_s; k++)
                frames += (double)e->devices[g].count;
            continue;
        }
        if (!(src->fps > 0)) continue;
        double span = e->duration_s - src->start_s;
        if (span > 0) frames += (double)e->devices[g].count * ceil(span * src->fps);
    }
    for (int s = 0; s < e->n_sources; s++) {
        const sr_source_spec *src = &e->sources[s];
        if (src->kind != SR_SOURCE_FRAMES) continue;
        if (src->width >= SR_EXACT_MIN_SIDE && src->height >= SR_EXACT_MIN_SIDE && src->width <= SR_EXACT_MAX_SIDE &&
            src->height <= SR_EXACT_MAX_SIDE)
            continue;
        const sr_ynode *res = GIVEN(b->src_given, s, sr_sec_source, "resolution");
        BERR(res ? res : at,
             "exact mode renders every frame of source '%s': its resolution %dx%d is outside %dx%d .. %dx%d "
             "(the real kernels take frames of %d to %d pixels a side; use mode: model for other sizes)",
             src->name ? src->name : "?", src->width, src->height, SR_EXACT_MIN_SIDE, SR_EXACT_MIN_SIDE,
             SR_EXACT_MAX_SIDE, SR_EXACT_MAX_SIDE, SR_EXACT_MIN_SIDE, SR_EXACT_MAX_SIDE);
    }
    if (frames > SR_EXACT_MAX_FRAMES)
        BERR(at,
             "exact mode runs the real kernels for every frame: this run point has about %.0f frames, more "
             "than "
             "the %d allowed (shorten duration, lower fps or instances, or use mode: model)",
             frames, SR_EXACT_MAX_FRAMES);
}

static void check_wifi_levels(bctx *b)
{
    const sr_experiment *e = b->e;
    for (int di = 0; di < e->n_devices; di++) {
        const sr_device_spec *d = &e->devices[di];
        const sr_ynode *gl = GIVEN(b->dev_given, di, sr_sec_device, "wifi_level");
        if (!gl || !d->name || d->wifi_level == 0) continue;
        for (int r = 0; r < e->n_routes; r++) {
            const sr_route_spec *rt = &e->routes[r];
            int i1, i2;
            int s = rt->src ? find_device(b, rt->src, &i1) : -1,
                t = rt->dst ? find_device(b, rt->dst, &i2) : -1;
            if (s != di && t != di) continue;
            for (int k = 0; k < rt->n_links; k++) {
                int li = find_link(b, rt->links[k]);
                if (li < 0 || e->links[li].sharing != SR_SHARING_WIFI) continue;
                if (d->wifi_level >= e->links[li].n_rates)
                    BERR(gl, "wifi_level %d but link '%s' has %d rate level(s) (0..%d)", d->wifi_level,
                         e->links[li].name, e->links[li].n_rates, e->links[li].n_rates - 1);
            }
        }
    }
}

static void bctx_free(bctx *b)
{
    if (b->pols) {
        for (int i = 0; i < b->n_pols; i++) {
            free(b->pols[i].name);
            free(b->pols[i].type);
            sr_params_free(b->pols[i].params_sec, b->pols[i].params);
        }
    }
    free(b->pols);
    sr_name_ix_free(&b->dev_ix);
    sr_name_ix_free(&b->link_ix);
    free(b->dev_given);
    free(b->src_given);
    free(b->model_given);
}

static char *default_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
        n -= 5;
    else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
        n -= 4;
    return strndup(base, n ? n : strlen(base));
}

/* Builds the experiment with the given overrides. All policies are parsed and checked; the experiment
 * carries policy `policy` (if it exists). *labels (optional) receives the policy names (caller frees).
 * Returns NULL only when out of memory; errors are in diag. */
static sr_experiment *build(const sr_config *c, const sr_override *ov, int n_ov, int policy, sr_diag *diag,
                            zoo_cache *zc, char ***labels, int *n_labels, sr_config *inputs)
{
    sr_experiment *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    bctx bc = {.pc = {diag, ov, n_ov}, .cfg = c, .zc = zc, .e = e};
    bctx *b = &bc;
    int errors_at_start = sr_diag_count(diag);
    e->file = strdup(c->path);
    const sr_ynode *root = sr_ydoc_root(c->doc);
    if (!e->file || !root) goto done;
    if (root->type != SR_YN_MAP) {
        BERR(root, "an experiment file is a mapping of sections (name:, platform:, models:, ...), not %s",
             sr_ynode_type_name(root));
        goto done;
    }
    const sr_ynode *tg[16];
    assert(NF(sr_sec_top) <= 16);
    sr_section_parse(&b->pc, &sr_sec_top, root, NULL, e, tg);
#define TOP(key) tg[sr_field_index(&sr_sec_top, key)]
    if (!e->name) e->name = default_name(c->path);
    const sr_ynode *sg[4];
    if (TOP("output") && TOP("output")->type == SR_YN_MAP)
        sr_section_parse(&b->pc, &sr_sec_output, TOP("output"), NULL, e, sg);
    {
        const sr_ynode *out = TOP("output"), *nm = TOP("name");
        const sr_ynode *gdb = out && out->type == SR_YN_MAP ? sr_ynode_get(out, "db") : NULL;
        const sr_ynode *gfig = out && out->type == SR_YN_MAP ? sr_ynode_get(out, "figures") : NULL;
        e->output_db_loc = loc_of(b, gdb ? gdb : nm);
        e->output_figures_loc = loc_of(b, gfig ? gfig : nm);
    }
    if (e->name) {
        size_t n = strlen(e->name) + 16;
        if (!e->output_db && (e->output_db = malloc(n))) snprintf(e->output_db, n, "results/%s.db", e->name);
        if (!e->output_figures && (e->output_figures = malloc(n)))
            snprintf(e->output_figures, n, "results/%s", e->name);
    }
    const sr_ynode *mg[8];
    const sr_ynode *metrics = TOP("metrics");
    sr_ynode empty_map = {.type = SR_YN_MAP};
    sr_section_parse(&b->pc, &sr_sec_metrics, metrics && metrics->type == SR_YN_MAP ? metrics : &empty_map,
                     NULL, &e->metrics, mg);
    const sr_ynode *gw = mg[sr_field_index(&sr_sec_metrics, "warmup")];
    /* (a duration that did not parse, or is not positive, has its own error: no second one here) */
    if (gw && TOP("duration") && e->duration_s > 0 && e->metrics.warmup_s >= e->duration_s)
        BERR(gw, "warmup (%gs) must be shorter than duration (%gs)", e->metrics.warmup_s, e->duration_s);
    else if (gw && !TOP("duration") && e->metrics.warmup_s >= e->duration_s)
        BERR(gw, "warmup (%gs) must be shorter than duration (%gs, the default)", e->metrics.warmup_s,
             e->duration_s);

    const sr_ynode *plat = TOP("platform");
    b->dev_bad = 1;
    if (plat && plat->type == SR_YN_MAP && !sr_ynode_get(plat, "simgrid")) { /* simgrid: left when unreadable */
        const sr_ynode *pg[4];
        sr_section_parse(&b->pc, &sr_sec_platform, plat, NULL, NULL, pg);
        const sr_ynode *devs = pg[sr_field_index(&sr_sec_platform, "devices")];
        const sr_ynode *links = pg[sr_field_index(&sr_sec_platform, "links")];
        const sr_ynode *routes = pg[sr_field_index(&sr_sec_platform, "routes")];
        b->dev_bad = !devs || devs->type != SR_YN_SEQ || devs->n == 0;
        if (devs && devs->type == SR_YN_SEQ) parse_devices(b, devs);
        /* a device without a usable name (reported) leaves the references to devices unchecked: each would
         * repeat that error as "unknown device" */
        for (int i = 0; i < e->n_devices; i++)
            if (!e->devices[i].name) b->dev_bad = 1;
        if (links && links->type == SR_YN_SEQ) parse_links(b, links);
        if (routes && routes->type == SR_YN_SEQ) parse_routes(b, routes);
        check_wifi_levels(b);
    }
    const sr_ynode *models = TOP("models");
    b->models_bad = !models || models->type != SR_YN_SEQ || models->n == 0;
    if (models && models->type == SR_YN_SEQ) parse_models(b, models);
    const sr_ynode *wl = TOP("workload");
    if (wl && wl->type == SR_YN_MAP) {
        const sr_ynode *wg[2];
        sr_section_parse(&b->pc, &sr_sec_workload, wl, NULL, NULL, wg);
        const sr_ynode *srcs = wg[0];
        if (srcs && srcs->type == SR_YN_SEQ) parse_sources(b, srcs);
    }
    if (e->mode == SR_MODE_EXACT) check_exact_budget(b, TOP("mode") ? TOP("mode") : root);
    const sr_ynode *pol = TOP("policy");
    if (pol && pol->type != SR_YN_SCALAR) parse_policies(b, pol);
    /* the platform is built again only for combinations whose sweep values touch it */
    int platform_swept = 0;
    for (int i = 0; i < n_ov; i++)
        if (ov[i].sec == &sr_sec_device || ov[i].sec == &sr_sec_link) platform_swept = 1;
    if (b->zc && sr_diag_count(b->pc.diag) == errors_at_start && (platform_swept || !c->topology_checked))
        check_topology(b, TOP("platform") ? TOP("platform") : root);
#undef TOP
    for (int i = 0; inputs && i < b->n_pols; i++) { /* the policies' files (SR_FF_PATH keys, resolved) */
        const sr_section *ps = b->pols[i].params_sec;
        for (int k = 0; ps && b->pols[i].params && k < ps->n_fields; k++)
            if (ps->fields[k].type == SR_F_STR && (ps->fields[k].flags & SR_FF_PATH))
                note_input(inputs, *(char *const *)((const char *)b->pols[i].params + ps->fields[k].offset));
    }
    if (labels) {
        *labels = calloc((size_t)b->n_pols + 1, sizeof **labels);
        *n_labels = 0;
        for (int i = 0; *labels && i < b->n_pols; i++)
            (*labels)[(*n_labels)++] = xstrdup(b->pols[i].name);
    }
    if (policy >= 0 && policy < b->n_pols) {
        e->policy = b->pols[policy];
        memset(&b->pols[policy], 0, sizeof b->pols[policy]);
    }
    for (int i = 0; i < e->n_devices; i++)
        e->devices[i].loc.file = e->file;
    for (int i = 0; i < e->n_links; i++)
        e->links[i].loc.file = e->file;
done:
    bctx_free(b);
    return e;
}

/* ---- sweep ---- */

typedef struct named_sec {
    const char *prefix;
    const sr_section *sec;
    const char *list_path[2]; /* where the list lives in the tree */
} named_sec;

static const named_sec named_secs[] = {
    {"platform.devices", &sr_sec_device, {"platform", "devices"}},
    {"platform.links", &sr_sec_link, {"platform", "links"}},
    {"models", &sr_sec_model, {"models", NULL}},
    {"workload.sources", &sr_sec_source, {"workload", "sources"}},
    {"policy", &sr_sec_policy, {"policy", NULL}},
};

/* Name of element `it` of a named section (policies are known by their type when unnamed). */
static const char *named_elem(const sr_section *sec, const sr_ynode *it)
{
    const char *n = elem_name(it, "name");
    if (!n && sec == &sr_sec_policy) n = elem_name(it, "type");
    return n;
}

static int resolve_key(sr_config *c, sr_diag *d, const sr_ynode *at, const sr_section *sec, const char *key,
                       axis *ax)
{
    const sr_field *f = sr_section_field(sec, key);
    if (!f) {
        const char *cands[32];
        int nc = 0;
        for (int j = 0; j < sec->n_fields && nc < 32; j++)
            if (sr_field_sweepable(&sec->fields[j])) cands[nc++] = sec->fields[j].key;
        char list[512];
        sr_join_names(cands, nc, list, sizeof list);
        sr_diag_error(d, at->line, at->col,
                      "bad sweep path '%s': '%s' is not a key of %s (sweepable keys: %s)", ax->path, key,
                      sec->path[0] ? sec->path : "the top level", list);
        return -1;
    }
    if (!sr_field_sweepable(f)) {
        sr_diag_error(d, at->line, at->col,
                      "bad sweep path '%s': '%s' cannot be swept (only single values other "
                      "than names can)",
                      ax->path, key);
        return -1;
    }
    (void)c;
    ax->sec = sec;
    ax->key = f->key;
    return 0;
}

static int resolve_path(sr_config *c, sr_diag *d, const sr_ynode *at, axis *ax)
{
    const char *p = ax->path;
    const sr_ynode *root = sr_ydoc_root(c->doc);
    for (size_t i = 0; i < sizeof named_secs / sizeof named_secs[0]; i++) {
        const named_sec *ns = &named_secs[i];
        size_t lp = strlen(ns->prefix);
        if (strncmp(p, ns->prefix, lp) != 0 || (p[lp] != '.' && p[lp] != '\0')) continue;
        const char *rest = p[lp] ? p + lp + 1 : "";
        const char *dot = strrchr(rest, '.');
        if (!*rest || !dot) {
            sr_diag_error(d, at->line, at->col,
                          "bad sweep path '%s': expected %s.<name>.<key> (e.g. the %s's name, then a key)", p,
                          ns->prefix, ns->sec->what);
            return -1;
        }
        char *elem = strndup(rest, (size_t)(dot - rest));
        if (!elem) return -1;
        const sr_ynode *list = sr_ynode_get(root, ns->list_path[0]);
        if (ns->list_path[1]) list = sr_ynode_get(list, ns->list_path[1]);
        int found = 0;
        const sr_ynode *found_node = NULL;
        sbuf sb = {0};
        if (list && list->type == SR_YN_MAP && ns->sec == &sr_sec_policy) {
            const char *n = named_elem(ns->sec, list);
            found = n && !strcmp(n, elem);
            if (found) found_node = list;
            if (n) sb_add(&sb, "%s", n);
        } else if (list && list->type == SR_YN_SEQ) {
            for (int k = 0; k < list->n; k++) {
                const char *n = named_elem(ns->sec, list->vals[k]);
                if (!n) continue;
                if (!strcmp(n, elem) && !found) found = 1, found_node = list->vals[k];
                sb_add(&sb, "%s%s", sb.n ? ", " : "", n);
            }
        }
        if (!found) {
            sr_diag_error(d, at->line, at->col, "bad sweep path '%s': no %s named '%s' (%ss: %s)", p,
                          ns->sec->what, elem, ns->sec->what, sb.n ? sb_str(&sb) : "none");
            free(sb.s);
            free(elem);
            return -1;
        }
        free(sb.s);
        ax->elem = elem;
        if (ns->sec == &sr_sec_policy) {
            /* a policy's own keys come from its table (the type decides which), type and name from the common */
            ax->is_policy = 1;
            const sr_ynode *tn = sr_ynode_get(found_node, "type");
            const sr_policy_ops *ops = tn && tn->type == SR_YN_SCALAR ? sr_policy_find(tn->text) : NULL;
            if (ops && ops->params && sr_section_field(ops->params, dot + 1))
                return resolve_key(c, d, at, ops->params, dot + 1, ax);
            if (ops && !sr_section_field(&sr_sec_policy, dot + 1)) {
                const char *cands[40];
                int nc = 0;
                for (int j = 0; ops->params && j < ops->params->n_fields && nc < 32; j++)
                    if (sr_field_sweepable(&ops->params->fields[j])) cands[nc++] = ops->params->fields[j].key;
                char list2[512];
                sr_join_names(cands, nc, list2, sizeof list2);
                sr_diag_error(d, at->line, at->col,
                              "bad sweep path '%s': '%s' is not a key of a %s policy (sweepable keys: %s)", ax->path,
                              dot + 1, ops->name, nc ? list2 : "none");
                return -1;
            }
        }
        return resolve_key(c, d, at, ns->sec, dot + 1, ax);
    }
    if (!strchr(p, '.')) return resolve_key(c, d, at, &sr_sec_top, p, ax);
    static const sr_section *const plain[] = {&sr_sec_output, &sr_sec_metrics};
    for (size_t i = 0; i < 2; i++) {
        size_t lp = strlen(plain[i]->path);
        if (strncmp(p, plain[i]->path, lp) == 0 && p[lp] == '.' && !strchr(p + lp + 1, '.'))
            return resolve_key(c, d, at, plain[i], p + lp + 1, ax);
    }
    sr_diag_error(d, at->line, at->col,
                  "bad sweep path '%s' (paths are a top-level key, output.<key>, metrics.<key>, "
                  "platform.devices.<name>.<key>, platform.links.<name>.<key>, models.<name>.<key>, "
                  "workload.sources.<name>.<key> or policy.<name>.<key>)",
                  p);
    return -1;
}

static void parse_sweep(sr_config *c, sr_diag *d)
{
    c->replications = 1;
    const sr_ynode *sw = sr_ynode_get(sr_ydoc_root(c->doc), "sweep");
    if (!sw || sw->type != SR_YN_MAP) return; /* a wrong type is reported by the top-level table */
    sr_sweep_opts opts = {1};
    const sr_ynode *g[4];
    sr_parse_ctx pc = {d, NULL, 0};
    sr_section_parse(&pc, &sr_sec_sweep, sw, NULL, &opts, g);
    c->replications = opts.replications >= 1 ? opts.replications : 1;
    const sr_ynode *grid = g[sr_field_index(&sr_sec_sweep, "grid")];
    if (!grid || grid->type != SR_YN_MAP) return;
    c->axes = calloc((size_t)grid->n + 1, sizeof *c->axes);
    if (!c->axes) return;
    for (int i = 0; i < grid->n; i++) {
        const sr_ynode *k = grid->keys[i], *v = grid->vals[i];
        axis ax = {0};
        ax.path = strdup(k->text);
        if (!ax.path) return;
        int ok = resolve_path(c, d, k, &ax) == 0;
        if (v->type != SR_YN_SEQ) {
            sr_diag_error(d, v->line, v->col, "sweep axis '%s' needs a list of values, like [1, 2], not %s",
                          ax.path, sr_ynode_type_name(v));
            ok = 0;
        } else if (v->n == 0) {
            sr_diag_error(d, v->line, v->col, "sweep axis '%s' has no values", ax.path);
            ok = 0;
        } else {
            for (int j = 0; j < v->n; j++)
                if (v->vals[j]->type != SR_YN_SCALAR) {
                    sr_diag_error(d, v->vals[j]->line, v->vals[j]->col,
                                  "sweep values must be single values, not %s",
                                  sr_ynode_type_name(v->vals[j]));
                    ok = 0;
                }
        }
        if (ok) {
            ax.n_values = v->n;
            ax.values = malloc((size_t)v->n * sizeof *ax.values);
            if (ax.values)
                for (int j = 0; j < v->n; j++)
                    ax.values[j] = v->vals[j];
        }
        c->axes[c->n_axes++] = ax;
    }
}

/* Value indices of grid combination `combo` (last axis fastest). */
static void combo_indices(const sr_config *c, long long combo, int *idx)
{
    for (int a = c->n_axes - 1; a >= 0; a--) {
        idx[a] = (int)(combo % c->axes[a].n_values);
        combo /= c->axes[a].n_values;
    }
}

static void combo_overrides(const sr_config *c, const int *idx, sr_override *ov)
{
    for (int a = 0; a < c->n_axes; a++)
        ov[a] = (sr_override){c->axes[a].sec, c->axes[a].elem, c->axes[a].key, c->axes[a].values[idx[a]]};
}

/* Does axis a apply to policy p (policy axes apply to their policy only)? */
static int axis_applies(const sr_config *c, int a, int p)
{
    if (!c->axes[a].is_policy) return 1;
    return p < c->n_policies && c->policy_elem[p] && strcmp(c->policy_elem[p], c->axes[a].elem) == 0;
}

/* A swept value as the experiment holds it (the field's parser already accepted the text). */
static void si_value(sbuf *sb, const sr_field *f, const char *text)
{
    double v = 0;
    switch (f ? f->type : SR_F_STR) {
    case SR_F_QTY:
        if (sr_quantity_parse_ex(text, f->unit, (f->flags & SR_FF_UNIT_OPTIONAL) != 0, &v) == SR_QTY_OK) {
            if (f->flags & SR_FF_BYTES) v /= 8.0;
            sb_add(sb, "%.17g", v);
            return;
        }
        break;
    case SR_F_INT:
    case SR_F_U64:
    case SR_F_FLOAT: {
        char *end = NULL;
        v = strtod(text, &end);
        if (end && !*end && isfinite(v)) {
            sb_add(sb, "%.17g", v);
            return;
        }
        break;
    }
    case SR_F_BOOL:
        sb_add(sb, "%s", (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE")) ? "true" : "false");
        return;
    case SR_F_STR:
    case SR_F_NAME:
    case SR_F_ENUM:
    case SR_F_DIMS3:
    case SR_F_RES:
    case SR_F_MAP:
    case SR_F_SEQ:
    case SR_F_MAPSEQ:
        break;
    }
    sb_json_str(sb, text);
}

/* Progress of a long expansion on a terminal: every point is built and checked (about 12 us each), so a sweep
 * of a million points takes seconds before validate or run says anything. */
typedef struct expand_progress {
    FILE *f; /* NULL: say nothing (not a terminal); else from 0.5 s on, twice a second */
    double t0, next;
    int shown;
} expand_progress;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void expand_progress_step(expand_progress *pg, const char *path, long long done, long long total)
{
    if (!pg->f || (done & 255) != 0) return;
    double t = mono_s();
    if (t < pg->next) return;
    fprintf(pg->f, "\r%s: checking the sweep: %lld of %lld combinations (%.0f s)", path, done, total,
            t - pg->t0);
    fflush(pg->f);
    pg->next = t + 0.5;
    pg->shown = 1;
}

static void expand_progress_end(expand_progress *pg)
{
    if (pg->f && pg->shown) {
        fputs("\r\033[K", pg->f);
        fflush(pg->f);
    }
}

static int expand(sr_config *c, sr_diag *d, FILE *errf)
{
    long long combos = 1;
    for (int a = 0; a < c->n_axes; a++) {
        combos *= c->axes[a].n_values;
        if (combos > MAX_POINTS) break;
    }
    if (combos * (c->n_policies ? c->n_policies : 1) * c->replications > MAX_POINTS) {
        /* at the sweep, with the product that makes the count (in floating point: it may pass any integer) */
        const sr_ynode *sw = sr_ynode_get(sr_ydoc_root(c->doc), "sweep");
        sbuf sb = {0};
        double total = 1;
        for (int a = 0; a < c->n_axes; a++) {
            total *= c->axes[a].n_values;
            sb_add(&sb, "%d x ", c->axes[a].n_values);
        }
        total *= (c->n_policies ? c->n_policies : 1) * (double)c->replications;
        sr_diag_error(d, sw ? sw->line : 0, sw ? sw->col : 0,
                      "the sweep has %.0f run points (%s%d policies x %d replications); simrun runs at most %d in "
                      "one experiment: split the sweep into several files (simrun merge joins their databases)",
                      total, sb_str(&sb), c->n_policies ? c->n_policies : 1, c->replications, MAX_POINTS);
        free(sb.s);
        return -1;
    }
    int *idx = calloc((size_t)c->n_axes + 1, sizeof *idx);
    sr_override *ov = calloc((size_t)c->n_axes + 1, sizeof *ov);
    size_t cap = (size_t)combos * (size_t)(c->n_policies ? c->n_policies : 1) * (size_t)c->replications;
    c->points = calloc(cap, sizeof *c->points);
    c->refs = calloc(cap, sizeof *c->refs);
    if (!idx || !ov || !c->points || !c->refs) {
        free(idx), free(ov);
        return -1;
    }
    expand_progress pg = {errf && isatty(fileno(errf)) ? errf : NULL, mono_s(), mono_s() + 0.5, 0};
    for (long long ci = 0; ci < combos; ci++) {
        expand_progress_step(&pg, c->path, ci, combos);
        combo_indices(c, ci, idx);
        combo_overrides(c, idx, ov);
        char **labels = NULL;
        int n_labels = 0;
        int before = sr_diag_count(d);
        sr_experiment *e = build(c, ov, c->n_axes, -1, d, &c->zoo, &labels, &n_labels, c);
        c->topology_checked = 1;
        if (!e) {
            expand_progress_end(&pg);
            free(idx), free(ov);
            return -1;
        }
        note_inputs(c, e);
        if (sr_diag_count(d) == before && n_labels == c->n_policies) {
            for (int p = 0; p < c->n_policies; p++) {
                int skip = 0;
                for (int a = 0; a < c->n_axes; a++)
                    if (!axis_applies(c, a, p) && idx[a] > 0) skip = 1;
                if (skip) continue;
                for (int r = 0; r < c->replications; r++) {
                    sr_point *pt = &c->points[c->n_points];
                    sbuf sb = {0}, si = {0};
                    sb_add(&sb, "{");
                    sb_add(&si, "{");
                    for (int a = 0; a < c->n_axes; a++) {
                        if (!axis_applies(c, a, p)) continue;
                        sb_json_str(&sb, c->axes[a].path);
                        sb_add(&sb, ": ");
                        sb_json_str(&sb, c->axes[a].values[idx[a]]->text);
                        sb_add(&sb, ", ");
                        sb_json_str(&si, c->axes[a].path);
                        sb_add(&si, ": ");
                        si_value(&si, sr_section_field(c->axes[a].sec, c->axes[a].key), c->axes[a].values[idx[a]]->text);
                        sb_add(&si, ", ");
                    }
                    sb_add(&sb, "\"policy\": ");
                    sb_json_str(&sb, labels[p] ? labels[p] : "");
                    sb_add(&sb, ", \"replication\": %d}", r);
                    sb_add(&si, "\"policy\": ");
                    sb_json_str(&si, labels[p] ? labels[p] : "");
                    sb_add(&si, ", \"replication\": %d}", r);
                    pt->params_si_json = sb_take(&si);
                    pt->index = c->n_points;
                    pt->replication = r;
                    pt->seed = point_seed(e->seed, r);
                    pt->policy = xstrdup(labels[p]);
                    snprintf(pt->hash, sizeof pt->hash, "%016llx",
                             (unsigned long long)fnv1a64(sb_str(&sb), sb.n));
                    pt->params_json = sb_take(&sb);
                    c->refs[c->n_points] = (point_ref){(int)ci, p};
                    c->n_points++;
                }
            }
        }
        for (int i = 0; i < n_labels; i++)
            free(labels[i]);
        free(labels);
        sr_experiment_free(e);
    }
    expand_progress_end(&pg);
    free(idx), free(ov);
    return 0;
}

/* ---- public API ---- */

static void policy_elems(sr_config *c)
{
    const sr_ynode *pol = sr_ynode_get(sr_ydoc_root(c->doc), "policy");
    if (!pol || pol->type == SR_YN_SCALAR) return;
    int n = pol->type == SR_YN_MAP ? 1 : pol->n;
    c->policy_elem = calloc((size_t)n + 1, sizeof *c->policy_elem);
    if (!c->policy_elem) return;
    for (int i = 0; i < n; i++) {
        const sr_ynode *it = pol->type == SR_YN_MAP ? pol : pol->vals[i];
        if (it->type != SR_YN_MAP) continue;
        c->policy_elem[c->n_policies++] = xstrdup(named_elem(&sr_sec_policy, it));
    }
}

/* `platform: { simgrid: FILE.xml }`: SimGrid reads the file in a child process (sr_platform_import.h) and the
 * devices, links and routes it describes replace the mapping, placed at the `simgrid` value so that a message
 * about them points there. The experiment's identity (the canonical hash) then covers the converted platform. */
static void import_simgrid_platform(sr_config *c, sr_diag *d)
{
    const sr_ynode *plat = sr_ynode_get(sr_ydoc_root(c->doc), "platform");
    const sr_ynode *xml = sr_ynode_get(plat, "simgrid");
    if (!xml) return;
    if (xml->type != SR_YN_SCALAR || xml->is_null || !xml->text[0]) {
        sr_diag_error(d, xml->line, xml->col, "platform.simgrid: expected the path of a SimGrid XML platform file");
        return;
    }
    int mixed = 0;
    for (int i = 0; i < plat->n; i++)
        if (strcmp(plat->keys[i]->text, "simgrid") != 0) {
            sr_diag_error(d, plat->keys[i]->line, plat->keys[i]->col,
                          "platform.%s cannot be given with platform.simgrid, which provides the devices, links "
                          "and routes (convert the file with `simrun platform --from-simgrid` to edit them)",
                          plat->keys[i]->text);
            mixed = 1;
        }
    if (mixed) return;
    char *path = sr_path_beside(c->dir, xml->text);
    if (!path) {
        sr_diag_error(d, xml->line, xml->col, "platform.simgrid: out of memory");
        return;
    }
    char *yaml = NULL, err[1024];
    sr_status st = sr_platform_import_simgrid_text(path, &yaml, err, sizeof err);
    if (st != SR_OK) {
        sr_diag_error(d, xml->line, xml->col, "platform.simgrid: %s", err);
        free(path);
        return;
    }
    sr_diag *d2 = sr_diag_create(path, yaml);
    sr_ydoc *doc2 = d2 ? sr_ydoc_parse(yaml, strlen(yaml), d2) : NULL;
    const sr_ynode *p2 = sr_ynode_get(sr_ydoc_root(doc2), "platform");
    if (!doc2 || !p2 || sr_diag_count(d2) > 0) {
        sr_diag_error(d, xml->line, xml->col, "platform.simgrid: %s converted to a platform section that does not "
                      "parse (please report this with the file)", path);
        sr_ydoc_free(doc2);
    } else if (sr_ydoc_graft(c->doc, plat, doc2, p2, xml->line, xml->col) != 0) {
        sr_diag_error(d, xml->line, xml->col, "platform.simgrid: out of memory");
        sr_ydoc_free(doc2);
    }
    sr_diag_free(d2);
    free(yaml);
    free(path);
}

sr_status sr_config_load_string(const char *path, const char *text, FILE *errf, sr_config **out)
{
    if (!path || !text || !out) return SR_ERR_INVALID;
    *out = NULL;
    if (!errf) errf = stderr;
    sr_config *c = calloc(1, sizeof *c);
    if (!c) return SR_ERR_NOMEM;
    c->path = strdup(path);
    c->text = strdup(text);
    const char *slash = strrchr(path, '/');
    c->dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!c->path || !c->text || !c->dir) {
        sr_config_free(c);
        return SR_ERR_NOMEM;
    }
    snprintf(c->hash, sizeof c->hash, "%016llx", (unsigned long long)fnv1a64(text, strlen(text)));
    sr_diag *d = sr_diag_create(c->path, c->text);
    if (!d) {
        sr_config_free(c);
        return SR_ERR_NOMEM;
    }
    sr_status st = SR_OK;
    c->doc = sr_ydoc_parse(c->text, strlen(c->text), d);
    if (c->doc) import_simgrid_platform(c, d);
    uint64_t canon = 0;
    if (c->doc && sr_ydoc_canonical_hash(c->doc, &canon) == 0) /* the identity ignores comments and formatting */
        snprintf(c->hash, sizeof c->hash, "%016llx", (unsigned long long)canon);
    if (c->doc) {
        parse_sweep(c, d);
        policy_elems(c);
        /* The base document is checked on its own first when the sweep itself is broken. */
        int bad_sweep = 0;
        for (int a = 0; a < c->n_axes; a++)
            if (!c->axes[a].sec || !c->axes[a].values) bad_sweep = 1;
        if (bad_sweep || sr_diag_count(d) > 0) {
            sr_experiment *e = build(c, NULL, 0, -1, d, &c->zoo, NULL, NULL, NULL);
            sr_experiment_free(e);
        } else if (expand(c, d, errf) != 0 && sr_diag_count(d) == 0) {
            st = SR_ERR_NOMEM;
        }
        if (st == SR_OK && sr_diag_count(d) == 0 && c->n_inputs > 0)
            snprintf(c->hash, sizeof c->hash, "%016llx",
                     (unsigned long long)inputs_hash(c, strtoull(c->hash, NULL, 16)));
        if (st == SR_OK && sr_diag_count(d) == 0) {
            sr_experiment *e = build(c, NULL, 0, -1, NULL, NULL, NULL, NULL, NULL);
            if (e && e->name) c->name = strdup(e->name);
            sr_experiment_free(e);
        }
    }
    if (sr_diag_count(d) > 0) {
        sr_diag_print(d, errf);
        st = SR_ERR_PARSE;
    }
    sr_diag_free(d);
    zoo_clear(&c->zoo);
    if (st != SR_OK) {
        sr_config_free(c);
        return st;
    }
    *out = c;
    return SR_OK;
}

sr_status sr_config_load(const char *path, FILE *errf, sr_config **out)
{
    if (!path || !out) return SR_ERR_INVALID;
    *out = NULL;
    if (!errf) errf = stderr;
    uint8_t *data = NULL;
    size_t n = 0;
    sr_status rst = sr_file_read_max(path, SR_EXPERIMENT_MAX_BYTES, &data, &n);
    if (rst != SR_OK) {
        int e = errno;
        char why[160];
        if (rst == SR_ERR_IO)
            fprintf(errf, "%s: error: cannot open: %s\n", path, strerror(e));
        else
            fprintf(errf, "%s: error: cannot read: %s\n", path,
                    sr_file_read_why(rst, e, SR_EXPERIMENT_MAX_BYTES, "an experiment", why, sizeof why));
        return rst;
    }
    char *buf = (char *)data;
    if (strlen(buf) != n) {
        fprintf(errf, "%s: error: the file contains a NUL byte (not a YAML text file)\n", path);
        free(buf);
        return SR_ERR_PARSE;
    }
    sr_status st = sr_config_load_string(path, buf, errf, out);
    free(buf);
    return st;
}

void sr_config_free(sr_config *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_points; i++) {
        free(c->points[i].policy);
        free(c->points[i].params_json);
        free(c->points[i].params_si_json);
    }
    free(c->points);
    free(c->refs);
    for (int i = 0; i < c->n_axes; i++) {
        free(c->axes[i].path);
        free(c->axes[i].elem);
        free(c->axes[i].values);
    }
    free(c->axes);
    for (int i = 0; i < c->n_policies; i++)
        free(c->policy_elem[i]);
    free(c->policy_elem);
    for (int i = 0; i < c->n_inputs; i++)
        free(c->inputs[i]);
    free(c->inputs);
    zoo_clear(&c->zoo);
    sr_ydoc_free(c->doc);
    free(c->name);
    free(c->path);
    free(c->dir);
    free(c->text);
    free(c);
}

const char *sr_config_text(const sr_config *c)
{
    return c ? c->text : NULL;
}

const char *sr_config_hash(const sr_config *c)
{
    return c ? c->hash : NULL;
}

const char *sr_config_name(const sr_config *c)
{
    return c ? c->name : NULL;
}

int sr_config_point_count(const sr_config *c)
{
    return c ? c->n_points : 0;
}

const sr_point *sr_config_point(const sr_config *c, int i)
{
    if (!c || i < 0 || i >= c->n_points) return NULL;
    return &c->points[i];
}

int sr_config_axis_count(const sr_config *c)
{
    return c ? c->n_axes : 0;
}

const char *sr_config_axis(const sr_config *c, int i)
{
    if (!c || i < 0 || i >= c->n_axes) return NULL;
    return c->axes[i].path;
}

int sr_config_replications(const sr_config *c)
{
    return c ? c->replications : 0;
}

sr_status sr_config_experiment(const sr_config *c, int i, sr_experiment **out)
{
    return sr_config_experiment_err(c, i, out, NULL, 0);
}

sr_status sr_config_experiment_err(const sr_config *c, int i, sr_experiment **out, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!c || !out || i < 0 || i >= c->n_points) return SR_ERR_INVALID;
    *out = NULL;
    int *idx = calloc((size_t)c->n_axes + 1, sizeof *idx);
    sr_override *ov = calloc((size_t)c->n_axes + 1, sizeof *ov);
    sr_diag *d = sr_diag_create(c->path, c->text);
    sr_experiment *e = NULL;
    sr_status st = SR_ERR_NOMEM;
    if (!idx || !ov || !d) goto cleanup;
    combo_indices(c, c->refs[i].combo, idx);
    combo_overrides(c, idx, ov);
    zoo_cache zc = {0};
    e = build(c, ov, c->n_axes, c->refs[i].policy, d, &zc, NULL, NULL, NULL);
    zoo_clear(&zc);
    if (!e) goto cleanup;
    if (sr_diag_count(d) > 0) { /* validated at load: only a failed allocation (or a bug) gets here */
        sr_experiment_free(e);
        e = NULL;
        st = SR_ERR_PARSE;
        if (err && err_size > 1) { /* the messages, first line kept; fmemopen writes into err itself */
            FILE *f = fmemopen(err, err_size, "w");
            if (f) {
                sr_diag_print(d, f);
                fclose(f);
                err[err_size - 1] = '\0';
                err[strcspn(err, "\n")] = '\0';
            }
            if (strstr(err, "out of memory")) st = SR_ERR_NOMEM;
        }
        goto cleanup;
    }
    st = SR_OK;
cleanup:
    free(idx);
    free(ov);
    sr_diag_free(d);
    *out = e;
    return st;
}
