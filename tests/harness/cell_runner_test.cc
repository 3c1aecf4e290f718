// The cell runner on hand-made streams and test containers: a leaking
// container shows memory growth where a correct one shows none; a container
// that stalls on every 1000th erase shows it at P99.9 and max but not P50;
// wrong outcomes fail the check; fill finds the growth point; concurrent
// cells merge per-thread counts and histograms. run_cell_test.cc covers the
// whole cell: independent repetitions, headline phases, the sidecar.
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>

#include "bench/cell/cell_benchmark.h"
#include "bench/cell/cell_runner.h"
#include "bench/codec/pass_codec.h"
#include "bench/output/result_writer.h"
#include "bench/pass/cell_metrics.h"
#include "impls/core/value_types.h"
#include "impls/tombstone_map.h"
#include "tests/harness/skip_under_sanitizer.h"
#include "tests/harness/test_containers.h"
#include "tests/harness/test_streams.h"

namespace dstudy::bench {
namespace {

using harness_test::ChurnShape;
using harness_test::make_churn_stream;

template <template <class, class> class M>
using Driver = ContainerCellDriver<M<std::uint64_t, std::uint64_t>, KvU64>;

StreamFactory fixed(OperationStream s) {
  return [s](std::optional<std::size_t>) { return s; };
}

template <template <class, class> class M>
struct ThroughputOutcome {
  CellSetup setup;
  RepetitionResult rep;
  std::vector<Phase> phases;
  MemoryRecord memory;
  DerivedMemory derived;
};

template <template <class, class> class M>
ThroughputOutcome<M> run_throughput(const OperationStream& s, CellOptions options = {}) {
  Driver<M> d;
  ThroughputOutcome<M> out;
  options.memory_sample_every = 4096;
  out.setup = d.prepare(options, fixed(s));
  out.rep = d.run_memory_pass();
  out.phases = d.phases();
  out.memory = d.memory();
  out.derived = derive_memory(out.memory, out.phases);
  return out;
}

TEST(CellRunner, CorrectContainerPassesTheCheck) {
  const auto s = make_churn_stream({.live = 5000, .churn_steps = 20000});
  auto out = run_throughput<harness_test::PlainMap>(s);
  const CheckResult c = check_repetition(out.setup, out.rep, "throughput");
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_EQ(out.rep.total_ops, s.total_ops());
  ASSERT_EQ(out.rep.phases.size(), 2u);
  EXPECT_EQ(out.rep.phases[0].name, "load");
  EXPECT_GT(out.rep.seconds, 0);
  EXPECT_NE(out.setup.expected_checksum, 0u);
}

TEST(CellRunner, WrongOutcomesFailTheCheck) {
  const auto s = make_churn_stream({.live = 5000, .churn_steps = 5000});
  auto out = run_throughput<harness_test::LossyMap>(s);
  const CheckResult c = check_repetition(out.setup, out.rep, "throughput");
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.message.find("erase expected"), std::string::npos) << c.message;
}

TEST(CellRunner, MemorySeriesAndPhaseEnds) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();
  const auto s = make_churn_stream(
      {.live = 20000, .churn_steps = 20000, .idle_probes_s = {0.01}, .purge_probe = true, .drain_after = true});
  auto out = run_throughput<harness_test::PlainMap>(s);
  const MemoryRecord& m = out.memory;
  ASSERT_EQ(m.phase_end.size(), 3u);
  EXPECT_EQ(m.phase_end[0].live_keys, 20000u);
  EXPECT_EQ(m.phase_end[0].after.payload_bytes, 20000 * 16);
  EXPECT_EQ(m.phase_end[1].role, "steady");
  EXPECT_EQ(m.phase_end[2].live_keys, 2000u);
  EXPECT_EQ(m.phase_end[1].after_idle.size(), 1u);
  EXPECT_TRUE(m.phase_end[1].after_purge.has_value());
  EXPECT_TRUE(m.phase_end[0].internals.capacity.has_value());
  EXPECT_GT(m.series.size(), s.total_ops() / 4096 - 2);
  for (std::size_t i = 1; i < m.series.size(); ++i) EXPECT_GE(m.series[i].op, m.series[i - 1].op);
  // The heap layer after loading 20000 keys holds at least their payload,
  // and is read under every allocator.
  const auto heap = layer_value(m.phase_end[0].after, "heap_bytes");
  ASSERT_TRUE(heap.has_value());
  EXPECT_GE(*heap, 20000.0 * 16);
  EXPECT_EQ(out.derived.steady_phase, std::optional<std::string>("churn"));
  EXPECT_EQ(out.derived.drain_phase, std::optional<std::string>("drain"));
  const LayerFigures& h = out.derived.layers.at("heap_bytes");
  ASSERT_TRUE(h.retention.has_value());
  ASSERT_TRUE(h.retention_after_purge.has_value());
  ASSERT_TRUE(h.space_amplification.has_value());
  EXPECT_GT(*h.space_amplification, 1.0);
  // std::unordered_map frees the nodes of erased keys at once: after a 90%
  // drain its heap holds well under the peak (the bucket array stays).
  EXPECT_LT(*h.retention, 0.6);
  ASSERT_EQ(out.derived.drains.size(), 1u);
  EXPECT_EQ(out.derived.drains[0].layers.at("heap_bytes").retention, h.retention);
}

