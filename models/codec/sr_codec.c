/* sr_codec.c: pipeline parsing and the frame bitstream of the activation codecs (see sr_codec.h).
 *
 * Frame layout: magic 0xC5, version 1, frame type (0 key, 1 residual), varint c, h, w; then per stage:
 *   klt:   u8 basis_present; if 1: c means + c*k basis floats (else the last basis, no mean)
 *   quant: varint side-info length + side info; then 1 (or 2 with zrle: runs, values) symbol blocks
 *          written by the entropy coder (bit-packed when none); zrle with rans is one block (sr_zrans)
 *   no quantizer: the (transformed) floats as raw little-endian f32
 * Nothing may follow the last block. */
#include "sr_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_bytes.h"
#include "sr_entropy.h"
#include "sr_quant.h"
#include "sr_transform.h"
#include "sr_zrle.h"

#define MAGIC 0xC5
/* 2: rANS format 3 (16 x 32-bit states) and zero-run + rANS as one block; version 1 frames are refused
 * (SR_ERR_UNSUPPORTED): frames live only inside one run, none is stored. */
#define VERSION 2
#define MAX_DIM (1 << 20)
#define MAX_ELEMS ((size_t)1 << 31)

typedef enum { XF_NONE, XF_DCT, XF_KLT } xf_kind;
typedef enum { ENT_PACK, ENT_HUFF, ENT_RANS, ENT_ZSTD } ent_kind;

typedef struct {
    float *prev; /* reference reconstruction (inter only) */
    int have_prev;
    float *mean, *basis; /* last KLT basis received */
    int have_basis;
} side_state;

struct sr_codec {
    char *name;
    int c, h, w;
    size_t m, n; /* m = h*w, n = c*m */
    int inter, key_interval;
    xf_kind xf;
    int dct_block, klt_k, klt_key_only;
    int has_quant;
    sr_quant_params q;
    int zrle;
    ent_kind ent;
    int zstd_level;
    side_state enc, dec; /* enc mirrors the decoder, driven by the encoder's own output */
    long enc_frames;
    float *key_steps; /* encoder: uniform steps of the last key frame, per quantizer group */
    int have_key_steps;
    int last_key;
    /* scratch */
    float *res, *t, *r, *kmean, *kbasis;
    uint32_t *sym, *runs, *vals;
};

static void set_err(char *err, size_t n, const char *fmt, const char *a)
{
    if (err && n)
        snprintf(err, n, fmt, a);
}

static int parse_int(const char **s, long lo, long hi, long *v)
{
    char *end;
    if (**s < '0' || **s > '9')
        return 0;
    long x = strtol(*s, &end, 10);
    if (x < lo || x > hi)
        return 0;
    *s = end;
    *v = x;
    return 1;
}

static int prefix(const char **s, const char *p)
{
    size_t n = strlen(p);
    if (strncmp(*s, p, n) == 0) {
        *s += n;
        return 1;
    }
    return 0;
}

/* Parses one stage token [s, e) into c; phase ordering is checked by the caller. Returns the phase
 * (0 transform, 1 quantizer, 2 zrle, 3 entropy) or -1. */
