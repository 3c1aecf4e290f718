"""Loading and validating a run's merged results.json (docs/result-schema.md,
schema version 2) into Run and Cell objects.

Only the structure the reports read is checked; fields added later by the
harness are ignored. Any problem raises ReportError with a message that names
the file, so the command line can print it on one line. The Cell accessors
read the figures the harness wrote as they are: the report never re-derives a
headline phase or a memory layer.
"""
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from dstudy.contract import HEADLINE_LAYER, KV_KINDS, LAYERS, OP_TYPES, PERCENTILES, SCHEMA_VERSION

PERCENTILE_KEYS = tuple(key for key, _, _ in PERCENTILES)


class ReportError(Exception):
    """A result file the reports cannot use; the message names the file."""


def is_num(x):
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
        if not is_num(d[key]):
            self.fail(f"{where}.{key}", f"expected a number, got {d[key]!r}")
        return d[key]

    def nums(self, value, where):
        for k, x in enumerate(self.lst(value, where, nullable=True) or []):
            if not is_num(x):
                self.fail(f"{where}[{k}]", f"expected a number, got {x!r}")

    def string(self, d, key, where):
        value = d.get(key)
        if not isinstance(value, str) or not value:
            self.fail(where, f"missing or empty string '{key}'")
        return value


@dataclass(frozen=True)
class Summary:
    """A throughput figure over independent repetitions (sidecar.throughput.headline,
    .build, .cold.*): median, range, spread and the per-repetition values."""
    median: float
    low: float
    high: float
    mad_pct: float
    samples: int
    per_repetition: tuple
    spread_warning: bool

    @staticmethod
    def read(d):
        if not d or d.get("median_ops_per_second") is None:
            return None
        reps = tuple(x for x in d.get("per_repetition") or [] if is_num(x))
        return Summary(d["median_ops_per_second"], d.get("min_ops_per_second"),
                       d.get("max_ops_per_second"), d.get("mad_pct"),
                       d.get("samples") or len(reps), reps, bool(d.get("spread_warning")))


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

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def workload_label(self):
        """Workload name, with the thread count when it runs concurrently."""
        return self.workload if self.threads <= 1 else f"{self.workload} t{self.threads}"

    @property
    def candidate(self):
        """What a recommendation names: container x allocator."""
        return f"{self.impl} + {self.allocator}"

    def section(self, name):
        return (self.sidecar or {}).get(name) or {}

    # Throughput (steady-state headline, build, cold) ----------------------
    @property
    def headline(self):
        return Summary.read(self.section("throughput").get("headline"))

    @property
    def build(self):
        return Summary.read(self.section("throughput").get("build"))

    @property
    def cold_headline(self):
        return Summary.read((self.section("throughput").get("cold") or {}).get("headline"))

    @property
    def cold_build(self):
        return Summary.read((self.section("throughput").get("cold") or {}).get("build"))

    @property
    def headline_phases(self):
        return self.section("workload").get("headline_phases") or \
            (self.section("throughput").get("headline") or {}).get("phases") or []

    @property
    def repetitions(self):
        """Per-repetition headline ops/s: the sample for significance tests."""
        h = self.headline
        return list(h.per_repetition) if h else []

    # Latency --------------------------------------------------------------
    def latency(self, op):
        return (self.section("latency").get("per_op") or {}).get(op)

    def percentile(self, op, key):
        """P50..P99.9 or max_ns of an op type; None when not measured or when
        the op type had too few samples for it (the harness wrote null)."""
        lat = self.latency(op)
        return lat.get(key) if lat else None

    def count(self, op):
        lat = self.latency(op)
        return lat.get("count") if lat else None

    def percentile_by_repetition(self, op, key):
        """Each independent repetition's own value of the percentile (nulls dropped)."""
        lat = self.latency(op) or {}
        return [r.get(key) for r in lat.get("per_repetition") or [] if is_num(r.get(key))]

    @property
    def timer(self):
        return self.section("timer")

    @property
    def resolution_ns(self):
        """The timer's resolution: two latencies closer than a few of these are one."""
        r = self.section("latency").get("resolution_ns")
        return r if is_num(r) else self.timer.get("resolution_ns")

    @property
    def dominant_op(self):
        """The op type the headline phases do most, as the harness wrote it
        (sidecar.workload.dominant_op); else the op type with the most timed
        operations."""
        op = self.section("workload").get("dominant_op")
        if op in OP_TYPES:
            return op
        counts = {op: self.count(op) or 0 for op in OP_TYPES if self.latency(op)}
        counts = {op: n for op, n in counts.items() if n > 0}
        return max(counts, key=lambda op: (counts[op], -OP_TYPES.index(op))) if counts else None

    # Machine load ---------------------------------------------------------
    @property
    def competing(self):
        return bool(self.section("machine_load").get("competing"))

    @property
    def competing_reason(self):
        return self.section("machine_load").get("reason")

    # Memory (as derived by the harness) -----------------------------------
    @property
    def derived(self):
        return self.section("memory").get("derived") or {}

    @property
    def headline_layer(self):
        return self.derived.get("headline_layer") or HEADLINE_LAYER

    def layer(self, layer=None):
        """memory.derived.layers.<layer> (the headline layer by default)."""
        return (self.derived.get("layers") or {}).get(layer or self.headline_layer) or {}

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
    def drains(self):
        return self.derived.get("drains") or []

    @property
    def series(self):
        return self.section("memory").get("series") or []

    @property
    def phase_end(self):
        return self.section("memory").get("phase_end") or []

    def peak(self, layer=None):
        """The highest sample of a layer over the run (the headline layer by default)."""
        layer = layer or self.headline_layer
        values = [s.get(layer) for s in self.series if is_num(s.get(layer))]
        return max(values) if values else None

    @property
    def peak_memory(self):
        return self.peak()

    # Sizes ----------------------------------------------------------------
    @property
    def live_keys(self):
        """The live size the cell ran at (after fill), else its nominal size."""
        c = self.section("cell")
        return c.get("initial_size") or c.get("nominal_initial_size")


