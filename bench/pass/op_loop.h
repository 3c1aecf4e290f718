// The op loop: what the harness does per operation, and nothing else.
//
// One op is a switch on its type and one call on the container; for integer
// keys the key is the op's seed, for string keys a prebuilt string
// (StreamKeys). The outcome counts and a checksum of every value found are
// kept so the compiler cannot drop the work and the run can be checked.
// `run` is what a throughput pass times at phase edges; `run_timed` times
// each op on its own into a histogram per op type (the latency pass).
#pragma once

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "bench/pass/cell_result.h"
#include "bench/pass/stream_keys.h"
#include "bench/probes/cycle_timer.h"
#include "bench/probes/latency_histogram.h"
#include "impls/core/container.h"

namespace dstudy::bench {

template <class KV>
class OpLoop {
 public:
  using K = typename KV::key_type;
  using V = typename KV::mapped_type;

  explicit OpLoop(const StreamKeys<KV>& keys) : keys_(keys) {}

  template <class Cx>
  [[gnu::always_inline]] inline void exec(Cx& c, const Operation& op, OpCounts& n, std::uint64_t& sum) const {
    auto on_found = [&sum](const V& v) { sum += KV::digest(v); };
    auto body = [&](const K& key) {
      switch (op.type) {
        case OpType::kInsert: n[0] += c.insert(key, keys_.value(op)); break;
        case OpType::kErase: n[1] += c.erase(key); break;
        case OpType::kFindHit: n[2] += c.find(key, on_found); break;
        case OpType::kFindMiss: n[3] += !c.find(key, on_found); break;
        case OpType::kUpdate: n[4] += !c.insert(key, keys_.value(op)); break;
        case OpType::kEraseMiss: n[5] += !c.erase(key); break;
        case OpType::kEraseFirst:
        case OpType::kEraseNext:
        case OpType::kIterate: exec_iteration(c, op.type, n); break;
        // Every type is one of the above: validate_stream and the trace
        // loader reject any other before a pass runs, so the switch needs no
        // range check of its own (two instructions per op).
        default: __builtin_unreachable();
      }
    };
    if constexpr (StreamKeys<KV>::kStringKeys) {
      body(keys_.string_key(op.key_index));
    } else {
      const K key = op.key_seed;
      body(key);
    }
  }

  // The ops whose key the container chooses (operation_stream.h). A
  // container that is not Iterable never gets them: the cell is "not
  // applicable" before it runs (bench/main.cc); were one to get here anyway,
  // its counts stay short and the outcome check fails the cell.
  template <class Cx>
  static void exec_iteration(Cx& c, OpType type, OpCounts& n) {
    if constexpr (Iterable<Cx>) {
      if (type == OpType::kEraseFirst) {
        n[static_cast<int>(OpType::kEraseFirst)] += c.erase_first();
      } else if (type == OpType::kEraseNext) {
        n[static_cast<int>(OpType::kEraseNext)] += c.erase_next();
      } else {
        std::uint64_t visited = 0, fold = 0;
        c.for_each([&](const K&, const V& v) {
          ++visited;
          fold += KV::digest(v);  // reads each value, so the walk cannot be skipped
        });
        benchmark::DoNotOptimize(fold);
        n[static_cast<int>(OpType::kIterate)] += visited;
      }
    }
  }

  // The counts and the checksum are kept in locals for the span and added
  // once at its end: a local whose address never leaves this function cannot
  // alias the container's stores, so the compiler may keep it in a register
  // instead of a read-modify-write through `n` per op.
  template <class Cx>
  void run(Cx& c, const Operation* ops, std::size_t begin, std::size_t end, OpCounts& n, std::uint64_t& sum) const {
    OpCounts local{};
    std::uint64_t local_sum = 0;
    for (std::size_t i = begin; i < end; ++i) exec(c, ops[i], local, local_sum);
    for (int t = 0; t < kOpTypeCount; ++t) n[t] += local[t];
    sum += local_sum;
  }

  // Times every op of [begin, end) on its own, timer overhead subtracted.
  template <class Cx>
  void run_timed(Cx& c, const Operation* ops, std::size_t begin, std::size_t end, OpCounts& n, std::uint64_t& sum,
                 OpHistograms& h) const {
    const auto& cal = probes::timer_calibration();
    const double ns_per_tick = 1.0 / cal.ticks_per_ns;
    const auto overhead = static_cast<std::uint64_t>(cal.overhead_ticks);
    for (std::size_t i = begin; i < end; ++i) {
      const std::uint64_t t0 = probes::cycle_begin();
      exec(c, ops[i], n, sum);
      const std::uint64_t t1 = probes::cycle_end();
      const std::uint64_t d = t1 - t0 > overhead ? t1 - t0 - overhead : 0;
      h[static_cast<int>(ops[i].type)].record(static_cast<std::uint64_t>(static_cast<double>(d) * ns_per_tick + 0.5));
    }
  }

 private:
  const StreamKeys<KV>& keys_;
};

}  // namespace dstudy::bench
