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
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "bench/trace/key_size_summary.h"

namespace dstudy::trace {

enum class Format : std::uint8_t { kCsv, kTwitter, kOracleGeneral };
inline constexpr const char* kFormatNames[] = {"csv", "twitter", "oraclegeneral"};
std::optional<Format> parse_format(std::string_view name);

struct ConvertOptions {
  std::uint64_t time_unit_ns = 1'000'000'000;  // csv: what one timestamp unit is
};

struct ConvertStats {
  std::uint64_t records = 0;  // requests read from the input
  std::uint64_t ops = 0;      // ops written (expiries and cache fills added)
  std::uint64_t distinct_keys = 0;
  std::uint64_t expired = 0;  // erases made from TTL expiry
  std::uint64_t peak_live = 0;
  std::optional<KeySizeSummary> key_sizes;  // csv, twitter: recorded; oraclegeneral: none
};

// Converts `in` into `out` (written as out.partial, renamed when complete).
// Throws TraceError naming the input file and the line (text formats) or byte
// offset (binary) of the first bad record; `out` is then left as it was.
ConvertStats convert_trace(Format format, const std::filesystem::path& in, const std::filesystem::path& out,
                           const ConvertOptions& options = {});

}  // namespace dstudy::trace