// A compact probe calls compact() after the purge probe, with heap counting
// on, and reads memory again; a container without compact() records nothing.
TEST(CellRunner, CompactProbeReadsMemoryAfterCompact) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();
  const auto s = make_churn_stream({.live = 20000,
                                    .churn_steps = 2000,
                                    .idle_probes_s = {},
                                    .purge_probe = true,
                                    .drain_after = true,
                                    .compact_after_drain = true});
  auto out = run_throughput<TombstoneMapNever>(s);
  EXPECT_TRUE(check_repetition(out.setup, out.rep, "throughput").ok);
  const PhaseEnd& drain = out.memory.phase_end[2];
  ASSERT_TRUE(drain.after_compact.has_value());
  EXPECT_FALSE(out.memory.phase_end[1].after_compact.has_value()) << "only the phase that asks compacts";
  const auto purged = layer_value(*drain.after_purge, "heap_bytes");
  const auto compacted = layer_value(*drain.after_compact, "heap_bytes");
  ASSERT_TRUE(purged && compacted);
  EXPECT_LT(*compacted, *purged / 4) << "compact() after a 90% drain: the heap counter must see the smaller table";
  EXPECT_LT(drain.after_compact->footprint_bytes, drain.after.footprint_bytes / 4);
  EXPECT_GE(drain.after_compact->footprint_bytes, drain.after_compact->payload_bytes);
  auto plain = run_throughput<harness_test::PlainMap>(s);
  EXPECT_FALSE(plain.memory.phase_end[2].after_compact.has_value()) << "PlainMap has no compact()";
}

// The memory process hands its record to the parent as text (pass_codec.h);
// the parent writes the sidecar's memory section from what it received. A
// record with every kind of reading (idle, purge, compact, probe lengths,
// heap activity) arrives exactly: the same section as from the original.
TEST(CellRunner, MemoryRecordReachesTheParentExactly) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();
  const auto s = make_churn_stream({.live = 20000,
                                    .churn_steps = 20000,
                                    .idle_probes_s = {0.01},
                                    .purge_probe = true,
                                    .drain_after = true,
                                    .compact_after_drain = true});
  const auto out = run_throughput<TombstoneMapNever>(s);
  ASSERT_EQ(out.memory.phase_end.size(), 3u);
  const PhaseEnd& churn = out.memory.phase_end[1];
  ASSERT_TRUE(churn.probe_hit && churn.probe_miss && churn.after_purge && churn.heap_activity);
  ASSERT_FALSE(churn.after_idle.empty());
  ASSERT_TRUE(out.memory.phase_end[2].after_compact);
  const MemoryRecord received = memory_from_json(nlohmann::json::parse(memory_to_json(out.memory).dump()));
  EXPECT_EQ(memory_to_json(received), memory_to_json(out.memory));
  EXPECT_EQ(memory_json(received, derive_memory(received, out.phases)), memory_json(out.memory, out.derived));
}

TEST(CellRunner, LeakShowsAsGrowthWhereACorrectContainerShowsNone) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();
  // Live set constant at 20k; 200k churn steps. The leaky map keeps a 64-byte
  // block per erase (12.8 MB more than the ~1.5 MB it needs). The heap layer
  // sees it under every allocator.
  const auto s = make_churn_stream({.live = 20000, .churn_steps = 200000, .finds_per_step = 1});
  const auto good = run_throughput<harness_test::PlainMap>(s).derived.layers.at("heap_bytes");
  const auto leaky = run_throughput<harness_test::LeakyMap>(s).derived.layers.at("heap_bytes");
  ASSERT_TRUE(good.growth_pct.has_value());
  ASSERT_TRUE(leaky.growth_pct.has_value());
  EXPECT_LT(std::abs(*good.growth_pct), 5.0);
  EXPECT_GT(*leaky.growth_pct, 200.0);
  ASSERT_TRUE(leaky.slope_bytes_per_mop.has_value());
  // 200k erases of 64+ bytes over 0.6 M ops: >= 20 MB per million ops.
  EXPECT_GT(*leaky.slope_bytes_per_mop, 20e6);
  EXPECT_GT(*leaky.slope_bytes_per_mop, 10 * std::abs(*good.slope_bytes_per_mop));
}

