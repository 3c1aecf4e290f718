#include "bench/trace/trace_convert.h"

#include <absl/container/flat_hash_set.h>
#include <absl/functional/function_ref.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "bench/trace/printable.h"
#include "bench/trace/reference_replay.h"
#include "bench/trace/trace_error.h"
#include "bench/trace/trace_input.h"

namespace dstudy::trace {
namespace {

// Where each request goes: the reference map, or the count of distinct keys.
using Sink = absl::FunctionRef<void(const Request&)>;

// Reads a text trace line by line, numbering lines from 1 for messages.
class Lines {
 public:
  explicit Lines(TraceInput& in) : in_(in) {}
  ~Lines() { std::free(buf_); }
  bool next(std::string_view& line) {
    const ssize_t n = ::getline(&buf_, &cap_, in_.file());
    if (n < 0) return false;
    ++number_;
    std::size_t len = static_cast<std::size_t>(n);
    while (len && (buf_[len - 1] == '\n' || buf_[len - 1] == '\r')) --len;
    line = std::string_view(buf_, len);
    return true;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw TraceError(in_.describe() + ": line " + std::to_string(number_) + ": " + what);
  }

 private:
  TraceInput& in_;
  char* buf_ = nullptr;
  std::size_t cap_ = 0;
  std::uint64_t number_ = 0;
};

// Splits on commas into at most `max` fields; returns how many there were.
std::size_t split(std::string_view line, std::string_view* fields, std::size_t max) {
  std::size_t n = 0;
  while (n < max) {
    const std::size_t comma = line.find(',');
    fields[n++] = line.substr(0, comma);
    if (comma == std::string_view::npos) return n;
    line.remove_prefix(comma + 1);
  }
  return n + 1;  // more fields than max
}

// Splits on commas into every field.
void split_all(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  for (;;) {
    const std::size_t comma = line.find(',');
    fields.push_back(line.substr(0, comma));
    if (comma == std::string_view::npos) return;
    line.remove_prefix(comma + 1);
  }
}

template <class T>
T number(const Lines& lines, std::string_view text, const char* field) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size())
    lines.fail(std::string(field) + ": expected a non-negative integer" +
               (ec == std::errc::result_out_of_range ? " in range" : "") + ", got '" + printable(text) + "'");
  return v;
}

// Timestamps become ns since the first record. They may not go back before
// the first one; `monotonic` also rejects any that goes back at all (needed
// where expiries are ordered against later requests).
class Clock {
 public:
  Clock(std::uint64_t unit_ns, bool monotonic) : unit_ns_(unit_ns), monotonic_(monotonic) {}
  template <class Fail>
  std::uint64_t relative(std::uint64_t t, Fail&& fail) {
    if (!seen_) seen_ = true, first_ = t;
    if (t < first_)
      fail("timestamp " + std::to_string(t) + " is before the first record's (" + std::to_string(first_) + ")");
    if (monotonic_ && t < last_)
      fail("non-monotonic timestamp: " + std::to_string(t) + " after " + std::to_string(last_) +
           " (this format's TTL expiries need timestamps in order)");
    last_ = t;
    const std::uint64_t d = t - first_;
    if (d > std::numeric_limits<std::uint64_t>::max() / unit_ns_)
      fail("timestamp " + std::to_string(t) + " is too large");
    return d * unit_ns_;
  }

 private:
  std::uint64_t unit_ns_;
  bool monotonic_;
  bool seen_ = false;
  std::uint64_t first_ = 0, last_ = 0;
};

void read_csv(TraceInput& in, const ConvertOptions& o, Sink apply) {
  Lines lines(in);
  bool first = true;
  Clock clock(o.time_unit_ns, false);
  std::string_view line, f[4];
  while (lines.next(line)) {
    if (line.empty()) continue;
    if (first && line.rfind("op,", 0) == 0) continue;  // header
    first = false;
    const std::size_t n = split(line, f, 4);
    if (n < 2 || n > 4) lines.fail("expected op,key[,value_size[,timestamp]], got " + std::to_string(n) + " fields");
    Request r;
    if (f[0] == "insert" || f[0] == "set") r.intent = Intent::kSet;
    else if (f[0] == "find" || f[0] == "get") r.intent = Intent::kFind;
    else if (f[0] == "erase" || f[0] == "delete") r.intent = Intent::kErase;
    else lines.fail("unknown op '" + printable(f[0]) + "' (expected insert|set, find|get or erase|delete)");
    if (f[1].empty()) lines.fail("empty key");
    r.key = f[1];
    r.key_size = static_cast<std::uint32_t>(f[1].size());
    if (n >= 3 && !f[2].empty()) r.value_size = number<std::uint32_t>(lines, f[2], "value_size");
    if (n >= 4)
      r.t_ns =
          clock.relative(number<std::uint64_t>(lines, f[3], "timestamp"), [&](const std::string& m) { lines.fail(m); });
    apply(r);
  }
}

