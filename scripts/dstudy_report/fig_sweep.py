"""The size axis: steady-state throughput and the dominant operation's P99
against the live size N of a sweep run (sizes n<N>), one line per
container, log x, with where the tables outgrow each cache level marked.
A ranking at one size says nothing about another; where two lines cross is
computed from the data, never assumed."""
from dataclasses import dataclass
import math

import matplotlib.pyplot as plt

from dstudy_runner.contract import ENV_CACHE_BYTES, sweep_live

from .fig_common import COLOURS, MARKERS, save, slug

CACHE_LEVELS = ("L1d", "L2", "L3")


@dataclass(frozen=True)
class Crossing:
    """Two containers swap places between two adjacent points of the sweep."""
    workload: str
    kv: str
    metric: str        # "throughput" or "p99"
    first: str         # ahead below the crossing
    second: str        # ahead above it
    n_low: int
    n_high: int
    within_spread: bool  # the gap at either end is inside the repetitions' spread


def sweep_groups(run):
    """{(workload, kv): [ok cells at sweep sizes]} for groups with 2+ points."""
    out = {}
    for c in run.cells:
        if c.ok and sweep_live(c.size):
            out.setdefault((c.workload_label, c.kv), []).append(c)
    return {k: v for k, v in out.items() if len({c.size for c in v}) >= 2}


def _label(cell, allocators):
    return cell.impl if len(allocators) == 1 else cell.candidate


def metric_series(cells, value):
    """{label: [(N, value, spread fraction)]} sorted by N; points without a value dropped."""
    allocators = {c.allocator for c in cells}
    out = {}
    for c in cells:
        v, spread = value(c)
        if v is not None:
            out.setdefault(_label(c, allocators), []).append((sweep_live(c.size), v, spread))
    return {k: sorted(v) for k, v in sorted(out.items())}


def throughput_of(c):
    h = c.headline
    return (h.median, (h.mad_pct or 0) / 100.0) if h else (None, 0.0)


def p99_of(c):
    op = c.dominant_op
    return (c.percentile(op, "p99_ns") if op else None), 0.0


def crossings(series, workload, kv, metric, higher_is_better):
    """Every pair of containers whose order flips between two adjacent points
    they both have."""
    out = []
    names = sorted(series)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pa, pb = dict((n, (v, s)) for n, v, s in series[a]), dict((n, (v, s)) for n, v, s in series[b])
            common = sorted(set(pa) & set(pb))
            for lo, hi in zip(common, common[1:]):
                d_lo, d_hi = pa[lo][0] - pb[lo][0], pa[hi][0] - pb[hi][0]
                if d_lo == 0 or d_hi == 0 or (d_lo > 0) == (d_hi > 0):
                    continue
                a_first = (d_lo > 0) == higher_is_better
                noise = any(abs(pa[n][0] - pb[n][0]) <= (pa[n][1] * pa[n][0] + pb[n][1] * pb[n][0])
                            for n in (lo, hi))
                out.append(Crossing(workload, kv, metric, a if a_first else b, b if a_first else a,
                                    lo, hi, noise))
    return out


def leaders(series, higher_is_better):
    """[(N, leader)] at every point of the sweep."""
    points = sorted({n for pts in series.values() for n, _, _ in pts})
    out = []
    for n in points:
        here = {k: v for k, pts in series.items() for m, v, _ in pts if m == n}
        if here:
            pick = max if higher_is_better else min
            out.append((n, pick(here, key=here.get)))
    return out


def cache_marks(cells):
    """[(level, bytes, N)]: the N at which the median container's footprint at
    the end of its load phase reaches each cache level (log-log
    interpolation between points); levels outside the sweep's range are left out."""
    env = next((c.section("environment").get(ENV_CACHE_BYTES) for c in cells
                if c.section("environment").get(ENV_CACHE_BYTES)), None) or {}
    by_n = {}
    for c in cells:
        pe = c.phase_end[0] if c.phase_end else None
        fp = (pe or {}).get("after", {}).get("footprint_bytes")
        if fp:
            by_n.setdefault(sweep_live(c.size), []).append(fp)
    pts = sorted((n, sorted(v)[len(v) // 2]) for n, v in by_n.items())
    marks = []
    for level in CACHE_LEVELS:
        size = env.get(level)
        if not size:
            continue
        for (n0, b0), (n1, b1) in zip(pts, pts[1:]):
            if b0 <= size <= b1 and b1 > b0:
                t = (math.log(size) - math.log(b0)) / (math.log(b1) - math.log(b0))
                marks.append((level, size, math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0)))))
                break
    return marks


def _mib(b):
    return f"{b / 2 ** 20:g} MiB" if b >= 2 ** 20 else f"{b / 2 ** 10:g} KiB"


def sweep_figure(run, figdir, workload, kv):
    cells = sweep_groups(run).get((workload, kv))
    if not cells:
        return None
    thr, p99 = metric_series(cells, throughput_of), metric_series(cells, p99_of)
    op = cells[0].dominant_op or "dominant op"
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.0), layout="constrained")
    for k, name in enumerate(sorted(set(thr) | set(p99))):
        style = dict(color=COLOURS[k % len(COLOURS)], marker=MARKERS[k % len(MARKERS)], markersize=4,
                     linewidth=1.2, label=name)
        for ax, s, scale in ((a1, thr, 1e-6), (a2, p99, 1.0)):
            if name in s:
                ax.plot([n for n, _, _ in s[name]], [v * scale for _, v, _ in s[name]], **style)
    marks = cache_marks(cells)
    for ax in (a1, a2):
        ax.set_xscale("log")
        ax.set_xlabel("live keys N (nominal; fill 0.85 places each table's own N at or above it)")
        ax.grid(True, which="both", alpha=0.3)
        for level, size, n in marks:
            ax.axvline(n, color="#555555", linewidth=0.8, linestyle=(0, (4, 3)))
            ax.text(n, 1.0, f" {level} ({_mib(size)})", transform=ax.get_xaxis_transform(), fontsize=7,
                    va="top", rotation=90)
    a1.set_ylabel("steady-state throughput (Mops/s, median)")
    a2.set_ylabel(f"{op} P99 (ns)")
    a2.set_yscale("log")
    a1.legend(fontsize=7, loc="best")
    title = f"Throughput and {op} P99 against size — {workload}, kv {kv}"
    fig.suptitle(title)
    caption = (f"Each point a cell of its own (one process, its repetitions' median); the sweep's "
               f"points are nominal live sizes. Dashed lines: where the median container's footprint "
               f"after loading reaches each cache level of the machine (sidecar.environment."
               f"{ENV_CACHE_BYTES}). Where lines cross, the ranking changes: "
               + crossing_sentence(workload, kv, thr, p99))
    return save(fig, figdir, f"sweep_{slug(workload)}_{slug(kv)}", f"sweep/{workload}/{kv}", title, caption)


def crossing_sentence(workload, kv, thr, p99):
    """What the figure's lines say about rankings, in words, from the data."""
    lead = leaders(thr, True)
    parts = ["throughput leader by N: " + ", ".join(f"{n:,}: {who}" for n, who in lead) + "."]
    for metric, series, better in (("throughput", thr, True), ("P99", p99, False)):
        xs = crossings(series, workload, kv, metric, better)
        if xs:
            parts.append(f"{metric} crossings: " + "; ".join(
                f"{x.second} overtakes {x.first} between {x.n_low:,} and {x.n_high:,}"
                + (" (within the spread)" if x.within_spread else "") for x in xs) + ".")
        else:
            parts.append(f"No {metric} crossings: the order holds at every size.")
    return " ".join(parts)