static int parse_stage(sr_codec *c, const char *tok)
{
    const char *s = tok;
    long v;
    if (strcmp(s, "raw") == 0) {
        c->xf = XF_NONE;
        return 0;
    }
    if (prefix(&s, "dct")) {
        c->xf = XF_DCT;
        c->dct_block = 0;
        if (*s) {
            if (!parse_int(&s, 2, MAX_DIM, &v))
                return -1;
            c->dct_block = (int)v;
        }
        return *s ? -1 : 0;
    }
    if (prefix(&s, "klt")) {
        c->xf = XF_KLT;
        c->klt_k = c->c;
        if (*s >= '0' && *s <= '9') {
            if (!parse_int(&s, 1, c->c, &v))
                return -1;
            c->klt_k = (int)v;
        }
        if (prefix(&s, ".key"))
            c->klt_key_only = 1;
        return *s ? -1 : 0;
    }
    int kind = prefix(&s, "quant") ? SR_QUANT_UNIFORM
               : prefix(&s, "lloyd") ? SR_QUANT_LLOYD
               : prefix(&s, "mulaw") ? SR_QUANT_MULAW
                                     : -1;
    if (kind >= 0) {
        c->has_quant = 1;
        c->q = (sr_quant_params){.kind = (sr_quant_kind)kind, .mu = 255, .lloyd_iters = 20};
        if (!parse_int(&s, 1, 16, &v))
            return -1;
        c->q.bits = (int)v;
        while (*s) {
            if (prefix(&s, ".pc")) {
                c->q.per_channel = 1;
            } else if (prefix(&s, ".clip")) {
                char *end;
                c->q.clip_pct = strtod(s, &end);
                if (end == s)
                    return -1;
                s = end;
            } else if (prefix(&s, ".mu")) {
                char *end;
                c->q.mu = strtod(s, &end);
                if (end == s)
                    return -1;
                s = end;
            } else {
                return -1;
            }
        }
        return sr_quant_check(&c->q) == SR_OK ? 1 : -1;
    }
    if (strcmp(s, "zrle") == 0) {
        c->zrle = 1;
        return 2;
    }
    if (strcmp(s, "huffman") == 0) {
        c->ent = ENT_HUFF;
        return 3;
    }
    if (strcmp(s, "rans") == 0) {
        c->ent = ENT_RANS;
        return 3;
    }
    if (prefix(&s, "zstd")) {
        c->ent = ENT_ZSTD;
        c->zstd_level = 3;
        if (*s) {
            if (!parse_int(&s, 1, 19, &v) || *s)
                return -1;
            c->zstd_level = (int)v;
        }
        return 3;
    }
    return -1;
}

static sr_status parse_chain(sr_codec *c, const char *chain, char *err, size_t err_size)
{
    char *buf = strdup(chain);
    if (!buf)
        return SR_ERR_NOMEM;
    int phase = -1;
    sr_status st = SR_OK;
    char *save = NULL;
    if (*chain == '\0' || chain[strlen(chain) - 1] == '+' || strstr(chain, "++")) {
        set_err(err, err_size, "codec pipeline '%s': empty stage", chain);
        st = SR_ERR_INVALID;
    }
    for (char *tok = strtok_r(buf, "+", &save); tok && st == SR_OK; tok = strtok_r(NULL, "+", &save)) {
        int p = parse_stage(c, tok);
        if (p < 0) {
            set_err(err, err_size, "codec pipeline: unknown or malformed stage '%s' (expected raw, dct[B], klt[K][.key], "
                    "quant<b>[.pc][.clip<P>], lloyd<b>[.pc], mulaw<b>[.pc][.mu<M>], zrle, huffman, rans, zstd[L])", tok);
            st = SR_ERR_INVALID;
        } else if (p <= phase) {
            set_err(err, err_size, "codec pipeline: stage '%s' is repeated or out of order "
                    "(order: transform, quantizer, zrle, entropy coder)", tok);
            st = SR_ERR_INVALID;
        } else if (p >= 2 && !c->has_quant) {
            set_err(err, err_size, "codec pipeline: stage '%s' needs a quantizer before it", tok);
            st = SR_ERR_INVALID;
        }
        phase = p;
    }
    free(buf);
    return st;
}

