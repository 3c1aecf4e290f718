#!/usr/bin/env bash
# Interleaved, independent runs of a few cells: one dstudy_bench process per
# repetition, the implementations alternating, so that drift in the machine
# hits every implementation alike. Prints one line per run (headline Mops/s,
# ns per op) and writes each sidecar under OUT.
#
#   reports/reference/ranking_check.sh OUT ROUNDS WORKLOAD SIZE IMPL...
#   (WORKLOADS_DIR=... for specs outside workloads/; BENCH=a:b:... for other
#   binaries, which then alternate too, each labelled by its file name)
set -euo pipefail
out=$1 rounds=$2 workload=$3 size=$4
shift 4
IFS=: read -r -a benches <<<"${BENCH:-build/release/dstudy_bench}"
wdir=${WORKLOADS_DIR:-workloads}
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
  for bench in "${benches[@]}"; do
  for impl in "$@"; do
    label=$impl
    [ ${#benches[@]} -gt 1 ] && label="$impl@$(basename "$bench")"
    dir="$out/$label.$round"
    "$bench" --impl "$impl" --workload "$workload" --kv u64 --size "$size" --repetitions 1 --no-latency \
      --workloads-dir "$wdir" --out-dir "$dir" >/dev/null
    /usr/bin/python3 - "$dir/sidecar.json" "$label" "$round" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
h = s["throughput"]["headline"]
m = s["machine_load"]
rate = h["median_ops_per_second"]
print(f"{sys.argv[3]:>3} {sys.argv[2]:<48} {rate/1e6:8.2f} Mops/s {1e9/rate:7.1f} ns/op"
      f"  live {s['cell']['initial_size']:>9}  {'COMPETING: ' + m['reason'] if m['competing'] else ''}")
PY
  done
  done
done
