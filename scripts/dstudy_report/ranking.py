"""Who wins, and whether the win is beyond noise.

A candidate (a cell: container x allocator) beats another on a metric only
when (docs/reports.md, "When is a win a win"):
  1. its value is better and the difference is larger than the metric's
     floor (twice the timer resolution for latency, 1% for memory), and
  2. for metrics measured over independent repetitions, the repetitions
     separate: with >= 5 a side, a one-sided Mann-Whitney U test at
     ALPHA; with 2-4, every repetition of the winner beats every one of
     the runner-up (its worst beats the other's best). With one repetition
     the spread is unknown and nothing is declared.
  3. neither has a repetition the harness judged disturbed by the machine
     (docs/harness.md, "Long enough to measure").
Otherwise the two tie, and a ranking names the whole tied set.
"""
from dataclasses import dataclass, field

from scipy.stats import mannwhitneyu

ALPHA = 0.05
MANN_WHITNEY_MIN_SAMPLES = 5


@dataclass(frozen=True)
class Decision:
    wins: bool
    why: str


def beats(metric, a, b):
    """Does cell a beat cell b on metric beyond noise? Decision(wins, why)."""
    va, vb = metric.value(a), metric.value(b)
    if va is None or vb is None:
        return Decision(False, "not measured")
    if va == vb:
        return Decision(False, "equal values")
    if not metric.better(va, vb):
        return Decision(False, "not better")
    floor = metric.floor(a, b)
    if abs(va - vb) <= floor:
        return Decision(False, f"difference {metric.fmt(abs(va - vb)).strip()} within the tie floor "
                               f"{metric.fmt(floor).strip()}")
    if metric.samples is None:
        return Decision(True, "one measurement each (no spread), beyond the tie floor")
    disturbed = metric.disturbed(a) + metric.disturbed(b)
    if disturbed:
        return Decision(False, f"{disturbed} repetition(s) disturbed by the machine")
    sa, sb = metric.samples(a), metric.samples(b)
    if len(sa) < 2 or len(sb) < 2:
        return Decision(False, f"spread unknown (n={len(sa)} vs {len(sb)})")
    if len(sa) >= MANN_WHITNEY_MIN_SAMPLES and len(sb) >= MANN_WHITNEY_MIN_SAMPLES:
        p = float(mannwhitneyu(sa, sb, alternative="greater" if metric.higher_is_better else "less").pvalue)
        return Decision(p < ALPHA, f"Mann-Whitney one-sided p={p:.2g} (n={len(sa)} vs {len(sb)})")
    worst_a = min(sa) if metric.higher_is_better else max(sa)
    best_b = max(sb) if metric.higher_is_better else min(sb)
    if metric.better(worst_a, best_b):
        return Decision(True, f"every repetition better (n={len(sa)} vs {len(sb)})")
    return Decision(False, f"repetitions overlap (n={len(sa)} vs {len(sb)})")


def margin_range(metric, best, other):
    """(low, high) of the margin over the repetitions: the worst and best
    pairing of the two cells' samples; None without two samples a side."""
    if metric.samples is None or metric.margin_as != "ratio":
        return None
    sa, sb = metric.samples(best), metric.samples(other)
    if len(sa) < 2 or len(sb) < 2 or min(sa + sb) <= 0:
        return None
    if metric.higher_is_better:
        return min(sa) / max(sb), max(sa) / min(sb)
    return min(sb) / max(sa), max(sb) / min(sa)


def margin(metric, best, other):
    """How far ahead best is: a factor (runner-up / best for lower-is-better),
    or a difference for metrics that may be zero or negative."""
    vb, vo = metric.value(best), metric.value(other)
    if metric.margin_as == "difference":
        return abs(vo - vb)
    if not vb or not vo:
        return None
    return vb / vo if metric.higher_is_better else vo / vb


@dataclass
class Ranking:
    metric: object
    ordered: list                  # cells with a value, best first
    tied: list = field(default_factory=list)   # the best and every cell it does not beat
    decision: Decision = None      # best vs runner-up
    excluded: list = field(default_factory=list)  # (cell, why) left out before ranking

    @property
    def best(self):
        return self.ordered[0] if self.ordered else None

    @property
    def runner_up(self):
        return self.ordered[1] if len(self.ordered) > 1 else None

    @property
    def verdict(self):
        if not self.ordered:
            return "none"
        if len(self.ordered) == 1:
            return "only candidate"
        return "tie" if len(self.tied) > 1 else "clear"

    @property
    def margin(self):
        return margin(self.metric, self.best, self.runner_up) if self.runner_up else None

    @property
    def margin_range(self):
        return margin_range(self.metric, self.best, self.runner_up) if self.runner_up else None


def rank(metric, cells, excluded=()):
    """Ranks the ok cells that have a value; ties with the best are listed."""
    scored = [c for c in cells if c.ok and metric.value(c) is not None]
    scored.sort(key=lambda c: metric.value(c), reverse=metric.higher_is_better)
    unmeasured = [(c, f"{metric.key} not measured") for c in cells if c.ok and metric.value(c) is None]
    r = Ranking(metric, scored, excluded=list(excluded) + unmeasured)
    if scored:
        r.tied = [scored[0]] + [c for c in scored[1:] if not beats(metric, scored[0], c).wins]
        if len(scored) > 1:
            r.decision = beats(metric, scored[0], scored[1])
    return r


def pareto(cells, metrics):
    """The cells no other cell matches or beats on every metric and beats on
    at least one (point values, no noise model: a map, not a verdict)."""
    pts = [(c, [m.value(c) for m in metrics]) for c in cells if c.ok]
    pts = [(c, v) for c, v in pts if all(x is not None for x in v)]

    def dominates(u, v):
        return (all(not m.better(y, x) for m, x, y in zip(metrics, u, v))
                and any(m.better(x, y) for m, x, y in zip(metrics, u, v)))
    return [c for c, v in pts if not any(dominates(u, v) for _, u in pts)]
