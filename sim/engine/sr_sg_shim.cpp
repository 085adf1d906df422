// sr_sg_shim.cpp: extern "C" wrappers of C++-only SimGrid 3.32 calls (see sr_sg_shim.h).
//
// Activities started here are owned by maestro: SimGrid then completes them itself and fires
// Activity::on_completion (in maestro) without an actor waiting. We hold one reference to each such
// activity from its start until after its completion: the s4u object must outlive the kernel's completion
// handling (complete() then post() of the same action), so the reference of an ended activity is dropped
// at the next completion, or by sr_sg_release_ended.
#include "sr_sg_shim.h"
#include "sr_sg_pool.hpp"

#include <simgrid/kernel/ProfileBuilder.hpp>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/kernel/resource/Model.hpp>
#include <simgrid/kernel/resource/NetworkModelIntf.hpp>
#include <simgrid/s4u/Activity.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Exec.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <xbt/config.hpp>

#include <simgrid/engine.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cxxabi.h>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {
sr_sg_done_fn g_done   = nullptr;
void* g_done_user      = nullptr;
bool g_connected       = false;
std::vector<simgrid::s4u::Activity*> g_ended; // completed, reference still held

void release_ended()
{
    for (auto* a : g_ended)
        a->unref();
    g_ended.clear();
}

void on_completion(simgrid::s4u::Activity const& a)
{
    void* data = a.get_data<void>();
    if (data == nullptr) return; // not one of ours
    // the previous ended activities' kernel handling (post) is over: their references can go
    release_ended();
    g_ended.push_back(const_cast<simgrid::s4u::Activity*>(&a));
    if (g_done) g_done(data, a.get_state() == simgrid::s4u::Activity::State::FINISHED ? 1 : 0, g_done_user);
}
} // namespace

extern "C" void sr_sg_link_set_host_wifi_rate(sg_link_t link, sg_host_t host, int level)
{
    link->set_host_wifi_rate(host, level);
}

extern "C" void sr_sg_set_done_callback(sr_sg_done_fn fn, void* user)
{
    g_done      = fn;
    g_done_user = user;
    if (!g_connected) {
        simgrid::s4u::Activity::on_completion_cb(on_completion);
        g_connected = true;
    }
}

extern "C" void sr_sg_exec_start(sg_host_t host, double flops, void* data)
{
    assert(data != nullptr);
    simgrid::s4u::ExecPtr e = simgrid::s4u::Exec::init();
    e->set_flops_amount(flops);
    e->set_host(host);
    e->set_data(data);
    e->start();
    e->add_ref(); // released after its completion
}

namespace {
void prepare_route(sg_host_t from, sg_host_t to, std::vector<simgrid::s4u::Link*>& route);
void release_idle(const std::vector<simgrid::s4u::Link*>& route);
bool fails_at_start(sg_host_t from, sg_host_t to, const std::vector<simgrid::s4u::Link*>& route);
void report_failure_now(void* data);
void track_comm(const simgrid::s4u::Comm* c, sg_host_t from, sg_host_t to, std::vector<simgrid::s4u::Link*>&& route);
} // namespace

extern "C" void sr_sg_sendto_start(sg_host_t from, sg_host_t to, double bytes, void* data)
{
    assert(data != nullptr);
    if (sr_pool::try_start(from, to, bytes, data)) return;
    std::vector<simgrid::s4u::Link*> route; // only computed when links have traces
    prepare_route(from, to, route);
    if (fails_at_start(from, to, route)) {
        release_idle(route);
        report_failure_now(data);
        return;
    }
    // what sg_host_sendto does (Comm::sendto_async: the comm starts once both ends are set), without the wait
    simgrid::s4u::CommPtr c = simgrid::s4u::Comm::sendto_init()
                                  ->set_payload_size(static_cast<uint64_t>(bytes))
                                  ->set_source(from)
                                  ->set_destination(to);
    c->set_data(data);
    c->add_ref(); // released after its completion
    track_comm(c.get(), from, to, std::move(route));
}

void sr_sg_report_done(void* data, int ok)
{
    if (g_done) g_done(data, ok, g_done_user);
}

