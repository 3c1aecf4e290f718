"""Memory over operations: the layers of each implementation's memory as the
workload runs, one figure per workload, key/value kind and allocator, with the
phase boundaries (load, churn, drain, probe...) marked."""
import matplotlib.pyplot as plt

from .fig_common import per_workload_kv_allocator_jobs, save, slug

# (layer, legend label, colour, line style)
LAYER_STYLE = (
    ("payload_bytes", "payload (live entries)", "#2ca02c", "-"),
    ("footprint_bytes", "container footprint", "#1f77b4", "-"),
    ("allocator_allocated_bytes", "allocator allocated", "#9467bd", ":"),
    ("allocator_resident_bytes", "allocator resident", "#ff7f0e", "-"),
    ("rss_bytes", "process RSS", "#d62728", "--"),
)


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


def timeline_figure(run, outdir, workload, kv, allocator, impls):
    cells = [(i, run.get(i, workload, kv, allocator)) for i in impls]
    cells = [(i, c) for i, c in cells if c is not None]
    if not any(c.ok and c.series for _, c in cells):
        return None
    peak = max((s.get(layer) or 0) for _, c in cells for s in c.series for layer, *_ in LAYER_STYLE)
    unit, scale = _scale(peak)
    max_op = max(s["op"] for _, c in cells for s in c.series)
    op_div, op_unit = (1e6, "M ops") if max_op >= 2e6 else ((1e3, "k ops") if max_op >= 2e3 else (1, "ops"))
    ncols = min(3, len(cells))
    nrows = (len(cells) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.0 * ncols, 2.9 * nrows + 0.8),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    flat = [ax for row in axes for ax in row]
    for ax in flat[len(cells):]:
        ax.set_visible(False)
    handles = {}
    for ax, (impl, c) in zip(flat, cells):
        ax.set_title(impl)
        ax.grid(True, alpha=0.3)
        if not c.ok:
            reason = (c.failure or {}).get("reason", "unspecified")
            ax.text(0.5, 0.5, f"FAILED ({reason})", transform=ax.transAxes, ha="center",
                    va="center", color="#7f0000", fontweight="bold")
            ax.set_facecolor("#eeeeee")
            continue
        ops = [s["op"] / op_div for s in c.series]
        for layer, label, colour, style in LAYER_STYLE:
            pts = [(x, s.get(layer) / scale) for x, s in zip(ops, c.series) if s.get(layer) is not None]
            if pts:
                (line,) = ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=colour,
                                  linewidth=1.4, label=label)
                handles[label] = line
        for k, (op, phase) in enumerate(phase_starts(c.series)):
            x = op / op_div
            if k > 0:
                ax.axvline(x, color="#555555", linewidth=0.8, linestyle=(0, (4, 3)))
            ax.text(x, 1.0, f" {phase}", transform=ax.get_xaxis_transform(), fontsize=7,
                    va="top", ha="left", color="#333333", clip_on=True)
    for ax in flat[:len(cells)]:
        ax.tick_params(labelbottom=True)  # shared x, but the last row may be short
    for r in range(nrows):
        axes[r][0].set_ylabel(f"bytes above baseline ({unit})")
    for ax in axes[-1]:
        ax.set_xlabel(f"operations ({op_unit})")
    order = [s[1] for s in LAYER_STYLE if s[1] in handles]
    fig.suptitle(f"Memory over operations — {workload}, kv {kv}, allocator {allocator}", fontsize=11)
    fig.legend([handles[k] for k in order], order, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(order),
               frameon=False)
    caption = (f"Memory layers over the run of {workload} (kv {kv}) under {allocator}, one panel "
               "per implementation, all panels on the same scales. Payload is what the live "
               "entries need; the gap up to the footprint is the container's overhead (empty "
               "slots, tombstones, capacity); the gap up to allocator resident and RSS is what the "
               "allocator keeps. Dashed vertical lines mark phase boundaries.")
    return save(fig, outdir, f"timeline_{slug(workload)}_{slug(kv)}_{slug(allocator)}", "timelines",
                f"Memory timeline, {workload}, kv {kv}, {allocator}", caption)


def timeline_jobs(run):
    return per_workload_kv_allocator_jobs(run, timeline_figure)
