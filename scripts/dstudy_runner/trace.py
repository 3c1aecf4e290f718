"""`study run --trace FILE`: a recorded trace as a workload (docs/traces.md).

The trace is converted once, before anything is timed, by dstudy_trace
convert, into RESULTS/traces/<content hash>/<name>.dstrace beside a workload
spec <name>.json that names it; the run then uses that folder as its
workloads folder, so every cell replays the trace like any preset. A second
run of the same file (same content, format and time unit, and the same
trace format version, and the same simulated cache) reuses the conversion.
<name> is the file's name up to its first dot, made safe for a workload name.

A compressed trace (zstd, gzip, xz or bzip2, told by its first bytes) is
read through its decompressor: here for the first line that tells the
format, by dstudy_trace for the conversion.
"""
import bz2
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

from . import bench, build

FORMATS = ("csv", "twitter", "oraclegeneral", "kvcache", "dstrace")
EVICTIONS = ("lru", "fifo")
# A compression's magic bytes, its program (which dstudy_trace runs) and
# Debian package, and the file name suffix it usually has.
COMPRESSIONS = (("zstd", b"\x28\xb5\x2f\xfd", "zstd", ".zst"), ("gzip", b"\x1f\x8b", "gzip", ".gz"),
                ("xz", b"\xfd7zXZ\x00", "xz-utils", ".xz"), ("bzip2", re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)"),
                                                             "bzip2", ".bz2"))
_OPENERS = {"gzip": gzip.open, "xz": lzma.open, "bzip2": bz2.open}
# What reading damaged compressed data raises (bz2 raises OSError).
_DAMAGED = (OSError, EOFError, lzma.LZMAError, zlib.error)
TIME_UNITS = ("s", "ms", "us", "ns")
KV = ["u64", "inline32", "string", "blob1k"]  # keys and values are made from the key seeds
# The .dstrace format version dstudy_trace writes (kVersion in
# bench/trace/trace_format.h; a test compares them): part of the conversion's
# cache key, so a conversion by an older format is made again.
FORMAT_VERSION = 3


class TraceError(RuntimeError):
    """A trace that cannot be used; the message names the file (exit 2)."""


def printable(data, limit=64):
    """Bytes (or text) from a trace as they may appear in a message: bytes
    outside printable ASCII as \\xNN, a backslash as \\\\, cut short after
    `limit` (as dstudy_trace's messages quote them)."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    text = "".join("\\\\" if b == 0x5c else chr(b) if 0x20 <= b < 0x7f else f"\\x{b:02x}" for b in data[:limit])
    return text + (f"... ({len(data)} bytes)" if len(data) > limit else "")


def compression_of(head):
    """The compression whose magic `head` starts with, or None."""
    for name, magic, _, _ in COMPRESSIONS:
        if magic.match(head) if isinstance(magic, re.Pattern) else head.startswith(magic):
            return name
    return None


def _package(compression):
    return next(pkg for name, _, pkg, _ in COMPRESSIONS if name == compression)


def open_decompressed(path, compression):
    """A binary file object over the decompressed data. zstd is read
    through the zstd program (the standard library has no zstd); its
    absence is a TraceError naming the compression and the program."""
    if compression in _OPENERS:
        return _OPENERS[compression](path, "rb")
    try:
        proc = subprocess.Popen(["zstd", "-dcq", "--", str(path)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except FileNotFoundError as e:
        raise TraceError(f"{path}: is zstd-compressed, and reading it needs the 'zstd' program, which is "
                         f"not installed (Debian: apt-get install zstd); or decompress it first") from e
    return _Piped(proc)


class _Piped:
    """A decompressing program's output as a file object (closing it stops
    the program)."""

    def __init__(self, proc):
        self.proc = proc

    def read(self, n=-1):
        return self.proc.stdout.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.stdout.close()
        self.proc.kill()
        self.proc.wait()


def head(path):
    """(compression or None, the first 4096 bytes of the data). Raises
    TraceError naming the file when it cannot be read, is empty, or its
    compressed data is damaged."""
    try:
        with open(path, "rb") as f:
            raw = f.read(4096)
    except OSError as e:
        raise TraceError(f"{path}: cannot read: {e.strerror or e}") from e
    if not raw:
        raise TraceError(f"{path}: empty file")
    compression = compression_of(raw)
    if compression is None:
        return None, raw
    try:
        with open_decompressed(path, compression) as f:
            data = f.read(4096)
    except _DAMAGED as e:
        raise TraceError(f"{path}: {compression}-compressed, and its data cannot be decompressed: {e}") from e
    if not data:
        raise TraceError(f"{path}: {compression}-compressed, and empty once decompressed (or its data is damaged)")
    return compression, data


def plain_name(path):
    """The file's name without a compression suffix, lower case."""
    name = path.name.lower()
    for _, _, _, suffix in COMPRESSIONS:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


KVCACHE_COLUMNS = {"key", "op", "op_count"}


