/* sr_ytree.c: YAML text -> a small read-only tree with 1-based locations, and the diagnostics collector.
 *
 * libfyaml 0.7 does not export node positions, so the tree is built from its event stream, where every
 * event carries a mark. Building our own tree also lets us report duplicate keys where they are, resolve
 * aliases by sharing nodes, and substitute sweep values without copying documents. Sharing makes the tree a
 * graph that readers walk as a tree: an alias inside the node it names (a cycle) is refused, and so is a document
 * whose aliases expand it past SR_YAML_MAX_EXPANDED nodes. libfyaml's own messages (syntax errors) are collected
 * through a silent fy_diag and re-printed in our format. */
#include <libfyaml.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sr_config_internal.h"
#include "sr_file.h"

/* ---- diagnostics ---- */

typedef struct diag_entry {
    int line, col, seq;
    char *msg;
} diag_entry;

/* Messages are kept once each: a mistake seen from every combination of a large sweep is reported once per
 * combination, so duplicates are dropped when they arrive (a hash set of (line, col, message)), and `reported`
 * counts every report (callers compare counts to see whether a step found errors). */
struct sr_diag {
    const char *file, *text;
    diag_entry *e;
    int n, cap;
    int *slot; /* open addressing: entry index + 1, 0 = empty */
    size_t n_slots;
    int reported;
};

sr_diag *sr_diag_create(const char *file, const char *text)
{
    sr_diag *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->file = file;
    d->text = text;
    return d;
}

void sr_diag_free(sr_diag *d)
{
    if (!d) return;
    for (int i = 0; i < d->n; i++)
        free(d->e[i].msg);
    free(d->e);
    free(d->slot);
    free(d);
}

static size_t diag_hash(int line, int col, const char *msg)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)(uint32_t)line << 32 | (uint32_t)col);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return (size_t)(h ^ (h >> 29));
}

/* The slot of (line, col, msg): its entry's, or the empty one where it would go. */
static size_t diag_find(const sr_diag *d, int line, int col, const char *msg)
{
    size_t i = diag_hash(line, col, msg) & (d->n_slots - 1);
    while (d->slot[i]) {
        const diag_entry *x = &d->e[d->slot[i] - 1];
        if (x->line == line && x->col == col && strcmp(x->msg, msg) == 0) break;
        i = (i + 1) & (d->n_slots - 1);
    }
    return i;
}

static int diag_rehash(sr_diag *d)
{
    size_t n = d->n_slots ? 2 * d->n_slots : 64;
    int *ns = calloc(n, sizeof *ns);
    if (!ns) return -1;
    free(d->slot);
    d->slot = ns;
    d->n_slots = n;
    for (int k = 0; k < d->n; k++)
        d->slot[diag_find(d, d->e[k].line, d->e[k].col, d->e[k].msg)] = k + 1;
    return 0;
}

void sr_diag_error(sr_diag *d, int line, int col, const char *fmt, ...)
{
    if (!d) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    d->reported++;
    if ((size_t)(d->n + 1) * 2 > d->n_slots && diag_rehash(d) != 0) return;
    size_t at = diag_find(d, line, col, buf);
    if (d->slot[at]) return; /* seen already */
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 16;
        diag_entry *ne = realloc(d->e, (size_t)cap * sizeof *ne);
        if (!ne) return;
        d->e = ne;
        d->cap = cap;
    }
    char *m = strdup(buf);
    if (!m) return;
    d->e[d->n] = (diag_entry){line, col, d->n, m};
    d->n++;
    d->slot[at] = d->n;
}

int sr_diag_count(const sr_diag *d)
{
    return d ? d->reported : 0;
}

