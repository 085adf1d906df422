/* sr_fit.c: least-squares fits (linear on relative error, log-linear), R^2, quantiles and k-fold
 * cross-validation for the fitted cost models (see sr_fit.h). Numerics come from GSL's SVD-based
 * truncated-SVD least squares (gsl_multifit_linear_tsvd / gsl_multifit_wlinear_tsvd), which cope with
 * collinear features (minimum-norm solution over the kept singular directions). */
#include "sr_fit.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Relative singular-value cut-off of the truncated SVD (columns are scaled to unit max first). */
#define SR_FIT_RANK_TOL 1e-9

static const char *const form_names[SR_FIT_FORM_COUNT] = {"linear", "loglinear"};

const char *sr_fit_form_name(sr_fit_form f)
{
    return f >= 0 && f < SR_FIT_FORM_COUNT ? form_names[f] : "?";
}

sr_status sr_fit_form_parse(const char *s, sr_fit_form *out)
{
    if (!s || !out) return SR_ERR_INVALID;
    for (int i = 0; i < SR_FIT_FORM_COUNT; i++)
        if (strcmp(s, form_names[i]) == 0) {
            *out = (sr_fit_form)i;
            return SR_OK;
        }
    return SR_ERR_INVALID;
}

static double logfeat(double x)
{
    return log(x > 1.0 ? x : 1.0);
}

double sr_fit_predict(sr_fit_form f, const double *coef, const double *x, int k)
{
    double s = 0.0;
    switch (f) {
    case SR_FIT_LINEAR:
        for (int j = 0; j < k; j++)
            s += coef[j] * x[j];
        return s;
    case SR_FIT_LOGLINEAR:
        s = coef[0];
        for (int j = 1; j < k; j++)
            s += coef[j] * logfeat(x[j]);
        return exp(s);
    case SR_FIT_FORM_COUNT:
        break;
    }
    return NAN;
}

double sr_fit_r2(const double *y, const double *yhat, int n)
{
    if (n < 1) return NAN;
    double mean = 0.0;
    for (int i = 0; i < n; i++)
        mean += y[i];
    mean /= n;
    double ss_res = 0.0, ss_tot = 0.0;
    for (int i = 0; i < n; i++) {
        ss_res += (y[i] - yhat[i]) * (y[i] - yhat[i]);
        ss_tot += (y[i] - mean) * (y[i] - mean);
    }
    if (ss_tot == 0.0) return ss_res == 0.0 ? 1.0 : -INFINITY;
    return 1.0 - ss_res / ss_tot;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sr_fit_quantile(const double *v, int n, double q)
{
    if (n < 1 || !v) return NAN;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) return NAN;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    double pos = q * (n - 1);
    int lo = (int)floor(pos);
    int hi = lo + 1 < n ? lo + 1 : lo;
    double r = s[lo] + (pos - lo) * (s[hi] - s[lo]);
    free(s);
    return r;
}

