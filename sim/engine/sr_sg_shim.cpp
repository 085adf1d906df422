// sr_sg_shim.cpp: extern "C" wrappers of C++-only SimGrid 3.32 calls (see sr_sg_shim.h).
//
// Activities started here are owned by maestro: SimGrid then completes them itself and fires
// Activity::on_completion (in maestro) without an actor waiting. We hold one reference to each such
// activity from its start until after its completion: the s4u object must outlive the kernel's completion
// handling (complete() then post() of the same action), so the reference of an ended activity is dropped
// at the next completion, or by sr_sg_release_ended.
#include "sr_sg_shim.h"

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Activity.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Exec.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include <cassert>
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

extern "C" void sr_sg_sendto_start(sg_host_t from, sg_host_t to, double bytes, void* data)
{
    assert(data != nullptr);
    // what sg_host_sendto does (Comm::sendto_async: the comm starts once both ends are set), without the wait
    simgrid::s4u::CommPtr c = simgrid::s4u::Comm::sendto_init()
                                  ->set_payload_size(static_cast<uint64_t>(bytes))
                                  ->set_source(from)
                                  ->set_destination(to);
    c->set_data(data);
    c->add_ref(); // released after its completion
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
