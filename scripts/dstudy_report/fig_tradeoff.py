"""Throughput against tail latency for one workload, kv kind and size: every
cell a mark (allocator = marker), error bars from the repetitions, the
two-metric Pareto front drawn as a line and the cells of the three-metric
Pareto set (throughput, tail, memory) labelled."""
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from .fig_common import allocator_styles, finish_group_figure
from .metrics import METRICS, THROUGHPUT, fmt_ns
from .ranking import pareto


def tradeoff_figure(run, figdir, size, workload, kv, tail_key, pareto_ids):
    tail = METRICS[tail_key]
    cells = [c for c in run.cells_of(size, workload, kv)
             if c.ok and THROUGHPUT.value(c) is not None and tail.value(c) is not None]
    if len(cells) < 2:
        return None
    styles = allocator_styles(run.allocators)
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    for c in cells:
        marker, colour = styles[c.allocator]
        x, y = tail.value(c), THROUGHPUT.value(c) / 1e6
        xs, ys = tail.samples(c), THROUGHPUT.samples(c)
        xerr = [[x - min(xs)], [max(xs) - x]] if len(xs) >= 2 else None
        yerr = [[y - min(ys) / 1e6], [max(ys) / 1e6 - y]] if len(ys) >= 2 else None
        ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt=marker, color=colour, markersize=5,
                    linewidth=0.8, capsize=1.5, alpha=0.85)
        if c.id in pareto_ids:
            ax.plot([x], [y], "o", markersize=13, markerfacecolor="none", markeredgecolor="black")
            ax.annotate(c.impl, (x, y), textcoords="offset points", xytext=(7, 5), fontsize=7)
    front = sorted(pareto(cells, [THROUGHPUT, tail]), key=tail.value)
    if len(front) > 1:
        ax.step([tail.value(c) for c in front], [THROUGHPUT.value(c) / 1e6 for c in front], where="post",
                color="black", linewidth=0.8, linestyle="--", label="Pareto front (throughput vs tail)")
    for a in [a for a in run.allocators if any(c.allocator == a for c in cells)]:
        marker, colour = styles[a]
        ax.plot([], [], marker, color=colour, label=a)
    ax.plot([], [], "o", markersize=11, markerfacecolor="none", markeredgecolor="black",
            label="Pareto set (with memory)")
    ax.set_xscale("log")
    for axis in (ax.xaxis.set_major_formatter, ax.xaxis.set_minor_formatter):
        axis(FuncFormatter(lambda v, _: fmt_ns(v)))
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel(f"{tail.label} (ns, log; lower is better)")
    ax.set_ylabel("steady-state throughput (Mops/s; higher is better)")
    title = f"Throughput vs tail — {workload}, kv {kv}, size {size}"
    caption = (f"Each mark is a container x allocator on {workload} (kv {kv}, size {size}); up and "
               "left is better. Error bars span the independent repetitions. The dashed line joins "
               "the cells no other beats on both axes; ringed and named are those no other beats "
               "on throughput, tail and memory together.")
    return finish_group_figure(fig, ax, figdir, "tradeoff", size, workload, kv, title, caption)
