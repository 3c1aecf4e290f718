// Figures derived from a cell's raw results (DESIGN.md section 6): the
// throughput summary across repetitions and the memory metrics over phases.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/cell_result.h"

namespace dstudy::bench {

struct ThroughputSummary {
  double median = 0, min = 0, max = 0;
  double mad_pct = 0;  // median absolute deviation / median, percent
  bool spread_warning = false;  // mad_pct >= kSpreadWarningPct
};
inline constexpr double kSpreadWarningPct = 5.0;

ThroughputSummary summarize_throughput(const std::vector<double>& ops_per_second);

struct DerivedMemory {
  std::string attributable_layer;  // "allocator_allocated_bytes" or "rss_bytes"
  std::optional<std::string> steady_phase;
  std::optional<std::string> drain_phase;
  std::optional<double> growth_pct;
  std::optional<double> slope_bytes_per_mop;
  std::optional<double> retention;
  std::optional<double> space_amplification;
};

// phases: thread 0's phases (names, idle/purge probes) in stream order.
DerivedMemory derive_memory(const MemoryRecord& memory, const std::vector<Phase>& phases);

// The attributable memory of a snapshot under the chosen layer.
std::optional<double> attributable(const LayerSnapshot& s, const std::string& layer);

}  // namespace dstudy::bench
