// Figures derived from a cell's raw results, defined once here (and
// documented in docs/harness.md): the throughput summary across independent
// repetitions, the rate of a pass over a set of phases chosen by their
// roles, and the memory metrics of every layer over the phases whose roles
// say what they mean. The report reads these; it never re-derives them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/pass/cell_result.h"

namespace dstudy::bench {

inline constexpr double kSpreadWarningPct = 5.0;

struct ThroughputSummary {
  double median = 0, min = 0, max = 0;
  double mad_pct = 0;           // median absolute deviation / median, percent
  bool spread_warning = false;  // mad_pct >= kSpreadWarningPct with >= 2 samples
  std::vector<double> samples;  // one per independent repetition
};

ThroughputSummary summarize_throughput(const std::vector<double>& ops_per_second);

// Which phases a rate is taken over.
enum class PhaseSet {
  kHeadline,  // the spec's headline phases (steady state)
  kBuild,     // the load-role phases
};

bool in_phase_set(const Phase& p, PhaseSet set);

// Ops and seconds of pass `r` summed over the phases of `set` (phases:
// thread 0's, in stream order, as RepetitionResult::phases are).
struct PhaseSetTotals {
  std::size_t ops = 0;
  double seconds = 0;
  bool any = false;  // whether the set holds a phase at all
};
PhaseSetTotals phase_set_totals(const RepetitionResult& r, const std::vector<Phase>& phases, PhaseSet set);

// Ops over time of pass `r` over the phases of `set` (phases: thread 0's, in
// stream order, as RepetitionResult::phases are); null when the set is empty.
std::optional<double> phase_set_rate(const RepetitionResult& r, const std::vector<Phase>& phases, PhaseSet set);
std::vector<std::string> phase_set_names(const std::vector<Phase>& phases, PhaseSet set);

// ---- warm passes -------------------------------------------------------------

// Most warm passes one repetition runs, however short its headline phases.
inline constexpr std::size_t kMaxWarmPasses = 1000;

// Index of the highest of `rates`.
std::size_t fastest_pass(const std::vector<double>& rates);

// A repetition is disturbed when, while its warm passes ran, the process
// waited on the disk (a major fault), the hypervisor stole more than this
// share of the measured time, the scheduler preempted it at least once per
// pass and more often than this per second (another process wanted its CPU;
// a quiet pinned CPU sees a few a second), or, with enough passes to tell,
// its median pass ran this much slower than its fastest: the machine ran
// slow for most of the repetition, and its fastest pass may have too.
inline constexpr double kDisturbedStealShare = 0.02;
inline constexpr double kDisturbedSwitchesPerSecond = 20;
inline constexpr std::size_t kPassesToCompare = 5;
inline constexpr double kDisturbedMedianShortfall = 0.20;

// A disturbed repetition is measured again, in a new process, at most this
// many times; the last measurement is kept, flagged if still disturbed.
inline constexpr int kDisturbedRemeasures = 2;

// Sets d.disturbed and d.reason from the counters and the passes' rates.
void judge_disturbance(WarmDiagnostics& d);

// ---- latency -----------------------------------------------------------------

// Fewest samples a percentile needs: 10 / (1 - q), so that at least ten
// samples lie beyond it (P99.9: 10,000). Below that it is not reported.
std::uint64_t min_samples_for(double q);
std::optional<double> percentile_if_enough(const probes::LatencyHistogram& h, double q);

// ---- memory ------------------------------------------------------------------

// The layers memory figures are derived on, and the one the headline
// figures use: the harness's heap count, which means the same under every
// allocator.
// In order from the container's own view down to the operating system's.
inline constexpr const char* kDerivedLayers[] = {"footprint_bytes", "heap_bytes", "allocator_allocated_bytes",
                                                 "allocator_resident_bytes", "rss_bytes"};
inline constexpr const char* kHeadlineLayer = "heap_bytes";

// A layer's value in a snapshot (null when that layer was not read).
std::optional<double> layer_value(const LayerSnapshot& s, std::string_view layer);

struct LayerFigures {
  std::optional<double> growth_pct;             // over the steady phase, % of its start
  std::optional<double> slope_bytes_per_mop;    // over the steady phase
  std::optional<double> space_amplification;    // layer / live payload after the steady phase
  std::optional<double> retention;              // after the drain / peak before it
  std::optional<double> retention_after_idle;   // after the drain's last idle probe / peak
  std::optional<double> retention_after_purge;  // after the allocator's purge / peak
};

struct DrainFigures {
  std::string phase;
  std::map<std::string, LayerFigures> layers;  // retention fields only
};

struct DerivedMemory {
  std::optional<std::string> steady_phase;  // first steady-role phase
  std::optional<std::string> drain_phase;   // the spec's retention phase
  std::map<std::string, LayerFigures> layers;
  std::vector<DrainFigures> drains;  // every drain-role phase
};

// phases: thread 0's phases (roles, retention flag) in stream order.
DerivedMemory derive_memory(const MemoryRecord& memory, const std::vector<Phase>& phases);

}  // namespace dstudy::bench
