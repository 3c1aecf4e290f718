// Everything one cell's run measured, gathered in the parent process from
// the memory process and the repetition processes (cell_benchmark.h): what
// the sidecar writer (result_writer.h) turns into sidecar.json.
#pragma once

#include <optional>
#include <vector>

#include "bench/cell/cell_options.h"
#include "bench/open_loop/open_loop_pass.h"
#include "bench/pass/cell_result.h"
#include "bench/probes/machine_load.h"
#include "bench/workload/operation_stream.h"

namespace dstudy::bench {

// What one repetition process measured.
struct RepetitionRecord {
  long process = 0;       // its pid
  RepetitionResult cold;  // the process's first pass
  RepetitionResult warm;  // the warm passes, summed phase by phase: the headline figure
  WarmDiagnostics warm_diagnostics;
  std::optional<RepetitionResult> latency_pass;
  std::optional<OpHistograms> latency;         // every op of the latency pass, by type
  std::vector<OpenLoopPass> open_loop;         // one per CellOptions::open_loop target, in order
  std::vector<OpHistograms> latency_by_phase;  // the same, per phase (when the spec asks)
};

struct CellRun {
  CellOptions options;
  CellSetup setup;
  std::vector<Phase> phases;  // thread 0's: names, roles, headline flags
  RepetitionResult memory_pass;
  MemoryRecord memory;  // the memory pass's layers, as the memory process read them
  std::vector<RepetitionRecord> repetitions;
  CheckResult check;
  double harness_overhead_ns_per_op = 0;
  probes::MachineLoad machine_load;
};

}  // namespace dstudy::bench
