// dstudy_bench: runs one cell (implementation x workload x kv kind, under
// whatever allocator is loaded) and writes gbench.json + sidecar.json, or
// lists what it can run. One Google Benchmark main; see docs/harness.md.
//
//   dstudy_bench --list [--workloads-dir DIR]
//   dstudy_bench --impl NAME --workload NAME --kv KIND --size quick|full|n<N> --out-dir DIR
//                [--workloads-dir DIR] [--repetitions N] [--latency | --no-latency]
//                [--latency-repetitions N]
//                [--memory-sample-every K]
//                [--open-loop F,F,...] [--open-loop-rate R,R,...] [--arrivals constant|poisson]
//                [--expect-allocator NAME] [--seed S] [--pace SCALE] [--trace-in-memory]
//                [--stream-cache DIR] [--benchmark_* flags]
//
// Exit codes: 0 ok; 2 usage / unknown name / bad spec / unsupported
// combination; 3 correctness check failed; 4 allocator mismatch; 5 not
// applicable (the workload needs iteration the container does not offer:
// nothing was run, and nothing failed); 1 other errors.
#include <benchmark/benchmark.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/cell/cell_benchmark.h"
#include "bench/cell/cell_registry.h"
#include "bench/output/result_writer.h"
#include "bench/pass/probe_lengths.h"
#include "bench/probes/cycle_timer.h"
#include "bench/probes/environment.h"
#include "bench/probes/memory_probe.h"
#include "bench/trace/trace_error.h"
#include "bench/trace/trace_file.h"
#include "bench/workload/stream_cache.h"
#include "bench/workload/stream_generator.h"
#include "bench/workload/workload_spec.h"
#include "impls/core/value_types.h"

// The workload library names kv kinds without knowing their types; they
// must be the types' own names, in the same order.
static_assert(std::string_view(dstudy::kKvKinds[0]) == dstudy::KvU64::kName);
static_assert(std::string_view(dstudy::kKvKinds[1]) == dstudy::KvInline32::kName);
static_assert(std::string_view(dstudy::kKvKinds[2]) == dstudy::KvString::kName);
static_assert(std::string_view(dstudy::kKvKinds[3]) == dstudy::KvBlob1K::kName);

namespace {

namespace fs = std::filesystem;
using dstudy::bench::CellRegistry;
using dstudy::bench::RegisteredImpl;

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitCheck = 3;
constexpr int kExitAllocator = 4;
constexpr int kExitNotApplicable = 5;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "(none)" : s;
}

int fail(int code, const std::string& message) {
  std::cerr << "dstudy_bench: " << message << '\n';
  return code;
}

std::vector<std::string> impl_names() {
  std::vector<std::string> names;
  for (const RegisteredImpl* i : CellRegistry::instance().all()) names.push_back(i->name);
  return names;
}

// The result contract's constants as this binary defines them; the Python
// side defines its own once (scripts/dstudy_runner/contract.py) and a test compares
// the two (tests/scripts/test_contract.py).
nlohmann::json contract() {
  nlohmann::json layers = {"payload_bytes"};
  for (const char* l : dstudy::bench::kDerivedLayers) layers.push_back(l);
  nlohmann::json min_samples = nlohmann::json::object();
  for (const auto& [key, q] : {std::pair{"p50_ns", 0.50}, {"p90_ns", 0.90}, {"p99_ns", 0.99}, {"p999_ns", 0.999}})
    min_samples[key] = dstudy::bench::min_samples_for(q);
  return {{"schema_version", dstudy::bench::kSchemaVersion},
          {"op_types", dstudy::kOpTypeNames},
          {"kv_kinds", dstudy::kKvKinds},
          {"phase_roles", dstudy::kPhaseRoleNames},
          {"layers", layers},
          {"headline_layer", dstudy::bench::kHeadlineLayer},
          {"min_samples", min_samples},
          {"spread_warning_pct", dstudy::bench::kSpreadWarningPct},
          {"arrival_processes", dstudy::bench::kArrivalProcessNames},
          {"stall_causes", dstudy::bench::kStallCauseNames},
          {"internals_fields", dstudy::bench::kInternalsFields},
          {"probe_length_unit", dstudy::bench::kProbeLengthUnit},
          {"exit_codes",
           {{"ok", kExitOk},
            {"error", kExitError},
            {"usage", kExitUsage},
            {"check", kExitCheck},
            {"allocator", kExitAllocator},
            {"not_applicable", kExitNotApplicable}}}};
}

