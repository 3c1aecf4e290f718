#include "bench/cell/cell_benchmark.h"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <sstream>

#include "bench/cell/repetition_process.h"
#include "bench/codec/pass_codec.h"
#include "bench/pass/cell_metrics.h"

namespace dstudy::bench {

namespace {

using nlohmann::json;

// Seconds of a pass spent in its headline phases (the manual time Google
// Benchmark records for the repetition).
double headline_seconds(const RepetitionResult& r, const std::vector<Phase>& phases) {
  const double s = phase_set_totals(r, phases, PhaseSet::kHeadline).seconds;
  return s > 0 ? s : r.seconds;
}

json memory_process(CellDriver& driver) {
  const RepetitionResult r = driver.run_memory_pass();
  return {{"pass", pass_to_json(r)}, {"memory", memory_to_json(driver.memory())}};
}

// The open-loop passes of one repetition. A fraction is of this
// repetition's own measured headline throughput: the latency pass's when it
// ran (it times every op as the paced loop does, so it is the rate the
// instrumented loop can serve), else the warm pass's.
json open_loop_passes(CellDriver& driver, const CellOptions& options, const std::vector<Phase>& phases,
                      const RepetitionResult& basis_pass, std::uint64_t seed) {
  const double basis = phase_set_rate(basis_pass, phases, PhaseSet::kHeadline).value_or(basis_pass.ops_per_second());
  json out = json::array();
  for (const OpenLoopTarget& t : options.open_loop) {
    const double rate = t.fraction ? *t.fraction * basis : t.ops_per_second.value_or(0);
    OpenLoopPass p = t.timestamp_scale
                         ? driver.run_open_loop_pass({ArrivalProcess::kRecorded, 0, seed, *t.timestamp_scale})
                         : driver.run_open_loop_pass({options.arrivals, rate, seed});
    p.fraction = t.fraction;
    p.basis_ops_per_second = basis;
    out.push_back(open_loop_to_json(p));
  }
  return out;
}

// The warm passes of one repetition: fresh passes, each on a new container,
// until their headline phases add up to the minimum measured time (or the
// pass cap). Every pass does the same work (the same stream on a fresh
// container, the allocator warm), and what disturbs a pass here only ever
// slows it: stretches of tens of milliseconds in which the machine runs
// 1.3-2x slower with no counter to show it, preemptions, steal
// (docs/harness.md, "Long enough to measure"). So the repetition's headline
// is its fastest pass, whole, with its phases; the other passes' rates are
// kept in the diagnostics.
std::pair<RepetitionResult, WarmDiagnostics> run_warm_passes(CellDriver& driver, const CellOptions& options,
                                                             const std::vector<Phase>& phases) {
  std::vector<RepetitionResult> passes;
  WarmDiagnostics d;
  const probes::ProcessCounters before = probes::read_process_counters();
  do {
    passes.push_back(driver.run_timed_pass());
    const RepetitionResult& r = passes.back();
    const PhaseSetTotals t = phase_set_totals(r, phases, PhaseSet::kHeadline);
    const double seconds = t.any ? t.seconds : r.seconds;
    const double ops = static_cast<double>(t.any ? t.ops : r.total_ops);
    d.pass_rates.push_back(seconds > 0 ? ops / seconds : 0);
    d.headline_seconds += seconds;
  } while (d.headline_seconds < options.min_headline_seconds && passes.size() < kMaxWarmPasses);
  d.counters = probes::read_process_counters() - before;
  d.passes = static_cast<int>(passes.size());
  judge_disturbance(d);
  // A pass whose outcomes differ from the first's is returned instead, so
  // that the outcome check reports it.
  for (const RepetitionResult& r : passes)
    if (r.observed != passes.front().observed || r.checksum != passes.front().checksum) return {r, d};
  return {passes[fastest_pass(d.pass_rates)], d};
}

// Does repetition `index` (from 0) run the latency pass?
bool runs_latency_pass(const CellOptions& options, std::size_t index) {
  return options.latency &&
         (options.latency_repetitions <= 0 || index < static_cast<std::size_t>(options.latency_repetitions));
}

json repetition_process(CellDriver& driver, const CellOptions& options, const std::vector<Phase>& phases,
                        std::uint64_t seed, bool latency) {
  json j;
  j["process"] = static_cast<long>(getpid());
  const RepetitionResult cold = driver.run_timed_pass();
  const auto [warm, diagnostics] = run_warm_passes(driver, options, phases);
  j["cold"] = pass_to_json(cold);
  j["warm"] = pass_to_json(warm);
  j["warm_diagnostics"] = warm_diagnostics_to_json(diagnostics);
  std::optional<RepetitionResult> latency_pass;
  if (latency) {
    LatencyRecord rec;
    rec.by_phase = options.latency_by_phase;
    latency_pass = driver.run_latency_pass(rec);
    j["latency_pass"] = pass_to_json(*latency_pass);
    j["latency"] = histograms_to_json(rec.per_op);
    if (options.latency_by_phase) {
      j["latency_by_phase"] = json::array();
      for (const OpHistograms& h : rec.per_phase) j["latency_by_phase"].push_back(histograms_to_json(h));
    }
  }
  if (!options.open_loop.empty())
    j["open_loop"] = open_loop_passes(driver, options, phases, latency_pass ? *latency_pass : warm, seed);
  return j;
}

RepetitionRecord repetition_from_json(const json& j) {
  RepetitionRecord r;
  r.process = j.at("process").get<long>();
  r.cold = pass_from_json(j.at("cold"));
  r.warm = pass_from_json(j.at("warm"));
  r.warm_diagnostics = warm_diagnostics_from_json(j.at("warm_diagnostics"));
  if (j.contains("latency")) {
    r.latency_pass = pass_from_json(j.at("latency_pass"));
    r.latency = histograms_from_json(j.at("latency"));
    if (j.contains("latency_by_phase"))
      for (const json& h : j.at("latency_by_phase")) r.latency_by_phase.push_back(histograms_from_json(h));
  }
  if (j.contains("open_loop"))
    for (const json& p : j.at("open_loop")) r.open_loop.push_back(open_loop_from_json(p));
  return r;
}

void set_latency_counters(benchmark::State& state, const CellSetup& setup, const OpHistograms& h) {
  static const char* kNames[] = {"p50", "p99", "p999"};
  static const double kQ[] = {0.50, 0.99, 0.999};
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (setup.expected[i] == 0) continue;
    const std::string op = kOpTypeNames[i];
    for (int q = 0; q < 3; ++q) {
      const auto v = percentile_if_enough(h[i], kQ[q]);
      state.counters[std::string(kNames[q]) + "_" + op + "_ns"] = benchmark::Counter(v.value_or(0));
    }
    state.counters["max_" + op + "_ns"] = benchmark::Counter(static_cast<double>(h[i].max()));
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
      msg << (msg.tellp() > 0 ? "; " : "") << kOpTypeNames[i] << " expected " << setup.expected[i]
          << " successes, observed " << rep.observed[i];
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

  probes::MachineLoadProbe load(run.setup.threads);
  const json m = run_in_child_process("memory pass", [&] { return memory_process(driver); });
  run.memory_pass = pass_from_json(m.at("pass"));
  run.memory = memory_from_json(m.at("memory"));
  note_check(run.memory_pass, "memory");

  benchmark::RegisterBenchmark(
      (name + "/throughput").c_str(),
      [&](benchmark::State& state) {
        RepetitionRecord rec;
        for (auto _ : state) {
          const std::string what = "repetition " + std::to_string(run.repetitions.size() + 1);
          const bool latency = runs_latency_pass(options, run.repetitions.size());
          auto measure = [&] {
            return repetition_from_json(run_in_child_process(
                what, [&] { return repetition_process(driver, options, run.phases, run.setup.seed, latency); }));
          };
          rec = measure();
          for (int again = 1; again <= kDisturbedRemeasures && rec.warm_diagnostics.disturbed; ++again) {
            rec = measure();
            rec.warm_diagnostics.remeasured = again;
          }
          state.SetIterationTime(headline_seconds(rec.warm, run.phases));
        }
        run.repetitions.push_back(rec);
        for (const auto& [pass, name] : {std::pair{&rec.cold, "cold"}, std::pair{&rec.warm, "warm"}}) {
          const CheckResult c = note_check(*pass, name);
          if (!c.ok) {
            state.SkipWithError(("correctness check failed: " + c.message).c_str());
            return;
          }
        }
        if (rec.latency_pass) {
          if (const CheckResult c = note_check(*rec.latency_pass, "latency"); !c.ok) {
            state.SkipWithError(("correctness check failed: " + c.message).c_str());
            return;
          }
          set_latency_counters(state, run.setup, *rec.latency);
        }
        for (const OpenLoopPass& p : rec.open_loop) {
          if (const CheckResult c = note_check(p.pass, "open-loop"); !c.ok) {
            state.SkipWithError(("correctness check failed: " + c.message).c_str());
            return;
          }
        }
        state.counters["items_per_second"] =
            benchmark::Counter(phase_set_rate(rec.warm, run.phases, PhaseSet::kHeadline).value_or(0));
        state.counters["ops"] = benchmark::Counter(static_cast<double>(rec.warm.total_ops));
        for (const PhaseTiming& p : rec.warm.phases)
          state.counters["ops_" + p.name + "_per_second"] =
              benchmark::Counter(p.seconds > 0 ? static_cast<double>(p.ops) / p.seconds : 0);
      })
      ->Iterations(1)
      ->Repetitions(reps)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::ClearRegisteredBenchmarks();
  run.machine_load = load.finish();
  run.harness_overhead_ns_per_op = driver.harness_overhead_ns_per_op();
  return run;
}

}  // namespace dstudy::bench
