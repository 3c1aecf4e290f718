// Compactions a container has done and the time they took, as
// Footprint::compactions and Footprint::compaction_ns report them.
//
// Why one kit: every own container counts "a rehash, in-place cleanup, shrink,
// merge or rebuild" the same way, a scoped steady_clock interval around the
// work, so the numbers compare across containers. CompactionTimer times its
// scope; what it counts is said where it is made:
//   CompactionTimer t(stats);             one compaction (counted on exit)
//   CompactionTimer t(stats, kContinues); more time for one already counted
//                                         (a step of an incremental migration)
//   t.cancel();                           nothing was compacted after all
// Only compaction paths use it: it never sits on an insert/erase fast path.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "impls/core/footprint.h"

namespace dstudy {

// For containers used from one thread at a time.
class CompactionStats {
 public:
  void add(std::size_t compactions, std::uint64_t ns) noexcept {
    count_ += compactions;
    ns_ += ns;
  }
  void report(Footprint& f) const noexcept {
    f.compactions = count_;
    f.compaction_ns = ns_;
  }

 private:
  std::size_t count_ = 0;
  std::uint64_t ns_ = 0;
};

// For thread-safe containers: shards compact concurrently.
class AtomicCompactionStats {
 public:
  void add(std::size_t compactions, std::uint64_t ns) noexcept {
    count_.fetch_add(compactions, std::memory_order_relaxed);
    ns_.fetch_add(ns, std::memory_order_relaxed);
  }
  void report(Footprint& f) const noexcept {
    f.compactions = count_.load(std::memory_order_relaxed);
    f.compaction_ns = ns_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::size_t> count_{0};
  std::atomic<std::uint64_t> ns_{0};
};

// Passed as CompactionTimer's second argument: the scope continues a
// compaction already counted, so it adds time only.
inline constexpr std::size_t kContinues = 0;

template <class Stats>
class CompactionTimer {
 public:
  explicit CompactionTimer(Stats& stats, std::size_t counts = 1) noexcept
      : stats_(&stats), counts_(counts), t0_(std::chrono::steady_clock::now()) {}
  CompactionTimer(const CompactionTimer&) = delete;
  CompactionTimer& operator=(const CompactionTimer&) = delete;
  ~CompactionTimer() {
    if (stats_ == nullptr) return;
    const auto dt = std::chrono::steady_clock::now() - t0_;
    stats_->add(counts_, static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(dt).count()));
  }

  // The work turned out not to be needed: record nothing.
  void cancel() noexcept { stats_ = nullptr; }

 private:
  Stats* stats_;
  std::size_t counts_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace dstudy
