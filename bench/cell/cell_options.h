// What one cell run is asked to do: the options main collects from the
// command line and the workload spec, and the one thing the harness needs
// from the workload library — a way to make the operation stream, optionally
// at a given live size (for `fill`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/open_loop/open_loop_pass.h"
#include "bench/workload/operation_stream.h"

namespace dstudy::bench {

struct CellOptions {
  std::string impl;
  std::string workload;
  std::string kv;
  std::string size = "quick";  // size profile: "quick" | "full"
  int threads = 1;             // from the spec
  int repetitions = 1;         // independent processes, each a cold pass and warm passes
  // Each repetition runs fresh warm passes until their headline phases have
  // lasted this long (at least one pass): a headline shorter than a host's
  // preemption would measure the host (docs/harness.md, "Long enough").
  double min_headline_seconds = 0;
  bool latency = true;  // run the latency pass (every op timed)
  // The latency pass runs in the first this many repetitions only (each
  // gives every op of the stream, far more samples than a percentile needs;
  // docs/harness.md, "Latency pass"); 0: in every repetition.
  int latency_repetitions = 0;
  std::size_t memory_sample_every = 0;  // 0: automatic (about 256 samples per stream)
  std::optional<double> fill;           // fraction of the growth point (spec)
  // The live size the stream has without a fill (the spec's, at this size):
  // when known, a cell with a fill never makes the nominal stream only to
  // learn it (a full-size stream costs seconds to generate).
  std::optional<std::size_t> nominal_live;
  bool reserve = false;  // call reserve(peak live) when the container has it (spec)
  // Open-loop passes, one per target, in each repetition process after its
  // latency pass (none when empty), and how their arrivals come. A replayed
  // trace paced by its timestamps (--pace SCALE) is one target with a
  // timestamp_scale: op i is due at recorded_ns[i] x scale after the start.
  std::vector<OpenLoopTarget> open_loop;
  ArrivalProcess arrivals = ArrivalProcess::kConstant;
  bool latency_by_phase = false;  // a latency histogram set per phase too (spec)
};

// Makes the operation stream; live_size_override replaces the preset's live
// size (fill). Called before anything is timed, at most twice (once when a
// fill and CellOptions::nominal_live are given and the growth point is found).
using StreamFactory = std::function<OperationStream(std::optional<std::size_t> live_size_override)>;

}  // namespace dstudy::bench