static int entry_cmp(const void *a, const void *b)
{
    const diag_entry *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Writes source line `line` (1-based) and a caret under character column `col`. */
static void print_source(FILE *f, const char *text, int line, int col)
{
    const char *s = text;
    for (int l = 1; l < line && s; l++) {
        s = strchr(s, '\n');
        if (s) s++;
    }
    if (!s) s = "";
    size_t len = strcspn(s, "\r\n");
    fprintf(f, "    %.*s\n    ", (int)len, s);
    /* Step over col-1 characters (UTF-8 aware), keeping tabs so the caret lines up. */
    size_t i = 0;
    for (int c = 1; c < col; c++) {
        if (i < len && s[i] == '\t') {
            fputc('\t', f);
            i++;
            continue;
        }
        fputc(' ', f);
        if (i < len) {
            i++;
            while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
                i++;
        }
    }
    fputs("^\n", f);
}

void sr_diag_print(const sr_diag *d, FILE *f)
{
    if (!d || d->n == 0) return;
    diag_entry *s = malloc((size_t)d->n * sizeof *s);
    if (!s) return;
    memcpy(s, d->e, (size_t)d->n * sizeof *s);
    qsort(s, (size_t)d->n, sizeof *s, entry_cmp);
    for (int i = 0; i < d->n; i++) { /* each message once (duplicates were dropped when reported) */
        if (s[i].line <= 0) {
            fprintf(f, "%s: error: %s\n", d->file, s[i].msg);
            continue;
        }
        fprintf(f, "%s:%d:%d: error: %s\n", d->file, s[i].line, s[i].col, s[i].msg);
        if (d->text) print_source(f, d->text, s[i].line, s[i].col);
    }
    free(s);
}

/* ---- tree ---- */

typedef struct anchor {
    char *name;
    sr_ynode *node;
} anchor;

struct sr_ydoc {
    sr_ynode *root;
    sr_ynode **all; /* every node, for freeing (aliases share nodes) */
    int n_all, cap_all;
    anchor *anchors;
    int n_anchors, cap_anchors;
};

typedef struct builder {
    sr_ydoc *doc;
    struct fy_parser *p;
    sr_diag *diag;
    int failed;
    int depth; /* collections open around the node being built */
    int too_large; /* SR_YAML_MAX_EXPANDED was passed (reported once, at the innermost collection) */
} builder;

/* Deepest nesting of mappings and lists accepted: experiments need a handful of levels, and the builder recurses
 * once per level (70 000 nested '[' overflowed the stack). */
#define SR_YAML_MAX_DEPTH 200
/* Most nodes a document may hold once its aliases are expanded: more than a 64 MiB file can write out plainly
 * ("[1,1,...]" is 2 bytes a node), far less than aliases of aliases reach (ten levels of ten: 10^10 nodes, which
 * the identity hash and the readers would walk for hours). */
#define SR_YAML_MAX_EXPANDED ((uint64_t)1 << 26)

static sr_ynode *new_node(builder *b, sr_yn_type t, const struct fy_mark *m)
{
    sr_ydoc *doc = b->doc;
    if (doc->n_all == doc->cap_all) {
        int cap = doc->cap_all ? 2 * doc->cap_all : 64;
        sr_ynode **na = realloc(doc->all, (size_t)cap * sizeof *na);
        if (!na) return NULL;
        doc->all = na;
        doc->cap_all = cap;
    }
    sr_ynode *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->type = t;
    n->expanded = 1; /* a collection's count is set when it closes */
    n->line = m ? m->line + 1 : 0;
    n->col = m ? m->column + 1 : 0;
    doc->all[doc->n_all++] = n;
    return n;
}

static int push_child(sr_ynode *parent, sr_ynode *key, sr_ynode *val)
{
    if ((parent->n & (parent->n - 1)) == 0) { /* grow at powers of two */
        int cap = parent->n ? 2 * parent->n : 4;
        sr_ynode **nv = realloc(parent->vals, (size_t)cap * sizeof *nv);
        if (!nv) return -1;
        parent->vals = nv;
        if (parent->type == SR_YN_MAP) {
            sr_ynode **nk = realloc(parent->keys, (size_t)cap * sizeof *nk);
            if (!nk) return -1;
            parent->keys = nk;
        }
    }
    if (parent->type == SR_YN_MAP) parent->keys[parent->n] = key;
    parent->vals[parent->n++] = val;
    return 0;
}

static void add_anchor(builder *b, struct fy_token *t, sr_ynode *n)
{
    if (!t || !n) return;
    size_t len;
    const char *s = fy_token_get_text(t, &len);
    if (!s) return;
    sr_ydoc *doc = b->doc;
    if (doc->n_anchors == doc->cap_anchors) {
        int cap = doc->cap_anchors ? 2 * doc->cap_anchors : 8;
        anchor *na = realloc(doc->anchors, (size_t)cap * sizeof *na);
        if (!na) return;
        doc->anchors = na;
        doc->cap_anchors = cap;
    }
    char *name = strndup(s, len);
    if (!name) return;
    doc->anchors[doc->n_anchors++] = (anchor){name, n};
}

/* Builds the node starting with event e (consumed); NULL on error (reported or stream error). */
static sr_ynode *build_node(builder *b, struct fy_event *e);

static sr_ynode *build_collection_in(builder *b, struct fy_event *e);
static int drop_duplicate_keys(builder *b, sr_ynode *n);

static sr_ynode *build_collection(builder *b, struct fy_event *e)
{
    if (b->depth >= SR_YAML_MAX_DEPTH) {
        const struct fy_mark *m = fy_event_start_mark(e);
        sr_diag_error(b->diag, m ? m->line + 1 : 0, m ? m->column + 1 : 0,
                      "mappings and lists nested deeper than %d levels", SR_YAML_MAX_DEPTH);
        b->failed = 1;
        fy_parser_event_free(b->p, e);
        return NULL;
    }
    b->depth++;
    sr_ynode *n = build_collection_in(b, e);
    b->depth--;
    return n;
}

static sr_ynode *build_collection_in(builder *b, struct fy_event *e)
{
    int is_map = e->type == FYET_MAPPING_START;
    sr_ynode *n = new_node(b, is_map ? SR_YN_MAP : SR_YN_SEQ, fy_event_start_mark(e));
    add_anchor(b, is_map ? e->mapping_start.anchor : e->sequence_start.anchor, n);
    fy_parser_event_free(b->p, e);
    if (!n) return NULL;
    n->open = 1;
    for (;;) {
        struct fy_event *c = fy_parser_parse(b->p);
        if (!c) return NULL;
        if (c->type == FYET_MAPPING_END || c->type == FYET_SEQUENCE_END) {
            fy_parser_event_free(b->p, c);
            n->open = 0;
            if (drop_duplicate_keys(b, n) != 0) return NULL;
            /* nodes under n with aliases expanded (the children's counts are final: none is open) */
            uint64_t total = 1;
            for (int i = 0; i < n->n; i++) {
                uint64_t k = (n->keys ? 1 : 0) + n->vals[i]->expanded;
                total = total > UINT64_MAX - k ? UINT64_MAX : total + k;
            }
            n->expanded = total;
            if (total > SR_YAML_MAX_EXPANDED && !b->too_large) {
                sr_diag_error(b->diag, n->line, n->col,
                              "this %s expands, through its aliases, to %llu%s nodes; simrun reads at most %llu "
                              "(aliases of aliases multiply)",
                              is_map ? "mapping" : "list", (unsigned long long)total,
                              total == UINT64_MAX ? " or more" : "", (unsigned long long)SR_YAML_MAX_EXPANDED);
                b->failed = 1;
                b->too_large = 1;
            }
            return n;
        }
        sr_ynode *key = NULL;
        if (is_map) {
            key = build_node(b, c);
            if (!key) return NULL;
            c = fy_parser_parse(b->p);
            if (!c) return NULL;
        }
        sr_ynode *val = build_node(b, c);
        if (!val) return NULL;
        if (is_map) {
            if (key->type != SR_YN_SCALAR) {
                sr_diag_error(b->diag, key->line, key->col, "mapping keys must be plain words");
                b->failed = 1;
                continue;
            }
        }
        if (push_child(n, key, val) != 0) return NULL;
    }
}

typedef struct key_ref {
    const char *text;
    int i; /* position in the mapping */
} key_ref;

static int cmp_key_ref(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Reports every key of mapping n given twice (at the later one, in document order) and drops it with its value:
 * sorted, so a mapping of a million keys costs n log n, not n^2 (before: a quadratic scan as each key came).
 * Returns -1 when out of memory. */
static int drop_duplicate_keys(builder *b, sr_ynode *n)
{
    if (n->type != SR_YN_MAP || n->n < 2) return 0;
    key_ref *r = malloc((size_t)n->n * sizeof *r);
    int *dups = malloc((size_t)n->n * sizeof *dups);
    if (!r || !dups) {
        free(r), free(dups);
        return -1;
    }
    for (int i = 0; i < n->n; i++)
        r[i] = (key_ref){n->keys[i]->text, i};
    qsort(r, (size_t)n->n, sizeof *r, cmp_key_ref);
    int nd = 0;
    for (int i = 1; i < n->n; i++)
        if (strcmp(r[i].text, r[i - 1].text) == 0) dups[nd++] = r[i].i;
    if (nd) {
        /* the first of each key, for the message: r is sorted by (text, position) */
        int *first = malloc((size_t)n->n * sizeof *first);
        if (!first) {
            free(r), free(dups);
            return -1;
        }
        for (int i = 0, f = 0; i < n->n; i++) {
            if (i == 0 || strcmp(r[i].text, r[i - 1].text) != 0) f = r[i].i;
            first[r[i].i] = f;
        }
        qsort(dups, (size_t)nd, sizeof *dups, cmp_int);
        for (int k = 0; k < nd; k++) {
            const sr_ynode *key = n->keys[dups[k]];
            sr_diag_error(b->diag, key->line, key->col, "duplicate key '%s' (first given at line %d)", key->text,
                          n->keys[first[dups[k]]]->line);
        }
        b->failed = 1;
        free(first);
        int w = 0;
        for (int i = 0, k = 0; i < n->n; i++) {
            if (k < nd && dups[k] == i) {
                k++;
                continue;
            }
            n->keys[w] = n->keys[i];
            n->vals[w++] = n->vals[i];
        }
        n->n = w;
    }
    free(r);
    free(dups);
    return 0;
}

static sr_ynode *build_node(builder *b, struct fy_event *e)
{
    switch (e->type) {
    case FYET_SCALAR: {
        sr_ynode *n = new_node(b, SR_YN_SCALAR, fy_event_start_mark(e));
        if (n) {
            size_t len = 0;
            const char *s = fy_token_get_text(e->scalar.value, &len);
            n->text = strndup(s ? s : "", s ? len : 0);
            int plain = fy_token_scalar_style(e->scalar.value) == FYSS_PLAIN;
            if (n->text && plain &&
                (!n->text[0] || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
                 !strcmp(n->text, "Null") || !strcmp(n->text, "NULL")))
                n->is_null = 1;
            add_anchor(b, e->scalar.anchor, n);
            if (!n->text) n = NULL;
        }
        fy_parser_event_free(b->p, e);
        return n;
    }
    case FYET_ALIAS: {
        size_t len = 0;
        const char *s = fy_token_get_text(e->alias.anchor, &len);
        const struct fy_mark *m = fy_event_start_mark(e);
        sr_ynode *found = NULL;
        for (int i = b->doc->n_anchors - 1; i >= 0 && !found; i--)
            if (s && strlen(b->doc->anchors[i].name) == len && !memcmp(b->doc->anchors[i].name, s, len))
                found = b->doc->anchors[i].node;
        if (found && found->open) { /* "&a [*a]": a node inside itself, which every reader would walk for ever */
            sr_diag_error(b->diag, m ? m->line + 1 : 0, m ? m->column + 1 : 0,
                          "alias '*%.*s' stands for a mapping or list that contains it (a cycle)", (int)len,
                          s ? s : "");
            b->failed = 1;
            found = NULL;
            fy_parser_event_free(b->p, e);
            sr_ynode *n = new_node(b, SR_YN_SCALAR, NULL);
            if (n && !(n->text = strdup(""))) n = NULL;
            return n;
        }
        if (!found) { /* libfyaml reports unknown aliases itself; this is a safety net */
            sr_diag_error(b->diag, m ? m->line + 1 : 0, m ? m->column + 1 : 0, "unknown alias '*%.*s'",
                          (int)len, s ? s : "");
            b->failed = 1;
            found = new_node(b, SR_YN_SCALAR, m);
            if (found) found->text = strdup("");
            if (found && !found->text) found = NULL;
        }
        fy_parser_event_free(b->p, e);
        return found;
    }
    case FYET_MAPPING_START:
    case FYET_SEQUENCE_START:
        return build_collection(b, e);
    default:
        fy_parser_event_free(b->p, e);
        return NULL;
    }
}

static void silent_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag, (void)user, (void)buf, (void)len;
}

sr_ydoc *sr_ydoc_parse(const char *text, size_t len, sr_diag *d)
{
    /* Experiment files are UTF-8. Checked before libfyaml sees them: it loops for ever on some invalid bytes
     * (a '%' directive line holding 0xff, found by fuzz_config). */
    int line = 0, col = 0;
    size_t bad = sr_yaml_text_first_invalid(text, len, &line, &col);
    if (bad < len) {
        if (((unsigned char)text[bad] < 0x20 && text[bad] != '\t') || (unsigned char)text[bad] == 0x7F)
            sr_diag_error(d, line, col, "control character 0x%02x: experiment files are UTF-8 text, which YAML says "
                          "cannot hold it", (unsigned char)text[bad]);
        else if (text[bad] == '\t')
            sr_diag_error(d, line, col, "a tab: simrun's YAML files take spaces (libfyaml crashes on tabs in some places)");
        else
            sr_diag_error(d, line, col, "not valid UTF-8 (byte 0x%02x): experiment files are UTF-8 text",
                          (unsigned char)text[bad]);
        return NULL;
    }
    sr_ydoc *doc = calloc(1, sizeof *doc);
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.output_fn = silent_output;
    dc.colorize = false;
    struct fy_diag *fyd = fy_diag_create(&dc);
    struct fy_parser *p = NULL;
    if (!doc || !fyd) goto fail;
    fy_diag_set_collect_errors(fyd, true);
    struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = fyd};
    p = fy_parser_create(&pc);
    if (!p || fy_parser_set_string(p, text, len) != 0) goto fail;

    builder b = {doc, p, d, 0, 0, 0};
    int docs = 0;
    struct fy_event *e;
    while ((e = fy_parser_parse(p))) {
        if (e->type == FYET_DOCUMENT_START) {
            const struct fy_mark *m = fy_event_start_mark(e);
            if (++docs > 1) {
                sr_diag_error(d, m ? m->line + 1 : 0, m ? m->column + 1 : 0,
                              "only one YAML document per experiment file");
                b.failed = 1;
            }
            fy_parser_event_free(p, e);
            continue;
        }
        if (e->type == FYET_SCALAR || e->type == FYET_ALIAS || e->type == FYET_MAPPING_START ||
            e->type == FYET_SEQUENCE_START) {
            sr_ynode *n = build_node(&b, e);
            if (!n) break;
            if (!doc->root) doc->root = n;
            continue;
        }
        fy_parser_event_free(p, e);
    }
    int errs = 0;
    void *it = NULL;
    struct fy_diag_error *de;
    while ((de = fy_diag_errors_iterate(fyd, &it))) {
        if (de->type < FYET_ERROR) continue;
        sr_diag_error(d, de->line, de->column, "%s", de->msg ? de->msg : "YAML syntax error");
        errs++;
    }
    if (errs == 0 && fy_parser_get_stream_error(p)) {
        sr_diag_error(d, 0, 0, "YAML syntax error");
        errs++;
    }
    if (errs || b.failed) goto fail;
    if (!doc->root || (doc->root->type == SR_YN_SCALAR && doc->root->is_null)) {
        sr_diag_error(d, 1, 1,
                      "empty experiment file (expected a mapping with name:, platform:, models:, ...)");
        goto fail;
    }
    fy_parser_destroy(p);
    fy_diag_destroy(fyd);
    return doc;
fail:
    if (p) fy_parser_destroy(p);
    if (fyd) fy_diag_destroy(fyd);
    sr_ydoc_free(doc);
    return NULL;
}

