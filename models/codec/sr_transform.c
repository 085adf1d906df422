/* sr_transform.c: block / whole-map DCT-II and the KLT across channels (see sr_transform.h). */
#include "sr_transform.h"

#include <gsl/gsl_eigen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Orthonormal DCT-II matrix of size n (row k = frequency k). Caller frees. */
static double *dct_matrix(int n)
{
    double *d = malloc((size_t)n * (size_t)n * sizeof *d);
    if (!d)
        return NULL;
    for (int k = 0; k < n; k++) {
        double a = k == 0 ? sqrt(1.0 / n) : sqrt(2.0 / n);
        for (int i = 0; i < n; i++)
            d[(size_t)k * (size_t)n + (size_t)i] = a * cos(M_PI * (2 * i + 1) * k / (2.0 * n));
    }
    return d;
}

/* Applies D (inverse = 0) or D^T to `len` values spaced `stride` apart, through scratch t. */
static void apply_1d(const double *d, int n, int inverse, float *v, size_t stride, double *t)
{
    for (int k = 0; k < n; k++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double m = inverse ? d[(size_t)i * (size_t)n + (size_t)k] : d[(size_t)k * (size_t)n + (size_t)i];
            s += m * v[(size_t)i * stride];
        }
        t[k] = s;
    }
    for (int k = 0; k < n; k++)
        v[(size_t)k * stride] = (float)t[k];
}

sr_status sr_dct2d(const float *in, int c, int h, int w, int block, int inverse, float *out)
{
    if (c < 1 || h < 1 || w < 1 || block < 0)
        return SR_ERR_INVALID;
    int bh = block ? (block < h ? block : h) : h, bw = block ? (block < w ? block : w) : w;
    int rh = h % bh, rw = w % bw;
    double *dh = dct_matrix(bh), *dw = dct_matrix(bw);
    double *dhr = rh ? dct_matrix(rh) : NULL, *dwr = rw ? dct_matrix(rw) : NULL;
    double *t = malloc((size_t)(h > w ? h : w) * sizeof *t);
    sr_status st = SR_OK;
    if (!dh || !dw || (rh && !dhr) || (rw && !dwr) || !t) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    memcpy(out, in, (size_t)c * (size_t)h * (size_t)w * sizeof *out);
    for (int ch = 0; ch < c; ch++) {
        float *p = out + (size_t)ch * (size_t)h * (size_t)w;
        for (int y0 = 0; y0 < h; y0 += bh) {
            int nh = y0 + bh <= h ? bh : rh;
            const double *mh = nh == bh ? dh : dhr;
            for (int x0 = 0; x0 < w; x0 += bw) {
                int nw = x0 + bw <= w ? bw : rw;
                const double *mw = nw == bw ? dw : dwr;
                float *b = p + (size_t)y0 * (size_t)w + (size_t)x0;
                /* separable: the order of rows and columns does not matter in exact arithmetic */
                for (int r = 0; r < nh; r++)
                    apply_1d(mw, nw, inverse, b + (size_t)r * (size_t)w, 1, t);
                for (int q = 0; q < nw; q++)
                    apply_1d(mh, nh, inverse, b + q, (size_t)w, t);
            }
        }
    }
cleanup:
    free(dh), free(dw), free(dhr), free(dwr), free(t);
    return st;
}

sr_status sr_klt_fit(const float *x, int c, size_t m, int k, float *mean, float *basis)
{
    if (c < 1 || k < 1 || k > c || m == 0)
        return SR_ERR_INVALID;
    sr_status st = SR_OK;
    double *mu = calloc((size_t)c, sizeof *mu);
    double *row = malloc((size_t)c * sizeof *row);
    gsl_matrix *cov = gsl_matrix_calloc((size_t)c, (size_t)c);
    gsl_matrix *evec = gsl_matrix_alloc((size_t)c, (size_t)c);
    gsl_vector *eval = gsl_vector_alloc((size_t)c);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc((size_t)c);
    if (!mu || !row || !cov || !evec || !eval || !ws) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    for (int i = 0; i < c; i++) {
        const float *xi = x + (size_t)i * m;
        double s = 0;
        for (size_t p = 0; p < m; p++)
            s += xi[p];
        mu[i] = s / (double)m;
        mean[i] = (float)mu[i];
    }
    /* covariance of the float means actually sent, so the decoder's mean matches */
    for (int i = 0; i < c; i++) {
        const float *xi = x + (size_t)i * m;
        for (int j = 0; j <= i; j++) {
            const float *xj = x + (size_t)j * m;
            double s = 0, mi = mean[i], mj = mean[j];
            for (size_t p = 0; p < m; p++)
                s += (xi[p] - mi) * (xj[p] - mj);
            gsl_matrix_set(cov, (size_t)i, (size_t)j, s / (double)m);
            gsl_matrix_set(cov, (size_t)j, (size_t)i, s / (double)m);
        }
    }
    if (gsl_eigen_symmv(cov, eval, evec, ws) != 0) {
        st = SR_ERR_INVALID;
        goto cleanup;
    }
    gsl_eigen_symmv_sort(eval, evec, GSL_EIGEN_SORT_VAL_DESC);
    for (int j = 0; j < k; j++) {
        size_t arg = 0;
        for (int i = 0; i < c; i++)
            if (fabs(gsl_matrix_get(evec, (size_t)i, (size_t)j)) > fabs(gsl_matrix_get(evec, arg, (size_t)j)))
                arg = (size_t)i;
        double sign = gsl_matrix_get(evec, arg, (size_t)j) < 0 ? -1 : 1;
        for (int i = 0; i < c; i++)
            basis[(size_t)i * (size_t)k + (size_t)j] = (float)(sign * gsl_matrix_get(evec, (size_t)i, (size_t)j));
    }
cleanup:
    free(mu), free(row);
    gsl_matrix_free(cov);
    gsl_matrix_free(evec);
    gsl_vector_free(eval);
    if (ws)
        gsl_eigen_symmv_free(ws);
    return st;
}

void sr_klt_forward(const float *x, int c, size_t m, const float *mean, const float *basis, int k, float *y)
{
    memset(y, 0, (size_t)k * m * sizeof *y);
    for (int i = 0; i < c; i++) {
        const float *xi = x + (size_t)i * m;
        float mi = mean ? mean[i] : 0.0f;
        for (int j = 0; j < k; j++) {
            float b = basis[(size_t)i * (size_t)k + (size_t)j];
            float *yj = y + (size_t)j * m;
            for (size_t p = 0; p < m; p++)
                yj[p] += b * (xi[p] - mi);
        }
    }
}

void sr_klt_inverse(const float *y, int c, size_t m, const float *mean, const float *basis, int k, float *x)
{
    for (int i = 0; i < c; i++) {
        float *xi = x + (size_t)i * m;
        float mi = mean ? mean[i] : 0.0f;
        for (size_t p = 0; p < m; p++)
            xi[p] = mi;
        for (int j = 0; j < k; j++) {
            float b = basis[(size_t)i * (size_t)k + (size_t)j];
            const float *yj = y + (size_t)j * m;
            for (size_t p = 0; p < m; p++)
                xi[p] += b * yj[p];
        }
    }
}
