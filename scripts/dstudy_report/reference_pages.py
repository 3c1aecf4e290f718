"""The reference pages (reports/reference/README.md and one page per step
under steps/), generated from a reference study's compact results and the
declared findings: no figure in them is typed by hand. The header says the
commit measured and what changed in impls/ or bench/ since, so a page can
never go stale silently."""
import re
import subprocess
from pathlib import Path

from dstudy_runner import rounds

from . import drift_table, pathological_table
from .findings import HOLDS, evaluate_all
from .metrics import TAIL_P999, THROUGHPUT, fmt_ratio

REPO = Path(__file__).resolve().parents[2]
WATCHED = ("impls", "bench")


def changed_since(commit, repo=REPO, until="HEAD"):
    """['abc1234 subject', ...]: commits after `commit` that touch impls/ or
    bench/; None when git cannot tell (no such commit here, no git)."""
    if not commit:
        return None
    try:
        p = subprocess.run(["git", "log", "--format=%h %s", f"{commit}..{until}", "--", *WATCHED],
                           cwd=repo, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return p.stdout.splitlines() if p.returncode == 0 else None


def header(results, changes):
    m = results.manifest
    env = m.get("environment") or {}
    commit = (m.get("commit") or "unknown")[:12]
    dirty = " with uncommitted changes" if m.get("dirty") else ""
    where = f"{env.get('cpu_model') or 'an unknown CPU'}, {env.get('cores') or '?'} cores"
    if changes is None:
        since = "unknown (the commit is not in this checkout)"
    elif not changes:
        since = "nothing in impls/ or bench/"
    else:
        since = "; ".join(changes)
    return [f"Measured at commit {commit}{dirty} ({m.get('started')} to {m.get('finished')}, on {where}); "
            f"changed since: {since}.", "",
            "Made by `scripts/study reference` from its plan (specs/plan.json); the pages come from the "
            "compact results (results/) and the findings (specs/findings.json) with `scripts/report "
            "reference`. Every figure below is computed from those results.", ""]


def conclusions(doc, outcomes):
    by_q = {}
    for o in outcomes:
        by_q.setdefault(o.question, []).append(o)
    lines = ["## Conclusions", ""]
    for q in doc["questions"]:
        os_ = [o for o in by_q.get(q["id"], []) if o.verdict != "not measured"] or by_q.get(q["id"], [])
        if not os_:
            lines.append(f"- **{q['question']}** No finding answers it.")
            continue
        held = sum(o.verdict == HOLDS for o in os_)
        lines.append(f"- **{q['question']}** {os_[0].sentence}"
                     + (f" ({held} of {len(os_)} findings hold; see below.)" if len(os_) > 1 else ""))
    return lines + [""]


def findings_section(doc, outcomes):
    lines = ["## Findings", ""]
    by_q = {}
    for o in outcomes:
        by_q.setdefault(o.question, []).append(o)
    for q in doc["questions"]:
        lines += [f"### {q['question']}", ""]
        lines += [f"- `{o.id}`: {o.sentence}" for o in by_q.get(q["id"], [])] or ["- (no finding)"]
        lines.append("")
    return lines


def steps_section(results):
    lines = ["## Steps", "", "| step | what it measures | cells | still measured beside another process |",
             "|---|---|---|---|"]
    still = results.still_competing()
    for step, runs in results.runs.items():
        n = sum(len(r.cells) for r in runs.values())
        busy = sum(len(v) for k, v in still.items() if k == step or k.startswith(step + "/"))
        lines.append(f"| [{step}](steps/{step}.md) | {results.step_about(step)} | {n} | {busy} |")
    return lines + [""]


def cell_row(c):
    h = c.headline
    tput = f"{THROUGHPUT.fmt(h.median).strip()} (n={h.samples})" if h else ""
    p999 = TAIL_P999.value(c)
    ret = c.retention
    return (f"| {c.id} | {c.status} | {tput} | {TAIL_P999.fmt(p999).strip() if p999 is not None else ''} | "
            f"{fmt_ratio(ret).strip() if ret is not None else ''} | {'yes' if c.competing else ''} |")


def focused_tables(run):
    """The tables a run's workloads call for beyond the cell table: the
    pathological deletes against their control, the drift over turnovers."""
    lines = []
    for title, table in (("Pathological deletes", pathological_table.lines(run)),
                         ("Drift over the turnovers", drift_table.lines(run))):
        if table:
            lines += [f"### {title}", "", *table, ""]
    return lines


def step_page(results, step):
    runs = results.runs[step]
    plan_step = next((s for s in (results.manifest.get("plan") or {}).get("steps", []) if s.get("name") == step),
                     {})
    lines = [f"# {step}", "", results.step_about(step), "",
             f"`scripts/study run {' '.join(plan_step.get('args', []))}`"
             + (f", {plan_step['rounds']} rounds of one repetition" if plan_step.get("rounds") else ""), ""]
    ratio = plan_step.get("ratio")
    if ratio:
        numbered = {int(k.split("-")[1]): r for k, r in runs.items() if re.fullmatch(r"round-\d+", k)}
        lines += ["## Same-round figures", "", "```"]
        lines += rounds.runs_summary_lines(numbered, ratio["quantity"], ratio.get("reference"))
        lines += ["```", ""]
    for name, run in sorted(runs.items()):
        lines += [f"## Cells{' of ' + name if name else ''}", "",
                  "| cell | status | steady-state ops/s | dominant-op P99.9 | retention | beside another process |",
                  "|---|---|---|---|---|---|"]
        lines += [cell_row(c) for c in run.cells] + [""]
        lines += focused_tables(run)
    return "\n".join(lines).rstrip() + "\n"


def render(results, doc, changes):
    """{relative path: text} of every page."""
    outcomes = evaluate_all(doc, results)
    readme = ["# The reference study", ""] + header(results, changes) + conclusions(doc, outcomes) \
        + findings_section(doc, outcomes) + steps_section(results)
    pages = {"README.md": "\n".join(readme).rstrip() + "\n"}
    for step in results.runs:
        pages[f"steps/{step}.md"] = step_page(results, step)
    return pages


def write(pages, out):
    out = Path(out)
    for rel, text in pages.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    return out
