"""The metrics the reports rank by: how each is read from a cell, which
direction is better, what its independent samples are, how small a
difference is a tie, and how its values are written.

Metric keys (used by --objective, docs/reports.md lists them):
  throughput, build, cold            steady-state headline / load phases /
                                     each process's first pass (ops/s)
  <op>.p50 .p90 .p99 .p999 .max      latency of an op type (insert, erase,
                                     find_hit, find_miss)
  tail.p99, tail.p999                the same for the op type that dominates
                                     the workload's headline phases
  memory.peak                        peak of the headline memory layer
  memory.growth                      its growth over the steady phase (%)
  memory.retention                   its retention after the workload's drain
  memory.after_drain                 its bytes just after that drain
"""
from dataclasses import dataclass
from typing import Callable

from dstudy_runner.contract import LATENCY_TIE_RESOLUTIONS, MIN_SAMPLES, OP_TYPES, PERCENTILES
from dstudy_runner.sidecar_figures import is_num

# Memory is measured once per cell (the first pass of the first repetition,
# docs/result-schema.md); heap_bytes counts exact allocation sizes, so it is
# deterministic for a given seed. Differences below these are not worth a
# recommendation.
MEMORY_TIE_FRACTION = 0.01      # 1% of the larger value (bytes, retention)
GROWTH_TIE_POINTS = 1.0         # 1 percentage point of growth


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


def fmt_count(n):
    return "" if n is None else f"{n:,}"


@dataclass(frozen=True)
class Metric:
    key: str                       # objective name and file-name part
    label: str                     # titles and table headers
    value: Callable                # cell -> number or None
    higher_is_better: bool
    fmt: Callable                  # number -> short text
    # cell -> the independent samples behind the value (one per repetition);
    # None when the metric is one deterministic measurement (memory).
    samples: Callable = None
    # (cell a, cell b) -> differences at or below this are a tie, whatever the samples say.
    floor: Callable = lambda a, b: 0.0
    # cell -> "n=5, MAD 0.8%": how many samples and how far apart.
    spread_text: Callable = lambda c: ""
    # "ratio": margins read as a factor (1.08x); "difference": as a difference (growth, points).
    margin_as: str = "ratio"
    # What the tie floor is, in words ("" when the metric has none): the
    # summary says "within <floor_short>" and "tie floor 20 ns = <floor_rule>".
    floor_short: str = ""
    floor_rule: str = ""
    # cell -> how many of its repetitions the machine disturbed (the
    # harness's judgement from the warm passes): no win is declared on them.
    disturbed: Callable = lambda c: 0

    def better(self, a, b):
        return a > b if self.higher_is_better else a < b


# Throughput -----------------------------------------------------------------
def _summary_metric(key, label, read):
    def spread(c):
        s = read(c)
        if s is None:
            return ""
        mad = "" if s.mad_pct is None else f", MAD {s.mad_pct:.1f}%"
        disturbed = f", {c.disturbed_repetitions} DISTURBED" if c.disturbed_repetitions else ""
        return f"n={s.samples}{mad}" + (", SPREAD WARNING" if s.spread_warning else "") + disturbed
    return Metric(key, label, lambda c: read(c).median if read(c) else None, True, fmt_ops,
                  samples=lambda c: list(read(c).per_repetition) if read(c) else [],
                  spread_text=spread, disturbed=lambda c: c.disturbed_repetitions)


THROUGHPUT = _summary_metric("throughput", "Steady-state throughput (ops/s)", lambda c: c.headline)
BUILD = _summary_metric("build", "Build throughput (load phases, ops/s)", lambda c: c.build)
COLD = _summary_metric("cold", "Cold throughput (first pass, ops/s)", lambda c: c.cold_headline)


# Latency --------------------------------------------------------------------
PCT_NAMES = {key: name for key, name, _ in PERCENTILES}
PCT_NAMES["max_ns"] = "max"
PCT_SHORT = {"p50": "p50_ns", "p90": "p90_ns", "p99": "p99_ns", "p999": "p999_ns", "max": "max_ns"}


def _resolution_floor(a, b):
    res = [r for r in (a.resolution_ns, b.resolution_ns) if r is not None]
    return LATENCY_TIE_RESOLUTIONS * max(res) if res else 0.0


