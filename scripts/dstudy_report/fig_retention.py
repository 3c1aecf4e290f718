"""Memory kept after the workload's drain, as a fraction of the peak: for each
container and allocator, just after the deletes (the mark), after the last
idle probe (tick) and after the allocator's purge (the line's left end).
The values are memory.derived.drains as the harness wrote them, the same
numbers as the retention table, in two layers: heap_bytes (what the program
still holds) and rss_bytes (what the OS still charges)."""
import matplotlib.pyplot as plt

from .fig_common import FAILED_COLOUR, allocator_styles, group_key, group_name, save
from .tables import RETENTION_LAYERS


def drain_values(cell, phase, layer):
    """(retention, after idle, after purge) of one drain phase and layer, or None."""
    for d in cell.drains:
        if d.get("phase") == phase:
            r = (d.get("layers") or {}).get(layer) or {}
            if r.get("retention") is not None:
                return r.get("retention"), r.get("retention_after_idle"), r.get("retention_after_purge")
    return None


def retention_phase(cells):
    phases = [c.derived.get("drain_phase") for c in cells if c.ok and c.derived.get("drain_phase")]
    return phases[0] if phases else None


def retention_figure(run, figdir, size, workload, kv):
    group = run.cells_of(size, workload, kv)
    cells = [c for c in group if c.ok]
    failed = [c for c in group if not c.ok]
    phase = retention_phase(cells)
    if phase is None or not any(drain_values(c, phase, RETENTION_LAYERS[0]) for c in cells):
        return None
    impls = [i for i in run.impls if any(c.impl == i for c in group)]
    allocators = [a for a in run.allocators if any(c.allocator == a for c in group)]
    styles = allocator_styles(run.allocators)
    fig, axes = plt.subplots(1, len(RETENTION_LAYERS), figsize=(9.5, 0.32 * len(impls) + 1.6),
                             sharey=True, squeeze=False, layout="constrained")
    for ax, layer in zip(axes[0], RETENTION_LAYERS):
        for c in cells:
            v = drain_values(c, phase, layer)
            if v is None:
                continue
            after, idle, purge = v
            marker, colour = styles[c.allocator]
            y = impls.index(c.impl) + (allocators.index(c.allocator) - (len(allocators) - 1) / 2) * 0.25
            if purge is not None:
                ax.plot([purge, after], [y, y], "-", color=colour, linewidth=1.2)
            if idle is not None:
                ax.plot([idle], [y], "|", color=colour, markersize=8)
            ax.plot([after], [y], marker, color=colour, markersize=5)
        for c in failed:
            ax.text(0.02, impls.index(c.impl), f"FAILED ({c.allocator}: {(c.failure or {}).get('reason', '')})",
                    va="center", fontsize=7, color=FAILED_COLOUR)
        ax.set_title(layer)
        ax.set_xlim(0, 1.1)
        ax.set_xlabel(f"fraction of the peak up to the end of {phase}")
        ax.grid(True, axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(impls)))
    axes[0][0].set_yticklabels(impls)
    axes[0][0].set_ylim(len(impls) - 0.5, -0.5)
    for a in allocators:
        marker, colour = styles[a]
        axes[0][-1].plot([], [], marker, color=colour, label=a)
    axes[0][-1].legend(title="allocator", fontsize=7, loc="lower right")
    title = f"Memory kept after {phase} — {workload}, kv {kv}, size {size}"
    fig.suptitle(title, fontsize=10)
    caption = (f"After the drain phase {phase}: the mark is what each layer keeps just after the "
               "deletes, the tick after the last idle probe, the line's left end after the "
               "allocator's purge, all as fractions of the layer's peak (memory.derived.drains; "
               "the retention table lists the same numbers). The gap between the two panels is "
               "what the allocator keeps for itself.")
    return save(fig, figdir, f"retention_{group_name(size, workload, kv)}", group_key(size, workload, kv),
                title, caption)
