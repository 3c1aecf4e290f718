// The whole cell as dstudy_bench runs it: every repetition in a process of
// its own (a container slow only in the first instance of a process is slow
// in every repetition's cold pass and fast in every warm one), the headline
// taken over the headline phases, every op timed so a rare stall reaches
// P99.9, percentiles withheld below their minimum sample count, and the
// sidecar's sections in the documented shape.
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <sys/mman.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "bench/cell/cell_benchmark.h"
#include "bench/cell/cell_runner.h"
#include "bench/cell/repetition_process.h"
#include "bench/output/result_writer.h"
#include "bench/probes/environment.h"
#include "bench/probes/heap_counter.h"
#include "bench/probes/machine_load.h"
#include "bench/probes/memory_probe.h"
#include "bench/workload/stream_generator.h"
#include "bench/workload/workload_spec.h"
#include "impls/core/value_types.h"
#include "impls/tombstone_map.h"
#include "tests/harness/skip_under_sanitizer.h"
#include "tests/harness/test_containers.h"
#include "tests/harness/test_streams.h"

namespace dstudy::bench {
namespace {

StreamFactory fixed(OperationStream s) {
  return [s](std::optional<std::size_t>) { return s; };
}

// The sidecar of one cell, run as dstudy_bench runs it. Google Benchmark
// runs once per process (a second RunSpecifiedBenchmarks in one process
// crashes libbenchmark 1.7), so each cell runs in a process of its own, as
// in dstudy_bench.
template <template <class, class> class M>
nlohmann::json sidecar(const StreamFactory& make, CellOptions options) {
  return run_in_child_process("test cell", [&] {
    static char name[] = "harness_tests";
    static char* argv[] = {name, nullptr};
    int argc = 1;
    benchmark::Initialize(&argc, argv);
    ContainerCellDriver<M<std::uint64_t, std::uint64_t>, KvU64> driver;
    options.impl = "test";
    options.workload = "test";
    options.kv = "u64";
    const CellRun r = run_cell(driver, options, make);
    return sidecar_json(r, SidecarContext{"", nlohmann::json::object()}, probes::timer_calibration());
  });
}

TEST(RunCell, EveryRepetitionIsAFreshProcess) {
  const auto s = harness_test::make_churn_stream({.live = 3000, .churn_steps = 6000});
  CellOptions o;
  o.repetitions = 3;
  o.latency = false;
  const nlohmann::json j = sidecar<harness_test::FirstInstanceSlowMap>(fixed(s), o);
  ASSERT_TRUE(j["checks"]["ok"].get<bool>()) << j["checks"]["message"];
  const nlohmann::json& t = j["throughput"];
  ASSERT_EQ(t["repetitions"].size(), 3u);
  std::set<long> processes;
  for (std::size_t i = 0; i < 3; ++i) {
    const long process = t["repetitions"][i]["process"];
    processes.insert(process);
    EXPECT_EQ(t["cold_repetitions"][i]["process"], process);
    // The cold pass is the process's first instance (~1 us per insert/erase);
    // in a shared process only the first repetition's would be.
    const double cold = t["cold_repetitions"][i]["headline_ops_per_second"];
    const double warm = t["repetitions"][i]["headline_ops_per_second"];
    EXPECT_GT(warm, 2 * cold) << "repetition " << i;
  }
  EXPECT_EQ(processes.size(), 3u);
  EXPECT_FALSE(processes.count(static_cast<long>(getpid())));
  EXPECT_EQ(t["independence"], "process");
  EXPECT_EQ(t["headline"]["samples"], 3);
  EXPECT_EQ(t["headline"]["phases"], nlohmann::json::array({"churn"}));
  EXPECT_GT(t["headline"]["median_ops_per_second"].get<double>(),
            2 * t["cold"]["headline"]["median_ops_per_second"].get<double>());
  EXPECT_EQ(t["build"]["phases"], nlohmann::json::array({"load"}));
}

TEST(RunCell, HeadlineIsTheHeadlinePhasesOnly) {
  auto s = harness_test::make_churn_stream({.live = 3000, .churn_steps = 6000});
  CellOptions o;
  o.repetitions = 1;
  o.latency = false;
  const nlohmann::json j = sidecar<harness_test::PlainMap>(fixed(s), o);
  const nlohmann::json& churn = j["throughput"]["repetitions"][0]["phases"][1];
  EXPECT_EQ(churn["name"], "churn");
  EXPECT_DOUBLE_EQ(j["throughput"]["headline"]["per_repetition"][0].get<double>(),
                   churn["ops_per_second"].get<double>());
  EXPECT_EQ(j["workload"]["phases"][0]["role"], "load");
  EXPECT_EQ(j["workload"]["phases"][0]["headline"], false);
  EXPECT_EQ(j["workload"]["headline_phases"], nlohmann::json::array({"churn"}));
}

// Open-loop passes in every repetition process: one entry per rate asked, in
// the order asked, each over both repetitions; a fraction is of the
// repetition's own latency-pass throughput; only the headline phase paced;
// every paced op in the response and service histograms; every pass checked.
TEST(RunCell, OpenLoopSectionHasEveryRateOverEveryRepetition) {
  const auto s = harness_test::make_churn_stream({.live = 2000, .churn_steps = 3000});
  CellOptions o;
  o.repetitions = 2;
  o.latency = true;
  o.open_loop = {{.fraction = 0.5, .ops_per_second = std::nullopt, .timestamp_scale = std::nullopt},
                 {.fraction = std::nullopt, .ops_per_second = 2e6, .timestamp_scale = std::nullopt}};
  o.arrivals = ArrivalProcess::kPoisson;
  const nlohmann::json j = sidecar<harness_test::PlainMap>(fixed(s), o);
  ASSERT_TRUE(j["checks"]["ok"].get<bool>()) << j["checks"]["message"];
  const nlohmann::json& ol = j["open_loop"];
  ASSERT_TRUE(ol.is_object());
  EXPECT_EQ(ol["arrivals"], "poisson");
  EXPECT_EQ(ol["rate_basis"], "latency_pass");
  EXPECT_EQ(ol["paced_phases"], nlohmann::json::array({"churn"}));
  EXPECT_EQ(ol["unpaced_phases"], nlohmann::json::array({"load"}));
  ASSERT_EQ(ol["rates"].size(), 2u);
  const nlohmann::json& half = ol["rates"][0];
  EXPECT_EQ(half["fraction"], 0.5);
  ASSERT_EQ(half["per_repetition_target_ops_per_second"].size(), 2u);
  for (int r = 0; r < 2; ++r)
    EXPECT_DOUBLE_EQ(half["per_repetition_target_ops_per_second"][r].get<double>(),
                     0.5 * half["per_repetition_basis_ops_per_second"][r].get<double>());
  EXPECT_TRUE(ol["rates"][1]["fraction"].is_null());
  EXPECT_EQ(ol["rates"][1]["target_ops_per_second"], 2e6);
  for (const auto& rate : ol["rates"]) {
    EXPECT_EQ(rate["paced_ops"], 2 * 12000);  // 3000 steps of 4 ops, twice
    EXPECT_EQ(rate["response"]["all"]["count"], 2 * 12000);
    EXPECT_EQ(rate["service"]["all"]["count"], 2 * 12000);
    EXPECT_EQ(rate["response"]["erase"]["count"], 2 * 3000);
    EXPECT_GE(rate["response"]["all"]["max_ns"].get<double>(), rate["service"]["all"]["max_ns"].get<double>());
    EXPECT_TRUE(rate["stalls"].is_array());
  }
}

// The quick profile's steady_churn at fill 0.85, three repetitions, as the
// default run measures it: a container stalling ~20 us on every 1000th erase
// must show the stall at erase P99.9 and max, never at P50.
TEST(RunCell, StallEvery1000thEraseReachesP999InTheDefaultProfile) {
  WorkloadSpec spec = find_workload(default_workloads_dir(), "steady_churn.fill85");
  CellOptions o;
  o.repetitions = 3;
  o.latency = true;
  o.fill = spec.fill;
  o.size = "quick";
  const StreamFactory make = [&](std::optional<std::size_t> live) {
    return generate_stream(spec, "quick", "u64", live);
  };
  const nlohmann::json j = sidecar<harness_test::StallingMap>(make, o);
  ASSERT_TRUE(j["checks"]["ok"].get<bool>()) << j["checks"]["message"];
  const nlohmann::json erase = j["latency"]["per_op"]["erase"];
  ASSERT_GE(erase["count"].get<double>(), 10000.0);
  ASSERT_FALSE(erase["p999_ns"].is_null());
  EXPECT_GE(erase["p999_ns"].get<double>(), 10000.0) << erase;
  EXPECT_GE(erase["max_ns"].get<double>(), 15000.0);
  EXPECT_LT(erase["p50_ns"].get<double>(), 5000.0);
}

TEST(RunCell, PercentilesNeedEnoughSamples) {
  // 900 erases: P50 and P90 are reported, P99 (1000) and P99.9 (10000) not.
  const auto s = harness_test::make_churn_stream({.live = 2000, .churn_steps = 900});
  CellOptions o;
  o.repetitions = 1;
  o.latency = true;
  const nlohmann::json lat = sidecar<harness_test::PlainMap>(fixed(s), o)["latency"];
  const nlohmann::json erase = lat["per_op"]["erase"];
  EXPECT_EQ(erase["count"], 900);
  EXPECT_FALSE(erase["p50_ns"].is_null());
  EXPECT_FALSE(erase["p90_ns"].is_null());
  EXPECT_TRUE(erase["p99_ns"].is_null());
  EXPECT_TRUE(erase["p999_ns"].is_null());
  EXPECT_GT(erase["max_ns"].get<double>(), 0);
  EXPECT_EQ(lat["min_samples"]["p999_ns"], 10000);
  EXPECT_EQ(lat["min_samples"]["p99_ns"], 1000);
  EXPECT_EQ(lat["sampling"]["mode"], "every");
  EXPECT_GT(lat["resolution_ns"].get<double>(), 0);
}

// --latency-repetitions 2 of 3: the latency pass runs in the first two
// repetition processes only; every op of those two is timed (the counts are
// two streams' worth), the throughput still has three repetitions.
TEST(RunCell, LatencyPassRunsInTheFirstLatencyRepetitionsOnly) {
  const auto s = harness_test::make_churn_stream({.live = 2000, .churn_steps = 900});
  CellOptions o;
  o.repetitions = 3;
  o.latency = true;
  o.latency_repetitions = 2;
  const nlohmann::json j = sidecar<harness_test::PlainMap>(fixed(s), o);
  ASSERT_TRUE(j["checks"]["ok"].get<bool>()) << j["checks"]["message"];
  EXPECT_EQ(j["throughput"]["repetitions"].size(), 3u);
  EXPECT_EQ(j["latency"]["repetitions"], 2);
  const nlohmann::json erase = j["latency"]["per_op"]["erase"];
  EXPECT_EQ(erase["count"], 2 * 900);
  EXPECT_EQ(erase["per_repetition"].size(), 2u);
  for (const nlohmann::json& r : erase["per_repetition"]) EXPECT_EQ(r["count"], 900);
  o.latency_repetitions = 0;  // every repetition
  EXPECT_EQ(sidecar<harness_test::PlainMap>(fixed(s), o)["latency"]["repetitions"], 3);
}

// The drift preset at quick size: latency per phase (load, then per turnover
// its churn and its find_miss-only phase, each with its own find_miss
// percentiles, counts summing to the pass's) and probe lengths at every phase
// end from a container that can tell; neither from a container that cannot,
// or when the spec does not ask.
TEST(RunCell, DriftKeepsLatencyPerPhaseAndProbeLengthsPerPhaseEnd) {
  WorkloadSpec spec = find_workload(default_workloads_dir(), "drift");
  ASSERT_TRUE(spec.latency_by_phase);
  CellOptions o;
  o.repetitions = 2;
  o.latency = true;
  o.latency_by_phase = true;
  o.fill = spec.fill;
  o.size = "quick";
  const StreamFactory make = [&](std::optional<std::size_t> live) {
    return generate_stream(spec, "quick", "u64", live);
  };
  const nlohmann::json j = sidecar<TombstoneMapNever>(make, o);
  ASSERT_TRUE(j["checks"]["ok"].get<bool>()) << j["checks"]["message"];
  const nlohmann::json& by_phase = j["latency"]["by_phase"];
  ASSERT_EQ(by_phase.size(), 101u);
  EXPECT_EQ(by_phase[0]["phase"], "load");
  EXPECT_EQ(by_phase[99]["phase"], "churn_50");
  EXPECT_EQ(by_phase[100]["phase"], "miss_50");
  EXPECT_EQ(by_phase[100]["per_op"].size(), 1u) << "a miss phase does find_miss only";
  double misses = 0;
  for (std::size_t p = 1; p <= 100; ++p) {
    const nlohmann::json& miss = by_phase[p]["per_op"]["find_miss"];
    ASSERT_FALSE(miss.is_null()) << p;
    EXPECT_FALSE(miss["p99_ns"].is_null()) << "a turnover has 1000+ misses";
    misses += miss["count"].get<double>();
  }
  EXPECT_EQ(misses, j["latency"]["per_op"]["find_miss"]["count"].get<double>());
  const nlohmann::json& ends = j["memory"]["phase_end"];
  ASSERT_EQ(ends.size(), 101u);
  EXPECT_TRUE(ends[0]["probe_lengths"].is_null()) << "no lookup before the load ends";
  std::size_t with_tombstones = 0;
  for (std::size_t p = 1; p <= 100; ++p) {
    const nlohmann::json& pl = ends[p]["probe_lengths"];
    ASSERT_FALSE(pl.is_null()) << p;
    EXPECT_EQ(pl["unit"], kProbeLengthUnit);
    EXPECT_EQ(pl["miss"]["samples"], kProbeSample);
    // (a recent hit whose key a later erase removed drops out)
    EXPECT_GT(pl["hit"]["samples"].get<double>(), 0.5 * kProbeSample);
    with_tombstones += ends[p]["internals"]["tombstones"].get<std::size_t>() > 0;
  }
  EXPECT_GT(with_tombstones, 0u) << "fill 0.85 churn leaves tombstones";
  // A container that cannot tell its probe lengths writes none.
  o.repetitions = 1;
  const nlohmann::json plain = sidecar<harness_test::PlainMap>(make, o);
  for (const nlohmann::json& pe : plain["memory"]["phase_end"]) EXPECT_TRUE(pe["probe_lengths"].is_null());
  o.latency_by_phase = false;
  EXPECT_TRUE(sidecar<TombstoneMapNever>(make, o)["latency"]["by_phase"].is_null());
}

TEST(RunCell, MemoryComesFromItsOwnProcessWithTheHeapLayer) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();  // no heap layer there (heap_counter.h)
  const auto s = harness_test::make_churn_stream({.live = 20000, .churn_steps = 20000, .drain_after = true});
  CellOptions o;
  o.repetitions = 1;
  o.latency = false;
  const nlohmann::json m = sidecar<harness_test::PlainMap>(fixed(s), o)["memory"];
  EXPECT_EQ(m["derived"]["headline_layer"], "heap_bytes");
  EXPECT_EQ(m["derived"]["drain_phase"], "drain");
  EXPECT_EQ(m["derived"]["retention"], m["derived"]["layers"]["heap_bytes"]["retention"]);
  // std::unordered_map allocates a node per insert and frees one per erase:
  // 20000 inserts to load; 20000 inserts and erases in the churn; the drain
  // erases 18000.
  const nlohmann::json& load = m["phase_end"][0]["heap_activity"];
  EXPECT_GE(load["allocations"].get<double>(), 20000.0);
  EXPECT_LT(load["allocations"].get<double>(), 20100.0);  // plus the bucket array's growths
  EXPECT_GE(load["bytes_requested"].get<double>(), 20000.0 * 16);
  const nlohmann::json& churn = m["phase_end"][1]["heap_activity"];
  EXPECT_GE(churn["allocations"].get<double>(), 20000.0);
  EXPECT_GE(churn["deallocations"].get<double>(), 20000.0);
  EXPECT_LT(churn["deallocations"].get<double>(), 20100.0);
  const double drained = m["phase_end"][2]["heap_activity"]["deallocations"].get<double>();
  EXPECT_GE(drained, 18000.0);
  EXPECT_LT(drained, 18010.0);  // (a stray free of the harness's can land in a phase)
  EXPECT_GE(m["phase_end"][0]["after"]["heap_bytes"].get<double>(), 20000.0 * 16);
  // Baseline subtracted: before the first op the heap holds only the
  // container object itself (an empty std::unordered_map allocates nothing).
  EXPECT_LE(m["phase_end"][0]["at_begin"]["heap_bytes"].get<double>(), 64.0);
}

// The memory pass and every repetition run in forked processes: RSS must be
// the child's own, not read through a descriptor the parent opened.
TEST(MemoryProbeInChild, RssIsTheChildsOwn) {
  auto& probe = probes::MemoryProbe::instance();
  ASSERT_TRUE(probe.rss_bytes().has_value());  // opened in this process first
  const nlohmann::json j = run_in_child_process("rss child", [&] {
    // Fresh pages (mmap, not the heap, whose free pages may already be
    // resident and shared with the parent), every one touched.
    const auto before = static_cast<double>(*probe.rss_bytes());
    const std::size_t n = 16 << 20;
    auto* touched = static_cast<char*>(mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    std::memset(touched, 1, n);
    benchmark::DoNotOptimize(touched);
    const auto after = static_cast<double>(*probe.rss_bytes());
    munmap(touched, n);
    return nlohmann::json{{"grew", after - before}};
  });
  EXPECT_GE(j["grew"].get<double>(), 15.0 * (1 << 20));
}

TEST(HeapCounter, CountsLiveBytesOnlyWhileOn) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();  // the sanitizer owns operator new there
  using namespace probes;
  const std::int64_t before = heap_bytes();
  set_heap_counting(true);
  // (DoNotOptimize: a new/delete pair the compiler can see may be elided.)
  auto* a = new char[1000];
  benchmark::DoNotOptimize(a);
  const std::int64_t with_a = heap_bytes();
  {
    const HeapCountingPause pause;
    auto* c = new char[5000];  // the harness's own bookkeeping: not counted
    benchmark::DoNotOptimize(c);
    delete[] c;
  }
  EXPECT_EQ(heap_bytes(), with_a);
  delete[] a;
  EXPECT_EQ(heap_bytes(), before);
  set_heap_counting(false);
  auto* b = new char[1000];
  benchmark::DoNotOptimize(b);
  EXPECT_EQ(heap_bytes(), before);
  delete[] b;
  EXPECT_GE(with_a - before, 1000);
  EXPECT_LT(with_a - before, 1100);
}

TEST(MachineLoad, AnotherBusyProcessIsSeen) {
  probes::MachineLoadProbe probe(1);
  // A child spinning for 0.4 s, reaped only after the probe finishes: its
  // CPU time is someone else's.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
    while (std::chrono::steady_clock::now() < until) {
    }
    _exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  const probes::MachineLoad m = probe.finish();
  waitpid(pid, nullptr, 0);
  EXPECT_GE(m.other_busy_cores, 0.6);
  EXPECT_TRUE(m.competing);
  EXPECT_FALSE(m.reason.empty());
}

}  // namespace
}  // namespace dstudy::bench
