#include "bench/trace/trace_convert.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "bench/trace/reference_replay.h"
#include "bench/trace/trace_error.h"

namespace dstudy::trace {
namespace {

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

FilePtr open_input(const std::filesystem::path& in) {
  FilePtr f(std::fopen(in.c_str(), "rb"), &std::fclose);
  if (!f) throw TraceError(in.string() + ": cannot read: " + std::strerror(errno));
  std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
  return f;
}

// Reads a text trace line by line, numbering lines from 1 for messages.
class Lines {
 public:
  explicit Lines(const std::filesystem::path& in) : path_(in), file_(open_input(in)) {}
  ~Lines() { std::free(buf_); }
  bool next(std::string_view& line) {
    const ssize_t n = ::getline(&buf_, &cap_, file_.get());
    if (n < 0) return false;
    ++number_;
    std::size_t len = static_cast<std::size_t>(n);
    while (len && (buf_[len - 1] == '\n' || buf_[len - 1] == '\r')) --len;
    line = std::string_view(buf_, len);
    return true;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw TraceError(path_.string() + ": line " + std::to_string(number_) + ": " + what);
  }

 private:
  std::filesystem::path path_;
  FilePtr file_;
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

template <class T>
T number(const Lines& lines, std::string_view text, const char* field) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size())
    lines.fail(std::string(field) + ": expected a non-negative integer" +
               (ec == std::errc::result_out_of_range ? " in range" : "") + ", got '" + std::string(text) + "'");
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

void convert_csv(const std::filesystem::path& in, ReferenceReplay& ref, const ConvertOptions& o, ConvertStats& st) {
  Lines lines(in);
  Clock clock(o.time_unit_ns, false);
  std::string_view line, f[4];
  while (lines.next(line)) {
    if (line.empty()) continue;
    if (st.records == 0 && line.rfind("op,", 0) == 0) continue;  // header
    const std::size_t n = split(line, f, 4);
    if (n < 2 || n > 4) lines.fail("expected op,key[,value_size[,timestamp]], got " + std::to_string(n) + " fields");
    Request r;
    if (f[0] == "insert" || f[0] == "set") r.intent = Intent::kSet;
    else if (f[0] == "find" || f[0] == "get") r.intent = Intent::kFind;
    else if (f[0] == "erase" || f[0] == "delete") r.intent = Intent::kErase;
    else lines.fail("unknown op '" + std::string(f[0]) + "' (expected insert|set, find|get or erase|delete)");
    if (f[1].empty()) lines.fail("empty key");
    r.key = f[1];
    r.key_size = static_cast<std::uint32_t>(f[1].size());
    if (n >= 3 && !f[2].empty()) r.value_size = number<std::uint32_t>(lines, f[2], "value_size");
    if (n >= 4)
      r.t_ns =
          clock.relative(number<std::uint64_t>(lines, f[3], "timestamp"), [&](const std::string& m) { lines.fail(m); });
    ref.apply(r);
    ++st.records;
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

void convert_twitter(const std::filesystem::path& in, ReferenceReplay& ref, ConvertStats& st) {
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
      lines.fail("unknown op '" + std::string(f[5]) +
                 "' (expected get, gets, set, add, replace, cas, append, prepend, delete, incr or decr)");
    r.intent = *intent;
    if (f[1].empty()) lines.fail("empty key");
    r.key = f[1];
    r.key_size = number<std::uint32_t>(lines, f[2], "key_size");
    r.value_size = number<std::uint32_t>(lines, f[3], "value_size");
    const std::uint64_t ttl_s = number<std::uint64_t>(lines, f[6], "TTL");
    if (ttl_s > 100ull * 365 * 86400) lines.fail("TTL " + std::to_string(ttl_s) + " s is over 100 years");
    if (r.intent == Intent::kSet) r.ttl_ns = ttl_s * 1'000'000'000;
    r.t_ns =
        clock.relative(number<std::uint64_t>(lines, f[0], "timestamp"), [&](const std::string& m) { lines.fail(m); });
    ref.apply(r);
    ++st.records;
  }
}

// libCacheSim's oracleGeneral: every request is a get of obj_id; a cache
// that misses fetches the object and inserts it.
void convert_oracle_general(const std::filesystem::path& in, ReferenceReplay& ref, ConvertStats& st) {
  constexpr std::size_t kRecord = 24;
  FilePtr file = open_input(in);
  Clock clock(1'000'000'000, false);
  std::vector<unsigned char> buf(kRecord * 65536);
  std::uint64_t offset = 0;
  for (;;) {
    const std::size_t got = std::fread(buf.data(), 1, buf.size(), file.get());
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
        throw TraceError(in.string() + ": record " + std::to_string(offset / kRecord) + " at byte offset " +
                         std::to_string(offset) + ": " + m);
      });
      ref.apply(r);
      ++st.records;
    }
    // fread comes up short only at the end of the file (the buffer holds
    // whole records), so a partial record is the file's last bytes.
    if (got != whole)
      throw TraceError(in.string() + ": truncated record " + std::to_string(offset / kRecord) + " at byte offset " +
                       std::to_string(offset) + ": " + std::to_string(got - whole) + " of " + std::to_string(kRecord) +
                       " bytes");
    if (got < buf.size()) break;
  }
  if (std::ferror(file.get())) throw TraceError(in.string() + ": read failed");
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  for (int i = 0; i < 3; ++i)
    if (name == kFormatNames[i]) return static_cast<Format>(i);
  return std::nullopt;
}

ConvertStats convert_trace(Format format, const std::filesystem::path& in, const std::filesystem::path& out,
                           const ConvertOptions& options) {
  if (options.time_unit_ns == 0) throw TraceError("time unit must be at least 1 ns");
  ConvertStats st;
  TraceWriter writer(out, kFormatNames[static_cast<int>(format)]);
  ReferenceReplay ref(writer);
  switch (format) {
    case Format::kCsv: convert_csv(in, ref, options, st); break;
    case Format::kTwitter: convert_twitter(in, ref, st); break;
    case Format::kOracleGeneral: convert_oracle_general(in, ref, st); break;
  }
  if (st.records == 0) throw TraceError(in.string() + ": no records");
  ref.finish();
  st.ops = writer.ops();
  st.distinct_keys = ref.distinct_keys();
  st.expired = ref.expired();
  st.peak_live = ref.peak_live();
  st.key_sizes = ref.sized() ? summarise_key_sizes(ref.key_sizes()) : std::nullopt;
  return st;
}

}  // namespace dstudy::trace
