#!/usr/bin/env bash
# The interleaved open-loop comparison of reports/reference/open_loop.md
# (issue 16): steady_churn.fill85 at size full (1.56M live keys), u64, one
# dstudy_bench process per implementation and round, the implementations
# taking turns round by round so that drift in the machine hits each alike.
# Each process measures its own throughput, then runs the churn phase open
# loop at FRACTION of it. Prints, per round, every implementation's response
# time P99.9 and max (all op types) and its ratio to the round's REF
# implementation, then the median ratio and its range over the rounds.
#
#   reports/reference/open_loop.sh OUT ROUNDS FRACTION [IMPL...]
#
# REF (default absl_flat_hash_map) must be among the IMPLs; CPU=N pins every
# process to CPU N with taskset (default: not pinned).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 3 ] || { echo "usage: $0 OUT ROUNDS FRACTION [IMPL...]" >&2; exit 2; }
out=$1 rounds=$2 fraction=$3
shift 3
impls=("$@")
[ ${#impls[@]} -eq 0 ] && impls=(absl_flat_hash_map boost_unordered_flat_map tombstone_never tombstone_incremental)
ref=${REF:-absl_flat_hash_map}
bench=${BENCH:-build/release/dstudy_bench}
pin=()
[ -z "${CPU:-}" ] || pin=(taskset -c "$CPU")
for round in $(seq 1 "$rounds"); do
  for impl in "${impls[@]}"; do
    "${pin[@]}" "$bench" --impl "$impl" --workload steady_churn.fill85 --kv u64 --size full --repetitions 1 \
      --open-loop "$fraction" --out-dir "$out/open_loop/$impl.$round" >/dev/null
  done
done
/usr/bin/python3 - "$out/open_loop" "$ref" "${impls[@]}" <<'PY'
import json, os, statistics, sys
root, ref, impls = sys.argv[1], sys.argv[2], sys.argv[3:]
cells = {}  # (impl, round) -> the open-loop rate's figures
for name in os.listdir(root):
    impl, rnd = name.rsplit(".", 1)
    s = json.load(open(os.path.join(root, name, "sidecar.json")))
    rate = s["open_loop"]["rates"][0]
    resp = rate["response"]["all"]
    cells[(impl, int(rnd))] = {"p999": resp["p999_ns"], "max": resp["max_ns"],
                               "service_max": rate["service"]["all"]["max_ns"],
                               "switches": rate["involuntary_switches"],
                               "competing": s["machine_load"]["competing"]}
rounds = sorted({r for _, r in cells})
ms = lambda ns: f"{ns / 1e6:8.2f} ms"  # noqa: E731
for r in rounds:
    for impl in impls:
        c = cells.get((impl, r))
        if c:
            print(f"round {r} {impl:<28} response P99.9 {ms(c['p999'])}  max {ms(c['max'])}"
                  f"  service max {ms(c['service_max'])}  preempted {c['switches']:>5}"
                  f"{'  COMPETING' if c['competing'] else ''}")
for impl in impls:
    for key in ("p999", "max"):
        ratios = [cells[(impl, r)][key] / cells[(ref, r)][key] for r in rounds
                  if (impl, r) in cells and (ref, r) in cells and cells[(ref, r)][key]]
        if ratios:
            print(f"{impl:<28} response {key:>4} / {ref}'s in the same round: median "
                  f"{statistics.median(ratios):.3f}x  range {min(ratios):.3f}-{max(ratios):.3f}  n={len(ratios)}")
PY
