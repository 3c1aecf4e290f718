"""Interleaved rounds: the same cells run as R independent runs of one
repetition each (round-1 .. round-R under one folder), the implementations
taking turns within a round, so that drift in the machine (another load, a
frequency change) hits every implementation alike. The figure to read is
then each implementation's ratio to a reference measured in the same round:
its median and range over the rounds.

The rounds themselves are `scripts/study run` folders (the reference
command runs them: reference.py); this module reads them through the
report's loader and says the same-round ratios."""
import statistics
from dataclasses import dataclass
from pathlib import Path

from dstudy_report.load import ReportError, load_run
from dstudy_report.quantities import quantity


@dataclass(frozen=True)
class RoundValue:
    value: float
    competing: bool


def round_dirs(step_dir):
    """{round number: folder} of the rounds that hold a results.json."""
    out = {}
    for d in Path(step_dir).glob("round-*"):
        k = d.name.split("-", 1)[1]
        if k.isdigit() and (d / "results.json").is_file():
            out[int(k)] = d
    return dict(sorted(out.items()))


def group_of(cell):
    """What must be equal for two cells to be compared: all but the impl."""
    return f"{cell.workload} {cell.kv} {cell.size} {cell.allocator}"


def values(runs, metric):
    """{group: {impl: {round: RoundValue}}} of the cells that measured the quantity."""
    out = {}
    for k, run in runs.items():
        for c in run.cells:
            if not c.ok:
                continue
            v = metric.value(c)
            if v is not None:
                out.setdefault(group_of(c), {}).setdefault(c.impl, {})[k] = RoundValue(v, c.competing)
    return out


def reference_of(by_impl, k, reference, higher_is_better):
    """The round's reference value: the named impl's, or the best of a list's."""
    names = [reference] if isinstance(reference, str) else list(reference)
    got = [by_impl[n][k].value for n in names if n in by_impl and k in by_impl[n]]
    if not got:
        return None
    return max(got) if higher_is_better else min(got)


def same_round_ratios(runs, quantity_name, reference):
    """{group: {impl: [ratio per round]}}: value / the round's reference."""
    metric = quantity(quantity_name)
    out = {}
    for group, by_impl in values(runs, metric).items():
        for impl, rounds in by_impl.items():
            ratios = []
            for k, rv in sorted(rounds.items()):
                ref = reference_of(by_impl, k, reference, metric.higher_is_better)
                if ref:
                    ratios.append(rv.value / ref)
            out.setdefault(group, {})[impl] = ratios
    return out


def summary_lines(step_dir, quantity_name, reference):
    """The step's same-round summary as text lines, from its round folders
    (ReportError when one cannot be read)."""
    runs = {k: load_run(d) for k, d in round_dirs(step_dir).items()}
    if not runs:
        raise ReportError(f"{step_dir}: no round-K/results.json")
    return runs_summary_lines(runs, quantity_name, reference)


def runs_summary_lines(runs, quantity_names, reference):
    """The same-round summary of {round: Run} as text lines: a block per
    quantity (a name, or a list of names)."""
    if not isinstance(quantity_names, str):
        blocks = [_summary_block(runs, name, reference) for name in quantity_names]
        return [line for i, block in enumerate(blocks) for line in ([""] if i else []) + block]
    return _summary_block(runs, quantity_names, reference)


def _summary_block(runs, quantity_name, reference):
    metric = quantity(quantity_name)
    lines = [f"{quantity_name} ({metric.label}) over {len(runs)} rounds"]
    ratios = {}
    if reference:
        ref_name = reference if isinstance(reference, str) else "best of " + ", ".join(reference)
        lines[0] += f"; ratio to {ref_name} in the same round"
        ratios = same_round_ratios(runs, quantity_name, reference)
    for group, by_impl in sorted(values(runs, metric).items()):
        lines.append(group)
        for impl, rounds in sorted(by_impl.items()):
            v = [rv.value for rv in rounds.values()]
            busy = sum(rv.competing for rv in rounds.values())
            r = ratios.get(group, {}).get(impl) if reference else None
            ratio = "" if not reference else (
                f"  ratio median {statistics.median(r):.3f}x range {min(r):.3f}-{max(r):.3f}" if r
                else "  no reference in its rounds")
            lines.append(f"  {impl:<32} median {metric.fmt(statistics.median(v)).strip()} "
                         f"range {metric.fmt(min(v)).strip()}-{metric.fmt(max(v)).strip()} n={len(v)}{ratio}"
                         + (f"  ({busy} measured beside another process)" if busy else ""))
    return lines
