// Operation streams built by hand for the harness tests (independent of the
// workload library): a load phase to N live keys, then steady churn.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/workload/operation_stream.h"

namespace dstudy::harness_test {

struct ChurnShape {
  std::size_t live = 10000;         // keys after the load phase
  std::size_t churn_steps = 50000;  // each: insert fresh + erase random live (+ finds)
  int finds_per_step = 2;           // one hit, one miss
  std::uint64_t seed = 7;
  std::vector<double> idle_probes_s = {};  // on the churn phase
  bool purge_probe = false;
  bool drain_after = false;          // a final phase erasing 90% of the keys
  bool compact_after_drain = false;  // ... with a compact probe
};

inline OperationStream make_churn_stream(const ChurnShape& shape) {
  OperationStream s;
  s.workload = "test_churn";
  s.kv = "u64";
  s.seed = shape.seed;
  s.initial_size = shape.live;
  ThreadStream t;
  std::mt19937_64 rng(shape.seed);
  std::vector<std::uint32_t> live;  // key indexes
  auto new_key = [&]() {
    const auto idx = static_cast<std::uint32_t>(s.key_seeds.size());
    s.key_seeds.push_back(1 + idx * 2);  // odd: misses use even keys
    return idx;
  };
  auto add = [&](OpType type, std::uint32_t idx) {
    t.ops.push_back(Operation{s.key_seeds[idx], idx, type});
    ++t.expected[static_cast<int>(type)];
  };
  const std::uint32_t miss_key = [&] {
    const auto idx = static_cast<std::uint32_t>(s.key_seeds.size());
    s.key_seeds.push_back(0);  // never inserted
    return idx;
  }();
  auto phase = [](const char* name, const char* role, std::size_t begin) {
    Phase p;
    p.name = name;
    p.role = role;
    p.headline = std::string(role) != "load";
    p.begin = begin;
    return p;
  };
  Phase load = phase("load", "load", 0);
  for (std::size_t i = 0; i < shape.live; ++i) {
    const auto k = new_key();
    live.push_back(k);
    add(OpType::kInsert, k);
  }
  load.end = t.ops.size();
  load.live_after = live.size();
  t.phases.push_back(load);
  Phase churn = phase("churn", "steady", t.ops.size());
  churn.idle_probes_s = shape.idle_probes_s;
  churn.purge_probe = shape.purge_probe;
  for (std::size_t i = 0; i < shape.churn_steps; ++i) {
    const auto k = new_key();
    add(OpType::kInsert, k);
    live.push_back(k);
    const std::size_t victim = rng() % live.size();
    add(OpType::kErase, live[victim]);
    live[victim] = live.back();
    live.pop_back();
    if (shape.finds_per_step >= 1) add(OpType::kFindHit, live[rng() % live.size()]);
    if (shape.finds_per_step >= 2) add(OpType::kFindMiss, miss_key);
  }
  churn.end = t.ops.size();
  churn.live_after = live.size();
  t.phases.push_back(churn);
  if (shape.drain_after) {
    Phase drain = phase("drain", "drain", t.ops.size());
    drain.retention = true;
    drain.idle_probes_s = {0.01};
    drain.purge_probe = true;
    drain.compact_probe = shape.compact_after_drain;
    const std::size_t keep = live.size() / 10;
    while (live.size() > keep) {
      const std::size_t victim = rng() % live.size();
      add(OpType::kErase, live[victim]);
      live[victim] = live.back();
      live.pop_back();
    }
    drain.end = t.ops.size();
    drain.live_after = live.size();
    t.phases.push_back(drain);
  }
  s.threads.push_back(std::move(t));
  for (const Phase& p : s.threads[0].phases) s.live_after_phase.push_back(p.live_after);
  return s;
}

// The same churn split over `threads` threads with disjoint keys.
inline OperationStream make_concurrent_churn_stream(ChurnShape shape, int threads) {
  OperationStream all;
  all.workload = "test_concurrent_churn";
  all.kv = "u64";
  all.seed = shape.seed;
  all.initial_size = 0;
  std::vector<std::size_t> live_after(2, 0);
  for (int t = 0; t < threads; ++t) {
    shape.seed += 1000;
    OperationStream one = make_churn_stream(shape);
    const auto offset = static_cast<std::uint32_t>(all.key_seeds.size());
    for (auto& op : one.threads[0].ops) {
      op.key_index += offset;
      op.key_seed += static_cast<std::uint64_t>(t) << 40;
    }
    for (auto k : one.key_seeds) all.key_seeds.push_back(k + (static_cast<std::uint64_t>(t) << 40));
    all.initial_size += one.initial_size;
    for (std::size_t p = 0; p < 2; ++p) live_after[p] += one.threads[0].phases[p].live_after;
    all.threads.push_back(std::move(one.threads[0]));
  }
  all.live_after_phase = live_after;
  return all;
}

}  // namespace dstudy::harness_test
