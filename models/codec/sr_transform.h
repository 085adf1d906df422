/* sr_transform.h: decorrelating transforms for activation maps (c channels of h x w, channel-major).
 *
 * DCT: orthonormal 2-D DCT-II per channel, either on blocks (e.g. 8 x 8; edge blocks that do not fit
 * use a DCT of their own smaller size, so the transform stays orthonormal for any h, w) or on the whole
 * map (block = 0). Coefficients stay in place (block layout). Whole-map transforms cost O(h w (h + w))
 * per channel (matrix form, no FFT).
 * KLT: principal components across channels. sr_klt_fit() computes the channel means and the
 * eigenvectors of the c x c covariance (GSL gsl_eigen_symmv), sorted by decreasing eigenvalue, each
 * with its largest-magnitude entry positive (deterministic signs). Keeping k < c components projects. */
#ifndef SR_TRANSFORM_H
#define SR_TRANSFORM_H

#include <stddef.h>

#include "sr_status.h"

/* y = DCT(x) (inverse = 0) or x = IDCT(y) (inverse = 1); block = 0 for the whole map. x and y must not
 * overlap. */
sr_status sr_dct2d(const float *in, int c, int h, int w, int block, int inverse, float *out);

/* mean: c floats; basis: c x k floats, row-major (basis[i * k + j] = component j's weight on channel i).
 * Caller provides both. */
sr_status sr_klt_fit(const float *x, int c, size_t m, int k, float *mean, float *basis);
/* y (k x m) = basis^T (x - mean); with mean NULL no mean is subtracted. */
void sr_klt_forward(const float *x, int c, size_t m, const float *mean, const float *basis, int k, float *y);
/* x (c x m) = basis y + mean; with mean NULL no mean is added. */
void sr_klt_inverse(const float *y, int c, size_t m, const float *mean, const float *basis, int k, float *x);

#endif
