"""Drain and retention: for phases that end in deletes, the memory still held
just after the deletes, after idling and after the allocator's purge, per
implementation and allocator, beside the peak before the deletes."""
import matplotlib.pyplot as plt

from .fig_common import save, slug
from .fig_timelines import _scale
from .tables import retention_layer

BARS = (("peak", "peak before", "#bdbdbd"), ("after", "after deletes", "#d62728"),
        ("idle", "after idle", "#ff7f0e"), ("purge", "after purge", "#1f77b4"))


def probes(cell, entry, layer):
    """{bar: bytes} for one phase_end entry."""
    idle = [p for p in entry.get("after_idle") or [] if p.get(layer) is not None]
    before = [s.get(layer) for s in cell.series if s.get(layer) is not None]
    ends = [s for s in cell.series if s.get("phase") == entry.get("phase")]
    if ends:  # peak up to the end of this phase
        last_op = ends[-1]["op"]
        before = [s.get(layer) for s in cell.series if s["op"] <= last_op and s.get(layer) is not None]
    return {
        "peak": max(before) if before else None,
        "after": (entry.get("after") or {}).get(layer),
        "idle": idle[-1].get(layer) if idle else None,
        "purge": (entry.get("after_purge") or {}).get(layer),
    }


def _entries(run, workload, kv):
    """{phase: [(impl, allocator, cell, entry)]} for entries with idle or purge probes."""
    found = {}
    for c in run.cells:
        if c.workload_label != workload or c.kv != kv or not c.ok:
            continue
        for e in c.phase_end:
            if e.get("after_idle") or e.get("after_purge"):
                found.setdefault(e.get("phase"), []).append((c.impl, c.allocator, c, e))
    return found


def retention_figure(run, outdir, workload, kv, phase):
    entries = _entries(run, workload, kv)[phase]
    layers = {retention_layer(e) for *_, e in entries} - {None}
    layer = "rss_bytes" if "rss_bytes" in layers else (sorted(layers) or [None])[0]
    if layer is None:
        return None
    allocators = [a for a in run.allocators if any(e[1] == a for e in entries)]
    failed = {(c.impl, c.allocator) for c in run.cells
              if c.workload_label == workload and c.kv == kv and not c.ok}
    impls = [i for i in run.impls if any(e[0] == i for e in entries)
             or any((i, a) in failed for a in allocators)]
    values = {(i, a): probes(c, e, layer) for i, a, c, e in entries}
    peak = max((v or 0) for d in values.values() for v in d.values())
    unit, scale = _scale(peak)
    width = 0.8 / len(BARS)
    # One allocator per row: with twenty-odd implementations a row of panels
    # side by side is too wide to read.
    fig, axes = plt.subplots(len(allocators), 1, figsize=(max(6.0, 0.55 * len(impls) + 1.5), 3.4 * len(allocators)),
                             squeeze=False, sharex=True, layout="constrained")
    for ax, alloc in zip(axes[:, 0], allocators):
        for k, (key, label, colour) in enumerate(BARS):
            xs = [j + (k - (len(BARS) - 1) / 2) * width for j in range(len(impls))]
            ys = [(values.get((i, alloc)) or {}).get(key) for i in impls]
            ax.bar([x for x, y in zip(xs, ys) if y is not None],
                   [y / scale for y in ys if y is not None], width, color=colour, label=label)
        for j, impl in enumerate(impls):
            c = run.get(impl, workload, kv, alloc)
            if c is not None and not c.ok:
                ax.text(j, 0, "FAILED", rotation=90, ha="center", va="bottom", color="#7f0000",
                        fontweight="bold", fontsize=8)
        ax.set_xticks(range(len(impls)))
        ax.set_xticklabels(impls, rotation=30, ha="right", rotation_mode="anchor")
        ax.set_title(f"allocator: {alloc}")
        ax.grid(True, axis="y", alpha=0.3)
    names = {"rss_bytes": "RSS", "allocator_resident_bytes": "allocator resident",
             "footprint_bytes": "container footprint"}
    for row in axes:
        row[0].set_ylabel(f"{names.get(layer, layer)} above baseline ({unit})")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.suptitle(f"Memory after deletes — {workload}, kv {kv}, phase {phase}", fontsize=11)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(BARS), frameon=False)
    caption = (f"End of phase {phase} of {workload} (kv {kv}): memory ({layer}) at its peak "
               "before the deletes, just after them, after the last idle probe and after the "
               "allocator's purge. What the purge gives back was cached by the allocator's "
               "policy; what stays after the purge is pinned (fragmentation, or held by the "
               "container).")
    return save(fig, outdir, f"retention_{slug(workload)}_{slug(kv)}_{slug(phase)}", "retention",
                f"Memory after deletes, {workload}, kv {kv}, {phase}", caption)


def retention_jobs(run):
    """[(function, args)]: one figure each, drawn as function(run, outdir, *args)."""
    return [(retention_figure, (workload, kv, phase)) for workload in run.workloads
            for kv in run.kvs for phase in _entries(run, workload, kv)]
