"""Heatmaps implementation x workload, one panel per allocator, one figure per
metric and key/value kind. Each square shows its value; its colour says how
close it is to the best implementation for that workload (column)."""
from .fig_common import MCell, draw_matrix, panel_grid, save, slug
from .metrics import HEATMAP_METRICS, goodness


def _grid(run, metric, impls, workloads, kv, allocator):
    grid = []
    for impl in impls:
        row = []
        for w in workloads:
            c = run.get(impl, w, kv, allocator)
            if c is None:
                row.append(None)
            elif not c.ok:
                row.append(MCell(failed=(c.failure or {}).get("reason", "unspecified")))
            else:
                row.append(MCell(metric.fmt(metric.get(c))) if metric.get(c) is not None else None)
        grid.append(row)
    # Score against the best ok value of each column.
    for j, w in enumerate(workloads):
        column = [metric.get(run.get(i, w, kv, allocator)) for i in impls
                  if run.get(i, w, kv, allocator) is not None and run.get(i, w, kv, allocator).ok]
        for r, impl in enumerate(impls):
            cell = grid[r][j]
            if cell is not None and cell.failed is None:
                cell.score = goodness(metric, metric.get(run.get(impl, w, kv, allocator)), column)
    return grid


def heatmap_figure(run, outdir, metric_key, kv):
    metric = next(m for m in HEATMAP_METRICS if m.key == metric_key)
    workloads = run.workloads_for(kv)
    impls = run.impls_for(kv=kv)
    allocators = run.allocators
    if not workloads or not impls:
        return None
    if not any(metric.get(c) is not None or not c.ok for c in run.cells if c.kv == kv):
        return None
    panel_w = 1.05 * len(workloads) + 0.6
    panel_h = 0.42 * len(impls) + 1.3
    fig, axes, ncols = panel_grid(len(allocators), panel_w + 1.8 / max(1, len(allocators)), panel_h)
    mappable = None
    for k, (ax, alloc) in enumerate(zip(axes, allocators)):
        grid = _grid(run, metric, impls, workloads, kv, alloc)
        mappable = draw_matrix(ax, impls, workloads, grid, show_rows=(k % ncols == 0))
        ax.set_title(f"allocator: {alloc}")
    better = "higher is better" if metric.higher_is_better else "lower is better"
    fig.suptitle(f"{metric.label} — kv {kv} ({better})", fontsize=11)
    cbar = fig.colorbar(mappable, ax=axes, shrink=0.8, pad=0.02, fraction=0.03)
    cbar.set_label("relative to best in column (1 = best)")
    name = f"heatmap_{metric.key}_{slug(kv)}"
    caption = (f"{metric.label} for each implementation (rows) and workload (columns), key/value "
               f"kind {kv}, one panel per allocator. Green is the best implementation for that "
               f"workload under that allocator, red the furthest from it ({better}). Hatched "
               f"squares failed; blank squares were not run.")
    return save(fig, outdir, name, "heatmaps", f"{metric.label}, kv {kv}", caption)


def heatmap_jobs(run):
    """[(function, args)]: one figure each, drawn as function(run, outdir, *args)."""
    return [(heatmap_figure, (metric.key, kv)) for metric in HEATMAP_METRICS for kv in run.kvs]
