#!/usr/bin/python3
"""A stand-in for dstudy_bench obeying its command line, for the runner's
tests. It writes a sidecar in the shape docs/schema/sidecar.schema.json
documents, with made-up but consistent figures. Behaviour on purpose, by
environment variable (comma-separated impls):
  FAKE_BENCH_CRASH      abort (SIGABRT) in these impls
  FAKE_BENCH_HANG       sleep 120 s in these impls (for timeouts)
  FAKE_BENCH_OOM        die of std::bad_alloc in these impls
  FAKE_BENCH_CHECK      exit 3 (correctness check failed) in these impls
  FAKE_BENCH_NOT_APPLICABLE  exit 5 (the workload needs iteration) in these impls
  FAKE_BENCH_COMPETING  these impls' cells say machine_load.competing (with a reason)
  FAKE_BENCH_OLD_SCHEMA these impls write a sidecar of schema version 1
  FAKE_BENCH_SLEEP      seconds every cell takes
  FAKE_BENCH_CPU_MODEL  the CPU model the sidecar names (default "fake")
  FAKE_BENCH_LOG        append one JSON line per cell run (argv, LD_PRELOAD, env)
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from dstudy_runner.contract import (EXIT_ALLOCATOR, EXIT_CHECK, EXIT_NOT_APPLICABLE, EXIT_OK, EXIT_USAGE,  # noqa: E402
                                    HEADLINE_LAYER, LAYERS, MIN_SAMPLES, OP_TYPES, SIDECAR_SCHEMA_VERSION,
                                    SPREAD_WARNING_PCT)

# The op types a generated preset has (a trace adds update and erase_miss).
PRESET_OP_TYPES = OP_TYPES[:4]

LISTING = {
    "impls": [
        {"name": "alpha", "origin": "library", "thread_safe": False, "ordered": False, "kv": ["u64", "string"]},
        {"name": "beta", "origin": "library", "thread_safe": False, "ordered": True, "kv": ["u64"]},
        {"name": "gamma_conc", "origin": "study", "thread_safe": True, "ordered": False, "kv": ["u64", "string"]},
    ],
    "workloads": [
        {"name": "churn", "description": "steady churn", "kv": ["u64", "string"], "threads": 1,
         "sizes": ["quick", "medium", "full"]},
        {"name": "drain", "description": "bulk load then drain", "kv": ["u64"], "threads": 1,
         "sizes": ["quick", "full"]},
        {"name": "conc", "description": "shared map", "kv": ["u64"], "threads": 2,
         "sizes": ["quick", "medium", "full"]},
    ],
}
# workload -> [(phase, role, headline, share of the ops)]
PHASES = {
    "churn": [("load", "load", False, 0.2), ("churn", "steady", True, 0.8)],
    "drain": [("load", "load", False, 0.5), ("drain_90", "drain", True, 0.5)],
    "conc": [("load", "load", False, 0.2), ("churn", "steady", True, 0.8)],
}
SIZE_OPS = {"quick": 10_000, "medium": 100_000, "full": 1_000_000}
# workload -> the op type its headline phases do most (sidecar.workload.dominant_op)
DOMINANT = {"churn": "find_hit", "drain": "erase", "conc": "find_hit"}
FAMILIES = ("jemalloc", "mimalloc", "tcmalloc")
MEASURED_LAYERS = [layer for layer in LAYERS if layer != "payload_bytes"]


def named(var, impl):
    return impl in [x for x in os.environ.get(var, "").split(",") if x]


def detected_allocator():
    preload = os.path.basename(os.environ.get("LD_PRELOAD", ""))
    return next((f for f in FAMILIES if f in preload), "glibc")


def summary(values):
    """The throughput summary of docs/result-schema.md over per-process values."""
    med = statistics.median(values)
    mad_pct = 100.0 * statistics.median(abs(v - med) for v in values) / med
    return {"median_ops_per_second": med, "min_ops_per_second": min(values),
            "max_ops_per_second": max(values), "mad_pct": mad_pct, "samples": len(values),
            "spread_warning": len(values) >= 2 and mad_pct >= SPREAD_WARNING_PCT,
            "per_repetition": list(values)}


def throughput(phases, reps, base):
    """Each repetition is its own process; its warm pass a little faster than
    its cold (first) pass."""
    def passes(scale):
        out = []
        for r in range(reps):
            rate = base * scale * (1 + 0.01 * r)
            rows = [{"name": n, "ops": ops, "seconds": ops / rate, "ops_per_second": rate}
                    for n, _, _, ops in phases]
            out.append({"process": 10_000 + r, "total_ops": sum(p[3] for p in phases),
                        "seconds": sum(x["seconds"] for x in rows), "headline_ops_per_second": rate,
                        "phases": rows})
        return out
    warm, cold = passes(1.0), passes(0.8)
    for w in warm:  # one warm pass each, undisturbed
        rate = w["headline_ops_per_second"]
        w["diagnostics"] = {"passes": 1, "headline_seconds": w["seconds"], "pass_ops_per_second": [rate],
                            "minor_faults": 0, "major_faults": 0, "voluntary_switches": 0,
                            "involuntary_switches": 0, "steal_seconds": 0.0, "disturbed": False,
                            "reason": None, "remeasured": 0}
    head = [n for n, _, h, _ in phases if h]
    load = [n for n, role, _, _ in phases if role == "load"]

    def fig(names, runs):
        if not names:
            return None
        s = summary([r["headline_ops_per_second"] for r in runs])
        return {"phases": names, "ops": sum(p[3] for p in phases if p[0] in names), **s}
    return {"independence": "process", "headline": fig(head, warm), "build": fig(load, warm),
            "cold": {"headline": fig(head, cold), "build": fig(load, cold)},
            "phases": [{"name": n, "role": role, "headline": h,
                        **{k: v for k, v in summary([base * (1 + 0.01 * r) for r in range(reps)]).items()
                           if k not in ("spread_warning", "per_repetition")}}
                       for n, role, h, _ in phases],
            "repetitions": warm, "cold_repetitions": cold,
            "spread_warning_pct": SPREAD_WARNING_PCT, "min_headline_seconds": 0.0, "disturbed_repetitions": 0,
            "harness_overhead_ns_per_op": 1.0}


def latency(phases, reps):
    """Every op timed; a percentile is null below its minimum sample count."""
    per_rep = sum(ops for *_, ops in phases) // len(PRESET_OP_TYPES)
    per_op = {}
    for i, op in enumerate(PRESET_OP_TYPES):
        count = per_rep * reps
        ns = {"p50_ns": 40 + i, "p90_ns": 70 + i, "p99_ns": 180 + i, "p999_ns": 900 + i}
        pct = {k: (v if count >= MIN_SAMPLES[k] else None) for k, v in ns.items()}
        rep_pct = {k: (v if per_rep >= MIN_SAMPLES[k] else None) for k, v in ns.items()}
        per_op[op] = {"count": count, "mean_ns": 45.0 + i, **pct, "max_ns": 50_000,
                      "per_repetition": [{"count": per_rep, **rep_pct, "max_ns": 50_000}] * reps,
                      "histogram": {"min_ns": 1, "sub_buckets": 128,
                                    "counts": [[40 + i, count // 2], [70 + i, count - count // 2]]}}
    return {"kind": "service_time", "sampling": {"mode": "every"}, "repetitions": reps,
            "timer_overhead_subtracted_ns": 20.0, "resolution_ns": 10.0,
            "min_samples": dict(MIN_SAMPLES), "per_op": per_op, "by_phase": None}


def layers(value, glibc, live_keys):
    """A snapshot of every memory layer (element heap: none, u64 keys)."""
    out = {"live_keys": live_keys, "element_heap_bytes": 0, **{layer: value for layer in LAYERS}}
    if glibc:  # mallinfo2 is too slow for the loop: no allocator layers there
        out["allocator_allocated_bytes"] = out["allocator_resident_bytes"] = None
    return out


def memory(phases, glibc, sample_every):
    """Series samples at each phase's first op, every sample_every ops (by
    default about 256 over the stream, as dstudy_bench) and after the last op."""
    total = sum(ops for *_, ops in phases)
    every = sample_every or max(total // 256, 1)
    series, phase_end, op = [], [], 0
    for name, role, _, ops in phases:
        at_begin = layers(op * 16, glibc, op)
        for at in [op] + [k for k in range(op - op % every + every, op + ops, every)]:
            series.append({"op": at, "phase": name, **layers(at * 16, glibc, at)})
        op += ops
        phase_end.append({"phase": name, "role": role, "begin_op": op - ops, "end_op": op,
                          "live_keys": op, "peak_rss_bytes": op * 32, "at_begin": at_begin,
                          "after": layers(op * 16, glibc, op),
                          "after_idle": [{"seconds": 0.1, **layers(op * 16, glibc, op)}],
                          "after_purge": layers(op * 8, glibc, op), "after_compact": None,
                          "probe_lengths": None,
                          "internals": {"bytes": op * 16, "capacity": None, "max_load": None,
                                        "tombstones": None, "compactions": None,
                                        "compaction_ns": None, "reclaim_pending_bytes": None,
                                        "reclaim_pending_peak_bytes": None},
                          "heap_activity": {"allocations": ops // 64, "deallocations": ops // 64,
                                            "bytes_requested": ops * 16}})
    steady = next((n for n, role, _, _ in phases if role == "steady"), None)
    drain = next((n for n, role, _, _ in phases if role == "drain"), None)

    def figures(layer):
        none = glibc and layer.startswith("allocator_")
        return {"growth_pct": None if none else 0.5, "slope_bytes_per_mop": None if none else 100.0,
                "space_amplification": None if none else 2.0,
                "retention": None if none or not drain else 0.9,
                "retention_after_idle": None if none or not drain else 0.8,
                "retention_after_purge": None if none or not drain else 0.2}
    per_layer = {layer: figures(layer) for layer in MEASURED_LAYERS}
    head = per_layer[HEADLINE_LAYER]
    derived = {"headline_layer": HEADLINE_LAYER, "steady_phase": steady, "drain_phase": drain,
               "growth_pct": head["growth_pct"], "slope_bytes_per_mop": head["slope_bytes_per_mop"],
               "retention": head["retention"], "space_amplification": head["space_amplification"],
               "layers": per_layer,
               "drains": [{"phase": n, "layers": {layer: {k: v for k, v in figures(layer).items()
                                                          if k.startswith("retention")}
                                                  for layer in MEASURED_LAYERS}}
                          for n, role, _, _ in phases if role == "drain"]}
    baseline = {k: 0 for k in ("heap_bytes", "rss_bytes", "allocator_allocated_bytes",
                               "allocator_resident_bytes")}
    series.append({"op": op, "phase": phases[-1][0], **layers(op * 16, glibc, op)})
    return {"sample_every_ops": every, "from_repetition": 0, "baseline": baseline,
            "series": series, "phase_end": phase_end, "derived": derived}


def machine_load(impl, threads):
    competing = named("FAKE_BENCH_COMPETING", impl)
    return {"wall_s": 0.5, "cores": 2, "cell_threads": threads,
            "other_busy_cores": 0.9 if competing else 0.02, "steal_pct": 0.0,
            "loadavg_1m": 1.2 if competing else 0.1, "competing": competing,
            "reason": "other processes kept 0.90 cores busy (> 0.5)" if competing else None}


def open_loop(a, threads):
    """The open_loop section of --open-loop F,F (the real bench refuses it
    for a concurrent workload, exit 2: main checks that first)."""
    if not a.open_loop:
        return None

    def times(ns):
        return {"all": {"count": 1000, "p50_ns": ns, "p90_ns": ns, "p99_ns": 2 * ns, "p999_ns": None,
                        "max_ns": 40 * ns}}
    stall = {"op": 10, "phase": "churn", "service_ns": 4000, "start_lag_ns": 0, "ops_delayed": 3,
             "backlog_clear_ns": 500, "backlog_cleared": True, "cause": None,
             "capacity_before": None, "capacity_after": None, "repetition": 0}
    rates = []
    for f in (float(x) for x in a.open_loop.split(",")):
        rates.append({"fraction": f, "target_ops_per_second": f * 1e6,
                      "per_repetition_target_ops_per_second": [f * 1e6],
                      "per_repetition_basis_ops_per_second": [1e6],
                      "completed_ops_per_second": f * 1e6, "paced_ops": 1000, "late_ops": 10,
                      "late_fraction": 0.01, "involuntary_switches": 0,
                      "response": times(int(100 / (1 - f))), "service": times(100),
                      "start_lag": times(10)["all"], "longest_stall": stall, "stalls": [stall]})
    return {"kind": "open_loop", "arrivals": a.arrivals or "constant", "rate_basis": "latency_pass",
            "paced_phases": ["churn"], "unpaced_phases": ["load"], "repetitions": 1,
            "timer_overhead_subtracted_ns": 20.0, "resolution_ns": 10.0, "late_threshold_ns": 1000,
            "stall_threshold_ns": 10000, "knee_response_over_service": 2.0, "min_samples": dict(MIN_SAMPLES),
            "knee": None, "rates": rates}


def sweep_live(size):
    """N of a sweep point n<N> (the real bench: the full profile at N keys)."""
    return int(size[1:]) if size[:1] == "n" and size[1:].isdigit() else None


def sidecar(a, wl, threads):
    total = SIZE_OPS[a.size] if a.size in SIZE_OPS else 10 * sweep_live(a.size)
    phases = [(n, role, h, int(total * share)) for n, role, h, share in PHASES[a.workload]]
    reps = a.repetitions
    glibc = detected_allocator() == "glibc"
    base = 1e6 + 1000 * (sum(a.impl.encode()) % 100)
    ops = {op: total // len(PRESET_OP_TYPES) if op in PRESET_OP_TYPES else 0 for op in OP_TYPES}
    on = a.latency or (not a.no_latency and threads == 1)
    return {
        "schema_version": 1 if named("FAKE_BENCH_OLD_SCHEMA", a.impl) else SIDECAR_SCHEMA_VERSION,
        "cell": {"impl": a.impl, "workload": a.workload, "kv": a.kv, "threads": threads,
                 "size": a.size, "seed": a.seed or 42, "initial_size": phases[0][3], "fill": None,
                 "fill_requested": None, "growth_point": None, "nominal_initial_size": phases[0][3],
                 "reserved": None, "total_ops": total, "repetitions": reps,
                 "allocator_requested": a.expect_allocator},
        "workload": {"phases": [{"name": n, "role": role, "headline": h, "ops": o,
                                 "ops_by_type": {op: o // len(PRESET_OP_TYPES) if op in PRESET_OP_TYPES else 0
                                                 for op in OP_TYPES}}
                                for n, role, h, o in phases],
                     "headline_phases": [n for n, _, h, _ in phases if h],
                     "dominant_op": DOMINANT[a.workload],
                     "retention_phase": next((n for n, role, _, _ in phases if role == "drain"), None)},
        "environment": {"host": "fake-host", "cpu_model": os.environ.get("FAKE_BENCH_CPU_MODEL", "fake"),
                        "cores": 2, "governor": None, "cache_bytes": {"L2": 1048576},
                        "turbo": None, "kernel": "fake",
                        "compiler": "fake-c++ 1.0", "cxx_flags": "-O3", "build_type": "Release",
                        "allocator": {"name": detected_allocator(), "version": "fake-1"},
                        "allocator_env": {"LD_PRELOAD": os.environ.get("LD_PRELOAD", "")},
                        "libraries": {}, "git_revision": "0" * 40, "command_line": " ".join(sys.argv)},
        "timer": {"source": "fake", "ticks_per_ns": 1.0, "overhead_ns": 20.0, "resolution_ns": 10.0,
                  "resolution_ticks": 10, "invariant_tsc": True, "calibration_ms": 50},
        "machine_load": machine_load(a.impl, threads),
        "throughput": throughput(phases, reps, base),
        "latency": latency(phases, min(reps, a.latency_repetitions or reps)) if on else None,
        "memory": memory(phases, glibc, a.memory_sample_every),
        "open_loop": open_loop(a, threads),
        "checks": {"expected": ops, "observed": ops, "checksum": {"expected": 7, "observed": 7},
                   "ok": True, "message": None},
    }


def gbench(a, side):
    name = f"{a.impl}/{a.workload}/{a.kv}/throughput"
    runs = side["throughput"]["repetitions"]
    return {"context": {"date": "2025-01-01T00:00:00+00:00", "num_cpus": 2, "library_build_type": "release"},
            "benchmarks": [{"name": name, "run_name": name, "run_type": "iteration",
                            "repetitions": len(runs), "repetition_index": i, "iterations": 1,
                            "real_time": r["seconds"] * 1e9, "cpu_time": r["seconds"] * 1e9,
                            "time_unit": "ns", "items_per_second": r["headline_ops_per_second"]}
                           for i, r in enumerate(runs)]}


def main():
    # The real dstudy_bench's options; an option it does not take (such as
    # the dropped --latency-sample-every) is a usage error, exit 2, here too.
    p = argparse.ArgumentParser()
    p.add_argument("--list", action="store_true")
    for opt in ("impl", "workload", "kv", "out-dir", "workloads-dir", "expect-allocator"):
        p.add_argument("--" + opt)
    p.add_argument("--size", default="quick")
    p.add_argument("--repetitions", type=int, default=1)
    for opt in ("memory-sample-every", "seed"):
        p.add_argument("--" + opt, type=int)
    p.add_argument("--latency", action="store_true")
    p.add_argument("--no-latency", action="store_true")
    p.add_argument("--latency-repetitions", type=int)
    p.add_argument("--open-loop")
    p.add_argument("--arrivals", choices=["constant", "poisson"])
    p.add_argument("--stream-cache")
    a = p.parse_args()
    if a.list:
        print(json.dumps(LISTING))
        return EXIT_OK
    impl = next((i for i in LISTING["impls"] if i["name"] == a.impl), None)
    wl = next((w for w in LISTING["workloads"] if w["name"] == a.workload), None)
    if not impl or not wl or a.kv not in impl["kv"] or a.kv not in wl["kv"] or not a.out_dir:
        print("fake_bench: bad cell", file=sys.stderr)
        return EXIT_USAGE
    if a.size not in wl["sizes"] and not (sweep_live(a.size) and "full" in wl["sizes"]):
        print(f"fake_bench: workload {a.workload} has no size profile '{a.size}'", file=sys.stderr)
        return EXIT_USAGE
    if a.open_loop and a.latency_repetitions:
        print("fake_bench: --latency-repetitions does not combine with open-loop passes", file=sys.stderr)
        return EXIT_USAGE
    if a.open_loop and wl["threads"] > 1:
        print("fake_bench: --open-loop paces one-thread workloads only", file=sys.stderr)
        return EXIT_USAGE
    if os.environ.get("FAKE_BENCH_LOG"):
        with open(os.environ["FAKE_BENCH_LOG"], "a") as f:
            env = {k: v for k, v in os.environ.items()
                   if k.startswith(("LD_PRELOAD", "MALLOC_", "MIMALLOC_", "TCMALLOC_"))}
            f.write(json.dumps({"argv": sys.argv[1:], "env": env}) + "\n")
    print(f"fake_bench: running {a.impl}/{a.workload}/{a.kv}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get("FAKE_BENCH_SLEEP", "0")))
    if a.expect_allocator and a.expect_allocator != detected_allocator():
        print(f"allocator mismatch: expected {a.expect_allocator}, found {detected_allocator()}",
              file=sys.stderr)
        return EXIT_ALLOCATOR
    if named("FAKE_BENCH_CRASH", a.impl):
        print("fake_bench: crashing on purpose", file=sys.stderr, flush=True)
        os.abort()
    if named("FAKE_BENCH_HANG", a.impl):
        time.sleep(120)
    if named("FAKE_BENCH_OOM", a.impl):
        print("terminate called after throwing an instance of 'std::bad_alloc'", file=sys.stderr, flush=True)
        os.abort()
    if named("FAKE_BENCH_NOT_APPLICABLE", a.impl):
        print(f"dstudy_bench: not applicable: impl '{a.impl}' does not offer iteration", file=sys.stderr)
        return EXIT_NOT_APPLICABLE
    if named("FAKE_BENCH_CHECK", a.impl):
        print("check failed: find_hit expected 10 observed 9", file=sys.stderr)
        return EXIT_CHECK
    side = sidecar(a, wl, wl["threads"])
    if side["machine_load"]["competing"]:
        print(f"dstudy_bench: warning: {side['machine_load']['reason']}", file=sys.stderr)
    os.makedirs(a.out_dir, exist_ok=True)
    for fname, data in (("gbench.json", gbench(a, side)), ("sidecar.json", side)):
        with open(os.path.join(a.out_dir, fname), "w") as f:
            json.dump(data, f)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
