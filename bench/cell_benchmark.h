// Runs one cell through Google Benchmark and collects everything the sidecar
// needs. The stream is prepared once, in this process; then:
//
//   memory process        one process (forked from this one) runs the memory
//                         pass: layers through the stream, at phase ends,
//                         after idle periods and purge.
//   repetition processes  `<impl>/<workload>/<kv>/throughput`, Iterations(1),
//                         Repetitions(N), UseManualTime: each repetition is a
//                         process of its own that runs a cold pass (the
//                         process's first: first-touch, cold allocator), the
//                         warm passes (the headline: as many fresh passes as
//                         it takes for their headline phases to last
//                         CellOptions::min_headline_seconds), the latency
//                         pass and the open-loop passes asked for.
//
// benchmark::Initialize must have been called (main does, with
// --benchmark_out pointing at gbench.json).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/cell_driver.h"
#include "bench/cell_metrics.h"
#include "bench/pass_codec.h"
#include "bench/probes/machine_load.h"

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
  nlohmann::json memory;  // the sidecar's memory section, as the memory process wrote it
  std::vector<RepetitionRecord> repetitions;
  CheckResult check;
  double harness_overhead_ns_per_op = 0;
  probes::MachineLoad machine_load;
};

// Compares one pass's outcomes with the stream's expectations.
CheckResult check_repetition(const CellSetup& setup, const RepetitionResult& rep, const char* pass);

CellRun run_cell(CellDriver& driver, const CellOptions& options, const StreamFactory& make_stream);

// Benchmark name prefix for a cell: impl/workload/kv.
std::string cell_benchmark_name(const CellOptions& options);

}  // namespace dstudy::bench
