"""Memory over operations for the cells a workload's recommendations name:
the headline layer (solid) and RSS (dashed) of each, above the baseline,
with the phase boundaries marked. Creep at a constant live size is
tombstones or capacity; RSS that stays up while the heap falls is the
allocator keeping pages."""
import matplotlib.pyplot as plt

from .fig_common import COLOURS, group_key, group_name, save


def _scale(max_bytes):
    for unit, s in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if max_bytes >= s:
            return unit, s
    return "B", 1


def phase_starts(series):
    """[(op, phase)] where each phase's first sample is."""
    starts, last = [], object()
    for s in series:
        if s.get("phase") != last:
            last = s.get("phase")
            starts.append((s["op"], last))
    return starts


def timeline_figure(run, figdir, size, workload, kv, cell_ids):
    cells = [c for c in run.cells_of(size, workload, kv) if c.id in cell_ids and c.ok and c.series]
    if not cells:
        return None
    layer = cells[0].headline_layer
    peak = max((s.get(k) or 0) for c in cells for s in c.series for k in (layer, "rss_bytes"))
    unit, scale = _scale(peak)
    fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
    for k, c in enumerate(cells):
        colour = COLOURS[k % len(COLOURS)]
        for name, style in ((layer, "-"), ("rss_bytes", "--")):
            pts = [(s["op"], s[name] / scale) for s in c.series if s.get(name) is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=colour, linewidth=1.2,
                        label=f"{c.candidate} ({name})")
    for k, (op, phase) in enumerate(phase_starts(cells[0].series)):
        if k > 0:
            ax.axvline(op, color="#555555", linewidth=0.8, linestyle=(0, (4, 3)))
        ax.text(op, 1.0, f" {phase}", transform=ax.get_xaxis_transform(), fontsize=7, va="top")
    ax.set_xlabel("operations")
    ax.set_ylabel(f"bytes above baseline ({unit})")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    title = f"Memory over the run, named cells — {workload}, kv {kv}, size {size}"
    ax.set_title(title)
    caption = (f"{layer} (solid; the same under every allocator) and RSS (dashed) over the run of "
               f"{workload}, for the cells the recommendations name; dashed vertical lines are phase "
               "boundaries (from the first cell).")
    return save(fig, figdir, f"memory_{group_name(size, workload, kv)}", group_key(size, workload, kv),
                title, caption)