sr_status sr_fit(sr_fit_form f, const double *X, const double *y, int n, int k, double *coef, double *r2)
{
    if (!X || !y || !coef || f < 0 || f >= SR_FIT_FORM_COUNT) return SR_ERR_INVALID;
    if (k < 1 || k > SR_FIT_MAX_COEF || n < k) return SR_ERR_RANGE;
    for (int i = 0; i < n; i++) {
        if (!(y[i] > 0) || !isfinite(y[i])) return SR_ERR_INVALID;
        for (int j = 0; j < k; j++)
            if (!isfinite(X[(size_t)i * k + j])) return SR_ERR_INVALID;
    }
    sr_status st = SR_OK;
    gsl_matrix *A = gsl_matrix_alloc((size_t)n, (size_t)k);
    gsl_vector *b = gsl_vector_alloc((size_t)n), *w = gsl_vector_alloc((size_t)n);
    gsl_vector *c = gsl_vector_alloc((size_t)k);
    gsl_matrix *cov = gsl_matrix_alloc((size_t)k, (size_t)k);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc((size_t)n, (size_t)k);
    double *yhat = malloc((size_t)n * sizeof *yhat);
    if (!A || !b || !w || !c || !cov || !ws || !yhat) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        const double *x = X + (size_t)i * k;
        for (int j = 0; j < k; j++)
            gsl_matrix_set(A, (size_t)i, (size_t)j, f == SR_FIT_LOGLINEAR && j > 0 ? logfeat(x[j]) : x[j]);
        gsl_vector_set(b, (size_t)i, f == SR_FIT_LOGLINEAR ? log(y[i]) : y[i]);
        gsl_vector_set(w, (size_t)i, 1.0 / (y[i] * y[i]));
    }
    /* Scale columns to unit max so the SVD's rank tolerance sees comparable columns (MACs are ~1e9,
     * the intercept is 1). */
    double scale[SR_FIT_MAX_COEF];
    for (int j = 0; j < k; j++) {
        double m = 0.0;
        for (int i = 0; i < n; i++)
            m = fmax(m, fabs(gsl_matrix_get(A, (size_t)i, (size_t)j)));
        scale[j] = m > 0 ? m : 1.0;
        for (int i = 0; i < n; i++)
            gsl_matrix_set(A, (size_t)i, (size_t)j, gsl_matrix_get(A, (size_t)i, (size_t)j) / scale[j]);
    }
    /* Truncated SVD: directions whose singular value is below SR_FIT_RANK_TOL of the largest are
     * dropped (minimum-norm solution). Without it, exactly collinear features (a depthwise 3x3 layer's
     * MACs are 9 x its outputs) got huge cancelling coefficients from rounding noise (host.yaml had
     * conv_dw = 12322 s/MAC - 110896 s/output), which priced any other kernel size absurdly. */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    double chisq = 0.0;
    size_t rank = 0;
    int rc = f == SR_FIT_LOGLINEAR
                 ? gsl_multifit_linear_tsvd(A, b, SR_FIT_RANK_TOL, c, cov, &chisq, &rank, ws)
                 : gsl_multifit_wlinear_tsvd(A, w, b, SR_FIT_RANK_TOL, c, cov, &chisq, &rank, ws);
    gsl_set_error_handler(old);
    if (rc != GSL_SUCCESS) {
        st = SR_ERR_INVALID;
        goto cleanup;
    }
    for (int j = 0; j < k; j++)
        coef[j] = gsl_vector_get(c, (size_t)j) / scale[j];
    if (r2) {
        for (int i = 0; i < n; i++)
            yhat[i] = sr_fit_predict(f, coef, X + (size_t)i * k, k);
        *r2 = sr_fit_r2(y, yhat, n);
    }
cleanup:
    gsl_matrix_free(A);
    gsl_vector_free(b);
    gsl_vector_free(w);
    gsl_vector_free(c);
    gsl_matrix_free(cov);
    if (ws) gsl_multifit_linear_free(ws);
    free(yhat);
    return st;
}

double sr_fit_cv_median_rel_err(sr_fit_form f, const double *X, const double *y, int n, int k, int folds)
{
    if (!X || !y || folds < 2 || k < 1 || n < folds * k) return NAN;
    double *Xt = malloc((size_t)n * (size_t)k * sizeof *Xt);
    double *yt = malloc((size_t)n * sizeof *yt);
    double *err = malloc((size_t)n * sizeof *err);
    double result = NAN;
    int n_err = 0;
    if (!Xt || !yt || !err) goto cleanup;
    for (int fold = 0; fold < folds; fold++) {
        int nt = 0;
        for (int i = 0; i < n; i++) {
            if (i % folds == fold) continue;
            memcpy(Xt + (size_t)nt * k, X + (size_t)i * k, (size_t)k * sizeof *Xt);
            yt[nt++] = y[i];
        }
        double coef[SR_FIT_MAX_COEF];
        if (sr_fit(f, Xt, yt, nt, k, coef, NULL) != SR_OK) goto cleanup;
        for (int i = fold; i < n; i += folds) {
            double p = fmax(sr_fit_predict(f, coef, X + (size_t)i * k, k), 0.0);
            err[n_err++] = fabs(p - y[i]) / y[i];
        }
    }
    result = sr_fit_quantile(err, n_err, 0.5);
cleanup:
    free(Xt);
    free(yt);
    free(err);
    return result;
}
