"""The reference study's declared plan (reports/reference/specs/plan.json):
its steps, each one `scripts/study run` selection, and how long they take.

A step is {"name", "about", "args": [study run arguments]} and, for the
figures read as same-round ratios, "rounds": R (the selection run R times
with one repetition each, the implementations taking turns within a round:
rounds.py) with "ratio": {"quantity", "reference"} (an impl, or a list: the best of them in the
round; without a reference, the medians and ranges only). The reference command
adds --run-dir, --bench, --no-build and --pin itself; a step may not give
them. The plan's "remeasure_competing" bounds how often a cell measured
beside another process is measured again."""
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import REPO_ROOT

PLAN_FILE = REPO_ROOT / "reports" / "reference" / "specs" / "plan.json"
OWN_ARGS = ("--run-dir", "--results-dir", "--bench", "--no-build", "--pin", "--resume", "--shard")
DEFAULT_REMEASURE = 2


class ReferencePlanError(Exception):
    """A plan file the reference command cannot run; the message names it."""


@dataclass(frozen=True)
class Step:
    name: str
    about: str
    args: tuple
    rounds: int = 0                 # 0: one run; R: R interleaved rounds of one repetition
    ratio: dict = field(default_factory=dict)

    def run_names(self):
        """The run folders' names under the step's folder ("" for the step's own)."""
        return [f"round-{k}" for k in range(1, self.rounds + 1)] if self.rounds else [""]

    def run_args(self):
        return list(self.args) + (["--repetitions", "1"] if self.rounds else [])


@dataclass(frozen=True)
class ReferencePlan:
    path: Path
    text: str
    about: str
    target_s: float
    remeasure_competing: int
    steps: tuple

    def step(self, name):
        return next(s for s in self.steps if s.name == name)


def _fail(path, msg):
    raise ReferencePlanError(f"{path}: {msg}")


def _name_or_names(v):
    """Whether v is a name or a non-empty list of names."""
    return isinstance(v, str) or (isinstance(v, list) and bool(v) and all(isinstance(n, str) for n in v))


def _step(path, i, d):
    where = f"steps[{i}]"
    if not isinstance(d, dict):
        _fail(path, f"{where}: expected an object")
    unknown = set(d) - {"name", "about", "args", "rounds", "ratio"}
    if unknown:
        _fail(path, f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    name = d.get("name")
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        _fail(path, f"{where}.name: expected a name of letters, digits and '_'")
    args = d.get("args")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        _fail(path, f"{where} ({name}).args: expected a list of strings")
    own = [a for a in args if a.split("=")[0] in OWN_ARGS]
    if own:
        _fail(path, f"{where} ({name}).args: {', '.join(own)} is the reference command's to give")
    rounds = d.get("rounds", 0)
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 0:
        _fail(path, f"{where} ({name}).rounds: expected a whole number >= 0")
    ratio = d.get("ratio", {})
    if not isinstance(ratio, dict) or (ratio and ("quantity" not in ratio or not rounds)):
        _fail(path, f"{where} ({name}).ratio: expected {{quantity, reference}} on a step with rounds")
    if ratio and not _name_or_names(ratio.get("quantity")):
        _fail(path, f"{where} ({name}).ratio.quantity: expected a quantity name or a list of them")
    ref = ratio.get("reference")
    if ref is not None and not _name_or_names(ref):
        _fail(path, f"{where} ({name}).ratio.reference: expected an impl name or a list of them")
    if rounds and "--repetitions" in args:
        _fail(path, f"{where} ({name}): a step with rounds runs one repetition per round; "
                    f"drop --repetitions")
    return Step(name, d.get("about", ""), tuple(args), rounds, dict(ratio or {}))


def load(path=None):
    path = Path(path or PLAN_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ReferencePlanError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ReferencePlanError(f"{path}: malformed JSON at line {e.lineno}: {e.msg}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list) or not doc["steps"]:
        _fail(path, "expected an object with a non-empty list 'steps'")
    steps = tuple(_step(path, i, d) for i, d in enumerate(doc["steps"]))
    names = [s.name for s in steps]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        _fail(path, f"step names repeat: {', '.join(dup)}")
    remeasure = doc.get("remeasure_competing", DEFAULT_REMEASURE)
    if not isinstance(remeasure, int) or isinstance(remeasure, bool) or remeasure < 0:
        _fail(path, "remeasure_competing: expected a whole number >= 0")
    target = doc.get("target_hours", 3)
    if not isinstance(target, (int, float)) or target <= 0:
        _fail(path, "target_hours: expected a positive number")
    return ReferencePlan(path, text, doc.get("about", ""), float(target) * 3600, remeasure, steps)
