"""The time plan of a run: how long its cells take, in all and per shard,
from the cost model (cost_model.py), said before anything runs."""
import math
from dataclasses import dataclass, field

from . import cells as cells_mod
from .cost_model import PARTS

PART_NAMES = dict(PARTS, runner="the runner between cells")


def duration(seconds):
    """'2 d 03 h', '5 h 07 min', '12 min 30 s', '40 s'."""
    s = int(math.ceil(seconds))
    d, h, m = s // 86400, s // 3600 % 24, s // 60 % 60
    if d:
        return f"{d} d {h:02d} h"
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {s % 60:02d} s"
    return f"{s} s"


@dataclass
class TimePlan:
    cells: list                      # the plan's cells, in run order
    estimates: dict                  # cell id -> cost_model.Estimate
    overhead_s: float                # the runner's own time per cell
    machine: str | None
    shards: list = field(default_factory=list)  # [(k, cells, seconds)] with --shards
    sections: list = field(default_factory=list)  # the plan's sections (plan.Plan.sections)

    def seconds(self, cells):
        """Estimated wall time of these cells run one after another (the
        cells without an estimate count nothing: see unestimated)."""
        return sum((self.estimates[c.id].seconds or 0.0) + self.overhead_s for c in cells)

    @property
    def total_s(self):
        return self.seconds(self.cells)

    def count(self, basis):
        return sum(1 for c in self.cells if self.estimates[c.id].basis == basis)

    def unmeasured_levels(self):
        """{factor: sorted names} never measured at the size a cell runs at."""
        out = {}
        for c in self.cells:
            for factor in self.estimates[c.id].unknown:
                out.setdefault(factor, set()).add(getattr(c, factor) if factor != "size" else c.size)
        return {f: sorted(str(x) for x in v) for f, v in out.items()}

    def timeout_impls(self):
        """'impl (N cells)' for the impls of the cells expected to time out."""
        count = {}
        for c in self.cells:
            if self.estimates[c.id].basis == "timeout":
                count[c.impl] = count.get(c.impl, 0) + 1
        return [f"{i} ({n})" for i, n in sorted(count.items(), key=lambda x: -x[1])]

    def breakdown(self):
        """[(part, seconds)] over cost_model.PARTS and the runner's time
        between cells ("runner"), largest first, zero parts left out."""
        total = {}
        for c in self.cells:
            for part, s in self.estimates[c.id].parts.items():
                total[part] = total.get(part, 0.0) + s
        total["runner"] = self.overhead_s * len(self.cells)
        return sorted(((p, s) for p, s in total.items() if s > 0), key=lambda x: -x[1])

    def largest_parts(self, n=5):
        """The impls taking most of the time: [(impl, fraction)]."""
        by_impl = {}
        for c in self.cells:
            by_impl[c.impl] = by_impl.get(c.impl, 0.0) + (self.estimates[c.id].seconds or 0.0)
        total = sum(by_impl.values()) or 1.0
        return [(i, s / total) for i, s in sorted(by_impl.items(), key=lambda x: -x[1])[:n]]


def make(plan, model, shards=None):
    """The time plan of a plan (plan.Plan); shards: split it into that many
    shards as `--shard k/N` would."""
    estimates = {c.id: model.estimate(c, plan.size_of(c), plan.settings) for c in plan.cells}
    tp = TimePlan(cells=list(plan.cells), estimates=estimates, overhead_s=model.overhead_s,
                  machine=model.machine, sections=list(plan.sections))
    if shards:
        for k in range(1, shards + 1):
            part = cells_mod.shard(plan.cells, k, shards)
            tp.shards.append((k, len(part), tp.seconds(part)))
    return tp


def lines(tp, timeout_s=None):
    """The plan as text lines, for stderr."""
    out = [f"estimated time: {duration(tp.total_s)} run one cell after another "
           f"(times of {tp.machine or 'an unknown machine'}, quiet)"]
    basis = [f"{tp.count('measured')} cells of an impl, workload and kv measured before",
             f"{tp.count('model')} from the model alone"]
    if tp.count("timeout"):
        basis.append(f"{tp.count('timeout')} expected to reach the {timeout_s:g} s timeout "
                     f"(counted at it; they will be recorded as failed: "
                     f"{', '.join(tp.timeout_impls())})")
    if tp.count("none"):
        basis.append(f"{tp.count('none')} with no estimate (not counted)")
    out.append("  basis: " + ", ".join(basis))
    for factor, names in tp.unmeasured_levels().items():
        what = "no cell measured at this size" if factor == "size" else "counted as an average one"
        out.append(f"  never measured ({what}): {factor} {', '.join(names)}")
    parts = ", ".join(f"{impl} {share:.0%}" for impl, share in tp.largest_parts())
    out.append(f"  largest parts: {parts}")
    total = tp.total_s or 1.0
    out.append("  where the time goes: " + ", ".join(
        f"{PART_NAMES[p]} {duration(s)} ({s / total:.0%})" for p, s in tp.breakdown()))
    for sec in tp.sections:
        if sec.get("why"):
            out.append(f"  section {sec['name']} at size {sec['size']} ({sec['cells']} cells): {sec['why']}")
    if tp.shards:
        longest = max(s for _, _, s in tp.shards)
        shortest = min(s for _, _, s in tp.shards)
        out.append(f"{len(tp.shards)} shards (--shard k/{len(tp.shards)}): {duration(shortest)} to "
                   f"{duration(longest)} each; with one machine per shard the run takes "
                   f"about {duration(longest)}")
        for k, n, s in tp.shards:
            out.append(f"  shard {k:>{len(str(len(tp.shards)))}}/{len(tp.shards)}: {n} cells, {duration(s)}")
    return out
