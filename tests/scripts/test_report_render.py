"""scripts/report on the base fixture: the figures the page shows and only
those, the numbers in the tables are the fixture's (headline, build and cold
kept apart; null percentiles as n/a with their count; memory as derived),
failed and competing cells are marked."""
import csv
import re

import pytest

from report_helpers import BASE, fixture_cells, html_charts, html_tables, md_table, rendered_base, run_report

GROUPS = (("steady_churn", "u64", "quick"), ("steady_churn", "string", "quick"), ("drain", "u64", "quick"),
          ("steady_churn", "u64", "full"))
KINDS = ("ranked", "tradeoff", "latency", "memory")
OPEN_LOOP = ("open_loop_load_steady_churn_u64_full", "open_loop_rate_steady_churn_u64_full")  # its 2 full cells
# The matrices, per size and allocator; the full size has no drain, so no retention matrix.
MATRIX_METRICS = ("throughput", "tail_p99", "tail_p999", "memory_growth", "memory_retention")
MATRICES = tuple(f"matrix_{m}_{size}_{alloc}" for size, alloc in (("quick", "glibc"), ("quick", "jemalloc"),
                                                                  ("full", "glibc"))
                 for m in MATRIX_METRICS if (size, m) != ("full", "memory_retention"))


@pytest.fixture(scope="module")
def out():
    return rendered_base()


def expected_figures():
    names = [f"{kind}_{w}_{kv}_{size}" for kind in KINDS for w, kv, size in GROUPS]
    return sorted(names + ["retention_drain_u64_quick", *OPEN_LOOP, *MATRICES])


def expected_images():
    """The figures the page shows as images: all but the throughput rankings,
    which it draws as interactive charts (their PNGs are for report.md)."""
    return [n for n in expected_figures() if not n.startswith("ranked_")]


def test_figures_are_what_the_page_shows_as_png(out):
    pngs = sorted(p.stem for p in (out / "figures").glob("*.png"))
    assert pngs == expected_figures()
    assert not list((out / "figures").glob("*.svg"))   # SVG only on request
    html = (out / "report.html").read_text()
    srcs = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert sorted(srcs) == sorted(f"figures/{n}.png" for n in expected_images())
    assert all('loading="lazy"' in tag for tag in re.findall(r"<img [^>]*>", html))
    for w, kv, size in GROUPS:      # each chart links its PNG twin; report.md shows the PNG
        assert f'href="figures/ranked_{w}_{kv}_{size}.png"' in html
        assert f"(figures/ranked_{w}_{kv}_{size}.png)" in (out / "report.md").read_text()
    for name in expected_figures():
        assert (out / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_self_contained_and_svg_on_request(tmp_path):
    proc = run_report(BASE, "--out", tmp_path, "--svg", "--self-contained")
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "report.html").read_text()
    srcs = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert len(srcs) == len(expected_images())
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert html.count('<figure class="chart"') == len(GROUPS)
    assert sorted(p.stem for p in (tmp_path / "figures").glob("*.svg")) == expected_figures()


def _ok_medians(size, w, kv):
    """{(impl, allocator): headline median} of the fixture's ok cells of a group."""
    return {(c["impl"], c["allocator"]): c["sidecar"]["throughput"]["headline"]["median_ops_per_second"]
            for c in fixture_cells().values()
            if (c["size"], c["workload"], c["kv"]) == (size, w, kv) and c["status"] == "ok"}


