"""Loading and validating a run's merged results.json into Run and Cell
objects.

The file is validated against docs/schema/results.schema.json (with the
sidecar schema it refers to; docs/result-schema.md explains the fields):
fields added within the schema version are optional there, and fields the
schema does not know are ignored. Any problem raises ReportError with a
message that names the file and the field, so the command line can print it
on one line. The Cell accessors read the figures the harness wrote as they
are: the report never re-derives a headline phase or a memory layer.
"""
import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from dstudy_runner import schema, sidecar_figures
from dstudy_runner.contract import (HEADLINE_LAYER, KV_KINDS, NOT_APPLICABLE, RESULTS_SCHEMA_VERSION,
                                    SIDECAR_SCHEMA_VERSION)
from dstudy_runner.sidecar_figures import is_num


class ReportError(Exception):
    """A result file the reports cannot use; the message names the file."""


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
    def not_applicable(self):
        """The workload needs iteration the container does not offer: not run, not failed."""
        return self.status == NOT_APPLICABLE

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
        """The op type the headline phases do most (sidecar_figures.dominant_op)."""
        return sidecar_figures.dominant_op(self.sidecar)

    # Machine load ---------------------------------------------------------
    @property
    def competing(self):
        return bool(self.section("machine_load").get("competing"))

    @property
    def disturbed_repetitions(self):
        """Repetitions the harness judged disturbed by the machine even after
        measuring them again (docs/harness.md, "Long enough to measure");
        0 in results written before the harness judged it."""
        return self.section("throughput").get("disturbed_repetitions") or 0

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
        return sidecar_figures.peak(self.sidecar, layer or self.headline_layer)

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
    cells: list  # ok and failed cells: what figures, rankings and failure lists read
    # Cells whose workload the container cannot run (iteration): listed as
    # n/a in the cells table, never a failure and never in a figure.
    not_applicable: list = field(default_factory=list)
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

    def origin(self, impl):
        """'library' (a user can adopt it), 'study' (one of the study's own
        containers), as its registration declares it; None when the run did
        not record it (runs made before the manifest carried it)."""
        return ((self.manifest.get("implementations") or {}).get(impl) or {}).get("origin")

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


def _cell_where(doc, i):
    """'cells[i] (its id)': where a problem of a cell is."""
    cell = doc["cells"][i]
    cid = cell.get("id") if isinstance(cell, dict) else None
    return f"cells[{i}] ({cid})" if isinstance(cid, str) else f"cells[{i}]"


def _fail(path, where, msg):
    raise ReportError(f"{path}: {where}: {msg}")


def _check_versions(path, doc):
    """A file (or a cell's sidecar) of another schema version means other
    things: refused before its shape is looked at, saying what to do."""
    if not isinstance(doc, dict):
        _fail(path, "top level", f"expected an object, got {type(doc).__name__}")
    if "schema_version" not in doc:
        _fail(path, "top level", "no schema_version")
    if doc["schema_version"] != RESULTS_SCHEMA_VERSION:
        _fail(path, "schema_version", f"file has version {doc['schema_version']!r}, these reports read "
                                      f"version {RESULTS_SCHEMA_VERSION} (re-run the study, or render it with "
                                      f"the report scripts of the commit that wrote it)")
    cells = doc.get("cells")
    for i, c in enumerate(cells if isinstance(cells, list) else []):
        sidecar = c.get("sidecar") if isinstance(c, dict) else None
        if isinstance(sidecar, dict) and sidecar.get("schema_version") != SIDECAR_SCHEMA_VERSION:
            _fail(path, f"{_cell_where(doc, i)}.sidecar",
                  f"sidecar schema_version {sidecar.get('schema_version')!r}, these reports read "
                  f"version {SIDECAR_SCHEMA_VERSION}")


def _series_rows(path, where, columns):
    """memory.series stored as columns (one list per field, as the runner
    writes it) -> the list of samples the rest of the report reads. The
    schema cannot say that the columns are of one length; this does."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        _fail(path, where, f"columns of different lengths {sorted(lengths)}")
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def _validate(path, doc):
    """Checks doc against the results schema (and the sidecar schema of its
    cells), naming the file, the cell and the field of the first problem."""
    _check_versions(path, doc)
    found = schema.problem(doc, "results")
    if found:
        where, what = found
        m = re.match(r"cells\[(\d+)\]", where)
        if m:
            where = _cell_where(doc, int(m.group(1))) + where[m.end():]
        _fail(path, where, what)
    for i, c in enumerate(doc["cells"]):
        memory = (c["sidecar"] or {}).get("memory") or {}
        if isinstance(memory.get("series"), dict):
            memory["series"] = _series_rows(path, f"{_cell_where(doc, i)}.sidecar.memory.series", memory["series"])


def _not_json(constant):
    raise ValueError(f"{constant} is not a JSON number")


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
        doc = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except ValueError as e:
        raise ReportError(f"{path}: malformed JSON: {e}") from None
    _validate(path, doc)
    cells = [Cell(**{f.name: c[f.name] for f in fields(Cell)}) for c in doc["cells"]]
    return Run(path=path, manifest=doc["manifest"], cells=[c for c in cells if not c.not_applicable],
               not_applicable=[c for c in cells if c.not_applicable])
