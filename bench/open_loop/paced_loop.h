// The open-loop op loop: each op waits (spinning on the cycle timer) until
// its scheduled arrival, or starts at once when it is already due because
// earlier ops ran late. Nothing is skipped: a backlog drains at full speed.
// Per op it records
//
//   service time    completion - actual start        (what the latency pass sees)
//   response time   completion - scheduled arrival   (what the caller waits)
//   start lag       actual start - scheduled arrival (the queue; for an op on
//                   time, the spin loop's own granularity)
//
// all with the timer's overhead subtracted as in OpLoop::run_timed, so an op
// on time has response = service + its start lag. Ops at least
// kStallThresholdNs slow are stall candidates: the container's footprint is
// read after them (only then, so the common path never calls it) and compared
// with the reading after the previous slow op to name a cause; the
// StallTracker keeps the worst and counts the ops each one delayed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/open_loop/open_loop_pass.h"
#include "bench/pass/op_loop.h"
#include "bench/probes/cycle_timer.h"

namespace dstudy::bench {

template <class KV>
class PacedLoop {
 public:
  explicit PacedLoop(const OpLoop<KV>& loop) : loop_(loop) {}

  // Runs ops [begin, end) of a stream; op i arrives at arrivals_ns[i - begin]
  // after the phase's clock origin, which is "now" minus the first op's
  // offset (the phase starts on time). A backlog still open at the end is
  // closed there, uncleared. Returns the ticks from the first
  // scheduled arrival to the last completion.
  template <class C>
  std::uint64_t run(C& c, const Operation* ops, std::size_t begin, std::size_t end, const std::uint64_t* arrivals_ns,
                    const std::string& phase, OpCounts& n, std::uint64_t& sum, OpenLoopPass& out,
                    StallTracker& stalls) const {
    if (begin == end) return 0;
    const auto& cal = probes::timer_calibration();
    const double tpn = cal.ticks_per_ns, npt = 1.0 / cal.ticks_per_ns;
    const auto overhead = static_cast<std::uint64_t>(cal.overhead_ticks);
    const auto late_ticks = static_cast<std::uint64_t>(static_cast<double>(kLateThresholdNs) * tpn);
    auto to_ns = [npt](std::uint64_t ticks) {
      return static_cast<std::uint64_t>(static_cast<double>(ticks) * npt + 0.5);
    };
    auto less_overhead = [overhead](std::uint64_t d) { return d > overhead ? d - overhead : 0; };
    Footprint before = c.footprint();
    const std::uint64_t origin =
        probes::cycle_begin() - static_cast<std::uint64_t>(static_cast<double>(arrivals_ns[0]) * tpn);
    std::uint64_t t1 = origin;
    for (std::size_t i = begin; i < end; ++i) {
      const std::uint64_t due = origin + static_cast<std::uint64_t>(static_cast<double>(arrivals_ns[i - begin]) * tpn);
      std::uint64_t t0 = probes::cycle_begin();
      while (t0 < due) t0 = probes::cycle_begin();
      loop_.exec(c, ops[i], n, sum);
      t1 = probes::cycle_end();
      const int type = static_cast<int>(ops[i].type);
      const std::uint64_t service_ns = to_ns(less_overhead(t1 - t0));
      out.service[type].record(service_ns);
      out.response[type].record(to_ns(less_overhead(t1 - due)));
      const std::uint64_t lag_ns = to_ns(t0 - due);
      out.start_lag.record(lag_ns);
      if (t0 - due > late_ticks) {
        ++out.late_ops;
        if (stalls.counting()) stalls.late();
      } else if (stalls.counting()) {
        stalls.on_time(due, npt);
      }
      if (service_ns >= kStallThresholdNs) [[unlikely]] {
        const Footprint after = c.footprint();
        if (service_ns >= stalls.floor_ns())
          stalls.add({.op = i,
                      .phase = phase,
                      .service_ns = service_ns,
                      .start_lag_ns = lag_ns,
                      .cause = cause_from_footprints(before, after),
                      .capacity_before = before.capacity,
                      .capacity_after = after.capacity,
                      .done_tick = t1});
        before = after;
      }
    }
    stalls.finish(t1, npt);  // the next paced phase starts its clock on time
    out.paced_ops += end - begin;
    return t1 - (origin + static_cast<std::uint64_t>(static_cast<double>(arrivals_ns[0]) * tpn));
  }

 private:
  const OpLoop<KV>& loop_;
};

}  // namespace dstudy::bench
