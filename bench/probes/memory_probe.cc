#include "bench/probes/memory_probe.h"

#include "bench/probes/heap_counter.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace dstudy::probes {

namespace {

using MallctlFn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
using MiProcessInfoFn = void (*)(std::size_t*, std::size_t*, std::size_t*, std::size_t*, std::size_t*, std::size_t*,
                                 std::size_t*, std::size_t*);
using MiCollectFn = void (*)(bool);
using MiVersionFn = int (*)();
using TcGetPropertyFn = int (*)(const char*, std::size_t*);
using TcReleaseFn = void (*)();
using TcVersionFn = const char* (*)(int*, int*, const char**);

void* sym(const char* name) { return dlsym(RTLD_DEFAULT, name); }

AllocatorKind detect_kind() {
  if (sym("mallctl")) return AllocatorKind::kJemalloc;
  if (sym("mi_version")) return AllocatorKind::kMimalloc;
  if (sym("MallocExtension_GetNumericProperty") || sym("tc_version")) return AllocatorKind::kTcmalloc;
  return AllocatorKind::kGlibc;
}

const char* kind_name(AllocatorKind k) {
  switch (k) {
    case AllocatorKind::kJemalloc: return "jemalloc";
    case AllocatorKind::kMimalloc: return "mimalloc";
    case AllocatorKind::kTcmalloc: return "tcmalloc";
    case AllocatorKind::kGlibc: break;
  }
  return "glibc";
}

std::optional<std::size_t> jemalloc_size(MallctlFn mallctl, const char* name) {
  std::size_t v = 0;
  std::size_t len = sizeof v;
  if (mallctl(name, &v, &len, nullptr, 0) != 0) return std::nullopt;
  return v;
}

}  // namespace

bool allocator_matches(const std::string& requested, const std::string& detected) {
  std::string r;
  for (char c : requested) r += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (r == "system" || r == "glibc" || r == "default" || r == "none" || r.rfind("glibc", 0) == 0 ||
      r.rfind("system", 0) == 0)
    return detected == "glibc";
  // "jemalloc_eager", "tcmalloc-aggressive", ... name a family by prefix.
  return r.rfind(detected, 0) == 0;
}

MemoryProbe& MemoryProbe::instance() {
  static MemoryProbe probe;
  return probe;
}

MemoryProbe::MemoryProbe() {
  kind_ = detect_kind();
  name_ = kind_name(kind_);
  page_size_ = sysconf(_SC_PAGESIZE);
  statm_fd_ = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  statm_pid_ = ::getpid();
  switch (kind_) {
    case AllocatorKind::kJemalloc: {
      mallctl_ = sym("mallctl");
      const char* v = nullptr;
      std::size_t len = sizeof v;
      if (reinterpret_cast<MallctlFn>(mallctl_)("version", &v, &len, nullptr, 0) == 0 && v) version_ = v;
      break;
    }
    case AllocatorKind::kMimalloc: {
      mi_process_info_ = sym("mi_process_info");
      mi_collect_ = sym("mi_collect");
      const int v = reinterpret_cast<MiVersionFn>(sym("mi_version"))();  // e.g. 209 = 2.0.9
      version_ = std::to_string(v / 100) + "." + std::to_string((v / 10) % 10) + "." + std::to_string(v % 10);
      break;
    }
    case AllocatorKind::kTcmalloc: {
      tc_get_property_ = sym("MallocExtension_GetNumericProperty");
      tc_release_ = sym("MallocExtension_ReleaseFreeMemory");
      if (auto* tv = reinterpret_cast<TcVersionFn>(sym("tc_version"))) {
        int major = 0, minor = 0;
        const char* patch = nullptr;
        const char* s = tv(&major, &minor, &patch);
        version_ = s ? s : std::to_string(major) + "." + std::to_string(minor);
      }
      break;
    }
    case AllocatorKind::kGlibc: version_ = gnu_get_libc_version(); break;
  }
}

MemoryProbe::~MemoryProbe() {
  if (statm_fd_ >= 0) ::close(statm_fd_);
}

