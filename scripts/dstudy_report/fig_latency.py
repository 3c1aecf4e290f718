"""Latency percentile curves of the op type that dominates a workload, for
the cells its recommendations name: the service-time histogram read from the
median to the tail (one step per 'nine'), the reported percentiles as dots
(only those with enough samples) and the true max as the last dot."""
import math

import matplotlib.pyplot as plt

from dstudy_runner.contract import PERCENTILES

from .fig_common import COLOURS, finish_group_figure

TICKS = ((0.5, "50%"), (0.9, "90%"), (0.99, "99%"), (0.999, "99.9%"), (0.9999, "99.99%"),
         (0.99999, "99.999%"), (0.999999, "99.9999%"))


def qpos(q):
    """x position of quantile q: 1 per 'nine'."""
    return -math.log10(1.0 - q)


def histogram_curve(hist):
    """Step curve (x positions, values) from [[lower_bound_ns, count], ...]."""
    pairs = sorted((v, n) for v, n in hist.get("counts") or [] if n > 0)
    total = sum(n for _, n in pairs)
    if total == 0:
        return [], []
    xs, ys, before = [], [], 0
    cap = math.log10(total)
    for v, n in pairs:
        q0, q1 = before / total, (before + n) / total
        xs += [min(qpos(q0), cap), min(qpos(q1) if q1 < 1 else cap, cap)]
        ys += [max(v, 1), max(v, 1)]
        before += n
    return xs, ys


def summary_points(lat):
    """(xs, ys) of the non-null percentiles, then the max at log10(count)."""
    xs, ys = [], []
    for key, _, q in PERCENTILES:
        if lat.get(key):
            xs.append(qpos(q))
            ys.append(lat[key])
    if lat.get("max_ns") and (lat.get("count") or 0) > 1:
        xs.append(math.log10(lat["count"]))
        ys.append(lat["max_ns"])
    return xs, ys


def latency_figure(run, figdir, size, workload, kv, cell_ids):
    cells = [c for c in run.cells_of(size, workload, kv) if c.id in cell_ids and c.ok]
    op = next((c.dominant_op for c in cells if c.dominant_op), None)
    cells = [c for c in cells if op and c.latency(op)]
    if not cells:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    xmax = qpos(0.999)
    for k, c in enumerate(cells):
        lat = c.latency(op)
        colour = COLOURS[k % len(COLOURS)]
        hx, hy = histogram_curve(lat.get("histogram") or {})
        sx, sy = summary_points(lat)
        if hx:
            ax.plot(hx, hy, "-", color=colour, linewidth=1.3, label=f"{c.candidate} (n={lat.get('count'):,})")
        ax.plot(sx, sy, "o", color=colour, markersize=3.5, **({} if hx else {"label": c.candidate}))
        xmax = max([xmax] + sx + hx)
    ax.set_yscale("log")
    ax.set_ylabel("service time (ns, log)")
    ticks = [(qpos(q), t) for q, t in TICKS if qpos(q) <= xmax + 0.01]
    ax.set_xticks([t[0] for t in ticks])
    ax.set_xticklabels([t[1] for t in ticks])
    ax.set_xlim(0, xmax + 0.15)
    ax.set_xlabel("percentile (the last dot of a line is its true max)")
    title = f"{op} latency, named cells — {workload}, kv {kv}, size {size}"
    caption = (f"Service time of {op} (the op type that dominates {workload}'s headline phases) for "
               "the cells the recommendations name. Dots are the reported percentiles (a percentile "
               "with too few samples is not drawn) and the true max; a line that rises late and "
               "steeply has rare, large stalls (rehashes, compactions).")
    return finish_group_figure(fig, ax, figdir, "latency", size, workload, kv, title, caption, "upper left")
