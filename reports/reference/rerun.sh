#!/usr/bin/env bash
# The reference study's focused runs, as committed in reports/reference/.
# Results go to RESULTS (default results/reference-runs); each run renders
# its report with scripts/report. The quick matrix is the README's main
# command (./scripts/run_suite.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${RESULTS:-results/reference-runs}
run() {  # name, study run arguments...
  local name=$1; shift
  ./scripts/study run --no-build --results-dir "$out/$name" "$@"
  ./scripts/report "$out/$name/latest" --out "$out/$name/report" >/dev/null
}
# 1. The tombstone question: find-miss cost after a 90% drain, low and high fill.
run tombstone --profile full --impl 'tombstone_never,tombstone_rehash,absl_flat_hash_map,boost_unordered_flat_map,dense_hash_map' \
  --workload 'miss_after_drain.*' --allocator glibc --repetitions 5
# 2. Steady churn beyond the cache: 1.0M and 1.56M live keys.
run steady --profile full --impl 'tombstone_*,absl_flat_hash_map,boost_unordered_flat_map' \
  --workload 'steady_churn.*' --kv u64 --allocator glibc --repetitions 5
# 3. Sorted vectors: erase cost at ~100k live keys.
run sorted --size medium --impl 'sorted_vector_lazy,sorted_vector_eager,boost_flat_map' \
  --workload steady_churn.fill85 --allocator glibc
# 4. Concurrent maps: 2 threads, 1M live keys.
run concurrent --size medium --impl 'concurrent_map,tbb_concurrent_hash_map,libcuckoo,libcds_map' \
  --workload concurrent_churn --allocator glibc --repetitions 3
# 5. Memory after drains, per allocator: what idling and the allocator's purge give back.
run memory --impl 'absl_flat_hash_map,boost_unordered_flat_map,std_unordered_map,std_map,tombstone_never,tombstone_shrink,sorted_vector_lazy' \
  --workload 'drain.fill85,grow_shrink_cycles' --allocator 'glibc,jemalloc,mimalloc,tcmalloc' --no-large
# 6. Open loop: what callers wait at 0.5, 0.7 and 0.9 of each map's throughput (open_loop.md).
run open_loop --size full --impl 'absl_flat_hash_map,boost_unordered_flat_map,tombstone_never,tombstone_incremental' \
  --workload steady_churn.fill85 --kv u64 --allocator glibc --repetitions 5 --open-loop 0.5,0.7,0.9
# 7. The size axis: the hash maps on steady churn and miss-after-drain at N = 10k .. 3M
#    (one section per point; the report says where rankings cross). See sweep.md.
run sweep --profile sweep
# 8. Drift over turnovers: 50 turnovers of churn at fill 0.85, latency, tombstones,
#    capacity and probe lengths per turnover. See drift.md.
run drift --size medium --workload drift --allocator glibc \
  --impl 'tombstone_*,absl_flat_hash_map,boost_unordered_flat_map,std_unordered_map'
# 9. The deletes that hurt at 20k keys: erase(begin()) + insert, erase in iteration order
#    while inserting, the lagged-FIFO control and a walk after a 90% drain, every container
#    (those that cannot iterate are n/a). See pathological_deletes.md.
run pathological --workload 'erase_*,iterate_after_drain' --allocator glibc --no-large --repetitions 5
# 10. Erasing in iteration order while inserting at 200k keys, the hash maps, against the control.
run pathological_medium --size medium --workload 'erase_lagged_fifo,erase_iteration_order_while_inserting' \
  --impl 'absl_*,boost_unordered_flat_map,ska_*,tsl_*,dense_hash_map,sparse_hash_map,std_unordered_map,tombstone_never,tombstone_rehash' \
  --allocator glibc --repetitions 3
