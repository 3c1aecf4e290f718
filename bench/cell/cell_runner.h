// Runs one cell for one container type C and key/value kind KV: the templated
// heart of the harness. It knows the container only through the concept
// (impls/core/container.h); the container never knows it is measured.
//
// Before anything is timed: the stream is made (at a fill of the growth point
// when the spec asks), and its keys materialised with the expected checksum
// (stream_keys.h). Then, each pass on a fresh container (cell_benchmark.cc
// decides which process runs which), all through one loop (run_pass) and
// the same per-op code (op_loop.h):
//
//   memory pass       heap counting on, the memory recorder
//                     (memory_recorder.h) probing between chunks of ops and
//                     at phase ends. Its timing is not used for any
//                     throughput figure.
//   timed pass        no per-op timer and no probes: each phase timed by the
//                     cycle timer at its edges.
//   latency pass      every op timed on its own into a histogram per op
//                     type, timer overhead subtracted: closed-loop service
//                     time.
//   open-loop pass    the paced phases run at scheduled arrivals
//                     (paced_loop.h): response and service time per op,
//                     the worst stalls and the backlog each left. One thread.
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

#include "bench/cell/cell_driver.h"
#include "bench/cell/null_container.h"
#include "bench/memory/memory_recorder.h"
#include "bench/open_loop/paced_loop.h"
#include "bench/pass/op_loop.h"
#include "bench/pass/stream_keys.h"
#include "bench/probes/cycle_timer.h"
#include "bench/probes/heap_counter.h"
#include "bench/probes/memory_probe.h"
#include "bench/workload/mapped_file.h"
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

// Bytes of a stream that are views over a mapped file (a replayed trace's
// records and timestamps, a cached stream's ops), and the machine's memory:
// a pass faults the views in first only when they fit in half of it.
std::size_t mapped_bytes(const OperationStream& stream);
std::size_t physical_memory_bytes();

// Automatic memory sampling interval: about 256 samples over thread 0's ops,
// a power of two, at least 1024.
std::size_t auto_sample_every(std::size_t ops);

template <class C, class KV>
class ContainerCellDriver final : public CellDriver {
 public:
  using K = typename KV::key_type;
  using V = typename KV::mapped_type;

