// dstudy_worst_op: the worst single operation of each tombstone policy at
// 1.56M live u64 keys (or LIVE), timed in thread CPU time as well as wall
// time. On a shared machine the
// wall-clock maximum is the longest time the thread was descheduled, not the
// container's work (the harness's latency pass then reports milliseconds for
// plain lookups); the thread's CPU time excludes that and keeps what the
// operation did itself, page faults included.
//
//   build/release/dstudy_worst_op incremental|never|rehash|shrink [CHURN_OPS [LIVE]]
//
// CHURN_OPS defaults to 10M. Load to LIVE keys, by default 1,559,756 (0.85 of the 1,835,008-key growth point of 2M
// slots, steady_churn.fill85's live size), then churn: erase a random live
// key, insert a fresh one. Prints, per phase and op type, and apart for the
// ops that did compaction work and those that did not, P99, P99.9 and the
// maximum in CPU and wall time, and how many ops took >= 200 us of CPU.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "impls/tombstone_map.h"

namespace {

std::uint64_t cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}
std::uint64_t wall_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// Each op's CPU and wall time, and whether it did compaction work (the
// map's compaction_ns moved: a rehash; or a migration was running, so the op
// took one of its steps). Ops that did
// none are O(1) probes; their maximum is this machine's noise floor, which is
// what a compacting op's maximum must be read against.
struct Samples {
  std::vector<std::uint32_t> cpu, wall;
  std::vector<bool> compacting;
  template <class Map, class F>
  void time(const Map& m, F&& f) {
    const std::uint64_t before = *m.footprint().compaction_ns;
    const bool migrating = m.migrating();
    const std::uint64_t w0 = wall_ns(), c0 = cpu_ns();
    f();
    const std::uint64_t c1 = cpu_ns(), w1 = wall_ns();
    cpu.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(c1 - c0, UINT32_MAX)));
    wall.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(w1 - w0, UINT32_MAX)));
    compacting.push_back(migrating || m.migrating() || *m.footprint().compaction_ns != before);
  }
  static double pct(std::vector<std::uint32_t> v, double q) {
    if (v.empty()) return 0;
    const std::size_t i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i];
  }
  void print(const char* phase, const char* op) const {
    for (const bool which : {true, false}) {
      std::vector<std::uint32_t> c, w;
      for (std::size_t i = 0; i < cpu.size(); ++i)
        if (compacting[i] == which) {
          c.push_back(cpu[i]);
          w.push_back(wall[i]);
        }
      if (c.empty()) continue;
      const auto over = std::count_if(c.begin(), c.end(), [](std::uint32_t ns) { return ns >= 200000; });
      std::printf(
          "%-6s %-6s %-10s n=%-8zu cpu: mean %.0f ns  P99 %.0f ns  P99.9 %.0f ns  max %.1f us  (>= 200 us: %ld)   "
          "wall: P99.9 %.0f ns  max %.1f us\n",
          phase, op, which ? "compacting" : "plain", c.size(),
          std::accumulate(c.begin(), c.end(), 0.0) / static_cast<double>(c.size()), pct(c, 0.99), pct(c, 0.999),
          *std::max_element(c.begin(), c.end()) / 1e3, static_cast<long>(over), pct(w, 0.999),
          *std::max_element(w.begin(), w.end()) / 1e3);
    }
  }
};

template <class Map>
void run(std::uint64_t churn_ops, std::uint64_t live) {
  Map m;
  Samples load;
  std::vector<std::uint64_t> keys(live);
  for (std::uint64_t k = 0; k < live; ++k) {
    keys[k] = k;
    load.time(m, [&] { m.insert(k, std::uint64_t{k}); });
  }
  std::printf("after the load: capacity %zu\n", *m.footprint().capacity);
  Samples ins, era;
  std::mt19937_64 rng(42);
  std::uint64_t next = live;
  for (std::uint64_t i = 0; i < churn_ops / 2; ++i) {
    const std::size_t j = rng() % live;
    era.time(m, [&] { m.erase(keys[j]); });
    keys[j] = next++;
    ins.time(m, [&] { m.insert(keys[j], std::uint64_t{keys[j]}); });
  }
  std::uint64_t found = 0;
  for (std::uint64_t k : keys) found += m.find(k, [](const std::uint64_t&) {});
  if (found != live || m.size() != live) {
    std::fprintf(stderr, "worst_op: lost keys (%llu of %llu found)\n", static_cast<unsigned long long>(found),
                 static_cast<unsigned long long>(live));
    std::exit(1);
  }
  load.print("load", "insert");
  ins.print("churn", "insert");
  era.print("churn", "erase");
  const dstudy::Footprint f = m.footprint();
  const auto w = m.max_step_work();
  std::printf(
      "compactions %zu, capacity %zu; largest incremental step: %zu keys moved, %zu groups reached, %zu bytes "
      "pre-faulted, %zu given back%s\n",
      *f.compactions, *f.capacity, w.moved_keys, w.entered_groups, w.populated_bytes, w.released_bytes,
      w.finished_at_once ? "; a migration once finished in one step (its new table filled first)" : "");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string policy = argc > 1 ? argv[1] : "incremental";
  const std::uint64_t ops = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000000;
  const std::uint64_t live = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1559756;
  if (ops < 2 || live == 0) {
    std::fprintf(stderr, "worst_op: CHURN_OPS must be at least 2 and LIVE positive\n");
    return 2;
  }
  using K = std::uint64_t;
  if (policy == "incremental") run<dstudy::TombstoneMapIncremental<K, K>>(ops, live);
  else if (policy == "never") run<dstudy::TombstoneMapNever<K, K>>(ops, live);
  else if (policy == "rehash") run<dstudy::TombstoneMapRehash<K, K>>(ops, live);
  else if (policy == "shrink") run<dstudy::TombstoneMapShrink<K, K>>(ops, live);
  else {
    std::fprintf(stderr, "worst_op: unknown policy '%s' (incremental, never, rehash, shrink)\n", policy.c_str());
    return 2;
  }
  return 0;
}
