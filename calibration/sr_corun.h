/* sr_corun.h: co-running interference measured on this host (a CPU standing in for In-situ AI's GPU,
 * Fig. 16).
 *
 * Two real kernels from models/dnn run on ONE core (both threads pinned to the CPU the caller runs on):
 *   inference  the zoo AlexNet's five conv layers with their ReLUs and pools on a 227 x 227 image, through
 *              the executor (sr_exec: im2col + OpenBLAS sgemm, single-threaded), the node's inference;
 *   training   LeNet-5's forward + backward pass (sr_tnet_gradients) on a batch of 64 28 x 28 images, in a
 *              loop, standing for the diagnosis / training work that runs beside it.
 * The inference is timed alone and while the training loop runs beside it, in alternating blocks (alone,
 * with, alone, with) so that drift on a shared machine falls on both. Its THREAD CPU time beside the
 * training over its CPU time alone is the interference factor the engine's device key `interference` means
 * (sim/engine/eng_loop.c: a task that starts beside another co-run class does F x its work, on top of
 * sharing the executor):
 *   interference = median CPU time with / median CPU time alone   (cache and TLB pollution of a shared core)
 * The wall-clock ratio (sharing the core plus interference, about 2 x F under a fair scheduler) is reported
 * too. This is a CPU measurement: a GPU's co-running interference (shared SMs, L2, memory bandwidth) may
 * differ. */
#ifndef SR_CORUN_H
#define SR_CORUN_H

#include <stdint.h>

#include "sr_status.h"

typedef struct sr_corun_result {
    int reps;               /* inferences timed per condition */
    int cpu;                /* the core both threads ran on */
    double alone_cpu_s;     /* median thread CPU time of one inference alone */
    double with_cpu_s;      /* ... beside the training loop */
    double alone_wall_s;    /* median wall time alone */
    double with_wall_s;     /* ... beside the training loop */
    double interference;    /* with_cpu_s / alone_cpu_s */
    double wall_ratio;      /* with_wall_s / alone_wall_s */
    int64_t training_steps; /* training batches the loop ran meanwhile (it did run) */
} sr_corun_result;

/* Measures reps inferences per condition (reps >= 2, even: two alternating blocks). seed: the training
 * batch's pixels and labels. SR_ERR_UNSUPPORTED when the threads cannot be pinned to one core (the message
 * says why). */
sr_status sr_corun_measure(int reps, uint64_t seed, sr_corun_result *out, char *err, size_t err_size);

#endif
