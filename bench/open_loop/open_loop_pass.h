// What an open-loop pass measures (paced_loop.h runs it), and the stalls it
// keeps.
//
// Closed loop (the latency pass) starts each op when the previous one ends
// and times it: service time. Open loop gives every op a scheduled arrival
// (arrival_schedule.h) and starts it then, or as soon as the previous op ends
// when that is later. Its response time is completion minus scheduled
// arrival: what a caller that sent the request at that moment waits. One op
// that stalls for S at arrival rate R delays about R x S later ops, each by
// up to S; the closed loop records that stall once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/open_loop/arrival_schedule.h"
#include "bench/pass/cell_result.h"
#include "bench/probes/latency_histogram.h"
#include "impls/core/footprint.h"

namespace dstudy::bench {

// An op is late when it starts more than this after its scheduled arrival.
// Above the spin loop's own granularity (one timer read, tens of ns) and a
// cache miss or two, so ordinary jitter does not count as a backlog.
inline constexpr std::uint64_t kLateThresholdNs = 1000;
// Ops at least this slow are stall candidates: only after them is the
// container's footprint read (to name a cause), never on the common path.
inline constexpr std::uint64_t kStallThresholdNs = 10000;
// The knee of a rate sweep: the lowest load whose response-time P99 exceeds
// this multiple of its service-time P99.
inline constexpr double kKneeResponseOverService = 2.0;
// Stalls kept per pass (the slowest ops by service time).
inline constexpr std::size_t kStallsKept = 8;

// A rate for an open-loop pass: a fraction of the cell's measured throughput
// or an absolute rate (ops/s).
struct OpenLoopTarget {
  std::optional<double> fraction;
  std::optional<double> ops_per_second;
  // Or: at the stream's recorded timestamps x this scale (a replayed trace,
  // --pace SCALE; 0.5 replays twice as fast).
  std::optional<double> timestamp_scale;
};

// This thread's involuntary context switches so far (0 where unknown).
std::uint64_t involuntary_context_switches();

// What the driver is asked to run: arrivals of a process at a rate.
struct OpenLoopRequest {
  ArrivalProcess process = ArrivalProcess::kConstant;
  double ops_per_second = 0;
  std::uint64_t seed = 0;      // Poisson gaps
  double timestamp_scale = 1;  // kRecorded: recorded timestamps x this
};

// Which phases are paced: the headline phases (the steady state the figures
// are about); every phase when the spec marks none. The others (the load
// that builds the table, a drain before a probe) run closed loop, untimed.
std::vector<bool> paced_phases(const std::vector<Phase>& phases);

struct StallRecord {
  std::size_t op = 0;  // index in the thread's stream
  std::string phase;
  std::uint64_t service_ns = 0;
  // How late this op itself started (non-zero when an earlier backlog, or a
  // preemption, had not cleared yet).
  std::uint64_t start_lag_ns = 0;
  // Later ops that started late, one after another, before the first op that
  // started on time again (the backlog this op left).
  std::uint64_t ops_delayed = 0;
  // From this op's completion to the scheduled arrival of that first on-time
  // op; the pass's end when the backlog never cleared (backlog_cleared false).
  std::uint64_t backlog_clear_ns = 0;
  bool backlog_cleared = false;
  // What the container's footprint says happened since the previous slow op
  // (cause_from_footprints); null when it says nothing.
  std::optional<std::string> cause;
  std::optional<std::size_t> capacity_before, capacity_after;
  int repetition = 0;  // set when repetitions are merged
  // The tracker's own state while the backlog is counted.
  bool counting = false;
  std::uint64_t done_tick = 0;  // completion, in cycle-timer ticks
};

inline constexpr const char* kStallCauseNames[] = {"rehash_grow", "rehash_shrink", "compaction"};

// The cause a container's footprint gives for a slow op, from its footprint
// before and after: "rehash_grow" / "rehash_shrink" (capacity moved),
// "compaction" (its compaction count moved, or more than one tombstone went
// at once, capacity unchanged); null when nothing moved or it reports none.
std::optional<std::string> cause_from_footprints(const Footprint& before, const Footprint& after);

// The worst stalls of a pass, and the backlog each one left.
class StallTracker {
 public:
  // The least service time that may enter the kept list.
  std::uint64_t floor_ns() const { return floor_ns_; }
  bool counting() const { return open_ > 0; }
  // A slow op completed at `done_tick`; kept if among the worst.
  void add(StallRecord r);
  // The next op started late / on time (scheduled at `scheduled_tick`).
  void late();
  void on_time(std::uint64_t scheduled_tick, double ns_per_tick);
  // The pass ended at `end_tick` with backlogs still open.
  void finish(std::uint64_t end_tick, double ns_per_tick);
  const std::vector<StallRecord>& stalls() const { return stalls_; }

 private:
  void close_open(std::uint64_t at_tick, double ns_per_tick, bool cleared);
  std::vector<StallRecord> stalls_;  // descending by service time
  std::size_t open_ = 0;             // records still counting their backlog
  std::uint64_t floor_ns_ = kStallThresholdNs;
};

// One open-loop pass at one rate.
struct OpenLoopPass {
  std::optional<double> fraction;    // of basis_ops_per_second, when asked so
  double target_ops_per_second = 0;  // the offered load
  double basis_ops_per_second = 0;   // the throughput a fraction is of
  std::string arrivals;              // arrival process name
  RepetitionResult pass;             // outcome counts (checked) and phase times
  std::vector<std::string> paced_phases;
  std::uint64_t paced_ops = 0;
  std::uint64_t late_ops = 0;  // started > kLateThresholdNs after arrival
  double paced_seconds = 0;    // first arrival to last completion, summed over paced phases
  // Times the kernel took the CPU from this thread during the paced phases
  // (getrusage): on a busy machine, the stalls callers saw were the
  // scheduler's, not the container's.
  std::uint64_t involuntary_switches = 0;
  OpHistograms response, service;
  probes::LatencyHistogram start_lag;  // actual start - scheduled arrival, every paced op
  std::vector<StallRecord> stalls;
};

}  // namespace dstudy::bench
