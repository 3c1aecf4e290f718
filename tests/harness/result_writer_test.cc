// The sidecar writer, section by section, on small hand-made results whose
// JSON is known: every field of every section (docs/schema/sidecar.schema.json),
// nulls where a value is unknown, percentiles null below their minimum sample
// counts, the memory figures the headline layer gives the top level, and the
// atomic file write. run_cell_test.cc runs whole cells; test_end_to_end.py
// validates real output against the schema.
#include "bench/output/result_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "bench/pass/cell_metrics.h"

namespace dstudy::bench {
namespace {

using nlohmann::json;

Phase make_phase(const std::string& name, const std::string& role, bool headline, OpCounts counts,
                 bool retention = false) {
  Phase p;
  p.name = name;
  p.role = role;
  p.headline = headline;
  p.retention = retention;
  for (int t = 0; t < kOpTypeCount; ++t) p.op_counts[t] = counts[t];
  return p;
}

// One pass over the phases: each phase's ops at `rate` ops/s (warm or cold).
RepetitionResult pass(const std::vector<Phase>& phases, const std::vector<std::size_t>& ops,
                      const std::vector<double>& rates) {
  RepetitionResult r;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const double seconds = rates[i] > 0 ? static_cast<double>(ops[i]) / rates[i] : 0.0;
    r.phases.push_back({phases[i].name, ops[i], seconds});
    r.total_ops += ops[i];
    r.seconds += seconds;
  }
  return r;
}

probes::LatencyHistogram histogram(std::initializer_list<std::pair<std::uint64_t, int>> values) {
  probes::LatencyHistogram h;
  for (const auto& [ns, n] : values)
    for (int k = 0; k < n; ++k) h.record(ns);
  return h;
}

// A drain workload: load 1000 keys, erase 800 (the headline and retention
// phase), probe 200. Three repetitions whose warm drain runs at 2^20, 2^21
// and 2^22 ops/s (median 2^21, median absolute deviation 2^20: 50 %), the
// load at 2^19 and the probe at 2^20 in each, the cold passes at half speed;
// no latency pass. Powers of two keep every time and rate exact.
const std::vector<std::size_t> kOps = {1000, 800, 200};
constexpr double kLoadRate = 1 << 19, kProbeRate = 1 << 20;
constexpr double kDrainRates[] = {1 << 20, 1 << 21, 1 << 22};

CellRun drain_run() {
  CellRun run;
  run.options.impl = "tombstone_never";
  run.options.workload = "drain";
  run.options.kv = "u64";
  run.options.size = "quick";
  run.options.repetitions = 3;
  run.setup.initial_size = 1000;
  run.setup.nominal_initial_size = 2000;
  run.setup.seed = 42;
  run.setup.total_ops = 2000;
  run.setup.expected = {1000, 800, 100, 100};
  run.setup.expected_checksum = 77;
  run.phases = {make_phase("load", "load", false, {1000, 0, 0, 0}),
                make_phase("drain", "drain", true, {0, 800, 0, 0}, /*retention=*/true),
                make_phase("probe", "probe", false, {0, 0, 100, 100})};
  run.memory_pass = pass(run.phases, kOps, {kLoadRate, kDrainRates[1], kProbeRate});
  for (int i = 0; i < 3; ++i) {
    RepetitionRecord r;
    r.process = 100 + i;
    r.warm = pass(run.phases, kOps, {kLoadRate, kDrainRates[i], kProbeRate});
    r.cold = pass(run.phases, kOps, {kLoadRate / 2, kDrainRates[i] / 2, kProbeRate / 2});
    run.repetitions.push_back(r);
  }
  run.check.ok = true;
  run.check.observed = run.setup.expected;
  run.check.checksum = 77;
  run.harness_overhead_ns_per_op = 1.5;
  return run;
}

// drain_run with a latency pass in each repetition: erase 40 ops of 30 ns
// per repetition (120 merged: P50 and P90, not P99), find_hit 400 of 50 ns
// with one 900 ns (1200 merged: P99 too), insert and find_miss none.
CellRun drain_run_with_latency() {
  CellRun run = drain_run();
  for (RepetitionRecord& r : run.repetitions) {
    OpHistograms h;
    h[1] = histogram({{30, 40}});
    h[2] = histogram({{50, 399}, {900, 1}});
    r.latency = h;
  }
  return run;
}

probes::TimerCalibration timer() {
  probes::TimerCalibration t;
  t.source = "rdtscp";
  t.ticks_per_ns = 2.5;
  t.overhead_ns = 20.5;
  t.resolution_ticks = 25;
  t.resolution_ns = 10.0;
  t.calibration_ms = 50;
  t.invariant_tsc = true;
  return t;
}

// ---- cell ----------------------------------------------------------------------

TEST(ResultWriterCell, WritesTheOptionsAndTheSetup) {
  CellRun run = drain_run();
  run.options.fill = 0.55;
  run.setup.fill = 0.5;
  run.setup.growth_point = 1792;
  run.setup.reserved = 1000;
  const json j = detail::cell_json(run, {"jemalloc", json::object()});
  EXPECT_EQ(j, json::parse(R"({"impl": "tombstone_never", "workload": "drain", "kv": "u64", "threads": 1,
                               "size": "quick", "seed": 42, "initial_size": 1000, "fill": 0.5,
                               "fill_requested": 0.55, "growth_point": 1792, "nominal_initial_size": 2000,
                               "reserved": 1000, "total_ops": 2000, "repetitions": 3,
                               "allocator_requested": "jemalloc"})"));
}

TEST(ResultWriterCell, UnknownValuesAreNull) {
  // no capacity (so no fill or growth point), no reserve(), no --fill, no --expect-allocator
  const json j = detail::cell_json(drain_run(), {"", json::object()});
  for (const char* key : {"fill", "fill_requested", "growth_point", "reserved", "allocator_requested"})
    EXPECT_TRUE(j.at(key).is_null()) << key;
}

// ---- workload ------------------------------------------------------------------

TEST(ResultWriterWorkload, PhasesWithRolesOpsAndTheHeadline) {
  const json j = detail::workload_json(drain_run());
  ASSERT_EQ(j["phases"].size(), 3u);
  EXPECT_EQ(j["phases"][1], json::parse(R"({"name": "drain", "role": "drain", "headline": true, "ops": 800,
                                            "ops_by_type": {"insert": 0, "erase": 800, "find_hit": 0,
                                                            "find_miss": 0, "update": 0, "erase_miss": 0,
                                                            "erase_first": 0, "erase_next": 0,
                                                            "iterate": 0}})"));
  EXPECT_EQ(j["phases"][2]["ops"], 200);  // from the memory pass (all threads)
  EXPECT_EQ(j["headline_phases"], json::array({"drain"}));
  EXPECT_EQ(j["dominant_op"], "erase");
  EXPECT_EQ(j["retention_phase"], "drain");
}

TEST(ResultWriterWorkload, DominantOpIsTheHeadlinePhasesMostFrequent) {
  CellRun run = drain_run();
  run.phases[1].headline = false;
  run.phases[2].headline = true;  // probe: 100 find_hit, 100 find_miss: the first of a tie
  run.phases[2].op_counts[3] = 101;
  EXPECT_EQ(detail::workload_json(run)["dominant_op"], "find_miss");
}

TEST(ResultWriterWorkload, NoRetentionPhaseIsNullAndPhasesTheMemoryPassLacksHaveNoOps) {
  CellRun run = drain_run();
  run.phases[1].retention = false;
  run.memory_pass.phases.pop_back();
  const json j = detail::workload_json(run);
  EXPECT_TRUE(j["retention_phase"].is_null());
  EXPECT_EQ(j["phases"][2]["ops"], 0);
}

// ---- timer and machine load -----------------------------------------------------

TEST(ResultWriterTimer, WritesTheCalibration) {
  EXPECT_EQ(detail::timer_json(timer()),
            json::parse(R"({"source": "rdtscp", "ticks_per_ns": 2.5, "overhead_ns": 20.5, "resolution_ns": 10.0,
                            "resolution_ticks": 25.0, "invariant_tsc": true, "calibration_ms": 50.0})"));
}

TEST(ResultWriterMachineLoad, ReasonOnlyWhenCompeting) {
  probes::MachineLoad m;
  m.wall_s = 1.5;
  m.cores = 2;
  m.other_busy_cores = 0.9;
  m.steal_pct = 0.5;
  m.reason = "other processes kept 0.90 cores busy";
  m.competing = true;
  EXPECT_EQ(detail::machine_load_json(m),
            json::parse(R"({"wall_s": 1.5, "cores": 2, "cell_threads": 1, "other_busy_cores": 0.9,
                            "steal_pct": 0.5, "loadavg_1m": null, "competing": true,
                            "reason": "other processes kept 0.90 cores busy"})"));
  m.competing = false;
  m.loadavg_1m = 0.25;
  const json j = detail::machine_load_json(m);
  EXPECT_TRUE(j["reason"].is_null());
  EXPECT_EQ(j["loadavg_1m"], 0.25);
}

// ---- throughput -----------------------------------------------------------------

TEST(ResultWriterThroughput, HeadlineIsTheHeadlinePhasesOverIndependentRepetitions) {
  const json t = detail::throughput_json(drain_run());
  EXPECT_EQ(t["independence"], "process");
  EXPECT_EQ(t["headline"], (json{{"phases", {"drain"}},
                                 {"ops", 800},
                                 {"median_ops_per_second", kDrainRates[1]},
                                 {"min_ops_per_second", kDrainRates[0]},
                                 {"max_ops_per_second", kDrainRates[2]},
                                 {"mad_pct", 50.0},
                                 {"samples", 3},
                                 {"spread_warning", true},
                                 {"per_repetition", kDrainRates}}));
  EXPECT_EQ(t["spread_warning_pct"], kSpreadWarningPct);
  EXPECT_EQ(t["harness_overhead_ns_per_op"], 1.5);
}

TEST(ResultWriterThroughput, BuildIsTheLoadPhasesAndColdTheFirstPasses) {
  const json t = detail::throughput_json(drain_run());
  EXPECT_EQ(t["build"]["phases"], json::array({"load"}));
  EXPECT_EQ(t["build"]["ops"], 1000);
  EXPECT_EQ(t["build"]["median_ops_per_second"], kLoadRate);
  EXPECT_EQ(t["build"]["mad_pct"], 0.0);
  EXPECT_FALSE(t["build"]["spread_warning"]);
  EXPECT_EQ(t["cold"]["headline"]["per_repetition"],
            json::array({kDrainRates[0] / 2, kDrainRates[1] / 2, kDrainRates[2] / 2}));
  EXPECT_EQ(t["cold"]["build"]["median_ops_per_second"], kLoadRate / 2);
}

TEST(ResultWriterThroughput, NoLoadPhaseMeansNoBuildFigure) {
  CellRun run = drain_run();
  run.phases[0].role = "grow";
  const json t = detail::throughput_json(run);
  EXPECT_TRUE(t["build"].is_null());
  EXPECT_TRUE(t["cold"]["build"].is_null());
  EXPECT_FALSE(t["headline"].is_null());
}

TEST(ResultWriterThroughput, PerPhaseSummaries) {
  const json phases = detail::throughput_json(drain_run())["phases"];
  ASSERT_EQ(phases.size(), 3u);
  EXPECT_EQ(phases[1], (json{{"name", "drain"},
                             {"role", "drain"},
                             {"headline", true},
                             {"median_ops_per_second", kDrainRates[1]},
                             {"min_ops_per_second", kDrainRates[0]},
                             {"max_ops_per_second", kDrainRates[2]},
                             {"mad_pct", 50.0},
                             {"samples", 3}}));
  EXPECT_EQ(phases[0]["role"], "load");
  EXPECT_EQ(phases[2]["median_ops_per_second"], kProbeRate);
}

TEST(ResultWriterThroughput, EveryPassAsMeasured) {
  CellRun run = drain_run();
  run.repetitions[2].warm.phases[2].seconds = 0;  // a phase too short to time: rate 0, not a division by 0
  const json t = detail::throughput_json(run);
  ASSERT_EQ(t["repetitions"].size(), 3u);
  ASSERT_EQ(t["cold_repetitions"].size(), 3u);
  const json& first = t["repetitions"][0];
  EXPECT_EQ(first["process"], 100);
  EXPECT_EQ(first["total_ops"], 2000);
  EXPECT_EQ(first["seconds"], 1000 / kLoadRate + 800 / kDrainRates[0] + 200 / kProbeRate);
  EXPECT_EQ(first["headline_ops_per_second"], kDrainRates[0]);
  EXPECT_EQ(first["phases"][0],
            (json{{"name", "load"}, {"ops", 1000}, {"seconds", 1000 / kLoadRate}, {"ops_per_second", kLoadRate}}));
  EXPECT_EQ(t["repetitions"][2]["phases"][2]["ops_per_second"], 0.0);
  EXPECT_EQ(t["cold_repetitions"][1]["process"], 101);
  EXPECT_EQ(t["cold_repetitions"][1]["headline_ops_per_second"], kDrainRates[1] / 2);
}

TEST(ResultWriterThroughput, NoRepetitionsNoSummaries) {
  CellRun run = drain_run();
  run.repetitions.clear();
  const json t = detail::throughput_json(run);
  EXPECT_TRUE(t["headline"].is_null());
  EXPECT_TRUE(t["build"].is_null());
  EXPECT_TRUE(t["repetitions"].empty());
}

// ---- latency --------------------------------------------------------------------

TEST(ResultWriterLatency, NullWithoutALatencyPass) {
  EXPECT_TRUE(detail::latency_json(drain_run(), timer()).is_null());
  CellRun none = drain_run_with_latency();
  none.repetitions.clear();
  EXPECT_TRUE(detail::latency_json(none, timer()).is_null());
}

TEST(ResultWriterLatency, HowItWasMeasured) {
  const json l = detail::latency_json(drain_run_with_latency(), timer());
  EXPECT_EQ(l["kind"], "service_time");
  EXPECT_EQ(l["sampling"], json::parse(R"({"mode": "every"})"));
  EXPECT_EQ(l["repetitions"], 3);
  EXPECT_EQ(l["timer_overhead_subtracted_ns"], 20.5);
  EXPECT_EQ(l["resolution_ns"], 10.0);
  EXPECT_EQ(l["min_samples"], json::parse(R"({"p50_ns": 20, "p90_ns": 100, "p99_ns": 1000, "p999_ns": 10000})"));
}

// A repetition without a latency pass (--latency-repetitions) adds nothing
// to the merged figures, is not in per_repetition and is not counted.
TEST(ResultWriterLatency, RepetitionsWithoutALatencyPassAreLeftOut) {
  CellRun run = drain_run_with_latency();
  run.repetitions.back().latency.reset();
  const json l = detail::latency_json(run, timer());
  EXPECT_EQ(l["repetitions"], 2);
  EXPECT_EQ(l["per_op"]["erase"]["count"], 80);
  EXPECT_EQ(l["per_op"]["erase"]["per_repetition"].size(), 2u);
}

TEST(ResultWriterLatency, PercentilesAreNullBelowTheirMinimumSampleCount) {
  const json per_op = detail::latency_json(drain_run_with_latency(), timer())["per_op"];
  // op types without samples are left out
  EXPECT_EQ(per_op.size(), 2u);
  EXPECT_FALSE(per_op.contains("insert"));
  EXPECT_FALSE(per_op.contains("find_miss"));
  const json& erase = per_op["erase"];  // 120 samples: P50 (20) and P90 (100), not P99 (1000)
  EXPECT_EQ(erase["count"], 120);
  EXPECT_EQ(erase["p50_ns"], 30.0);
  EXPECT_EQ(erase["p90_ns"], 30.0);
  EXPECT_TRUE(erase["p99_ns"].is_null());
  EXPECT_TRUE(erase["p999_ns"].is_null());
  EXPECT_EQ(erase["max_ns"], 30);
  EXPECT_EQ(erase["mean_ns"], 30.0);
  const json& hit = per_op["find_hit"];  // 1200 samples: P99 too, not P99.9 (10000)
  EXPECT_EQ(hit["count"], 1200);
  EXPECT_EQ(hit["p99_ns"], 50.0);
  EXPECT_TRUE(hit["p999_ns"].is_null());
  EXPECT_EQ(hit["max_ns"], 900);
  EXPECT_DOUBLE_EQ(hit["mean_ns"].get<double>(), (399 * 50 + 900) / 400.0);
}

TEST(ResultWriterLatency, EachRepetitionHasItsOwnFiguresAndThresholds) {
  const json erase = detail::latency_json(drain_run_with_latency(), timer())["per_op"]["erase"];
  ASSERT_EQ(erase["per_repetition"].size(), 3u);
  // 40 samples each: P50 yes, P90 no (below 100), although the merged 120 have one
  EXPECT_EQ(erase["per_repetition"][0], json::parse(R"({"count": 40, "p50_ns": 30.0, "p90_ns": null,
                                                        "p99_ns": null, "p999_ns": null, "max_ns": 30})"));
}

TEST(ResultWriterLatency, HistogramHoldsTheNonEmptyBuckets) {
  const json hit = detail::latency_json(drain_run_with_latency(), timer())["per_op"]["find_hit"];
  EXPECT_EQ(hit["histogram"], json::parse(R"({"min_ns": 1, "sub_buckets": 128,
                                              "counts": [[50, 1197], [900, 3]]})"));
  // 900 ns lies above 256 ns: its bucket is 1/128 of its power of two wide (4 ns, from 900)
  EXPECT_EQ(histogram_json(histogram({{1000, 2}}))["counts"], json::parse("[[1000, 2]]"));
  EXPECT_EQ(histogram_json(probes::LatencyHistogram{})["counts"], json::array());
}

// ---- checks ---------------------------------------------------------------------

TEST(ResultWriterChecks, OkHasNoMessage) {
  EXPECT_EQ(detail::checks_json(drain_run()),
            json::parse(R"({"expected": {"insert": 1000, "erase": 800, "find_hit": 100, "find_miss": 100,
                                         "update": 0, "erase_miss": 0, "erase_first": 0, "erase_next": 0,
                                         "iterate": 0},
                            "observed": {"insert": 1000, "erase": 800, "find_hit": 100, "find_miss": 100,
                                         "update": 0, "erase_miss": 0, "erase_first": 0, "erase_next": 0,
                                         "iterate": 0},
                            "checksum": {"expected": 77, "observed": 77}, "ok": true, "message": null})"));
}

