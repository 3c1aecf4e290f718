"""Findings computed, not typed: each finding is declared once as data
(reports/reference/specs/findings.json: the cells it compares, the quantity,
the claim) and evaluated on a reference study's results with the report's
own rules (ranking.beats: the tie floor, the spread, Mann-Whitney). The
sentence it renders carries the measured figures and says whether the
claim holds, is a tie, or fails on this run.

Claims:
  beats    A beats B on the quantity by at least a factor m (by_at_least)
  crosses  the ranking of A and B crosses between two sizes (small, large)
  below    A's quantity is below a limit (e.g. retention below r)

A cell is selected by its step and any of impl, workload, kv, allocator and
size; in a step with rounds the same selection in every round gives one
value per round (their median is the figure, the rounds the samples)."""
import dataclasses
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from .load import ReportError
from .quantities import QuantityError, quantity
from .ranking import beats, margin

CLAIMS = ("beats", "crosses", "below")
SELECT_FIELDS = ("impl", "workload", "kv", "allocator", "size")
HOLDS, TIE, FAILS, MISSING = "holds", "tie", "fails", "not measured"


class FindingError(ReportError):
    pass


@dataclass(frozen=True)
class Pooled:
    """The selected cells of one side of a comparison and their figures."""
    label: str
    cells: tuple
    value: float
    samples: tuple


@dataclass(frozen=True)
class Outcome:
    id: str
    question: str
    verdict: str
    sentence: str
    competing: tuple      # ids of the cells used that were measured beside another process


def load_findings(path):
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise FindingError(f"{path}: cannot read: {e.strerror or e}") from None
    except ValueError as e:
        raise FindingError(f"{path}: malformed JSON: {e}") from None
    questions = doc.get("questions")
    findings = doc.get("findings")
    if not isinstance(questions, list) or not isinstance(findings, list):
        raise FindingError(f"{path}: expected lists 'questions' and 'findings'")
    ids = {q.get("id") for q in questions}
    for i, f in enumerate(findings):
        where = f"{path}: findings[{i}] ({f.get('id')})"
        if f.get("claim") not in CLAIMS:
            raise FindingError(f"{where}: claim must be one of {', '.join(CLAIMS)}")
        if f.get("question") not in ids:
            raise FindingError(f"{where}: question '{f.get('question')}' is not among the questions")
        try:
            quantity(f.get("quantity"))
        except QuantityError as e:
            raise FindingError(f"{where}: {e}") from None
        need = {"beats": ("a", "b"), "crosses": ("a", "b", "small", "large"), "below": ("a", "limit")}
        missing = [k for k in need[f["claim"]] if k not in f]
        if missing:
            raise FindingError(f"{where}: a '{f['claim']}' claim needs {', '.join(missing)}")
    return doc


def _matches(cell, sel):
    return all(getattr(cell, k) == sel[k] for k in SELECT_FIELDS if k in sel)


def select(results, sel, metric):
    """Pooled figures of the cells sel names (FindingError when none or several match)."""
    step = sel.get("step")
    runs = results.runs.get(step)
    if not runs:
        raise FindingError(f"step '{step}' is not in the results")
    cells = []
    for name, run in sorted(runs.items()):
        found = [c for c in run.cells if c.ok and _matches(c, sel)]
        if len(found) > 1:
            raise FindingError(f"{step}{'/' + name if name else ''}: {len(found)} cells match {sel}")
        cells += found
    values = [metric.value(c) for c in cells]
    if not cells or any(v is None for v in values):
        raise FindingError(f"no measured cell matches {sel}")
    label = sel.get("label") or sel.get("impl") or cells[0].impl
    if len(runs) > 1:    # rounds: one value per round
        return Pooled(label, tuple(cells), statistics.median(values), tuple(values))
    samples = tuple(metric.samples(cells[0])) if metric.samples else ()
    return Pooled(label, tuple(cells), values[0], samples)


def pooled_metric(metric, a, b):
    """The metric over Pooled sides, keeping its direction, floor and format."""
    rounds = len(a.cells) > 1 or len(b.cells) > 1
    return dataclasses.replace(
        metric, value=lambda p: p.value,
        samples=(lambda p: list(p.samples)) if (metric.samples or rounds) else None,
        floor=lambda x, y: metric.floor(x.cells[0], y.cells[0]),
        disturbed=lambda p: sum(metric.disturbed(c) for c in p.cells))


