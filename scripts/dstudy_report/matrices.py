"""The matrices: for each size and allocator, containers x workloads of
steady-state throughput, the dominant op's P99 and P99.9, memory growth over
the headline phases and retention after the drain. Each square holds the
value and how far it is from the best in its workload (a factor, or
percentage points for the memory figures, which may be zero), coloured on
that distance; the squares the best does not beat beyond noise (ranking.py's
rules, the same as the recommendations') are marked. And for each workload,
containers x allocators: each cell over the container's glibc cell."""
import math
from dataclasses import dataclass, field

from .metrics import GROWTH, RETENTION, TAIL_P99, TAIL_P999, THROUGHPUT
from .ranking import beats, rank
from .tables import TCell, Table

BASE_ALLOCATOR = "glibc"
TIED_MARK = "≈"          # not beaten by the best beyond noise


@dataclass(frozen=True)
class Spec:
    """A matrix's metric and how a square's distance from the best is read:
    'ratio' (x the best) or 'points' (percentage points above the best;
    scale turns the metric's value into percent)."""
    metric: object
    title: str
    mode: str = "ratio"
    scale: float = 1.0


SPECS = (Spec(THROUGHPUT, "Steady-state throughput"),
         Spec(TAIL_P99, "P99 of the dominant op"),
         Spec(TAIL_P999, "P99.9 of the dominant op"),
         Spec(GROWTH, "Memory growth over the headline phases (heap_bytes)", "points"),
         Spec(RETENTION, "Memory retained after the drain (heap_bytes, fraction of its peak)", "points", 100.0))

# Colour bins of the distance from the best (upper bounds, inclusive), one
# colour each, green (the best) to red; the same in the page, the Markdown
# legend and the PNG figures.
RATIO_BINS = (1.05, 1.25, 1.5, 2.0, 4.0, math.inf)
POINT_BINS = (1.0, 5.0, 10.0, 25.0, 50.0, math.inf)
COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")


def bin_of(spec, distance):
    bounds = POINT_BINS if spec.mode == "points" else RATIO_BINS
    return next(k for k, b in enumerate(bounds) if distance <= b)


def legend_entries(spec_mode):
    """[(colour, text)] of the colour scale of a matrix mode."""
    if spec_mode == "points":
        bounds, unit, first = POINT_BINS, " pts", "best, or within 1 pt"
    else:
        bounds, unit, first = RATIO_BINS, "x", "best, or within 5%"
    out = [(COLOURS[0], first)]
    for k in range(1, len(bounds)):
        low = f"{bounds[k - 1]:g}{unit}"
        out.append((COLOURS[k], f"over {low}" if math.isinf(bounds[k]) else f"{low}–{bounds[k]:g}{unit}"))
    return out


@dataclass
class Square:
    cell: object
    value: float
    distance: float
    tied: bool      # the best does not beat it beyond noise (the best itself included)
    best: bool

    def text(self, spec):
        m = spec.metric
        if self.best:
            how = "best"
        elif spec.mode == "points":
            how = f"+{self.distance:.1f} pts"
        else:
            how = f"{self.distance:.2f}x"
        return f"{m.fmt(self.value).strip()}\n{how}{' ' + TIED_MARK if self.tied and not self.best else ''}"


@dataclass
class Matrix:
    size: str
    allocator: str
    spec: Spec
    columns: list                     # (workload label, kv) in run order
    rows: list                        # container names, library first, then by mean distance
    squares: dict = field(default_factory=dict)    # (impl, column) -> Square
    failed: dict = field(default_factory=dict)     # (impl, column) -> failure reason

    @property
    def key(self):
        return f"matrix_{self.spec.metric.key}_{self.size}_{self.allocator}".replace(".", "_")

    def column_label(self, column):
        kvs = {kv for _, kv in self.columns}
        return column[0] if len(kvs) == 1 else f"{column[0]} {column[1]}"


def _distance(spec, value, best):
    m = spec.metric
    if spec.mode == "points":
        return abs(value - best) * spec.scale
    if m.higher_is_better:
        return best / value if value > 0 else math.inf
    return value / best if best > 0 else (1.0 if value == best else math.inf)


def build_matrix(run, size, allocator, spec):
    """The matrix of one size, allocator and metric (None when no cell has a value)."""
    cells = [c for c in run.cells if c.size == size and c.allocator == allocator]
    columns = [(w, kv) for s, w, kv in run.groups() if s == size and any(
        c.workload_label == w and c.kv == kv for c in cells)]
    mx = Matrix(size, allocator, spec, columns, [])
    for col in columns:
        mine = [c for c in cells if (c.workload_label, c.kv) == col]
        for c in mine:
            if not c.ok:
                mx.failed[(c.impl, col)] = (c.failure or {}).get("reason", "failed")
        r = rank(spec.metric, mine)
        if r.best is None:
            continue
        best = spec.metric.value(r.best)
        tied = {c.id for c in r.tied}
        for c in r.ordered:
            v = spec.metric.value(c)
            mx.squares[(c.impl, col)] = Square(c, v, _distance(spec, v, best), c.id in tied, c is r.best)
    if not mx.squares:
        return None
    impls = [i for i in run.impls if any(k[0] == i for k in list(mx.squares) + list(mx.failed))]

    def order(impl):
        ds = [s.distance for (i, _), s in mx.squares.items() if i == impl and math.isfinite(s.distance)]
        mean = sum(math.log(d) if spec.mode == "ratio" else d for d in ds) / len(ds) if ds else math.inf
        return (run.origin(impl) == "study", mean, impl)
    mx.rows = sorted(impls, key=order)
    return mx


