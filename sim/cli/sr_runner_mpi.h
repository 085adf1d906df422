/* sr_runner_mpi.h: `mpirun -n K simrun run EXP.yaml` spreads the points of a sweep over K ranks.
 *
 * Rank 0 holds the work queue (the points to run, in sweep order) and is the only process that opens the
 * database. Every rank, rank 0 included, runs a pool of `jobs` worker processes (sr_pool.h: one forked child
 * per point, as SimGrid can be initialised once per process); a rank asks rank 0 for one point per free
 * worker, and sends each finished point back (sr_run_wire bytes), which is also its request for the next.
 * Rank 0 writes every point in one transaction and answers "no more" once the queue is empty. The database
 * therefore holds the same rows as a single-process run.
 *
 * Built only with -DSR_MPI=ON (Open MPI); otherwise simrun refuses to run under mpirun rather than run the
 * whole sweep once per rank. Ctrl-C is not handled specially under MPI (mpirun stops every rank; the points
 * written stay complete, --resume finishes the rest). */
#ifndef SR_RUNNER_MPI_H
#define SR_RUNNER_MPI_H

#include "sr_runner.h"

/* 1 when this process was started by an MPI launcher (mpirun, srun): OMPI_COMM_WORLD_SIZE, PMI_SIZE or
 * PMIX_RANK is set. */
int sr_mpi_launched(void);
/* 1 when simrun was built with MPI support. */
int sr_mpi_available(void);

/* Initialises MPI, runs the points of c over the ranks (see above), finalises MPI. *rank gets this process's
 * rank: only rank 0 fills *stats and returns the run's status (as sr_runner_run); other ranks return SR_OK
 * after their last point (or an error of their own). SR_ERR_UNSUPPORTED without MPI support. */
sr_status sr_runner_mpi_run(const sr_config *c, const sr_runner_opts *opts, sr_runner_stats *stats,
                            int *rank);

#endif