def _fmt(metric, v):
    return metric.fmt(v).strip()


def _with(sel, extra):
    """sel with extra's step and size (not its label, which names the size)."""
    return {**{k: v for k, v in extra.items() if k != "label"}, **sel}


def evaluate_beats(f, results, metric):
    a, b = select(results, f["a"], metric), select(results, f["b"], metric)
    m = pooled_metric(metric, a, b)
    need = float(f.get("by_at_least", 1.0))
    win, lose = beats(m, a, b), beats(m, b, a)
    ratio = margin(m, a, b) if m.margin_as == "ratio" else None
    ahead = f"{ratio:.2f}x" if ratio else _fmt(metric, abs(a.value - b.value))
    if win.wins and (ratio is None or ratio >= need):
        verdict, why = HOLDS, win.why
    elif win.wins:
        verdict, why = FAILS, f"ahead, but by less than {need:g}x"
    elif lose.wins:
        verdict, why = FAILS, f"{b.label} ahead: {lose.why}"
    else:
        verdict, why = TIE, win.why
    figures = f"{a.label} {_fmt(metric, a.value)} vs {b.label} {_fmt(metric, b.value)} ({ahead})"
    claim = f"{a.label} ahead by at least {need:g}x" if need != 1 else f"{a.label} ahead"
    return verdict, f"{figures}; claim: {claim}: **{verdict}** ({why})", a.cells + b.cells


def evaluate_crosses(f, results, metric):
    used, leaders, parts = (), [], []
    for key in ("small", "large"):
        a = select(results, _with(f["a"], f[key]), metric)
        b = select(results, _with(f["b"], f[key]), metric)
        m = pooled_metric(metric, a, b)
        used += a.cells + b.cells
        leader = a.label if beats(m, a, b).wins else b.label if beats(m, b, a).wins else None
        leaders.append(leader)
        parts.append(f"{f[key].get('label', key)}: {a.label} {_fmt(metric, a.value)} vs {b.label} "
                     f"{_fmt(metric, b.value)} ({leader + ' ahead' if leader else 'tie'})")
    if None in leaders:
        verdict = TIE
    else:
        verdict = HOLDS if leaders[0] != leaders[1] else FAILS
    return verdict, f"{'; '.join(parts)}; claim: the ranking crosses: **{verdict}**", used


def evaluate_below(f, results, metric):
    a = select(results, f["a"], metric)
    limit = float(f["limit"])
    floor = metric.floor(a.cells[0], a.cells[0])
    if abs(a.value - limit) <= floor:
        verdict = TIE
    else:
        verdict = HOLDS if a.value < limit else FAILS
    return (verdict, f"{a.label} {_fmt(metric, a.value)}; claim: below {_fmt(metric, limit)}: **{verdict}**",
            a.cells)


EVALUATE = {"beats": evaluate_beats, "crosses": evaluate_crosses, "below": evaluate_below}


def evaluate(f, results):
    metric = quantity(f["quantity"])
    try:
        verdict, text, cells = EVALUATE[f["claim"]](f, results, metric)
    except FindingError as e:
        return Outcome(f["id"], f["question"], MISSING, f"{f['text']}: {MISSING} ({e})", ())
    competing = tuple(sorted({c.id for c in cells if c.competing}))
    sentence = f"{f['text']} ({metric.label}): {text}"
    if competing:
        sentence += f"; measured beside another process: {', '.join(competing)}"
    return Outcome(f["id"], f["question"], verdict, sentence, competing)


def evaluate_all(doc, results):
    return [evaluate(f, results) for f in doc["findings"]]


def compare_outcomes(doc, base, new):
    """[(finding id, base verdict, new verdict, new sentence)] of the findings
    whose verdict differs between two reference results."""
    old = {o.id: o for o in evaluate_all(doc, base)}
    return [(o.id, old[o.id].verdict, o.verdict, o.sentence) for o in evaluate_all(doc, new)
            if old[o.id].verdict != o.verdict]
