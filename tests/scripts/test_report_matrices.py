"""The matrices (matrices.py, fig_matrices.py): per size and allocator,
containers x workloads of throughput, P99, P99.9, memory growth and
retention, each square its value and its distance from the workload's best,
the squares tied with the best by the recommendations' own rules marked;
the allocator tables (each cell over its container's glibc cell); PNG
figures split, never shrunk, to fit 1600 x 1400 px."""
import math
import struct
import sys

import pytest

from report_helpers import BASE, FIXTURES, html_tables, md_table, rendered_base, write_doc

from dstudy_report.fig_common import FigureDir
from dstudy_report.fig_matrices import MAX_HEIGHT_PX, MAX_WIDTH_PX, layout, matrix_figure
from dstudy_report.load import load_run
from dstudy_report.matrices import (ALLOC_SPECS, COLOURS, SPECS, TIED_MARK, allocator_table, bin_of,
                                    build_matrices, build_matrix)
from dstudy_report.metrics import GROWTH, RETENTION, TAIL_P99, THROUGHPUT
from dstudy_report.ranking import rank

sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402

THROUGHPUT_SPEC, GROWTH_SPEC, RETENTION_SPEC = (next(s for s in SPECS if s.metric is m)
                                                for m in (THROUGHPUT, GROWTH, RETENTION))


@pytest.fixture(scope="module")
def run():
    return load_run(BASE)


def _ok(run, size, allocator, column):
    return [c for c in run.cells if (c.size, c.allocator, c.workload_label, c.kv) == (size, allocator, *column)
            and c.ok]


def test_a_throughput_square_is_the_best_over_its_value(run):
    mx = build_matrix(run, "quick", "glibc", THROUGHPUT_SPEC)
    assert mx.columns == [("steady_churn", "u64"), ("steady_churn", "string"), ("drain", "u64")]
    for col in mx.columns:
        values = {c.impl: THROUGHPUT.value(c) for c in _ok(run, "quick", "glibc", col)}
        best = max(values.values())
        for impl, v in values.items():
            sq = mx.squares[(impl, col)]
            assert sq.distance == pytest.approx(best / v) and sq.best == (v == best)
    assert mx.failed[("std_unordered_map", ("steady_churn", "string"))] == "timeout"
    # the library a user can adopt first, then the study's own containers
    assert mx.rows == ["std_unordered_map", "tombstone_never", "sorted_vector_lazy"]


def test_latency_squares_are_their_value_over_the_least():
    run = load_run(BASE)
    mx = build_matrix(run, "quick", "jemalloc", next(s for s in SPECS if s.metric is TAIL_P99))
    col = ("steady_churn", "u64")
    values = {c.impl: TAIL_P99.value(c) for c in _ok(run, "quick", "jemalloc", col)}
    for impl, v in values.items():
        assert mx.squares[(impl, col)].distance == pytest.approx(v / min(values.values()))


def test_memory_squares_are_percentage_points_above_the_best(run):
    growth = build_matrix(run, "quick", "glibc", GROWTH_SPEC)
    retention = build_matrix(run, "quick", "glibc", RETENTION_SPEC)
    col = ("drain", "u64")
    kept = {c.impl: RETENTION.value(c) for c in _ok(run, "quick", "glibc", col)}
    for impl, v in kept.items():
        assert retention.squares[(impl, col)].distance == pytest.approx((v - min(kept.values())) * 100)
    assert ("tombstone_never", col) not in growth.squares   # a drain has no steady phase to grow over
    assert not any(c == col for _, c in growth.squares)


def test_the_marked_squares_are_the_rankings_tied_set(run):
    marked = 0
    for mx in build_matrices(run):
        for col in mx.columns:
            r = rank(mx.spec.metric, _ok(run, mx.size, mx.allocator, col))
            tied = {(impl, c) for (impl, c), sq in mx.squares.items() if c == col and sq.tied}
            assert tied == {(c.impl, col) for c in r.tied}
            marked += sum(not mx.squares[k].best for k in tied)
    assert marked > 0     # the fixture plants ties (growth of std_unordered_map and sorted_vector_lazy)
    growth = build_matrix(run, "quick", "glibc", GROWTH_SPEC)
    square = growth.squares[("sorted_vector_lazy", ("steady_churn", "u64"))]
    assert square.tied and not square.best and square.text(GROWTH_SPEC).endswith(TIED_MARK)


