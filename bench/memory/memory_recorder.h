// Memory of one container through one pass: the memory pass's recorder.
//
// It follows the live payload op by op (from the stream, not the container),
// and reads every layer (docs/harness.md, "Memory") at three kinds of moment:
//   - every `sample_every` ops, the cheap probes only (a series sample);
//   - at each phase's start and end, every probe, the container's own
//     Footprint and the heap activity of the phase;
//   - after a phase's idle periods and after the allocator's purge, when the
//     spec asks for them; then, for a compact probe, after the container's
//     compact() and a second purge (the rest of the pass runs on the
//     compacted container, as an application's would).
// Probing runs while the pass's clock is stopped, and with heap counting
// paused, so the harness's own bookkeeping is never counted as the
// container's. A container that can tell its probe lengths
// (ProbeIntrospectable) is also asked them at each phase end, for the
// stream's recent lookups (probe_lengths.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "bench/pass/cell_result.h"
#include "bench/pass/probe_lengths.h"
#include "bench/pass/stream_keys.h"
#include "bench/probes/heap_counter.h"
#include "bench/probes/memory_probe.h"
#include "impls/core/container.h"

namespace dstudy::bench {

// Applies the stored memory baseline (absolute -> relative).
probes::MemoryLayers minus_baseline(const probes::MemoryLayers& now, const probes::MemoryLayers& baseline);

// Sleeps for `seconds` (idle probes), in a way that does not touch the heap.
void idle_sleep(double seconds);

template <class C, class KV>
class MemoryRecorder {
 public:
  explicit MemoryRecorder(const StreamKeys<KV>& keys) : keys_(keys) {}

  void set_sample_every(std::size_t ops) { record_.sample_every_ops = ops; }
  std::size_t sample_every() const { return record_.sample_every_ops; }
  const MemoryRecord& record() const { return record_; }

  // Starts a pass: forgets the last one and reads the baseline. What making
  // the stream left cached is given back first, so from here on memory is
  // the container's doing. Call just before the container is made.
  void start() {
    record_.series.clear();
    record_.phase_end.clear();
    live_ = payload_ = heap_ = 0;
    next_sample_ = record_.sample_every_ops;
    live_index_.clear();
    recent_hit_.clear();
    recent_miss_.clear();
    probes::MemoryProbe::instance().purge();
    record_.baseline = probes::MemoryProbe::instance().layers(/*expensive_ok=*/true);
  }

  // The next op index (thread 0's) at which a series sample is due.
  std::size_t next_sample() const { return next_sample_; }

  // Follows the live payload over ops [begin, end). An erase_first /
  // erase_next removes a key the stream does not know: its payload is taken
  // as op.key_index's, which is exact because workloads with these ops run
  // only fixed-size kinds (workload_spec.cc), where every key weighs the same.
  // The live index and the recent lookups it keeps grow as it goes (a bit
  // per key index: 256 KiB at 2M keys): harness bookkeeping, so paused from
  // the heap layer like the rest.
  void advance(const Operation* ops, std::size_t begin, std::size_t end) {
    const probes::HeapCountingPause harness_bookkeeping;
    for (std::size_t i = begin; i < end; ++i) {
      const Operation& op = ops[i];
      if constexpr (ProbeIntrospectable<C>) note_for_probes(op);
      std::int64_t sign = 0;
      if (op.type == OpType::kInsert) sign = 1;
      else if (removes_key(op.type)) sign = -1;
      else continue;
      live_ += sign;
      payload_ += sign * keys_.payload_bytes(op.key_index);
      heap_ += sign * keys_.heap_bytes(op.key_index);
    }
  }

  // Called when op index `at` of `phase` is reached: a series sample if one
  // is due there (a phase's last op is covered by its phase end instead).
  void sample_if_due(const C& c, std::size_t at, const Phase& phase) {
    if (at != next_sample_) return;
    next_sample_ += record_.sample_every_ops;
    if (at < phase.end) {
      const probes::HeapCountingPause harness_bookkeeping;
      record_.series.push_back({at, phase.name, snapshot(c, /*expensive_ok=*/false)});
    }
  }

