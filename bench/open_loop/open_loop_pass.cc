#include "bench/open_loop/open_loop_pass.h"

#include <sys/resource.h>

#include <algorithm>

#include "bench/pass/cell_metrics.h"

namespace dstudy::bench {

std::uint64_t involuntary_context_switches() {
  rusage u{};
  if (getrusage(RUSAGE_THREAD, &u) != 0) return 0;
  return static_cast<std::uint64_t>(u.ru_nivcsw);
}

std::vector<bool> paced_phases(const std::vector<Phase>& phases) {
  std::vector<bool> paced;
  for (const Phase& p : phases) paced.push_back(in_phase_set(p, PhaseSet::kHeadline));
  if (std::find(paced.begin(), paced.end(), true) == paced.end()) paced.assign(phases.size(), true);
  return paced;
}

std::optional<std::string> cause_from_footprints(const Footprint& before, const Footprint& after) {
  if (before.capacity && after.capacity) {
    if (*after.capacity > *before.capacity) return kStallCauseNames[0];
    if (*after.capacity < *before.capacity) return kStallCauseNames[1];
  }
  if (before.compactions && after.compactions && *after.compactions > *before.compactions) return kStallCauseNames[2];
  // One op moves the tombstone count by one at most; more went in a cleanup.
  if (before.tombstones && after.tombstones && *after.tombstones + 1 < *before.tombstones) return kStallCauseNames[2];
  return std::nullopt;
}

void StallTracker::add(StallRecord r) {
  if (r.service_ns < floor_ns_) return;
  if (stalls_.size() == kStallsKept) {
    if (stalls_.back().counting) --open_;
    stalls_.pop_back();
  }
  r.ops_delayed = 0;
  r.backlog_cleared = false;
  r.counting = true;
  const auto at = std::upper_bound(stalls_.begin(), stalls_.end(), r.service_ns,
                                   [](std::uint64_t s, const StallRecord& x) { return s > x.service_ns; });
  stalls_.insert(at, std::move(r));
  ++open_;
  if (stalls_.size() == kStallsKept) floor_ns_ = std::max(kStallThresholdNs, stalls_.back().service_ns + 1);
}

void StallTracker::late() {
  for (StallRecord& s : stalls_)
    if (s.counting) ++s.ops_delayed;
}

void StallTracker::close_open(std::uint64_t at_tick, double ns_per_tick, bool cleared) {
  for (StallRecord& s : stalls_) {
    if (!s.counting) continue;
    const std::uint64_t ticks = at_tick > s.done_tick ? at_tick - s.done_tick : 0;
    s.backlog_clear_ns = static_cast<std::uint64_t>(static_cast<double>(ticks) * ns_per_tick);
    s.backlog_cleared = cleared;
    s.counting = false;
  }
  open_ = 0;
}

void StallTracker::on_time(std::uint64_t scheduled_tick, double ns_per_tick) {
  close_open(scheduled_tick, ns_per_tick, true);
}

void StallTracker::finish(std::uint64_t end_tick, double ns_per_tick) { close_open(end_tick, ns_per_tick, false); }

}  // namespace dstudy::bench
