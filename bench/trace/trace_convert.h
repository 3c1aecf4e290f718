// Converters from recorded traces to the study's binary trace (trace_format.h):
// each streams its input once, in constant memory besides the reference map
// (reference_replay.h), and computes every op's expected outcome. docs/traces.md
// gives each format's columns and how its operations map to the study's.
//
//   csv            op,key[,value_size[,timestamp]]  op: insert|set, find|get,
//                  erase|delete; an optional header line starting "op,";
//                  timestamps integers in --time-unit (default seconds)
//   twitter        twitter/cache-trace: timestamp (s), anonymized key, key
//                  size, value size, client id, operation, TTL (s, 0 = none)
//   oraclegeneral  libCacheSim's binary: packed 24-byte records of u32
//                  timestamp (s), u64 obj_id, u32 obj_size, i64
//                  next_access_vtime; every request a cache get
//   kvcache        CacheLib's kvcache traces (Meta): a header naming the
//                  columns, in any order, of op_time (s), key, key_size, op
//                  (GET, GET_LEASE, SET, SET_LEASE, DELETE), op_count (the
//                  row stands for that many requests), size, ttl (s) and
//                  others (ignored); key and op are required
//
// Any of them may be compressed (zstd, gzip, xz, bzip2: trace_input.h).
// With a cache size the trace replays through a simulated cache of that
// capacity (reference_replay.h), whose evictions become erases.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "bench/trace/eviction_queue.h"
#include "bench/trace/key_size_summary.h"

namespace dstudy::trace {

enum class Format : std::uint8_t { kCsv, kTwitter, kOracleGeneral, kKvcache };
inline constexpr const char* kFormatNames[] = {"csv", "twitter", "oraclegeneral", "kvcache"};
std::optional<Format> parse_format(std::string_view name);

// --cache-size: N keys, P% of the trace's distinct keys, or a size in bytes
// (N with a unit: B, KB, MB, GB, KiB, MiB, GiB) charged with each key's
// recorded key + value size.
struct CacheSize {
  enum class Unit : std::uint8_t { kKeys, kPercent, kBytes } unit = Unit::kKeys;
  double amount = 0;
};
std::optional<CacheSize> parse_cache_size(std::string_view text);

struct ConvertOptions {
  std::uint64_t time_unit_ns = 1'000'000'000;  // csv: what one timestamp unit is
  std::optional<CacheSize> cache_size;         // none: an unbounded cache
  Eviction eviction = Eviction::kLru;
};

// A simulated cache's outcome (with a cache size).
struct CacheStats {
  std::uint64_t capacity = 0;  // keys, or bytes
  bool bytes = false;
  std::uint64_t lookups = 0, misses = 0, evictions = 0, rejected = 0;
};

struct ConvertStats {
  std::uint64_t records = 0;  // requests read from the input
  std::uint64_t ops = 0;      // ops written (expiries and cache fills added)
  std::uint64_t distinct_keys = 0;
  std::uint64_t expired = 0;  // erases made from TTL expiry
  std::uint64_t peak_live = 0;
  std::optional<KeySizeSummary> key_sizes;  // csv, twitter, kvcache: recorded; oraclegeneral: none
  std::uint64_t lookups = 0, misses = 0;    // finds and cache gets, and how many missed
  std::optional<CacheStats> cache;          // with a cache size
};

// Converts `in` into `out` (written as out.partial, renamed when complete).
// Throws TraceError naming the input file and the line (text formats) or byte
// offset (binary) of the first bad record; `out` is then left as it was. A
// cache size in percent reads the input twice (first to count its keys).
ConvertStats convert_trace(Format format, const std::filesystem::path& in, const std::filesystem::path& out,
                           const ConvertOptions& options = {});

}  // namespace dstudy::trace
