/* sr_linkclass.h: the catalogue of link classes and their default bandwidth/latency, with sources.
 *
 * A link in an experiment names a class (`type: lte`); the class gives defaults that the experiment
 * may override. SimGrid has no cellular or BLE model (shared/SIMGRID.md), so these are flow-level
 * links: a bandwidth, a latency and a sharing policy. */
#ifndef SR_LINKCLASS_H
#define SR_LINKCLASS_H

typedef struct sr_link_class {
    const char *name;        /* "lte" */
    double bw_bps;           /* default bandwidth, bits/s (uplink for asymmetric access links) */
    double latency_s;        /* default one-way latency */
    const char *sharing;     /* default sharing policy: "shared", "fatpipe" or "wifi" */
    const char *description;
    const char *source;      /* where the numbers come from */
} sr_link_class;

int sr_link_class_count(void);
const sr_link_class *sr_link_class_at(int i);          /* NULL when out of range */
const sr_link_class *sr_link_class_find(const char *name); /* NULL when unknown */

#endif
