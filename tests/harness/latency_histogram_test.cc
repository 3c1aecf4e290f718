// The log-linear histogram: percentiles within 1% of the exact order
// statistic, merging equals one histogram of all samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "bench/probes/latency_histogram.h"

namespace dstudy::probes {
namespace {

double exact_percentile(std::vector<std::uint64_t> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))));
  return static_cast<double>(v[std::min(rank, v.size()) - 1]);
}

std::vector<std::uint64_t> lognormal_samples(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(4.0, 1.5);  // median ~55 ns, long tail to ms
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) x = static_cast<std::uint64_t>(d(rng));
  return v;
}

TEST(LatencyHistogram, BucketsTileTheRange) {
  for (std::uint64_t v :
       {0ull, 1ull, 127ull, 128ull, 255ull, 256ull, 257ull, 1000ull, 123456789ull, 1ull << 40, ~0ull}) {
    const std::size_t i = LatencyHistogram::index_of(v);
    ASSERT_LT(i, LatencyHistogram::kBuckets);
    EXPECT_LE(LatencyHistogram::lower_bound_of(i), v);
    EXPECT_GE(LatencyHistogram::lower_bound_of(i) + (LatencyHistogram::width_of(i) - 1), v);
    if (v >= 128) {
      EXPECT_LE(
          static_cast<double>(LatencyHistogram::width_of(i)) / static_cast<double>(LatencyHistogram::lower_bound_of(i)),
          1.0 / 128 + 1e-12);
    }
  }
  for (std::size_t i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    ASSERT_EQ(LatencyHistogram::lower_bound_of(i) + LatencyHistogram::width_of(i),
              LatencyHistogram::lower_bound_of(i + 1))
        << "bucket " << i;
  }
}

TEST(LatencyHistogram, PercentilesWithinOnePercentOfExact) {
  const auto samples = lognormal_samples(200000, 1);
  LatencyHistogram h;
  for (auto v : samples) h.record(v);
  ASSERT_EQ(h.count(), samples.size());
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const double exact = exact_percentile(samples, q);
    EXPECT_NEAR(h.percentile(q), exact, std::max(1.0, 0.01 * exact)) << "q=" << q;
  }
  EXPECT_EQ(h.max(), *std::max_element(samples.begin(), samples.end()));
  EXPECT_EQ(h.min(), *std::min_element(samples.begin(), samples.end()));
  EXPECT_DOUBLE_EQ(h.percentile(1.0), static_cast<double>(h.max()));
}

TEST(LatencyHistogram, KnownUniformData) {
  LatencyHistogram h;
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 1; i <= 100000; ++i) {
    v.push_back(i);
    h.record(i);
  }
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = exact_percentile(v, q);
    EXPECT_NEAR(h.percentile(q), exact, 0.01 * exact) << "q=" << q;
  }
  LatencyHistogram small;
  for (std::uint64_t i = 0; i < 100; ++i) small.record(i);
  EXPECT_EQ(small.percentile(0.5), 49);  // exact below 128 ns
}

TEST(LatencyHistogram, MergedPerThreadHistogramsEqualOneHistogramOfAllSamples) {
  const auto samples = lognormal_samples(120000, 2);
  LatencyHistogram all;
  std::vector<LatencyHistogram> per_thread(4);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    all.record(samples[i]);
    per_thread[i % 4 == 3 ? 3 : (samples[i] % 3)].record(samples[i]);  // uneven split
  }
  LatencyHistogram merged;
  for (const auto& h : per_thread) merged.merge(h);
  EXPECT_TRUE(merged == all);
  for (double q : {0.5, 0.99, 0.999}) EXPECT_EQ(merged.percentile(q), all.percentile(q));
  EXPECT_EQ(merged.nonzero_buckets(), all.nonzero_buckets());
}

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.99), 0.0);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_TRUE(h.nonzero_buckets().empty());
}

}  // namespace
}  // namespace dstudy::probes