int list(const fs::path& dir) {
  nlohmann::json out;
  out["impls"] = nlohmann::json::array();
  for (const RegisteredImpl* i : CellRegistry::instance().all())
    out["impls"].push_back({{"name", i->name},
                            {"origin", i->origin},
                            {"thread_safe", i->thread_safe},
                            {"ordered", i->ordered},
                            {"returns_memory", i->returns_memory},
                            {"iterable", i->iterable},
                            {"kv", i->kind_names()}});
  out["workloads"] = nlohmann::json::array();
  try {
    for (const dstudy::WorkloadSpec& s : dstudy::load_workload_dir(dir)) {
      std::vector<std::string> sizes;
      for (const dstudy::SizeProfile& p : s.sizes) sizes.push_back(p.name);
      nlohmann::json w = {{"name", s.name},
                          {"description", s.description},
                          {"kv", s.kv},
                          {"threads", s.threads},
                          {"needs_iteration", s.needs_iteration()}};
      if (s.trace.empty()) w["sizes"] = sizes;  // a trace runs at any size
      else w["trace"] = s.trace.string();
      out["workloads"].push_back(std::move(w));
    }
  } catch (const dstudy::SpecError& e) {
    return fail(kExitUsage, e.what());
  }
  out["contract"] = contract();
  std::cout << out.dump(2) << '\n';
  return kExitOk;
}

// ---- the command line ---------------------------------------------------------

struct CommandLine {
  std::vector<std::string> args;  // argv as given (recorded in the environment)
  bool list = false;
  std::string impl, workload, kv, size = "quick", out_dir, expect_allocator;
  std::string workloads_dir = dstudy::default_workloads_dir().string();
  int repetitions = 1;
  double min_time = 0.05;  // seconds of headline phases per repetition
  bool latency_on = false, latency_off = false;
  int latency_repetitions = 0;  // 0: the latency pass in every repetition
  std::size_t memory_every = 0;
  std::optional<std::uint64_t> seed;
  std::optional<double> pace;
  bool trace_in_memory = false;
  std::string stream_cache;  // empty: generate the stream in this process
  std::vector<double> open_loop_fractions, open_loop_rates;
  std::string arrivals = "constant";
  std::vector<std::string> benchmark_args;  // --benchmark_* flags, for Google Benchmark
};

