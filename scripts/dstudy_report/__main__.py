"""Command line: scripts/report RESULTS_DIR [--out DIR] [--objective TEXT ...] [--svg] [--self-contained]
                 scripts/report compare BASE_DIR NEW_DIR [--out DIR]
                 scripts/report reference RESULTS [--out DIR] [--findings FILE]"""
import argparse
import sys
from pathlib import Path

from .compare import Thresholds
from .findings import compare_outcomes, load_findings
from .load import ReportError, load_run
from .objectives import DEFAULT_CONSTRAINED, parse_objective
from .reference_pages import changed_since, render as render_reference, write as write_reference
from .reference_results import MANIFEST as REFERENCE_MANIFEST, load_reference
from .render import render_compare, render_run

REPO = Path(__file__).resolve().parents[2]
FINDINGS = REPO / "reports" / "reference" / "specs" / "findings.json"


def _slug(text):
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(text))


def render_main(argv):
    p = argparse.ArgumentParser(prog="scripts/report",
                                description="Render a report from a run folder's results.json, "
                                            "no rerun. 'scripts/report compare -h' compares two runs.")
    p.add_argument("results", help="run folder holding results.json (or the file itself)")
    p.add_argument("--out", help="output folder (default: reports/<run id>, or reports/latest "
                                 "when the run has no id)")
    p.add_argument("--objective", action="append", default=[], metavar="TEXT",
                   help="rank by this objective too, e.g. 'max throughput subject to erase.p999 < 2us' "
                        "(repeatable; replaces the default constrained objectives: "
                        + "; ".join(repr(t) for t in DEFAULT_CONSTRAINED) + "). docs/reports.md lists "
                        "the metrics.")
    p.add_argument("--svg", action="store_true", help="write every figure as SVG beside its PNG")
    p.add_argument("--self-contained", action="store_true",
                   help="embed the figures in report.html (one file to send; larger)")
    a = p.parse_args(argv)
    for text in a.objective:
        parse_objective(text)   # a typo stops here, before anything is read or drawn
    run = load_run(a.results)
    out = Path(a.out) if a.out else REPO / "reports" / (_slug(run.run_id) if run.run_id else "latest")
    figures = render_run(run, out, a.objective, svg=a.svg, self_contained=a.self_contained)
    print(f"report: {len(run.cells)} cells ({len(run.failed)} failed), {len(figures)} figures -> "
          f"{out / 'report.html'} and {out / 'report.md'}")


def reference_main(argv):
    p = argparse.ArgumentParser(prog="scripts/report reference",
                                description="The reference pages (README.md and steps/*.md) from a reference "
                                            "study's compact results and the declared findings.")
    p.add_argument("results", help="compact results folder (reports/reference/results), or a study folder")
    p.add_argument("--out", default=str(REPO / "reports" / "reference"),
                   help="where the pages go (default reports/reference)")
    p.add_argument("--findings", default=str(FINDINGS), help="the findings (default reports/reference/specs/"
                                                             "findings.json)")
    a = p.parse_args(argv)
    doc = load_findings(a.findings)
    results = load_reference(a.results)
    pages = render_reference(results, doc, changed_since(results.commit))
    write_reference(pages, a.out)
    print(f"report reference: {len(pages)} pages -> {a.out}")


def is_reference(path):
    path = Path(path)
    return (path / REFERENCE_MANIFEST).is_file() and not (path / "results.json").exists() \
        or (path / "compact" / REFERENCE_MANIFEST).is_file()


def compare_findings(base_dir, new_dir, findings):
    doc = load_findings(findings)
    differ = compare_outcomes(doc, load_reference(base_dir), load_reference(new_dir))
    print(f"compare: {len(doc['findings'])} findings, {len(differ)} differ")
    for fid, old, new, sentence in differ:
        print(f"  {fid}: {old} -> {new}: {sentence}")
    return 0


def compare_main(argv):
    p = argparse.ArgumentParser(prog="scripts/report compare",
                                description="Compare two runs cell by cell (new/base ratios, "
                                            "Mann-Whitney U on the repetitions).")
    p.add_argument("base", help="baseline run folder")
    p.add_argument("new", help="new run folder")
    p.add_argument("--out", help="output folder (default: reports/compare-<base id>-vs-<new id>)")
    d = Thresholds()
    p.add_argument("--threshold", type=float, default=d.throughput,
                   help=f"relative throughput change that counts (default {d.throughput})")
    p.add_argument("--latency-threshold", type=float, default=d.latency,
                   help=f"relative P99 change that counts (default {d.latency})")
    p.add_argument("--memory-threshold", type=float, default=d.memory,
                   help=f"relative peak memory change that counts (default {d.memory})")
    p.add_argument("--alpha", type=float, default=d.alpha,
                   help=f"significance level of the U test (default {d.alpha})")
    p.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 when any cell regressed")
    p.add_argument("--svg", action="store_true", help="write every figure as SVG beside its PNG")
    p.add_argument("--findings", default=str(FINDINGS),
                   help="two reference studies: the findings to compare (default reports/reference/specs/"
                        "findings.json)")
    a = p.parse_args(argv)
    if is_reference(a.base) and is_reference(a.new):
        return compare_findings(a.base, a.new, a.findings)
    base, new = load_run(a.base), load_run(a.new)
    out = Path(a.out) if a.out else REPO / "reports" / _slug(
        f"compare-{base.run_id or 'base'}-vs-{new.run_id or 'new'}")
    th = Thresholds(a.threshold, a.latency_threshold, a.memory_threshold, a.alpha)
    diffs, _ = render_compare(base, new, out, th, svg=a.svg)
    regressions = [d for d in diffs if d.verdict == "regression"]
    improvements = [d for d in diffs if d.verdict == "improvement"]
    print(f"compare: {len(diffs)} cells, {len(regressions)} regressions, {len(improvements)} "
          f"improvements -> {out / 'compare.html'} and {out / 'compare.md'}")
    for d in regressions:
        print(f"  regression: {d.id}: {', '.join(d.regressions)}")
    return 1 if regressions and a.fail_on_regression else 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "compare":
            return compare_main(argv[1:]) or 0
        if argv and argv[0] == "reference":
            return reference_main(argv[1:]) or 0
        return render_main(argv) or 0
    except ReportError as e:
        print(f"report: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
