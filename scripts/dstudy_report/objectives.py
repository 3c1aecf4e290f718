"""Objectives: what "best" means, stated in one line and parsed here.

    max|min METRIC [subject to COND [and COND ...]] [within N% of best METRIC]
    COND: METRIC <|<=|>|>= VALUE[UNIT]

METRIC is a key of metrics.METRICS (throughput, tail.p999, erase.p999,
memory.peak, ...); UNIT one of ns us µs ms s, B KiB MiB GiB, k M (ops/s), %.
Examples:
    max throughput subject to erase.p999 < 2us
    min memory.after_drain within 10% of best throughput
"""
import re
from dataclasses import dataclass, field

from .load import ReportError
from .metrics import METRICS, MEMORY_PEAK, TAIL_P99, TAIL_P999, THROUGHPUT
from .ranking import rank

UNITS = {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "b": 1, "kib": 2 ** 10,
         "mib": 2 ** 20, "gib": 2 ** 30, "k": 1e3, "m": 1e6, "%": 1, "": 1}
COMPARE = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
           ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


@dataclass(frozen=True)
class Condition:
    metric: object
    op: str
    value: float
    text: str

    def holds(self, cell):
        v = self.metric.value(cell)
        return v is not None and COMPARE[self.op](v, self.value)


@dataclass
class Objective:
    text: str
    metric: object
    conditions: list = field(default_factory=list)
    within: tuple = None           # (fraction, metric): near enough to the best of that metric
    name: str = ""                 # short column title

    def rank(self, cells):
        """Ranking of the cells that meet the conditions; the rest are listed as excluded."""
        ok = [c for c in cells if c.ok]
        excluded = []
        for cond in self.conditions:
            keep = [c for c in ok if cond.holds(c)]
            excluded += [(c, f"fails {cond.text}" if cond.metric.value(c) is not None
                          else f"{cond.metric.key} not measured") for c in ok if c not in keep]
            ok = keep
        if self.within:
            fraction, m = self.within
            values = [m.value(c) for c in ok if m.value(c) is not None]
            if values:
                best = max(values) if m.higher_is_better else min(values)
                limit = best * (1 - fraction) if m.higher_is_better else best * (1 + fraction)
                keep = [c for c in ok if m.value(c) is not None and
                        (m.value(c) >= limit if m.higher_is_better else m.value(c) <= limit)]
                excluded += [(c, f"not within {fraction:.0%} of the best {m.key}") for c in ok if c not in keep]
                ok = keep
        return rank(self.metric, ok, excluded)


def _metric(name, text):
    m = METRICS.get(name.lower())
    if m is None:
        raise ReportError(f"--objective {text!r}: unknown metric {name!r} (known: {', '.join(sorted(METRICS))})")
    return m


def parse_objective(text):
    """Objective from its one-line form; ReportError naming the problem otherwise."""
    s = " ".join(text.split())
    m = re.fullmatch(r"(?i)(max|min)\s+(\S+)(?:\s+(?:subject to|where)\s+(.+?))?"
                     r"(?:\s+within\s+([\d.]+)%\s+of\s+best\s+(\S+))?", s)
    if not m:
        raise ReportError(f"--objective {text!r}: expected 'max|min METRIC [subject to METRIC < VALUE "
                          f"[and ...]] [within N% of best METRIC]'")
    goal, name, conds, pct, within_name = m.groups()
    metric = _metric(name, text)
    if (goal.lower() == "max") != metric.higher_is_better:
        raise ReportError(f"--objective {text!r}: {metric.key} is better when "
                          f"{'higher' if metric.higher_is_better else 'lower'}; use "
                          f"'{'max' if metric.higher_is_better else 'min'} {metric.key}'")
    conditions = []
    for part in re.split(r"(?i)\s+and\s+", conds) if conds else []:
        c = re.fullmatch(r"(\S+)\s*(<=|>=|<|>)\s*([\d.]+)\s*([a-zA-Zµ%]*)", part.strip())
        if not c or c.group(4).lower() not in UNITS:
            raise ReportError(f"--objective {text!r}: cannot read the condition {part!r} "
                              f"(e.g. 'erase.p999 < 2us')")
        cm = _metric(c.group(1), text)
        conditions.append(Condition(cm, c.group(2), float(c.group(3)) * UNITS[c.group(4).lower()], part.strip()))
    within = (float(pct) / 100.0, _metric(within_name, text)) if pct else None
    return Objective(s, metric, conditions, within, name=s)


# The recommendations every report leads with, and the two constrained
# choices under them (replaced by --objective when given).
DEFAULT_OBJECTIVES = (
    ("Throughput", f"max {THROUGHPUT.key}"),
    ("Tail P99", f"min {TAIL_P99.key}"),
    ("Tail P99.9", f"min {TAIL_P999.key}"),
    ("Memory", f"min {MEMORY_PEAK.key}"),
)
DEFAULT_CONSTRAINED = (
    "max throughput subject to erase.p999 < 2us",
    "min memory.after_drain within 10% of best throughput",
)


def default_objectives():
    out = []
    for name, text in DEFAULT_OBJECTIVES:
        o = parse_objective(text)
        o.name = name
        out.append(o)
    return out
