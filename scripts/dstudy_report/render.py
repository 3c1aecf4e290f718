"""Renders a report folder from one run, or a comparison folder from two:
figures, report.html, report.md and cells.csv (compare.html, compare.md)."""
import csv
import shutil
from pathlib import Path

from .compare import Thresholds, compare_runs, compare_table
from .fig_alloc_matrix import alloc_matrix_jobs
from .fig_compare import compare_figures
from .fig_heatmaps import heatmap_jobs
from .fig_latency import latency_jobs
from .fig_retention import retention_jobs
from .fig_timelines import timeline_jobs
from .html import html_figure, html_table, page, write_report_html
from .markdown import md_table, write_report_md
from .parallel import draw_figures
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


def render_run(run, outdir):
    outdir = _fresh(outdir)
    jobs = (heatmap_jobs(run) + alloc_matrix_jobs(run) + retention_jobs(run)
            + timeline_jobs(run) + latency_jobs(run))
    figures = draw_figures(run, outdir, jobs)
    write_report_html(run, figures, outdir / "report.html")
    write_report_md(run, figures, outdir / "report.md")
    write_csv(cells_table(run), outdir / "cells.csv")
    return figures


def render_compare(base, new, outdir, th=None):
    th = th or Thresholds()
    outdir = _fresh(outdir)
    diffs = compare_runs(base, new, th)
    figures = compare_figures(diffs, outdir, th.alpha)
    counts = {v: sum(d.verdict == v for d in diffs) for v in ("regression", "improvement", "unchanged")}
    title = f"Comparison — base {base.run_id or base.path} vs new {new.run_id or new.path}"
    summary = [("Base", f"{base.run_id} ({base.path})"), ("New", f"{new.run_id} ({new.path})"),
               ("Cells compared", len(diffs)), ("Regressions", counts["regression"]),
               ("Improvements", counts["improvement"]), ("Unchanged", counts["unchanged"])]
    tables = [compare_table(diffs, th, "regression", "regressions", "Regressions"),
              compare_table(diffs, th, "improvement", "improvements", "Improvements"),
              compare_table(diffs, th)]
    md = [f"# {title}", ""] + [f"- **{k}:** {v}" for k, v in summary] + [""]
    md += [md_table(t) for t in tables]
    md += ["## Figures", ""] + [f"- [{f.title}](figures/{f.png.name})" for f in figures]
    (outdir / "compare.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    sections = [("regressions", "Regressions", html_table(tables[0])),
                ("improvements", "Improvements", html_table(tables[1])),
                ("figures", "Figures", "\n".join(html_figure(f) for f in figures)),
                ("all", "All cells", html_table(tables[2]))]
    (outdir / "compare.html").write_text(page(title, summary, sections), encoding="utf-8")
    write_csv(tables[2], outdir / "compare.csv")
    return diffs, figures
