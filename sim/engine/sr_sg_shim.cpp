// sr_sg_shim.cpp: extern "C" wrappers of C++-only SimGrid 3.32 calls (see sr_sg_shim.h).
#include "sr_sg_shim.h"

#include <simgrid/s4u/Link.hpp>

extern "C" void sr_sg_link_set_host_wifi_rate(sg_link_t link, sg_host_t host, int level)
{
    link->set_host_wifi_rate(host, level);
}
