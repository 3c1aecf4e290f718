"""Drift over turnovers: a workload whose headline is one repeated steady
phase (churn_1 .. churn_50, one per turnover) drawn phase by phase, one line
per container: throughput, the miss cost (ns per lookup of a repeated
find_miss-only phase after each turnover, miss_1 .. miss_50, when the
workload has one), find-miss P50 and P99 (the spec's latency_by_phase),
tombstones, capacity, footprint and the mean and P99 probe length of
unsuccessful lookups, each read at the phase's end. A reader sees a table's
miss cost creep up and a policy (rehash, anti-drift) bring it down, and
when."""
import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.ticker import ScalarFormatter

from .fig_common import COLOURS, MARKERS, group_key, group_name, save

MIN_TURNOVERS = 10   # fewer repeated phases than this is not a drift curve
REPEAT_NAME = re.compile(r"^(?P<base>.+)_(?P<k>\d+)$")


@dataclass
class Turnover:
    """One repeated phase of one cell: what the curves plot."""
    k: int
    ops_per_second: float | None
    miss_ns: float | None          # ns per lookup of the turnover's find_miss-only phase
    miss_p50_ns: float | None
    miss_p99_ns: float | None
    tombstones: int | None
    capacity: int | None
    footprint_bytes: int | None
    miss_probe_mean: float | None
    miss_probe_p99: float | None


def _by_name(items, key="phase"):
    return {x.get(key) or x.get("name"): x for x in items or [] if isinstance(x, dict)}


def best_rate(phase):
    """A phase's rate in its fastest repetition. A turnover's phase lasts about
    a millisecond, so one preemption by another process makes that
    repetition's phase read many times slower; the fastest repetition is the
    one nothing interrupted (the median where no maximum is written)."""
    phase = phase or {}
    return phase.get("max_ops_per_second") or phase.get("median_ops_per_second")


def miss_phases(cell):
    """{k: phase name} of a repeated phase that only looks up absent keys
    (ops_by_type: find_miss alone), e.g. miss_1 .. miss_50."""
    out = {}
    for p in cell.section("workload").get("phases") or []:
        m = REPEAT_NAME.match(p.get("name") or "")
        ops = p.get("ops_by_type") or {}
        if m and ops.get("find_miss") and not any(v for op, v in ops.items() if op != "find_miss"):
            out[int(m["k"])] = p["name"]
    return out


def turnovers(cell):
    """[Turnover] of the cell's repeated headline phases (name <base>_<k>),
    in order; empty when the cell has fewer than MIN_TURNOVERS or no
    per-phase latency."""
    lat = _by_name(cell.section("latency").get("by_phase"))
    if not lat:
        return []
    thr = _by_name(cell.section("throughput").get("phases"), "name")
    ends = _by_name(cell.phase_end)
    misses = miss_phases(cell)
    out = []
    for name in cell.headline_phases:
        m = REPEAT_NAME.match(name)
        if not m:
            continue
        miss = (lat.get(name) or {}).get("per_op", {}).get("find_miss") or {}
        end = ends.get(name) or {}
        internals = end.get("internals") or {}
        probes = ((end.get("probe_lengths") or {}).get("miss")) or {}
        k = int(m["k"])
        miss_rate = best_rate(thr.get(misses.get(k)))
        out.append(Turnover(k, best_rate(thr.get(name)),
                            1e9 / miss_rate if miss_rate else None,
                            miss.get("p50_ns"), miss.get("p99_ns"), internals.get("tombstones"),
                            internals.get("capacity"), (end.get("after") or {}).get("footprint_bytes"),
                            probes.get("mean"), probes.get("p99")))
    return sorted(out, key=lambda t: t.k) if len(out) >= MIN_TURNOVERS else []


def drift_groups(run):
    """{(size, workload, kv): [(cell, [Turnover])]} for groups with drift data."""
    out = {}
    for c in run.cells:
        t = turnovers(c) if c.ok else []
        if t:
            out.setdefault((c.size, c.workload_label, c.kv), []).append((c, t))
    return out


PANELS = (("ops_per_second", "churn throughput (Mops/s, best rep.)", 1e-6, False),
          ("miss_ns", "miss cost (ns per lookup, best rep.)", 1.0, True),
          ("miss_p50_ns", "find_miss P50 (ns)", 1.0, False),
          ("miss_p99_ns", "find_miss P99 (ns)", 1.0, False),
          ("tombstones", "tombstones", 1.0, False),
          ("capacity", "capacity (slots)", 1.0, True),
          ("footprint_bytes", "footprint (MiB)", 1 / 2 ** 20, False),
          ("miss_probe_mean", "miss probe length, mean", 1.0, False),
          ("miss_probe_p99", "miss probe length, P99", 1.0, False))


def drift_figure(run, figdir, size, workload, kv):
    group = drift_groups(run).get((size, workload, kv))
    if not group:
        return None
    fig, axes = plt.subplots(3, 3, figsize=(13, 8.5), layout="constrained", sharex=True)
    allocators = {c.allocator for c, _ in group}
    for k, (c, ts) in enumerate(group):
        label = c.impl if len(allocators) == 1 else c.candidate
        style = dict(color=COLOURS[k % len(COLOURS)], marker=MARKERS[k % len(MARKERS)], markersize=2.5,
                     linewidth=1.1, label=label)
        for ax, (attr, _, scale, _) in zip(axes.flat, PANELS):
            pts = [(t.k, getattr(t, attr) * scale) for t in ts if getattr(t, attr) is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], **style)
    for ax, (_, ylabel, _, logy) in zip(axes.flat, PANELS):
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        if logy:
            ax.set_yscale("log", base=2)
            ax.yaxis.set_major_formatter(ScalarFormatter())
    for ax in axes[-1]:
        ax.set_xlabel("turnover (repeated steady phase)")
    axes.flat[0].legend(fontsize=7, loc="best")
    title = f"Drift over turnovers — {workload}, kv {kv}, size {size}"
    fig.suptitle(title)
    caption = ("One point per turnover (a steady phase that erases N keys), one line per container. "
               "Throughput: the phase's own rate in its fastest repetition (a phase lasts about a "
               "millisecond: one preemption makes a repetition's phase read many times slower); miss "
               "cost: the time of the lookups-of-absent-keys phase that follows each turnover over "
               "its lookups, fastest repetition; find_miss "
               "percentiles: every miss of the phase timed (latency pass, all repetitions); "
               "tombstones, capacity, footprint and the probe lengths of the phase's recent "
               "unsuccessful lookups: read at the phase's end in the memory pass. A blank panel "
               "line: the container does not report that figure.")
    return save(fig, figdir, f"drift_{group_name(size, workload, kv)}", group_key(size, workload, kv),
                title, caption)