TEST(ResultWriterChecks, AFailureSaysWhat) {
  CellRun run = drain_run();
  run.check.ok = false;
  run.check.observed[2] = 99;
  run.check.checksum = 78;
  run.check.message = "find_hit expected 100 observed 99";
  const json j = detail::checks_json(run);
  EXPECT_FALSE(j["ok"]);
  EXPECT_EQ(j["message"], "find_hit expected 100 observed 99");
  EXPECT_EQ(j["observed"]["find_hit"], 99);
  EXPECT_EQ(j["checksum"]["observed"], 78);
}

// ---- memory ---------------------------------------------------------------------

LayerSnapshot snapshot(std::size_t live, std::optional<std::int64_t> heap) {
  LayerSnapshot s;
  s.live_keys = live;
  s.payload_bytes = static_cast<std::int64_t>(live) * 16;
  s.footprint_bytes = static_cast<std::int64_t>(live) * 40;
  s.element_heap_bytes = 0;
  s.process.heap_bytes = heap;
  s.process.rss_bytes = 4096;
  return s;  // the allocator layers unread: null
}

TEST(ResultWriterMemory, LayersOfASnapshot) {
  EXPECT_EQ(layers_json(snapshot(10, 512)),
            json::parse(R"({"live_keys": 10, "payload_bytes": 160, "footprint_bytes": 400, "element_heap_bytes": 0,
                            "heap_bytes": 512, "rss_bytes": 4096, "allocator_allocated_bytes": null,
                            "allocator_resident_bytes": null})"));
}

