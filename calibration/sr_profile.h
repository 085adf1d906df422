/* sr_profile.h: device profiles, the numbers that price compute on a device.
 *
 * The first implementation is a roofline: a layer takes max(flops / (peak * efficiency),
 * bytes / mem_bw). Every profile says where its numbers come from. Issue 5 adds fitted profiles. */
#ifndef SR_PROFILE_H
#define SR_PROFILE_H

typedef struct sr_profile {
    const char *name;          /* "rpi4" */
    const char *device_class;  /* camera, mcu, iot, fpga, gpu, edge, cloud */
    const char *description;
    double speed_flops;        /* peak fp32 flop/s of one core (or of the whole accelerator, cores = 1) */
    int cores;
    double efficiency;         /* fraction of peak DNN layers reach */
    double mem_bw_Bps;         /* memory bandwidth, bytes/s */
    double power_idle_w, power_busy_w;
    const char *source;
} sr_profile;

int sr_profile_count(void);
const sr_profile *sr_profile_at(int i);            /* NULL when out of range */
const sr_profile *sr_profile_find(const char *name); /* NULL when unknown */

#endif
