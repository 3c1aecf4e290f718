// A log-linear latency histogram of nanosecond values.
//
// Values below kSubBuckets (128 ns) have a bucket each (exact). Above, every
// power of two [2^k, 2^(k+1)) is split into 128 equal buckets, so a bucket is
// at most 1/128 (0.78%) of its lower bound wide; percentiles report the
// bucket's midpoint, clamped to the observed min/max, so they are within
// 0.4% of the exact order statistic. Recording is a count increment: no
// allocation, no branch on the value beyond a bit scan.
//
// Histograms merge by adding counts, so per-thread (or per-repetition)
// histograms merged after a run give exactly the histogram of all samples:
// percentiles are always read from a merged histogram, never averaged.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace dstudy::probes {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;  // 128
  // Exponent shift e = msb(v) - 7 runs 0..56; index = e * 128 + (v >> e).
  static constexpr std::size_t kBuckets = (64 - kSubBucketBits) * kSubBuckets + kSubBuckets;

  static std::size_t index_of(std::uint64_t v) noexcept {
    const int msb = v ? 63 - __builtin_clzll(v) : 0;
    const int e = msb > kSubBucketBits ? msb - kSubBucketBits : 0;
    return static_cast<std::size_t>(e) * kSubBuckets + static_cast<std::size_t>(v >> e);
  }
  // Smallest value that falls in bucket i, and the bucket's width.
  static std::uint64_t lower_bound_of(std::size_t i) noexcept {
    if (i < 2 * kSubBuckets) return i;
    const std::size_t e = i / kSubBuckets - 1;
    const std::uint64_t mantissa = i - e * kSubBuckets;  // 128..255
    return mantissa << e;
  }
  static std::uint64_t width_of(std::size_t i) noexcept {
    if (i < 2 * kSubBuckets) return 1;
    return std::uint64_t{1} << (i / kSubBuckets - 1);
  }

  LatencyHistogram();

  void record(std::uint64_t ns) noexcept {
    ++counts_[index_of(ns)];
    ++count_;
    sum_ += ns;
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }

  void merge(const LatencyHistogram& other) noexcept;
  void clear() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

  // The value at quantile q in [0, 1]: the sample of rank ceil(q * count)
  // (1-based), as its bucket's midpoint clamped to [min, max]. 0 when empty.
  double percentile(double q) const noexcept;

  // Non-empty buckets as (lower bound in ns, count), ascending.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> nonzero_buckets() const;
  std::uint64_t sum() const noexcept { return sum_; }

  // The histogram whose nonzero_buckets(), sum(), min() and max() these are
  // (how a repetition process hands its histograms back).
  static LatencyHistogram restore(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& buckets,
                                  std::uint64_t sum, std::uint64_t min, std::uint64_t max);

  friend bool operator==(const LatencyHistogram& a, const LatencyHistogram& b) noexcept {
    return a.count_ == b.count_ && a.sum_ == b.sum_ && a.min() == b.min() && a.max_ == b.max_ && a.counts_ == b.counts_;
  }

 private:
  std::vector<std::uint64_t> counts_;  // kBuckets, on the heap (58 KiB)
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
};

}  // namespace dstudy::probes