TEST(ResultWriterMemory, SeriesPhaseEndsAndBaseline) {
  MemoryRecord m;
  m.sample_every_ops = 500;
  m.baseline.heap_bytes = 0;
  m.baseline.rss_bytes = 1 << 20;
  m.series = {{0, "load", snapshot(0, 0)}, {500, "load", snapshot(500, 8192)}};
  PhaseEnd drain;
  drain.phase = "drain";
  drain.role = "drain";
  drain.begin_op = 1000;
  drain.end_op = 1800;
  drain.live_keys = 200;
  drain.at_begin = snapshot(1000, 16384);
  drain.after = snapshot(200, 16384);
  drain.after_idle = {{0.1, snapshot(200, 16000)}};
  drain.after_purge = snapshot(200, 15000);
  drain.internals.bytes = 40000;
  drain.internals.tombstones = 800;
  drain.heap_activity = probes::HeapActivity{2, 800, 64};
  PhaseEnd probe;  // nothing read: nulls, never 0
  probe.phase = "probe";
  probe.role = "probe";
  m.phase_end = {drain, probe};
  DerivedMemory d;
  d.layers[kHeadlineLayer] = {};
  const json j = memory_json(m, d);
  EXPECT_EQ(j["sample_every_ops"], 500);
  EXPECT_EQ(j["from_repetition"], 0);
  EXPECT_EQ(j["baseline"], json::parse(R"({"heap_bytes": 0, "rss_bytes": 1048576, "allocator_allocated_bytes": null,
                                           "allocator_resident_bytes": null})"));
  ASSERT_EQ(j["series"].size(), 2u);
  json sample = layers_json(snapshot(500, 8192));
  sample["op"] = 500;
  sample["phase"] = "load";
  EXPECT_EQ(j["series"][1], sample);
  const json& e = j["phase_end"][0];
  EXPECT_EQ(e["phase"], "drain");
  EXPECT_EQ(e["role"], "drain");
  EXPECT_EQ(e["begin_op"], 1000);
  EXPECT_EQ(e["end_op"], 1800);
  EXPECT_EQ(e["live_keys"], 200);
  EXPECT_TRUE(e["peak_rss_bytes"].is_null());
  EXPECT_EQ(e["at_begin"], layers_json(snapshot(1000, 16384)));
  EXPECT_EQ(e["after"], layers_json(snapshot(200, 16384)));
  json idle = layers_json(snapshot(200, 16000));
  idle["seconds"] = 0.1;
  EXPECT_EQ(e["after_idle"], json::array({idle}));
  EXPECT_EQ(e["after_purge"], layers_json(snapshot(200, 15000)));
  EXPECT_EQ(e["internals"], json::parse(R"({"bytes": 40000, "capacity": null, "max_load": null, "tombstones": 800,
                                            "compactions": null, "compaction_ns": null,
                                            "reclaim_pending_bytes": null, "reclaim_pending_peak_bytes": null})"));
  EXPECT_EQ(e["heap_activity"], json::parse(R"({"allocations": 2, "deallocations": 800, "bytes_requested": 64})"));
  const json& p = j["phase_end"][1];
  EXPECT_TRUE(p["after_purge"].is_null());
  EXPECT_TRUE(p["heap_activity"].is_null());
  EXPECT_TRUE(p["after_idle"].empty());
}

