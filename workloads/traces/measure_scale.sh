#!/usr/bin/env bash
# Measures trace conversion and replay at scale (docs/traces.md, "Scale"):
#
#   1. writes a synthetic oracleGeneral trace (make_oracle_trace.py; not timed);
#   2. converts it with dstudy_trace under /usr/bin/time -v: wall and CPU
#      time, peak RSS, records per second (of wall time and of CPU time);
#   3. replays the converted trace on one container with dstudy_bench, the
#      records mapped from the file against the same records copied into
#      memory (--trace-in-memory, the form a generated stream has), one cell
#      of each per round, the order swapped every round; prints each
#      round's two rates (the timed pass's ops/s from the cell's sidecar) and
#      their ratio, and the median ratio with its range.
#
#   workloads/traces/measure_scale.sh [--records N] [--objects M] [--rounds R]
#       [--cpu C] [--scratch DIR] [--impl NAME] [--build DIR] [--keep]
#
# --cpu C runs every step under `taskset -c C` (a quiet core; the other
# steps' figures are only as steady as the machine). --scratch DIR holds the
# work folder (default: $TMPDIR or /tmp); at the defaults (100M records over
# 1M objects) it needs about 5.5 GB: the 2.4 GB input, deleted once
# converted, and the 2.8 GB trace. The work folder is removed at the end,
# also on failure or interrupt, unless --keep is given.
set -euo pipefail

records=100000000
objects=1000000
rounds=5
cpu=""
scratch="${TMPDIR:-/tmp}"
impl=absl_flat_hash_map
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build/release"
keep=0

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --objects) objects=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --impl) impl=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "measure_scale.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done
for n in "$records" "$objects" "$rounds"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "measure_scale.sh: expected a positive integer, got '$n'" >&2; exit 2; }
done
tool="$build/dstudy_trace"
bench="$build/dstudy_bench"
for b in "$tool" "$bench"; do
  [ -x "$b" ] || { echo "measure_scale.sh: $b not built (cmake --build --preset release)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "measure_scale.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
pin=()
if [ -n "$cpu" ]; then pin=(taskset -c "$cpu"); fi

mkdir -p "$scratch"
work=$(mktemp -d "$scratch/dstudy_scale.XXXXXX")
if [ "$keep" = 0 ]; then trap 'rm -rf "$work"' EXIT; else echo "work folder kept: $work"; fi
echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); pinned to CPU ${cpu:-none}"

echo "== writing $records records over $objects objects"
"${pin[@]}" /usr/bin/python3 "$here/make_oracle_trace.py" --records "$records" --objects "$objects" \
  "$work/synthetic.oracleGeneral.bin"

echo "== converting"
"${pin[@]}" /usr/bin/time -v -o "$work/convert.time" \
  "$tool" convert --format oraclegeneral "$work/synthetic.oracleGeneral.bin" "$work/scale.dstrace" \
  >"$work/convert.json"
rm -f "$work/synthetic.oracleGeneral.bin"

mkdir -p "$work/workloads"
printf '{"name": "scale_trace", "kv": ["u64"], "trace": "%s",
 "description": "Replay of a synthetic oracleGeneral trace of %s requests over %s objects (measure_scale.sh)."}\n' \
  "$work/scale.dstrace" "$records" "$objects" >"$work/workloads/scale_trace.json"

# One replay cell: mode mapped|in_memory, round r.
replay() {
  local mode=$1 r=$2 extra=()
  [ "$mode" = in_memory ] && extra=(--trace-in-memory)
  local out="$work/cells/r$r-$mode"
  mkdir -p "$out"
  "${pin[@]}" /usr/bin/time -v -o "$out/time" \
    "$bench" --impl "$impl" --workload scale_trace --kv u64 --workloads-dir "$work/workloads" --out-dir "$out" \
    --repetitions 1 --no-latency "${extra[@]}" >"$out/stdout.txt" 2>"$out/stderr.txt" ||
    { echo "measure_scale.sh: dstudy_bench failed ($mode, round $r); see $out/stderr.txt" >&2
      tail -5 "$out/stderr.txt" >&2; exit 1; }
}

echo "== replaying on $impl: $rounds rounds, mapped and in memory, the order swapped every round"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then replay mapped "$r"; replay in_memory "$r"
  else replay in_memory "$r"; replay mapped "$r"; fi
  echo "   round $r of $rounds done"
done

/usr/bin/python3 - "$work" "$rounds" <<'EOF'
import json
import statistics
import sys
from pathlib import Path

work, rounds = Path(sys.argv[1]), int(sys.argv[2])


def gnu_time(path):
    """/usr/bin/time -v's fields by name."""
    fields = {}
    for line in path.read_text().splitlines():
        name, _, value = line.strip().rpartition(": ")
        fields[name] = value
    return fields


def seconds(clock):
    """h:mm:ss or m:ss.ss as seconds."""
    total = 0.0
    for part in clock.split(":"):
        total = total * 60 + float(part)
    return total


def per_second(n, s):
    """n / s in millions; '-' when s is below /usr/bin/time's 10 ms resolution."""
    return f"{n / s / 1e6:.2f}M" if s > 0 else "-"


def spread(xs):
    return f"median {statistics.median(xs):.4g} (range {min(xs):.4g} to {max(xs):.4g}, n={len(xs)})"


conv = json.loads((work / "convert.json").read_text())
t = gnu_time(work / "convert.time")
wall = seconds(t["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
cpu = float(t["User time (seconds)"]) + float(t["System time (seconds)"])
rss_mb = int(t["Maximum resident set size (kbytes)"]) / 1024
print(f"conversion: {conv['records']:,} records -> {conv['ops']:,} ops, {conv['distinct_keys']:,} keys "
      f"(peak live {conv['peak_live']:,}); wall {wall:.1f} s, CPU {cpu:.1f} s "
      f"(user {t['User time (seconds)']}, system {t['System time (seconds)']}); peak RSS {rss_mb:.0f} MB; "
      f"{per_second(conv['records'], wall)} records/s of wall time, {per_second(conv['records'], cpu)} per CPU-second; "
      f"trace file {(work / 'scale.dstrace').stat().st_size / 1e9:.2f} GB")

rates = {"mapped": [], "in_memory": []}
rss = {"mapped": [], "in_memory": []}
competing = 0
for r in range(1, rounds + 1):
    for mode in rates:
        cell = work / "cells" / f"r{r}-{mode}"
        s = json.loads((cell / "sidecar.json").read_text())
        rates[mode].append(s["throughput"]["headline"]["median_ops_per_second"])
        rss[mode].append(int(gnu_time(cell / "time")["Maximum resident set size (kbytes)"]) / 1024)
        competing += bool(s["machine_load"]["competing"])
ratios = [m / i for m, i in zip(rates["mapped"], rates["in_memory"])]
print("replay (timed pass, ops/s; order mapped-first in odd rounds):")
for r, (m, i, q) in enumerate(zip(rates["mapped"], rates["in_memory"], ratios), 1):
    print(f"  round {r}: mapped {m / 1e6:.2f}M  in memory {i / 1e6:.2f}M  ratio {q:.3f}")
print(f"mapped / in memory: {spread(ratios)}")
print(f"mapped ops/s: {spread(rates['mapped'])}; in memory ops/s: {spread(rates['in_memory'])}")
print(f"peak RSS of a cell (MB): mapped {spread(rss['mapped'])}; in memory {spread(rss['in_memory'])}")
print(f"cells flagged as measured beside a competing process: {competing} of {2 * rounds}")
EOF
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