void sr_ydoc_free(sr_ydoc *doc)
{
    if (!doc) return;
    for (int i = 0; i < doc->n_all; i++) {
        free(doc->all[i]->text);
        free(doc->all[i]->keys);
        free(doc->all[i]->vals);
        free(doc->all[i]);
    }
    free(doc->all);
    for (int i = 0; i < doc->n_anchors; i++)
        free(doc->anchors[i].name);
    free(doc->anchors);
    free(doc);
}

const sr_ynode *sr_ydoc_root(const sr_ydoc *doc)
{
    return doc ? doc->root : NULL;
}

const sr_ynode *sr_ynode_get(const sr_ynode *map, const char *key)
{
    if (!map || map->type != SR_YN_MAP) return NULL;
    for (int i = 0; i < map->n; i++) /* the first character before the call (hot: every field of every point) */
        if (map->keys[i]->text[0] == key[0] && strcmp(map->keys[i]->text, key) == 0) return map->vals[i];
    return NULL;
}

const char *sr_ynode_type_name(const sr_ynode *n)
{
    if (!n) return "nothing";
    switch (n->type) {
    case SR_YN_SCALAR:
        return n->is_null ? "nothing" : "a single value";
    case SR_YN_MAP:
        return "a mapping";
    case SR_YN_SEQ:
        return "a list";
    }
    return "?";
}

int sr_ydoc_graft(sr_ydoc *doc, const sr_ynode *at, sr_ydoc *from, const sr_ynode *with, int line, int col)
{
    if (!doc || !at || !from || !with) return -1;
    if (doc->n_all + from->n_all > doc->cap_all) {
        int cap = doc->n_all + from->n_all;
        sr_ynode **na = realloc(doc->all, (size_t)cap * sizeof *na);
        if (!na) return -1;
        doc->all = na;
        doc->cap_all = cap;
    }
    for (int i = 0; i < from->n_all; i++) {
        sr_ynode *n = from->all[i];
        n->line = line;
        n->col = col;
        doc->all[doc->n_all++] = n;
    }
    from->n_all = 0;
    sr_ynode *dst = (sr_ynode *)at; /* a node of doc: doc owns it */
    free(dst->text);
    free(dst->keys);
    free(dst->vals);
    *dst = *with;
    dst->line = line;
    dst->col = col;
    sr_ynode *src = (sr_ynode *)with; /* now an empty shell freed with doc */
    src->text = NULL;
    src->keys = NULL;
    src->vals = NULL;
    src->n = 0;
    sr_ydoc_free(from);
    return 0;
}