TEST(ResultWriterMemory, DerivedFiguresPerLayerAndTheHeadlineLayersAtTheTop) {
  DerivedMemory d;
  d.steady_phase = std::nullopt;
  d.drain_phase = "drain";
  d.layers["heap_bytes"] = {std::nullopt, std::nullopt, 2.0, 0.9, 0.8, 0.5};
  d.layers["rss_bytes"] = {1.0, 100.0, 3.0, 0.95, std::nullopt, std::nullopt};
  DrainFigures drain;
  drain.phase = "drain";
  drain.layers["heap_bytes"] = d.layers["heap_bytes"];
  d.drains = {drain};
  const json j = memory_json(MemoryRecord{}, d)["derived"];
  EXPECT_EQ(j["headline_layer"], "heap_bytes");
  EXPECT_TRUE(j["steady_phase"].is_null());
  EXPECT_EQ(j["drain_phase"], "drain");
  // the top level is the headline layer's (heap_bytes), not another layer's
  EXPECT_TRUE(j["growth_pct"].is_null());
  EXPECT_TRUE(j["slope_bytes_per_mop"].is_null());
  EXPECT_EQ(j["space_amplification"], 2.0);
  EXPECT_EQ(j["retention"], 0.9);
  EXPECT_EQ(j["layers"]["rss_bytes"],
            json::parse(R"({"growth_pct": 1.0, "slope_bytes_per_mop": 100.0, "space_amplification": 3.0,
                            "retention": 0.95, "retention_after_idle": null, "retention_after_purge": null})"));
  EXPECT_EQ(j["layers"]["heap_bytes"]["retention_after_purge"], 0.5);
  // each drain: the retention figures only
  EXPECT_EQ(j["drains"], json::parse(R"([{"phase": "drain", "layers": {"heap_bytes":
                                           {"retention": 0.9, "retention_after_idle": 0.8,
                                            "retention_after_purge": 0.5}}}])"));
}

