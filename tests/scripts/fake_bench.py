#!/usr/bin/python3
"""A stand-in for dstudy_bench obeying its command line, for the runner's
tests. Behaviour on purpose, by environment variable (comma-separated impls):
  FAKE_BENCH_CRASH  abort (SIGABRT) in these impls
  FAKE_BENCH_HANG   sleep 120 s in these impls (for timeouts)
  FAKE_BENCH_OOM    die of std::bad_alloc in these impls
  FAKE_BENCH_CHECK  exit 3 (correctness check failed) in these impls
  FAKE_BENCH_SLEEP  seconds every cell takes
  FAKE_BENCH_LOG    append one JSON line per cell run (argv, LD_PRELOAD, env)
"""
import argparse
import json
import os
import sys
import time

LISTING = {
    "impls": [
        {"name": "alpha", "thread_safe": False, "ordered": False, "kv": ["u64", "str"]},
        {"name": "beta", "thread_safe": False, "ordered": True, "kv": ["u64"]},
        {"name": "gamma_conc", "thread_safe": True, "ordered": False, "kv": ["u64", "str"]},
    ],
    "workloads": [
        {"name": "churn", "description": "steady churn", "kv": ["u64", "str"], "threads": 1},
        {"name": "drain", "description": "bulk load then drain", "kv": ["u64"], "threads": 1},
        {"name": "conc", "description": "shared map", "kv": ["u64"], "threads": 2},
    ],
}
FAMILIES = ("jemalloc", "mimalloc", "tcmalloc")


def named(var, impl):
    return impl in [x for x in os.environ.get(var, "").split(",") if x]


def detected_allocator():
    preload = os.path.basename(os.environ.get("LD_PRELOAD", ""))
    return next((f for f in FAMILIES if f in preload), "glibc")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--list", action="store_true")
    for opt in ("impl", "workload", "kv", "size", "out-dir", "workloads-dir", "expect-allocator"):
        p.add_argument("--" + opt)
    for opt in ("repetitions", "latency-sample-every", "memory-sample-every", "seed"):
        p.add_argument("--" + opt, type=int)
    p.add_argument("--latency", action="store_true")
    p.add_argument("--no-latency", action="store_true")
    a = p.parse_args()
    if a.list:
        print(json.dumps(LISTING))
        return 0
    impl = next((i for i in LISTING["impls"] if i["name"] == a.impl), None)
    wl = next((w for w in LISTING["workloads"] if w["name"] == a.workload), None)
    if not impl or not wl or a.kv not in impl["kv"] or a.kv not in wl["kv"] or not a.out_dir \
            or a.size not in ("quick", "full"):
        print("fake_bench: bad cell", file=sys.stderr)
        return 2
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
        return 4
    if named("FAKE_BENCH_CRASH", a.impl):
        print("fake_bench: crashing on purpose", file=sys.stderr, flush=True)
        os.abort()
    if named("FAKE_BENCH_HANG", a.impl):
        time.sleep(120)
    if named("FAKE_BENCH_OOM", a.impl):
        print("terminate called after throwing an instance of 'std::bad_alloc'", file=sys.stderr, flush=True)
        os.abort()
    if named("FAKE_BENCH_CHECK", a.impl):
        print("check failed: find_hit expected 10 observed 9", file=sys.stderr)
        return 3
    name = f"{a.impl}/{a.workload}/{a.kv}/throughput"
    gbench = {"context": {"date": "2025-01-01T00:00:00+00:00", "num_cpus": 2, "library_build_type": "release"},
              "benchmarks": [{"name": name, "run_name": name, "run_type": "iteration", "repetitions": a.repetitions,
                              "repetition_index": 0, "iterations": 1, "real_time": 1.0, "cpu_time": 1.0,
                              "time_unit": "ns", "items_per_second": 1e6}]}
    sidecar = {"schema_version": 1,
               "cell": {"impl": a.impl, "workload": a.workload, "kv": a.kv, "threads": wl["threads"],
                        "size": a.size, "seed": a.seed or 42, "initial_size": 10, "fill": None,
                        "allocator_requested": a.expect_allocator},
               "environment": {"cpu_model": "fake", "cores": 2, "governor": None, "kernel": "fake",
                               "compiler": "fake-c++ 1.0", "cxx_flags": "-O3", "build_type": "Release",
                               "allocator": {"name": detected_allocator(), "version": "fake-1"},
                               "libraries": {}, "git_revision": "0" * 40, "command_line": " ".join(sys.argv)},
               "timer": {"source": "fake", "ticks_per_ns": 1.0, "overhead_ns": 0.0},
               "throughput": {"repetitions": [], "median_ops_per_second": 1e6, "min_ops_per_second": 1e6,
                              "max_ops_per_second": 1e6, "mad_pct": 0.0, "spread_warning": False,
                              "harness_overhead_ns_per_op": 0.0},
               "latency": None,
               "memory": {"sample_every_ops": 1, "baseline": {}, "series": [], "phase_end": [], "derived": {}},
               "checks": {"expected": {}, "observed": {}, "ok": True}}
    os.makedirs(a.out_dir, exist_ok=True)
    for fname, data in (("gbench.json", gbench), ("sidecar.json", sidecar)):
        with open(os.path.join(a.out_dir, fname), "w") as f:
            json.dump(data, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
