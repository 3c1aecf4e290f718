"""The miss-cost table (markdown lines) of a run of the drift preset, for
the reference study's pages (reference_pages.py). The run's report has the
first/last table (depth.py); this one adds the medians over the turnovers,
the rebuilds and the rank correlations.

Per container, from the per-turnover series the report's drift figure
draws (scripts/dstudy_report/fig_drift.py, turnovers(): each turnover's
miss cost in its fastest repetition, tombstones, capacity and the mean
probe length of unsuccessful lookups at the turnover's end): the miss cost
at the first and last turnover, its median, minimum and maximum over all
turnovers, the medians of the first and last ten, the tombstones and miss
probe mean at the first and last turnover, the rebuilds (rehashes,
cleanups, migrations) counted during the turnovers, and Spearman rank
correlations between tombstones, miss probe mean and miss cost.
"""
import statistics

from scipy.stats import spearmanr

from .fig_drift import turnovers


def rank_corr(xs, ys):
    if any(v is None for v in xs + ys) or len(set(xs)) < 2 or len(set(ys)) < 2:
        return ""
    return f"{spearmanr(xs, ys).correlation:.2f}"


def first_last(values, fmt):
    return "" if values[0] is None else f"{fmt(values[0])} → {fmt(values[-1])}"


def rebuilds(cell):
    """Rebuilds during the turnovers: the counter at the last phase end less
    the one at the end of the load phase (the load's growth rehashes)."""
    counts = [(e.get("internals") or {}).get("compactions") for e in cell.phase_end]
    load = next((e for e in cell.phase_end if e.get("phase") == "load"), {})
    at_load = (load.get("internals") or {}).get("compactions")
    return "" if counts[-1] is None or at_load is None else str(counts[-1] - at_load)


def row(cell, ts):
    miss = [t.miss_ns for t in ts]
    tomb = [t.tombstones for t in ts]
    probe = [t.miss_probe_mean for t in ts]
    return [cell.impl, str(len(ts)), f"{miss[0]:.1f}", f"{miss[-1]:.1f}",
            f"{statistics.median(miss):.1f} ({min(miss):.1f}-{max(miss):.1f})",
            f"{statistics.median(miss[:10]):.1f} / {statistics.median(miss[-10:]):.1f}",
            first_last(tomb, lambda v: f"{v:,}"), first_last(probe, lambda v: f"{v:.2f}"), rebuilds(cell),
            rank_corr(tomb, probe), rank_corr(probe, miss), rank_corr(tomb, miss)]


HEAD = ["container", "turnovers", "miss cost t1 (ns)", "t50 (ns)", "median of all (min-max)",
        "median t1-10 / t41-50", "tombstones t1 → t50", "miss probe mean t1 → t50", "rebuilds",
        "rank corr. tombstones ~ probe", "probe ~ miss cost", "tombstones ~ miss cost"]


def lines(run):
    """The table, one row per container with turnovers; [] when none has."""
    rows = []
    for cell in sorted(run.cells, key=lambda c: c.impl):
        ts = [t for t in turnovers(cell) if t.miss_ns is not None] if cell.ok else []
        if ts:
            rows.append("| " + " | ".join(row(cell, ts)) + " |")
    if not rows:
        return []
    return ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)] + rows