// The heap layer is the container's: for a map with no element heap that
// makes one allocation per table, it equals the footprint the map counts
// itself (each allocation at its usable size: a few bytes to a page more),
// also for a map whose probe lengths the recorder follows, with a live-index
// bit and the recent lookups kept for every key index the stream used.
TEST(CellRunner, HeapLayerHoldsNoHarnessBookkeeping) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();
  const auto s = make_churn_stream({.live = 20000, .churn_steps = 400000, .finds_per_step = 1});
  const auto out = run_throughput<TombstoneMapNever>(s);
  for (const PhaseEnd& pe : out.memory.phase_end) {
    const auto heap = layer_value(pe.after, "heap_bytes");
    ASSERT_TRUE(heap.has_value());
    EXPECT_NEAR(*heap, static_cast<double>(pe.after.footprint_bytes), 8192.0)
        << pe.phase << ": the live index (" << (400000 + 20000) / 8 << " bytes of bits) counted as the map's";
  }
}

TEST(CellRunner, StallEvery1000thEraseShowsAtP999AndMaxNotP50) {
  // 49,500 erases: 50 of them (every 1000th) stall ~20 us, just over 0.1%.
  const auto s = make_churn_stream({.live = 20000, .churn_steps = 49500, .finds_per_step = 1});
  Driver<harness_test::StallingMap> d;
  CellOptions options;
  d.prepare(options, fixed(s));
  LatencyRecord lat;
  const RepetitionResult rep = d.run_latency_pass(lat);
  EXPECT_EQ(rep.observed[1], 49500u);
  const auto& erase = lat.per_op[static_cast<int>(OpType::kErase)];
  const auto& insert = lat.per_op[static_cast<int>(OpType::kInsert)];
  ASSERT_EQ(erase.count(), 49500u);
  EXPECT_GE(erase.percentile(0.999), 15000.0);
  EXPECT_GE(static_cast<double>(erase.max()), 15000.0);
  EXPECT_LT(erase.percentile(0.50), 5000.0);
  EXPECT_LT(erase.percentile(0.50), erase.percentile(0.999) / 5);
  // Inserts do not stall: their P99.9 stays well below the stall (noise aside).
  EXPECT_LT(insert.percentile(0.99), 15000.0);
}

TEST(CellRunner, LatencyPassTimesEveryOp) {
  const auto s = make_churn_stream({.live = 5000, .churn_steps = 40000});
  Driver<harness_test::PlainMap> d;
  d.prepare(CellOptions{}, fixed(s));
  LatencyRecord lat;
  d.run_latency_pass(lat);
  std::uint64_t timed = 0;
  for (const auto& h : lat.per_op) timed += h.count();
  EXPECT_EQ(timed, s.total_ops());
  EXPECT_EQ(lat.per_op[static_cast<int>(OpType::kErase)].count(), 40000u);
}

TEST(CellRunner, FillSizesTheStreamToTheGrowthPoint) {
  std::optional<std::size_t> asked;
  const StreamFactory factory = [&](std::optional<std::size_t> live) {
    asked = live;
    return make_churn_stream({.live = live.value_or(1000), .churn_steps = 100});
  };
  Driver<harness_test::PlainMap> d;
  CellOptions options;
  options.fill = 0.5;
  const CellSetup setup = d.prepare(options, factory);
  ASSERT_TRUE(setup.growth_point.has_value());
  // std::unordered_map grows when size exceeds bucket_count (max load 1).
  EXPECT_GE(*setup.growth_point, 1000u);
  ASSERT_TRUE(asked.has_value());
  EXPECT_EQ(*asked, static_cast<std::size_t>(std::floor(0.5 * static_cast<double>(*setup.growth_point))));
  EXPECT_EQ(setup.initial_size, *asked);
  EXPECT_EQ(setup.fill, std::optional<double>(0.5));
}

// A map that reports no capacity: no growth point can be found.
template <class K, class V>
class NoCapacityMap : public harness_test::PlainMap<K, V> {
 public:
  Footprint footprint() const {
    Footprint f = harness_test::PlainMap<K, V>::footprint();
    f.capacity.reset();
    return f;
  }
};

