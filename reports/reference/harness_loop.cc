// The throughput pass's op loop (bench/op_loop.h) over one stream through
// NullContainer (bench/null_container.h), once, in a function of its own:
// for counting its instructions per op with callgrind, and for building
// against an older op_loop.h or null_container.h put first on the include
// path (reports/reference/performance.sh callgrind does both).
//
//   g++ -O3 -DNDEBUG -std=c++20 [-I OLD_HEADERS] -I. -DDSTUDY_WORKLOADS_DIR="\"$PWD/workloads\"" \
//       reports/reference/harness_loop.cc build/release/libdstudy_workload.a -lbenchmark -o /tmp/harness_loop
//   valgrind --tool=callgrind --toggle-collect='null_loop*' /tmp/harness_loop [WORKLOAD [LIVE]]
//
// Default: steady_churn.fill55 at quick size, live 15769 (0.55 of absl's
// growth point at 20k keys), what the cell measures as
// throughput.harness_overhead_ns_per_op.
#include <cstdio>
#include <cstdlib>

#include "bench/null_container.h"
#include "bench/op_loop.h"
#include "bench/stream_keys.h"
#include "bench/workload/stream_generator.h"
#include "bench/workload/workload_spec.h"
#include "impls/core/value_types.h"

using Null = dstudy::bench::NullContainer<std::uint64_t, std::uint64_t>;

__attribute__((noinline)) void null_loop(const dstudy::bench::OpLoop<dstudy::KvU64>& loop, Null& c,
                                         const dstudy::Operation* ops, std::size_t n, dstudy::bench::OpCounts& counts,
                                         std::uint64_t& sum) {
  loop.run(c, ops, 0, n, counts, sum);
}

int main(int argc, char** argv) {
  const char* name = argc > 1 ? argv[1] : "steady_churn.fill55";
  const std::size_t live = argc > 2 ? static_cast<std::size_t>(std::atoll(argv[2])) : 15769;
  const dstudy::WorkloadSpec spec = dstudy::find_workload(dstudy::default_workloads_dir(), name);
  const dstudy::OperationStream s = dstudy::generate_stream(spec, "quick", "u64", live);
  dstudy::bench::StreamKeys<dstudy::KvU64> keys;
  keys.materialise(s);
  const dstudy::bench::OpLoop<dstudy::KvU64> loop(keys);
  Null null;
  dstudy::bench::OpCounts counts{};
  std::uint64_t sum = 0;
  null_loop(loop, null, s.threads[0].ops.data(), s.threads[0].ops.size(), counts, sum);
  std::printf("%s live %zu: %zu ops through NullContainer (insert count %llu)\n", name, live, s.threads[0].ops.size(),
              static_cast<unsigned long long>(counts[0]));
  return 0;
}
