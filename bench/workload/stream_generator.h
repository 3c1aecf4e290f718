// Expands a workload spec into its operation stream: deterministic from the
// spec's seed on any machine (own splitmix64/xoshiro256** and integer-only
// bounded draws; never a std:: distribution, whose output differs between
// standard libraries), with the exact expected outcome of every operation.
//
// Concurrent workloads (threads > 1) get one stream per thread, each with its
// own seed derived from the spec's and its own partition of the key space:
// thread t only ever touches keys whose id carries t. That keeps every
// expectation exact however the threads interleave on one shared map; a
// shared-hot-keys variant could not (whether a find hits would depend on the
// interleaving), so it is not offered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "bench/workload/operation_stream.h"
#include "bench/workload/workload_spec.h"

namespace dstudy {

// The stream for one size profile and kv kind. live_size_override replaces
// the profile's live size N (the harness passes fill x growth point); phase
// lengths in turnovers/ops_per_live and targets scale with it, absolute
// `ops` do not. threads_override replaces the thread count (for sweeps).
// Throws SpecError when the profile or kv kind is not the spec's or the
// phases cannot run at that size.
OperationStream generate_stream(const WorkloadSpec& spec, std::string_view size_profile, std::string_view kv,
                                std::optional<std::size_t> live_size_override = std::nullopt,
                                std::optional<unsigned> threads_override = std::nullopt);

// The pieces, exposed for the tests.
namespace workload_detail {

std::uint64_t splitmix64(std::uint64_t& state);

// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  // Uniform in [0, n) by a 128-bit multiply (Lemire's reduction, no
  // rejection: the bias is below 2^-64 * n and the result is portable).
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  // Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t s_[4];
};

// Gray et al.'s Zipfian generator ("Quickly Generating Billion-Record
// Synthetic Databases", SIGMOD 1994) as YCSB's ZipfianGenerator uses it:
// rank r (0-based) has weight 1/(r+1)^theta over n items. zeta(n) is exact
// up to 1024 items and extended by the midpoint integral beyond (relative
// error < 1e-8), so n may change from draw to draw at O(1) cost.
class Zipfian {
 public:
  explicit Zipfian(double theta = 0.99);
  std::uint64_t next(Rng& rng, std::uint64_t n);
  double zeta(std::uint64_t n) const;
  double theta() const { return theta_; }

 private:
  void prepare(std::uint64_t n);
  double theta_, alpha_, half_pow_theta_, zeta2_;
  std::vector<double> prefix_;  // prefix_[i] = zeta(i)
  std::uint64_t n_ = 0;
  double zetan_ = 0, eta_ = 0;
};

// A seeded bijection of [0, n): Zipf ranks become item ids, so the hot items
// are scattered over the universe (YCSB's "scrambled" zipfian, done with a
// permutation rather than FNV mod n so no two ranks share an item and the
// head keeps its exact skew).
class RankScrambler {
 public:
  RankScrambler(std::uint64_t n, std::uint64_t salt);
  std::uint64_t operator()(std::uint64_t rank) const;

 private:
  std::uint64_t n_, mask_, m1_, m2_, c_;
  int shift_;
};

// Key seed of a key id (thread partition in bits 40.., ghost keys bit 39):
// kHashed, a bijective 64-bit mix; kDense, the id. Always <= kMaxU64Key.
std::uint64_t key_seed_of(std::uint64_t global_id, KeyEncoding encoding);

}  // namespace workload_detail
}  // namespace dstudy
