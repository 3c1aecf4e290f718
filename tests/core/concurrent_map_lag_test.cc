// The concurrent map's reclamation lag (impls/concurrent_map.h): the bytes it
// erased but has not yet freed stay under the documented bound, here
// 2 x (epoch::Domain::kMaxPendingBytes + one node) with two erasing threads
// and no old tables (reserve() keeps every table), even while a reader
// stalls inside its epoch guard. Without the cap in epoch_reclaimer.h the
// other thread would keep erasing behind the stalled reader and its pending
// nodes would pass the bound several times over.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "impls/concurrent_map.h"

namespace dstudy {
namespace {

using Map = ConcurrentMap<std::uint64_t, std::uint64_t>;
using epoch::Domain;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kThreads = 2;
constexpr std::size_t kKeysPerThread = 60000;
constexpr std::size_t kStallEvery = 10000;  // erases between a thread's stalls
// Every list holds at most kMaxPendingBytes plus the object just retired,
// and objects on a thread's list are under kSharedRetireBytes.
constexpr std::size_t kBound = kThreads * (Domain::kMaxPendingBytes + Domain::kSharedRetireBytes);
// A stalled reader waits for this many erases by the other thread: three
// times the bound in nodes of at least 16 bytes (key + value), unless the
// other thread stops first (the cap making it wait).
constexpr std::size_t kStallErases = 3 * kBound / 16;
constexpr auto kNoProgress = std::chrono::milliseconds(30);

std::uint64_t key_of(std::size_t thread, std::size_t i) { return mix64(thread * kKeysPerThread + i); }

TEST(ConcurrentMapLag, PeakStaysUnderTheBoundWhileReadersStall) {
  Map m;
  m.reserve(kThreads * kKeysPerThread);
  for (std::size_t t = 0; t < kThreads; ++t)
    for (std::size_t i = 0; i < kKeysPerThread; ++i) ASSERT_TRUE(m.insert(key_of(t, i), std::uint64_t{i}));

  std::array<std::atomic<std::size_t>, kThreads> erased{};
  std::atomic<std::size_t> failures{0};
  // Inside the find's guard: wait until the other thread erased
  // kStallErases more keys, or made no progress for kNoProgress.
  const auto stall = [&](std::size_t other) {
    const std::size_t start = erased[other].load();
    std::size_t last = start;
    auto last_change = Clock::now();
    for (;;) {
      const std::size_t now = erased[other].load();
      if (now - start >= kStallErases || now == kKeysPerThread) return;
      if (now != last) {
        last = now;
        last_change = Clock::now();
      } else if (Clock::now() - last_change > kNoProgress) {
        return;  // the other thread waits (for this reader, or in a stall of its own)
      }
      std::this_thread::yield();
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::size_t other = 1 - t;
      for (std::size_t i = 0; i < kKeysPerThread; ++i) {
        if (i % kStallEvery == kStallEvery / 2) {
          // The last key of this thread's half is still there.
          if (!m.find(key_of(t, kKeysPerThread - 1), [&](std::uint64_t) { stall(other); })) failures.fetch_add(1);
        }
        if (!m.erase(key_of(t, i))) failures.fetch_add(1);
        erased[t].fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0u);
  EXPECT_EQ(m.size(), 0u);
  const Footprint f = m.footprint();
  ASSERT_TRUE(f.reclaim_pending_peak_bytes.has_value());
  EXPECT_LE(*f.reclaim_pending_peak_bytes, kBound) << "the reclamation lag passed its documented bound";
  EXPECT_GE(*f.reclaim_pending_peak_bytes, *f.reclaim_pending_bytes);
  m.quiesce();
  EXPECT_EQ(m.footprint().reclaim_pending_bytes, 0u);
}

}  // namespace
}  // namespace dstudy
