// sr_sg_pool.cpp: flow aggregation on shared bottleneck links (see sr_sg_pool.hpp for the model).
#include "sr_sg_pool.hpp"

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <xbt/config.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {
using simgrid::s4u::Link;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Flow {
    double tag; // the group's V at which the last byte is through
    void* data;
};
struct LaterTag {
    bool operator()(const Flow& a, const Flow& b) const { return a.tag > b.tag; }
};

struct Group {
    double p     = 1.0;  // sharing penalty: the route's latency (+ weight-S terms; 1 when it has none)
    double bound = kInf; // the variable bound CM02 gives each transfer, and FATPIPE links' bandwidths
    double c     = kInf; // smallest bandwidth / weight of the route's SHARED links other than the pooled one
    double w     = 1.0;  // the transfer's weight on the pooled link (1.05 with LV08's cross-traffic)
    int n        = 0;    // transfers moving bytes
    double V = 0.0, t = 0.0, rate = 0.0;
    double key = kInf;   // saturation level cap * p while active
    int slot   = -1;     // index in Pool::active
    std::priority_queue<Flow, std::vector<Flow>, LaterTag> heap;
    double cap() const { return std::min(bound, c / n); }
};

struct Pool {
    Link* W = nullptr;
    std::map<std::vector<const Link*>, int> by_links;
    std::vector<Group> groups;
    std::vector<int> active;
    std::set<std::pair<double, int>> order; // (saturation level, group) of the active groups
    simgrid::kernel::timer::Timer* timer = nullptr;
    bool solving = false; // inside end(): joins wait for the final reschedule
};

std::unordered_map<const Link*, std::unique_ptr<Pool>> g_pools;
// the network model's constants (sr_pool::configure): CM02 under simrun's cm02, LV08's under lv08
double g_lat_factor = 1.0, g_bw_factor = 1.0, g_weight_s = 0.0, g_gamma = 0.0;
bool g_crosstraffic = false;

double now_s()
{
    return simgrid::s4u::Engine::get_clock();
}

void advance(Pool& pl, double now)
{
    for (int gi : pl.active) {
        Group& g = pl.groups[gi];
        if (now > g.t) g.V += g.rate * g_bw_factor * (now - g.t); // progress = value x bandwidth factor
        g.t = now;
    }
}

// Max-min over W and the groups (sr_sg_pool.hpp): sets every active group's rate.
void solve(Pool& pl)
{
    double C     = pl.W->get_bandwidth();
    double sum_w = 0.0; // Σ n w / p of the groups not (yet) saturated (w: weight on W)
    for (int gi : pl.active)
        sum_w += pl.groups[gi].n * pl.groups[gi].w / pl.groups[gi].p;
    double used  = 0.0; // Σ n w cap of the saturated ones
    double theta = kInf;
    for (const auto& [level, gi] : pl.order) {
        double th = (C - used) / sum_w;
        if (th <= level) {
            theta = th;
            break;
        }
        const Group& g = pl.groups[gi];
        used += g.n * g.w * g.cap();
        sum_w -= g.n * g.w / g.p;
    }
    for (int gi : pl.active) {
        Group& g = pl.groups[gi];
        g.rate   = std::min(theta / g.p, g.cap());
    }
}

void reschedule(Pool& pl);

void set_n(Pool& pl, int gi, int n)
{
    Group& g = pl.groups[gi];
    if (g.n > 0) pl.order.erase({g.key, gi});
    g.n = n;
    if (n > 0) {
        g.key = g.cap() * g.p;
        pl.order.insert({g.key, gi});
        if (g.slot < 0) {
            g.slot = static_cast<int>(pl.active.size());
            pl.active.push_back(gi);
        }
    } else if (g.slot >= 0) {
        int last                  = pl.active.back();
        pl.active[g.slot]         = last;
        pl.groups[last].slot      = g.slot;
        pl.active.pop_back();
        g.slot = -1;
        g.V    = 0.0; // no transfer holds a tag: restart the counter (keeps it small)
    }
}

// The transfers whose bytes are through at `now` leave; their ends are reported after the pool is consistent
// again (the engine may start new transfers from the callback).
void end(Pool* pl)
{
    pl->timer  = nullptr;
    double now = now_s();
    advance(*pl, now);
    std::vector<void*> done;
    // the transfer that set the date is through up to rounding; ends within a picosecond count as now
    double best_dt = kInf;
    int best       = -1;
    for (int gi : pl->active) {
        const Group& g = pl->groups[gi];
        double dt      = (g.heap.top().tag - g.V) / (g.rate * g_bw_factor);
        if (dt < best_dt) {
            best_dt = dt;
            best    = gi;
        }
    }
    std::vector<int> touched(pl->active.begin(), pl->active.end());
    for (int gi : touched) {
        Group& g = pl->groups[gi];
        int n    = g.n;
        while (!g.heap.empty() && (gi == best || (g.heap.top().tag - g.V) <= g.rate * g_bw_factor * 1e-12)) {
            done.push_back(g.heap.top().data);
            g.heap.pop();
            n--;
            if (gi == best) best = -1; // only its first transfer is forced out
        }
        if (n != g.n) set_n(*pl, gi, n);
    }
    pl->solving = true;
    for (void* d : done)
        sr_sg_report_done(d, 1);
    pl->solving = false;
    reschedule(*pl);
}

void reschedule(Pool& pl)
{
    if (pl.solving) return;
    solve(pl);
    double next = kInf;
    for (int gi : pl.active) {
        const Group& g = pl.groups[gi];
        if (g.heap.empty() || !(g.rate > 0)) continue;
        double dt = (g.heap.top().tag - g.V) / (g.rate * g_bw_factor);
        next      = std::min(next, dt < 0 ? 0.0 : dt);
    }
    if (pl.timer) {
        pl.timer->remove();
        pl.timer = nullptr;
    }
    if (next < kInf) {
        Pool* p  = &pl;
        pl.timer = simgrid::kernel::timer::Timer::set(now_s() + next, [p] { end(p); });
    }
}

void join(Pool* pl, int gi, double bytes, void* data)
{
    double now = now_s();
    advance(*pl, now);
    Group& g = pl->groups[gi];
    if (g.n == 0) g.t = now;
    g.heap.push(Flow{g.V + bytes, data});
    set_n(*pl, gi, g.n + 1);
    reschedule(*pl);
}
} // namespace

