"""Loading and validating a run's merged results.json (docs/result-schema.md).

Only the structure the reports read is checked; fields added later by the
harness are ignored. Any problem raises ReportError with a message that names
the file, so the command line can print it on one line.
"""
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 1
OP_TYPES = ("insert", "erase", "find_hit", "find_miss")
PERCENTILES = (("p50_ns", "P50"), ("p90_ns", "P90"), ("p99_ns", "P99"),
               ("p999_ns", "P99.9"), ("max_ns", "max"))
LAYERS = ("payload_bytes", "footprint_bytes", "allocator_allocated_bytes",
          "allocator_resident_bytes", "rss_bytes")
KV_ORDER = ("u64", "inline32", "string", "blob1k")


class ReportError(Exception):
    """A result file the reports cannot use; the message names the file."""


def _is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


class _Checker:
    """Type checks with a path into the document for the error message."""

    def __init__(self, path):
        self.path = path

    def fail(self, where, msg):
        raise ReportError(f"{self.path}: {where}: {msg}")

    def obj(self, value, where, nullable=False):
        if value is None and nullable:
            return None
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {type(value).__name__}")
        return value

    def lst(self, value, where, nullable=False):
        if value is None and nullable:
            return None
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {type(value).__name__}")
        return value

    def num(self, d, key, where, required=False):
        if key not in d or d[key] is None:
            if required:
                self.fail(where, f"missing number '{key}'")
            return None
        if not _is_num(d[key]):
            self.fail(f"{where}.{key}", f"expected a number, got {d[key]!r}")
        return d[key]

    def string(self, d, key, where):
        value = d.get(key)
        if not isinstance(value, str) or not value:
            self.fail(where, f"missing or empty string '{key}'")
        return value


@dataclass
class Cell:
    """One cell of the matrix as the report sees it."""
    id: str
    impl: str
    workload: str
    kv: str
    allocator: str
    threads: int
    size: str
    status: str
    failure: dict
    sidecar: dict
    gbench: dict

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def workload_label(self):
        """Workload name, with the thread count when it runs concurrently."""
        return self.workload if self.threads <= 1 else f"{self.workload} t{self.threads}"

    def _section(self, name):
        return (self.sidecar or {}).get(name) or {}

    # Throughput -----------------------------------------------------------
    @property
    def throughput(self):
        return self._section("throughput").get("median_ops_per_second")

    @property
    def mad_pct(self):
        return self._section("throughput").get("mad_pct")

    @property
    def spread_warning(self):
        t = self._section("throughput")
        if t.get("spread_warning") is not None:
            return bool(t.get("spread_warning"))
        return t.get("mad_pct") is not None and t["mad_pct"] >= 5.0

    @property
    def repetitions(self):
        """Per-repetition ops/s, the sample for the significance test."""
        reps = self._section("throughput").get("repetitions") or []
        return [r["ops_per_second"] for r in reps if _is_num(r.get("ops_per_second"))]

    # Latency --------------------------------------------------------------
    def latency(self, op):
        per_op = self._section("latency").get("per_op") or {}
        return per_op.get(op)

    def p99(self, op):
        lat = self.latency(op)
        return lat.get("p99_ns") if lat else None

    @property
    def worst_p99(self):
        values = [self.p99(op) for op in OP_TYPES if self.p99(op) is not None]
        return max(values) if values else None

    # Memory ---------------------------------------------------------------
    @property
    def derived(self):
        return self._section("memory").get("derived") or {}

    @property
    def growth_pct(self):
        return self.derived.get("growth_pct")

    @property
    def retention(self):
        return self.derived.get("retention")

    @property
    def space_amplification(self):
        return self.derived.get("space_amplification")

    @property
    def series(self):
        return self._section("memory").get("series") or []

    @property
    def phase_end(self):
        return self._section("memory").get("phase_end") or []

    def peak(self, layer):
        values = [s.get(layer) for s in self.series if _is_num(s.get(layer))]
        return max(values) if values else None

    @property
    def memory_layer(self):
        """The layer that best stands for 'memory this cell costs':
        RSS, else allocator resident, else container footprint."""
        for layer in ("rss_bytes", "allocator_resident_bytes", "footprint_bytes"):
            if self.peak(layer) is not None:
                return layer
        return None

    @property
    def peak_memory(self):
        layer = self.memory_layer
        return self.peak(layer) if layer else None


@dataclass
class Run:
    """A loaded results.json: manifest plus cells, in a stable order."""
    path: Path
    manifest: dict
    cells: list
    _index: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for c in self.cells:
            self._index.setdefault((c.impl, c.workload_label, c.kv, c.allocator), c)

    @property
    def run_id(self):
        return self.manifest.get("run_id")

    def _ordered(self, attr):
        seen = []
        for c in self.cells:
            v = getattr(c, attr)
            if v not in seen:
                seen.append(v)
        return seen

    @property
    def impls(self):
        return self._ordered("impl")

    @property
    def workloads(self):
        return self._ordered("workload_label")

    @property
    def kvs(self):
        found = self._ordered("kv")
        known = [k for k in KV_ORDER if k in found]
        return known + [k for k in found if k not in known]

    @property
    def allocators(self):
        found = self._ordered("allocator")
        declared = [a.get("name") for a in self.manifest.get("allocators") or []
                    if isinstance(a, dict)]
        first = [a for a in declared if a in found]
        return first + [a for a in found if a not in first]

    def get(self, impl, workload, kv, allocator):
        return self._index.get((impl, workload, kv, allocator))

    def workloads_for(self, kv):
        return [w for w in self.workloads if any(
            c.kv == kv and c.workload_label == w for c in self.cells)]

    def impls_for(self, workload=None, kv=None):
        return [i for i in self.impls if any(
            c.impl == i and (workload is None or c.workload_label == workload)
            and (kv is None or c.kv == kv) for c in self.cells)]

    @property
    def environment(self):
        env = self.manifest.get("environment")
        if isinstance(env, dict) and env:
            return env
        for c in self.cells:
            env = (c.sidecar or {}).get("environment")
            if isinstance(env, dict):
                return env
        return {}

    @property
    def failed(self):
        return [c for c in self.cells if not c.ok]