extern "C" void sr_sg_timer_set(double date_s, void (*fn)(void*), void* arg)
{
    simgrid::kernel::timer::Timer::set(date_s, [fn, arg] { fn(arg); });
}

extern "C" void sr_sg_release_ended(void)
{
    release_ended();
}

namespace {
sr_sg_host_state_fn g_host_state = nullptr;
void* g_host_state_user          = nullptr;
bool g_host_state_connected      = false;
} // namespace

extern "C" void sr_sg_set_host_state_callback(sr_sg_host_state_fn fn, void* user)
{
    g_host_state      = fn;
    g_host_state_user = user;
    if (!g_host_state_connected) {
        simgrid::s4u::Host::on_state_change_cb([](simgrid::s4u::Host const& h) {
            if (g_host_state) g_host_state(const_cast<simgrid::s4u::Host*>(&h), h.is_on() ? 1 : 0, g_host_state_user);
        });
        g_host_state_connected = true;
    }
}
// ---- profiles ----
//
// Hosts: a state profile built with ProfileBuilder::from_callback (exact doubles, no text round trip; dates
// are deltas, a looping pattern is appended again each time it is exhausted).
//
// Links: SimGrid 3.32 refuses profiles on a sealed link (s4u_Link.cpp asserts "Cannot set a ... profile once
// the Link is sealed"), and links loaded from XML are sealed, so a link's signal is replayed with kernel timers
// calling Link::set_bandwidth / set_latency / turn_off / turn_on - what a profile event does
// (NetworkCm02Link::apply_event). Timers would keep the simulation running and move its clock to the end of
// the trace (for ever with a looping one), so a link's timers are armed only while transfers started by
// sr_sg_sendto_start cross it: the first one catches the link's signals up to the current date (before its
// latency, bandwidth and state are read) and arms their next change; when the last one ends, the timers are
// removed. A link's values only act on transfers through it, so nothing is lost while it is disarmed, and the
// cost of a transfer is its route length, whatever the number of traced links.
//
// Rebound (sr_sg_set_rebound): comms started by sr_sg_sendto_start through a link with a bandwidth signal are
// tracked (their kernel Action, found as the newest action of the network model right after the start, and
// their route); Link::on_bandwidth_change re-applies CM02's bound (network_cm02.cpp:
// comm_action_set_bounds + comm_action_set_variable) from the route's current bandwidths and latencies.
// Action::set_bound drops a lazily-updated action from the model's heap; an action still paying its latency
// only comes back through its heap entry, so that entry is put back with its date.

