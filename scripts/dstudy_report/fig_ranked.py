"""Containers ranked by steady-state throughput for one workload, kv kind and
size: one row per container (best first), one mark per allocator at the
median of the independent repetitions, the bar spanning their min..max."""
import matplotlib.pyplot as plt

from .fig_common import FAILED_COLOUR, allocator_styles, group_key, group_name, save
from .metrics import THROUGHPUT


def ranked_figure(run, figdir, size, workload, kv, recommended):
    cells = run.cells_of(size, workload, kv)
    allocators = [a for a in run.allocators if any(c.allocator == a for c in cells)]
    styles = allocator_styles(run.allocators)
    best = {}
    for c in cells:
        v = THROUGHPUT.value(c) if c.ok else None
        best[c.impl] = max(best.get(c.impl) or 0, v or 0)
    impls = sorted(best, key=lambda i: -best[i])
    if not any(best.values()):
        return None
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(impls) + 1.4), layout="constrained")
    offset = {a: (k - (len(allocators) - 1) / 2) * 0.5 / max(1, len(allocators)) for k, a in enumerate(allocators)}
    for c in cells:
        y = impls.index(c.impl) + offset[c.allocator]
        marker, colour = styles[c.allocator]
        h = c.headline if c.ok else None
        if h is None:
            ax.text(0, y, f" {('FAILED ' + (c.failure or {}).get('reason', '')) if not c.ok else 'no figure'}"
                          f" ({c.allocator})", va="center", fontsize=7, color=FAILED_COLOUR)
            continue
        lo, hi = (h.low or h.median) / 1e6, (h.high or h.median) / 1e6
        ax.errorbar([h.median / 1e6], [y], xerr=[[h.median / 1e6 - lo], [hi - h.median / 1e6]], fmt=marker,
                    color=colour, markersize=5, capsize=2, linewidth=1,
                    markeredgecolor="black" if c.id in recommended else colour,
                    markeredgewidth=1.4 if c.id in recommended else 0.5)
        if c.competing:
            ax.text(hi, y, " competing", va="center", fontsize=7, color="#a05a00")
    for a in allocators:
        marker, colour = styles[a]
        ax.plot([], [], marker, color=colour, label=a)
    ax.set_yticks(range(len(impls)))
    ax.set_yticklabels(impls)
    ax.set_ylim(len(impls) - 0.5, -0.5)
    ax.set_xlim(left=0)
    ax.set_xlabel("steady-state throughput (Mops/s): median, bar = min..max of the repetitions")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(title="allocator", loc="lower right", fontsize=8)
    title = f"Throughput ranking — {workload}, kv {kv}, size {size}"
    ax.set_title(title)
    caption = (f"Containers on {workload} (kv {kv}, size {size}), fastest first: each mark is one "
               "allocator, at the median of the independent repetitions, the bar their range. "
               "Bars that overlap are not a ranking. A black edge marks the recommended cell(s).")
    return save(fig, figdir, f"ranked_{group_name(size, workload, kv)}", group_key(size, workload, kv),
                title, caption)
