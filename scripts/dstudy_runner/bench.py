"""The dstudy_bench command line: its listing and one cell's arguments."""
import json
import subprocess

from . import REPO_ROOT

DEFAULT_BENCH = REPO_ROOT / "build" / "release" / "dstudy_bench"


class BenchError(RuntimeError):
    pass


def listing(bench, workloads_dir=None):
    """`dstudy_bench --list` as a dict with 'impls' and 'workloads'."""
    argv = [str(bench), "--list"]
    if workloads_dir:
        argv += ["--workloads-dir", str(workloads_dir)]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    except (OSError, subprocess.SubprocessError) as e:
        raise BenchError(f"cannot run {bench} --list: {e}") from e
    if proc.returncode != 0:
        raise BenchError(f"{bench} --list exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    try:
        data = json.loads(proc.stdout)
        for impl in data["impls"]:
            impl["name"], impl["kv"]
        for wl in data["workloads"]:
            wl["name"], wl["kv"]
    except (ValueError, KeyError, TypeError) as e:
        raise BenchError(f"{bench} --list printed no valid listing ({e}): {proc.stdout[:500]}") from e
    return data


def cell_argv(bench, cell, settings, out_dir, family, workloads_dir=None, seed=None, pace=None, open_loop=None,
              stream_cache=None):
    """pace: a trace's paced-replay scale (--pace), or None; open_loop: the
    cell's open-loop fractions (Plan.open_loop_of), or None; stream_cache:
    the folder cells share their generated streams through, or None."""
    argv = [str(bench), "--impl", cell.impl, "--workload", cell.workload, "--kv", cell.kv,
            "--size", cell.size or settings["size"], "--out-dir", str(out_dir),
            "--repetitions", str(settings["repetitions"])]
    if workloads_dir:
        argv += ["--workloads-dir", str(workloads_dir)]
    # dstudy_bench times every operation in its latency pass (no sampling)
    argv += ["--latency" if settings["latency"] else "--no-latency"]
    # ... in the first N repetitions only, where the profile says so; not
    # with open-loop passes, whose rates are fractions of each repetition's
    # own latency pass (dstudy_bench refuses the pair)
    if settings["latency"] and settings.get("latency_repetitions") and not open_loop and pace is None:
        argv += ["--latency-repetitions", str(settings["latency_repetitions"])]
    if settings.get("min_time_s") is not None:
        argv += ["--min-time", repr(float(settings["min_time_s"]))]
    if settings.get("memory_sample_every"):
        argv += ["--memory-sample-every", str(settings["memory_sample_every"])]
    if open_loop:
        argv += ["--open-loop", ",".join(f"{f:g}" for f in open_loop),
                 "--arrivals", settings.get("arrivals") or "constant"]
    if family:
        argv += ["--expect-allocator", family]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if pace is not None:
        argv += ["--pace", repr(float(pace))]
    if stream_cache:
        argv += ["--stream-cache", str(stream_cache)]
    return argv
