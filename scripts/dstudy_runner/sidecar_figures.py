"""Figures read out of a cell's sidecar (docs/result-schema.md) that are more
than one field: defined once, for the runner's cells.csv and the report's
Cell accessors alike."""
import math

from .contract import HEADLINE_LAYER, OP_TYPES
from .store import series_rows


def get(d, *keys):
    """d[keys[0]][keys[1]]...; None where a level is absent or not an object."""
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def is_num(x):
    """A finite JSON number (a bool is not one)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def dominant_op(sidecar):
    """The op type the headline phases do most, as the harness wrote it
    (workload.dominant_op); without it, the op type with the most timed
    operations."""
    op = get(sidecar, "workload", "dominant_op")
    if op in OP_TYPES:
        return op
    per_op = get(sidecar, "latency", "per_op") or {}
    counts = {o: get(per_op, o, "count") for o in OP_TYPES}
    counts = {o: n for o, n in counts.items() if is_num(n) and n > 0}
    return max(counts, key=lambda o: (counts[o], -OP_TYPES.index(o))) if counts else None


def peak(sidecar, layer=HEADLINE_LAYER):
    """The highest memory.series sample of a layer over the run (None: no sample)."""
    values = [e.get(layer) for e in series_rows(get(sidecar, "memory", "series"))]
    values = [v for v in values if is_num(v)]
    return max(values) if values else None
