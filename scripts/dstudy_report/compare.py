"""Comparison of two runs, cell by cell: new/base ratios of steady-state
throughput, P99 and peak memory (the headline layer), a Mann-Whitney U test
on the per-repetition throughput, and a verdict per cell against thresholds."""
from dataclasses import dataclass, field

from dstudy_runner.contract import OP_TYPES
from scipy.stats import mannwhitneyu

from .metrics import THROUGHPUT, fmt_ops
from .tables import TCell, Table


@dataclass
class Thresholds:
    throughput: float = 0.05   # relative change that counts (5%)
    latency: float = 0.10      # P99 is one pass, noisier: 10%
    memory: float = 0.05
    alpha: float = 0.10        # significance level of the U test (3 vs 3 reps: p >= 0.1)


@dataclass
class CellDiff:
    key: tuple                 # (impl, workload label, kv, allocator, size)
    id: str
    base: object               # Cell or None
    new: object
    throughput_ratio: float = None
    p_value: float = None      # None: not enough repetitions ('n/a')
    p99_ratio: dict = field(default_factory=dict)
    memory_ratio: float = None
    growth_delta: float = None
    regressions: list = field(default_factory=list)
    improvements: list = field(default_factory=list)
    status: str = "both ok"

    @property
    def verdict(self):
        if self.regressions:
            return "regression"
        if self.improvements:
            return "improvement"
        return "unchanged"


def _ratio(new, base):
    if new is None or base is None or base == 0:
        return None
    return new / base


def u_test(base_reps, new_reps):
    """Two-sided Mann-Whitney U p-value, or None with fewer than 2 reps a side."""
    if len(base_reps) < 2 or len(new_reps) < 2:
        return None
    if len(set(base_reps) | set(new_reps)) == 1:
        return 1.0
    return float(mannwhitneyu(new_reps, base_reps, alternative="two-sided").pvalue)


def diff_cell(key, base, new, th):
    d = CellDiff(key, (new or base).id, base, new)
    if base is None or new is None:
        d.status = "only in new" if base is None else "only in base"
        return d
    if not new.ok:
        d.status = "base ok, new FAILED" if base.ok else "failed in both"
        if base.ok:
            d.regressions.append(f"FAILED ({(new.failure or {}).get('reason', 'unspecified')})")
        return d
    if not base.ok:
        d.status = "base FAILED, new ok"
        d.improvements.append("now passes")
        return d
    d.throughput_ratio = _ratio(THROUGHPUT.value(new), THROUGHPUT.value(base))
    d.p_value = u_test(base.repetitions, new.repetitions)
    significant = d.p_value is None or d.p_value <= th.alpha
    if d.throughput_ratio is not None and significant:
        if d.throughput_ratio < 1 - th.throughput:
            d.regressions.append("throughput")
        elif d.throughput_ratio > 1 + th.throughput:
            d.improvements.append("throughput")
    for op in OP_TYPES:
        r = _ratio(new.percentile(op, "p99_ns"), base.percentile(op, "p99_ns"))
        if r is not None:
            d.p99_ratio[op] = r
    if any(r > 1 + th.latency for r in d.p99_ratio.values()):
        d.regressions.append("P99 " + ",".join(op for op, r in d.p99_ratio.items() if r > 1 + th.latency))
    elif any(r < 1 - th.latency for r in d.p99_ratio.values()):
        d.improvements.append("P99 " + ",".join(op for op, r in d.p99_ratio.items() if r < 1 - th.latency))
    if base.headline_layer == new.headline_layer:
        d.memory_ratio = _ratio(new.peak_memory, base.peak_memory)
    if d.memory_ratio is not None:
        if d.memory_ratio > 1 + th.memory:
            d.regressions.append("memory")
        elif d.memory_ratio < 1 - th.memory:
            d.improvements.append("memory")
    if new.growth_pct is not None and base.growth_pct is not None:
        d.growth_delta = new.growth_pct - base.growth_pct
    return d


def compare_runs(base, new, th=None):
    th = th or Thresholds()

    def index(run):
        return {(c.impl, c.workload_label, c.kv, c.allocator, c.size): c for c in run.cells}
    b, n = index(base), index(new)
    keys = list(b) + [k for k in n if k not in b]
    return [diff_cell(k, b.get(k), n.get(k), th) for k in keys]


def _r(v, flag=None):
    """Ratio cell; flag 'bad'/'good' colours it."""
    return TCell(f"{v:.3f}", v, flag or "") if v is not None else TCell("")


def compare_table(diffs, th, only=None, key="compare", title="All cells"):
    columns = (["Cell", "Size", "Status", "Base Mops/s", "New Mops/s", "Throughput new/base", "p (U test)"]
               + [f"P99 {op} new/base" for op in OP_TYPES]
               + ["Peak memory new/base", "Growth Δ (pp)", "Verdict"])
    table = Table(key, title, columns,
                  note=(f"Ratios are new/base. Throughput counts when it moves more than "
                        f"{th.throughput:.0%} and the two-sided Mann-Whitney U test on the "
                        f"per-repetition steady-state ops/s gives p <= {th.alpha} (n/a: fewer than 2 "
                        f"repetitions on a side, the threshold alone decides); P99 counts beyond "
                        f"{th.latency:.0%}, peak memory (headline layer) beyond {th.memory:.0%}."))
    for d in diffs:
        if only and d.verdict != only:
            continue
        b_thr = THROUGHPUT.value(d.base) if d.base is not None and d.base.ok else None
        n_thr = THROUGHPUT.value(d.new) if d.new is not None and d.new.ok else None
        tr = d.throughput_ratio
        tflag = ("bad" if "throughput" in d.regressions else
                 "good" if "throughput" in d.improvements else "")
        if d.status in ("both ok",):
            p = TCell("n/a") if d.p_value is None else TCell(f"{d.p_value:.3g}", d.p_value)
        else:
            p = TCell("")
        row = [TCell(d.id), TCell(d.key[4]), TCell(d.status, None, "failed" if "FAILED" in d.status else ""),
               TCell(fmt_ops(b_thr), b_thr), TCell(fmt_ops(n_thr), n_thr), _r(tr, tflag), p]
        for op in OP_TYPES:
            r = d.p99_ratio.get(op)
            row.append(_r(r, "bad" if r is not None and r > 1 + th.latency else
                          "good" if r is not None and r < 1 - th.latency else ""))
        m = d.memory_ratio
        row.append(_r(m, "bad" if "memory" in d.regressions else
                      "good" if "memory" in d.improvements else ""))
        row.append(TCell(f"{d.growth_delta:+.1f}", d.growth_delta) if d.growth_delta is not None
                   else TCell(""))
        what = d.regressions or d.improvements
        text = d.verdict.upper() if d.verdict == "regression" else d.verdict
        row.append(TCell(f"{text} ({', '.join(what)})" if what else text, None,
                         {"regression": "bad", "improvement": "good"}.get(d.verdict, "")))
        table.rows.append(row)
    return table
