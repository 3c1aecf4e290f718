// Writes a .dstrace file (trace_format.h) op by op, in constant memory: the
// records go straight to OUT.partial, value sizes and timestamps to two side
// files appended at the end, and OUT appears (by rename) only once it is
// complete. A writer destroyed before finish() removes its partial files, so
// a failed conversion leaves nothing that looks like a trace, and never
// touches an OUT that was already there.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "bench/trace/trace_format.h"

namespace dstudy::trace {

class TraceWriter {
 public:
  TraceWriter(std::filesystem::path out, std::string source_format);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // One op. Either every op has a timestamp (ns since the first op) or none.
  void add(const Operation& op, std::uint32_t value_size, std::optional<std::uint64_t> t_ns);

  // Writes the key table (key_seed_of each index, hashed), the key sizes
  // (by key index; empty when the trace recorded none), the side sections
  // and the header, and renames the file into place.
  void finish(std::uint64_t key_count, std::uint64_t peak_live, std::uint64_t live_at_end,
              std::span<const std::uint32_t> key_sizes = {});

  std::uint64_t ops() const { return header_.op_count; }

 private:
  void close_all();
  std::filesystem::path out_, partial_, sizes_path_, times_path_;
  std::FILE* main_ = nullptr;
  std::FILE* sizes_ = nullptr;
  std::FILE* times_ = nullptr;
  std::optional<bool> timestamps_;  // decided by the first op
  TraceHeader header_{};
  bool finished_ = false;
};

}  // namespace dstudy::trace