sr_status sr_codec_create(const char *pipeline, int c, int h, int w, sr_codec **out, char *err, size_t err_size)
{
    *out = NULL;
    if (!pipeline) {
        set_err(err, err_size, "codec pipeline: %s", "missing name");
        return SR_ERR_INVALID;
    }
    if (c < 1 || h < 1 || w < 1 || c > MAX_DIM || h > MAX_DIM || w > MAX_DIM ||
        (size_t)c * (size_t)h * (size_t)w > MAX_ELEMS) {
        set_err(err, err_size, "codec '%s': tensor shape out of range", pipeline);
        return SR_ERR_INVALID;
    }
    sr_codec *k = calloc(1, sizeof *k);
    if (!k)
        return SR_ERR_NOMEM;
    k->c = c, k->h = h, k->w = w;
    k->m = (size_t)h * (size_t)w;
    k->n = (size_t)c * k->m;
    k->name = strdup(pipeline);
    sr_status st = k->name ? SR_OK : SR_ERR_NOMEM;
    if (st == SR_OK && strncmp(pipeline, "inter(", 6) == 0) {
        const char *kk = strstr(pipeline, ",key=");
        size_t len = strlen(pipeline);
        long key;
        const char *s = kk ? kk + 5 : NULL;
        if (!kk || pipeline[len - 1] != ')' || !parse_int(&s, 1, 1000000, &key) || s != pipeline + len - 1) {
            set_err(err, err_size, "codec pipeline '%s': expected inter(<pipeline>,key=<K>)", pipeline);
            st = SR_ERR_INVALID;
        } else {
            char *inner = strndup(pipeline + 6, (size_t)(kk - pipeline - 6));
            k->inter = 1;
            k->key_interval = (int)key;
            st = inner ? parse_chain(k, inner, err, err_size) : SR_ERR_NOMEM;
            free(inner);
        }
    } else if (st == SR_OK) {
        st = parse_chain(k, pipeline, err, err_size);
    }
    if (st == SR_OK && k->klt_key_only && !k->inter)
        k->klt_key_only = 0; /* every frame is a key frame */
    if (st == SR_OK) {
        size_t n = k->n, kb = (size_t)c * (size_t)(k->klt_k ? k->klt_k : 1);
        k->res = malloc(n * sizeof(float));
        k->t = malloc(n * sizeof(float));
        k->r = malloc(n * sizeof(float));
        k->sym = malloc(n * sizeof(uint32_t));
        k->runs = k->zrle ? malloc((n + 1) * sizeof(uint32_t)) : NULL;
        k->vals = k->zrle ? malloc(n * sizeof(uint32_t)) : NULL;
        k->kmean = malloc((size_t)c * sizeof(float));
        k->key_steps = malloc((size_t)c * sizeof(float));
        k->kbasis = malloc(kb * sizeof(float));
        k->enc.mean = malloc((size_t)c * sizeof(float));
        k->enc.basis = malloc(kb * sizeof(float));
        k->dec.mean = malloc((size_t)c * sizeof(float));
        k->dec.basis = malloc(kb * sizeof(float));
        k->enc.prev = k->inter ? malloc(n * sizeof(float)) : NULL;
        k->dec.prev = k->inter ? malloc(n * sizeof(float)) : NULL;
        if (!k->res || !k->t || !k->r || !k->sym || (k->zrle && (!k->runs || !k->vals)) || !k->kmean || !k->key_steps ||
            !k->kbasis || !k->enc.mean || !k->enc.basis || !k->dec.mean || !k->dec.basis ||
            (k->inter && (!k->enc.prev || !k->dec.prev)))
            st = SR_ERR_NOMEM;
    }
    if (st) {
        sr_codec_free(k);
        return st;
    }
    *out = k;
    return SR_OK;
}

void sr_codec_free(sr_codec *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->res), free(c->t), free(c->r), free(c->sym), free(c->runs), free(c->vals);
    free(c->kmean), free(c->kbasis), free(c->key_steps);
    free(c->enc.prev), free(c->enc.mean), free(c->enc.basis);
    free(c->dec.prev), free(c->dec.mean), free(c->dec.basis);
    free(c);
}

static int out_channels(const sr_codec *c) { return c->xf == XF_KLT ? c->klt_k : c->c; }

static sr_status ent_encode(const sr_codec *c, const uint32_t *s, size_t n, sr_wbuf *out)
{
    switch (c->ent) {
    case ENT_PACK:
        return sr_bitpack_encode(s, n, out);
    case ENT_HUFF:
        return sr_huff_encode(s, n, out);
    case ENT_RANS:
        return sr_rans_encode(s, n, out);
    case ENT_ZSTD:
        return sr_zstd_encode(s, n, c->zstd_level, out);
    }
    return SR_ERR_INVALID;
}