// Knowing the nominal live size, a cell with a fill makes only the stream
// at the fill; without a growth point it falls back to the nominal stream.
TEST(CellRunner, FillWithAKnownNominalSizeMakesOneStream) {
  std::vector<std::optional<std::size_t>> asked;
  const StreamFactory factory = [&](std::optional<std::size_t> live) {
    asked.push_back(live);
    return make_churn_stream({.live = live.value_or(1000), .churn_steps = 100});
  };
  CellOptions options;
  options.fill = 0.5;
  options.nominal_live = 1000;
  Driver<harness_test::PlainMap> d;
  const CellSetup setup = d.prepare(options, factory);
  ASSERT_EQ(asked.size(), 1u);
  ASSERT_TRUE(asked[0].has_value());
  EXPECT_EQ(setup.nominal_initial_size, 1000u);
  EXPECT_EQ(setup.initial_size, *asked[0]);

  asked.clear();
  Driver<NoCapacityMap> none;
  const CellSetup nominal = none.prepare(options, factory);
  EXPECT_EQ(asked, std::vector<std::optional<std::size_t>>{std::nullopt});
  EXPECT_FALSE(nominal.growth_point.has_value());
  EXPECT_EQ(nominal.initial_size, 1000u);
}

// Thread-safe wrapper for the concurrent path.
template <class K, class V>
class LockedMap : public harness_test::PlainMap<K, V> {
 public:
  static constexpr bool kThreadSafe = true;
  bool insert(const K& k, V&& v) {
    std::lock_guard g(m_);
    return harness_test::PlainMap<K, V>::insert(k, std::move(v));
  }
  bool erase(const K& k) {
    std::lock_guard g(m_);
    return harness_test::PlainMap<K, V>::erase(k);
  }
  template <class F>
  bool find(const K& k, F&& f) const {
    std::lock_guard g(m_);
    return harness_test::PlainMap<K, V>::find(k, f);
  }
  std::size_t size() const {
    std::lock_guard g(m_);
    return harness_test::PlainMap<K, V>::size();
  }
  Footprint footprint() const {
    std::lock_guard g(m_);
    return harness_test::PlainMap<K, V>::footprint();
  }

 private:
  mutable std::mutex m_;
};

TEST(CellRunner, ConcurrentCellMergesThreads) {
  const auto s = harness_test::make_concurrent_churn_stream({.live = 2000, .churn_steps = 5000}, 3);
  ContainerCellDriver<LockedMap<std::uint64_t, std::uint64_t>, KvU64> d;
  CellOptions options;
  const CellSetup setup = d.prepare(options, fixed(s));
  EXPECT_EQ(setup.threads, 3);
  const RepetitionResult rep = d.run_memory_pass();
  const CheckResult c = check_repetition(setup, rep, "memory");
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_EQ(rep.total_ops, s.total_ops());
  ASSERT_EQ(d.memory().phase_end.size(), 2u);
  EXPECT_EQ(d.memory().phase_end[1].live_keys, 6000u);
  LatencyRecord lat;
  const RepetitionResult lrep = d.run_latency_pass(lat);
  EXPECT_TRUE(check_repetition(setup, lrep, "latency").ok);
  std::uint64_t timed = 0;
  for (const auto& h : lat.per_op) timed += h.count();
  EXPECT_EQ(timed, s.total_ops());
}

TEST(CellRunner, HarnessOverheadIsMeasured) {
  const auto s = make_churn_stream({.live = 20000, .churn_steps = 50000});
  Driver<harness_test::PlainMap> d;
  d.prepare(CellOptions{}, fixed(s));
  const double overhead = d.harness_overhead_ns_per_op();
  const RepetitionResult rep = d.run_timed_pass();
  const double real_ns = rep.seconds * 1e9 / static_cast<double>(rep.total_ops);
  EXPECT_GT(overhead, 0.0);
  EXPECT_LT(overhead, real_ns) << "the empty loop must cost less than a real hash map op";
}

TEST(ThroughputSummary, MedianMadAndWarning) {
  const ThroughputSummary s = summarize_throughput({100, 102, 98, 101, 99});
  EXPECT_DOUBLE_EQ(s.median, 100);
  EXPECT_DOUBLE_EQ(s.min, 98);
  EXPECT_DOUBLE_EQ(s.max, 102);
  EXPECT_NEAR(s.mad_pct, 1.0, 1e-9);
  EXPECT_FALSE(s.spread_warning);
  EXPECT_TRUE(summarize_throughput({100, 150, 60, 100, 130}).spread_warning);
}

}  // namespace
}  // namespace dstudy::bench
