#include "bench/probes/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace dstudy::probes {

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = max_ = 0;
  min_ = ~std::uint64_t{0};
}

double LatencyHistogram::percentile(double q) const noexcept {
  if (count_ == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  if (rank >= count_) return static_cast<double>(max_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const double lo = static_cast<double>(lower_bound_of(i));
      const double w = static_cast<double>(width_of(i));
      const double mid = w > 1 ? lo + (w - 1) / 2.0 : lo;
      return std::clamp(mid, static_cast<double>(min()), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> LatencyHistogram::nonzero_buckets() const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (std::size_t i = 0; i < kBuckets; ++i)
    if (counts_[i]) out.emplace_back(lower_bound_of(i), counts_[i]);
  return out;
}

LatencyHistogram LatencyHistogram::restore(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& buckets,
                                           std::uint64_t sum, std::uint64_t min, std::uint64_t max) {
  LatencyHistogram h;
  for (const auto& [lower, n] : buckets) {
    h.counts_[index_of(lower)] += n;
    h.count_ += n;
  }
  h.sum_ = sum;
  if (h.count_) {
    h.min_ = min;
    h.max_ = max;
  }
  return h;
}

}  // namespace dstudy::probes