// ---- the whole sidecar, and the file ----------------------------------------------

TEST(ResultWriterSidecar, PutsTheSectionsTogetherWithTheVersion) {
  CellRun run = drain_run_with_latency();
  run.memory.sample_every_ops = 500;
  run.memory.series = {{0, "load", snapshot(0, 0)}, {500, "load", snapshot(500, 8192)}};
  const SidecarContext ctx{"glibc", {{"cpu_model", "test"}}};
  const json j = sidecar_json(run, ctx, timer());
  EXPECT_EQ(j["schema_version"], kSchemaVersion);
  EXPECT_EQ(j["cell"], detail::cell_json(run, ctx));
  EXPECT_EQ(j["workload"], detail::workload_json(run));
  EXPECT_EQ(j["environment"], ctx.environment);  // as collected
  EXPECT_EQ(j["timer"], detail::timer_json(timer()));
  EXPECT_EQ(j["machine_load"], detail::machine_load_json(run.machine_load));
  EXPECT_EQ(j["throughput"], detail::throughput_json(run));
  EXPECT_EQ(j["latency"], detail::latency_json(run, timer()));
  EXPECT_EQ(j["memory"], memory_json(run.memory, derive_memory(run.memory, run.phases)));
  EXPECT_EQ(j["checks"], detail::checks_json(run));
  EXPECT_EQ(j["open_loop"], detail::open_loop_json(run, timer()));  // null: no open-loop pass
  EXPECT_EQ(j.size(), 11u);
}

TEST(ResultWriterFile, WritesAtomicallyAndSaysWhatFailed) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "result_writer_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "sidecar.json").string();
  write_json_file(path, {{"schema_version", kSchemaVersion}});
  std::ifstream in(path);
  EXPECT_EQ(json::parse(in), json::parse(R"({"schema_version": 2})"));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  const std::string nowhere = (dir / "missing" / "sidecar.json").string();
  try {
    write_json_file(nowhere, json::object());
    FAIL() << "no error for " << nowhere;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(nowhere), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dstudy::bench