namespace {
using simgrid::kernel::profile::DatedValue;
using simgrid::kernel::resource::Action;
using simgrid::kernel::resource::ActionHeap;
using simgrid::kernel::resource::Model;

struct Tracked {
    Action* action;
    sg_host_t from, to;
    std::vector<simgrid::s4u::Link*> route;
};

int g_profile_seq     = 0;    // profile names must be unique in a process
bool g_rebound        = true;
bool g_track_hosts    = false; // some host has a state profile
bool g_link_states    = false; // some link has a state profile
bool g_tracking_hooks = false;
std::unordered_set<const simgrid::s4u::Link*> g_bw_links, g_lat_links, g_state_links;
std::unordered_set<const simgrid::s4u::Host*> g_state_hosts;
std::unordered_set<const simgrid::s4u::Host*> g_speed_hosts;
std::unordered_map<const void*, Tracked> g_tracked; // key: the comm's ActivityImpl
std::unordered_map<const simgrid::s4u::Link*, std::unordered_set<const void*>> g_by_link;
enum class SignalKind { bandwidth, latency, state };
// The points of a signal, shared by every link given the same one (the instances of a per-device link all
// follow their spec's trace: 100 000 copies of a long trace would dominate the memory of a big run).
struct Pattern {
    std::vector<double> t, v;
    double period;
};
std::unordered_map<uint64_t, std::vector<std::shared_ptr<const Pattern>>> g_patterns; // by content hash

std::shared_ptr<const Pattern> intern_pattern(const double* t, const double* v, int n, double period)
{
    uint64_t h = 14695981039346656037ULL;
    auto mix   = [&h](double x) {
        uint64_t b;
        std::memcpy(&b, &x, sizeof b);
        h = (h ^ b) * 1099511628211ULL;
    };
    for (int i = 0; i < n; i++) {
        mix(t[i]);
        mix(v[i]);
    }
    mix(period);
    auto& bucket = g_patterns[h];
    for (const auto& p : bucket)
        if (p->period == period && p->t.size() == static_cast<size_t>(n) && std::equal(t, t + n, p->t.begin()) &&
            std::equal(v, v + n, p->v.begin()))
            return p;
    auto p = std::make_shared<const Pattern>(Pattern{std::vector<double>(t, t + n), std::vector<double>(v, v + n), period});
    bucket.push_back(p);
    return p;
}

struct LinkSignal {
    simgrid::s4u::Link* link;
    SignalKind kind;
    std::shared_ptr<const Pattern> pat;
    double nominal; // the link's value before the first point
    simgrid::kernel::timer::Timer* timer = nullptr;
};
struct LinkSignals {
    std::vector<std::unique_ptr<LinkSignal>> sigs;
    int active = 0; // tracked transfers through the link
    bool armed = false;
};
std::unordered_map<const simgrid::s4u::Link*, LinkSignals> g_link_sig;

void signal_apply(const LinkSignal& s, double v)
{
    switch (s.kind) {
        case SignalKind::bandwidth:
            if (s.link->get_bandwidth() != v) s.link->set_bandwidth(v);
            break;
        case SignalKind::latency:
            if (s.link->get_latency() != v) s.link->set_latency(v);
            break;
        case SignalKind::state:
            if (v > 0 && !s.link->is_on())
                s.link->turn_on();
            else if (v <= 0 && s.link->is_on())
                s.link->turn_off();
            break;
    }
}

// Arms the timer of point j of pass k (the next pass when j is past the end of a looping pattern).
void signal_schedule(LinkSignal* s, long long k, size_t j)
{
    s->timer = nullptr;
    const Pattern& pt = *s->pat;
    if (j >= pt.t.size()) {
        if (!(pt.period > 0)) return;
        k++;
        j = 0;
    }
    double date = (pt.period > 0 ? static_cast<double>(k) * pt.period : 0.0) + pt.t[j];
    s->timer    = simgrid::kernel::timer::Timer::set(date, [s, k, j] {
        s->timer = nullptr;
        signal_apply(*s, s->pat->v[j]);
        signal_schedule(s, k, j + 1);
    });
}

void signal_catch_up(LinkSignal* s, double now)
{
    long long k = 0;
    double p    = now;
    const Pattern& pt = *s->pat;
    if (pt.period > 0) {
        k = static_cast<long long>(std::floor(now / pt.period));
        p = now - static_cast<double>(k) * pt.period;
    }
    if (p < pt.t[0]) {
        signal_apply(*s, s->nominal);
        signal_schedule(s, k, 0);
        return;
    }
    size_t j = static_cast<size_t>(std::upper_bound(pt.t.begin(), pt.t.end(), p) - pt.t.begin()) - 1;
    signal_apply(*s, pt.v[j]);
    signal_schedule(s, k, j + 1);
}

void arm_link(LinkSignals& ls)
{
    if (ls.armed) return;
    ls.armed   = true;
    double now = simgrid::s4u::Engine::get_clock();
    for (auto& sig : ls.sigs)
        signal_catch_up(sig.get(), now);
}

void disarm_link(LinkSignals& ls)
{
    if (!ls.armed) return;
    ls.armed = false;
    for (auto& sig : ls.sigs)
        if (sig->timer) {
            sig->timer->remove();
            sig->timer = nullptr;
        }
}

void add_link_signal(simgrid::s4u::Link* link, SignalKind kind, const double* t, const double* v, int n,
                     double period, double nominal)
{
    auto s    = std::make_unique<LinkSignal>();
    s->link   = link;
    s->kind   = kind;
    s->pat     = intern_pattern(t, v, n, period);
    s->nominal = nominal;
    g_link_sig[link].sigs.push_back(std::move(s));
}

bool valid_signal(const double* t, const double* v, int n, double period, double vmin, bool vmin_excl)
{
    if (n < 1 || !t || !v || !(period >= 0) || !std::isfinite(period)) return false;
    for (int i = 0; i < n; i++) {
        if (!std::isfinite(t[i]) || !std::isfinite(v[i]) || t[i] < 0) return false;
        if (i > 0 && !(t[i] > t[i - 1])) return false;
        if (vmin_excl ? !(v[i] > vmin) : !(v[i] >= vmin)) return false;
    }
    if (period > 0 && (t[0] != 0.0 || !(t[n - 1] < period))) return false;
    return true;
}

simgrid::kernel::profile::Profile* make_profile(const char* kind, const std::string& who, const double* t,
                                                const double* v, int n, double period)
{
    std::vector<DatedValue> pattern;
    double last = 0.0;
    for (int i = 0; i < n; i++) {
        pattern.emplace_back(t[i] - last, v[i]);
        last = t[i];
    }
    bool loop  = period > 0;
    double gap = loop ? period - t[n - 1] : 0.0;
    auto cb    = [pattern, loop, gap](std::vector<DatedValue>& list) {
        size_t first = list.size();
        if (first > 0 && !loop) return;
        list.insert(list.end(), pattern.begin(), pattern.end());
        if (first > 0) list[first].date_ += gap;
    };
    std::string name = std::string("sr-") + kind + "-" + who + "-" + std::to_string(++g_profile_seq);
    return simgrid::kernel::profile::ProfileBuilder::from_callback(name, cb, loop ? gap : -1.0);
}

Model* network_model_of(const simgrid::s4u::Host* h)
{
    // NetworkModel derives from both Model and NetworkModelIntf: a cross-cast through RTTI
    return dynamic_cast<Model*>(h->get_englobing_zone()->get_network_model());
}

// CM02's bound of a flow on `route` with the links' current values.
double flow_bound(const std::vector<simgrid::s4u::Link*>& route)
{
    double bw  = -1.0;
    double lat = 0.0;
    for (const auto* l : route) {
        lat += l->get_latency();
        if (l->get_sharing_policy() == simgrid::s4u::Link::SharingPolicy::WIFI) continue;
        if (bw < 0 || l->get_bandwidth() < bw) bw = l->get_bandwidth();
    }
    if (!(lat > 0)) return bw;
    double gamma  = simgrid::config::get_value<double>("network/TCP-gamma");
    double window = gamma / (2.0 * lat);
    return bw < 0 ? window : std::min(bw, window);
}

void set_bound_keep_heap(Action* a, double bound)
{
    Model* m      = a->get_model();
    bool paying   = m->is_update_lazy() && a->get_type() == ActionHeap::Type::latency;
    double date   = -1.0;
    if (paying)
        for (auto const& e : m->get_action_heap())
            if (e.second == a) {
                date = e.first;
                break;
            }
    a->set_bound(bound);
    if (paying && date >= 0 && a->get_type() == ActionHeap::Type::unset)
        m->get_action_heap().insert(a, date, ActionHeap::Type::latency);
}

void untrack(const void* key)
{
    auto it = g_tracked.find(key);
    if (it == g_tracked.end()) return;
    for (const auto* l : it->second.route) {
        auto bl = g_by_link.find(l);
        if (bl != g_by_link.end()) bl->second.erase(key);
        auto ls = g_link_sig.find(l);
        if (ls != g_link_sig.end() && --ls->second.active == 0) disarm_link(ls->second);
    }
    g_tracked.erase(it);
}

void on_bandwidth_change(simgrid::s4u::Link const& l)
{
    if (!g_rebound) return;
    auto bl = g_by_link.find(&l);
    if (bl == g_by_link.end()) return;
    for (const void* key : bl->second) {
        const Tracked& t = g_tracked.at(key);
        if (t.action->get_state() == Action::State::STARTED) set_bound_keep_heap(t.action, flow_bound(t.route));
    }
}

void on_host_state_change(simgrid::s4u::Host const& h)
{
    if (h.is_on()) return;
    double now = simgrid::s4u::Engine::get_clock();
    for (auto& [key, t] : g_tracked) {
        if (t.from != &h && t.to != &h) continue;
        if (t.action->get_state() == Action::State::INITED || t.action->get_state() == Action::State::STARTED) {
            t.action->set_finish_time(now);
            t.action->set_state(Action::State::FAILED); // reported by the engine's next handling of ended actions
        }
    }
}

void install_tracking_hooks()
{
    if (g_tracking_hooks) return;
    g_tracking_hooks = true;
    simgrid::s4u::Activity::on_completion_cb([](simgrid::s4u::Activity const& a) { untrack(a.get_impl()); });
    simgrid::s4u::Link::on_bandwidth_change_cb(on_bandwidth_change);
    simgrid::s4u::Host::on_state_change_cb(on_host_state_change);
    simgrid::s4u::Engine::on_simulation_end_cb([] {
        for (auto& [link, ls] : g_link_sig) {
            disarm_link(ls);
            ls.active = 0;
        }
        g_tracked.clear();
        g_by_link.clear();
    });
}

void prepare_route(sg_host_t from, sg_host_t to, std::vector<simgrid::s4u::Link*>& route)
{
    if (g_link_sig.empty()) return;
    double lat = 0;
    from->route_to(to, route, &lat);
    for (const auto* l : route) {
        auto ls = g_link_sig.find(l);
        if (ls != g_link_sig.end()) arm_link(ls->second);
    }
}

// Disarms the links of a route that no tracked transfer crosses (after a transfer that did not start).
void release_idle(const std::vector<simgrid::s4u::Link*>& route)
{
    for (const auto* l : route) {
        auto ls = g_link_sig.find(l);
        if (ls != g_link_sig.end() && ls->second.active == 0) disarm_link(ls->second);
    }
}

void track_comm(const simgrid::s4u::Comm* c, sg_host_t from, sg_host_t to, std::vector<simgrid::s4u::Link*>&& route)
{
    if (g_link_sig.empty() && !g_track_hosts) return;
    Model* m = network_model_of(from);
    if (!m || m->get_started_action_set()->empty() ||
        m->get_started_action_set()->back().get_activity() != c->get_impl()) { // failed at start: nothing runs
        release_idle(route);
        return;
    }
    Action& a       = m->get_started_action_set()->back(); // the action CommImpl::start just created
    const void* key = c->get_impl();
    for (const auto* l : route) {
        if (g_bw_links.count(l)) g_by_link[l].insert(key);
        auto ls = g_link_sig.find(l);
        if (ls != g_link_sig.end()) ls->second.active++;
    }
    g_tracked.emplace(key, Tracked{&a, from, to, std::move(route)});
}

bool fails_at_start(sg_host_t from, sg_host_t to, const std::vector<simgrid::s4u::Link*>& route)
{
    if (!from->is_on() || !to->is_on()) return true;
    return g_link_states &&
           std::any_of(route.begin(), route.end(), [](const simgrid::s4u::Link* l) { return !l->is_on(); });
}

void report_failure_now(void* data)
{
    simgrid::kernel::timer::Timer::set(simgrid::s4u::Engine::get_clock(), [data] {
        if (g_done) g_done(data, 0, g_done_user);
    });
}
} // namespace

