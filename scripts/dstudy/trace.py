"""`study run --trace FILE`: a recorded trace as a workload (docs/traces.md).

The trace is converted once, before anything is timed, by dstudy_trace
convert, into RESULTS/traces/<content hash>/<name>.dstrace beside a workload
spec <name>.json that names it; the run then uses that folder as its
workloads folder, so every cell replays the trace like any preset. A second
run of the same file (same content, format and time unit, and the same
trace format version) reuses the conversion. <name> is the file's name up to its first dot, made safe for a
workload name.
"""
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

from . import bench, build

FORMATS = ("csv", "twitter", "oraclegeneral", "dstrace")
TIME_UNITS = ("s", "ms", "us", "ns")
KV = ["u64", "inline32", "string", "blob1k"]  # keys and values are made from the key seeds
# The .dstrace format version dstudy_trace writes (kVersion in
# bench/trace/trace_format.h; a test compares them): part of the conversion's
# cache key, so a conversion by an older format is made again.
FORMAT_VERSION = 3


class TraceError(RuntimeError):
    """A trace that cannot be used; the message names the file (exit 2)."""


def detect_format(path):
    """The format a file's name or first line says: *.dstrace, a name with
    oracleGeneral in it, or a text file whose first line has 7 fields
    (twitter/cache-trace) or 2 to 4 (csv)."""
    name = path.name.lower()
    if name.endswith(".dstrace"):
        return "dstrace"
    if "oraclegeneral" in name:
        return "oraclegeneral"
    try:
        with open(path, "rb") as f:
            first = f.readline(4096).decode("utf-8", errors="replace").strip()
    except OSError as e:
        raise TraceError(f"{path}: cannot read: {e}") from e
    fields = first.count(",") + 1
    if fields == 7:
        return "twitter"
    if 2 <= fields <= 4:
        return "csv"
    raise TraceError(f"{path}: cannot tell its format (first line has {fields} comma-separated fields); "
                     f"pass --trace-format {'|'.join(FORMATS)}")


def workload_name(path):
    stem = path.name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem) or "trace"


def content_hash(path, fmt, time_unit):
    h = hashlib.sha256(f"{fmt}\0{time_unit}\0{FORMAT_VERSION}\0".encode())
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def tool_path(bench_path):
    """dstudy_trace beside the bench binary, built with it when missing."""
    tool = Path(bench_path).parent / "dstudy_trace"
    if not tool.exists() and Path(bench_path).parent == bench.DEFAULT_BENCH.parent:
        build.build("dstudy_trace_tool")
    if not tool.exists():
        raise TraceError(f"{tool} not found (build it: cmake --build --preset release --target dstudy_trace_tool)")
    return tool


def _run_tool(argv):
    """dstudy_trace's one line of JSON; its message (naming the file and
    where in it) as a TraceError when it fails."""
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TraceError(proc.stderr.strip() or f"{argv[0]} exited {proc.returncode}")
    return json.loads(proc.stdout)


def key_size_note(key_sizes):
    """What string keys are built from, for the workload's description:
    the recorded key sizes (dstudy_trace's key_sizes summary) or, when the
    trace has none, the kind's own."""
    if not key_sizes:
        return "It records no key sizes: string keys have the kind's own sizes."
    note = (f"String keys have the recorded key sizes ({key_sizes['min']} to {key_sizes['max']} bytes, "
            f"mean {key_sizes['mean']:.1f})")
    if key_sizes["lengthened"]:
        note += (f"; {key_sizes['lengthened']} keys recorded shorter than {key_sizes['built_at_least']} bytes "
                 f"are built at {key_sizes['built_at_least']}, the least that keeps keys distinct")
    return note + "."


def _write_json(path, data):
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def prepare(trace, fmt, time_unit, results_dir, bench_path):
    """The workloads folder holding the trace's spec: converted now, or
    found from an earlier run. Raises TraceError."""
    trace = Path(trace).resolve()
    if not trace.is_file():
        raise TraceError(f"--trace {trace}: no such file")
    fmt = fmt or detect_format(trace)
    name = workload_name(trace)
    folder = Path(results_dir).resolve() / "traces" / content_hash(trace, fmt, time_unit)
    spec_path = folder / f"{name}.json"
    if spec_path.exists():
        return folder, name
    folder.mkdir(parents=True, exist_ok=True)
    tool = str(tool_path(bench_path))
    if fmt == "dstrace":
        target = trace
        stats = _run_tool([tool, "check", str(trace)])
        summary = f"a study trace of {stats['ops']} ops, {stats['distinct_keys']} keys"
    else:
        target = folder / f"{name}.dstrace"
        stats = _run_tool([tool, "convert", "--format", fmt, "--time-unit", time_unit, str(trace), str(target)])
        summary = (f"a {fmt} trace of {stats['records']} requests, {stats['ops']} ops, "
                   f"{stats['distinct_keys']} keys")
    _write_json(spec_path, {"name": name, "kv": KV, "trace": str(target),
                            "description": f"Replay of {trace.name}: {summary}, converted by dstudy_trace. "
                                           f"{key_size_note(stats.get('key_sizes'))}"})
    return folder, name
