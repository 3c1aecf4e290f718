#!/usr/bin/env bash
# Instructions per op of maps on one cell's steady-state phase, counted with
# callgrind (reports/reference/map_loop.cc: the harness's op loop over the
# harness's stream at the map's own fill; only the headline phases are
# counted, as the harness's headline throughput times them).
#
#   reports/reference/map_loop.sh OUT [WORKLOAD [MAP...]]
#
# WORKLOAD: steady_churn.fill85 (default), any workload at quick size with
# u64 keys (e.g. miss_after_delete.fill55); MAP: a registered name among those below
# (default: all of them). EXTRA_FLAGS (e.g. -march=x86-64-v3) is added to
# every compile. Needs build/release/libdstudy_workload.a.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
workload=${2:-steady_churn.fill85}
shift $(($# < 2 ? $# : 2))
declare -A header=(
  [tombstone_never]="impls/tombstone_map.h dstudy::TombstoneMapNever"
  [tombstone_rehash]="impls/tombstone_map.h dstudy::TombstoneMapRehash"
  [tombstone_shrink]="impls/tombstone_map.h dstudy::TombstoneMapShrink"
  [tombstone_incremental]="impls/tombstone_map.h dstudy::TombstoneMapIncremental"
  [boost_unordered_flat_map]="impls/peers/boost_unordered_flat_map.h dstudy::BoostUnorderedFlatMap"
  [absl_flat_hash_map]="impls/peers/absl_flat_hash_map.h dstudy::AbslFlatHashMap"
  [ska_flat_hash_map]="impls/peers/ska_flat_hash_map.h dstudy::SkaFlatHashMap"
  [tsl_robin_map]="impls/peers/tsl_robin_map.h dstudy::TslRobinMap"
)
maps=("$@")
[ ${#maps[@]} -eq 0 ] && maps=(tombstone_never tombstone_rehash tombstone_shrink tombstone_incremental
  boost_unordered_flat_map absl_flat_hash_map ska_flat_hash_map tsl_robin_map)
mkdir -p "$out"
for map in "${maps[@]}"; do
  read -r h type <<<"${header[$map]}"
  bin="$out/map_loop.$map"
  g++ -O3 -DNDEBUG -std=c++20 -g ${EXTRA_FLAGS:-} -I. -isystem .deps/boost181/usr/include \
    -DMAP="$type" -DMAP_HEADER="\"$h\"" -DDSTUDY_WORKLOADS_DIR="\"$PWD/workloads\"" \
    reports/reference/map_loop.cc build/release/libdstudy_workload.a \
    $(pkg-config --libs absl_raw_hash_set absl_hash) -lbenchmark -o "$bin"
  valgrind --tool=callgrind --toggle-collect='steady_loop*' --callgrind-out-file="$out/callgrind.$map.$workload" \
    "$bin" "$workload" >"$out/$map.$workload.txt" 2>"$out/$map.$workload.err"
  ir=$(sed -n 's/^summary: //p' "$out/callgrind.$map.$workload")
  ops=$(sed -n 's/.*: \([0-9]*\) headline ops.*/\1/p' "$out/$map.$workload.txt")
  printf '%-26s %s: %12s Ir / %8s ops = %7.2f Ir/op\n' "$map" "$workload" "$ir" "$ops" \
    "$(echo "scale=4; $ir / $ops" | bc)"
done