// Fills `cl` from argv; an exit code when the process should stop (help,
// usage error), nothing when it should go on.
std::optional<int> parse(int argc, char** argv, CommandLine& cl) {
  cl.args.assign(argv, argv + argc);
  CLI::App app{"dstudy_bench: runs one cell of the delete-intensive container study"};
  app.add_flag("--list", cl.list, "Print the registered implementations and workloads as JSON");
  app.add_option("--workloads-dir", cl.workloads_dir, "Folder of workload spec files")->capture_default_str();
  app.add_option("--impl", cl.impl, "Implementation (registered name)");
  app.add_option("--workload", cl.workload, "Workload (spec name)");
  app.add_option("--kv", cl.kv, "Key/value kind: u64, inline32, string, blob1k");
  app.add_option("--size", cl.size,
                 "Size profile of the workload spec (quick, full, or any other it defines), or n<N>: "
                 "a size-sweep point, the spec's full profile at N live keys")
      ->capture_default_str();
  app.add_option("--out-dir", cl.out_dir, "Folder for gbench.json and sidecar.json");
  app.add_option("--repetitions", cl.repetitions, "Independent repetitions (one process each)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--min-time", cl.min_time,
                 "Seconds of headline phases each repetition measures: warm passes, each on a fresh container, "
                 "repeat until they add up to this (at least one)")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  auto* lat = app.add_flag("--latency", cl.latency_on,
                           "Run the latency pass, every op timed (default for single-threaded workloads)");
  auto* nolat = app.add_flag("--no-latency", cl.latency_off, "Skip the latency pass");
  lat->excludes(nolat);
  app.add_option("--latency-repetitions", cl.latency_repetitions,
                 "Run the latency pass in the first N repetitions only (default: every one)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--memory-sample-every", cl.memory_every, "Sample memory every K ops (0 = about 256 samples)")
      ->capture_default_str();
  app.add_option("--expect-allocator", cl.expect_allocator,
                 "Fail (exit 4) unless this allocator is the one loaded: glibc|system, jemalloc, mimalloc, tcmalloc");
  app.add_option("--seed", cl.seed, "Override the workload's seed");
  app.add_option("--pace", cl.pace,
                 "Trace workloads: paced replay at the recorded timestamps x SCALE (checked non-decreasing)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--trace-in-memory", cl.trace_in_memory,
               "Trace workloads: copy the records into memory instead of replaying the mapped file");
  app.add_option("--stream-cache", cl.stream_cache,
                 "Generated workloads: read the operation stream from this folder when an earlier cell wrote it, "
                 "else generate it and write it there (docs/harness.md, stream cache)");
  app.add_option("--open-loop", cl.open_loop_fractions,
                 "Open-loop passes at these fractions of the measured headline throughput (e.g. 0.5,0.7,0.9)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app.add_option("--open-loop-rate", cl.open_loop_rates, "Open-loop passes at these absolute rates (ops/s)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app.add_option("--arrivals", cl.arrivals, "Arrivals of the open-loop passes")
      ->check(CLI::IsMember({"constant", "poisson"}))
      ->capture_default_str();
  app.allow_extras();  // --benchmark_* flags go to Google Benchmark
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  for (const std::string& extra : app.remaining()) {
    if (extra.rfind("--benchmark_", 0) != 0) return fail(kExitUsage, "unknown argument: " + extra);
    cl.benchmark_args.push_back(extra);
  }
  return std::nullopt;
}

// ---- the cell, checked before anything is measured ---------------------------

struct Cell {
  const RegisteredImpl* impl = nullptr;
  dstudy::bench::DriverFactory factory = nullptr;
  dstudy::WorkloadSpec spec;
  unsigned threads = 1;
  std::optional<dstudy::StreamCache> stream_cache;  // --stream-cache, generated workloads only
};

// An exit code and message for anything a user can get wrong; nothing when
// the cell can run.
std::optional<int> validate(const CommandLine& cl, Cell& cell) {
  if (cl.impl.empty() || cl.workload.empty() || cl.kv.empty() || cl.out_dir.empty())
    return fail(kExitUsage, "--impl, --workload, --kv and --out-dir are required (or --list)");

  const auto& probe = dstudy::probes::MemoryProbe::instance();
  if (!cl.expect_allocator.empty() && !dstudy::probes::allocator_matches(cl.expect_allocator, probe.allocator_name()))
    return fail(kExitAllocator, "allocator mismatch: expected " + cl.expect_allocator + ", detected " +
                                    probe.allocator_name() + " (check LD_PRELOAD)");

  cell.impl = CellRegistry::instance().find(cl.impl);
  if (!cell.impl) return fail(kExitUsage, "unknown impl '" + cl.impl + "'; valid: " + join(impl_names()));

  const std::vector<std::string> all_kinds(std::begin(dstudy::kKvKinds), std::end(dstudy::kKvKinds));
  if (std::find(all_kinds.begin(), all_kinds.end(), cl.kv) == all_kinds.end())
    return fail(kExitUsage, "unknown kv '" + cl.kv + "'; valid: " + join(all_kinds));

  try {
    cell.spec = dstudy::find_workload(cl.workloads_dir, cl.workload);
    dstudy::add_sweep_size(cell.spec, cl.size);
    cell.threads = cell.spec.threads_for(cl.size);
  } catch (const dstudy::SpecError& e) {
    return fail(kExitUsage, e.what());
  }
  const auto& spec_kv = cell.spec.kv;
  if (std::find(spec_kv.begin(), spec_kv.end(), cl.kv) == spec_kv.end())
    return fail(kExitUsage,
                "workload '" + cl.workload + "' does not run kv '" + cl.kv + "'; it runs: " + join(spec_kv));
  cell.factory = cell.impl->factory_for(cl.kv);
  if (!cell.factory)
    return fail(kExitUsage, "impl '" + cl.impl + "' does not support kv '" + cl.kv +
                                "'; it supports: " + join(cell.impl->kind_names()));
  if (cell.threads > 1 && !cell.impl->thread_safe)
    return fail(kExitUsage, "workload '" + cl.workload + "' runs " + std::to_string(cell.threads) +
                                " threads but impl '" + cl.impl + "' is not thread-safe");
  if (cell.spec.needs_iteration() && !cell.impl->iterable)
    return fail(kExitNotApplicable, "not applicable: workload '" + cl.workload +
                                        "' erases or visits entries in iteration order, and impl '" + cl.impl +
                                        "' does not offer iteration (impls/core/container.h, Iterable)");
  if (cl.seed) cell.spec.seed = *cl.seed;
  if (cl.pace && (!cl.open_loop_fractions.empty() || !cl.open_loop_rates.empty()))
    return fail(kExitUsage, "--pace replays a trace at its own timestamps; it does not combine with --open-loop rates");
  if ((cl.pace || cl.trace_in_memory) && cell.spec.trace.empty())
    return fail(kExitUsage,
                "--pace and --trace-in-memory apply to trace workloads; '" + cl.workload + "' is generated");
  if (cl.latency_repetitions > 0 && (cl.pace || !cl.open_loop_fractions.empty() || !cl.open_loop_rates.empty()))
    return fail(kExitUsage,
                "--latency-repetitions does not combine with open-loop passes: each repetition's open-loop rate "
                "is a fraction of its own latency pass's throughput");
  if ((!cl.open_loop_fractions.empty() || !cl.open_loop_rates.empty()) && cell.threads > 1)
    return fail(kExitUsage, "--open-loop paces one-thread workloads only; workload '" + cl.workload + "' runs " +
                                std::to_string(cell.threads) + " threads at size " + cl.size);

  std::error_code ec;
  fs::create_directories(cl.out_dir, ec);
  if (ec) return fail(kExitUsage, "cannot create --out-dir " + cl.out_dir + ": " + ec.message());
  if (!cl.stream_cache.empty() && cell.spec.trace.empty()) {
    try {
      cell.stream_cache.emplace(cl.stream_cache);
    } catch (const std::runtime_error& e) {
      return fail(kExitUsage, std::string("--stream-cache: ") + e.what());
    }
  }
  return std::nullopt;
}

// ---- running it ---------------------------------------------------------------

// Google Benchmark gets its own flags plus where to write its JSON. It keeps
// pointers into the argv it is given (argv[0] names the executable in its
// output), so the strings live as long as the process.
bool init_google_benchmark(const CommandLine& cl, const dstudy::probes::TimerCalibration& timer) {
  static std::vector<std::string> storage;
  static std::vector<char*> argv;
  storage = {cl.args[0], "--benchmark_out=" + (fs::path(cl.out_dir) / "gbench.json").string(),
             "--benchmark_out_format=json"};
  storage.insert(storage.end(), cl.benchmark_args.begin(), cl.benchmark_args.end());
  argv.clear();
  for (auto& s : storage) argv.push_back(s.data());
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());
  if (benchmark::ReportUnrecognizedArguments(argc, argv.data())) return false;
  benchmark::AddCustomContext("dstudy_allocator", dstudy::probes::MemoryProbe::instance().allocator_name());
  benchmark::AddCustomContext("dstudy_timer_overhead_ns", std::to_string(timer.overhead_ns));
  benchmark::AddCustomContext("dstudy_timer_resolution_ns", std::to_string(timer.resolution_ns));
  return true;
}

