// The concurrent map's cost per op on concurrent_churn, one thread: the
// stream's load phase (reserve()d, as the harness does), then its steady
// phase, each through bench/op_loop.h in a function of its own, so callgrind
// can count the steady phase alone; prints the steady phase's wall time per
// op too (one thread: no contention, only the map's own work and misses).
//
//   g++ -O3 -DNDEBUG -std=c++20 [-I OLD_HEADERS] -I. -DDSTUDY_WORKLOADS_DIR="\"$PWD/workloads\"" \
//       reports/reference/concurrent_loop.cc build/release/libdstudy_workload.a -lbenchmark -o /tmp/concurrent_loop
//   valgrind --tool=callgrind --toggle-collect='steady_loop*' /tmp/concurrent_loop [SIZE [LIVE]]
//
// Default: concurrent_churn at size medium (1M live keys) in one thread;
// SIZE quick or a smaller LIVE for a shorter callgrind run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/op_loop.h"
#include "bench/stream_keys.h"
#include "bench/workload/stream_generator.h"
#include "bench/workload/workload_spec.h"
#include "impls/concurrent_map.h"
#include "impls/core/value_types.h"

using Map = dstudy::ConcurrentMap<std::uint64_t, std::uint64_t>;
using Loop = dstudy::bench::OpLoop<dstudy::KvU64>;

__attribute__((noinline)) void load_loop(const Loop& loop, Map& m, const dstudy::Operation* ops, std::size_t b,
                                         std::size_t e, dstudy::bench::OpCounts& counts, std::uint64_t& sum) {
  loop.run(m, ops, b, e, counts, sum);
}

__attribute__((noinline)) void steady_loop(const Loop& loop, Map& m, const dstudy::Operation* ops, std::size_t b,
                                           std::size_t e, dstudy::bench::OpCounts& counts, std::uint64_t& sum) {
  loop.run(m, ops, b, e, counts, sum);
}

int main(int argc, char** argv) {
  const std::string size = argc > 1 ? argv[1] : "medium";
  std::optional<std::size_t> live;
  if (argc > 2) live = static_cast<std::size_t>(std::atoll(argv[2]));
  const dstudy::WorkloadSpec spec = dstudy::find_workload(dstudy::default_workloads_dir(), "concurrent_churn");
  const dstudy::OperationStream s = dstudy::generate_stream(spec, size, "u64", live, 1u);
  dstudy::bench::StreamKeys<dstudy::KvU64> keys;
  keys.materialise(s);
  const Loop loop(keys);
  Map m;
  m.reserve(s.peak_live);
  dstudy::bench::OpCounts counts{};
  std::uint64_t sum = 0;
  const auto& t = s.threads[0];
  for (const dstudy::Phase& p : t.phases) {
    const auto t0 = std::chrono::steady_clock::now();
    if (p.role == "steady") steady_loop(loop, m, t.ops.data(), p.begin, p.end, counts, sum);
    else load_loop(loop, m, t.ops.data(), p.begin, p.end, counts, sum);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    const auto f = m.footprint();
    std::printf("%s: %zu ops, %.1f ns/op, %zu live, footprint %zu B, pending %zu B, rebuilds %zu taking %.1f ms\n",
                p.name.c_str(), p.end - p.begin, ns / static_cast<double>(p.end - p.begin), m.size(), f.bytes,
                f.reclaim_pending_bytes.value_or(0), f.compactions.value_or(0),
                static_cast<double>(f.compaction_ns.value_or(0)) / 1e6);
  }
  return sum == 42 ? 1 : 0;  // keeps the finds' results alive
}
