// The op loop: what the harness does per operation, and nothing else.
//
// One op is a switch on its type and one call on the container; for integer
// keys the key is the op's seed, for string keys a prebuilt string
// (StreamKeys). The outcome counts and a checksum of every value found are
// kept so the compiler cannot drop the work and the run can be checked.
// `run` is what a throughput pass times at phase edges; `run_timed` times
// each op on its own into a histogram per op type (the latency pass).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "bench/cell_result.h"
#include "bench/probes/cycle_timer.h"
#include "bench/probes/latency_histogram.h"
#include "bench/stream_keys.h"

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
      }
    };
    if constexpr (StreamKeys<KV>::kStringKeys) {
      body(keys_.string_key(op.key_index));
    } else {
      const K key = op.key_seed;
      body(key);
    }
  }

  template <class Cx>
  void run(Cx& c, const Operation* ops, std::size_t begin, std::size_t end, OpCounts& n, std::uint64_t& sum) const {
    for (std::size_t i = begin; i < end; ++i) exec(c, ops[i], n, sum);
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
