"""Do repetitions agree with each other? Two checks anyone can rerun on an
otherwise idle machine (docs/harness.md, "Long enough to measure"):

1. processes: N separate dstudy_bench processes of one cell (default
   absl_flat_hash_map, steady_churn.fill55, quick, u64, glibc), each with 3
   repetitions; per process the max/min of its repetitions' headlines.
   Passes when at most one process in ten exceeds --max-ratio (1.10).
2. runs: M `study run` invocations of two containers under two allocators
   (default absl_flat_hash_map and boost_unordered_flat_map, glibc and
   mimalloc); per run and container the second allocator's headline over the
   first's. Passes when every ratio lies within --ratio-band (0.90-1.10): the
   containers are the same under both allocators on that cell (no allocation
   in the steady churn of a flat table), so any other ratio is the machine.

Prints a markdown report (and writes it with --markdown FILE); exit 0 when
both checks pass, 1 when one fails, 2 on a usage error. Nothing else may run
on the machine meanwhile: the figures are timings."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .allocators import load as load_allocators

REPO_ROOT = Path(__file__).resolve().parents[2]
STUDY = REPO_ROOT / "scripts" / "study"


def parser():
    p = argparse.ArgumentParser(prog="scripts/repeatability", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", default=str(REPO_ROOT / "build" / "release" / "dstudy_bench"),
                   help="the dstudy_bench to run (default build/release/dstudy_bench)")
    p.add_argument("--impl", default="absl_flat_hash_map", help="the container of check 1")
    p.add_argument("--impls", default="absl_flat_hash_map,boost_unordered_flat_map",
                   help="the two containers of check 2 (comma-separated)")
    p.add_argument("--allocators", default="glibc,mimalloc",
                   help="check 2's allocators: the ratio is the second's headline over the first's")
    p.add_argument("--workload", default="steady_churn.fill55")
    p.add_argument("--kv", default="u64")
    p.add_argument("--size", default="quick")
    p.add_argument("--processes", type=int, default=10, help="check 1's processes (default 10)")
    p.add_argument("--runs", type=int, default=5, help="check 2's `study run` invocations (default 5; 0 skips)")
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--min-time", type=float, help="passed to dstudy_bench (default: its own)")
    p.add_argument("--pin", default=str(os.cpu_count() - 1 if os.cpu_count() else 0),
                   help="CPU to pin every process to (taskset -c; default the last CPU)")
    p.add_argument("--max-ratio", type=float, default=1.10, help="check 1's bound on max/min")
    p.add_argument("--ratio-band", default="0.90,1.10", help="check 2's band for the allocator ratio")
    p.add_argument("--markdown", metavar="FILE", help="also write the report here")
    return p


def headlines(sidecar):
    return sidecar["throughput"]["headline"]["per_repetition"]


def disturbed(sidecar):
    return sum(1 for r in sidecar["throughput"]["repetitions"] if (r.get("diagnostics") or {}).get("disturbed"))


def one_process(args, out_dir):
    cmd = ["taskset", "-c", args.pin, args.bench, "--impl", args.impl, "--workload", args.workload,
           "--kv", args.kv, "--size", args.size, "--repetitions", str(args.repetitions), "--no-latency",
           "--expect-allocator", "glibc", "--out-dir", str(out_dir)]
    if args.min_time is not None:
        cmd += ["--min-time", str(args.min_time)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads((out_dir / "sidecar.json").read_text())


def check_processes(args, tmp, lines):
    lines += [f"### {args.processes} processes of {args.impl}, {args.workload}, {args.size}, {args.kv}, "
              f"glibc, {args.repetitions} repetitions each, pinned to CPU {args.pin}", "",
              "| process | headlines (Mops/s) | max/min | disturbed |", "|---|---|---|---|"]
    within = 0
    for i in range(args.processes):
        sidecar = one_process(args, tmp / f"process-{i + 1}")
        reps = headlines(sidecar)
        ratio = max(reps) / min(reps)
        within += ratio <= args.max_ratio
        lines.append(f"| {i + 1} | {' '.join(f'{x / 1e6:.1f}' for x in reps)} | {ratio:.3f} | "
                     f"{disturbed(sidecar)} |")
        print(lines[-1], file=sys.stderr)
    needed = args.processes - args.processes // 10
    ok = within >= needed
    lines += ["", f"{within} of {args.processes} processes have max/min <= {args.max_ratio:.2f} "
              f"(needed: {needed}): {'pass' if ok else 'FAIL'}", ""]
    return ok


def study_run(args, results_dir):
    cmd = [str(STUDY), "run", "--profile", "quick", "--size", args.size, "--impl", args.impls,
           "--workload", args.workload, "--kv", args.kv, "--allocator", args.allocators,
           "--repetitions", str(args.repetitions), "--no-latency", "--pin", args.pin,
           "--bench", args.bench, "--no-build", "--stream-cache", "none", "--quiet",
           "--results-dir", str(results_dir)]
    if args.min_time is not None:
        cmd += ["--min-time", str(args.min_time)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    cells = json.loads((results_dir / "latest" / "results.json").read_text())["cells"]
    return {(c["impl"], c["allocator"]): c["sidecar"]["throughput"]["headline"]["median_ops_per_second"]
            for c in cells if c.get("status") == "ok"}


def check_runs(args, tmp, lines):
    impls = args.impls.split(",")
    base, other = args.allocators.split(",")
    low, high = (float(x) for x in args.ratio_band.split(","))
    lines += [f"### {args.runs} `study run` invocations: {', '.join(impls)} under {base} and {other}, "
              f"{args.workload}, {args.size}, {args.kv}, {args.repetitions} repetitions, pinned to CPU {args.pin}",
              "", "| run | " + " | ".join(f"{i}: {other} / {base}" for i in impls) + " |",
              "|---|" + "---|" * len(impls)]
    ratios = []
    for k in range(args.runs):
        rates = study_run(args, tmp / f"run-{k + 1}")
        row = []
        for impl in impls:
            if (impl, base) not in rates or (impl, other) not in rates:
                raise RuntimeError(f"run {k + 1}: no headline for {impl} under both {base} and {other}")
            ratio = rates[(impl, other)] / rates[(impl, base)]
            ratios.append(ratio)
            row.append(f"{ratio:.3f} ({rates[(impl, base)] / 1e6:.1f} vs {rates[(impl, other)] / 1e6:.1f} Mops/s)")
        lines.append(f"| {k + 1} | " + " | ".join(row) + " |")
        print(lines[-1], file=sys.stderr)
    ok = all(low <= r <= high for r in ratios)
    lines += ["", f"ratios from {min(ratios):.3f} to {max(ratios):.3f}, median {statistics.median(ratios):.3f}; "
              f"every one within {low:.2f}-{high:.2f}: {'pass' if ok else 'FAIL'}", ""]
    return ok


def main(argv=None):
    args = parser().parse_args(argv)
    if not Path(args.bench).exists():
        print(f"repeatability: {args.bench} does not exist: build it first (cmake --build --preset release)",
              file=sys.stderr)
        return 2
    if len(args.impls.split(",")) < 1 or len(args.allocators.split(",")) != 2:
        print("repeatability: --allocators takes exactly two names, e.g. glibc,mimalloc", file=sys.stderr)
        return 2
    unknown = [a for a in args.allocators.split(",") if a not in load_allocators()]
    if unknown:
        print(f"repeatability: unknown allocator {', '.join(unknown)}", file=sys.stderr)
        return 2
    lines = []
    try:
        with tempfile.TemporaryDirectory(prefix="dstudy-repeatability-") as t:
            tmp = Path(t)
            ok = check_processes(args, tmp, lines)
            if args.runs > 0:
                ok = check_runs(args, tmp, lines) and ok
    except RuntimeError as e:
        print(f"repeatability: {e}", file=sys.stderr)
        return 1
    report = "\n".join(lines)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report + "\n")
    return 0 if ok else 1
