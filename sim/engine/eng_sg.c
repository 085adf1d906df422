/* eng_sg.c: the engine's SimGrid glue (see eng_internal.h): the platform file written from the topology,
 * SimGrid's configuration (network model, contexts under the sanitizers, logs), the energy plugins, Wi-Fi
 * stations, the callbacks, and the run. SimGrid is initialised once per process. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/plugins/energy.h>
#include <xbt/log.h>

#include "eng_internal.h"
#include "sr_profiles.h"
#include "sr_sg_shim.h"

/* Every WIFI station gets its rate level (C++-only call, through the shim). */
static sr_status attach_stations(engine *eng, char *err, size_t err_size)
{
    for (int h = 0; h < eng->n_hosts; h++) {
        const sr_topo_host *th = sr_topology_host_at(eng->topo, h);
        if (th->cell < 0) continue;
        const sr_topo_link *tl = sr_topology_link_at(eng->topo, sr_topology_cell_link(eng->topo, th->cell));
        sg_link_t l = sg_link_by_name(tl->name);
        if (!l) {
            ENG_ERR("SimGrid did not create WIFI link '%s'", tl->name);
            return SR_ERR_SIM;
        }
        sr_sg_link_set_host_wifi_rate(l, eng->hosts[h].sg, eng->e->devices[th->group].wifi_level);
    }
    return SR_OK;
}

/* LV08 prices TCP (latency x 13.01, bandwidth x 0.97: Velho & Legrand's fit to TCP flows); RDMA is no TCP, so
 * transfers whose route is made of rdma links only take latency + size / bandwidth (sr_sg_shim.h). A route
 * with any other link is a TCP path and keeps the factors. CM02 applies no factors. */
static sr_status exempt_rdma(const engine *eng, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    if (e->net_model != SR_NET_LV08) return SR_OK;
    int n = 0;
    for (int s = 0; s < e->n_links; s++)
        if (e->links[s].type == SR_LINK_RDMA && e->links[s].sharing != SR_SHARING_WIFI) n += e->links[s].count;
    if (n == 0) return SR_OK;
    sg_link_t *v = malloc((size_t)n * sizeof *v);
    if (!v) return SR_ERR_NOMEM;
    int k = 0;
    for (int s = 0; s < e->n_links; s++)
        if (e->links[s].type == SR_LINK_RDMA && e->links[s].sharing != SR_SHARING_WIFI)
            for (int i = 0; i < e->links[s].count; i++)
                v[k++] = sg_link_by_name(e->links[s].instances[i]);
    int rc = sr_sg_exempt_links_from_factors(v, k);
    free(v);
    if (rc != 0) {
        ENG_ERR("SimGrid refused to exempt rdma links from LV08's TCP factors");
        return SR_ERR_SIM;
    }
    return SR_OK;
}

static sr_status write_platform(const engine *eng, char *path, size_t path_size, char *err, size_t err_size)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(path, path_size, "%s/simrun-platform-XXXXXX.xml", dir);
    int fd = mkstemps(path, 4);
    if (fd < 0) {
        ENG_ERR("cannot create the platform file in %s", dir);
        return SR_ERR_IO;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        ENG_ERR("cannot write the platform file %s", path);
        return SR_ERR_IO;
    }
    sr_status st = sr_topology_write_xml(eng->topo, eng->e, f);
    if (fclose(f) != 0 || st != SR_OK) {
        unlink(path);
        ENG_ERR("cannot write the platform file %s", path);
        return SR_ERR_IO;
    }
    return SR_OK;
}

static void init_simgrid(const sr_experiment *e)
{
    const char *log = getenv("SR_LOG");
    xbt_log_control_set(log && *log ? log : "root.thres:critical");
    char *args[8];
    int argc = 0;
    args[argc++] = "simrun";
    if (e->net_model == SR_NET_CM02) {
        args[argc++] = "--cfg=network/model:CM02";
        args[argc++] = "--cfg=network/crosstraffic:0";
        args[argc++] = "--cfg=network/TCP-gamma:0";
    }
    if (getenv("SR_SGCFG_TMP")) args[argc++] = getenv("SR_SGCFG_TMP");
#ifdef SR_SANITIZE
    args[argc++] = "--cfg=contexts/factory:thread";
#endif
    args[argc] = NULL;
    sr_sg_init(&argc, args); /* a worker's terminate handler survives (sr_sg_shim.h) */
}

int eng_needs_link_energy(const sr_experiment *e)
{
    for (int s = 0; s < e->n_links; s++)
        if (e->links[s].sharing != SR_SHARING_WIFI && (e->links[s].power_idle_w > 0 || e->links[s].power_busy_w > 0))
            return 1;
    return 0;
}

sr_status eng_sg_run(engine *eng, char *err, size_t err_size)
{
    char path[4096] = "";
    sr_status st = write_platform(eng, path, sizeof path, err, err_size);
    if (st != SR_OK) return st;
    init_simgrid(eng->e);
    sg_host_energy_plugin_init();
    if (eng_needs_link_energy(eng->e)) sg_link_energy_plugin_init();
    simgrid_load_platform(path);
    unlink(path);
    for (int h = 0; h < eng->n_hosts; h++) {
        const sr_topo_host *th = sr_topology_host_at(eng->topo, h);
        eng->hosts[h].sg = sg_host_by_name(th->name);
        if (!eng->hosts[h].sg) {
            ENG_ERR("SimGrid did not create host '%s'", th->name);
            return SR_ERR_SIM;
        }
    }
    st = attach_stations(eng, err, err_size);
    if (st == SR_OK) st = exempt_rdma(eng, err, err_size);
    if (st != SR_OK) return st;
    st = sr_profiles_apply(eng->e, eng->seed, err, err_size); /* traces and failures (sr_profiles.h) */
    if (st != SR_OK) return st;
    st = eng_pool_setup(eng, err, err_size);
    if (st != SR_OK) return st;
    sr_sg_set_done_callback(eng_activity_done, eng);
    sr_sg_set_host_state_callback(eng_host_state, eng);
    for (int s = 0; s < eng->n_sources; s++)
        eng_source_arm(&eng->sources[s]);
    st = eng_link_events(eng, err, err_size);
    if (st != SR_OK) return st;
    eng_policy_start(eng);
    simgrid_run();
    sr_sg_release_ended();
    sr_sg_set_done_callback(NULL, NULL); /* eng lives on the caller's stack frame */
    sr_sg_set_host_state_callback(NULL, NULL);
    return SR_OK;
}
