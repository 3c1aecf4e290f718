"""What a run's report says, in order, as plain blocks (paragraphs, tables,
figures, collapsible groups) that html.py and markdown.py both render: the
two files always say the same thing in the same order, the answer first."""
from dataclasses import dataclass, field

from .depth import drift_table, probe_table, sweep_texts
from .conditions import (competing_statement, environment_warnings, generalisation_note, size_regimes,
                         sizes_note, timer_statement)
from .fig_common import group_key, group_name
from .fig_matrices import GROUP_PREFIX as MATRIX_PREFIX
from .fig_open_loop import GROUP_PREFIX
from .matrices import (ALLOC_SPECS, allocator_legend, allocator_table, build_matrices, legends, matrix_groups,
                       matrix_table)
from .open_loop import open_loop_cells, open_loop_note, open_loop_table, stalls_table
from .ranking import ALPHA, MANN_WHITNEY_MIN_SAMPLES
from .recommendations import detail_table, evidence_table, summary_table
from .verdicts import verdict_table
from .tables import (cells_table, competing_table, environment_table, failures_table, latency_table,
                     manifest_table, retention_table, spread_table)


@dataclass
class Para:
    text: str
    kind: str = ""            # "", "warn", "note"


@dataclass
class Details:
    """A collapsible group (HTML <details>; a sub-heading in Markdown)."""
    title: str
    blocks: list
    open: bool = False
    anchor: str = ""          # id the page links to (HTML only)


@dataclass
class Section:
    anchor: str
    heading: str
    blocks: list = field(default_factory=list)


HOW_TO_READ = (f"How to read: each square names the container + allocator recommended for that "
               f"objective, its value with the sample count and spread, and its margin over the "
               f"runner-up (a factor, with its range over the repetitions). 'tie (k of N)': k of "
               f"the N candidates are not beaten by the leader beyond noise (with "
               f"{MANN_WHITNEY_MIN_SAMPLES}+ repetitions a side a one-sided Mann-Whitney test at "
               f"p < {ALPHA}, with fewer every repetition must be better; latency differences "
               f"under the timer's tie floor and memory differences under 1% are ties); a tie "
               f"over a few containers names them all ('A + {{glibc, jemalloc}}': A under either "
               f"allocator), a longer one gives the leader and the count and links to the whole "
               f"tied set. 'no ranking: all N within the timer's resolution': the timer cannot "
               f"order these latencies. Memory is measured in one process (the memory pass), so "
               f"it has no spread. Tail: P99 / P99.9 of the op type that dominates the "
               f"workload's headline phases.")


def run_line(run):
    m = run.manifest
    cells = len(run.cells)
    parts = [f"profile {m.get('profile')}" if m.get("profile") else None,
             f"{cells} cells ({len(run.failed)} failed, {len(run.competing)} competing)",
             f"sizes: {', '.join(run.sizes)}",
             f"{m.get('started')} – {m.get('finished')}" if m.get("started") else None,
             f"source {run.path}"]
    return " · ".join(p for p in parts if p)


def _answer_section(run, answers, objectives, regimes):
    s = Section("answer", "Recommendations")
    warnings = [w for w in environment_warnings(run) + [competing_statement(run)] if w]
    if warnings:
        s.blocks.append(Para("\n".join(warnings), "warn"))
    for k, regime in enumerate(regimes):
        mine = [a for a in answers if a.size == regime.size]
        s.blocks.append(verdict_table(run, mine, f"verdict_{regime.size}" if len(regimes) > 1 else "verdict",
                                      f"At a glance, size {regime.size}: {regime.matrix_text}", k == 0))
    for regime in regimes:
        mine = [a for a in answers if a.size == regime.size]
        note = (f"Every cell of this size ran under {regime.allocators[0]}: the squares name the "
                f"container alone, and allocators are not compared here." if regime.one_allocator
                and len(run.allocators) > 1 else "")
        s.blocks.append(summary_table(mine, objectives, f"answer_{regime.size}" if len(regimes) > 1 else "answer",
                                      f"Recommendations, {regime.text} · {regime.matrix_text}", note,
                                      with_pareto=True, alloc=not (regime.one_allocator and len(run.allocators) > 1)))
    for text, kind in ((generalisation_note(regimes), "warn"), (sizes_note(regimes), "note")):
        if text:
            s.blocks.append(Para(text, kind))
    s.blocks += [Para(timer_statement(run), "note"), Para(HOW_TO_READ, "note")]
    return s


