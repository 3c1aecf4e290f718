"""Renders a report folder from one run, or a comparison folder from two:
figures, report.html, report.md and cells.csv (compare.html, compare.md)."""
import csv
import shutil
from pathlib import Path

from .chart_ranked import ranked_chart
from .compare import Thresholds, compare_runs, compare_table
from .content import Para, report_content, run_line
from .depth import depth_jobs
from .fig_common import FigureDir, group_name
from .fig_compare import compare_figures
from .fig_latency import latency_figure
from .fig_matrices import matrix_jobs
from .fig_open_loop import open_loop_jobs
from .fig_ranked import ranked_figure
from .fig_retention import retention_figure
from .fig_timelines import timeline_figure
from .fig_tradeoff import tradeoff_figure
from .html import page, simple_sections
from .markdown import md_page
from .matrices import build_matrices
from .objectives import DEFAULT_CONSTRAINED, default_objectives, parse_objective
from .parallel import draw_figures
from .recommendations import answer
from .tables import cells_table


def _fresh(outdir):
    """Empties the figures folder so figures of an earlier render don't linger."""
    outdir = Path(outdir)
    shutil.rmtree(outdir / "figures", ignore_errors=True)
    outdir.mkdir(parents=True, exist_ok=True)
    return outdir


def write_csv(table, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(table.columns)
        for row in table.rows:
            w.writerow([c.value if c.value is not None else c.text for c in row])


def named_cells(a):
    """Ids of the cells a group's recommendations name: leaders, runners-up,
    tied sets and the Pareto set (what the per-workload figures show)."""
    ids = []
    for r in a.rankings:
        for c in [r.best, r.runner_up] + r.tied:
            if c is not None and c.id not in ids:
                ids.append(c.id)
    ids += [c.id for c in a.pareto if c.id not in ids]
    return tuple(ids[:8])   # more lines than this no longer read


def recommended_ids(a):
    """The cells a group's throughput recommendation names (the leader and its tied set)."""
    return tuple(c.id for r in a.rankings[:1] for c in r.tied)


def ranked_charts(run, answers, figures):
    """The page's interactive throughput rankings, each with its PNG twin."""
    pngs = {f.name: f for f in figures}
    charts = []
    for a in answers:
        png = pngs.get(f"ranked_{group_name(a.size, a.workload, a.kv)}")
        chart = ranked_chart(run, a.size, a.workload, a.kv, recommended_ids(a), png)
        if chart is not None:
            charts.append(chart)
    return charts


def figure_jobs(answers):
    """[(function, args)]: what the page shows per workload, nothing more."""
    jobs = []
    for a in answers:
        g = (a.size, a.workload, a.kv)
        named = named_cells(a)
        jobs += [(ranked_figure, g + (recommended_ids(a),)),
                 (tradeoff_figure, g + (a.pareto_metrics[1].key, tuple(c.id for c in a.pareto))),
                 (latency_figure, g + (named,)), (timeline_figure, g + (named,)),
                 (retention_figure, g)]
    return jobs


def render_run(run, outdir, objectives=(), svg=False, self_contained=False):
    """objectives: one-line objectives (--objective); the defaults when empty."""
    outdir = _fresh(outdir)
    main = default_objectives()
    constrained = [parse_objective(t) for t in (objectives or DEFAULT_CONSTRAINED)]
    answers = answer(run, main)
    matrices = build_matrices(run)
    figures = draw_figures(run, FigureDir(outdir, ("png", "svg") if svg else ("png",)),
                           figure_jobs(answers) + matrix_jobs(run, matrices) + open_loop_jobs(run)
                           + depth_jobs(run))
    sections = report_content(run, answers, main, constrained, answer(run, constrained), figures,
                              ranked_charts(run, answers, figures), matrices)
    title = f"Delete-intensive container study — run {run.run_id or '(no id)'}"
    (outdir / "report.html").write_text(page(title, run_line(run), sections, embed=self_contained),
                                        encoding="utf-8")
    (outdir / "report.md").write_text(md_page(title, run_line(run), sections), encoding="utf-8")
    write_csv(cells_table(run), outdir / "cells.csv")
    return figures


def render_compare(base, new, outdir, th=None, svg=False):
    th = th or Thresholds()
    outdir = _fresh(outdir)
    diffs = compare_runs(base, new, th)
    figures = compare_figures(diffs, FigureDir(outdir, ("png", "svg") if svg else ("png",)), th.alpha)
    counts = {v: sum(d.verdict == v for d in diffs) for v in ("regression", "improvement", "unchanged")}
    title = f"Comparison — base {base.run_id or base.path} vs new {new.run_id or new.path}"
    meta = (f"base {base.run_id} ({base.path}) · new {new.run_id} ({new.path}) · {len(diffs)} cells "
            f"compared: {counts['regression']} regressions, {counts['improvement']} improvements, "
            f"{counts['unchanged']} unchanged")
    tables = [compare_table(diffs, th, "regression", "regressions", "Regressions"),
              compare_table(diffs, th, "improvement", "improvements", "Improvements"),
              compare_table(diffs, th)]
    sections = simple_sections([("regressions", "Regressions", [tables[0]]),
                                ("improvements", "Improvements", [tables[1]]),
                                ("figures", "Figures", figures or [Para("(none)")]),
                                ("all", "All cells", [tables[2]])])
    (outdir / "compare.md").write_text(md_page(title, meta, sections), encoding="utf-8")
    (outdir / "compare.html").write_text(page(title, meta, sections), encoding="utf-8")
    write_csv(tables[2], outdir / "compare.csv")
    return diffs, figures