def test_the_report_shows_every_matrix_in_both_files():
    out = rendered_base()
    md = (out / "report.md").read_text()
    tables = html_tables(out / "report.html")
    for size, allocator in (("quick", "glibc"), ("quick", "jemalloc"), ("full", "glibc")):
        for spec in SPECS[:4]:      # retention: the full size has no drain
            rows = md_table(md, f"{spec.title} — size {size}, {allocator}")
            assert {r["Container"] for r in rows} == {c.impl for c in load_run(BASE).cells
                                                      if (c.size, c.allocator) == (size, allocator)}
            assert f"matrix_{spec.metric.key.replace('.', '_')}_{size}_{allocator}" in tables
    html_rows = {r["Container"]["text"]: r for r in tables["matrix_throughput_quick_glibc"]}
    best = html_rows["tombstone_never"]["steady_churn u64"]
    assert "m0" in best["class"].split() and best["value"] == 1.0 and best["text"].endswith("best")
    slow = html_rows["sorted_vector_lazy"]["steady_churn u64"]
    assert slow["value"] == pytest.approx(31e6 / 9e6, rel=0.02) and "m4" in slow["class"].split()
    assert html_rows["std_unordered_map"]["Kind"]["text"] == "library"
    assert html_rows["std_unordered_map"]["steady_churn string"]["text"] == "FAILED (timeout)"
    html = (out / "report.html").read_text()
    assert html.count('<p class="legend">') == 3      # ratio and points scales, the allocators' scale
    assert "green to red: best, or within 5%" in md


def test_the_allocator_table_is_each_cell_over_its_glibc_cell(run):
    table = allocator_table(run, "quick", ALLOC_SPECS[0])
    assert table.columns == ["Workload", "Container", "Kind", "glibc", "jemalloc"]
    for row in table.rows:
        workload, impl = row[0].text, row[1].text
        kv = workload.split()[1] if " " in workload else "u64"
        base = run.get(impl, workload.split()[0], kv, "glibc", "quick")
        other = run.get(impl, workload.split()[0], kv, "jemalloc", "quick")
        assert row[3].value == 1.0
        if other.ok:
            assert row[4].value == pytest.approx(THROUGHPUT.value(other) / THROUGHPUT.value(base))
        else:
            assert row[4].text == "FAILED"
    assert allocator_table(run, "full", ALLOC_SPECS[0]) is None     # one allocator: nothing to compare


def _png_size(path):
    with open(path, "rb") as f:
        return struct.unpack(">II", f.read(24)[16:24])


def test_a_large_matrix_is_split_by_kind_and_columns_to_fit(tmp_path):
    libraries = [f"peer_map_{k}" for k in range(15)]
    study = [f"tombstone_variant_{k}" for k in range(15)]
    workloads = [f"steady_churn_{k}" for k in range(16)]
    doc = make_fixtures.synthetic_run(libraries + study, workloads, ["glibc"], reps=2)
    run = load_run(write_doc(doc, tmp_path / "run"))
    mx = build_matrix(run, "quick", "glibc", THROUGHPUT_SPEC)
    pieces = layout(run, mx)
    assert len(pieces) == 4            # libraries and the study's own, each in two runs of workloads
    assert [set(rows) for rows, _ in pieces[::2]] == [set(libraries), set(study)]
    shown = [(impl, mx.columns[k]) for rows, cols in pieces for impl in rows for k in cols]
    assert sorted(shown) == sorted(mx.squares) and len(shown) == len(set(shown))
    figdir = FigureDir(tmp_path / "out", ("png",))
    for part in range(len(pieces)):
        fig = matrix_figure(run, figdir, "quick", "glibc", THROUGHPUT.key, part)
        width, height = _png_size(fig.png)
        assert width <= MAX_WIDTH_PX and height <= MAX_HEIGHT_PX, (fig.png, width, height)
        assert f"({part + 1} of 4)" in fig.title


def test_a_square_is_coloured_on_its_distance_from_the_best():
    ratio, points = THROUGHPUT_SPEC, GROWTH_SPEC
    assert [bin_of(ratio, d) for d in (1.0, 1.05, 1.06, 1.3, 1.9, 3.0, 4.9)] == [0, 0, 1, 2, 3, 4, 5]
    assert [bin_of(points, d) for d in (0.0, 1.0, 4.0, 9.0, 20.0, 40.0, 80.0)] == [0, 0, 1, 2, 3, 4, 5]
    assert bin_of(ratio, math.inf) == len(COLOURS) - 1
