// dstudy_migration_faults: where the incremental policy's insert tail comes
// from. Times every churn insert at 1.56M live u64 keys (or LIVE), splits them into those made while a migration runs
// (the map holds two tables: more capacity than after the load) and the rest, and counts the migrating inserts that
// took a page fault (getrusage, so run this one on its own).
//
//   build/release/dstudy_migration_faults [CHURN_OPS [LIVE]]
//
// CHURN_OPS defaults to 6M. Same load and churn as worst_op.cc: by default 1,559,756 keys (0.85 of the growth
// point of 2M slots), then erase a random live key, insert a fresh one.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "impls/tombstone_map.h"

namespace {

long minor_faults() {
  rusage r;
  getrusage(RUSAGE_THREAD, &r);
  return r.ru_minflt;
}

double percentile(std::vector<std::uint32_t> v, double q) {
  if (v.empty()) return 0;
  const auto i = static_cast<std::ptrdiff_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[static_cast<std::size_t>(i)];
}

void run(std::uint64_t churn_ops, std::uint64_t live) {
  using Map = dstudy::TombstoneMapIncremental<std::uint64_t, std::uint64_t>;
  Map m;
  std::vector<std::uint64_t> keys(live);
  for (std::uint64_t k = 0; k < live; ++k) m.insert(keys[k] = k, std::uint64_t{k});
  // Two tables are held (a same-size cleanup doubles the capacity counted).
  const std::size_t loaded_capacity = *m.footprint().capacity;
  auto migrating = [&] { return *m.footprint().capacity > loaded_capacity; };
  std::mt19937_64 rng(42);
  std::uint64_t next = live;
  std::vector<std::uint32_t> all, faulted, clean;
  for (std::uint64_t i = 0; i < churn_ops / 2; ++i) {
    const std::size_t j = rng() % live;
    m.erase(keys[j]);
    keys[j] = next++;
    const bool before = migrating();
    const long f0 = minor_faults();
    const auto t0 = std::chrono::steady_clock::now();
    m.insert(keys[j], std::uint64_t{keys[j]});
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    const bool fault = minor_faults() != f0;
    const auto d = static_cast<std::uint32_t>(std::min<std::int64_t>(ns, UINT32_MAX));
    all.push_back(d);
    if (before || migrating()) (fault ? faulted : clean).push_back(d);
  }
  std::printf("churn inserts %zu: P99 %.0f ns  P99.9 %.0f ns\n", all.size(), percentile(all, 0.99),
              percentile(all, 0.999));
  std::printf("  during a migration %zu; with a page fault %zu (P50 %.0f ns), without: P50 %.0f  P95 %.0f ns\n",
              faulted.size() + clean.size(), faulted.size(), percentile(faulted, 0.5), percentile(clean, 0.5),
              percentile(clean, 0.95));
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t ops = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 6000000;
  const std::uint64_t live = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1559756;
  if (ops < 2 || live == 0) {
    std::fprintf(stderr, "migration_faults: CHURN_OPS must be at least 2 and LIVE positive\n");
    return 2;
  }
  run(ops, live);
  return 0;
}
