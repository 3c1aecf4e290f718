#!/usr/bin/env bash
# Instructions per op of containers in one cell's headline phases, counted
# with callgrind over dstudy_op_loop (op_loop_tool.h: the harness's stream
# and op loop at the harness's live size; only the headline phases counted).
# Exact and repeatable where timings on a shared machine are not.
#
#   bench/tools/instructions_per_op.sh OUT [WORKLOAD [SIZE [KV [IMPL...]]]]
#
# Defaults: steady_churn.fill85, quick, u64, the tombstone policies and the
# four hash-map peers; IMPL null counts the op loop's own cost.
# OP_LOOP=path/to/dstudy_op_loop (default build/release/bench/tools/dstudy_op_loop).
# BRANCH_SIM=1 adds callgrind's simulated mispredicted conditional and
# indirect branches per op (the indirect ones are the loop's dispatch on the
# op type, the same for all containers).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT [WORKLOAD [SIZE [KV [IMPL...]]]]" >&2; exit 2; }
out=$1 workload=${2:-steady_churn.fill85} size=${3:-quick} kv=${4:-u64}
shift $(($# < 4 ? $# : 4))
impls=("$@")
[ ${#impls[@]} -eq 0 ] && impls=(tombstone_never tombstone_rehash tombstone_shrink tombstone_incremental
  boost_unordered_flat_map absl_flat_hash_map ska_flat_hash_map tsl_robin_map)
op_loop=${OP_LOOP:-$(dirname "$0")/../../build/release/bench/tools/dstudy_op_loop}
[ -x "$op_loop" ] || { echo "$0: $op_loop not built (cmake --build --preset release --target dstudy_op_loop)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "$0: valgrind not installed" >&2; exit 2; }
mkdir -p "$out"
for impl in "${impls[@]}"; do
  name="$impl.$workload.$size.$kv"
  if ! valgrind --tool=callgrind ${BRANCH_SIM:+--branch-sim=yes} --toggle-collect='*headline_loop*' \
    --callgrind-out-file="$out/callgrind.$name" "$op_loop" "$impl" "$workload" "$size" "$kv" \
    >"$out/$name.txt" 2>"$out/$name.err"; then
    echo "$0: $impl failed (see $out/$name.err)" >&2
    exit 1
  fi
  # summary: Ir [Bc Bcm Bi Bim] (the last four with --branch-sim=yes)
  read -r ir _ bcm _ bim < <(sed -n 's/^summary: //p' "$out/callgrind.$name")
  ops=$(sed -n 's/^\([0-9]*\) headline ops.*/\1/p' "$out/$name.txt")
  miss=""
  [ -n "${bim:-}" ] && miss=$(awk -v c="$bcm" -v i="$bim" -v n="$ops" \
    'BEGIN { printf ", mispredicted/op: %5.3f conditional %5.3f indirect", c / n, i / n }')
  awk -v impl="$impl" -v kv="$kv" -v w="$workload" -v ir="$ir" -v n="$ops" -v miss="$miss" \
    'BEGIN { printf "%-26s %s %s: %12d Ir / %8d ops = %7.2f Ir/op%s\n", impl, kv, w, ir, n, ir / n, miss }'
done