def matrix_groups(run):
    """(size, allocator) pairs with ok cells, in run order."""
    return [(s, a) for s in run.sizes for a in run.allocators
            if any(c.size == s and c.allocator == a and c.ok for c in run.cells)]


def build_matrices(run):
    """Every matrix of the run: per size and allocator, one per Spec that has values."""
    out = []
    for size, allocator in matrix_groups(run):
        out += [m for m in (build_matrix(run, size, allocator, s) for s in SPECS) if m is not None]
    return out


def origin_text(run, impl):
    return run.origin(impl) or ""


def matrix_table(run, mx):
    """The matrix as a sortable table: a column per workload, a row per
    container (its kind beside it); sorting a workload's column ranks the
    containers for it (each square's data-value is its distance)."""
    labels = [mx.column_label(c) for c in mx.columns]
    table = Table(mx.key, f"{mx.spec.title} — size {mx.size}, {mx.allocator}", ["Container", "Kind"] + labels)
    for impl in mx.rows:
        row = [TCell(impl), TCell(origin_text(run, impl))]
        for col in mx.columns:
            sq = mx.squares.get((impl, col))
            if sq is not None:
                kind = f"m{bin_of(mx.spec, sq.distance)}" + (" mtied" if sq.tied else "")
                row.append(TCell(sq.text(mx.spec), sq.distance if math.isfinite(sq.distance) else None, kind))
            elif (impl, col) in mx.failed:
                row.append(TCell(f"FAILED ({mx.failed[(impl, col)]})", None, "failed"))
            else:
                row.append(TCell(""))
        table.rows.append(row)
    return table


@dataclass
class Legend:
    """A colour scale's key, drawn above a group of matrices."""
    title: str
    entries: list            # (colour, text)
    note: str = ""


def legends():
    tied = (f"'{TIED_MARK}' (and a dark outline in the figures): the best does not beat this square "
            f"beyond noise, the tie rules of the recommendations; 'best': the best in its workload.")
    return [Legend("Colour: times the best (throughput: best / value; latency: value / best)",
                   legend_entries("ratio"), tied),
            Legend("Colour: percentage points above the best (growth; retention as % of the peak)",
                   legend_entries("points"))]


# Allocators ---------------------------------------------------------------
ALLOC_SPECS = (Spec(THROUGHPUT, "Throughput"), Spec(TAIL_P99, "P99 of the dominant op"))
# Colour bins of how a cell does against the container's glibc cell: the
# factor it is better by (>1) or worse by, in both directions.
ALLOC_BINS = ((1.25, "ab0", "better by over 1.25x"), (1.05, "ab1", "better by 1.05–1.25x"),
              (1 / 1.05, "ab2", "within 5%"), (1 / 1.25, "ab3", "worse by 1.05–1.25x"),
              (0.0, "ab4", "worse by over 1.25x"))
ALLOC_COLOURS = {"ab0": "#1a9850", "ab1": "#a6d96a", "ab2": "#f7f7f7", "ab3": "#fdae61", "ab4": "#d73027"}


def _alloc_bin(gain):
    return next(cls for low, cls, _ in ALLOC_BINS if gain >= low)


def allocator_legend():
    return Legend("Colour: against the container's glibc cell",
                  [(ALLOC_COLOURS[cls], text) for _, cls, text in ALLOC_BINS],
                  f"'{TIED_MARK}': neither beats the other beyond noise (the recommendations' tie rules).")


def allocator_table(run, size, spec):
    """Per workload and container, a column per allocator: the value and its
    ratio to the container's glibc value (None when the size ran under one
    allocator, or none under glibc)."""
    allocators = [a for a in run.allocators if any(c.size == size and c.allocator == a for c in run.cells)]
    if BASE_ALLOCATOR not in allocators or len(allocators) < 2:
        return None
    m = spec.metric
    table = Table(f"alloc_{m.key}_{size}".replace(".", "_"),
                  f"Allocators: {spec.title} — size {size}, ratio to the container's {BASE_ALLOCATOR}",
                  ["Workload", "Container", "Kind"] + allocators)
    for s, w, kv in run.groups():
        if s != size:
            continue
        for impl in run.impls:
            base = run.get(impl, w, kv, BASE_ALLOCATOR, size)
            others = [run.get(impl, w, kv, a, size) for a in allocators if a != BASE_ALLOCATOR]
            if base is None or not base.ok or m.value(base) is None or not any(others):
                continue
            row = [TCell(w if len({k for _, x, k in run.groups() if x == w}) == 1 else f"{w} {kv}"),
                   TCell(impl), TCell(origin_text(run, impl))]
            for a in allocators:
                c = run.get(impl, w, kv, a, size)
                v = m.value(c) if c is not None and c.ok else None
                if v is None or not m.value(base):
                    row.append(TCell("FAILED" if c is not None and not c.ok else "", None,
                                     "failed" if c is not None and not c.ok else ""))
                    continue
                ratio = v / m.value(base)
                gain = ratio if m.higher_is_better else (1 / ratio if ratio else math.inf)
                tied = not beats(m, c, base).wins and not beats(m, base, c).wins
                text = f"{m.fmt(v).strip()}\n{ratio:.2f}x{' ' + TIED_MARK if tied and c is not base else ''}"
                row.append(TCell(text, ratio, _alloc_bin(gain) + (" mtied" if tied else "")))
            table.rows.append(row)
    return table if table.rows else None
