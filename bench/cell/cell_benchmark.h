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

#include <string>

#include "bench/cell/cell_driver.h"
#include "bench/cell/cell_run.h"

namespace dstudy::bench {

// Compares one pass's outcomes with the stream's expectations.
CheckResult check_repetition(const CellSetup& setup, const RepetitionResult& rep, const char* pass);

CellRun run_cell(CellDriver& driver, const CellOptions& options, const StreamFactory& make_stream);

// Benchmark name prefix for a cell: impl/workload/kv.
std::string cell_benchmark_name(const CellOptions& options);

}  // namespace dstudy::bench