extern "C" int sr_sg_link_set_bandwidth_profile(sg_link_t link, const double* t_s, const double* bw_Bps, int n,
                                                double period_s)
{
    if (!link || g_bw_links.count(link) || !valid_signal(t_s, bw_Bps, n, period_s, 0.0, true)) return -1;
    add_link_signal(link, SignalKind::bandwidth, t_s, bw_Bps, n, period_s, link->get_bandwidth());
    g_bw_links.insert(link);
    install_tracking_hooks();
    return 0;
}

extern "C" int sr_sg_link_set_latency_profile(sg_link_t link, const double* t_s, const double* lat_s, int n,
                                              double period_s)
{
    if (!link || g_lat_links.count(link) || !valid_signal(t_s, lat_s, n, period_s, 0.0, false)) return -1;
    add_link_signal(link, SignalKind::latency, t_s, lat_s, n, period_s, link->get_latency());
    g_lat_links.insert(link);
    install_tracking_hooks();
    return 0;
}

static bool valid_state(const double* v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] != 0.0 && v[i] != 1.0) return false;
    return true;
}

extern "C" int sr_sg_link_set_state_profile(sg_link_t link, const double* t_s, const double* on, int n, double period_s)
{
    if (!link || g_state_links.count(link) || !valid_signal(t_s, on, n, period_s, 0.0, false) || !valid_state(on, n))
        return -1;
    add_link_signal(link, SignalKind::state, t_s, on, n, period_s, link->is_on() ? 1.0 : 0.0);
    g_state_links.insert(link);
    g_link_states = true;
    install_tracking_hooks();
    return 0;
}

