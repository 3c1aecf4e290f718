"""The metrics the reports rank by: how each is read from a cell, which
direction is better, and how its values are written."""
from dataclasses import dataclass
from typing import Callable

from .load import OP_TYPES


def fmt_ops(v):
    """ops/s as millions: 25.13 M."""
    return "" if v is None else f"{v / 1e6:.2f} M"


def fmt_ns(v):
    if v is None:
        return ""
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e4:
        return f"{v / 1e3:.1f} µs"
    return f"{v:.0f} ns"


def fmt_pct(v):
    return "" if v is None else f"{v:.1f}%"


def fmt_ratio(v):
    return "" if v is None else f"{v:.3f}"


def fmt_bytes(v):
    if v is None:
        return ""
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if abs(v) >= scale:
            return f"{v / scale:.2f} {unit}"
    return f"{v:.0f} B"


@dataclass(frozen=True)
class Metric:
    key: str                       # used in file names
    label: str                     # used in titles and table headers
    get: Callable                  # cell -> number or None
    higher_is_better: bool
    fmt: Callable                  # number -> short text
    unit: str
    # How a cell is coloured against the best of its column: "ratio"
    # (value/best, for positive rates and times) or "range" (position between
    # the worst and the best, for values that may be zero or negative).
    scale: str = "ratio"
    # For "range" metrics: differences smaller than this read as near-equal
    # (so 26.4% vs 26.6% growth is not painted best vs worst).
    range_floor: float = 0.0

    def better(self, a, b):
        return a > b if self.higher_is_better else a < b

    def best(self, values):
        values = [v for v in values if v is not None]
        if not values:
            return None
        return max(values) if self.higher_is_better else min(values)


THROUGHPUT = Metric("throughput", "Throughput (median ops/s)", lambda c: c.throughput,
                    True, fmt_ops, "Mops/s")
GROWTH = Metric("growth", "Memory growth (%)", lambda c: c.growth_pct, False, fmt_pct, "%",
                scale="range", range_floor=10.0)
WORST_P99 = Metric("p99_worst", "P99 latency, worst op type", lambda c: c.worst_p99,
                   False, fmt_ns, "ns")


def p99_metric(op):
    return Metric(f"p99_{op}", f"P99 {op} latency", lambda c: c.p99(op), False, fmt_ns, "ns")


P99 = {op: p99_metric(op) for op in OP_TYPES}
HEATMAP_METRICS = [THROUGHPUT] + [P99[op] for op in OP_TYPES] + [GROWTH]


def goodness(metric, value, column):
    """How close `value` is to the best of `column`, from 0 (worst) to 1 (best).

    "ratio" metrics: value/best (throughput) or best/value (latency), so a
    cell at half the best throughput reads 0.5. "range" metrics: the distance
    from the best over the column's spread (at least metric.range_floor).
    """
    column = [v for v in column if v is not None]
    if value is None or not column:
        return None
    best = metric.best(column)
    if metric.scale == "ratio" and best > 0 and min(column) > 0:
        return value / best if metric.higher_is_better else best / value
    worst = min(column) if metric.higher_is_better else max(column)
    spread = max(abs(worst - best), metric.range_floor)
    if spread == 0:
        return 1.0
    return 1.0 - abs(value - best) / spread