static sr_status ent_decode(const sr_codec *c, sr_rbuf *in, uint32_t *s, size_t cap, size_t *n)
{
    switch (c->ent) {
    case ENT_PACK:
        return sr_bitpack_decode(in, s, cap, n);
    case ENT_HUFF:
        return sr_huff_decode(in, s, cap, n);
    case ENT_RANS:
        return sr_rans_decode(in, s, cap, n);
    case ENT_ZSTD:
        return sr_zstd_decode(in, s, cap, n);
    }
    return SR_ERR_INVALID;
}

/* Decodes one frame with side state S into y (c->n floats); commits S only on success. */
static sr_status decode_frame(sr_codec *c, side_state *S, const uint8_t *bytes, size_t n_bytes, float *y)
{
    sr_rbuf in;
    sr_rbuf_init(&in, bytes, n_bytes);
    uint8_t magic, ver, type;
    uint64_t cc, hh, ww;
    if (sr_rbuf_u8(&in, &magic) || magic != MAGIC || sr_rbuf_u8(&in, &ver)) return SR_ERR_CORRUPT;
    if (ver != VERSION) return ver < VERSION ? SR_ERR_UNSUPPORTED : SR_ERR_CORRUPT;
    if (sr_rbuf_u8(&in, &type) || type > 1 || sr_rbuf_varint(&in, &cc) || sr_rbuf_varint(&in, &hh) ||
        sr_rbuf_varint(&in, &ww))
        return SR_ERR_CORRUPT;
    if (cc != (uint64_t)c->c || hh != (uint64_t)c->h || ww != (uint64_t)c->w)
        return SR_ERR_SHAPE;
    if (type == 1 && (!c->inter || !S->have_prev))
        return SR_ERR_CORRUPT;
    int kc = out_channels(c);
    size_t nt = (size_t)kc * c->m;
    int basis_sent = 0;
    if (c->xf == XF_KLT) {
        uint8_t flag;
        if (sr_rbuf_u8(&in, &flag) || flag > 1 || (flag == 0 && !S->have_basis))
            return SR_ERR_CORRUPT;
        basis_sent = flag;
        for (int i = 0; flag && i < c->c; i++)
            if (sr_rbuf_f32(&in, &c->kmean[i]))
                return SR_ERR_CORRUPT;
        for (size_t i = 0; flag && i < (size_t)c->c * (size_t)kc; i++)
            if (sr_rbuf_f32(&in, &c->kbasis[i]))
                return SR_ERR_CORRUPT;
    }
    sr_status st;
    if (c->has_quant) {
        uint64_t side_len;
        const uint8_t *side_p;
        if (sr_rbuf_varint_max(&in, sr_rbuf_left(&in), &side_len) || sr_rbuf_view(&in, (size_t)side_len, &side_p))
            return SR_ERR_CORRUPT;
        size_t got;
        if (c->zrle && c->ent == ENT_RANS) {
            if ((st = sr_zrans_decode(&in, c->sym, nt, &got))) return st;
            if (got != nt) return SR_ERR_CORRUPT;
        } else if (c->zrle) {
            size_t nr, nv;
            if ((st = ent_decode(c, &in, c->runs, nt + 1, &nr)) || (st = ent_decode(c, &in, c->vals, nt, &nv)))
                return st;
            if ((st = sr_zrle_join(c->runs, nr, c->vals, nv, c->sym, nt)))
                return st;
        } else {
            if ((st = ent_decode(c, &in, c->sym, nt, &got)))
                return st;
            if (got != nt)
                return SR_ERR_CORRUPT;
        }
        sr_rbuf side;
        sr_rbuf_init(&side, side_p, (size_t)side_len);
        if ((st = sr_quant_decode(&c->q, &side, c->sym, kc, c->m, c->t)))
            return st == SR_ERR_NOMEM ? st : SR_ERR_CORRUPT;
        if (sr_rbuf_left(&side))
            return SR_ERR_CORRUPT;
    } else {
        const uint8_t *p;
        if (sr_rbuf_view(&in, nt * 4, &p))
            return SR_ERR_CORRUPT;
        for (size_t i = 0; i < nt; i++) {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                         (uint32_t)p[4 * i + 3] << 24;
            memcpy(&c->t[i], &u, 4);
        }
    }
    if (sr_rbuf_left(&in))
        return SR_ERR_CORRUPT;
    /* inverse transform into r */
    switch (c->xf) {
    case XF_NONE:
        memcpy(c->r, c->t, c->n * sizeof(float));
        break;
    case XF_DCT:
        if ((st = sr_dct2d(c->t, c->c, c->h, c->w, c->dct_block, 1, c->r)))
            return st;
        break;
    case XF_KLT:
        if (basis_sent)
            sr_klt_inverse(c->t, c->c, c->m, c->kmean, c->kbasis, kc, c->r);
        else
            sr_klt_inverse(c->t, c->c, c->m, NULL, S->basis, kc, c->r);
        break;
    }
    if (type == 1)
        for (size_t i = 0; i < c->n; i++)
            y[i] = S->prev[i] + c->r[i];
    else
        memcpy(y, c->r, c->n * sizeof(float));
    /* commit */
    if (c->inter) {
        if (S->prev != y)
            memcpy(S->prev, y, c->n * sizeof(float));
        S->have_prev = 1;
    }
    if (basis_sent) {
        memcpy(S->mean, c->kmean, (size_t)c->c * sizeof(float));
        memcpy(S->basis, c->kbasis, (size_t)c->c * (size_t)kc * sizeof(float));
        S->have_basis = 1;
    }
    return SR_OK;
}

