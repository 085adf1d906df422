/* sr_sg_shim.h: C declarations of the few C++-only SimGrid 3.32 calls simrun needs (sr_sg_shim.cpp).
 * Linking a program that uses it needs the C++ linker (CMake does this for targets linking sr_engine). */
#ifndef SR_SG_SHIM_H
#define SR_SG_SHIM_H

#include <simgrid/forward.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Link::set_host_wifi_rate: attaches station `host` to WIFI link `link` at rate level `level` (index in
 * the link's bandwidth list). Mandatory for every station before the simulation starts. */
void sr_sg_link_set_host_wifi_rate(sg_link_t link, sg_host_t host, int level);

#ifdef __cplusplus
}
#endif

#endif
