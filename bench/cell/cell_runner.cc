#include "bench/cell/cell_runner.h"

#include <unistd.h>

#include <string>

namespace dstudy::bench {

void validate_stream(const OperationStream& stream) {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument("operation stream of workload '" + stream.workload + "': " + what);
  };
  if (stream.threads.empty()) fail("no thread streams");
  const std::size_t phases = stream.threads[0].phases.size();
  if (phases == 0) fail("no phases");
  if (!stream.key_sizes.empty() && stream.key_sizes.size() != stream.key_seeds.size())
    fail("key_sizes has " + std::to_string(stream.key_sizes.size()) + " entries for " +
         std::to_string(stream.key_seeds.size()) + " keys");
  for (std::size_t t = 0; t < stream.threads.size(); ++t) {
    const ThreadStream& ts = stream.threads[t];
    if (ts.phases.size() != phases) fail("thread " + std::to_string(t) + " has a different number of phases");
    std::size_t at = 0;
    for (std::size_t p = 0; p < phases; ++p) {
      const Phase& ph = ts.phases[p];
      if (ph.name != stream.threads[0].phases[p].name) fail("phase names differ between threads");
      if (ph.begin != at || ph.end < ph.begin) fail("phases of thread " + std::to_string(t) + " do not tile its ops");
      at = ph.end;
    }
    if (at != ts.ops.size()) fail("phases of thread " + std::to_string(t) + " do not cover its ops");
    for (const Operation& op : ts.ops) {
      if (op.key_index >= stream.key_seeds.size()) fail("key_index out of range");
      if (static_cast<int>(op.type) >= kOpTypeCount) fail("unknown op type");
    }
  }
}

std::size_t mapped_bytes(const OperationStream& stream) {
  std::size_t bytes = 0;
  for (const ThreadStream& t : stream.threads) {
    if (t.ops.is_view()) bytes += t.ops.size() * sizeof(Operation);
    bytes += t.recorded_ns.size * sizeof(std::uint64_t);
  }
  return bytes;
}

std::size_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
}

std::size_t peak_live_keys(const OperationStream& stream) {
  std::size_t total = 0;
  for (const ThreadStream& ts : stream.threads) {
    std::int64_t live = 0, peak = 0;
    for (const Operation& op : ts.ops) {
      if (op.type == OpType::kInsert) peak = std::max(peak, ++live);
      else if (removes_key(op.type)) --live;
    }
    total += static_cast<std::size_t>(peak);
  }
  return total;
}

std::size_t auto_sample_every(std::size_t ops) {
  std::size_t k = 1024;
  while (k * 256 < ops) k *= 2;
  return k;
}

}  // namespace dstudy::bench