def test_throughput_ranking_is_an_inline_chart_with_a_toggle_per_allocator(out):
    charts = html_charts(out / "report.html")
    assert sorted(charts) == sorted(f"chart-{w}_{kv}_{size}" for w, kv, size in GROUPS)
    for w, kv, size in GROUPS:
        chart = charts[f"chart-{w}_{kv}_{size}"]
        mine = _ok_medians(size, w, kv)
        cells = [c for c in fixture_cells().values() if (c["size"], c["workload"], c["kv"]) == (size, w, kv)]
        # Rows: the containers of this size, ranked by their best median at this size alone.
        best = {}
        for (impl, _), v in mine.items():
            best[impl] = max(best.get(impl, 0), v)
        ranked = sorted(best, key=lambda i: -best[i])
        assert chart["rows"][:len(ranked)] == ranked
        assert set(chart["rows"]) == {c["impl"] for c in cells}
        # One mark per cell of this size, at its median; a failed cell's mark says so.
        own = [m for m in chart["marks"] if m["size"] == size]
        assert len(own) == len(cells) and not any(m["off"] for m in own)
        assert {(m["impl"], m["alloc"]): m["value"] for m in own if m["value"] is not None} == mine
        assert all("FAILED" in m["text"] for m in own if m["value"] is None)
        # One checkbox per allocator shown, all ticked.
        allocs = [(k, v, on) for k, v, on in chart["toggles"] if k == "alloc"]
        assert allocs == [("alloc", a, True) for a in ("glibc", "jemalloc")
                          if any(m["alloc"] == a for m in chart["marks"])]


def test_other_sizes_are_extra_series_hidden_until_ticked_never_ranked(out):
    charts = html_charts(out / "report.html")
    quick, full = charts["chart-steady_churn_u64_quick"], charts["chart-steady_churn_u64_full"]
    assert [t for t in quick["toggles"] if t[0] == "size"] == [("size", "quick", True), ("size", "full", False)]
    assert [t for t in full["toggles"] if t[0] == "size"] == [("size", "quick", False), ("size", "full", True)]
    extra = [m for m in quick["marks"] if m["size"] == "full"]
    assert extra and all(m["off"] for m in extra)
    assert {(m["impl"], m["alloc"]): m["value"] for m in extra} == _ok_medians("full", "steady_churn", "u64")
    # The full chart ranks its two containers by their full-size figures only.
    medians = _ok_medians("full", "steady_churn", "u64")
    assert full["rows"] == sorted({i for i, _ in medians}, key=lambda i: -medians[(i, "glibc")])
    # A workload measured at one size has no size toggles.
    assert not [t for t in charts["chart-drain_u64_quick"]["toggles"] if t[0] == "size"]


def test_every_link_within_the_page_has_a_target(out):
    html = (out / "report.html").read_text()
    targets = set(re.findall(r' id="([^"]+)"', html))
    links = re.findall(r'href="#([^"]+)"', html)
    assert links and [t for t in links if t not in targets] == []


def test_page_fetches_nothing_from_the_network(out):
    html = (out / "report.html").read_text()
    assert "<link" not in html and "<script src" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def _rows(out, key):
    return {(r["Cell"]["text"], r["Size"]["text"]): r for r in html_tables(out / "report.html")[key]}


def test_headline_is_the_steady_state_with_count_and_spread(out):
    rows = _rows(out, "cells")
    for key, c in fixture_cells().items():
        row = rows[key]
        if c["sidecar"] is None:
            assert row["Throughput (steady state)"]["value"] is None
            continue
        t = c["sidecar"]["throughput"]
        cell = row["Throughput (steady state)"]
        assert cell["value"] == t["headline"]["median_ops_per_second"]
        assert f"n={t['headline']['samples']}" in cell["text"] and "MAD" in cell["text"]
        # Build and first-pass figures are their own columns, never the headline.
        assert row["Build (load)"]["value"] == t["build"]["median_ops_per_second"]
        assert row["Cold (first pass)"]["value"] == t["cold"]["headline"]["median_ops_per_second"]
        assert t["build"]["median_ops_per_second"] != t["headline"]["median_ops_per_second"]


def test_null_percentile_prints_n_a_with_its_count_and_max_is_the_true_max(out):
    rows = {(r["Cell"]["text"], r["Size"]["text"], r["Op"]["text"]): r
            for r in html_tables(out / "report.html")["latency"]}
    nulls = 0
    for (cid, size), c in fixture_cells().items():
        if c["status"] != "ok":
            continue
        for op, lat in c["sidecar"]["latency"]["per_op"].items():
            row = rows[(cid, size, op)]
            assert row["Samples"]["value"] == lat["count"]
            assert row["max"]["value"] == lat["max_ns"]
            for key, name in (("p50_ns", "P50"), ("p90_ns", "P90"), ("p99_ns", "P99"), ("p999_ns", "P99.9")):
                if lat[key] is None:
                    nulls += 1
                    assert row[name]["value"] is None
                    assert row[name]["text"].startswith(f"n/a (n={lat['count']:,}")
                else:
                    assert row[name]["value"] == lat[key]
    assert nulls >= 4   # drain's find_miss has too few samples for P99.9