  void begin_phase(const C& c, const Phase& ph) {
    const probes::HeapCountingPause harness_bookkeeping;
    probes::MemoryProbe::instance().reset_peak_rss();
    PhaseEnd pe;
    pe.phase = ph.name;
    pe.role = ph.role;
    pe.begin_op = ph.begin;
    pe.end_op = ph.end;
    pe.at_begin = snapshot(c, true);
    phase_activity_ = probes::heap_activity();
    record_.phase_end.push_back(std::move(pe));
    record_.series.push_back({ph.begin, ph.name, record_.phase_end.back().at_begin});
  }

  // Not const: a compact probe compacts the container.
  void end_phase(C& c, const Phase& ph, bool last) {
    read_phase_end(c, ph, last);
    if constexpr (Compactable<C>) {
      if (ph.compact_probe) {
        c.compact();  // heap counting on: what it frees and allocates is the container's
        const probes::HeapCountingPause harness_bookkeeping;
        probes::MemoryProbe::instance().purge();
        record_.phase_end.back().after_compact = snapshot(c, true);
      }
    }
  }

 private:
  void read_phase_end(const C& c, const Phase& ph, bool last) {
    const probes::HeapCountingPause harness_bookkeeping;
    auto& probe = probes::MemoryProbe::instance();
    PhaseEnd& pe = record_.phase_end.back();
    pe.live_keys = live_keys();
    pe.after = snapshot(c, true);
    pe.peak_rss_bytes = probe.peak_rss_bytes();
    pe.internals = c.footprint();
    if constexpr (ProbeIntrospectable<C>) {
      auto length = [&](const Operation& op) -> std::size_t {
        if constexpr (StreamKeys<KV>::kStringKeys) {
          return c.probe_length(keys_.string_key(op.key_index));
        } else {
          return c.probe_length(typename KV::key_type(op.key_seed));
        }
      };
      pe.probe_hit = probe_lengths(recent_hit_.ops(), live_index_, true, length);
      pe.probe_miss = probe_lengths(recent_miss_.ops(), live_index_, false, length);
    }
    if (pe.after.process.heap_bytes) {
      const probes::HeapActivity now = probes::heap_activity();
      pe.heap_activity = probes::HeapActivity{now.allocations - phase_activity_.allocations,
                                              now.deallocations - phase_activity_.deallocations,
                                              now.bytes_requested - phase_activity_.bytes_requested};
    }
    if (last) record_.series.push_back({ph.end, ph.name, pe.after});
    double idle = 0;
    for (double t : ph.idle_probes_s) {
      if (t > idle) idle_sleep(t - idle);
      idle = std::max(idle, t);
      pe.after_idle.push_back({t, snapshot(c, true)});
    }
    if (ph.purge_probe) {
      probe.purge();
      pe.after_purge = snapshot(c, true);
    }
  }

 private:
  // Which keys are live, and the recent lookups whose probe lengths the
  // phase end asks for.
  void note_for_probes(const Operation& op) {
    switch (op.type) {
      case OpType::kInsert: live_index_.set(op.key_index, true); break;
      case OpType::kErase: live_index_.set(op.key_index, false); break;
      case OpType::kFindHit: recent_hit_.push(op); break;
      case OpType::kFindMiss: recent_miss_.push(op); break;
      // An update or an erase_miss leaves the live set as it is; the keys
      // erase_first / erase_next remove are the container's choice, unknown
      // here (the iteration presets run no probe-length introspection).
      default: break;
    }
  }

  std::size_t live_keys() const { return static_cast<std::size_t>(std::max<std::int64_t>(0, live_)); }

  LayerSnapshot snapshot(const C& c, bool expensive_ok) const {
    LayerSnapshot s;
    s.live_keys = live_keys();
    s.payload_bytes = payload_;
    s.element_heap_bytes = heap_;
    s.footprint_bytes = static_cast<std::int64_t>(c.footprint().bytes) + heap_;
    s.process = minus_baseline(probes::MemoryProbe::instance().layers(expensive_ok), record_.baseline);
    return s;
  }

  const StreamKeys<KV>& keys_;
  MemoryRecord record_;
  std::int64_t live_ = 0;  // live keys, payload and element-heap bytes so far
  std::int64_t payload_ = 0;
  std::int64_t heap_ = 0;
  std::size_t next_sample_ = 0;
  probes::HeapActivity phase_activity_;  // heap activity when the current phase began
  LiveIndex live_index_;                 // probe lengths only (ProbeIntrospectable)
  RecentOps recent_hit_, recent_miss_;
};

}  // namespace dstudy::bench
