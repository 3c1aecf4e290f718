// Runs one cell through Google Benchmark: registers
// `<impl>/<workload>/<kv>/throughput` (and `.../latency`) with Iterations(1),
// Repetitions(N) and UseManualTime, runs them, and collects everything the
// sidecar needs. benchmark::Initialize must have been called (main does, with
// --benchmark_out pointing at gbench.json).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/cell_driver.h"
#include "bench/cell_metrics.h"

namespace dstudy::bench {

struct CellRun {
  CellOptions options;
  CellSetup setup;
  std::vector<RepetitionResult> throughput;
  std::optional<LatencyRecord> latency;
  MemoryRecord memory;
  std::vector<Phase> phases;  // thread 0's, for derived metrics
  DerivedMemory derived;
  ThroughputSummary summary;
  CheckResult check;
  double harness_overhead_ns_per_op = 0;
};

// Compares one repetition's outcomes with the stream's expectations.
CheckResult check_repetition(const CellSetup& setup, const RepetitionResult& rep, const char* pass);

CellRun run_cell(CellDriver& driver, const CellOptions& options, const StreamFactory& make_stream);

// Benchmark name prefix for a cell: impl/workload/kv.
std::string cell_benchmark_name(const CellOptions& options);

}  // namespace dstudy::bench
