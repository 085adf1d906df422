/* eng_baseline.c: the frame-codec baselines of a run (metrics.baseline_frames): each frame source's synthetic
 * video coded with JPEG and H.264 exactly as `simrun codec-table` codes it (sr_codectab_frame_sizes), so that
 * eng_collect can state a split's bytes against the cloud-only JPEG and H.264 frames of the same video
 * (Emmons et al.'s amplification against H.264). The video's seed is the experiment's base seed: the same for
 * every run point and replication, and the one `simrun codec-table --seed` takes. */
#include "eng_internal.h"

#include "sr_codectab.h"

sr_status eng_frame_baselines(const sr_experiment *e, int spec, double *jpeg_bytes, double *h264_bytes, char *err,
                              size_t err_size)
{
    const sr_source_spec *ss = &e->sources[spec];
    *jpeg_bytes = *h264_bytes = 0;
    if (e->metrics.baseline_frames <= 0 || ss->kind != SR_SOURCE_FRAMES) return SR_OK;
    char msg[256] = "";
    double fps = ss->fps > 0 ? ss->fps : 30.0; /* a traced source: the video still needs a frame rate */
    sr_status st = sr_codectab_frame_sizes(ss->width, ss->height, fps, e->metrics.baseline_frames,
                                           e->metrics.baseline_jpeg_quality, e->metrics.baseline_h264_crf, e->seed,
                                           jpeg_bytes, h264_bytes, msg, sizeof msg);
    if (st != SR_OK) ENG_ERR("source '%s': metrics.baseline_frames: %s", ss->name, msg);
    return st;
}
