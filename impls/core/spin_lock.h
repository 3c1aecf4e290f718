// A test-and-test-and-set spin lock for critical sections a few probes long
// (the concurrent map's shard writers). Locking is one atomic exchange and
// unlocking one plain release store, where std::mutex (a futex word) costs
// two atomic read-modify-writes and a call per section. A waiter spins on a
// plain load (no cache-line ping-pong), and after kSpinsBeforeYield tries
// yields its CPU, so a holder that was preempted on a busy machine gets to
// run. Acquire/release atomics only: ThreadSanitizer sees the lock's edges.
#pragma once

#include <atomic>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace dstudy {

class SpinLock {
 public:
  static constexpr int kSpinsBeforeYield = 64;

  void lock() noexcept {
    int spins = 0;
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < kSpinsBeforeYield) {
          pause();
        } else {
          std::this_thread::yield();
          spins = 0;
        }
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  }

  std::atomic<bool> locked_{false};
};

}  // namespace dstudy