dstudy::bench::CellOptions cell_options(const CommandLine& cl, const Cell& cell) {
  dstudy::bench::CellOptions o;
  o.impl = cl.impl;
  o.workload = cl.workload;
  o.kv = cl.kv;
  o.size = cl.size;
  o.threads = static_cast<int>(cell.threads);
  o.repetitions = cl.repetitions;
  o.min_headline_seconds = cl.min_time;
  o.latency = cl.latency_on || (!cl.latency_off && cell.threads == 1);
  o.latency_repetitions = cl.latency_repetitions;
  o.memory_sample_every = cl.memory_every;
  o.fill = cell.spec.fill;
  if (cell.spec.trace.empty()) o.nominal_live = cell.spec.size(cl.size).live;
  o.reserve = cell.spec.reserve;
  if (cl.pace)
    o.open_loop.push_back({.fraction = std::nullopt, .ops_per_second = std::nullopt, .timestamp_scale = cl.pace});
  for (double f : cl.open_loop_fractions)
    o.open_loop.push_back({.fraction = f, .ops_per_second = std::nullopt, .timestamp_scale = std::nullopt});
  for (double r : cl.open_loop_rates)
    o.open_loop.push_back({.fraction = std::nullopt, .ops_per_second = r, .timestamp_scale = std::nullopt});
  o.arrivals = *dstudy::bench::arrival_process_from_name(cl.arrivals);
  o.latency_by_phase = cell.spec.latency_by_phase;
  return o;
}