extern "C" int sr_sg_host_set_state_profile(sg_host_t host, const double* t_s, const double* on, int n, double period_s)
{
    if (!host || g_state_hosts.count(host) || !valid_signal(t_s, on, n, period_s, 0.0, false) || !valid_state(on, n))
        return -1;
    host->set_state_profile(make_profile("state", host->get_name(), t_s, on, n, period_s));
    g_state_hosts.insert(host);
    g_track_hosts = true;
    install_tracking_hooks();
    return 0;
}

extern "C" int sr_sg_host_set_speed_profile(sg_host_t host, const double* t_s, const double* ratio, int n,
                                             double period_s)
{
    if (!host || g_speed_hosts.count(host) || !valid_signal(t_s, ratio, n, period_s, 0.0, true)) return -1;
    host->set_speed_profile(make_profile("speed", host->get_name(), t_s, ratio, n, period_s));
    g_speed_hosts.insert(host);
    return 0;
}

extern "C" void sr_sg_set_rebound(int on)
{
    g_rebound = on != 0;
}

// ---- factor exemption (sr_sg_exempt_links_from_factors) ----
//
// NetworkCm02Model::comm_action_set_bounds (3.32) multiplies a transfer's route latency by the latency factor
// and scales its progress by the bandwidth factor (the max-min variable times the factor), asking the callbacks
// when they are set, with the route's s4u links. The callbacks return the configured factors (read once:
// LV08's defaults 13.01 / 0.97) for a route with any link that is not exempt. For a route of exempt links only,
// the latency factor is 1; the bandwidth factor undoes what cross-traffic (on under LV08) does to the flow
// alone: comm_action_expand_constraints puts the flow on its route with weight 1 and on the reverse route with
// weight 0.05, so on a route whose reverse is the same SHARED link (simrun's symmetric routes) the flow alone
// gets bw / 1.05. With c_L = 1 + 0.05 [L on the reverse route] for the route's SHARED links (1 for FATPIPE ones,
// which bound each weight alone) and 0.05 for reverse-only links, the flow alone gets v = min(min_L bw_L / c_L, ...) and the factor bw_min / v makes its progress
// bw_min: latency + size / bandwidth. Flows sharing such links all carry the same weights, so n of them on one
// link each progress at bw / n, as without cross-traffic.

