"""Open-loop figures of one (size, workload, kv) group: response time
percentiles against offered load, one line per cell, the knee marked; and
service against response time at one offered load (open_loop.py's
reference rate). Drawn from sidecar.open_loop as the harness wrote it."""
import matplotlib.pyplot as plt

from .fig_common import COLOURS, group_name, save
from .open_loop import PERCENTILES_SHOWN, REFERENCE_FRACTION, load_text, open_loop_cells

GROUP_PREFIX = "open_loop"   # figures of the report's open-loop section


def figure_group(size, workload, kv):
    """The page section these figures belong to (not a per-workload one)."""
    return f"{GROUP_PREFIX}/{size}/{workload}/{kv}"


def _x(rate, by_fraction):
    return rate["fraction"] if by_fraction else rate["target_ops_per_second"] / 1e6


def load_figure(run, figdir, size, workload, kv):
    cells = open_loop_cells(run, size, workload, kv)
    if not cells:
        return None
    by_fraction = all(r.get("fraction") is not None for oc in cells for r in oc.rates)
    fig, axes = plt.subplots(1, len(PERCENTILES_SHOWN), figsize=(12, 3.6), layout="constrained", sharex=True)
    for k, oc in enumerate(cells):
        colour = COLOURS[k % len(COLOURS)]
        knee = (oc.knee or {}).get("target_ops_per_second")
        for ax, (key, name) in zip(axes, PERCENTILES_SHOWN):
            pts = [(_x(r, by_fraction), r["response"]["all"].get(key), r["service"]["all"].get(key),
                    r["target_ops_per_second"] == knee) for r in oc.rates]
            pts = [p for p in pts if p[1]]
            if not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=colour, markersize=4,
                    label=oc.cell.candidate if ax is axes[0] else None)
            ax.plot([p[0] for p in pts], [p[2] for p in pts], ":", color=colour, linewidth=1)
            for x, y, _, is_knee in pts:
                if is_knee:
                    ax.plot([x], [y], marker="*", markersize=14, markerfacecolor="none", color=colour)
            ax.set_title(f"response {name}")
    for ax in axes:
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlabel("offered load (fraction of throughput)" if by_fraction else "offered load (M ops/s)")
    axes[0].set_ylabel("time (ns, log)")
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(4, len(cells)), fontsize=7)
    title = f"Open loop: response time vs offered load — {workload}, kv {kv}, size {size}"
    caption = ("Response time (completion minus scheduled arrival) at each offered load, solid; the "
               "same ops' service time (completion minus actual start), dotted. A star marks the "
               "cell's knee: the lowest load whose response P99 exceeds twice its service P99. "
               "Where the lines part, callers wait for the ops ahead of them: a stall of S at rate R "
               "delays about R x S later ops.")
    return save(fig, figdir, f"open_loop_load_{group_name(size, workload, kv)}", figure_group(size, workload, kv),
                title, caption)


def rate_figure(run, figdir, size, workload, kv):
    cells = open_loop_cells(run, size, workload, kv)
    if not cells:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    xs = list(range(len(PERCENTILES_SHOWN)))
    loads = []
    for k, oc in enumerate(cells):
        colour = COLOURS[k % len(COLOURS)]
        r = oc.reference_rate()
        loads.append(load_text(r))
        for part, style, label in (("response", "o-", "response"), ("service", "s:", "service")):
            ys = [r[part]["all"].get(key) for key, _ in PERCENTILES_SHOWN]
            pts = [(x, y) for x, y in zip(xs, ys) if y]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=colour, markersize=4,
                    label=f"{oc.cell.candidate}: {label}")
    ax.set_xticks(xs)
    ax.set_xticklabels([name for _, name in PERCENTILES_SHOWN])
    ax.set_yscale("log")
    ax.set_ylabel("time (ns, log)")
    ax.set_xlabel("percentile (all op types of the paced phases)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    title = f"Open loop: service vs response time — {workload}, kv {kv}, size {size}"
    caption = (f"At the offered load nearest {REFERENCE_FRACTION} of each cell's throughput "
               f"({'; '.join(f'{oc.cell.candidate}: {t}' for oc, t in zip(cells, loads))}): service time "
               "(what the closed-loop latency pass reports) and response time (what a caller that "
               "sent the request on schedule waits), side by side. Use service time to compare the "
               "operations themselves, response time to size a service's latency budget.")
    ax.set_title(title)
    return save(fig, figdir, f"open_loop_rate_{group_name(size, workload, kv)}", figure_group(size, workload, kv),
                title, caption)


def open_loop_jobs(run):
    """[(function, args)] for every group with open-loop results."""
    groups = sorted({(oc.cell.size, oc.cell.workload, oc.cell.kv) for oc in open_loop_cells(run)})
    return [(f, g) for g in groups for f in (load_figure, rate_figure)]
