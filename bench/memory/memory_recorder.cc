#include "bench/memory/memory_recorder.h"

#include <time.h>

namespace dstudy::bench {

probes::MemoryLayers minus_baseline(const probes::MemoryLayers& now, const probes::MemoryLayers& base) {
  probes::MemoryLayers d;
  auto sub = [](const std::optional<std::int64_t>& a,
                const std::optional<std::int64_t>& b) -> std::optional<std::int64_t> {
    if (!a) return std::nullopt;
    return *a - b.value_or(0);
  };
  d.heap_bytes = sub(now.heap_bytes, base.heap_bytes);
  d.rss_bytes = sub(now.rss_bytes, base.rss_bytes);
  d.allocator_allocated_bytes = sub(now.allocator_allocated_bytes, base.allocator_allocated_bytes);
  d.allocator_resident_bytes = sub(now.allocator_resident_bytes, base.allocator_resident_bytes);
  return d;
}

void idle_sleep(double seconds) {
  if (seconds <= 0) return;
  timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  while (nanosleep(&ts, &ts) != 0) {
  }
}

}  // namespace dstudy::bench
