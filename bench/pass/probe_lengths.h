// Probe lengths at a phase end: why a lookup costs what it costs.
//
// A container that can tell (ProbeIntrospectable, impls/core/container.h)
// says how many probes beyond the first look a lookup of a key makes. The
// memory recorder re-asks it at each phase end for a sample of the lookups
// the stream just made: the last kProbeSample successful ones whose key is
// still live and the last kProbeSample unsuccessful ones whose key is still
// absent. Never timed; the container is only read.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "bench/workload/operation_stream.h"

namespace dstudy::bench {

inline constexpr std::size_t kProbeSample = 4096;
// The unit of every probe length the sidecar writes (container.h): probes
// beyond the first look, absl's hashtable_debug count.
inline constexpr const char* kProbeLengthUnit = "probes_beyond_first_look";

// How many sampled lookups took each probe length (counts[len]).
struct ProbeLengths {
  std::vector<std::uint64_t> counts;

  void add(std::size_t len) {
    if (len >= counts.size()) counts.resize(len + 1, 0);
    ++counts[len];
  }
  std::uint64_t samples() const {
    std::uint64_t n = 0;
    for (std::uint64_t c : counts) n += c;
    return n;
  }
  double mean() const {
    std::uint64_t n = 0, sum = 0;
    for (std::size_t len = 0; len < counts.size(); ++len) {
      n += counts[len];
      sum += counts[len] * len;
    }
    return n ? static_cast<double>(sum) / static_cast<double>(n) : 0.0;
  }
  // Nearest rank: the least length that at least q of the samples do not exceed.
  std::size_t quantile(double q) const {
    const double want = q * static_cast<double>(samples());
    std::uint64_t seen = 0;
    for (std::size_t len = 0; len < counts.size(); ++len) {
      seen += counts[len];
      if (static_cast<double>(seen) >= want && counts[len]) return len;
    }
    return max();
  }
  std::size_t max() const {
    for (std::size_t len = counts.size(); len > 0; --len)
      if (counts[len - 1]) return len - 1;
    return 0;
  }
};

// The last `capacity` operations of one kind, oldest overwritten first.
class RecentOps {
 public:
  void clear() {
    ops_.clear();
    next_ = 0;
  }
  void push(const Operation& op) {
    if (ops_.size() < kProbeSample) {
      ops_.push_back(op);
    } else {
      ops_[next_] = op;
      next_ = (next_ + 1) % kProbeSample;
    }
  }
  const std::vector<Operation>& ops() const { return ops_; }

 private:
  std::vector<Operation> ops_;
  std::size_t next_ = 0;
};

// Which keys (by key_index) are live, followed op by op.
class LiveIndex {
 public:
  void clear() { live_.clear(); }
  void set(std::uint32_t i, bool on) {
    if (i >= live_.size()) live_.resize(std::max<std::size_t>(2 * live_.size(), i + 1), false);
    live_[i] = on;
  }
  bool live(std::uint32_t i) const { return i < live_.size() && live_[i]; }

 private:
  std::vector<bool> live_;
};

// Probe lengths of `ops` whose key is (want_live) or is not (!want_live)
// live now, each asked of `length(op)`; nothing when none qualifies.
template <class Length>
std::optional<ProbeLengths> probe_lengths(const std::vector<Operation>& ops, const LiveIndex& index, bool want_live,
                                          Length&& length) {
  ProbeLengths out;
  for (const Operation& op : ops)
    if (index.live(op.key_index) == want_live) out.add(length(op));
  if (out.counts.empty()) return std::nullopt;
  return out;
}

}  // namespace dstudy::bench
