"""Matrices implementation x allocator, one figure per workload: which
allocator suits which container. Rows are "impl [kv]" when the workload ran
several key/value kinds. Colour compares allocators within a row."""
from .fig_common import MCell, draw_matrix, panel_grid, save, slug
from .metrics import GROWTH, THROUGHPUT, WORST_P99, goodness

METRICS = (THROUGHPUT, WORST_P99, GROWTH)


def _rows(run, workload):
    kvs = [k for k in run.kvs if any(c.kv == k and c.workload_label == workload for c in run.cells)]
    rows = []
    for kv in kvs:
        for impl in run.impls_for(workload, kv):
            rows.append((impl, kv, impl if len(kvs) == 1 else f"{impl} [{kv}]"))
    return rows


def alloc_matrix_figure(run, outdir, workload):
    rows = _rows(run, workload)
    allocators = run.allocators
    if not rows:
        return None
    panel_w = 1.1 * len(allocators) + 0.8
    panel_h = 0.42 * len(rows) + 1.3
    fig, axes, ncols = panel_grid(len(METRICS), panel_w, panel_h)
    mappable = None
    for k, (ax, metric) in enumerate(zip(axes, METRICS)):
        grid = []
        for impl, kv, _ in rows:
            cells = [run.get(impl, workload, kv, a) for a in allocators]
            row_values = [metric.get(c) for c in cells if c is not None and c.ok]
            row = []
            for c in cells:
                if c is None:
                    row.append(None)
                elif not c.ok:
                    row.append(MCell(failed=(c.failure or {}).get("reason", "unspecified")))
                elif metric.get(c) is None:
                    row.append(None)
                else:
                    row.append(MCell(metric.fmt(metric.get(c)),
                                     goodness(metric, metric.get(c), row_values)))
            grid.append(row)
        mappable = draw_matrix(ax, [r[2] for r in rows], allocators, grid, show_rows=(k % ncols == 0))
        better = "higher" if metric.higher_is_better else "lower"
        ax.set_title(f"{metric.label}\n({better} is better)")
    cbar = fig.colorbar(mappable, ax=axes, shrink=0.8, pad=0.02, fraction=0.03)
    cbar.set_label("relative to best allocator in row (1 = best)")
    fig.suptitle(f"Implementation x allocator — workload {workload}", fontsize=11)
    caption = (f"Workload {workload}: each row is one implementation, each column an allocator. "
               "Colour compares allocators for the same implementation (green = best allocator "
               "for that container). P99 is the worst P99 over the operation types. "
               "Hatched squares failed; blank squares were not run.")
    return save(fig, outdir, f"alloc_matrix_{slug(workload)}", "alloc_matrices",
                f"Implementation x allocator, {workload}", caption)


def alloc_matrix_jobs(run):
    """[(function, args)]: one figure each, drawn as function(run, outdir, *args)."""
    return [(alloc_matrix_figure, (w,)) for w in run.workloads]