def _workload_section(answers, figures, charts):
    """Per group: its interactive charts first (each standing in for its PNG
    twin, which report.md shows), then the other figures."""
    s = Section("workloads", "Per workload: the evidence")
    for a in answers:
        key = group_key(a.size, a.workload, a.kv)
        mine = [c for c in charts if c.group == key]
        replaced = {id(c.fallback) for c in mine}
        blocks = mine + [f for f in figures if f.group == key and id(f) not in replaced]
        if blocks:
            s.blocks.append(Details(f"{a.workload}, kv {a.kv}, size {a.size}", blocks,
                                    anchor=f"w-{group_name(a.size, a.workload, a.kv)}"))
    return s


def _depth_section(run, figures):
    """The size sweep (its figures and where rankings cross), drift over
    turnovers and probe lengths, when the run has them."""
    s = Section("depth", "Across sizes, over turnovers, inside a lookup")
    for workload, kv, text in sweep_texts(run):
        s.blocks.append(Para(f"Size sweep, {workload}, kv {kv}: {text}"))
    s.blocks += [f for f in figures if f.group.startswith("sweep/")]
    for table in (drift_table(run), probe_table(run)):
        if table.rows:
            s.blocks.append(table)
    return s


MATRICES_NOTE = ("Per size and allocator, every container (rows; its kind: a library you can adopt, or "
                 "one of the study's own) on every workload (columns). A square gives the value and how "
                 "far it is from the best in its workload; a click on a workload's header ranks the "
                 "containers for it. Memory growth and retention are of the heap layer (heap_bytes, the "
                 "same under every allocator); retention is blank for workloads without a drain.")


def _matrices_section(run, matrices, figures):
    """The matrices: per size and allocator, a collapsible group of tables
    and their PNG figures; then the allocator tables (ratio to glibc)."""
    s = Section("matrices", "Matrices", [Para(MATRICES_NOTE, "note")] + legends())
    for k, (size, allocator) in enumerate(matrix_groups(run)):
        tables = [matrix_table(run, m) for m in matrices if (m.size, m.allocator) == (size, allocator)]
        pngs = [f for f in figures if f.group == f"{MATRIX_PREFIX}/{size}/{allocator}"]
        if tables:
            s.blocks.append(Details(f"Size {size}, {allocator}: throughput, P99, P99.9, memory growth, "
                                    f"retention", tables + pngs, open=k == 0,
                                    anchor=f"m-{size}-{allocator}"))
    alloc = [t for size in run.sizes for spec in ALLOC_SPECS for t in [allocator_table(run, size, spec)] if t]
    if alloc:
        s.blocks.append(Details("Allocators, per workload: each container against its glibc cell",
                                [allocator_legend()] + alloc, anchor="m-allocators"))
    return s


def report_content(run, answers, objectives, constrained, constrained_answers, figures, charts=(),
                   matrices=None):
    """[Section] of a run's report. answers: GroupAnswer per group for
    objectives; constrained_answers: the same for the constrained objectives;
    charts: the page's interactive charts (chart_ranked.Chart); matrices: the
    run's matrices (matrices.build_matrices; built here when not given)."""
    regimes = size_regimes(run)
    sections = [_answer_section(run, answers, objectives, regimes)]
    if constrained:
        c = Section("objectives", "Constrained objectives")
        c.blocks.append(summary_table(constrained_answers, constrained, "constrained",
                                      "Recommendations under constraints", "", with_pareto=False,
                                      detail="dc"))
        sections.append(c)
    sections.append(_matrices_section(run, build_matrices(run) if matrices is None else matrices, figures))
    details = Section("details", "Recommendations in detail")
    details.blocks += [detail_table(answers, o, k, f"detail_{k}") for k, o in enumerate(objectives)]
    details.blocks += [detail_table(constrained_answers, o, k, f"detail_c{k}", "dc")
                       for k, o in enumerate(constrained)]
    details.blocks.append(evidence_table(answers))
    sections += [details, _workload_section(answers, figures, charts)]
    if open_loop_cells(run):
        mine = [f for f in figures if f.group.startswith(GROUP_PREFIX + "/")]
        sections.append(Section("open_loop", "Open loop: what callers wait",
                                [Para(open_loop_note(run), "note")] + mine
                                + [open_loop_table(run), stalls_table(run)]))
    depth = _depth_section(run, figures)
    if depth.blocks:
        sections.append(depth)
    sections.append(Section("problems", "Problems",
                            [failures_table(run), competing_table(run), spread_table(run)]))
    sections.append(Section("cells", "All cells", [cells_table(run), Details("Latency per operation type",
                                                                             [latency_table(run)])]))
    sections.append(Section("retention", "Memory after deletes", [retention_table(run)]))
    sections.append(Section("conditions", "Measurement conditions",
                            [Para(timer_statement(run))] + [Para(r.text) for r in regimes]
                            + [environment_table(run), manifest_table(run)]))
    return sections
