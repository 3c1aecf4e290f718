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
#       to the best peer of the round and to each peer (default peers absl,
#       boost, ska_flat, tsl_robin; PEERS='a b ...' names others);
#       SIZE=quick for the in-cache figures (default full). The concurrent
#       map against its peers at 2 threads, 1M live keys:
#         PEERS='tbb_concurrent_hash_map libcuckoo libcds_map' SIZE=medium \
#           reports/reference/performance.sh OUT throughput 5 concurrent_churn u64 concurrent_map
#   reports/reference/performance.sh OUT scaling ROUNDS [THREADS...]
#       the thread-scaling curve: concurrent_map and PEERS (default TBB,
#       libcuckoo, libcds) at 1M live u64 keys on
#       reports/reference/specs/concurrent_scaling.json, one size profile per
#       thread count (default 1 2 4 8 16), interleaved round by round; then
#       reports/reference/scaling.py prints the table and draws the curve
#   reports/reference/performance.sh OUT harness ROUNDS [WORKLOAD...]
#       the harness's own cost per op (throughput.harness_overhead_ns_per_op:
#       the cell's stream through NullContainer) per binary, median and range
#       over ROUNDS interleaved runs (default WORKLOADs: steady_churn.fill55,
#       zipf_churn, and specs/insert_only.json, whose dispatch is always
#       predicted; quick size)
#   reports/reference/performance.sh OUT callgrind [REV...]
#       instructions per op of the op loop through NullContainer
#       (reports/reference/harness_loop.cc under callgrind): with this
#       checkout's bench/op_loop.h and null_container.h, then with each REV's
#       op_loop.h (this null container) and each REV's two headers
#   reports/reference/performance.sh OUT generation ROUNDS [WORKLOAD SIZE KV LIVE]
#       generating a stream vs storing it in and reading it from the stream
#       cache (reports/reference/stream_time.cc; default zipf_churn full u64
#       1559756, its live size at fill 0.85 of absl's growth point)
#   reports/reference/performance.sh OUT matrix ROUNDS [STUDY ARGS...]
#       wall time of `scripts/study run --profile quick` (or the ARGS given):
#       per round, each binary without the stream cache, then the last binary
#       with an empty cache and again with the cache it filled
#
# BENCH=a:b:... runs other binaries too (e.g. a build of the code before the
# change), alternating with the others and labelled by their folder name;
# peers run from the last binary only. A build of the code before issue 19's
# harness work, beside this one:
#   git worktree add ../before 07ead5c
#   cmake -S ../before -B build/before -DCMAKE_BUILD_TYPE=Release
#   cmake --build build/before --target dstudy_bench -j2
#   BENCH=build/before/dstudy_bench:build/release/dstudy_bench reports/reference/performance.sh OUT harness 5
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
  read -r -a peers <<<"${PEERS:-absl_flat_hash_map boost_unordered_flat_map ska_flat_hash_map tsl_robin_map}"
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
        best = max((rate[p] for p in rate if p[1] == r and p[0].split("@")[0] in peers), default=None)
        if best and (n, r) in rate:
            ratios.append(rate[(n, r)] / best)
    if ratios:
        print(f"{n:<44} / best peer of the round: median {statistics.median(ratios):.3f}x"
              f"  range {min(ratios):.3f}-{max(ratios):.3f}  n={len(ratios)}")
    for p in peers:
        each = [rate[(n, r)] / rate[(p, r)] for r in rounds if (n, r) in rate and (p, r) in rate]
        if each:
            print(f"{n:<44} / {p}: median {statistics.median(each):.3f}x"
                  f"  range {min(each):.3f}-{max(each):.3f}  n={len(each)}")
PY
  ;;
