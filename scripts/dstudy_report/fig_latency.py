"""Latency percentile curves: per operation type, the service time at each
percentile, one line per implementation, log scales. The curve comes from the
cell's latency histogram; the markers are the reported P50, P90, P99, P99.9
and max."""
import math

import matplotlib.pyplot as plt

from .fig_common import per_workload_kv_allocator_jobs, impl_colours, save, slug
from .load import OP_TYPES, PERCENTILES

QUANTILE = {"p50_ns": 0.5, "p90_ns": 0.9, "p99_ns": 0.99, "p999_ns": 0.999}
TICKS = ((0.5, "50%"), (0.9, "90%"), (0.99, "99%"), (0.999, "99.9%"), (0.9999, "99.99%"),
         (0.99999, "99.999%"))


def qpos(q):
    """x position of quantile q: 1 per 'nine'."""
    return -math.log10(1.0 - q)


def histogram_curve(hist):
    """Step curve (x positions, values) from [[value_ns, count], ...]."""
    pairs = sorted((v, n) for v, n in hist.get("counts") or [] if n > 0)
    total = sum(n for _, n in pairs)
    if total == 0:
        return [], []
    xs, ys, before = [], [], 0
    cap = math.log10(total)
    for v, n in pairs:
        q0, q1 = before / total, (before + n) / total
        xs += [qpos(q0), min(qpos(q1) if q1 < 1 else cap, cap)]
        ys += [v, v]
        before += n
    return xs, ys


def summary_points(lat):
    xs, ys = [], []
    count = lat.get("count") or 0
    for key, _ in PERCENTILES:
        v = lat.get(key)
        if v is None or v <= 0:
            continue
        if key == "max_ns":
            xs.append(math.log10(count) if count > 1 else qpos(0.9999))
        else:
            xs.append(qpos(QUANTILE[key]))
        ys.append(v)
    return xs, ys


def latency_figure(run, outdir, workload, kv, allocator, impls):
    colours = impl_colours(run.impls)
    cells = [(i, run.get(i, workload, kv, allocator)) for i in impls]
    cells = [(i, c) for i, c in cells if c is not None]
    ops = [op for op in OP_TYPES if any(c.ok and c.latency(op) for _, c in cells)]
    if not ops:
        return None
    ncols = min(2, len(ops))
    nrows = (len(ops) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.2 * ncols, 3.4 * nrows + 0.9), squeeze=False,
                             layout="constrained")
    flat = [ax for row in axes for ax in row]
    for ax in flat[len(ops):]:
        ax.set_visible(False)
    handles = {}
    xmax = qpos(0.999) + 0.5
    for ax, op in zip(flat, ops):
        for impl, c in cells:
            lat = c.latency(op) if c.ok else None
            if not lat:
                continue
            colour = colours[impl]
            hx, hy = histogram_curve(lat.get("histogram") or {})
            sx, sy = summary_points(lat)
            if hx:
                (line,) = ax.plot(hx, hy, "-", color=colour, linewidth=1.3, label=impl)
                ax.plot(sx, sy, "o", color=colour, markersize=3.5)
            else:
                (line,) = ax.plot(sx, sy, "o-", color=colour, linewidth=1.3, markersize=3.5, label=impl)
            handles[impl] = line
            xmax = max([xmax] + sx + hx)
        ax.set_yscale("log")
        ax.set_title(op)
        ax.set_ylabel("service time (ns)")
        ticks = [(qpos(q), t) for q, t in TICKS if qpos(q) <= xmax + 0.01]
        ax.set_xticks([t[0] for t in ticks])
        ax.set_xticklabels([t[1] for t in ticks])
        ax.set_xlim(0, xmax + 0.15)
        ax.set_xlabel("percentile (last marker = max)")
        ax.grid(True, which="both", alpha=0.3)
    failed = [i for i, c in cells if not c.ok]
    order = [i for i in impls if i in handles]
    title = f"Latency percentiles — {workload}, kv {kv}, allocator {allocator}"
    if failed:
        title += f"   (FAILED: {', '.join(failed)})"
    fig.suptitle(title, fontsize=11)
    fig.legend([handles[i] for i in order], order, loc="upper center", bbox_to_anchor=(0.5, 0.0), frameon=False,
               ncol=min(len(order), 5))
    caption = (f"Per-operation service time for {workload} (kv {kv}) under {allocator}: each line "
               "is one implementation, read left to right from the median to the tail; the "
               "markers are the reported P50, P90, P99, P99.9 and max. Both axes are logarithmic. "
               "A line that rises late and steeply has rare but large stalls (rehashes, "
               "compactions).")
    return save(fig, outdir, f"latency_{slug(workload)}_{slug(kv)}_{slug(allocator)}", "latency",
                f"Latency percentiles, {workload}, kv {kv}, {allocator}", caption)


def latency_jobs(run):
    return per_workload_kv_allocator_jobs(run, latency_figure)