def detect_format(path):
    """The format a file's name or first line says: *.dstrace, a name with
    oracleGeneral in it, a header naming key, op and op_count (CacheLib's
    kvcache), or a text file whose first line has 7 fields
    (twitter/cache-trace) or 2 to 4 (csv). A compressed file's name and
    data are read as they are once decompressed."""
    compression, data = head(path)
    name = plain_name(path)
    if name.endswith(".dstrace"):
        return "dstrace"
    if "oraclegeneral" in name:
        return "oraclegeneral"
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    where = f"{path}{f' ({compression}-decompressed)' if compression else ''}"
    if b"\0" in first or not first.strip():
        raise TraceError(f"{where}: cannot tell its format: the first line is "
                         f"{'empty' if not first.strip() else 'binary'} ('{printable(first)}'); "
                         f"pass --trace-format {'|'.join(FORMATS)}")
    fields = first.split(b",")
    if KVCACHE_COLUMNS <= {f.strip().decode("ascii", "replace") for f in fields}:
        return "kvcache"
    if len(fields) == 7:
        return "twitter"
    if 2 <= len(fields) <= 4:
        return "csv"
    raise TraceError(f"{where}: line 1: cannot tell its format ({len(fields)} comma-separated fields in "
                     f"'{printable(first)}'); pass --trace-format {'|'.join(FORMATS)}")


def workload_name(path):
    stem = path.name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem) or "trace"


def content_hash(path, fmt, time_unit, cache=None):
    """A conversion's cache key: the input's content and everything the
    conversion is made with. cache: (size, eviction) of a simulated cache."""
    h = hashlib.sha256(f"{fmt}\0{time_unit}\0{FORMAT_VERSION}\0".encode())
    if cache:
        h.update(f"cache\0{cache[0]}\0{cache[1]}\0".encode())
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
    proc = subprocess.run(argv, capture_output=True, text=True, errors="backslashreplace")
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


def cache_note(cache):
    """The simulated cache, for the workload's description: dstudy_trace's
    cache summary, or None."""
    if not cache:
        return ""
    unit = "bytes" if cache["unit"] == "bytes" else "keys"
    return (f" Replayed through a simulated {cache['eviction'].upper()} cache of {cache['capacity']} {unit}: "
            f"miss ratio {cache['miss_ratio']:.4f} ({cache['misses']} misses of {cache['lookups']} lookups), "
            f"{cache['evictions']} evictions (each an erase)"
            + (f", {cache['rejected']} objects larger than the cache not admitted" if cache["rejected"] else "")
            + ".")


def _decompress(src, compression, target):
    """A compressed .dstrace, decompressed beside its spec (the harness maps
    the file, so it must be plain)."""
    partial = target.with_name(target.name + ".partial")
    try:
        with open_decompressed(src, compression) as f, open(partial, "wb") as out:
            shutil.copyfileobj(f, out, 1 << 20)
        os.replace(partial, target)
    except _DAMAGED as e:
        partial.unlink(missing_ok=True)
        raise TraceError(f"{src}: cannot decompress it into {target}: {e}") from e


def prepare(trace, fmt, time_unit, results_dir, bench_path, cache_size=None, eviction="lru"):
    """(the workloads folder holding the trace's spec, the workload's name,
    the conversion's summary): converted now, or found from an earlier
    run. cache_size: replay through a simulated cache of that size
    (dstudy_trace's --cache-size) evicting in `eviction` order. Raises
    TraceError."""
    trace = Path(trace).resolve()
    if not trace.is_file():
        raise TraceError(f"--trace {trace}: no such file")
    compression, _ = head(trace)
    fmt = fmt or detect_format(trace)
    if cache_size and fmt == "dstrace":
        raise TraceError(f"{trace}: a study trace is replayed as it is; --cache-size needs the original trace")
    name = workload_name(trace)
    cache = (cache_size, eviction) if cache_size else None
    folder = Path(results_dir).resolve() / "traces" / content_hash(trace, fmt, time_unit, cache)
    spec_path = folder / f"{name}.json"
    if spec_path.exists():
        return folder, name, store_summary(spec_path)
    folder.mkdir(parents=True, exist_ok=True)
    tool = str(tool_path(bench_path))
    if fmt == "dstrace":
        target = trace
        if compression:
            target = folder / f"{name}.dstrace"
            _decompress(trace, compression, target)
        stats = _run_tool([tool, "check", str(target)])
        summary = f"a study trace of {stats['ops']} ops, {stats['distinct_keys']} keys"
    else:
        target = folder / f"{name}.dstrace"
        argv = [tool, "convert", "--format", fmt, "--time-unit", time_unit]
        if cache_size:
            argv += ["--cache-size", cache_size, "--eviction", eviction]
        stats = _run_tool(argv + [str(trace), str(target)])
        summary = (f"a {fmt} trace of {stats['records']} requests, {stats['ops']} ops, "
                   f"{stats['distinct_keys']} keys")
    summary = {"file": str(trace), "format": fmt, "ops": stats["ops"], "distinct_keys": stats["distinct_keys"],
               "records": stats.get("records"), "cache": stats.get("cache"),
               "description": (f"Replay of {trace.name}: {summary}, converted by dstudy_trace. "
                               f"{key_size_note(stats.get('key_sizes'))}{cache_note(stats.get('cache'))}")}
    _write_json(folder / SUMMARY, summary)
    _write_json(spec_path, {"name": name, "kv": KV, "trace": str(target), "description": summary["description"]})
    return folder, name, summary


# Beside the spec (not a .json: the folder is a workloads folder, whose every
# .json is a spec): what the conversion did, as JSON, for the run's manifest.
SUMMARY = "conversion.summary"


def store_summary(spec_path):
    try:
        return json.loads((spec_path.parent / SUMMARY).read_text())
    except (OSError, ValueError):
        return None
