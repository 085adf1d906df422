/* sr_stats.h: order statistics the measurements share (calibration's timings, the emulation's forwards). */
#ifndef SR_STATS_H
#define SR_STATS_H

/* qsort comparator of doubles, ascending (NaN not ordered: none expected). */
int sr_cmp_double(const void *a, const void *b);

/* Median of v[0..n) (n >= 1), the mean of the two middle values when n is even; sorts v in place. */
double sr_median(double *v, int n);

#endif