@dataclass
class Run:
    """A loaded results.json: manifest plus cells, in a stable order."""
    path: Path
    manifest: dict
    cells: list
    _index: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for c in self.cells:
            self._index.setdefault((c.impl, c.workload_label, c.kv, c.allocator, c.size), c)

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
    def sizes(self):
        return self._ordered("size")

    @property
    def kvs(self):
        found = self._ordered("kv")
        known = [k for k in KV_KINDS if k in found]
        return known + [k for k in found if k not in known]

    @property
    def allocators(self):
        found = self._ordered("allocator")
        declared = [a.get("name") for a in self.manifest.get("allocators") or []
                    if isinstance(a, dict)]
        first = [a for a in declared if a in found]
        return first + [a for a in found if a not in first]

    def get(self, impl, workload, kv, allocator, size):
        return self._index.get((impl, workload, kv, allocator, size))

    def groups(self):
        """(size, workload label, kv) triples that have cells, in run order:
        the unit a recommendation is made for."""
        seen = []
        for size in self.sizes:
            for w in self.workloads:
                for kv in self.kvs:
                    if any(c.size == size and c.workload_label == w and c.kv == kv for c in self.cells):
                        seen.append((size, w, kv))
        return seen

    def cells_of(self, size, workload, kv):
        return [c for c in self.cells if (c.size, c.workload_label, c.kv) == (size, workload, kv)]

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

    @property
    def competing(self):
        return [c for c in self.cells if c.competing]


def _results_file(path):
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    if not path.exists():
        raise ReportError(f"{path}: no such file (expected a run folder holding results.json)")
    return path


def _check_summary(ck, d, where):
    if ck.obj(d, where, nullable=True) is None:
        return
    for key in ("median_ops_per_second", "min_ops_per_second", "max_ops_per_second", "mad_pct",
                "samples"):
        ck.num(d, key, where)
    ck.nums(d.get("per_repetition"), f"{where}.per_repetition")


def _check_throughput(ck, t, where):
    if ck.obj(t, where, nullable=True) is None:
        return
    _check_summary(ck, t.get("headline"), f"{where}.headline")
    _check_summary(ck, t.get("build"), f"{where}.build")
    cold = ck.obj(t.get("cold"), f"{where}.cold", nullable=True) or {}
    for part in ("headline", "build"):
        _check_summary(ck, cold.get(part), f"{where}.cold.{part}")


def _check_latency(ck, lat, where):
    if ck.obj(lat, where, nullable=True) is None:
        return
    ck.num(lat, "resolution_ns", where)
    per_op = ck.obj(lat.get("per_op") or {}, f"{where}.per_op")
    for op, d in per_op.items():
        w = f"{where}.per_op.{op}"
        ck.obj(d, w)
        for key in PERCENTILE_KEYS + ("max_ns", "count"):
            ck.num(d, key, w)
        for k, rep in enumerate(ck.lst(d.get("per_repetition"), f"{w}.per_repetition", nullable=True) or []):
            ck.obj(rep, f"{w}.per_repetition[{k}]")
            for key in PERCENTILE_KEYS + ("max_ns", "count"):
                ck.num(rep, key, f"{w}.per_repetition[{k}]")
        hist = ck.obj(d.get("histogram"), f"{w}.histogram", nullable=True)
        if hist is not None:
            for k, pair in enumerate(ck.lst(hist.get("counts") or [], f"{w}.histogram.counts")):
                if not (isinstance(pair, list) and len(pair) == 2 and all(is_num(x) for x in pair)):
                    ck.fail(f"{w}.histogram.counts[{k}]", "expected [lower_bound_ns, count]")


