"""scripts/report on the base fixture: every figure and table is produced,
the numbers in the tables are the fixture's, failed cells show as failed."""
import csv
import re

import pytest

from report_helpers import fixture_cells, html_tables, md_table, rendered_base

OPS = ("insert", "erase", "find_hit", "find_miss")
IMPLS = ("tombstone_never", "sorted_vector_lazy", "std_unordered_map")
PAIRS = (("steady_churn", "u64"), ("steady_churn", "string"), ("drain", "u64"))
ALLOCS = ("glibc", "jemalloc")


def expected_figures():
    names = [f"heatmap_{m}_{kv}" for m in ["throughput"] + [f"p99_{op}" for op in OPS] + ["growth"]
             for kv in ("u64", "string")]
    names += ["alloc_matrix_steady_churn", "alloc_matrix_drain", "retention_drain_u64_drain"]
    names += [f"{kind}_{w}_{kv}_{a}" for kind in ("timeline", "latency") for w, kv in PAIRS for a in ALLOCS]
    return names


@pytest.fixture(scope="module")
def out():
    return rendered_base()


def test_every_figure_is_written_as_png_and_svg(out):
    for name in expected_figures():
        png, svg = out / "figures" / f"{name}.png", out / "figures" / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert png.stat().st_size > 5000, name
        assert "<svg" in svg.read_text()[:2000], name


