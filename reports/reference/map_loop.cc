// One cell's stream through one map, the headline phases (those the harness's
// headline throughput times: the churn of steady_churn, probe_miss of
// miss_after_drain) in a function of their own, steady_loop, and the others
// (load, drain, ...) in other_loop: for counting a container's instructions
// per op in the headline phases with callgrind (exact and repeatable, where timings on a
// shared machine are not). The stream is the harness's: the workload spec at
// quick size, at `fill` of the container's growth point, found as the harness
// finds it (bench/cell_runner.h: insert until the capacity changes).
//
//   g++ -O3 -DNDEBUG -std=c++20 -I. -isystem .deps/... -DMAP=dstudy::TombstoneMapNever \
//       -DMAP_HEADER='"impls/tombstone_map.h"' -DDSTUDY_WORKLOADS_DIR="\"$PWD/workloads\"" \
//       reports/reference/map_loop.cc build/release/libdstudy_workload.a -lbenchmark -o /tmp/map_loop
//   valgrind --tool=callgrind --toggle-collect='steady_loop*' /tmp/map_loop [WORKLOAD]
//
// reports/reference/map_loop.sh builds it for each map and prints Ir/op.
// Default: steady_churn.fill85, u64 keys (-DKV_TYPE=dstudy::KvString: string keys).
#include <cstdio>
#include <memory>
#include <string>

#include "bench/op_loop.h"
#include "bench/stream_keys.h"
#include "bench/workload/stream_generator.h"
#include "bench/workload/workload_spec.h"
#include "impls/core/value_types.h"
#include MAP_HEADER

#ifndef KV_TYPE
#define KV_TYPE dstudy::KvU64
#endif
using KV = KV_TYPE;
using Map = MAP<KV::key_type, KV::mapped_type>;
using Loop = dstudy::bench::OpLoop<KV>;

// The most keys the map holds before its capacity changes, from `nominal`.
static std::size_t growth_point(std::size_t nominal) {
  Map m;
  std::uint64_t seed = 0x6A0A7u;
  std::size_t cap0 = 0;
  for (std::size_t n = 0;; ++n) {
    if (n >= nominal) {
      const std::size_t cap = *m.footprint().capacity;
      if (cap0 == 0) {
        cap0 = cap;
      } else if (cap != cap0) {
        return n - 1;
      }
    }
    while (!m.insert(KV::make_key(seed++), KV::mapped_type{})) {
    }
  }
}

__attribute__((noinline)) void other_loop(const Loop& loop, Map& m, const dstudy::Operation* ops, std::size_t n,
                                         dstudy::bench::OpCounts& counts, std::uint64_t& sum) {
  loop.run(m, ops, 0, n, counts, sum);
}
__attribute__((noinline)) void steady_loop(const Loop& loop, Map& m, const dstudy::Operation* ops, std::size_t n,
                                           dstudy::bench::OpCounts& counts, std::uint64_t& sum) {
  loop.run(m, ops, 0, n, counts, sum);
}

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "steady_churn.fill85";
  const dstudy::WorkloadSpec spec = dstudy::find_workload(dstudy::default_workloads_dir(), name);
  const std::size_t nominal = spec.size("quick").live;
  const auto live = static_cast<std::size_t>(spec.fill.value_or(1.0) * static_cast<double>(growth_point(nominal)));
  const dstudy::OperationStream s = dstudy::generate_stream(spec, "quick", KV::kName, live);
  dstudy::bench::StreamKeys<KV> keys;
  keys.materialise(s);
  const Loop loop(keys);
  auto m = std::make_unique<Map>();
  dstudy::bench::OpCounts counts{};
  std::uint64_t sum = 0;
  const auto& t = s.threads[0];
  std::size_t steady_ops = 0;
  for (const dstudy::Phase& p : t.phases) {
    if (p.headline) {
      steady_loop(loop, *m, t.ops.data() + p.begin, p.end - p.begin, counts, sum);
      steady_ops += p.end - p.begin;
    } else {
      other_loop(loop, *m, t.ops.data() + p.begin, p.end - p.begin, counts, sum);
    }
  }
  for (int i = 0; i < dstudy::kOpTypeCount; ++i) {
    if (counts[i] != t.expected[i]) {
      std::fprintf(stderr, "map_loop: op type %d: %llu successes, expected %llu\n", i,
                   static_cast<unsigned long long>(counts[i]), static_cast<unsigned long long>(t.expected[i]));
      return 3;
    }
  }
  std::printf("%s live %zu: %zu headline ops (checksum %llu)\n", name.c_str(), live, steady_ops,
              static_cast<unsigned long long>(sum));
  return 0;
}