def _series_rows(ck, columns, where):
    """memory.series stored as columns (one list per field, as the runner
    writes it) -> the list of samples the rest of the report reads."""
    lengths = {len(ck.lst(values, f"{where}.{name}")) for name, values in columns.items()}
    if len(lengths) > 1:
        ck.fail(where, f"columns of different lengths {sorted(lengths)}")
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def _check_memory(ck, mem, where):
    if ck.obj(mem, where, nullable=True) is None:
        return
    if isinstance(mem.get("series"), dict):
        mem["series"] = _series_rows(ck, mem["series"], f"{where}.series")
    for j, s in enumerate(ck.lst(mem.get("series") or [], f"{where}.series")):
        w = f"{where}.series[{j}]"
        ck.obj(s, w)
        ck.num(s, "op", w, required=True)
        for layer in LAYERS:
            ck.num(s, layer, w)
    for j, p in enumerate(ck.lst(mem.get("phase_end") or [], f"{where}.phase_end")):
        w = f"{where}.phase_end[{j}]"
        ck.obj(p, w)
        ck.obj(p.get("after"), f"{w}.after", nullable=True)
        ck.obj(p.get("after_purge"), f"{w}.after_purge", nullable=True)
        ck.obj(p.get("after_compact"), f"{w}.after_compact", nullable=True)
        ck.obj(p.get("internals"), f"{w}.internals", nullable=True)
    derived = ck.obj(mem.get("derived"), f"{where}.derived", nullable=True) or {}
    for key in ("growth_pct", "slope_bytes_per_mop", "retention", "space_amplification"):
        ck.num(derived, key, f"{where}.derived")
    for layer, d in (ck.obj(derived.get("layers"), f"{where}.derived.layers", nullable=True) or {}).items():
        ck.obj(d, f"{where}.derived.layers.{layer}", nullable=True)
    for j, d in enumerate(ck.lst(derived.get("drains"), f"{where}.derived.drains", nullable=True) or []):
        ck.obj(ck.obj(d, f"{where}.derived.drains[{j}]").get("layers"),
               f"{where}.derived.drains[{j}].layers", nullable=True)


def _check_sidecar(ck, sc, where):
    version = sc.get("schema_version")
    if version is not None and version != SCHEMA_VERSION:
        ck.fail(where, f"sidecar schema_version {version!r}, these reports read "
                       f"version {SCHEMA_VERSION}")
    ck.obj(sc.get("timer"), f"{where}.timer", nullable=True)
    for key in ("overhead_ns", "resolution_ns"):
        ck.num(sc.get("timer") or {}, key, f"{where}.timer")
    load = ck.obj(sc.get("machine_load"), f"{where}.machine_load", nullable=True) or {}
    if load.get("competing") not in (None, True, False):
        ck.fail(f"{where}.machine_load.competing", f"expected true or false, got {load['competing']!r}")
    _check_throughput(ck, sc.get("throughput"), f"{where}.throughput")
    _check_latency(ck, sc.get("latency"), f"{where}.latency")
    _check_memory(ck, sc.get("memory"), f"{where}.memory")


def _read_cell(ck, raw, i):
    where = f"cells[{i}]"
    ck.obj(raw, where)
    if isinstance(raw.get("id"), str):
        where = f"cells[{i}] ({raw['id']})"
    fields = {k: ck.string(raw, k, where) for k in ("id", "impl", "workload", "kv", "allocator")}
    status = raw.get("status")
    if status not in ("ok", "failed"):
        ck.fail(where, f"status must be 'ok' or 'failed', got {status!r}")
    threads = raw.get("threads", 1)
    threads = 1 if threads is None else threads
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        ck.fail(where, f"threads must be a positive integer, got {threads!r}")
    failure = ck.obj(raw.get("failure"), f"{where}.failure", nullable=True)
    if status == "failed" and failure is None:
        failure = {"reason": "unspecified"}
    sidecar = ck.obj(raw.get("sidecar"), f"{where}.sidecar", nullable=True)
    if sidecar is not None:
        _check_sidecar(ck, sidecar, f"{where}.sidecar")
    return Cell(threads=threads, size=str(raw.get("size") or ""), status=status,
                failure=failure, sidecar=sidecar, **fields)


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
        ck.fail("schema_version", f"file has version {doc['schema_version']!r}, these reports read "
                                  f"version {SCHEMA_VERSION} (re-run the study, or render it with "
                                  f"the report scripts of the commit that wrote it)")
    manifest = ck.obj(doc.get("manifest"), "manifest")
    ck.obj(manifest.get("environment"), "manifest.environment", nullable=True)
    cells = [_read_cell(ck, raw, i) for i, raw in enumerate(ck.lst(doc.get("cells"), "cells"))]
    return Run(path=path, manifest=manifest, cells=cells)
