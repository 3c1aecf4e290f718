// What running one cell produces, before it is written anywhere: timings of
// each pass, latency histograms, memory layers over the stream and at phase
// ends, and the correctness check. result_writer.cc turns it into
// sidecar.json (docs/result-schema.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/pass/probe_lengths.h"
#include "bench/probes/heap_counter.h"
#include "bench/probes/latency_histogram.h"
#include "bench/probes/memory_probe.h"
#include "bench/probes/process_counters.h"
#include "bench/workload/operation_stream.h"
#include "impls/core/footprint.h"

namespace dstudy::bench {

using OpCounts = std::array<std::uint64_t, kOpTypeCount>;
using OpHistograms = std::array<probes::LatencyHistogram, kOpTypeCount>;

struct PhaseTiming {
  std::string name;
  std::size_t ops = 0;
  double seconds = 0;
};

struct RepetitionResult {
  std::size_t total_ops = 0;
  double seconds = 0;  // sum of phase times (clock stopped around probes)
  std::vector<PhaseTiming> phases;
  OpCounts observed{};
  std::uint64_t checksum = 0;
  double ops_per_second() const { return seconds > 0 ? static_cast<double>(total_ops) / seconds : 0; }
};

// How the warm passes of one repetition went: what the kernel and the
// hypervisor did to the process while they ran, and how far apart the
// passes' own headline rates were. A repetition is disturbed when these say
// something other than the container set its pace (docs/harness.md).
struct WarmDiagnostics {
  int passes = 0;
  double headline_seconds = 0;       // the passes' headline phases, summed
  std::vector<double> pass_rates;    // headline ops/s of each pass
  probes::ProcessCounters counters;  // over the warm passes
  bool disturbed = false;
  std::string reason;  // empty unless disturbed
  int remeasured = 0;  // disturbed measurements of this repetition discarded before it
};

// All memory layers at one moment; allocator and RSS layers have the
// baseline subtracted, so they read "bytes since the container existed".
struct LayerSnapshot {
  std::size_t live_keys = 0;
  std::int64_t payload_bytes = 0;
  std::int64_t element_heap_bytes = 0;
  std::int64_t footprint_bytes = 0;  // Footprint::bytes + element_heap_bytes
  probes::MemoryLayers process;      // rss, allocator allocated / resident
};

struct MemorySample {
  std::size_t op = 0;  // operations done so far (thread 0's index in concurrent cells)
  std::string phase;
  LayerSnapshot layers;
};

struct IdleSnapshot {
  double seconds = 0;  // idle time since the phase ended
  LayerSnapshot layers;
};

struct PhaseEnd {
  std::string phase;
  std::string role;
  std::size_t begin_op = 0, end_op = 0;
  std::size_t live_keys = 0;
  std::optional<std::size_t> peak_rss_bytes;  // VmHWM during the phase (absolute)
  LayerSnapshot at_begin;                     // just before the phase's first op
  LayerSnapshot after;
  std::vector<IdleSnapshot> after_idle;
  std::optional<LayerSnapshot> after_purge;
  // After compact() and a second purge (phases with a compact probe, on
  // containers that have compact()).
  std::optional<LayerSnapshot> after_compact;
  Footprint internals;
  // Allocations, deallocations and bytes requested during the phase (the
  // heap counter's; null where the heap layer is not read).
  std::optional<probes::HeapActivity> heap_activity;
  // Probe lengths of recent successful / unsuccessful lookups, re-made at
  // the phase end (probe_lengths.h); null where the container cannot tell
  // or the stream made no such lookup yet.
  std::optional<ProbeLengths> probe_hit, probe_miss;
};

struct MemoryRecord {
  std::size_t sample_every_ops = 0;
  probes::MemoryLayers baseline;  // absolute, before the container exists
  std::vector<MemorySample> series;
  std::vector<PhaseEnd> phase_end;
};

using OpHistograms = std::array<probes::LatencyHistogram, kOpTypeCount>;

// Every op of a latency pass, timed; merged over threads (and, once
// collected, over repetitions).
struct LatencyRecord {
  int repetitions = 0;
  OpHistograms per_op;
  // With by_phase set before the pass: the same ops again, one histogram set
  // per phase (in phase order), so a reader sees latency change from phase
  // to phase (drift over turnovers).
  bool by_phase = false;
  std::vector<OpHistograms> per_phase;
};

struct CellSetup {
  std::size_t initial_size = 0;
  std::optional<double> fill;               // null when the container reports no capacity
  std::optional<std::size_t> growth_point;  // live size at which the container grows
  std::size_t nominal_initial_size = 0;     // the preset's size, before fill
  std::optional<std::size_t> reserved;      // reserve(n) argument, when called
  std::uint64_t seed = 0;
  std::size_t total_ops = 0;
  int threads = 1;
  OpCounts expected{};
  std::uint64_t expected_checksum = 0;
};

struct CheckResult {
  bool ok = true;
  OpCounts observed{};
  std::uint64_t checksum = 0;
  std::string message;  // empty when ok
};

}  // namespace dstudy::bench
