// Runs one cell for one container type C and key/value kind KV: the templated
// heart of the harness. It knows the container only through the concept
// (impls/core/container.h); the container never knows it is measured.
//
// Before anything is timed: the stream is made (at a fill of the growth point
// when the spec asks), string keys and values are materialised, per-key
// payload sizes and the expected checksum are computed. Then, each pass on a
// fresh container (cell_benchmark.cc decides which process runs which):
//
//   memory pass       heap counting on, the memory baseline read, then each
//                     phase in chunks of K ops with the cheap memory probes
//                     between chunks and the full probes (idle periods,
//                     purge, peak RSS, container internals) at phase ends.
//                     Its timing is not used for any throughput figure.
//   timed pass        no per-op timer and no probes: each phase timed by the
//                     cycle timer at its edges.
//   latency pass      every op timed on its own into a histogram per op
//                     type, timer overhead subtracted: closed-loop service
//                     time.
//
// Concurrent streams (several ThreadStreams) run one std::thread each, from a
// start barrier, with a barrier at every phase boundary; per-thread counts and
// histograms are merged afterwards.
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "bench/cell_driver.h"
#include "bench/null_container.h"
#include "bench/probes/cycle_timer.h"
#include "bench/probes/heap_counter.h"
#include "bench/probes/latency_histogram.h"
#include "bench/probes/memory_probe.h"
#include "impls/core/container.h"
#include "impls/core/value_types.h"

namespace dstudy::bench {

// Checks a stream before it is run, so a malformed one fails with a message
// instead of an out-of-range access. Throws std::invalid_argument.
void validate_stream(const OperationStream& stream);

// Least live keys ever needed at once: an upper bound on the peak live size
// over the stream (exact for one thread; the sum of per-thread peaks above
// the initial state otherwise).
std::size_t peak_live_keys(const OperationStream& stream);

// Automatic memory sampling interval: about 256 samples over thread 0's ops,
// a power of two, at least 1024.
std::size_t auto_sample_every(std::size_t ops);

// Applies the stored memory baseline (absolute -> relative).
probes::MemoryLayers minus_baseline(const probes::MemoryLayers& now, const probes::MemoryLayers& baseline);

// Sleeps for `seconds` (idle probes), in a way that does not touch the heap.
void idle_sleep(double seconds);

template <class C, class KV>
class ContainerCellDriver final : public CellDriver {
 public:
  using K = typename KV::key_type;
  using V = typename KV::mapped_type;
  static constexpr bool kStringKeys = std::is_same_v<K, std::string>;
  static constexpr bool kValuePrototypes = std::is_same_v<V, std::string>;

