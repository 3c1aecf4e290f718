"""Comparison heatmaps: new/base ratio per cell, implementation x workload,
one panel per allocator. Green is better in the new run, red worse, on a log
scale that saturates at 2x either way."""
import math

from dstudy_runner.contract import KV_KINDS

from .fig_common import save
from .fig_matrix import MCell, draw_matrix, panel_grid

PANELS = (
    ("throughput", "Throughput new/base", lambda d: d.throughput_ratio, True),
    ("p99", "Worst P99 new/base", lambda d: max(d.p99_ratio.values()) if d.p99_ratio else None, False),
    ("memory", "Peak memory new/base", lambda d: d.memory_ratio, False),
)


def compare_figure(diffs, figdir, key, label, get, higher_is_better, alpha):
    allocators, rows, workloads = [], [], []
    kvs = {d.key[2] for d in diffs}
    sizes = {d.key[4] for d in diffs}
    for d in diffs:
        impl, w, kv, alloc, size = d.key
        for lst, v in ((allocators, alloc), (rows, (impl, kv, size)), (workloads, w)):
            if v not in lst:
                lst.append(v)
    impl_order = [r[0] for r in rows]
    kv_order = [k for k in KV_KINDS if k in kvs] + sorted(k for k in kvs if k not in KV_KINDS)
    rows.sort(key=lambda r: (kv_order.index(r[1]), impl_order.index(r[0])))
    by_key = {d.key: d for d in diffs}
    if not any(get(d) is not None for d in diffs):
        return None
    row_labels = [impl + (f" [{kv}]" if len(kvs) > 1 else "") + (f" ({size})" if len(sizes) > 1 else "")
                  for impl, kv, size in rows]
    fig, axes, ncols = panel_grid(len(allocators), 1.05 * len(workloads) + 1.2, 0.42 * len(rows) + 1.4)
    mappable = None
    for k, (ax, alloc) in enumerate(zip(axes, allocators)):
        grid = []
        for impl, kv, size in rows:
            line = []
            for w in workloads:
                d = by_key.get((impl, w, kv, alloc, size))
                if d is None:
                    line.append(None)
                elif d.new is not None and not d.new.ok:
                    side = "both" if d.base is not None and not d.base.ok else "new"
                    line.append(MCell(failed=f"{side}: {(d.new.failure or {}).get('reason', '?')}"))
                elif d.base is not None and not d.base.ok:
                    line.append(MCell(failed=f"base: {(d.base.failure or {}).get('reason', '?')}"))
                elif get(d) is None:
                    line.append(None)
                else:
                    r = get(d)
                    score = math.log2(r) if r > 0 else -1.0
                    if not higher_is_better:
                        score = -score
                    mark = "*" if key == "throughput" and d.p_value is not None and d.p_value <= alpha else ""
                    line.append(MCell(f"{r:.2f}x{mark}", score))
            grid.append(line)
        mappable = draw_matrix(ax, row_labels, workloads, grid, vmin=-1.0, vmax=1.0,
                               show_rows=(k % ncols == 0))
        ax.set_title(f"allocator: {alloc}")
    cbar = fig.colorbar(mappable, ax=axes, shrink=0.8, pad=0.02, fraction=0.03)
    cbar.set_ticks([-1, -0.5, 0, 0.5, 1])
    cbar.set_ticklabels(["2x worse", "1.4x worse", "same", "1.4x better", "2x better"])
    note = "  (* significant, Mann-Whitney U)" if key == "throughput" else ""
    fig.suptitle(f"{label}{note}", fontsize=11)
    better = "higher" if higher_is_better else "lower"
    caption = (f"{label} per cell ({better} is better): green cells improved in the new run, red "
               "cells regressed; the colour saturates at a factor of 2. "
               + ("A star marks a throughput change the U test finds significant. "
                  if key == "throughput" else "")
               + "Hatched cells failed in one of the runs.")
    return save(fig, figdir, f"compare_{key}", "compare", label, caption)


def compare_figures(diffs, figdir, alpha):
    return [f for f in (compare_figure(diffs, figdir, k, label, get, hib, alpha)
                        for k, label, get, hib in PANELS) if f]