// twitter/cache-trace's operations (its README): reads, writes, deletes, and
// read-modify-writes (append, prepend, incr, decr), which act on a present
// value and fail on an absent one: in the study a lookup (the value a key
// holds is always the one made from its seed, so the change is not modelled).
std::optional<Intent> twitter_intent(std::string_view op) {
  if (op == "get" || op == "gets") return Intent::kFind;
  if (op == "set" || op == "add" || op == "replace" || op == "cas") return Intent::kSet;
  if (op == "delete") return Intent::kErase;
  if (op == "append" || op == "prepend" || op == "incr" || op == "decr") return Intent::kFind;
  return std::nullopt;
}

// A TTL (seconds) as ns, named in the error when it is absurd.
std::uint64_t ttl_ns(const Lines& lines, std::string_view text) {
  const std::uint64_t ttl_s = number<std::uint64_t>(lines, text, "TTL");
  if (ttl_s > 100ull * 365 * 86400) lines.fail("TTL " + std::to_string(ttl_s) + " s is over 100 years");
  return ttl_s * 1'000'000'000;
}

void read_twitter(TraceInput& in, Sink apply) {
  Lines lines(in);
  Clock clock(1'000'000'000, true);
  std::string_view line, f[7];
  while (lines.next(line)) {
    if (line.empty()) continue;
    const std::size_t n = split(line, f, 7);
    if (n != 7)
      lines.fail("expected 7 fields (timestamp,key,key_size,value_size,client_id,operation,TTL), got " +
                 (n > 7 ? std::string("more") : std::to_string(n)));
    Request r;
    const auto intent = twitter_intent(f[5]);
    if (!intent)
      lines.fail("unknown op '" + printable(f[5]) +
                 "' (expected get, gets, set, add, replace, cas, append, prepend, delete, incr or decr)");
    r.intent = *intent;
    if (f[1].empty()) lines.fail("empty key");
    r.key = f[1];
    r.key_size = number<std::uint32_t>(lines, f[2], "key_size");
    r.value_size = number<std::uint32_t>(lines, f[3], "value_size");
    const std::uint64_t ttl = ttl_ns(lines, f[6]);
    if (r.intent == Intent::kSet) r.ttl_ns = ttl;
    r.t_ns =
        clock.relative(number<std::uint64_t>(lines, f[0], "timestamp"), [&](const std::string& m) { lines.fail(m); });
    apply(r);
  }
}

// CacheLib's kvcache columns by name (their order differs between the
// releases); -1: the file has no such column.
struct KvcacheColumns {
  int op_time = -1, key = -1, key_size = -1, op = -1, op_count = -1, size = -1, ttl = -1;
  std::size_t count = 0;
};

KvcacheColumns kvcache_columns(const Lines& lines, std::string_view header) {
  std::vector<std::string_view> names;
  split_all(header, names);
  KvcacheColumns c;
  c.count = names.size();
  const std::pair<const char*, int*> known[] = {
      {"op_time", &c.op_time}, {"key", &c.key}, {"key_size", &c.key_size}, {"op", &c.op}, {"op_count", &c.op_count},
      {"size", &c.size},       {"ttl", &c.ttl}};
  for (std::size_t i = 0; i < names.size(); ++i)
    for (const auto& [name, at] : known)
      if (names[i] == name) {
        if (*at >= 0) lines.fail(std::string("header names column '") + name + "' twice");
        *at = static_cast<int>(i);
      }
  if (c.key < 0 || c.op < 0)
    lines.fail("the header '" + printable(header) + "' has no '" + (c.key < 0 ? "key" : "op") +
               "' column (a kvcache trace starts with a header such as "
               "op_time,key,key_size,op,op_count,size,cache_hits,ttl,usecase,sub_usecase)");
  return c;
}

// One row stands for op_count requests; a count this large is a damaged row,
// not a hot key.
constexpr std::uint64_t kMaxOpCount = 1'000'000;

void read_kvcache(TraceInput& in, Sink apply) {
  Lines lines(in);
  std::string_view line;
  std::vector<std::string_view> f;
  std::optional<KvcacheColumns> c;
  Clock clock(1'000'000'000, true);
  while (lines.next(line)) {
    if (line.empty()) continue;
    if (!c) {
      c = kvcache_columns(lines, line);
      continue;
    }
    split_all(line, f);
    if (f.size() != c->count)
      lines.fail("expected " + std::to_string(c->count) + " fields, as the header names, got " +
                 std::to_string(f.size()));
    Request r;
    const std::string_view op = f[c->op];
    if (op == "GET" || op == "GET_LEASE") r.intent = Intent::kFind;
    else if (op == "SET" || op == "SET_LEASE") r.intent = Intent::kSet;
    else if (op == "DELETE") r.intent = Intent::kErase;
    else lines.fail("unknown op '" + printable(op) + "' (expected GET, GET_LEASE, SET, SET_LEASE or DELETE)");
    r.key = f[c->key];
    if (r.key.empty()) lines.fail("empty key");
    if (c->key_size >= 0) r.key_size = number<std::uint32_t>(lines, f[c->key_size], "key_size");
    if (c->size >= 0 && !f[c->size].empty()) r.value_size = number<std::uint32_t>(lines, f[c->size], "size");
    const std::uint64_t count = c->op_count >= 0 ? number<std::uint64_t>(lines, f[c->op_count], "op_count") : 1;
    if (count == 0 || count > kMaxOpCount)
      lines.fail("op_count " + std::to_string(count) + " is not in 1 to " + std::to_string(kMaxOpCount));
    // A TTL needs the time it was set at; a file without op_time has none.
    if (c->op_time >= 0) {
      r.t_ns = clock.relative(number<std::uint64_t>(lines, f[c->op_time], "op_time"),
                              [&](const std::string& m) { lines.fail(m); });
      if (c->ttl >= 0 && !f[c->ttl].empty() && r.intent == Intent::kSet) r.ttl_ns = ttl_ns(lines, f[c->ttl]);
    }
    for (std::uint64_t i = 0; i < count; ++i) apply(r);
  }
  if (!c) throw TraceError(in.describe() + ": no header line (only blank lines)");
}

// libCacheSim's oracleGeneral: every request is a get of obj_id; a cache
// that misses fetches the object and inserts it.
void read_oracle_general(TraceInput& in, Sink apply) {
  constexpr std::size_t kRecord = 24;
  Clock clock(1'000'000'000, false);
  std::vector<unsigned char> buf(kRecord * 65536);
  std::uint64_t offset = 0;
  for (;;) {
    const std::size_t got = std::fread(buf.data(), 1, buf.size(), in.file());
    const std::size_t whole = got / kRecord * kRecord;
    for (std::size_t at = 0; at < whole; at += kRecord, offset += kRecord) {
      std::uint32_t ts, size;  // then obj_id (the key's 8 bytes) and next_access_vtime (unused)
      std::memcpy(&ts, &buf[at], 4);
      std::memcpy(&size, &buf[at + 12], 4);
      Request r;
      r.intent = Intent::kGetOrInsert;
      r.key = std::string_view(reinterpret_cast<const char*>(&buf[at + 4]), 8);
      r.value_size = size;
      r.t_ns = clock.relative(ts, [&](const std::string& m) {
        throw TraceError(in.describe() + ": record " + std::to_string(offset / kRecord) + " at byte offset " +
                         std::to_string(offset) + ": " + m);
      });
      apply(r);
    }
    // fread comes up short only at the end of the file (the buffer holds
    // whole records), so a partial record is the file's last bytes.
    if (got != whole)
      throw TraceError(in.describe() + ": truncated record " + std::to_string(offset / kRecord) + " at byte offset " +
                       std::to_string(offset) + ": " + std::to_string(got - whole) + " of " + std::to_string(kRecord) +
                       " bytes");
    if (got < buf.size()) break;
  }
}

// Every request of the trace, in order, to `apply`.
void read_requests(Format format, const std::filesystem::path& path, const ConvertOptions& o, Sink apply) {
  TraceInput in(path);
  try {
    switch (format) {
      case Format::kCsv: read_csv(in, o, apply); break;
      case Format::kTwitter: read_twitter(in, apply); break;
      case Format::kOracleGeneral: read_oracle_general(in, apply); break;
      case Format::kKvcache: read_kvcache(in, apply); break;
    }
  } catch (const TraceError&) {
    in.finish_after_bad_record();
    throw;
  }
  in.finish();
}

// The capacity a cache size asks for: P% of the distinct keys (read once to
// count them; at least 1), or the number as it is.
CacheLimit cache_limit(Format format, const std::filesystem::path& in, const ConvertOptions& o) {
  CacheLimit limit;
  limit.eviction = o.eviction;
  if (!o.cache_size) return limit;
  const CacheSize& size = *o.cache_size;
  limit.bytes = size.unit == CacheSize::Unit::kBytes;
  if (size.unit == CacheSize::Unit::kPercent) {
    absl::flat_hash_set<std::string> keys;
    read_requests(format, in, o, [&](const Request& r) { keys.emplace(r.key); });
    limit.capacity = static_cast<std::uint64_t>(std::floor(static_cast<double>(keys.size()) * size.amount / 100));
  } else {
    limit.capacity = static_cast<std::uint64_t>(size.amount);
  }
  if (limit.capacity == 0) limit.capacity = 1;
  return limit;
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  for (int i = 0; i < 4; ++i)
    if (name == kFormatNames[i]) return static_cast<Format>(i);
  return std::nullopt;
}

std::optional<CacheSize> parse_cache_size(std::string_view text) {
  double amount = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (ec != std::errc{} || !std::isfinite(amount) || amount <= 0) return std::nullopt;
  const std::string_view unit(end, text.data() + text.size() - end);
  static const std::pair<std::string_view, double> kBytes[] = {
      {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}};
  CacheSize size;
  if (unit.empty()) {
    size.unit = CacheSize::Unit::kKeys;
    size.amount = amount;
  } else if (unit == "%") {
    if (amount > 100) return std::nullopt;
    size.unit = CacheSize::Unit::kPercent;
    size.amount = amount;
  } else {
    size.unit = CacheSize::Unit::kBytes;
    for (const auto& [name, scale] : kBytes)
      if (unit == name) size.amount = amount * scale;
    if (size.amount == 0) return std::nullopt;
  }
  if (size.unit != CacheSize::Unit::kPercent && (size.amount < 1 || size.amount > 1e18)) return std::nullopt;
  return size;
}

ConvertStats convert_trace(Format format, const std::filesystem::path& in, const std::filesystem::path& out,
                           const ConvertOptions& options) {
  if (options.time_unit_ns == 0) throw TraceError("time unit must be at least 1 ns");
  ConvertStats st;
  const CacheLimit limit = cache_limit(format, in, options);
  TraceWriter writer(out, kFormatNames[static_cast<int>(format)]);
  ReferenceReplay ref(writer, limit);
  read_requests(format, in, options, [&](const Request& r) {
    ref.apply(r);
    ++st.records;
  });
  if (st.records == 0) throw TraceError(in.string() + ": no records");
  // Only a cache too small for every object writes nothing (each request
  // makes an op otherwise): a trace with no ops is not one the harness loads.
  if (writer.ops() == 0)
    throw TraceError(in.string() + ": the simulated cache of " + std::to_string(limit.capacity) +
                     (limit.bytes ? " bytes" : " keys") + " admitted none of the " + std::to_string(st.records) +
                     " requests (each object is larger than the whole cache); give a larger --cache-size");
  if (limit.bytes && !ref.recorded_bytes())
    throw TraceError(in.string() +
                     ": records no key or value sizes, so a cache size in bytes means nothing here; "
                     "give it in keys (N or P%)");
  ref.finish();
  st.ops = writer.ops();
  st.distinct_keys = ref.distinct_keys();
  st.expired = ref.expired();
  st.peak_live = ref.peak_live();
  st.key_sizes = ref.sized() ? summarise_key_sizes(ref.key_sizes()) : std::nullopt;
  st.lookups = ref.lookups();
  st.misses = ref.misses();
  if (limit.capacity)
    st.cache = CacheStats{limit.capacity, limit.bytes, ref.lookups(), ref.misses(), ref.evicted(), ref.rejected()};
  return st;
}

}  // namespace dstudy::trace
