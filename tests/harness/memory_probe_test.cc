// Memory probes: RSS and allocator statistics move when memory is allocated,
// and the allocator is detected correctly under each preload. The preload
// cases re-execute this test binary (posix_spawn, LD_PRELOAD set) in a helper
// mode that prints what it detects.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/probes/memory_probe.h"
#include "tests/harness/skip_under_sanitizer.h"

extern char** environ;

namespace dstudy::probes {
namespace {

constexpr const char* kHelperEnv = "DSTUDY_HARNESS_PRINT_ALLOCATOR";

// Touches every page so RSS sees it.
std::unique_ptr<char[]> touch(std::size_t bytes) {
  std::unique_ptr<char[]> p(new char[bytes]);
  for (std::size_t i = 0; i < bytes; i += 4096) p[i] = static_cast<char>(i);
  asm volatile("" : : "r"(p.get()) : "memory");
  return p;
}

// Helper mode: runs only in the re-executed child, prints one line.
TEST(AllocatorHelper, PrintDetected) {
  if (!std::getenv(kHelperEnv)) GTEST_SKIP() << "helper for DetectsAllocatorUnderPreload";
  MemoryProbe& probe = MemoryProbe::instance();
  const AllocatorStats before = probe.allocator_stats(true);
  auto block = touch(16 << 20);
  std::vector<std::unique_ptr<char[]>> small;
  for (int i = 0; i < 20000; ++i) small.emplace_back(new char[100]);
  const AllocatorStats after = probe.allocator_stats(true);
  const long long grew = before.allocated && after.allocated
                             ? static_cast<long long>(*after.allocated) - static_cast<long long>(*before.allocated)
                             : -1;
  probe.purge();
  std::printf("DETECTED=%s VERSION=%s ALLOCATED_GREW=%lld RESIDENT=%d\n", probe.allocator_name().c_str(),
              probe.allocator_version().c_str(), grew, after.resident ? 1 : 0);
  std::fflush(stdout);
}

std::string run_helper(const std::string& preload) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "LD_PRELOAD=", 11) != 0) env.emplace_back(*e);
  }
  env.push_back(std::string(kHelperEnv) + "=1");
  if (!preload.empty()) env.push_back("LD_PRELOAD=" + preload);
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = self, filter = "--gtest_filter=AllocatorHelper.PrintDetected";
  char* argv[] = {arg0.data(), filter.data(), nullptr};

  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return "spawn failed";
  }
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  const auto at = out.find("DETECTED=");
  return at == std::string::npos ? "no output: " + out : out.substr(at, out.find('\n', at) - at);
}

struct PreloadCase {
  const char* expected;
  const char* library;  // "" = none
};

class DetectsAllocatorUnderPreload : public ::testing::TestWithParam<PreloadCase> {};

TEST_P(DetectsAllocatorUnderPreload, Detects) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();
  const PreloadCase c = GetParam();
  if (*c.library && !std::filesystem::exists(c.library)) GTEST_SKIP() << c.library << " not installed";
  const std::string line = run_helper(c.library);
  EXPECT_EQ(line.rfind(std::string("DETECTED=") + c.expected + " ", 0), 0u) << line;
  // Every allocator but mimalloc (release builds keep no allocated-bytes
  // counter) sees the 18 MB allocated by the helper.
  if (std::string(c.expected) != "mimalloc") {
    const auto at = line.find("ALLOCATED_GREW=");
    ASSERT_NE(at, std::string::npos) << line;
    EXPECT_GE(std::atoll(line.c_str() + at + 15), 16ll << 20) << line;
  }
  EXPECT_NE(line.find("RESIDENT=1"), std::string::npos) << line;
}

INSTANTIATE_TEST_SUITE_P(
    Allocators, DetectsAllocatorUnderPreload,
    ::testing::Values(PreloadCase{"glibc", ""}, PreloadCase{"jemalloc", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"},
                      PreloadCase{"mimalloc", "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"},
                      PreloadCase{"tcmalloc", "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"}),
    [](const auto& info) { return std::string(info.param.expected); });

TEST(MemoryProbe, RssSeesTouchedMemory) {
  MemoryProbe& probe = MemoryProbe::instance();
  const auto before = probe.rss_bytes();
  ASSERT_TRUE(before.has_value());
  auto block = touch(32 << 20);
  const auto after = probe.rss_bytes();
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(static_cast<long long>(*after) - static_cast<long long>(*before), 24ll << 20);
}

TEST(MemoryProbe, PeakRssResetsPerPhase) {
  MemoryProbe& probe = MemoryProbe::instance();
  {
    // mmap/munmap directly: an allocator may keep a freed block resident.
    const std::size_t bytes = 48 << 20;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    for (std::size_t i = 0; i < bytes; i += 4096) static_cast<char*>(p)[i] = 1;
    munmap(p, bytes);
  }
  const auto peak_with_block = probe.peak_rss_bytes();
  ASSERT_TRUE(peak_with_block.has_value());
  if (!probe.reset_peak_rss()) GTEST_SKIP() << "/proc/self/clear_refs not writable here";
  const auto peak_after_reset = probe.peak_rss_bytes();
  ASSERT_TRUE(peak_after_reset.has_value());
  EXPECT_LT(*peak_after_reset + (16 << 20), *peak_with_block + 1);
}

TEST(MemoryProbe, MatchesRequestedNames) {
  EXPECT_TRUE(allocator_matches("jemalloc", "jemalloc"));
  EXPECT_TRUE(allocator_matches("jemalloc_eager", "jemalloc"));
  EXPECT_TRUE(allocator_matches("system", "glibc"));
  EXPECT_TRUE(allocator_matches("glibc", "glibc"));
  EXPECT_FALSE(allocator_matches("jemalloc", "glibc"));
  EXPECT_FALSE(allocator_matches("system", "tcmalloc"));
}

}  // namespace
}  // namespace dstudy::probes

namespace dstudy::probes {
namespace {

// Prints what each probe costs under the loaded allocator (docs/harness.md
// quotes it). No assertion on speed: these machines are noisy.
TEST(ProbeCosts, Report) {
  MemoryProbe& probe = MemoryProbe::instance();
  std::vector<std::unique_ptr<char[]>> live;
  for (int i = 0; i < 100000; ++i) live.emplace_back(new char[48]);
  auto time_us = [](auto&& f, int n) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) f();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / n;
  };
  std::size_t sink = 0;
  const double rss = time_us([&] { sink += probe.rss_bytes().value_or(0); }, 2000);
  const double cheap = time_us([&] { sink += probe.allocator_stats(false).allocated.value_or(0); }, 2000);
  const double full = time_us([&] { sink += probe.allocator_stats(true).allocated.value_or(0); }, 200);
  const double peak = time_us([&] { sink += probe.peak_rss_bytes().value_or(0); }, 500);
  const double reset = time_us([&] { probe.reset_peak_rss(); }, 100);
  std::printf(
      "PROBE_COSTS allocator=%s rss_statm_us=%.2f allocator_stats_loop_us=%.2f "
      "allocator_stats_phase_end_us=%.2f vmhwm_us=%.2f clear_refs_us=%.2f (sink %zu)\n",
      probe.allocator_name().c_str(), rss, cheap, full, peak, reset, sink % 2);
}

}  // namespace
}  // namespace dstudy::probes
