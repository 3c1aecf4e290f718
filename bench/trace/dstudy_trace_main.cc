// dstudy_trace: converts a recorded trace into the study's binary trace, and
// checks one.
//
//   dstudy_trace convert --format csv|twitter|oraclegeneral|kvcache [--time-unit s|ms|us|ns]
//                        [--cache-size N|P%|BYTES [--eviction lru|fifo]] IN OUT
//   dstudy_trace check [--paced] FILE
//
// convert prints one JSON line of what it did (records, ops, keys, rate, and
// the simulated cache's capacity, miss ratio and evictions);
// check loads FILE exactly as the harness does (every record checked) and
// prints its op counts and its recorded key sizes. Exit codes: 0 ok, 1 a bad trace (the message names
// the file and where), 2 usage.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "bench/trace/printable.h"
#include "bench/trace/trace_convert.h"
#include "bench/trace/trace_error.h"
#include "bench/trace/trace_file.h"

namespace {

// The recorded key sizes in brief (key_size_summary.h), or null.
nlohmann::json key_sizes_json(const std::optional<dstudy::trace::KeySizeSummary>& k) {
  if (!k) return nullptr;
  return {{"min", k->min},
          {"max", k->max},
          {"mean", k->mean},
          {"lengthened", k->lengthened},
          {"built_at_least", dstudy::detail::kSizedStringMin}};
}

double ratio(std::uint64_t part, std::uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

nlohmann::json cache_json(const std::optional<dstudy::trace::CacheStats>& c, const std::string& eviction) {
  if (!c) return nullptr;
  return {{"capacity", c->capacity},   {"unit", c->bytes ? "bytes" : "keys"},
          {"eviction", eviction},      {"lookups", c->lookups},
          {"misses", c->misses},       {"miss_ratio", ratio(c->misses, c->lookups)},
          {"evictions", c->evictions}, {"rejected", c->rejected}};
}

int convert(const std::string& format_name, const std::string& unit, const std::string& cache_size,
            const std::string& eviction, const std::string& in, const std::string& out) {
  using namespace dstudy::trace;
  static const std::map<std::string, std::uint64_t> kUnits = {
      {"s", 1'000'000'000}, {"ms", 1'000'000}, {"us", 1'000}, {"ns", 1}};
  const auto format = parse_format(format_name);
  ConvertOptions o;
  o.time_unit_ns = kUnits.at(unit);
  if (!cache_size.empty()) {
    o.cache_size = parse_cache_size(cache_size);
    if (!o.cache_size) {
      std::cerr << "dstudy_trace: --cache-size '" << printable(cache_size)
                << "': expected N (keys), P% (of the distinct keys, up to 100) or bytes (N with B, KB, MB, GB, KiB, "
                   "MiB or GiB)\n";
      return 2;
    }
  }
  o.eviction = *parse_eviction(eviction);
  const auto t0 = std::chrono::steady_clock::now();
  const ConvertStats st = convert_trace(*format, in, out, o);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << nlohmann::json{{"input", in},
                              {"output", out},
                              {"format", format_name},
                              {"records", st.records},
                              {"ops", st.ops},
                              {"distinct_keys", st.distinct_keys},
                              {"expired", st.expired},
                              {"peak_live", st.peak_live},
                              {"key_sizes", key_sizes_json(st.key_sizes)},
                              {"lookups", st.lookups},
                              {"misses", st.misses},
                              {"cache", cache_json(st.cache, eviction)},
                              {"seconds", s},
                              {"records_per_second", s > 0 ? static_cast<double>(st.records) / s : 0.0}}
                   .dump()
            << '\n';
  return 0;
}

int check(const std::string& file, bool paced) {
  dstudy::trace::LoadOptions o;
  o.paced = paced;
  const dstudy::OperationStream s = dstudy::trace::load_trace_stream(file, "check", "u64", o);
  nlohmann::json counts = nlohmann::json::object();
  for (int i = 0; i < dstudy::kOpTypeCount; ++i) counts[dstudy::kOpTypeNames[i]] = s.threads[0].expected[i];
  std::cout << nlohmann::json{{"file", file},
                              {"ops", s.total_ops()},
                              {"distinct_keys", s.key_seeds.size()},
                              {"peak_live", s.peak_live},
                              {"timestamps", s.threads[0].recorded_ns.size > 0},
                              {"key_sizes", key_sizes_json(dstudy::trace::summarise_key_sizes(s.key_sizes))},
                              {"ops_by_type", counts}}
                   .dump()
            << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dstudy_trace: converts recorded traces into the study's binary trace (docs/traces.md)"};
  app.require_subcommand(1);
  std::string format, unit = "s", cache_size, eviction = "lru", in, out, file;
  bool paced = false;
  auto* conv = app.add_subcommand("convert", "Convert a trace (streamed; outcomes computed by a reference map)");
  conv->add_option("--format", format, "Input format")
      ->required()
      ->check(CLI::IsMember({"csv", "twitter", "oraclegeneral", "kvcache"}));
  conv->add_option("--time-unit", unit, "csv: unit of the timestamp column")
      ->check(CLI::IsMember({"s", "ms", "us", "ns"}))
      ->capture_default_str();
  conv->add_option("--cache-size", cache_size,
                   "Replay through a simulated cache of N keys, P% of the distinct keys, or a size in bytes "
                   "(B, KB, MB, GB, KiB, MiB, GiB; charged with recorded key + value sizes)");
  conv->add_option("--eviction", eviction, "The simulated cache's eviction order")
      ->check(CLI::IsMember({"lru", "fifo"}))
      ->capture_default_str();
  conv->add_option("IN", in, "Input trace (zstd, gzip, xz or bzip2 compressed ones are read through the program)")
      ->required();
  conv->add_option("OUT", out, "Output .dstrace file")->required();
  auto* chk = app.add_subcommand("check", "Load a .dstrace as the harness does and print its op counts");
  chk->add_flag("--paced", paced, "Also require non-decreasing timestamps (paced replay)");
  chk->add_option("FILE", file, "A .dstrace file")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return conv->parsed() ? convert(format, unit, cache_size, eviction, in, out) : check(file, paced);
  } catch (const dstudy::trace::TraceError& e) {
    std::cerr << "dstudy_trace: " << e.what() << '\n';
    return 1;
  }
}
