// dstudy_bench: runs one cell (implementation x workload x kv kind, under
// whatever allocator is loaded) and writes gbench.json + sidecar.json, or
// lists what it can run. One Google Benchmark main; see docs/harness.md.
//
//   dstudy_bench --list [--workloads-dir DIR]
//   dstudy_bench --impl NAME --workload NAME --kv KIND --size quick|full --out-dir DIR
//                [--workloads-dir DIR] [--repetitions N] [--latency | --no-latency]
//                [--memory-sample-every K]
//                [--expect-allocator NAME] [--seed S] [--benchmark_* flags]
//
// Exit codes: 0 ok; 2 usage / unknown name / bad spec / unsupported
// combination; 3 correctness check failed; 4 allocator mismatch; 1 other
// errors.
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

#include "bench/cell_benchmark.h"
#include "bench/cell_registry.h"
#include "bench/probes/cycle_timer.h"
#include "bench/probes/environment.h"
#include "bench/probes/memory_probe.h"
#include "bench/result_writer.h"
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
// side defines its own once (scripts/dstudy/contract.py) and a test compares
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
          {"exit_codes",
           {{"ok", kExitOk}, {"error", kExitError}, {"usage", kExitUsage}, {"check", kExitCheck},
            {"allocator", kExitAllocator}}}};
}