  CellSetup prepare(const CellOptions& options, const StreamFactory& make_stream) override {
    options_ = options;
    OperationStream s = make_stream(std::nullopt);
    setup_.nominal_initial_size = s.initial_size;
    if (options.fill) {
      const std::optional<std::size_t> gp = find_growth_point(s.initial_size);
      if (gp) {
        const auto live = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(*options.fill * *gp)));
        s = make_stream(live);
        setup_.fill = options.fill;
        setup_.growth_point = gp;
      }
    }
    validate_stream(s);
    stream_ = std::move(s);
    setup_.initial_size = stream_.initial_size;
    setup_.seed = stream_.seed;
    setup_.threads = static_cast<int>(stream_.threads.size());
    setup_.total_ops = stream_.total_ops();
    for (const ThreadStream& t : stream_.threads)
      for (int i = 0; i < kOpTypeCount; ++i) setup_.expected[i] += t.expected[i];
    if (options.reserve) {
      if constexpr (Reservable<C>) setup_.reserved = peak_live_keys(stream_);
    }
    materialise();
    sample_every_ =
        options.memory_sample_every ? options.memory_sample_every : auto_sample_every(stream_.threads[0].ops.size());
    memory_.sample_every_ops = sample_every_;
    return setup_;
  }

  RepetitionResult run_memory_pass() override {
    // Counting covers exactly this container's life; the harness's own
    // records are kept out of it (HeapCountingPause in the probes).
    memory_.series.clear();
    memory_.phase_end.clear();
    probes::set_heap_counting(true);
    // The baseline: after the stream is made and its keys materialised, just
    // before the container exists. What generating the stream left cached is
    // given back first, so from here on memory is the container's doing.
    probes::MemoryProbe::instance().purge();
    memory_.baseline = probes::MemoryProbe::instance().layers(/*expensive_ok=*/true);
    auto c = make_container();
    RepetitionResult r = run_pass(*c, /*record=*/true, nullptr);
    destroy(std::move(c));
    probes::set_heap_counting(false);
    return r;
  }

  RepetitionResult run_timed_pass() override {
    auto c = make_container();
    RepetitionResult r = run_pass(*c, false, nullptr);
    destroy(std::move(c));
    return r;
  }

  RepetitionResult run_latency_pass(LatencyRecord& into) override {
    auto c = make_container();
    RepetitionResult r = run_pass(*c, false, &into);
    ++into.repetitions;
    destroy(std::move(c));
    return r;
  }

  double harness_overhead_ns_per_op() override {
    double best = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
      NullContainer<K, V> null;
      OpCounts n{};
      std::uint64_t sum = 0;
      const ThreadStream& ts = stream_.threads[0];
      const std::uint64_t t0 = probes::cycle_begin();
      run_range(null, ts.ops.data(), 0, ts.ops.size(), n, sum);
      const std::uint64_t t1 = probes::cycle_end();
      asm volatile("" : : "r"(sum), "r"(n[0]));
      const double ns = probes::ticks_to_ns(static_cast<double>(t1 - t0)) / static_cast<double>(std::max<std::size_t>(1, ts.ops.size()));
      best = attempt == 0 ? ns : std::min(best, ns);
    }
    return best;
  }

  const MemoryRecord& memory() const override { return memory_; }
  std::vector<Phase> phases() const override { return stream_.threads.at(0).phases; }

  // Exposed for tests.
  const OperationStream& stream() const { return stream_; }

 private:
  // ---- preparation ----------------------------------------------------------

  std::unique_ptr<C> make_container() {
    auto c = std::make_unique<C>();
    if constexpr (Reservable<C>) {
      if (setup_.reserved) c->reserve(*setup_.reserved);
    }
    return c;
  }

  // Destroys outside any timed region.
  static void destroy(std::unique_ptr<C> c) { c.reset(); }

  // Growth point: the most keys the container holds without changing its
  // capacity, starting from the nominal live size. Keys are inserted into a
  // scratch container (empty values: capacity does not depend on them).
  std::optional<std::size_t> find_growth_point(std::size_t nominal) {
    auto c = make_container();
    std::optional<std::size_t> result;
    const std::size_t limit = 16 * nominal + 4096;
    std::optional<std::size_t> cap0;
    std::optional<double> max_load;
    std::uint64_t seed = 0x6A0A7u;
    for (std::size_t n = 0; n < limit; ++n) {
      if (n >= nominal) {
        const Footprint f = c->footprint();
        if (!f.capacity) break;
        if (!cap0) {
          cap0 = f.capacity;
          max_load = f.max_load;
        } else if (*f.capacity != *cap0) {
          result = n - 1;  // the insert that took it to n changed the capacity
          break;
        }
      }
      while (!c->insert(KV::make_key(seed++), V{})) {
      }
    }
    if (!result && cap0 && max_load) result = static_cast<std::size_t>(static_cast<double>(*cap0) * *max_load);
    c.reset();
    probes::MemoryProbe::instance().purge();
    return result;
  }

  void materialise() {
    const std::size_t distinct = stream_.key_seeds.size();
    if constexpr (kStringKeys) {
      keys_.clear();
      keys_.reserve(distinct);
      for (std::uint64_t seed : stream_.key_seeds) keys_.push_back(KV::make_key(seed));
    }
    if constexpr (kValuePrototypes) {
      values_.clear();
      values_.reserve(distinct);
      for (std::uint64_t seed : stream_.key_seeds) values_.push_back(KV::make_value(seed));
    }
    // Per-key payload and element-heap bytes: per key for strings, one
    // constant for fixed-size kinds.
    if constexpr (kStringKeys || kValuePrototypes) {
      payload_.assign(distinct, 0);
      heap_.assign(distinct, 0);
      for (std::size_t i = 0; i < distinct; ++i) {
        const K& k = key_for_index(i);
        const V& v = values_[i];
        payload_[i] = static_cast<std::uint32_t>(KV::payload_bytes(k, v));
        heap_[i] = static_cast<std::uint32_t>(KV::heap_bytes(k, v));
      }
    } else {
      const K k = KV::make_key(1);
      const V v = KV::make_value(1);
      const_payload_ = KV::payload_bytes(k, v);
      const_heap_ = KV::heap_bytes(k, v);
    }
    // The checksum a correct run must reach: the digest of the value stored
    // under each key (always the one made from its seed) over every find_hit.
    std::vector<std::uint64_t> digest(distinct);
    for (std::size_t i = 0; i < distinct; ++i) {
      if constexpr (kValuePrototypes) {
        digest[i] = KV::digest(values_[i]);
      } else {
        digest[i] = KV::digest(KV::make_value(stream_.key_seeds[i]));
      }
    }
    setup_.expected_checksum = 0;
    for (const ThreadStream& t : stream_.threads)
      for (const Operation& op : t.ops)
        if (op.type == OpType::kFindHit) setup_.expected_checksum += digest[op.key_index];
  }

  const K& key_for_index(std::size_t i) const
    requires kStringKeys
  {
    return keys_[i];
  }

  // ---- the op loop ------------------------------------------------------------

  V make_value(const Operation& op) const {
    if constexpr (kValuePrototypes) {
      return V(values_[op.key_index]);
    } else {
      return KV::make_value(op.key_seed);
    }
  }

  template <class Cx>
  [[gnu::always_inline]] inline void exec_op(Cx& c, const Operation& op, OpCounts& n, std::uint64_t& sum) const {
    auto on_found = [&sum](const V& v) { sum += KV::digest(v); };
    auto body = [&](const K& key) {
      switch (op.type) {
        case OpType::kInsert: n[0] += c.insert(key, make_value(op)); break;
        case OpType::kErase: n[1] += c.erase(key); break;
        case OpType::kFindHit: n[2] += c.find(key, on_found); break;
        case OpType::kFindMiss: n[3] += !c.find(key, on_found); break;
      }
    };
    if constexpr (kStringKeys) {
      body(keys_[op.key_index]);
    } else {
      const K key = op.key_seed;
      body(key);
    }
  }

  template <class Cx>
  void run_range(Cx& c, const Operation* ops, std::size_t begin, std::size_t end, OpCounts& n,
                 std::uint64_t& sum) const {
    for (std::size_t i = begin; i < end; ++i) exec_op(c, ops[i], n, sum);
  }

  // Times every op of [begin, end) on its own into per-op histograms.
  template <class Cx>
  void run_range_timed(Cx& c, const Operation* ops, std::size_t begin, std::size_t end, OpCounts& n,
                       std::uint64_t& sum, std::array<probes::LatencyHistogram, kOpTypeCount>& h) const {
    const auto& cal = probes::timer_calibration();
    const double ns_per_tick = 1.0 / cal.ticks_per_ns;
    const auto overhead = static_cast<std::uint64_t>(cal.overhead_ticks);
    for (std::size_t i = begin; i < end; ++i) {
      const std::uint64_t t0 = probes::cycle_begin();
      exec_op(c, ops[i], n, sum);
      const std::uint64_t t1 = probes::cycle_end();
      const std::uint64_t d = t1 - t0 > overhead ? t1 - t0 - overhead : 0;
      h[static_cast<int>(ops[i].type)].record(static_cast<std::uint64_t>(static_cast<double>(d) * ns_per_tick + 0.5));
    }
  }

  template <class Cx>
  RepetitionResult run_pass(Cx& c, bool record, LatencyRecord* latency) {
    return stream_.threads.size() == 1 ? run_single(c, record, latency) : run_threads(c, record, latency);
  }

  // ---- memory tracking ------------------------------------------------------

  struct Tracker {
    std::int64_t live = 0;
    std::int64_t payload = 0;
    std::int64_t heap = 0;
  };

  void advance(Tracker& tr, const Operation* ops, std::size_t begin, std::size_t end) const {
    for (std::size_t i = begin; i < end; ++i) {
      const Operation& op = ops[i];
      std::int64_t sign = 0;
      if (op.type == OpType::kInsert) sign = 1;
      else if (op.type == OpType::kErase) sign = -1;
      else continue;
      tr.live += sign;
      if constexpr (kStringKeys || kValuePrototypes) {
        tr.payload += sign * payload_[op.key_index];
        tr.heap += sign * heap_[op.key_index];
      } else {
        tr.payload += sign * static_cast<std::int64_t>(const_payload_);
        tr.heap += sign * static_cast<std::int64_t>(const_heap_);
      }
    }
  }

  LayerSnapshot snapshot(const C& c, const Tracker& tr, bool expensive_ok) const {
    LayerSnapshot s;
    s.live_keys = static_cast<std::size_t>(std::max<std::int64_t>(0, tr.live));
    s.payload_bytes = tr.payload;
    s.element_heap_bytes = tr.heap;
    s.footprint_bytes = static_cast<std::int64_t>(c.footprint().bytes) + tr.heap;
    s.process = minus_baseline(probes::MemoryProbe::instance().layers(expensive_ok), memory_.baseline);
    return s;
  }

  void begin_phase(const C& c, const Phase& ph, std::size_t phase_index, const Tracker& tr) {
    const probes::HeapCountingPause harness_bookkeeping;
    auto& probe = probes::MemoryProbe::instance();
    probe.reset_peak_rss();
    PhaseEnd pe;
    pe.phase = ph.name;
    pe.role = ph.role;
    pe.begin_op = ph.begin;
    pe.end_op = ph.end;
    pe.at_begin = snapshot(c, tr, /*expensive_ok=*/true);
    phase_activity_ = probes::heap_activity();
    memory_.phase_end.push_back(std::move(pe));
    memory_.series.push_back({ph.begin, ph.name, memory_.phase_end.back().at_begin});
    (void)phase_index;
  }

  void end_phase(C& c, const Phase& ph, const Tracker& tr, bool last) {
    const probes::HeapCountingPause harness_bookkeeping;
    auto& probe = probes::MemoryProbe::instance();
    PhaseEnd& pe = memory_.phase_end.back();
    pe.live_keys = static_cast<std::size_t>(std::max<std::int64_t>(0, tr.live));
    pe.after = snapshot(c, tr, true);
    pe.peak_rss_bytes = probe.peak_rss_bytes();
    pe.internals = c.footprint();
    if (pe.after.process.heap_bytes) {
      const probes::HeapActivity now = probes::heap_activity();
      pe.heap_activity = probes::HeapActivity{now.allocations - phase_activity_.allocations,
                                              now.deallocations - phase_activity_.deallocations,
                                              now.bytes_requested - phase_activity_.bytes_requested};
    }
    if (last) memory_.series.push_back({ph.end, ph.name, pe.after});
    double idle = 0;
    for (double t : ph.idle_probes_s) {
      if (t > idle) idle_sleep(t - idle);
      idle = std::max(idle, t);
      pe.after_idle.push_back({t, snapshot(c, tr, true)});
    }
    if (ph.purge_probe) {
      probe.purge();
      pe.after_purge = snapshot(c, tr, true);
    }
  }

  // ---- one pass, one thread ---------------------------------------------------

  template <class Cx>
  RepetitionResult run_single(Cx& c, bool record, LatencyRecord* latency) {
    const ThreadStream& ts = stream_.threads[0];
    const Operation* ops = ts.ops.data();
    RepetitionResult r;
    r.total_ops = ts.ops.size();
    OpCounts n{};
    std::uint64_t sum = 0;
    Tracker tr;
    std::size_t next_sample = sample_every_;
    std::array<probes::LatencyHistogram, kOpTypeCount>* hist = latency ? &latency->per_op : nullptr;
    for (std::size_t p = 0; p < ts.phases.size(); ++p) {
      const Phase& ph = ts.phases[p];
      if (record) begin_phase(c, ph, p, tr);
      std::uint64_t ticks = 0;
      std::size_t i = ph.begin;
      while (i < ph.end) {
        // Chunks only when memory is recorded; a timed pass runs each phase
        // in one go.
        const std::size_t j = record ? std::min(ph.end, next_sample) : ph.end;
        const std::uint64_t t0 = probes::cycle_begin();
        if (hist) {
          run_range_timed(c, ops, i, j, n, sum, *hist);
        } else {
          run_range(c, ops, i, j, n, sum);
        }
        const std::uint64_t t1 = probes::cycle_end();
        ticks += t1 - t0;
        if (record) advance(tr, ops, i, j);
        i = j;
        if (record && i == next_sample) {
          next_sample += sample_every_;
          if (i < ph.end) {
            const probes::HeapCountingPause harness_bookkeeping;
            memory_.series.push_back({i, ph.name, snapshot(c, tr, false)});
          }
        }
      }
      r.phases.push_back({ph.name, ph.end - ph.begin, probes::ticks_to_seconds(static_cast<double>(ticks))});
      r.seconds += r.phases.back().seconds;
      if (record) end_phase(c, ph, tr, p + 1 == ts.phases.size());
    }
    r.observed = n;
    r.checksum = sum;
    return r;
  }

  // ---- one pass, many threads ---------------------------------------------------

  template <class Cx>
  RepetitionResult run_threads(Cx& c, bool record, LatencyRecord* latency) {
    const std::size_t threads = stream_.threads.size();
    const std::size_t phases = stream_.threads[0].phases.size();
    std::vector<std::vector<std::uint64_t>> ticks(threads, std::vector<std::uint64_t>(phases, 0));
    std::vector<OpCounts> counts(threads, OpCounts{});
    std::vector<std::uint64_t> sums(threads, 0);
    std::vector<std::array<probes::LatencyHistogram, kOpTypeCount>> hists(latency ? threads : 0);
    Tracker tr;
    std::size_t phase_done = 0;
    // Phase boundaries: the last thread to arrive runs the probes while the
    // others wait (clock stopped for all of them).
    auto at_boundary = [&]() noexcept {
      if (!record) return;
      const std::size_t p = phase_done++;
      for (const ThreadStream& t : stream_.threads) advance(tr, t.ops.data(), t.phases[p].begin, t.phases[p].end);
      Phase merged = stream_.threads[0].phases[p];
      merged.begin = 0;
      merged.end = 0;
      for (const ThreadStream& t : stream_.threads) {
        merged.begin += t.phases[p].begin;
        merged.end += t.phases[p].end;
      }
      end_phase(c, merged, tr, p + 1 == phases);
      if (p + 1 < phases) {
        Phase next = stream_.threads[0].phases[p + 1];
        next.begin = merged.end;
        begin_phase(c, next, p + 1, tr);
      }
    };
    std::barrier sync(static_cast<std::ptrdiff_t>(threads), at_boundary);
    std::barrier start(static_cast<std::ptrdiff_t>(threads));
    if (record) {
      Phase first = stream_.threads[0].phases[0];
      first.begin = 0;
      begin_phase(c, first, 0, tr);
    }
    auto body = [&](std::size_t t) {
      const ThreadStream& ts = stream_.threads[t];
      const Operation* ops = ts.ops.data();
      OpCounts n{};
      std::uint64_t sum = 0;
      start.arrive_and_wait();
      for (std::size_t p = 0; p < phases; ++p) {
        const Phase& ph = ts.phases[p];
        const std::uint64_t t0 = probes::cycle_begin();
        if (latency) {
          run_range_timed(c, ops, ph.begin, ph.end, n, sum, hists[t]);
        } else {
          run_range(c, ops, ph.begin, ph.end, n, sum);
        }
        const std::uint64_t t1 = probes::cycle_end();
        ticks[t][p] = t1 - t0;
        sync.arrive_and_wait();
      }
      counts[t] = n;
      sums[t] = sum;
    };
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(body, t);
    body(0);
    for (auto& th : pool) th.join();

    RepetitionResult r;
    r.total_ops = stream_.total_ops();
    for (std::size_t p = 0; p < phases; ++p) {
      std::uint64_t slowest = 0;
      std::size_t ops = 0;
      for (std::size_t t = 0; t < threads; ++t) {
        slowest = std::max(slowest, ticks[t][p]);
        ops += stream_.threads[t].phases[p].end - stream_.threads[t].phases[p].begin;
      }
      r.phases.push_back({stream_.threads[0].phases[p].name, ops, probes::ticks_to_seconds(static_cast<double>(slowest))});
      r.seconds += r.phases.back().seconds;
    }
    for (std::size_t t = 0; t < threads; ++t) {
      for (int i = 0; i < kOpTypeCount; ++i) r.observed[i] += counts[t][i];
      r.checksum += sums[t];
      if (latency)
        for (int i = 0; i < kOpTypeCount; ++i) latency->per_op[i].merge(hists[t][i]);
    }
    return r;
  }

  CellOptions options_;
  CellSetup setup_;
  OperationStream stream_;
  std::vector<K> keys_;                 // string keys by key_index
  std::vector<V> values_;               // string value prototypes by key_index
  std::vector<std::uint32_t> payload_;  // per key_index (string kinds)
  std::vector<std::uint32_t> heap_;
  std::size_t const_payload_ = 0;       // fixed-size kinds
  std::size_t const_heap_ = 0;
  std::size_t sample_every_ = 65536;
  MemoryRecord memory_;
  probes::HeapActivity phase_activity_;  // heap activity when the current phase began
};

template <class C, class KV>
std::unique_ptr<CellDriver> make_cell_driver() {
  return std::make_unique<ContainerCellDriver<C, KV>>();
}

}  // namespace dstudy::bench
