#!/usr/bin/env bash
# The figures of reports/reference/performance.md (issue 19: the tombstone
# map against its best peer). One dstudy_bench process per cell and
# repetition, implementations interleaved round by round, so that drift in
# the machine hits every implementation alike. Sidecars go under OUT.
#
#   reports/reference/performance.sh OUT memory [KV...]
#       footprint after a 90% drain, after the purge and after compact()
#       (reports/reference/specs/drain_compact.json at size full, fill 0.85)
#   reports/reference/performance.sh OUT latency ROUNDS [IMPL...]
#       worst op and insert P99.9 on steady_churn.fill85 (1.5M live keys),
#       every op timed, one repetition per process (default IMPLs: the four
#       tombstone policies)
#   reports/reference/performance.sh OUT throughput ROUNDS WORKLOAD KV IMPL...
#       steady-state headline Mops/s per round, then each IMPL's median ratio
#       to the best peer of the round (absl, boost, ska_flat, tsl_robin);
#       SIZE=quick for the in-cache figures (default full)
#
# BENCH=a:b:... runs other binaries too (e.g. a build of the code before the
# change), alternating with the others and labelled by their folder name;
# peers run from the last binary only.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1 what=$2
shift 2
IFS=: read -r -a benches <<<"${BENCH:-build/release/dstudy_bench}"
mkdir -p "$out"
label() {  # bench impl
  if [ ${#benches[@]} -gt 1 ]; then echo "$2@$(basename "$(dirname "$1")")"; else echo "$2"; fi
}
case $what in
memory)
  kvs=("$@"); [ ${#kvs[@]} -eq 0 ] && kvs=(u64)
  for kv in "${kvs[@]}"; do
    for impl in tombstone_shrink tombstone_never tombstone_incremental absl_flat_hash_map boost_unordered_flat_map \
      std_unordered_map; do
      dir="$out/memory/$impl.$kv"
      build/release/dstudy_bench --impl "$impl" --workload drain_compact.fill85 --workloads-dir reports/reference/specs \
        --kv "$kv" --size full --repetitions 1 --no-latency --out-dir "$dir" >/dev/null
      /usr/bin/python3 - "$dir/sidecar.json" "$impl/$kv" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
pe = next(p for p in s["memory"]["phase_end"] if p["phase"] == "drain_90")
pay = pe["after"]["payload_bytes"]
def x(snap, layer):
    return "-" if snap is None or snap.get(layer) is None else f"{snap[layer] / pay:6.2f}x"
c = pe.get("after_compact")
print(f"{sys.argv[2]:<34} live {pe['live_keys']:>8}  payload {pay:>10} B  footprint: drained {x(pe['after'], 'footprint_bytes')}"
      f"  compacted {x(c, 'footprint_bytes')}   heap: purged {x(pe['after_purge'], 'heap_bytes')}"
      f"  compacted {x(c, 'heap_bytes')}  capacity {pe['internals'].get('capacity')}")
PY
    done
  done
  ;;
latency)
  rounds=$1
  shift
  impls=("$@")
  [ ${#impls[@]} -eq 0 ] && impls=(tombstone_incremental tombstone_never tombstone_rehash tombstone_shrink)
  for round in $(seq 1 "$rounds"); do
    for bench in "${benches[@]}"; do
      for impl in "${impls[@]}"; do
        name=$(label "$bench" "$impl")
        dir="$out/latency/$name.$round"
        "$bench" --impl "$impl" --workload steady_churn.fill85 --kv u64 --size full --repetitions 1 --latency \
          --out-dir "$dir" >/dev/null
        /usr/bin/python3 - "$dir/sidecar.json" "$name" "$round" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
per = s["latency"]["per_op"]
worst = max(v["max_ns"] for v in per.values())
ins = per["insert"]
m = s["machine_load"]
over = {op: sum(c for lo, c in v["histogram"]["counts"] if lo >= 200000) for op, v in per.items()}
print(f"{sys.argv[3]:>3} {sys.argv[2]:<40} worst op {worst / 1e3:9.1f} us  insert P99.9 {ins['p999_ns']:6} ns"
      f"  P99 {ins['p99_ns']:5} ns  max {ins['max_ns'] / 1e3:8.1f} us  ops >= 200 us {over}"
      f"  {'COMPETING: ' + m['reason'] if m['competing'] else ''}")
PY
      done
    done
  done
  ;;
throughput)
  rounds=$1 workload=$2 kv=$3
  shift 3
  peers=(absl_flat_hash_map boost_unordered_flat_map ska_flat_hash_map tsl_robin_map)
  cell() {  # bench impl name round
    "$1" --impl "$2" --workload "$workload" --kv "$kv" --size "${SIZE:-full}" --repetitions 1 \
      --no-latency --out-dir "$out/throughput/${SIZE:-full}/$workload.$kv/$3.$4" >/dev/null
  }
  for round in $(seq 1 "$rounds"); do
    for bench in "${benches[@]}"; do
      for impl in "$@"; do cell "$bench" "$impl" "$(label "$bench" "$impl")" "$round"; done
    done
    # The peers' code is the same in every build: they run from the last one.
    for impl in "${peers[@]}"; do cell "${benches[-1]}" "$impl" "$impl" "$round"; done
  done
  /usr/bin/python3 - "$out/throughput/${SIZE:-full}/$workload.$kv" "${peers[@]}" <<'PY'
import glob, json, os, statistics, sys
root, peers = sys.argv[1], sys.argv[2:]
rate = {}  # (name, round) -> Mops/s
competing = 0
for f in glob.glob(os.path.join(root, "*", "sidecar.json")):
    name, rnd = os.path.basename(os.path.dirname(f)).rsplit(".", 1)
    s = json.load(open(f))
    rate[(name, int(rnd))] = s["throughput"]["headline"]["median_ops_per_second"] / 1e6
    competing += bool(s["machine_load"]["competing"])
names = sorted({n for n, _ in rate})
rounds = sorted({r for _, r in rate})
for n in names:
    v = [rate[(n, r)] for r in rounds if (n, r) in rate]
    print(f"{n:<44} median {statistics.median(v):7.2f} Mops/s  range {min(v):.2f}-{max(v):.2f}  n={len(v)}")
print(f"cells measured beside another process: {competing} of {len(rate)}")
for n in names:
    if n.split("@")[0] in peers:
        continue
    ratios = []
    for r in rounds:
        best = max((v for (p, pr), v in rate.items() if pr == r and p.split("@")[0] in peers), default=None)
        if best and (n, r) in rate:
            ratios.append(rate[(n, r)] / best)
    if ratios:
        print(f"{n:<44} / best peer of the round: median {statistics.median(ratios):.3f}x"
              f"  range {min(ratios):.3f}-{max(ratios):.3f}  n={len(ratios)}")
PY
  ;;
*)
  echo "usage: $0 OUT memory|latency|throughput ..." >&2
  exit 2
  ;;
esac
