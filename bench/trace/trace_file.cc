#include "bench/trace/trace_file.h"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "bench/trace/trace_error.h"
#include "bench/trace/trace_format.h"
#include "bench/workload/mapped_file.h"
#include "impls/core/value_types.h"

namespace dstudy::trace {
namespace {

// The mapped trace; its header must be there before anything reads it.
std::shared_ptr<MappedFile> map_trace(const std::filesystem::path& file) {
  std::shared_ptr<MappedFile> m;
  try {
    m = map_file(file);
  } catch (const std::runtime_error& e) {
    throw TraceError(e.what());
  }
  if (m->bytes == 0)
    throw TraceError(file.string() + ": empty file (a study trace starts with a " + std::to_string(kHeaderBytes) +
                     "-byte header)");
  if (m->bytes < kHeaderBytes)
    throw TraceError(file.string() + ": truncated header at byte offset " + std::to_string(m->bytes) +
                     ": the file has " + std::to_string(m->bytes) + " bytes, a trace header " +
                     std::to_string(kHeaderBytes));
  return m;
}

class Checker {
 public:
  Checker(const std::filesystem::path& file, const TraceHeader& h, std::size_t bytes)
      : file_(file), h_(h), bytes_(bytes) {}

  [[noreturn]] void fail(const std::string& what) const { throw TraceError(file_.string() + ": " + what); }
  [[noreturn]] void fail_record(std::uint64_t i, std::uint64_t offset, const std::string& what) const {
    fail("record " + std::to_string(i) + " at byte offset " + std::to_string(offset) + ": " + what);
  }

  void header() const {
    if (std::memcmp(h_.magic, kMagic, sizeof kMagic) != 0)
      fail("not a study trace (no DSTRACE1 magic at byte offset 0); convert it first: dstudy_trace convert");
    if (h_.version < kOldestReadableVersion || h_.version > kVersion)
      fail("trace format version " + std::to_string(h_.version) + ", this build reads versions " +
           std::to_string(kOldestReadableVersion) + " to " + std::to_string(kVersion) +
           ": convert the original trace again with this build (dstudy_trace convert)");
    if (h_.op_count == 0) fail("no records");
    if (h_.ops_offset != kHeaderBytes)
      fail("records start at byte offset " + std::to_string(h_.ops_offset) + ", expected " +
           std::to_string(kHeaderBytes));
    section("records", h_.ops_offset, h_.op_count, sizeof(Operation));
    section("value sizes", h_.value_sizes_offset, h_.op_count, 4);
    if (h_.flags & kHasTimestamps) section("timestamps", h_.timestamps_offset, h_.op_count, 8);
    section("key table", h_.keys_offset, h_.key_count, 8);
    if (has_key_sizes()) section("key sizes", h_.key_sizes_offset, h_.key_count, 4);
  }

  // Version 2 files have no key sizes (and nothing in that header field).
  bool has_key_sizes() const { return h_.version >= 3 && (h_.flags & kHasKeySizes); }

  // A section of n items of `size` bytes at `offset` lies inside the file.
  void section(const char* name, std::uint64_t offset, std::uint64_t n, std::uint64_t size) const {
    if (offset % 8) fail(std::string(name) + " at byte offset " + std::to_string(offset) + " is not 8-byte aligned");
    if (offset > bytes_)
      fail(std::string("truncated: ") + name + " would start at byte offset " + std::to_string(offset) +
           ", past the end (" + std::to_string(bytes_) + " bytes)");
    const std::uint64_t fit = (bytes_ - offset) / size;
    if (fit < n)
      fail(std::string("truncated ") + name + ": item " + std::to_string(fit) + " at byte offset " +
           std::to_string(offset + fit * size) + " is incomplete (" + std::to_string(n) +
           " expected, the file ends at byte " + std::to_string(bytes_) + ")");
  }