namespace sr_pool {
void configure(double lat_factor, double bw_factor, double weight_s, double tcp_gamma, bool crosstraffic)
{
    g_lat_factor  = lat_factor;
    g_bw_factor   = bw_factor;
    g_weight_s    = weight_s;
    g_gamma       = tcp_gamma;
    g_crosstraffic = crosstraffic;
}

void add_link(Link* link)
{
    if (!link || g_pools.count(link)) return;
    auto pl = std::make_unique<Pool>();
    pl->W   = link;
    g_pools.emplace(link, std::move(pl));
}

bool try_start(sg_host_t from, sg_host_t to, double bytes, void* data)
{
    if (g_pools.empty()) return false;
    std::vector<Link*> route;
    double lat = 0.0;
    from->route_to(to, route, &lat);
    Pool* pl = nullptr;
    for (const Link* l : route) {
        auto it = g_pools.find(l);
        if (it != g_pools.end()) pl = it->second.get();
    }
    if (!pl) return false;
    std::vector<Link*> back; // with cross-traffic the flow also loads its back route
    if (g_crosstraffic) to->route_to(from, back, nullptr);
    std::vector<const Link*> key(route.begin(), route.end());
    key.insert(key.end(), back.begin(), back.end());
    std::sort(key.begin(), key.end());
    key.erase(std::unique(key.begin(), key.end()), key.end());
    auto found = pl->by_links.find(key);
    int gi;
    if (found != pl->by_links.end()) {
        gi = found->second;
    } else {
        // network_cm02.cpp (3.32), communicate / comm_action_set_bounds / comm_action_set_variable /
        // comm_action_expand_constraints: penalty = latency (+ weight-S / bandwidth per link) when the route has
        // latency, 1 otherwise; bound = min(smallest bandwidth, TCP-gamma / (2 latency)) with latency, the
        // smallest bandwidth without (lmm ignores a bound <= 0); weight 1 per route link and 0.05 per
        // back-route link with cross-traffic, summed on a SHARED link, the larger on a FATPIPE one
        Group g;
        double bw_min = kInf, pen = lat;
        for (const Link* l : route) {
            bw_min = std::min(bw_min, l->get_bandwidth());
            if (g_weight_s > 0) pen += g_weight_s / l->get_bandwidth();
        }
        g.p      = lat > 0 ? pen : 1.0;
        double b = bw_min;
        if (lat > 0) b = std::min(bw_min, g_gamma / (2.0 * lat));
        g.bound = b > 0 ? b : kInf;
        auto weight = [&route, &back](const Link* l) {
            double on   = std::count(route.begin(), route.end(), l) > 0 ? 1.0 : 0.0;
            double off  = std::count(back.begin(), back.end(), l) > 0 ? 0.05 : 0.0;
            return l->get_sharing_policy() == Link::SharingPolicy::FATPIPE ? std::max(on, off) : on + off;
        };
        for (const Link* l : key) {
            double wl = weight(l);
            if (l == pl->W)
                g.w = wl;
            else if (l->get_sharing_policy() == Link::SharingPolicy::FATPIPE)
                g.bound = std::min(g.bound, l->get_bandwidth() / wl);
            else
                g.c = std::min(g.c, l->get_bandwidth() / wl);
        }
        gi = static_cast<int>(pl->groups.size());
        pl->groups.push_back(std::move(g));
        pl->by_links.emplace(std::move(key), gi);
    }
    double size = static_cast<double>(static_cast<uint64_t>(bytes)); // as sg_host_sendto truncates
    double delay = lat * g_lat_factor; // the flow shares no bandwidth while it pays its latency
    if (delay > 0)
        simgrid::kernel::timer::Timer::set(now_s() + delay, [pl, gi, size, data] { join(pl, gi, size, data); });
    else
        join(pl, gi, size, data);
    return true;
}

void reset()
{
    for (auto& [l, pl] : g_pools)
        if (pl->timer) pl->timer->remove();
    g_pools.clear();
}
} // namespace sr_pool
