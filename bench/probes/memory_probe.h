// Memory probes, from cheapest to dearest:
//   heap_bytes           the harness's own count of live operator-new bytes
//                        (heap_counter.h; a sum over 64 counters)
//   rss_bytes()          /proc/self/statm through a kept-open fd + pread (~2 us),
//                        reopened after a fork
//   allocator_stats()    the loaded allocator's own statistics, found at run
//                        time with dlsym(RTLD_DEFAULT, ...): jemalloc (epoch +
//                        stats.*, ~5 us), mimalloc (mi_process_info, ~1.4 us),
//                        tcmalloc (MallocExtension properties, ~3 us), glibc
//                        (mallinfo2: walks every free chunk, up to ~1 s after
//                        millions of frees, so only when `expensive_ok`)
//   peak_rss_bytes()     VmHWM from /proc/self/status (~11 us); reset_peak_rss()
//                        writes 5 to /proc/self/clear_refs
//   purge()              the allocator's explicit "give memory back"
// None of them is ever called inside a timed region.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace dstudy::probes {

enum class AllocatorKind { kGlibc, kJemalloc, kMimalloc, kTcmalloc };

struct AllocatorStats {
  // Bytes handed out to the program and still in use (null when the
  // allocator cannot say: mimalloc release builds keep no such counter).
  std::optional<std::size_t> allocated;
  // Bytes the allocator holds from the OS: jemalloc stats.resident,
  // mimalloc committed, tcmalloc heap_size - pageheap_unmapped,
  // glibc arena + mmapped.
  std::optional<std::size_t> resident;
};

struct MemoryLayers {
  std::optional<std::int64_t> heap_bytes;  // heap_counter.h; null while counting is off
  std::optional<std::int64_t> rss_bytes;
  std::optional<std::int64_t> allocator_allocated_bytes;
  std::optional<std::int64_t> allocator_resident_bytes;
};

class MemoryProbe {
 public:
  // The process-wide probe; detects the allocator on first use.
  static MemoryProbe& instance();

  AllocatorKind kind() const { return kind_; }
  const std::string& allocator_name() const { return name_; }
  const std::string& allocator_version() const { return version_; }
  // Whether allocator_stats() is cheap enough for the sampling loop.
  bool stats_cheap() const { return kind_ != AllocatorKind::kGlibc; }

  std::optional<std::size_t> rss_bytes() const;
  AllocatorStats allocator_stats(bool expensive_ok) const;
  // RSS plus allocator statistics (allocator only if cheap or expensive_ok).
  MemoryLayers layers(bool expensive_ok) const;

  void purge() const;
  // Resets the kernel's high-water mark; false if /proc/self/clear_refs is
  // not writable (the peak then covers the whole process life).
  bool reset_peak_rss() const;
  std::optional<std::size_t> peak_rss_bytes() const;

  MemoryProbe(const MemoryProbe&) = delete;
  MemoryProbe& operator=(const MemoryProbe&) = delete;

 private:
  MemoryProbe();
  ~MemoryProbe();

  AllocatorKind kind_ = AllocatorKind::kGlibc;
  std::string name_;
  std::string version_;
  // Mutable: rss_bytes() reopens the file in a forked child.
  mutable int statm_fd_ = -1;
  mutable int statm_pid_ = -1;
  long page_size_ = 4096;
  // Looked-up entry points (null when absent).
  void* mallctl_ = nullptr;
  void* mi_process_info_ = nullptr;
  void* mi_collect_ = nullptr;
  void* tc_get_property_ = nullptr;
  void* tc_release_ = nullptr;
};

// Whether a requested allocator name (the runner's: "jemalloc",
// "jemalloc_eager", "system", ...) names the detected family.
bool allocator_matches(const std::string& requested, const std::string& detected);

}  // namespace dstudy::probes
