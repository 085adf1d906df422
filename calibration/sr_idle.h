/* sr_idle.h: compute after idle, measured on this host.
 *
 * A device that runs one inference per frame sleeps between them, and meanwhile whatever else runs on the
 * machine (the OS, other processes, other tenants of a VM's core) takes its caches and TLB: the next forward
 * reloads weights and activations from memory and is slower than the back-to-back forwards a calibration times.
 * On the machine this was written on, MobileNetV2 took 7.0 ms back to back and 10.3 ms one every 300 ms with two
 * other processes on the cores (`simrun exec mobilenetv2 --repeat 20 --gap 0.3`), 8.7 ms with the machine quiet.
 *
 * sr_idle_measure times a zoo model's forward (the real kernels, sr_exec, single-threaded OpenBLAS) after
 * sleeping g seconds, for each g of a ladder, then n + 1 forwards back to back, the first not counted: the warm
 * time, as the fitted costs were timed (a single forward right after a spaced one is not yet warm on a VM: on the
 * machine this was written on it took 11.3 ms against 7.8 ms in a run of forwards). Rounds interleave the gaps and
 * the warm runs, so drift on a shared machine falls on both. Per gap:
 *   ratio(g) = median time after sleeping g / median warm time
 * and the factors are the least-squares non-decreasing fit of the ratios over the ladder (pool adjacent
 * violators: a longer idle never leaves warmer caches, so a dip is noise), at least 1 (idling cannot speed work
 * up). Medians, because a run's p50 latency is what the emulation checks and a preempted forward is an outlier.
 * The engine multiplies a compute task that starts on an executor idle for g seconds by factor(g)
 * (sim/engine/eng_loop.c): between ladder points the factor is linear in log g, from 1 at g = 0 to the first
 * point linear in g, and beyond the last point it stays at the last point's value. A task that starts while
 * another runs on its executor, or right after one ended, is warm (g = 0). The first task of a run counts as
 * idle for ever (the last point's factor).
 *
 * The same samples give the forwards' spread: the log-deviation of every forward from the median of its group (each
 * gap, and the warm ones), pooled; sigma = their 95th percentile / 1.645, the lognormal whose p95 is the measured
 * one (a MAD-based sigma, robust, ignores the slow tail that a run's p95 latency is made of: 0.016 against 0.07). With it the engine draws
 * each compute task's time as its price x exp(sigma x z), z standard normal from a stream of its own per device
 * (the median stays the price, which is what the factors are: medians), so a run's p95 carries the real spread
 * that a fixed price leaves out.
 *
 * This is a property of a device AND of what else runs on it: calibrate under the background the runs are meant
 * to reproduce. One model's factor stands for every model (a model whose weights stream from memory anyway gains
 * less, one that fits in cache more). */
#ifndef SR_IDLE_H
#define SR_IDLE_H

#include <stdint.h>

#include "sr_status.h"

#define SR_IDLE_MAX_POINTS 8

typedef struct sr_idle_curve {
    int n;                              /* ladder points; 0: no slowdown after idle */
    double gap_s[SR_IDLE_MAX_POINTS];   /* increasing, > 0 */
    double factor[SR_IDLE_MAX_POINTS];  /* >= 1 */
} sr_idle_curve;

typedef struct sr_idle_result {
    sr_idle_curve curve;
    double sigma;                       /* the forwards' lognormal spread (see above) */
    int rounds;
    double warm_s;                      /* median warm forward */
    double spaced_s[SR_IDLE_MAX_POINTS]; /* median forward after each gap */
} sr_idle_result;

/* The slowdown of a task starting after `gap_s` seconds of idle (see above); 1 when c is NULL or empty or
 * gap_s <= 0; the last point's factor when gap_s is infinite. */
double sr_idle_factor(const sr_idle_curve *c, double gap_s);

/* Checks a curve read from a file: n in 0..SR_IDLE_MAX_POINTS, gaps finite, > 0 and increasing, factors finite
 * and >= 1. 0 when valid, else -1 with the reason in why. */
int sr_idle_curve_check(const sr_idle_curve *c, char *why, size_t why_size);

/* The factors of measured ratio[0..n) (n <= SR_IDLE_MAX_POINTS): their least-squares non-decreasing fit (pool
 * adjacent violators), each at least 1, into factor[0..n). */
void sr_idle_monotone(const double *ratio, int n, double *factor);

/* The robust lognormal sigma of samples x[0..n) (all > 0) around their median: 1.4826 x median |log(x / median)|.
 * Sorts a copy; 0 when n < 2. Adds each log-deviation to dev[*n_dev] when dev is not NULL. */
double sr_idle_log_spread(const double *x, int n, double *dev, int *n_dev);

/* sigma = the 95th percentile (linear interpolation) of log-deviations dev[0..n) / 1.645; sorts dev; 0 when n < 2
 * or the percentile is not above 0. */
double sr_idle_sigma_q95(double *dev, int n);

/* Measures `model` (a zoo name at its default input) over the n gaps (each > 0, increasing, n <= the maximum),
 * `rounds` rounds (>= 1). The calling thread runs the forwards (pin it for a steady measurement). */
sr_status sr_idle_measure(const char *model, const double *gaps_s, int n, int rounds, uint64_t seed,
                          sr_idle_result *out, char *err, size_t err_size);

#endif