def test_stalls_show_in_the_tail(out):
    rows = {(r["Cell"]["text"], r["Op"]["text"]): r for r in html_tables(out / "report.html")["latency"]}
    assert rows[("sorted_vector_lazy/steady_churn/u64/jemalloc", "erase")]["P99.9"]["value"] >= 10_000


def test_memory_is_read_as_derived(out):
    rows = _rows(out, "cells")
    for key, c in fixture_cells().items():
        if c["status"] != "ok":
            continue
        d = c["sidecar"]["memory"]["derived"]
        assert rows[key]["Retention"]["value"] == d["retention"]
        assert rows[key]["Growth %"]["value"] == d["growth_pct"]
        peak = max(s[d["headline_layer"]] for s in c["sidecar"]["memory"]["series"])
        assert rows[key]["Peak memory"]["value"] == peak


def test_retention_table_and_figure_read_the_same_numbers(out):
    from dstudy_report.fig_retention import drain_values
    from dstudy_report.load import load_run

    run = load_run(BASE)
    rows = _rows(out, "retention")
    drained = [c for c in run.cells if c.ok and c.drains]
    assert drained and len(rows) == len(drained)
    for c in drained:
        row = rows[(c.id, c.size)]
        for layer, first in (("heap_bytes", "heap_bytes: after"), ("rss_bytes", "rss_bytes: after")):
            fig = drain_values(c, c.derived["drain_phase"], layer)
            derived = c.drains[0]["layers"][layer]
            assert fig == (derived["retention"], derived["retention_after_idle"], derived["retention_after_purge"])
            assert row[first]["value"] == fig[0]
        # The headline retention is the heap_bytes layer's, the same number again.
        assert c.retention == c.drains[0]["layers"]["heap_bytes"]["retention"]


def test_failed_cells_appear_as_failed(out):
    failed = {key: c for key, c in fixture_cells().items() if c["status"] == "failed"}
    assert len(failed) == 2
    md = (out / "report.md").read_text()
    cells = {(r["Cell"], r["Size"]): r for r in md_table(md, "All cells")}
    listed = {r["Cell"]["text"]: r for r in html_tables(out / "report.html")["failures"]}
    for (cid, size), c in failed.items():
        assert cells[(cid, size)]["Status"] == f"FAILED ({c['failure']['reason']})"
        assert listed[cid]["stderr (tail)"]["text"] == c["failure"]["stderr_tail"]


def test_competing_cells_are_flagged_with_their_reason(out):
    competing = {key: c for key, c in fixture_cells().items()
                 if c["sidecar"] and c["sidecar"]["machine_load"]["competing"]}
    assert len(competing) == 1
    rows = _rows(out, "cells")
    listed = _rows(out, "competing")
    for key, c in competing.items():
        assert "COMPETING" in rows[key]["Status"]["text"]
        assert listed[key]["Reason"]["text"] == c["sidecar"]["machine_load"]["reason"]
    assert sum("COMPETING" in r["Status"]["text"] for r in rows.values()) == 1


def test_spread_warnings_are_listed(out):
    noisy = {key for key, c in fixture_cells().items()
             if c["sidecar"] and c["sidecar"]["throughput"]["headline"]["spread_warning"]}
    assert noisy and set(_rows(out, "spread")) == noisy


def test_timer_resolution_and_overhead_are_stated(out):
    md = (out / "report.md").read_text()
    assert "resolution 10 ns–12 ns, overhead 30.5 ns–31 ns" in md
    html = (out / "report.html").read_text()
    assert "resolution 10 ns–12 ns, overhead 30.5 ns–31 ns" in html


def test_csv_has_every_cell(out):
    with open(out / "cells.csv") as f:
        rows = {(r["Cell"], r["Size"]) for r in csv.DictReader(f)}
    assert rows == set(fixture_cells())
