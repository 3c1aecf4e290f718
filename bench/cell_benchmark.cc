#include "bench/cell_benchmark.h"

#include <benchmark/benchmark.h>

#include <sstream>

namespace dstudy::bench {

namespace {

const char* kPercentileNames[] = {"p50", "p90", "p99", "p999"};
const double kPercentiles[] = {0.50, 0.90, 0.99, 0.999};

void set_memory_counters(benchmark::State& state, const CellRun& run) {
  auto put = [&](const char* name, const std::optional<double>& v) {
    if (v) state.counters[name] = benchmark::Counter(*v);
  };
  put("mem_growth_pct", run.derived.growth_pct);
  put("retention", run.derived.retention);
  put("space_amplification", run.derived.space_amplification);
  if (!run.memory.phase_end.empty()) {
    const LayerSnapshot& last = run.memory.phase_end.back().after;
    state.counters["footprint_bytes"] = benchmark::Counter(static_cast<double>(last.footprint_bytes));
    if (last.process.rss_bytes)
      state.counters["rss_bytes"] = benchmark::Counter(static_cast<double>(*last.process.rss_bytes));
  }
}

}  // namespace

std::string cell_benchmark_name(const CellOptions& o) { return o.impl + "/" + o.workload + "/" + o.kv; }

CheckResult check_repetition(const CellSetup& setup, const RepetitionResult& rep, const char* pass) {
  CheckResult c;
  c.observed = rep.observed;
  c.checksum = rep.checksum;
  std::ostringstream msg;
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (rep.observed[i] != setup.expected[i]) {
      c.ok = false;
      msg << (msg.tellp() > 0 ? "; " : "") << kOpTypeNames[i] << " expected " << setup.expected[i] << " successes, observed "
          << rep.observed[i];
    }
  }
  if (c.ok && rep.checksum != setup.expected_checksum) {
    c.ok = false;
    msg << "find_hit value checksum expected " << setup.expected_checksum << ", observed " << rep.checksum
        << " (a find returned a wrong value)";
  }
  if (!c.ok) c.message = std::string(pass) + " pass: " + msg.str();
  return c;
}

CellRun run_cell(CellDriver& driver, const CellOptions& options, const StreamFactory& make_stream) {
  CellRun run;
  run.options = options;
  run.setup = driver.prepare(options, make_stream);
  run.phases = driver.phases();
  const std::string name = cell_benchmark_name(options);
  const int reps = std::max(1, options.repetitions);

  auto note_check = [&](const RepetitionResult& r, const char* pass) {
    CheckResult c = check_repetition(run.setup, r, pass);
    if (run.check.ok) run.check = c;  // keep the first failure
    return c;
  };

  benchmark::RegisterBenchmark((name + "/throughput").c_str(),
                               [&](benchmark::State& state) {
                                 RepetitionResult rep;
                                 for (auto _ : state) {
                                   rep = driver.run_throughput(run.throughput.empty());
                                   state.SetIterationTime(rep.seconds);
                                 }
                                 const bool first = run.throughput.empty();
                                 run.throughput.push_back(rep);
                                 if (first) {
                                   run.memory = driver.memory();
                                   run.derived = derive_memory(run.memory, run.phases);
                                 }
                                 const CheckResult c = note_check(rep, "throughput");
                                 if (!c.ok) {
                                   state.SkipWithError(("correctness check failed: " + c.message).c_str());
                                   return;
                                 }
                                 state.counters["items_per_second"] = benchmark::Counter(rep.ops_per_second());
                                 state.counters["ops"] = benchmark::Counter(static_cast<double>(rep.total_ops));
                                 for (const PhaseTiming& p : rep.phases)
                                   state.counters["ops_" + p.name + "_per_second"] =
                                       benchmark::Counter(p.seconds > 0 ? static_cast<double>(p.ops) / p.seconds : 0);
                                 set_memory_counters(state, run);
                               })
      ->Iterations(1)
      ->Repetitions(reps)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);

  if (options.latency) {
    run.latency.emplace();
    benchmark::RegisterBenchmark((name + "/latency").c_str(),
                                 [&](benchmark::State& state) {
                                   LatencyRecord mine;
                                   mine.mean_interval = options.latency_sample_every;
                                   RepetitionResult rep;
                                   for (auto _ : state) {
                                     rep = driver.run_latency(mine);
                                     state.SetIterationTime(rep.seconds);
                                   }
                                   run.latency->mode = mine.mode;
                                   run.latency->mean_interval = mine.mean_interval;
                                   ++run.latency->repetitions;
                                   for (int i = 0; i < kOpTypeCount; ++i) run.latency->per_op[i].merge(mine.per_op[i]);
                                   const CheckResult c = note_check(rep, "latency");
                                   if (!c.ok) {
                                     state.SkipWithError(("correctness check failed: " + c.message).c_str());
                                     return;
                                   }
                                   for (int i = 0; i < kOpTypeCount; ++i) {
                                     if (run.setup.expected[i] == 0) continue;
                                     const auto& h = mine.per_op[i];
                                     const std::string op = kOpTypeNames[i];
                                     for (int q = 0; q < 4; ++q)
                                       state.counters[std::string(kPercentileNames[q]) + "_" + op + "_ns"] =
                                           benchmark::Counter(h.percentile(kPercentiles[q]));
                                     state.counters["max_" + op + "_ns"] = benchmark::Counter(static_cast<double>(h.max()));
                                   }
                                 })
        ->Iterations(1)
        ->Repetitions(reps)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::ClearRegisteredBenchmarks();

  std::vector<double> rates;
  for (const auto& r : run.throughput) rates.push_back(r.ops_per_second());
  run.summary = summarize_throughput(rates);
  run.harness_overhead_ns_per_op = driver.harness_overhead_ns_per_op();
  return run;
}

}  // namespace dstudy::bench
