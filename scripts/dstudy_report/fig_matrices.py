"""The matrices as PNG figures a person reads at 100% zoom: text at 10 pt,
never wider than MAX_WIDTH_PX or taller than MAX_HEIGHT_PX. A matrix with
more containers than fit is split by container kind (libraries, the study's
own), then into runs of rows; one with more workloads than fit is split into
runs of columns: split, never shrunk."""
import math

import matplotlib.pyplot as plt

from .fig_common import save, slug
from .fig_matrix import MCell, draw_matrix
from .matrices import COLOURS, SPECS, bin_of, build_matrix

GROUP_PREFIX = "matrices"
FONT_PT = 10
MAX_WIDTH_PX, MAX_HEIGHT_PX = 1600, 1400
DPI = 100
SQUARE_W_IN, SQUARE_H_IN = 1.05, 0.52
LABEL_W_IN = 2.6          # container names on the left
HEADER_H_IN = 1.3         # workload names, the title
MAX_COLUMNS = int((MAX_WIDTH_PX / DPI - LABEL_W_IN - 0.4) // SQUARE_W_IN)
MAX_ROWS = int((MAX_HEIGHT_PX / DPI - HEADER_H_IN - 0.4) // SQUARE_H_IN)


def _runs(items, most):
    """items in even runs of at most `most`."""
    n = max(1, math.ceil(len(items) / most))
    step = math.ceil(len(items) / n)
    return [items[k:k + step] for k in range(0, len(items), step)]


def row_parts(run, rows):
    """The containers of each figure: all of them when they fit, else split
    by kind (libraries first), then into runs that fit."""
    if len(rows) <= MAX_ROWS:
        return [rows]
    kinds = [[r for r in rows if run.origin(r) != "study"], [r for r in rows if run.origin(r) == "study"]]
    return [part for kind in kinds if kind for part in _runs(kind, MAX_ROWS)]


def layout(run, mx):
    """[(row part, column part)]: one figure each."""
    column_parts = _runs(list(range(len(mx.columns))), MAX_COLUMNS)
    return [(rows, cols) for rows in row_parts(run, mx.rows) for cols in column_parts]


def matrix_figure_name(mx, part, parts):
    return slug(f"{mx.key}" + (f"_part{part + 1}of{parts}" if parts > 1 else ""))


def matrix_figure(run, figdir, size, allocator, spec_key, part):
    """One figure of the matrix (size, allocator, metric): its part-th piece."""
    spec = next(s for s in SPECS if s.metric.key == spec_key)
    mx = build_matrix(run, size, allocator, spec)
    pieces = layout(run, mx)
    rows, col_idx = pieces[part]
    cols = [mx.columns[k] for k in col_idx]
    grid = []
    for impl in rows:
        line = []
        for col in cols:
            sq = mx.squares.get((impl, col))
            if sq is not None:
                b = bin_of(spec, sq.distance)
                line.append(MCell(sq.text(spec), face=COLOURS[b], outline=sq.tied))
            elif (impl, col) in mx.failed:
                line.append(MCell(failed=mx.failed[(impl, col)]))
            else:
                line.append(None)
        grid.append(line)
    labels = [impl + (" (study)" if run.origin(impl) == "study" else "") for impl in rows]
    width = LABEL_W_IN + SQUARE_W_IN * len(cols) + 0.4
    height = HEADER_H_IN + SQUARE_H_IN * len(rows) + 0.4
    fig, ax = plt.subplots(figsize=(width, height), dpi=DPI, layout="constrained")
    draw_matrix(ax, labels, [mx.column_label(c) for c in cols], grid, fontsize=FONT_PT)
    ax.xaxis.tick_top()
    of = f" ({part + 1} of {len(pieces)})" if len(pieces) > 1 else ""
    title = f"{spec.title} — size {size}, {allocator}{of}"
    ax.set_title(title, fontsize=FONT_PT + 1, loc="left")
    caption = ("Each square: the value, and how far it is from the best in its workload "
               + ("(percentage points above it)" if spec.mode == "points" else "(x the best)")
               + "; green is the best, red the farthest; a dark outline and '≈': the best does not beat "
               "it beyond noise. '(study)': one of the study's own containers; the others are libraries.")
    return save(fig, figdir, matrix_figure_name(mx, part, len(pieces)),
                f"{GROUP_PREFIX}/{size}/{allocator}", title, caption)


def matrix_jobs(run, matrices):
    """[(function, args)]: every piece of every matrix."""
    jobs = []
    for mx in matrices:
        for part in range(len(layout(run, mx))):
            jobs.append((matrix_figure, (mx.size, mx.allocator, mx.spec.metric.key, part)))
    return jobs
