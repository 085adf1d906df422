/* sr_fit.h: the regressions behind fitted cost models (Neurosurgeon / Zhou et al. HotEdge'19 eq. 1 style).
 *
 * A per-layer-type model predicts a layer's time t from a small feature vector x (x[0] = 1, the
 * intercept; the others are counts such as MACs or elements moved). Two forms:
 *   linear      t = sum_j b_j x_j, fitted by least squares on the relative error (weights 1/t^2, so small
 *               and large layers count alike), gsl_multifit_wlinear;
 *   log-linear  ln t = b_0 + sum_{j>=1} b_j ln(max(x_j, 1)), i.e. t = e^b0 prod x_j^b_j (a power law),
 *               ordinary least squares in log space, gsl_multifit_linear.
 * R^2 is always reported on t itself (1 - SS_res / SS_tot), whatever the form. */
#ifndef SR_FIT_H
#define SR_FIT_H

#include "sr_status.h"

#define SR_FIT_MAX_COEF 6

typedef enum { SR_FIT_LINEAR, SR_FIT_LOGLINEAR, SR_FIT_FORM_COUNT } sr_fit_form;

/* "linear", "loglinear"; "?" outside the enum. */
const char *sr_fit_form_name(sr_fit_form f);
/* SR_ERR_INVALID for an unknown name. */
sr_status sr_fit_form_parse(const char *s, sr_fit_form *out);

/* Fits y ~ X (n rows of k features, row-major, borrowed) in form f; coef gets k values. n >= k >= 1,
 * 1 <= k <= SR_FIT_MAX_COEF, every y > 0 (SR_ERR_INVALID / SR_ERR_RANGE otherwise). r2 (may be NULL)
 * gets R^2 of the fitted predictions on the training points. */
sr_status sr_fit(sr_fit_form f, const double *X, const double *y, int n, int k, double *coef, double *r2);

/* Prediction of one feature row x (k values) with coefficients coef in form f. Linear predictions are
 * not clamped (callers clamp at 0 when they need a time). */
double sr_fit_predict(sr_fit_form f, const double *coef, const double *x, int k);

/* R^2 = 1 - sum (y - yhat)^2 / sum (y - mean y)^2 over n >= 2 points; 1 when y is constant and matched
 * exactly, -INFINITY when y is constant and not matched. */
double sr_fit_r2(const double *y, const double *yhat, int n);

/* Median (q = 0.5) or other quantile (linear interpolation between order statistics) of n >= 1 values;
 * v is not modified. NAN when n < 1. */
double sr_fit_quantile(const double *v, int n, double q);

/* k-fold cross-validation of form f (folds by index modulo `folds`, deterministic): the median relative
 * error |yhat - y| / y over all held-out points. Needs n >= folds * k; NAN otherwise or on a failed fit. */
double sr_fit_cv_median_rel_err(sr_fit_form f, const double *X, const double *y, int n, int k, int folds);

#endif