int list(const fs::path& dir) {
  nlohmann::json out;
  out["impls"] = nlohmann::json::array();
  for (const RegisteredImpl* i : CellRegistry::instance().all())
    out["impls"].push_back({{"name", i->name},
                            {"thread_safe", i->thread_safe},
                            {"ordered", i->ordered},
                            {"returns_memory", i->returns_memory},
                            {"kv", i->kind_names()}});
  out["workloads"] = nlohmann::json::array();
  try {
    for (const dstudy::WorkloadSpec& s : dstudy::load_workload_dir(dir))
    {
      std::vector<std::string> sizes;
      for (const dstudy::SizeProfile& p : s.sizes) sizes.push_back(p.name);
      out["workloads"].push_back({{"name", s.name},
                                  {"description", s.description},
                                  {"kv", s.kv},
                                  {"threads", s.threads},
                                  {"sizes", sizes}});
    }
  } catch (const dstudy::SpecError& e) {
    return fail(kExitUsage, e.what());
  }
  out["contract"] = contract();
  std::cout << out.dump(2) << '\n';
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);

  CLI::App app{"dstudy_bench: runs one cell of the delete-intensive container study"};
  bool do_list = false;
  std::string impl, workload, kv, size = "quick", out_dir, expect_allocator;
  std::string workloads_dir = dstudy::default_workloads_dir().string();
  int repetitions = 1;
  bool latency_on = false, latency_off = false;
  std::size_t memory_every = 0;
  std::optional<std::uint64_t> seed;
  app.add_flag("--list", do_list, "Print the registered implementations and workloads as JSON");
  app.add_option("--workloads-dir", workloads_dir, "Folder of workload spec files")->capture_default_str();
  app.add_option("--impl", impl, "Implementation (registered name)");
  app.add_option("--workload", workload, "Workload (spec name)");
  app.add_option("--kv", kv, "Key/value kind: u64, inline32, string, blob1k");
  app.add_option("--size", size, "Size profile of the workload spec (quick, full, or any other it defines)")->capture_default_str();
  app.add_option("--out-dir", out_dir, "Folder for gbench.json and sidecar.json");
  app.add_option("--repetitions", repetitions, "Independent repetitions (one process each)")->check(CLI::Range(1, 1000))->capture_default_str();
  auto* lat = app.add_flag("--latency", latency_on,
                           "Run the latency pass, every op timed (default for single-threaded workloads)");
  auto* nolat = app.add_flag("--no-latency", latency_off, "Skip the latency pass");
  lat->excludes(nolat);
  app.add_option("--memory-sample-every", memory_every, "Sample memory every K ops (0 = about 256 samples)")
      ->capture_default_str();
  app.add_option("--expect-allocator", expect_allocator,
                 "Fail (exit 4) unless this allocator is the one loaded: glibc|system, jemalloc, mimalloc, tcmalloc");
  app.add_option("--seed", seed, "Override the workload's seed");
  app.allow_extras();  // --benchmark_* flags go to Google Benchmark

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  std::vector<std::string> gb_args;
  for (const std::string& extra : app.remaining()) {
    if (extra.rfind("--benchmark_", 0) != 0) return fail(kExitUsage, "unknown argument: " + extra);
    gb_args.push_back(extra);
  }

  if (do_list) return list(workloads_dir);

  // ---- validate the cell before anything is measured -----------------------
  if (impl.empty() || workload.empty() || kv.empty() || out_dir.empty())
    return fail(kExitUsage, "--impl, --workload, --kv and --out-dir are required (or --list)");

  const auto& probe = dstudy::probes::MemoryProbe::instance();
  if (!expect_allocator.empty() && !dstudy::probes::allocator_matches(expect_allocator, probe.allocator_name()))
    return fail(kExitAllocator, "allocator mismatch: expected " + expect_allocator + ", detected " +
                                    probe.allocator_name() + " (check LD_PRELOAD)");

  const RegisteredImpl* entry = CellRegistry::instance().find(impl);
  if (!entry) return fail(kExitUsage, "unknown impl '" + impl + "'; valid: " + join(impl_names()));

  const std::vector<std::string> all_kinds(std::begin(dstudy::kKvKinds), std::end(dstudy::kKvKinds));
  if (std::find(all_kinds.begin(), all_kinds.end(), kv) == all_kinds.end())
    return fail(kExitUsage, "unknown kv '" + kv + "'; valid: " + join(all_kinds));

  dstudy::WorkloadSpec spec;
  try {
    spec = dstudy::find_workload(workloads_dir, workload);
  } catch (const dstudy::SpecError& e) {
    return fail(kExitUsage, e.what());
  }
  if (std::find(spec.kv.begin(), spec.kv.end(), kv) == spec.kv.end())
    return fail(kExitUsage, "workload '" + workload + "' does not run kv '" + kv + "'; it runs: " + join(spec.kv));
  const dstudy::bench::DriverFactory factory = entry->factory_for(kv);
  if (!factory)
    return fail(kExitUsage, "impl '" + impl + "' does not support kv '" + kv + "'; it supports: " +
                                join(entry->kind_names()));
  unsigned threads = 1;
  try {
    threads = spec.threads_for(size);
  } catch (const dstudy::SpecError& e) {
    return fail(kExitUsage, e.what());
  }
  if (threads > 1 && !entry->thread_safe)
    return fail(kExitUsage, "workload '" + workload + "' runs " + std::to_string(threads) +
                                " threads but impl '" + impl + "' is not thread-safe");
  if (seed) spec.seed = *seed;

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return fail(kExitUsage, "cannot create --out-dir " + out_dir + ": " + ec.message());

  // ---- start-up probes: timer, environment (git runs here, once) -----------
  const auto& timer = dstudy::probes::timer_calibration();
  const nlohmann::json environment = dstudy::probes::collect_environment(args, {{"cli11", CLI11_VERSION}});

  // Google Benchmark gets its own flags plus where to write its JSON.
  std::vector<std::string> gb_storage = {args[0], "--benchmark_out=" + (fs::path(out_dir) / "gbench.json").string(),
                                         "--benchmark_out_format=json"};
  gb_storage.insert(gb_storage.end(), gb_args.begin(), gb_args.end());
  std::vector<char*> gb_argv;
  for (auto& s : gb_storage) gb_argv.push_back(s.data());
  int gb_argc = static_cast<int>(gb_argv.size());
  benchmark::Initialize(&gb_argc, gb_argv.data());
  if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_argv.data())) return kExitUsage;
  benchmark::AddCustomContext("dstudy_allocator", probe.allocator_name());
  benchmark::AddCustomContext("dstudy_timer_overhead_ns", std::to_string(timer.overhead_ns));
  benchmark::AddCustomContext("dstudy_timer_resolution_ns", std::to_string(timer.resolution_ns));

  dstudy::bench::CellOptions options;
  options.impl = impl;
  options.workload = workload;
  options.kv = kv;
  options.size = size;
  options.threads = static_cast<int>(threads);
  options.repetitions = repetitions;
  options.latency = latency_on || (!latency_off && threads == 1);
  options.memory_sample_every = memory_every;
  options.fill = spec.fill;
  options.reserve = spec.reserve;

  dstudy::bench::CellRun run;
  try {
    auto driver = factory();
    const dstudy::bench::StreamFactory make_stream = [&](std::optional<std::size_t> live) {
      return dstudy::generate_stream(spec, size, kv, live);
    };
    run = dstudy::bench::run_cell(*driver, options, make_stream);
  } catch (const dstudy::SpecError& e) {
    return fail(kExitUsage, e.what());
  } catch (const std::exception& e) {
    return fail(kExitError, std::string("error: ") + e.what());
  }

  const dstudy::bench::SidecarContext ctx{expect_allocator, environment};
  const nlohmann::json sidecar = dstudy::bench::sidecar_json(run, ctx, timer);
  try {
    dstudy::bench::write_json_file((fs::path(out_dir) / "sidecar.json").string(), sidecar);
  } catch (const std::exception& e) {
    return fail(kExitError, e.what());
  }

  const nlohmann::json& headline = sidecar["throughput"]["headline"];
  if (headline.is_object() && headline["spread_warning"].get<bool>())
    std::cerr << "dstudy_bench: warning: headline throughput spread is high (MAD " << headline["mad_pct"].get<double>()
              << "% of the median >= " << dstudy::bench::kSpreadWarningPct
              << "%): too noisy to trust, rerun with more repetitions\n";
  if (run.machine_load.competing)
    std::cerr << "dstudy_bench: warning: measured beside another process: " << run.machine_load.reason << '\n';
  if (!run.check.ok) return fail(kExitCheck, "correctness check failed: " + run.check.message);
  return kExitOk;
}