sr_status sr_codec_encode(sr_codec *c, const float *x, uint8_t **bytes, size_t *n_bytes)
{
    *bytes = NULL;
    *n_bytes = 0;
    int key = !c->inter || !c->enc.have_prev || c->enc_frames % c->key_interval == 0;
    const float *src = x;
    if (!key) {
        for (size_t i = 0; i < c->n; i++)
            c->res[i] = x[i] - c->enc.prev[i];
        src = c->res;
    }
    sr_wbuf out;
    sr_wbuf_init(&out);
    sr_wbuf_u8(&out, MAGIC);
    sr_wbuf_u8(&out, VERSION);
    sr_wbuf_u8(&out, key ? 0 : 1);
    sr_wbuf_varint(&out, (uint64_t)c->c);
    sr_wbuf_varint(&out, (uint64_t)c->h);
    sr_wbuf_varint(&out, (uint64_t)c->w);
    int kc = out_channels(c);
    size_t nt = (size_t)kc * c->m;
    sr_status st = SR_OK;
    switch (c->xf) {
    case XF_NONE:
        memcpy(c->t, src, c->n * sizeof(float));
        break;
    case XF_DCT:
        st = sr_dct2d(src, c->c, c->h, c->w, c->dct_block, 0, c->t);
        break;
    case XF_KLT: {
        int send = !c->klt_key_only || key || !c->enc.have_basis;
        sr_wbuf_u8(&out, (uint8_t)send);
        if (send) {
            st = sr_klt_fit(src, c->c, c->m, kc, c->kmean, c->kbasis);
            for (int i = 0; st == SR_OK && i < c->c; i++)
                sr_wbuf_f32(&out, c->kmean[i]);
            for (size_t i = 0; st == SR_OK && i < (size_t)c->c * (size_t)kc; i++)
                sr_wbuf_f32(&out, c->kbasis[i]);
            if (st == SR_OK)
                sr_klt_forward(src, c->c, c->m, c->kmean, c->kbasis, kc, c->t);
        } else {
            sr_klt_forward(src, c->c, c->m, NULL, c->enc.basis, kc, c->t);
        }
        break;
    }
    }
    if (st == SR_OK && c->has_quant) {
        sr_wbuf side;
        sr_wbuf_init(&side);
        /* residual frames keep the key frame's absolute step (uniform quantizer) */
        sr_quant_params qp = c->q;
        qp.fixed_step = (!key && c->have_key_steps && qp.kind == SR_QUANT_UNIFORM) ? c->key_steps : NULL;
        st = sr_quant_encode(&qp, c->t, kc, c->m, c->sym, &side, key ? c->key_steps : NULL);
        if (st == SR_OK && key)
            c->have_key_steps = 1;
        if (st == SR_OK) {
            sr_wbuf_varint(&out, side.len);
            sr_wbuf_put(&out, side.data, side.len);
        }
        sr_wbuf_free(&side);
        if (st == SR_OK && c->zrle && c->ent == ENT_RANS) {
            st = sr_zrans_encode(c->sym, nt, &out);
        } else if (st == SR_OK && c->zrle) {
            size_t nr, nv;
            sr_zrle_split(c->sym, nt, c->runs, &nr, c->vals, &nv);
            st = ent_encode(c, c->runs, nr, &out);
            if (st == SR_OK)
                st = ent_encode(c, c->vals, nv, &out);
        } else if (st == SR_OK) {
            st = ent_encode(c, c->sym, nt, &out);
        }
    } else if (st == SR_OK) {
        uint8_t *p = sr_wbuf_reserve(&out, nt * 4);
        if (p) {
            for (size_t i = 0; i < nt; i++) {
                uint32_t u;
                memcpy(&u, &c->t[i], 4);
                p[4 * i] = (uint8_t)u, p[4 * i + 1] = (uint8_t)(u >> 8), p[4 * i + 2] = (uint8_t)(u >> 16),
                p[4 * i + 3] = (uint8_t)(u >> 24);
            }
            out.len += nt * 4;
        }
    }
    if (st == SR_OK)
        st = sr_wbuf_status(&out);
    if (st == SR_OK && (c->inter || c->klt_key_only)) {
        /* keep the encoder's reference identical to the decoder's: decode our own frame */
        st = decode_frame(c, &c->enc, out.data, out.len, c->res);
        if (st != SR_OK)
            st = st == SR_ERR_NOMEM ? st : SR_ERR_INVALID; /* e.g. non-finite input */
    }
    if (st) {
        sr_wbuf_free(&out);
        return st;
    }
    c->enc_frames++;
    c->last_key = key;
    *bytes = out.data;
    *n_bytes = out.len;
    return SR_OK;
}