namespace {
std::unordered_set<const simgrid::s4u::Link*> g_exempt;
double g_lat_factor = 1.0;
double g_bw_factor  = 1.0;
bool g_crosstraffic = false;

bool route_exempt(const std::vector<simgrid::s4u::Link*>& route)
{
    return !route.empty() &&
           std::all_of(route.begin(), route.end(), [](const simgrid::s4u::Link* l) { return g_exempt.count(l) > 0; });
}

double exempt_bw_factor(const simgrid::s4u::Host* src, const simgrid::s4u::Host* dst,
                        const std::vector<simgrid::s4u::Link*>& route)
{
    if (!g_crosstraffic) return 1.0;
    std::vector<simgrid::s4u::Link*> back;
    double lat = 0;
    dst->route_to(src, back, &lat);
    double bw_min = -1.0, v = -1.0;
    auto lower = [&v](double x) {
        if (v < 0 || x < v) v = x;
    };
    for (const auto* l : route) {
        double bw = l->get_bandwidth();
        if (bw_min < 0 || bw < bw_min) bw_min = bw;
        // a SHARED link sums the flow's weights (1 + 0.05 when it is also on the reverse route); a FATPIPE link
        // bounds each weight alone, so the larger one, 1, binds
        bool on_back = std::find(back.begin(), back.end(), l) != back.end();
        bool fatpipe = l->get_sharing_policy() == simgrid::s4u::Link::SharingPolicy::FATPIPE;
        lower(bw / (on_back && !fatpipe ? 1.05 : 1.0));
    }
    for (const auto* l : back)
        if (std::find(route.begin(), route.end(), l) == route.end() &&
            l->get_sharing_policy() != simgrid::s4u::Link::SharingPolicy::WIFI)
            lower(l->get_bandwidth() / 0.05);
    return bw_min > 0 && v > 0 ? bw_min / std::min(v, bw_min) : 1.0;
}
} // namespace

