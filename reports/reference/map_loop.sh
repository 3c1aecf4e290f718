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
# (default: all of them). KV=string for string keys (default u64).
# EXTRA_FLAGS (e.g. -march=x86-64-v3) is added to every compile. Needs build/release/libdstudy_workload.a.
# BRANCH_SIM=1 runs callgrind with --branch-sim=yes and adds the simulated
# mispredicted conditional and indirect branches per op to each line (the
# indirect ones are the loop's dispatch on the op type, the same for all maps).
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
kv=${KV:-u64}
declare -A kv_type=([u64]=dstudy::KvU64 [string]=dstudy::KvString)
mkdir -p "$out"
for map in "${maps[@]}"; do
  read -r h type <<<"${header[$map]}"
  bin="$out/map_loop.$map.$kv"
  g++ -O3 -DNDEBUG -std=c++20 -g ${EXTRA_FLAGS:-} -I. -isystem .deps/boost181/usr/include \
    -DMAP="$type" -DMAP_HEADER="\"$h\"" -DKV_TYPE="${kv_type[$kv]}" -DDSTUDY_WORKLOADS_DIR="\"$PWD/workloads\"" \
    reports/reference/map_loop.cc build/release/libdstudy_workload.a \
    $(pkg-config --libs absl_raw_hash_set absl_hash) -lbenchmark -o "$bin"
  valgrind --tool=callgrind ${BRANCH_SIM:+--branch-sim=yes} --toggle-collect='steady_loop*' --callgrind-out-file="$out/callgrind.$map.$kv.$workload" \
    "$bin" "$workload" >"$out/$map.$kv.$workload.txt" 2>"$out/$map.$kv.$workload.err"
  # summary: Ir [Bc Bcm Bi Bim] (the last four with --branch-sim=yes)
  read -r ir _ bcm _ bim < <(sed -n 's/^summary: //p' "$out/callgrind.$map.$kv.$workload")
  ops=$(sed -n 's/.*: \([0-9]*\) headline ops.*/\1/p' "$out/$map.$kv.$workload.txt")
  miss=""
  [ -n "${bim:-}" ] && miss=$(printf ', mispredicted/op: %5.3f conditional %5.3f indirect' \
    "$(echo "scale=4; $bcm / $ops" | bc)" "$(echo "scale=4; $bim / $ops" | bc)")
  printf '%-26s %s %s: %12s Ir / %8s ops = %7.2f Ir/op%s\n' "$map" "$kv" "$workload" "$ir" "$ops" \
    "$(echo "scale=4; $ir / $ops" | bc)" "$miss"
done
