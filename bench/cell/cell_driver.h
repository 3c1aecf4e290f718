// The type-erased face of one (container, key/value kind) pair: everything
// the non-templated harness (cell_benchmark.cc) asks of a cell. The
// templated implementation is in cell_runner.h.
#pragma once

#include <memory>
#include <vector>

#include "bench/cell/cell_options.h"
#include "bench/open_loop/open_loop_pass.h"
#include "bench/pass/cell_result.h"

namespace dstudy::bench {

class CellDriver {
 public:
  virtual ~CellDriver() = default;

  // Finds the growth point when the spec asks for a fill, makes the stream,
  // materialises keys and values and computes the expected outcomes.
  // Nothing is timed.
  virtual CellSetup prepare(const CellOptions& options, const StreamFactory& make_stream) = 0;

  // The memory pass on a fresh container: heap counting on, baseline read,
  // memory probed through the stream and at phase ends (fills memory()).
  // Its timing is never used for a throughput figure.
  virtual RepetitionResult run_memory_pass() = 0;

  // One timed pass on a fresh container: no per-op timer, no probes; phases
  // timed at their edges.
  virtual RepetitionResult run_timed_pass() = 0;

  // One latency pass on a fresh container: every op timed into `into`
  // (merged with what is there). Returns the run's outcome counts.
  virtual RepetitionResult run_latency_pass(LatencyRecord& into) = 0;

  // One open-loop pass on a fresh container (paced_loop.h): the paced
  // phases (paced_phases) at the request's arrivals, the others closed loop.
  // One-thread streams only: throws std::invalid_argument otherwise.
  virtual OpenLoopPass run_open_loop_pass(const OpenLoopRequest& request) = 0;

  // The loop and dispatch on a container that does nothing, over the same
  // stream: nanoseconds per op (best of a few runs).
  virtual double harness_overhead_ns_per_op() = 0;

  virtual const MemoryRecord& memory() const = 0;

  // Thread 0's phases of the prepared stream (names, idle and purge probes).
  virtual std::vector<Phase> phases() const = 0;
};

using DriverFactory = std::unique_ptr<CellDriver> (*)();

}  // namespace dstudy::bench
