/* sr_timeline.h: one run's per-task records (the frame_tasks table) as a Chrome / Perfetto trace.
 *
 * The output is the Trace Event Format's JSON object form ({"traceEvents": [...]}), which chrome://tracing,
 * Perfetto (ui.perfetto.dev) and speedscope open. Times are simulated microseconds.
 * - Process 1 "devices": one track (thread) per device executor; process 2 "transfers": one track per
 *   (sender -> receiver) pair. Tasks that overlap in time on one device or pair go to separate lanes
 *   ("edge0 #1", "edge0 #2"), so slices on one track never overlap.
 * - One complete event (ph "X") per frame_tasks row: name = the task's label, cat = compute | transfer,
 *   ts = start_s, dur = end_s - start_s, args = source, frame, task, bytes, wait_us (start - ready), dst.
 * - One flow per frame with two or more tasks (id = 1, 2, ... in order of (source, frame)): a flow start
 *   (ph "s") on its first task, steps (ph "t") on the middle ones and a flow end (ph "f", "bp": "e") on the
 *   last, in order of start time, each inside its slice, so the viewer draws arrows along the frame's path.
 * - otherData: run id, experiment, policy, params (as text). */
#ifndef SR_TIMELINE_H
#define SR_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

#include "sr_status.h"

/* Writes run run_id of the results database db_path as a trace to out_path ("-" = stdout). Messages go to
 * log (may be NULL). Returns SR_ERR_DB (not a results database), SR_ERR_NOT_FOUND (no such run, or the run
 * has no frame_tasks rows: it ran with metrics.frames false or with a schema-1 simrun), SR_ERR_IO (cannot
 * write out_path; a partly written file is removed). */
sr_status sr_timeline_write(const char *db_path, int64_t run_id, const char *out_path, FILE *log);

#endif
