/* sr_linkclass.c: default numbers of each link class and where they come from.
 *
 * Values marked "typical" are engineering defaults, not measurements: override them in the
 * experiment file when the study depends on them. */
#include "sr_linkclass.h"

#include <string.h>

static const sr_link_class classes[] = {
    {"rdma", 100e9, 1e-6, "fatpipe", "RDMA NIC (InfiniBand EDR / RoCE 100GbE)",
     "100 Gb/s EDR InfiniBand line rate; ~1 us one-way verbs latency is typical. Birman et al. 2019 "
     "(shared/seeds/000) cite RDMA transfers at up to 16 GB/s"},
    {"ethernet", 1e9, 100e-6, "shared", "Gigabit Ethernet LAN",
     "IEEE 802.3ab 1000BASE-T line rate; 0.1 ms one-way LAN latency is typical"},
    {"wifi", 18.88e6, 0.0, "wifi", "802.11 cell (SimGrid WIFI sharing; latency must be 0)",
     "Kang et al., Neurosurgeon (ASPLOS'17), measured average Wi-Fi uplink 18.88 Mbps; SimGrid's WIFI "
     "links require zero latency"},
    {"5g", 50e6, 10e-3, "shared", "5G NR access link (uplink)",
     "ITU-R M.2410-0 (2017): 50 Mbit/s uplink user-experienced data rate for eMBB; 10 ms one-way "
     "is typical end-to-end"},
    {"lte", 5.85e6, 50e-3, "shared", "LTE access link (uplink)",
     "Kang et al., Neurosurgeon (ASPLOS'17), measured average LTE uplink 5.85 Mbps; 50 ms one-way is "
     "typical"},
    {"3g", 1.1e6, 100e-3, "shared", "3G access link (uplink)",
     "Kang et al., Neurosurgeon (ASPLOS'17), measured average 3G uplink 1.1 Mbps; 100 ms one-way is "
     "typical"},
    {"ble", 0.2e6, 7.5e-3, "shared", "Bluetooth Low Energy connection (application goodput)",
     "Bluetooth Core Spec 4.2+: 1 Mbit/s PHY, 7.5 ms minimum connection interval; ~0.2 Mbit/s "
     "application goodput is typical"},
    {"serial", 115200.0, 1e-3, "shared", "UART serial line",
     "115200 baud UART, the common default of MCU boards (Rune/Hammer deploys over serial)"},
    {"wan", 100e6, 20e-3, "shared", "Wide-area backhaul to a cloud region",
     "typical: 100 Mbit/s, 20 ms one-way to a nearby cloud region"},
};

int sr_link_class_count(void)
{
    return (int)(sizeof classes / sizeof classes[0]);
}

const sr_link_class *sr_link_class_at(int i)
{
    if (i < 0 || i >= sr_link_class_count()) return NULL;
    return &classes[i];
}

const sr_link_class *sr_link_class_find(const char *name)
{
    for (int i = 0; i < sr_link_class_count(); i++)
        if (strcmp(classes[i].name, name) == 0) return &classes[i];
    return NULL;
}