 private:
  const std::filesystem::path& file_;
  const TraceHeader& h_;
  std::size_t bytes_;
};

// Each record's type is the outcome of its op on the live set so far; checks
// that, and returns the peak live size. Bounded by distinct keys (one bit each).
std::uint64_t check_records(const Checker& c, const TraceHeader& h, const Operation* ops, const std::uint64_t* seeds) {
  std::vector<bool> live(h.key_count, false);
  std::uint64_t now = 0, peak = 0, counts[kOpTypeCount] = {};
  for (std::uint64_t i = 0; i < h.op_count; ++i) {
    const Operation& op = ops[i];
    const std::uint64_t at = h.ops_offset + i * sizeof(Operation);
    if (static_cast<int>(op.type) >= kOpTypeCount)
      c.fail_record(i, at, "unknown op type " + std::to_string(static_cast<int>(op.type)));
    if (op.key_index >= h.key_count)
      c.fail_record(
          i, at,
          "key index " + std::to_string(op.key_index) + " out of range (" + std::to_string(h.key_count) + " keys)");
    if (op.key_seed != seeds[op.key_index])
      c.fail_record(i, at, "key seed does not match the key table's for index " + std::to_string(op.key_index));
    const bool present = live[op.key_index];
    const bool wants_present = op.type == OpType::kErase || op.type == OpType::kFindHit || op.type == OpType::kUpdate;
    if (present != wants_present)
      c.fail_record(i, at,
                    std::string(kOpTypeNames[static_cast<int>(op.type)]) + " of key index " +
                        std::to_string(op.key_index) + ", which is " + (present ? "live" : "absent") +
                        " there: the recorded outcomes are inconsistent");
    if (op.type == OpType::kInsert) live[op.key_index] = true, peak = std::max(peak, ++now);
    if (op.type == OpType::kErase) live[op.key_index] = false, --now;
    ++counts[static_cast<int>(op.type)];
  }
  for (int t = 0; t < kOpTypeCount; ++t)
    if (counts[t] != h.op_counts[t])
      c.fail(std::string("the header counts ") + std::to_string(h.op_counts[t]) + " " + kOpTypeNames[t] +
             " ops, the records hold " + std::to_string(counts[t]));
  return peak;
}

void check_monotonic(const Checker& c, const TraceHeader& h, const std::uint64_t* ts) {
  for (std::uint64_t i = 1; i < h.op_count; ++i)
    if (ts[i] < ts[i - 1])
      c.fail_record(i, h.timestamps_offset + i * 8,
                    "non-monotonic timestamp: " + std::to_string(ts[i]) + " ns after " + std::to_string(ts[i - 1]) +
                        " ns (record " + std::to_string(i - 1) + "); paced replay needs non-decreasing timestamps");
}

}  // namespace

OperationStream load_trace_stream(const std::filesystem::path& file, const std::string& workload, const std::string& kv,
                                  const LoadOptions& options) {
  const std::shared_ptr<MappedFile> m = map_trace(file);
  auto* base = static_cast<unsigned char*>(m->base);
  TraceHeader h;
  std::memcpy(&h, base, sizeof h);
  const Checker c(file, h, m->bytes);
  c.header();
  auto* ops = reinterpret_cast<Operation*>(base + h.ops_offset);
  const auto* seeds = reinterpret_cast<const std::uint64_t*>(base + h.keys_offset);
  for (std::uint64_t k = 0; k < h.key_count; ++k)
    if (seeds[k] > kMaxU64Key)
      c.fail("key table entry " + std::to_string(k) + " at byte offset " + std::to_string(h.keys_offset + 8 * k) +
             " is a reserved key");
  const std::uint64_t peak = check_records(c, h, ops, seeds);
  const bool has_times = h.flags & kHasTimestamps;
  auto* times = has_times ? reinterpret_cast<std::uint64_t*>(base + h.timestamps_offset) : nullptr;
  if (options.paced) {
    if (!has_times) c.fail("has no timestamps; paced replay needs them (convert a trace that records them)");
    check_monotonic(c, h, times);
  }

  OperationStream s;
  s.workload = workload;
  s.kv = kv;
  s.size_profile = "trace";
  s.peak_live = peak;
  s.key_seeds.assign(seeds, seeds + h.key_count);
  if (c.has_key_sizes()) {
    const auto* sizes = reinterpret_cast<const std::uint32_t*>(base + h.key_sizes_offset);
    s.key_sizes.assign(sizes, sizes + h.key_count);
  }
  s.live_after_phase = {h.live_at_end};
  ThreadStream& t = s.threads.emplace_back();
  if (options.in_memory) {
    t.ops.reserve(h.op_count);
    for (std::uint64_t i = 0; i < h.op_count; ++i) t.ops.push_back(ops[i]);
  } else {
    t.ops.view(ops, h.op_count, m);
  }
  if (has_times) t.recorded_ns = RecordedTimes{times, h.op_count, m};
  Phase p;
  p.name = "replay";
  p.role = "steady";
  p.headline = true;
  p.begin = 0;
  p.end = h.op_count;
  p.live_after = h.live_at_end;
  for (int i = 0; i < kOpTypeCount; ++i) p.op_counts[i] = t.expected[i] = h.op_counts[i];
  t.phases.push_back(std::move(p));
  return s;
}

}  // namespace dstudy::trace