scaling)
  rounds=$1
  shift
  threads=("$@")
  [ ${#threads[@]} -eq 0 ] && threads=(1 2 4 8 16)
  read -r -a peers <<<"${PEERS:-tbb_concurrent_hash_map libcuckoo libcds_map}"
  for round in $(seq 1 "$rounds"); do
    for t in "${threads[@]}"; do
      for bench in "${benches[@]}"; do
        for impl in concurrent_map "${peers[@]}"; do
          "$bench" --impl "$impl" --workload concurrent_scaling --workloads-dir reports/reference/specs --kv u64 \
            --size "t$t" --repetitions 1 --no-latency --stream-cache "$out/stream-cache" \
            --out-dir "$out/scaling/$(label "$bench" "$impl").t$t.$round" >/dev/null 2>&1 ||
            echo "FAILED: $impl at $t threads, round $round (exit $?)" >&2
        done
      done
    done
  done
  "${PYTHON:-/usr/bin/python3}" reports/reference/scaling.py "$out/scaling"
  ;;
harness)
  rounds=$1
  shift
  workloads=("$@")
  [ ${#workloads[@]} -eq 0 ] && workloads=(steady_churn.fill55 zipf_churn insert_only)
  for round in $(seq 1 "$rounds"); do
    for bench in "${benches[@]}"; do
      for workload in "${workloads[@]}"; do
        dir=workloads
        [ -f "reports/reference/specs/$workload.json" ] && dir=reports/reference/specs
        # Any container: the overhead is measured on NullContainer over the
        # cell's stream, after the cell (std_map: a stream the same for all).
        "$bench" --impl std_map --workload "$workload" --workloads-dir "$dir" --kv u64 --size quick --repetitions 1 \
          --no-latency --out-dir "$out/harness/$(basename "$(dirname "$bench")").$workload.$round" >/dev/null 2>&1
      done
    done
  done
  /usr/bin/python3 - "$out/harness" <<'PY'
import collections, glob, json, os, statistics, sys
ns = collections.defaultdict(list)
competing = 0
for f in glob.glob(os.path.join(sys.argv[1], "*", "sidecar.json")):
    binary, rest = os.path.basename(os.path.dirname(f)).split(".", 1)
    workload = rest.rsplit(".", 1)[0]
    s = json.load(open(f))
    ns[(workload, binary)].append(s["throughput"]["harness_overhead_ns_per_op"])
    competing += bool(s["machine_load"]["competing"])
for (workload, binary), v in sorted(ns.items()):
    print(f"{workload:<24} {binary:<12} harness overhead median {statistics.median(v):5.2f} ns/op"
          f"  range {min(v):.2f}-{max(v):.2f}  n={len(v)}")
print(f"cells measured beside another process: {competing} of {sum(map(len, ns.values()))}")
PY
  ;;
callgrind)
  count() {  # label include-dir...: the loop's instructions per op
    local label=$1 flags=()
    shift
    for d in "$@"; do flags+=(-I "$d"); done
    g++ -O3 -DNDEBUG -std=c++20 "${flags[@]}" -I. -DDSTUDY_WORKLOADS_DIR="\"$PWD/workloads\"" \
      reports/reference/harness_loop.cc build/release/libdstudy_workload.a -lbenchmark -o "$out/harness_loop.$label"
    valgrind --tool=callgrind --toggle-collect='null_loop*' --callgrind-out-file="$out/callgrind.$label" \
      "$out/harness_loop.$label" >/dev/null 2>&1
    local ir ops
    ir=$(sed -n 's/^summary: //p' "$out/callgrind.$label")
    ops=$("$out/harness_loop.$label" | sed -n 's/.*: \([0-9]*\) ops.*/\1/p')
    echo "$label: $ir instructions / $ops ops = $(echo "scale=2; $ir / $ops" | bc) per op"
  }
  count this
  for rev in "$@"; do
    mkdir -p "$out/$rev/loop/bench" "$out/$rev/both/bench"
    git show "$rev:bench/op_loop.h" >"$out/$rev/loop/bench/op_loop.h"
    cp "$out/$rev/loop/bench/op_loop.h" "$out/$rev/both/bench/"
    git show "$rev:bench/null_container.h" >"$out/$rev/both/bench/null_container.h"
    count "$rev-loop" "$out/$rev/loop"
    count "$rev-loop-and-null" "$out/$rev/both"
  done
  ;;
generation)
  rounds=$1
  shift
  [ $# -eq 0 ] && set -- zipf_churn full u64 1559756
  g++ -O3 -DNDEBUG -std=c++20 -I. -DDSTUDY_WORKLOADS_DIR="\"$PWD/workloads\"" reports/reference/stream_time.cc \
    build/release/libdstudy_workload.a -o "$out/stream_time"
  for round in $(seq 1 "$rounds"); do "$out/stream_time" "$@"; done
  ;;
matrix)
  rounds=$1
  shift
  [ $# -eq 0 ] && set -- --profile quick
  wall() {  # label study-args...: one run into its own results folder, its wall time
    local label=$1
    shift
    local t0
    t0=$(date +%s.%N)
    scripts/study run --no-build --quiet "$@" >/dev/null 2>"$out/matrix/$label.stderr" || true
    echo "$label $(echo "$(date +%s.%N) - $t0" | bc) s"
  }
  mkdir -p "$out/matrix"
  for round in $(seq 1 "$rounds"); do
    for bench in "${benches[@]}"; do
      name=$(basename "$(dirname "$bench")")
      wall "$round.$name.no-cache" "$@" --bench "$bench" --stream-cache none --results-dir "$out/matrix/$round.$name.no-cache"
    done
    rm -rf "$out/matrix/cache.$round"
    wall "$round.cache-empty" "$@" --bench "${benches[-1]}" --stream-cache "$out/matrix/cache.$round" \
      --results-dir "$out/matrix/$round.cache-empty"
    wall "$round.cache-full" "$@" --bench "${benches[-1]}" --stream-cache "$out/matrix/cache.$round" \
      --results-dir "$out/matrix/$round.cache-full"
  done
  ;;
*)
  echo "usage: $0 OUT memory|latency|throughput|scaling|harness|generation|matrix ..." >&2
  exit 2
  ;;
esac