  CellSetup prepare(const CellOptions& options, const StreamFactory& make_stream) override {
    std::optional<OperationStream> s;
    if (!options.fill || !options.nominal_live) s = make_stream(std::nullopt);
    setup_.nominal_initial_size = s ? s->initial_size : *options.nominal_live;
    if (options.fill) {
      const std::optional<std::size_t> gp = find_growth_point(setup_.nominal_initial_size);
      if (gp) {
        const auto live = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(*options.fill * *gp)));
        s = make_stream(live);
        setup_.fill = options.fill;
        setup_.growth_point = gp;
      }
    }
    if (!s) s = make_stream(std::nullopt);  // a fill, but no growth point: the nominal stream
    validate_stream(*s);
    stream_ = std::move(*s);
    setup_.initial_size = stream_.initial_size;
    setup_.seed = stream_.seed;
    setup_.threads = static_cast<int>(stream_.threads.size());
    setup_.total_ops = stream_.total_ops();
    for (const ThreadStream& t : stream_.threads)
      for (int i = 0; i < kOpTypeCount; ++i) setup_.expected[i] += t.expected[i];
    if (options.reserve) {
      if constexpr (Reservable<C>) setup_.reserved = peak_live_keys(stream_);
    }
    setup_.expected_checksum = keys_.materialise(stream_);
    memory_.set_sample_every(options.memory_sample_every ? options.memory_sample_every
                                                         : auto_sample_every(stream_.threads[0].ops.size()));
    return setup_;
  }

  RepetitionResult run_memory_pass() override {
    // Counting covers exactly this container's life; the harness's own
    // records are kept out of it (HeapCountingPause in the recorder).
    fault_in_stream();  // before the baseline: mapped records are not the container's
    probes::set_heap_counting(true);
    memory_.start();
    auto c = make_container();
    RepetitionResult r = run_pass(*c, &memory_, nullptr);
    destroy(std::move(c));
    probes::set_heap_counting(false);
    return r;
  }

  RepetitionResult run_timed_pass() override {
    fault_in_stream();
    auto c = make_container();
    RepetitionResult r = run_pass(*c, nullptr, nullptr);
    destroy(std::move(c));
    return r;
  }

  RepetitionResult run_latency_pass(LatencyRecord& into) override {
    fault_in_stream();
    auto c = make_container();
    RepetitionResult r = run_pass(*c, nullptr, &into);
    ++into.repetitions;
    destroy(std::move(c));
    return r;
  }

  OpenLoopPass run_open_loop_pass(const OpenLoopRequest& request) override {
    if (stream_.threads.size() != 1)
      throw std::invalid_argument("the open-loop pass paces one-thread streams only; workload '" + stream_.workload +
                                  "' runs " + std::to_string(stream_.threads.size()) + " threads");
    const ThreadStream& ts = stream_.threads[0];
    const std::vector<bool> paced = paced_phases(ts.phases);
    OpenLoopPass out;
    out.target_ops_per_second = request.ops_per_second;
    out.arrivals = arrival_process_name(request.process);
    std::size_t paced_ops = 0;
    for (std::size_t p = 0; p < ts.phases.size(); ++p) {
      if (!paced[p]) continue;
      paced_ops += ts.phases[p].end - ts.phases[p].begin;
      out.paced_phases.push_back(ts.phases[p].name);
    }
    const std::vector<std::uint64_t> arrivals =
        request.process == ArrivalProcess::kRecorded
            ? recorded_arrivals(ts, paced, request.timestamp_scale)
            : make_arrivals(request.process, paced_ops, request.ops_per_second, request.seed);
    if (request.process == ArrivalProcess::kRecorded && !arrivals.empty() && arrivals.back() > 0)
      out.target_ops_per_second = static_cast<double>(paced_ops) * 1e9 / static_cast<double>(arrivals.back());
    fault_in_stream();
    auto c = make_container();
    StallTracker stalls;
    OpCounts n{};
    std::uint64_t sum = 0;
    std::vector<std::uint64_t> ticks(ts.phases.size(), 0);
    const std::uint64_t* next_arrival = arrivals.data();
    for (std::size_t p = 0; p < ts.phases.size(); ++p) {
      const Phase& ph = ts.phases[p];
      if (!paced[p]) {
        ticks[p] = run_span(*c, ts.ops.data(), ph.begin, ph.end, n, sum, nullptr);
        continue;
      }
      const std::uint64_t switches = involuntary_context_switches();
      ticks[p] = paced_.run(*c, ts.ops.data(), ph.begin, ph.end, next_arrival, ph.name, n, sum, out, stalls);
      out.involuntary_switches += involuntary_context_switches() - switches;
      next_arrival += ph.end - ph.begin;
      out.paced_seconds += probes::ticks_to_seconds(static_cast<double>(ticks[p]));
    }
    out.stalls = stalls.stalls();
    out.pass = collect({ticks}, {n}, {sum}, {}, nullptr);
    destroy(std::move(c));
    return out;
  }

  double harness_overhead_ns_per_op() override {
    fault_in_stream();
    double best = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
      NullContainer<K, V> null;
      OpCounts n{};
      std::uint64_t sum = 0;
      const ThreadStream& ts = stream_.threads[0];
      const std::uint64_t t0 = probes::cycle_begin();
      loop_.run(null, ts.ops.data(), 0, ts.ops.size(), n, sum);
      const std::uint64_t t1 = probes::cycle_end();
      // Every count and the checksum are read, as a real pass reads them
      // (the outcome check), so the compiler cannot drop the counting.
      for (const std::uint64_t x : n) asm volatile("" : : "r"(x));
      asm volatile("" : : "r"(sum));
      const double ns = probes::ticks_to_ns(static_cast<double>(t1 - t0)) /
                        static_cast<double>(std::max<std::size_t>(1, ts.ops.size()));
      best = attempt == 0 ? ns : std::min(best, ns);
    }
    return best;
  }

  const MemoryRecord& memory() const override { return memory_.record(); }
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

  // A stream that is a view over a mapped file (a replayed trace, a cached
  // stream) is made resident in this process before a pass reads its
  // baseline or starts a clock: each pass runs in a forked process, which
  // does not inherit the parent's page tables for a file mapping
  // (mapped_file.h), so it would otherwise fault the records in inside the
  // timed region and count them in its rss layer. A generated stream's
  // memory is inherited and needs nothing.
  // Skipped when the views are over half the machine's memory: touching
  // them all would only evict the first pages again.
  void fault_in_stream() const {
    if (mapped_bytes(stream_) > physical_memory_bytes() / 2) return;
    for (const ThreadStream& t : stream_.threads) {
      if (t.ops.is_view()) fault_in(t.ops.data(), t.ops.size() * sizeof(Operation));
      if (t.recorded_ns.size) fault_in(t.recorded_ns.ns, t.recorded_ns.size * sizeof(std::uint64_t));
    }
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

  // ---- one pass -----------------------------------------------------------------

  // One pass over the stream on `c`: the same loop for one thread and for
  // many. Every thread runs its phases in order, each phase timed at its
  // edges; the threads meet at a barrier at each phase boundary, where the
  // memory recorder (memory pass only) probes while every clock is stopped.
  // Thread 0 runs on the calling thread, so a one-thread stream starts no
  // thread. With one thread the memory pass also samples inside a phase,
  // every sample_every ops; with several, only at the boundaries, the one
  // moment the live payload is known.
  RepetitionResult run_pass(C& c, MemoryRecorder<C, KV>* memory, LatencyRecord* latency) {
    const std::size_t threads = stream_.threads.size();
    const std::size_t phases = stream_.threads[0].phases.size();
    const bool sample_inside = memory && threads == 1;
    // The pass's own bookkeeping (these vectors, the barriers, the threads)
    // is allocated with heap counting paused: the heap layer is the container's.
    std::optional<probes::HeapCountingPause> bookkeeping(std::in_place);
    std::vector<std::vector<std::uint64_t>> ticks(threads, std::vector<std::uint64_t>(phases, 0));
    std::vector<OpCounts> counts(threads, OpCounts{});
    std::vector<std::uint64_t> sums(threads, 0);
    std::vector<OpHistograms> hists(latency ? threads : 0);
    // by phase: each thread's phase p into its own set, merged afterwards
    const bool by_phase = latency && latency->by_phase;
    std::vector<std::vector<OpHistograms>> phase_hists(by_phase ? threads : 0,
                                                       std::vector<OpHistograms>(by_phase ? phases : 0));
    std::size_t phase_done = 0;
    auto at_boundary = [&]() noexcept {
      if (!memory) return;
      const std::size_t p = phase_done++;
      if (!sample_inside)
        for (const ThreadStream& t : stream_.threads) memory->advance(t.ops.data(), t.phases[p].begin, t.phases[p].end);
      memory->end_phase(c, merged_phase(p), p + 1 == phases);
      if (p + 1 < phases) memory->begin_phase(c, merged_phase(p + 1));
    };
    std::barrier sync(static_cast<std::ptrdiff_t>(threads), at_boundary);
    std::barrier start(static_cast<std::ptrdiff_t>(threads));
    auto body = [&](std::size_t t) {
      const ThreadStream& ts = stream_.threads[t];
      OpHistograms* all = latency ? &hists[t] : nullptr;
      // Counted on the stack (registers), not in the shared vectors: no
      // aliasing with the container's stores, no false sharing between threads.
      OpCounts n{};
      std::uint64_t sum = 0;
      start.arrive_and_wait();
      for (std::size_t p = 0; p < phases; ++p) {
        const Phase& ph = ts.phases[p];
        OpHistograms* h = by_phase ? &phase_hists[t][p] : all;
        ticks[t][p] = sample_inside ? run_phase_sampled(c, ts, ph, *memory, n, sum, h)
                                    : run_span(c, ts.ops.data(), ph.begin, ph.end, n, sum, h);
        sync.arrive_and_wait();
      }
      counts[t] = n;
      sums[t] = sum;
    };
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(body, t);  // they wait at `start`
    bookkeeping.reset();
    if (memory) memory->begin_phase(c, merged_phase(0));
    body(0);
    for (auto& th : pool) th.join();
    if (by_phase) merge_phase_histograms(phase_hists, hists, *latency);
    return collect(ticks, counts, sums, hists, latency);
  }

  // Per-phase histograms of every thread into the record's per-phase sets
  // and into each thread's whole-pass set (which collect() then merges).
  static void merge_phase_histograms(const std::vector<std::vector<OpHistograms>>& phase_hists,
                                     std::vector<OpHistograms>& hists, LatencyRecord& into) {
    const std::size_t phases = phase_hists.front().size();
    if (into.per_phase.size() < phases) into.per_phase.resize(phases);
    for (std::size_t t = 0; t < phase_hists.size(); ++t)
      for (std::size_t p = 0; p < phases; ++p)
        for (int i = 0; i < kOpTypeCount; ++i) {
          hists[t][i].merge(phase_hists[t][p][i]);
          into.per_phase[p][i].merge(phase_hists[t][p][i]);
        }
  }

  // The paced phases' recorded timestamps (a replayed trace) x scale.
  static std::vector<std::uint64_t> recorded_arrivals(const ThreadStream& ts, const std::vector<bool>& paced,
                                                      double scale) {
    if (ts.recorded_ns.size != ts.ops.size())
      throw std::invalid_argument("paced replay needs the stream's recorded timestamps; this stream has none");
    std::vector<std::uint64_t> times;
    for (std::size_t p = 0; p < ts.phases.size(); ++p)
      if (paced[p])
        times.insert(times.end(), ts.recorded_ns.ns + ts.phases[p].begin, ts.recorded_ns.ns + ts.phases[p].end);
    return arrivals_from_timestamps(times, scale);
  }

  // Runs ops [begin, end) of one thread; returns the ticks they took.
  std::uint64_t run_span(C& c, const Operation* ops, std::size_t begin, std::size_t end, OpCounts& n,
                         std::uint64_t& sum, OpHistograms* h) const {
    const std::uint64_t t0 = probes::cycle_begin();
    if (h) {
      loop_.run_timed(c, ops, begin, end, n, sum, *h);
    } else {
      loop_.run(c, ops, begin, end, n, sum);
    }
    return probes::cycle_end() - t0;
  }

  // One phase in chunks up to each due memory sample; only the chunks are timed.
  std::uint64_t run_phase_sampled(C& c, const ThreadStream& ts, const Phase& ph, MemoryRecorder<C, KV>& memory,
                                  OpCounts& n, std::uint64_t& sum, OpHistograms* h) const {
    std::uint64_t ticks = 0;
    for (std::size_t i = ph.begin; i < ph.end;) {
      const std::size_t j = std::min(ph.end, memory.next_sample());
      ticks += run_span(c, ts.ops.data(), i, j, n, sum, h);
      memory.advance(ts.ops.data(), i, j);
      memory.sample_if_due(c, j, ph);
      i = j;
    }
    return ticks;
  }

  // Phase p over all threads: thread 0's phase, with begin and end counted
  // in ops of every thread (what the memory record's op axis means).
  Phase merged_phase(std::size_t p) const {
    Phase merged = stream_.threads[0].phases[p];
    merged.begin = merged.end = 0;
    for (const ThreadStream& t : stream_.threads) {
      merged.begin += t.phases[p].begin;
      merged.end += t.phases[p].end;
    }
    return merged;
  }

  // A phase's time is its slowest thread's; counts, checksums and latency
  // histograms are summed over threads.
  RepetitionResult collect(const std::vector<std::vector<std::uint64_t>>& ticks, const std::vector<OpCounts>& counts,
                           const std::vector<std::uint64_t>& sums, const std::vector<OpHistograms>& hists,
                           LatencyRecord* latency) const {
    RepetitionResult r;
    r.total_ops = stream_.total_ops();
    for (std::size_t p = 0; p < stream_.threads[0].phases.size(); ++p) {
      std::uint64_t slowest = 0;
      std::size_t ops = 0;
      for (std::size_t t = 0; t < stream_.threads.size(); ++t) {
        slowest = std::max(slowest, ticks[t][p]);
        ops += stream_.threads[t].phases[p].end - stream_.threads[t].phases[p].begin;
      }
      r.phases.push_back(
          {stream_.threads[0].phases[p].name, ops, probes::ticks_to_seconds(static_cast<double>(slowest))});
      r.seconds += r.phases.back().seconds;
    }
    for (std::size_t t = 0; t < stream_.threads.size(); ++t) {
      for (int i = 0; i < kOpTypeCount; ++i) r.observed[i] += counts[t][i];
      r.checksum += sums[t];
      if (latency)
        for (int i = 0; i < kOpTypeCount; ++i) latency->per_op[i].merge(hists[t][i]);
    }
    return r;
  }

  CellSetup setup_;
  OperationStream stream_;
  StreamKeys<KV> keys_;
  OpLoop<KV> loop_{keys_};
  PacedLoop<KV> paced_{loop_};
  MemoryRecorder<C, KV> memory_{keys_};
};

template <class C, class KV>
std::unique_ptr<CellDriver> make_cell_driver() {
  return std::make_unique<ContainerCellDriver<C, KV>>();
}

}  // namespace dstudy::bench