// The cell's stream: a trace's records, or the generated stream, through the
// stream cache when there is one (a note on stderr when a cached file was
// bad, or the stream could not be stored).
dstudy::OperationStream make_stream(const CommandLine& cl, Cell& cell, std::optional<std::size_t> live) {
  if (!cell.spec.trace.empty())
    return dstudy::trace::load_trace_stream(cell.spec.trace, cell.spec.name, cl.kv,
                                            {.paced = cl.pace.has_value(), .in_memory = cl.trace_in_memory});
  auto generate = [&] { return dstudy::generate_stream(cell.spec, cl.size, cl.kv, live); };
  if (!cell.stream_cache) return generate();
  dstudy::OperationStream s =
      cell.stream_cache->get(dstudy::stream_identity(cell.spec, cl.size, cl.kv, live), generate);
  const auto& report = cell.stream_cache->last();
  if (!report.replaced.empty())
    std::cerr << "dstudy_bench: stream cache: not used: " << report.replaced << "; generated again\n";
  if (!report.write_error.empty())
    std::cerr << "dstudy_bench: stream cache: cannot store the stream (" << report.write_error
              << "); it was generated in this process\n";
  return s;
}

int run(const CommandLine& cl, Cell& cell) {
  // Start-up probes: timer, environment (git runs here, once).
  const auto& timer = dstudy::probes::timer_calibration();
  const nlohmann::json environment = dstudy::probes::collect_environment(cl.args, {{"cli11", CLI11_VERSION}});
  if (!init_google_benchmark(cl, timer)) return kExitUsage;

  dstudy::bench::CellRun result;
  try {
    auto driver = cell.factory();
    const dstudy::bench::StreamFactory streams = [&](std::optional<std::size_t> live) {
      return make_stream(cl, cell, live);
    };
    result = dstudy::bench::run_cell(*driver, cell_options(cl, cell), streams);
  } catch (const dstudy::SpecError& e) {
    return fail(kExitUsage, e.what());
  } catch (const dstudy::trace::TraceError& e) {
    return fail(kExitUsage, std::string("bad trace: ") + e.what());
  } catch (const std::exception& e) {
    return fail(kExitError, std::string("error: ") + e.what());
  }

  const dstudy::bench::SidecarContext ctx{cl.expect_allocator, environment};
  const nlohmann::json sidecar = dstudy::bench::sidecar_json(result, ctx, timer);
  try {
    dstudy::bench::write_json_file((fs::path(cl.out_dir) / "sidecar.json").string(), sidecar);
  } catch (const std::exception& e) {
    return fail(kExitError, e.what());
  }

  const nlohmann::json& headline = sidecar["throughput"]["headline"];
  if (headline.is_object() && headline["spread_warning"].get<bool>())
    std::cerr << "dstudy_bench: warning: headline throughput spread is high (MAD " << headline["mad_pct"].get<double>()
              << "% of the median >= " << dstudy::bench::kSpreadWarningPct
              << "%): too noisy to trust, rerun with more repetitions\n";
  const std::size_t disturbed = sidecar["throughput"]["disturbed_repetitions"].get<std::size_t>();
  if (disturbed > 0)
    std::cerr << "dstudy_bench: warning: " << disturbed
              << " repetition(s) still disturbed after re-measuring (sidecar repetitions[].diagnostics.reason)\n";
  if (result.machine_load.competing)
    std::cerr << "dstudy_bench: warning: measured beside another process: " << result.machine_load.reason << '\n';
  if (!result.check.ok) return fail(kExitCheck, "correctness check failed: " + result.check.message);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cl;
  if (const auto stop = parse(argc, argv, cl)) return *stop;
  if (cl.list) return list(cl.workloads_dir);
  Cell cell;
  if (const auto bad = validate(cl, cell)) return *bad;
  return run(cl, cell);
}