def test_html_is_self_contained_and_embeds_every_figure(out):
    html = (out / "report.html").read_text()
    srcs = re.findall(r'src="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert len(srcs) == len(list((out / "figures").glob("*.png")))
    assert "<link" not in html and "<script" not in html


def _mops(text):
    return float(text.split()[0])


def test_markdown_cells_table_matches_fixture(out):
    rows = {r["Cell"]: r for r in md_table((out / "report.md").read_text(), "All cells")}
    cells = fixture_cells()
    assert set(rows) == set(cells)
    for cid, c in cells.items():
        if c["sidecar"] is None:
            continue
        sc = c["sidecar"]
        assert _mops(rows[cid]["Throughput (Mops/s)"]) == pytest.approx(
            sc["throughput"]["median_ops_per_second"] / 1e6, abs=0.0051)
        assert float(rows[cid]["Growth %"]) == pytest.approx(sc["memory"]["derived"]["growth_pct"], abs=0.051)
        for op in OPS:
            text = rows[cid][f"P99 {op}"]
            value = float(text.split()[0]) * {"ns": 1, "µs": 1e3, "ms": 1e6}[text.split()[1]]
            assert value == pytest.approx(sc["latency"]["per_op"][op]["p99_ns"], rel=0.01)


def test_html_cells_table_carries_exact_values(out):
    rows = {r["Cell"]["text"]: r for r in html_tables(out / "report.html")["cells"]}
    for cid, c in fixture_cells().items():
        sc = c["sidecar"]
        if sc is None:
            assert rows[cid]["Throughput (Mops/s)"]["value"] is None
            continue
        assert rows[cid]["Throughput (Mops/s)"]["value"] == sc["throughput"]["median_ops_per_second"]
        assert rows[cid]["MAD %"]["value"] == sc["throughput"]["mad_pct"]
        assert rows[cid]["Retention"]["value"] == sc["memory"]["derived"]["retention"]
        for op in OPS:
            assert rows[cid][f"P99 {op}"]["value"] == sc["latency"]["per_op"][op]["p99_ns"]


def _best(cells, workload, kv, alloc, get, higher):
    ok = [c for c in cells.values() if (c["workload"], c["kv"], c["allocator"]) == (workload, kv, alloc)
          and c["status"] == "ok"]
    if not ok:
        return None
    pick = (max if higher else min)(ok, key=get)
    return pick["impl"], get(pick)


def test_headline_tables_name_the_best_implementation(out):
    cells = fixture_cells()
    md = (out / "report.md").read_text()
    html = html_tables(out / "report.html")
    thr = {(r["Workload"], r["KV"]): r for r in md_table(md, "Best throughput (median ops/s)")}
    growth = {(r["Workload"]["text"], r["KV"]["text"]): r for r in html["best_growth"]}
    p99 = {(r["Workload"]["text"], r["KV"]["text"], r["Metric"]["text"]): r for r in html["best_p99"]}
    for w, kv in PAIRS:
        for a in ALLOCS:
            impl, v = _best(cells, w, kv, a, lambda c: c["sidecar"]["throughput"]["median_ops_per_second"], True)
            m = re.fullmatch(r"(\S+) \(([\d.]+) M\)", thr[(w, kv)][a])
            assert m and m.group(1) == impl and float(m.group(2)) == pytest.approx(v / 1e6, abs=0.0051)
            impl, v = _best(cells, w, kv, a, lambda c: c["sidecar"]["memory"]["derived"]["growth_pct"], False)
            assert growth[(w, kv)][a]["text"].startswith(impl + " ") and growth[(w, kv)][a]["value"] == v
            for op in OPS:
                impl, v = _best(cells, w, kv, a, lambda c: c["sidecar"]["latency"]["per_op"][op]["p99_ns"], False)
                cell = p99[(w, kv, f"P99 {op} latency")][a]
                assert cell["text"].startswith(impl + " ") and cell["value"] == v


def test_failed_cells_appear_as_failed(out):
    failed = {cid: c for cid, c in fixture_cells().items() if c["status"] == "failed"}
    assert len(failed) == 2
    md = (out / "report.md").read_text()
    cells = {r["Cell"]: r for r in md_table(md, "All cells")}
    listed = {r["Cell"]: r for r in md_table(md, "Failed cells")}
    html = html_tables(out / "report.html")
    html_failures = {r["Cell"]["text"]: r for r in html["failures"]}
    for cid, c in failed.items():
        reason = c["failure"]["reason"]
        assert cells[cid]["Status"] == f"FAILED ({reason})"
        assert listed[cid]["Reason"] == reason
        assert html_failures[cid]["stderr (tail)"]["text"] == c["failure"]["stderr_tail"]
    # Marked in the matrices too, not hidden.
    assert "FAILED" in (out / "figures" / "heatmap_throughput_u64.svg").read_text()
    assert "FAILED" in (out / "figures" / "heatmap_throughput_string.svg").read_text()
    assert "FAILED" in (out / "figures" / "alloc_matrix_drain.svg").read_text()


def test_spread_warnings_and_environment_are_shown(out):
    cells = fixture_cells()
    noisy = [cid for cid, c in cells.items() if c["sidecar"] and c["sidecar"]["throughput"]["spread_warning"]]
    assert noisy
    spread = {r["Cell"]["text"]: r for r in html_tables(out / "report.html")["spread"]}
    assert set(spread) == set(noisy)
    for cid in noisy:
        assert spread[cid]["MAD %"]["value"] == cells[cid]["sidecar"]["throughput"]["mad_pct"]
    env = {r["Field"]: r["Value"] for r in md_table((out / "report.md").read_text(), "Environment")}
    assert env["cpu_model"] == "Fixture CPU @ 3.00GHz" and env["cores"] == "4"


def test_retention_table_matches_phase_end(out):
    rows = html_tables(out / "report.html")["retention"]
    drained = [r for r in rows if r["Phase"]["text"] == "drain"]
    cells = fixture_cells()
    assert len(drained) == sum(1 for c in cells.values() if c["workload"] == "drain" and c["status"] == "ok")
    for r in drained:
        entry = cells[r["Cell"]["text"]]["sidecar"]["memory"]["phase_end"][0]
        assert r["After"]["value"] == entry["after"]["rss_bytes"]
        assert r["After purge"]["value"] == entry["after_purge"]["rss_bytes"]


def test_csv_has_every_cell(out):
    with open(out / "cells.csv") as f:
        rows = {r["Cell"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(fixture_cells())