def latency_metric(op, short):
    """op: an op type, or None for the op type that dominates each cell's workload."""
    key = PCT_SHORT[short]

    def which(c):
        return op or c.dominant_op

    def spread(c):
        o = which(c)
        n = c.count(o) if o else None
        reps = c.percentile_by_repetition(o, key) if o else []
        text = f"n={fmt_count(n)}" if n is not None else ""
        if len(reps) >= 2:
            low, high = fmt_ns(min(reps)), fmt_ns(max(reps))
            text += f", per repetition {low}–{high}" if low != high else f", every repetition {low}"
        timed, runs = c.section("latency").get("repetitions"), c.headline.samples if c.headline else None
        if is_num(timed) and is_num(runs) and timed < runs:  # --latency-repetitions (the full profile)
            text += f", latency pass in {timed:g} of {runs:g} repetitions"
        return text
    name = f"{op or 'tail'}.{short}"
    label = f"{PCT_NAMES[key]} {op or 'dominant op'} latency"
    return Metric(name, label, lambda c: c.percentile(which(c), key) if which(c) else None, False,
                  fmt_ns, samples=lambda c: c.percentile_by_repetition(which(c), key) if which(c) else [],
                  floor=_resolution_floor, spread_text=spread, floor_short="the timer's resolution",
                  floor_rule=f"{LATENCY_TIE_RESOLUTIONS:g}x the timer's resolution")


LATENCY = {f"{op}.{short}": latency_metric(op, short) for op in OP_TYPES for short in PCT_SHORT}
TAIL_P99 = latency_metric(None, "p99")
TAIL_P999 = latency_metric(None, "p999")


def percentile_text(cell, op, key):
    """A percentile as printed: the value, or 'n/a (n=<count>)' when the op type
    had too few samples for it, never a number the harness did not give."""
    v = cell.percentile(op, key)
    if v is not None:
        return fmt_ns(v)
    n = cell.count(op)
    if n is None:
        return ""
    return f"n/a (n={fmt_count(n)} < {fmt_count(MIN_SAMPLES[key])})" if key in MIN_SAMPLES else "n/a"


# Memory ---------------------------------------------------------------------
def _relative_floor(read):
    def floor(a, b):
        va, vb = read(a), read(b)
        return MEMORY_TIE_FRACTION * max(abs(va), abs(vb)) if va is not None and vb is not None else 0.0
    return floor


def _after_drain(c):
    phase = c.derived.get("drain_phase")
    for e in c.phase_end:
        if phase and e.get("phase") == phase:
            return (e.get("after") or {}).get(c.headline_layer)
    return None


def _memory_metric(key, label, read, fmt, floor=None, margin_as="ratio", floor_short="", floor_rule=""):
    # The memory pass is one process (the first pass of the first repetition):
    # one value per cell, so there is no spread to show or to test.
    return Metric(key, label, read, False, fmt, samples=None,
                  floor=floor or _relative_floor(read),
                  spread_text=lambda c: f"{c.headline_layer}; memory pass: one process, no spread",
                  margin_as=margin_as, floor_short=floor_short or f"{MEMORY_TIE_FRACTION:.0%}",
                  floor_rule=floor_rule or f"{MEMORY_TIE_FRACTION:.0%} of the larger value")


MEMORY_PEAK = _memory_metric("memory.peak", "Peak memory", lambda c: c.peak_memory, fmt_bytes)
GROWTH = _memory_metric("memory.growth", "Memory growth over the steady phase", lambda c: c.growth_pct,
                        fmt_pct, floor=lambda a, b: GROWTH_TIE_POINTS, margin_as="difference",
                        floor_short=f"{GROWTH_TIE_POINTS:g} percentage point",
                        floor_rule=f"{GROWTH_TIE_POINTS:g} percentage point")
RETENTION = _memory_metric("memory.retention", "Memory retention after the drain",
                           lambda c: c.retention, fmt_ratio)
AFTER_DRAIN = _memory_metric("memory.after_drain", "Memory just after the drain", _after_drain, fmt_bytes)

METRICS = {m.key: m for m in [THROUGHPUT, BUILD, COLD, TAIL_P99, TAIL_P999, MEMORY_PEAK, GROWTH,
                              RETENTION, AFTER_DRAIN] + list(LATENCY.values())}