extern "C" int sr_sg_exempt_links_from_factors(sg_link_t* links, int n)
{
    if (n <= 0) return 0;
    const auto hosts = simgrid::s4u::Engine::get_instance()->get_all_hosts();
    if (hosts.empty()) return -1;
    auto* model = hosts.front()->get_englobing_zone()->get_network_model();
    if (!model) return -1;
    for (int i = 0; i < n; i++)
        if (links[i]) g_exempt.insert(links[i]);
    g_lat_factor   = simgrid::config::get_value<double>("network/latency-factor");
    g_bw_factor    = simgrid::config::get_value<double>("network/bandwidth-factor");
    g_crosstraffic = simgrid::config::get_value<bool>("network/crosstraffic");
    try {
        model->set_lat_factor_cb([](double, const simgrid::s4u::Host*, const simgrid::s4u::Host*,
                                    const std::vector<simgrid::s4u::Link*>& route,
                                    const std::unordered_set<simgrid::s4u::NetZone*>&) {
            return route_exempt(route) ? 1.0 : g_lat_factor;
        });
        model->set_bw_factor_cb([](double, const simgrid::s4u::Host* src, const simgrid::s4u::Host* dst,
                                   const std::vector<simgrid::s4u::Link*>& route,
                                   const std::unordered_set<simgrid::s4u::NetZone*>&) {
            return route_exempt(route) ? exempt_bw_factor(src, dst, route) : g_bw_factor;
        });
    } catch (const std::invalid_argument&) {
        return -1;
    }
    return 0;
}

// ---- flow aggregation (sr_sg_pool.hpp) ----

extern "C" int sr_sg_pool_links(sg_link_t* links, int n)
{
    if (n <= 0) return 0;
    // the pool solves CM02's equations with the configured constants; nothing may change links or fail
    // transfers while they run, and no callback may set per-flow factors
    std::string model = simgrid::config::get_value<std::string>("network/model");
    if ((model != "CM02" && model != "LV08") || g_track_hosts || g_link_states || !g_link_sig.empty() ||
        !g_exempt.empty())
        return -1;
    sr_pool::configure(simgrid::config::get_value<double>("network/latency-factor"),
                       simgrid::config::get_value<double>("network/bandwidth-factor"),
                       simgrid::config::get_value<double>("network/weight-S"),
                       simgrid::config::get_value<double>("network/TCP-gamma"),
                       simgrid::config::get_value<bool>("network/crosstraffic"));
    static bool hooked = false;
    if (!hooked) {
        hooked = true;
        simgrid::s4u::Engine::on_simulation_end_cb([] { sr_pool::reset(); });
    }
    for (int i = 0; i < n; i++)
        if (links[i] && links[i]->get_sharing_policy() == simgrid::s4u::Link::SharingPolicy::SHARED)
            sr_pool::add_link(links[i]);
    return 0;
}

extern "C" void sr_sg_init(int* argc, char** argv)
{
  std::terminate_handler own = std::get_terminate();
  simgrid_init(argc, argv);
  if (own != nullptr && own != &__gnu_cxx::__verbose_terminate_handler)
    std::set_terminate(own);
}