def _results_file(path):
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    if not path.exists():
        raise ReportError(f"{path}: no such file (expected a run folder holding results.json)")
    return path


def _check_sidecar(ck, sc, where):
    version = sc.get("schema_version")
    if version is not None and version != SCHEMA_VERSION:
        ck.fail(where, f"sidecar schema_version {version!r}, these reports read "
                       f"version {SCHEMA_VERSION}")
    t = ck.obj(sc.get("throughput"), f"{where}.throughput", nullable=True)
    if t is not None:
        for key in ("median_ops_per_second", "min_ops_per_second",
                    "max_ops_per_second", "mad_pct"):
            ck.num(t, key, f"{where}.throughput")
        for j, rep in enumerate(ck.lst(t.get("repetitions"), f"{where}.throughput.repetitions",
                                       nullable=True) or []):
            ck.num(ck.obj(rep, f"{where}.throughput.repetitions[{j}]"), "ops_per_second",
                   f"{where}.throughput.repetitions[{j}]")
    lat = ck.obj(sc.get("latency"), f"{where}.latency", nullable=True)
    if lat is not None:
        per_op = ck.obj(lat.get("per_op") or {}, f"{where}.latency.per_op")
        for op, d in per_op.items():
            w = f"{where}.latency.per_op.{op}"
            ck.obj(d, w)
            for key, _ in PERCENTILES:
                ck.num(d, key, w)
            hist = ck.obj(d.get("histogram"), f"{w}.histogram", nullable=True)
            if hist is not None:
                for k, pair in enumerate(ck.lst(hist.get("counts") or [], f"{w}.histogram.counts")):
                    if not (isinstance(pair, list) and len(pair) == 2 and all(_is_num(x) for x in pair)):
                        ck.fail(f"{w}.histogram.counts[{k}]", "expected [value_ns, count]")
    mem = ck.obj(sc.get("memory"), f"{where}.memory", nullable=True)
    if mem is not None:
        for j, s in enumerate(ck.lst(mem.get("series") or [], f"{where}.memory.series")):
            w = f"{where}.memory.series[{j}]"
            ck.obj(s, w)
            ck.num(s, "op", w, required=True)
            for layer in LAYERS:
                ck.num(s, layer, w)
        for j, p in enumerate(ck.lst(mem.get("phase_end") or [], f"{where}.memory.phase_end")):
            w = f"{where}.memory.phase_end[{j}]"
            ck.obj(p, w)
            ck.obj(p.get("after"), f"{w}.after", nullable=True)
            ck.obj(p.get("after_purge"), f"{w}.after_purge", nullable=True)
            for k, idle in enumerate(ck.lst(p.get("after_idle"), f"{w}.after_idle", nullable=True) or []):
                ck.num(ck.obj(idle, f"{w}.after_idle[{k}]"), "seconds", f"{w}.after_idle[{k}]")
        derived = ck.obj(mem.get("derived"), f"{where}.memory.derived", nullable=True) or {}
        for key in ("growth_pct", "slope_bytes_per_mop", "retention", "space_amplification"):
            ck.num(derived, key, f"{where}.memory.derived")


def load_run(path):
    """Reads and validates a run folder (or its results.json) into a Run."""
    path = _results_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ReportError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    ck = _Checker(path)
    ck.obj(doc, "top level")
    if "schema_version" not in doc:
        ck.fail("top level", "no schema_version")
    if doc["schema_version"] != SCHEMA_VERSION:
        ck.fail("schema_version", f"file has version {doc['schema_version']!r}, "
                                  f"these reports read version {SCHEMA_VERSION}")
    manifest = ck.obj(doc.get("manifest"), "manifest")
    ck.obj(manifest.get("environment"), "manifest.environment", nullable=True)
    cells = []
    for i, raw in enumerate(ck.lst(doc.get("cells"), "cells")):
        where = f"cells[{i}]"
        ck.obj(raw, where)
        ident = raw.get("id")
        if isinstance(ident, str):
            where = f"cells[{i}] ({ident})"
        fields = {k: ck.string(raw, k, where) for k in ("id", "impl", "workload", "kv", "allocator")}
        status = raw.get("status")
        if status not in ("ok", "failed"):
            ck.fail(where, f"status must be 'ok' or 'failed', got {status!r}")
        threads = raw.get("threads", 1)
        if threads is None:
            threads = 1
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
            ck.fail(where, f"threads must be a positive integer, got {threads!r}")
        failure = ck.obj(raw.get("failure"), f"{where}.failure", nullable=True)
        if status == "failed" and failure is None:
            failure = {"reason": "unspecified"}
        sidecar = ck.obj(raw.get("sidecar"), f"{where}.sidecar", nullable=True)
        if sidecar is not None:
            _check_sidecar(ck, sidecar, f"{where}.sidecar")
        gbench = ck.obj(raw.get("gbench"), f"{where}.gbench", nullable=True)
        cells.append(Cell(threads=threads, size=str(raw.get("size") or ""), status=status,
                          failure=failure, sidecar=sidecar, gbench=gbench, **fields))
    return Run(path=path, manifest=manifest, cells=cells)
