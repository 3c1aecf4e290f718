"""Probe lengths: why a miss costs what it costs. For the containers that
can tell (sidecar.memory.phase_end[].probe_lengths, docs/result-schema.md),
the probe length of unsuccessful lookups at every phase end against the
share of the table's slots held by tombstones, one colour per container,
and the mean and P99 probe lengths at the last headline phase beside the
find-miss cost."""
import matplotlib.pyplot as plt

from dstudy_runner.contract import PROBE_LENGTH_UNIT

from .fig_common import COLOURS, MARKERS, group_key, group_name, save


def probe_points(cell):
    """[(phase, tombstone share or None, miss stats, hit stats)] for every phase
    end with probe lengths."""
    out = []
    for pe in cell.phase_end:
        pl = pe.get("probe_lengths")
        if not pl:
            continue
        internals = pe.get("internals") or {}
        t, cap = internals.get("tombstones"), internals.get("capacity")
        share = t / cap if t is not None and cap else None
        out.append((pe.get("phase"), share, pl.get("miss") or {}, pl.get("hit") or {}))
    return out


def last_headline_probes(cell):
    """(miss stats, hit stats, tombstones) at the end of the last headline
    phase with probe lengths; None when the cell has none."""
    heads = set(cell.headline_phases)
    for pe in reversed(cell.phase_end):
        pl = pe.get("probe_lengths")
        if pl and pe.get("phase") in heads:
            return pl.get("miss") or {}, pl.get("hit") or {}, (pe.get("internals") or {}).get("tombstones")
    return None


def probe_cells(run, size, workload, kv):
    return [c for c in run.cells_of(size, workload, kv) if c.ok and probe_points(c)]


def probe_figure(run, figdir, size, workload, kv):
    cells = probe_cells(run, size, workload, kv)
    if not cells:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.0), layout="constrained")
    allocators = {c.allocator for c in cells}
    labels = []
    for k, c in enumerate(cells):
        label = c.impl if len(allocators) == 1 else c.candidate
        colour, marker = COLOURS[k % len(COLOURS)], MARKERS[k % len(MARKERS)]
        pts = [(share, miss["mean"]) for _, share, miss, _ in probe_points(c)
               if share is not None and miss.get("mean") is not None]
        if pts:
            a1.scatter([p[0] for p in pts], [p[1] for p in pts], s=12, color=colour, marker=marker,
                       label=label)
        last = last_headline_probes(c)
        if last:
            labels.append((label, colour, last))
    a1.set_xlabel("tombstones / capacity at the phase end")
    a1.set_ylabel("unsuccessful lookups: mean probe length")
    a1.grid(True, alpha=0.3)
    if a1.collections:
        a1.legend(fontsize=7, loc="best")
    else:
        a1.text(0.5, 0.5, "no container here reports tombstones and probe lengths together",
                ha="center", va="center", transform=a1.transAxes, fontsize=8)
    width = 0.2
    for k, (label, colour, (miss, hit, _)) in enumerate(labels):
        vals = [hit.get("mean"), hit.get("p99"), miss.get("mean"), miss.get("p99")]
        for j, v in enumerate(vals):
            if v is not None:
                a2.bar(k + (j - 1.5) * width, v, width, color=colour, alpha=(0.45, 0.7, 0.85, 1.0)[j],
                       edgecolor="#333333", linewidth=0.4)
    a2.set_xticks(range(len(labels)), [x[0] for x in labels], rotation=30, ha="right", fontsize=7)
    a2.set_ylabel("probe length (last headline phase)")
    a2.set_title("bars per container: hit mean, hit P99, miss mean, miss P99", fontsize=8)
    a2.grid(True, axis="y", alpha=0.3)
    title = f"Probe lengths — {workload}, kv {kv}, size {size}"
    fig.suptitle(title)
    caption = (f"Probe length in the unit {PROBE_LENGTH_UNIT}: one per further group, bucket or slot "
               f"visited and one per stored key compared that was not the one sought (absl's "
               f"hashtable_debug count); 0 when the first look decides. Measured at each phase end "
               f"(not timed) over the last lookups of the stream that still hit or still miss. Only "
               f"containers that can tell are drawn.")
    return save(fig, figdir, f"probes_{group_name(size, workload, kv)}", group_key(size, workload, kv),
                title, caption)