std::optional<std::size_t> MemoryProbe::rss_bytes() const {
  // "/proc/self" was resolved when the file was opened: a forked child (every
  // repetition and the memory pass run in one) would read its parent's RSS
  // through the inherited descriptor. Reopen once per process.
  if (const pid_t pid = ::getpid(); pid != statm_pid_) {
    if (statm_fd_ >= 0) ::close(statm_fd_);
    statm_fd_ = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    statm_pid_ = pid;
  }
  if (statm_fd_ < 0) return std::nullopt;
  char buf[128];
  const ssize_t n = ::pread(statm_fd_, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // "size resident shared text lib data dt", in pages.
  const char* p = buf;
  while (*p && *p != ' ') ++p;
  const unsigned long long resident = std::strtoull(p, nullptr, 10);
  return static_cast<std::size_t>(resident) * static_cast<std::size_t>(page_size_);
}

AllocatorStats MemoryProbe::allocator_stats(bool expensive_ok) const {
  AllocatorStats s;
  switch (kind_) {
    case AllocatorKind::kJemalloc: {
      auto mallctl = reinterpret_cast<MallctlFn>(mallctl_);
      std::uint64_t epoch = 1;
      std::size_t len = sizeof epoch;
      mallctl("epoch", &epoch, &len, &epoch, len);  // refresh the cached statistics
      s.allocated = jemalloc_size(mallctl, "stats.allocated");
      s.resident = jemalloc_size(mallctl, "stats.resident");
      break;
    }
    case AllocatorKind::kMimalloc: {
      if (mi_process_info_) {
        std::size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;
        reinterpret_cast<MiProcessInfoFn>(mi_process_info_)(&elapsed, &user, &sys, &rss, &peak_rss, &commit,
                                                            &peak_commit, &faults);
        s.resident = commit;
      }
      break;
    }
    case AllocatorKind::kTcmalloc: {
      if (tc_get_property_) {
        auto get = reinterpret_cast<TcGetPropertyFn>(tc_get_property_);
        std::size_t allocated = 0, heap = 0, unmapped = 0;
        if (get("generic.current_allocated_bytes", &allocated)) s.allocated = allocated;
        if (get("generic.heap_size", &heap)) {
          if (!get("tcmalloc.pageheap_unmapped_bytes", &unmapped)) unmapped = 0;
          s.resident = heap - unmapped;
        }
      }
      break;
    }
    case AllocatorKind::kGlibc: {
      if (expensive_ok) {
        const struct mallinfo2 mi = mallinfo2();
        s.allocated = mi.uordblks + mi.hblkhd;
        s.resident = mi.arena + mi.hblkhd;
      }
      break;
    }
  }
  return s;
}

MemoryLayers MemoryProbe::layers(bool expensive_ok) const {
  MemoryLayers l;
  if (kHeapCounterAvailable && heap_counting()) l.heap_bytes = probes::heap_bytes();
  if (auto r = rss_bytes()) l.rss_bytes = static_cast<std::int64_t>(*r);
  if (expensive_ok || stats_cheap()) {
    const AllocatorStats s = allocator_stats(expensive_ok);
    if (s.allocated) l.allocator_allocated_bytes = static_cast<std::int64_t>(*s.allocated);
    if (s.resident) l.allocator_resident_bytes = static_cast<std::int64_t>(*s.resident);
  }
  return l;
}

void MemoryProbe::purge() const {
  switch (kind_) {
    case AllocatorKind::kJemalloc: {
      // arena.<MALLCTL_ARENAS_ALL>.purge; MALLCTL_ARENAS_ALL is 4096.
      reinterpret_cast<MallctlFn>(mallctl_)("arena.4096.purge", nullptr, nullptr, nullptr, 0);
      break;
    }
    case AllocatorKind::kMimalloc:
      if (mi_collect_) reinterpret_cast<MiCollectFn>(mi_collect_)(true);
      break;
    case AllocatorKind::kTcmalloc:
      if (tc_release_) reinterpret_cast<TcReleaseFn>(tc_release_)();
      break;
    case AllocatorKind::kGlibc: malloc_trim(0); break;
  }
}

bool MemoryProbe::reset_peak_rss() const {
  const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return ok;
}

std::optional<std::size_t> MemoryProbe::peak_rss_bytes() const {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0)
      return static_cast<std::size_t>(std::strtoull(line.c_str() + 6, nullptr, 10)) * 1024;
  }
  return std::nullopt;
}

}  // namespace dstudy::probes