sr_status sr_codec_decode(sr_codec *c, const uint8_t *bytes, size_t n_bytes, float *y)
{
    if (!bytes && n_bytes)
        return SR_ERR_INVALID;
    return decode_frame(c, &c->dec, bytes, n_bytes, y);
}

const float *sr_codec_encoder_recon(const sr_codec *c) { return c->inter && c->enc.have_prev ? c->enc.prev : NULL; }

int sr_codec_last_was_key(const sr_codec *c) { return c->last_key; }

void sr_codec_reset(sr_codec *c)
{
    c->enc.have_prev = c->dec.have_prev = 0;
    c->enc.have_basis = c->dec.have_basis = 0;
    c->enc_frames = 0;
    c->have_key_steps = 0;
}

const char *sr_codec_name(const sr_codec *c) { return c->name; }

int sr_codec_is_lossless(const sr_codec *c) { return c->xf == XF_NONE && !c->has_quant; }

double sr_metric_snr_db(const float *x, const float *y, size_t n)
{
    double s = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] - y[i];
        s += (double)x[i] * x[i];
        e += d * d;
    }
    if (e == 0)
        return INFINITY;
    return 10.0 * log10(s / e);
}

double sr_metric_max_abs_err(const float *x, const float *y, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)x[i] - y[i]);
        m = d > m ? d : m;
    }
    return m;
}

double sr_metric_rel_l2(const float *x, const float *y, size_t n)
{
    double s = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] - y[i];
        s += (double)x[i] * x[i];
        e += d * d;
    }
    if (s == 0)
        return e == 0 ? 0 : INFINITY;
    return sqrt(e / s);
}
