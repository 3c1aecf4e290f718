"""scripts/report compare: ratios per cell, the U test, regressions flagged."""
import copy
import json

import pytest

from report_helpers import BASE, NEW, fixture_cells, fixture_doc, html_tables, md_table, rendered_compare, run_report

from dstudy_report.compare import Thresholds, compare_runs, u_test
from dstudy_report.load import load_run

REGRESSED = "tombstone_never/steady_churn/u64/jemalloc"
IMPROVED = "std_unordered_map/drain/u64/glibc"
P99_REGRESSED = "sorted_vector_lazy/steady_churn/u64/glibc"
MEMORY_IMPROVED = "tombstone_never/drain/u64/jemalloc"
NOISY = "sorted_vector_lazy/steady_churn/string/glibc"


@pytest.fixture(scope="module")
def diffs():
    """{id: CellDiff} of the quick cells (the full-size ones share ids)."""
    return {d.id: d for d in compare_runs(load_run(BASE), load_run(NEW)) if d.key[4] == "quick"}


def _median(cells, cid):
    return cells[(cid, "quick")]["sidecar"]["throughput"]["headline"]["median_ops_per_second"]


def test_ratios_are_new_over_base(diffs):
    base, new = fixture_cells(BASE), fixture_cells(NEW)
    for cid, d in diffs.items():
        if base[(cid, "quick")]["status"] != "ok" or new[(cid, "quick")]["status"] != "ok":
            assert d.throughput_ratio is None
            continue
        assert d.throughput_ratio == pytest.approx(_median(new, cid) / _median(base, cid))
        for op in ("insert", "erase", "find_hit", "find_miss"):
            b = base[(cid, "quick")]["sidecar"]["latency"]["per_op"][op]["p99_ns"]
            n = new[(cid, "quick")]["sidecar"]["latency"]["per_op"][op]["p99_ns"]
            assert d.p99_ratio[op] == pytest.approx(n / b)
    assert diffs[REGRESSED].throughput_ratio == pytest.approx(0.70, abs=0.001)
    assert diffs[P99_REGRESSED].p99_ratio["erase"] == pytest.approx(1.5, abs=0.01)
    assert diffs[MEMORY_IMPROVED].memory_ratio == pytest.approx(0.8, abs=0.001)


def test_verdicts(diffs):
    assert diffs[REGRESSED].verdict == "regression" and "throughput" in diffs[REGRESSED].regressions
    assert diffs[REGRESSED].p_value == pytest.approx(2 / 252)  # 5 vs 5, fully separated: exact two-sided p
    assert diffs[P99_REGRESSED].verdict == "regression"
    assert diffs[IMPROVED].verdict == "improvement"
    assert diffs[MEMORY_IMPROVED].verdict == "improvement"
    # Beyond the 5% threshold but the repetitions overlap: not significant, not flagged.
    assert diffs[NOISY].throughput_ratio < 0.95 and diffs[NOISY].p_value > 0.1
    assert diffs[NOISY].verdict == "unchanged"
    flagged = {cid for cid, d in diffs.items() if d.verdict != "unchanged"}
    assert flagged == {REGRESSED, IMPROVED, P99_REGRESSED, MEMORY_IMPROVED}


def test_u_test_needs_two_repetitions_a_side():
    assert u_test([1.0], [2.0, 3.0]) is None
    assert u_test([1.0, 1.1], [2.0]) is None
    assert u_test([1.0, 1.1, 1.2], [2.0, 2.1, 2.2]) == pytest.approx(0.1)


def test_single_repetition_reads_n_a_and_threshold_decides(tmp_path):
    doc = fixture_doc(NEW)
    for c in doc["cells"]:
        if c["sidecar"]:
            h = c["sidecar"]["throughput"]["headline"]
            h["per_repetition"], h["samples"] = h["per_repetition"][:1], 1
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "results.json").write_text(json.dumps(doc))
    proc = run_report("compare", BASE, tmp_path / "new", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    rows = {r["Cell"]: r for r in md_table((tmp_path / "out" / "compare.md").read_text(), "All cells")}
    assert rows[REGRESSED]["p (U test)"] == "n/a"
    assert rows[REGRESSED]["Verdict"].startswith("REGRESSION")


def test_newly_failed_cell_is_a_regression():
    base = load_run(BASE)
    new = copy.deepcopy(base)
    victim = next(c for c in new.cells if c.ok)
    victim.status, victim.failure = "failed", {"reason": "oom"}
    d = {(x.id, x.key[4]): x for x in compare_runs(base, new, Thresholds())}[(victim.id, victim.size)]
    assert d.verdict == "regression" and d.status == "base ok, new FAILED"


def test_compare_outputs(tmp_path):
    out, stdout = rendered_compare()
    assert f"regression: {REGRESSED}" in stdout
    md = (out / "compare.md").read_text()
    regressions = {r["Cell"]: r for r in md_table(md, "Regressions")}
    assert set(regressions) == {REGRESSED, P99_REGRESSED}
    assert regressions[REGRESSED]["Throughput new/base"] == "0.700"
    assert regressions[REGRESSED]["Verdict"] == "REGRESSION (throughput)"
    assert regressions[REGRESSED]["p (U test)"] == "0.00794"
    html = html_tables(out / "compare.html")
    row = {r["Cell"]["text"]: r for r in html["compare"]}[REGRESSED]
    assert "bad" in row["Throughput new/base"]["class"] and "bad" in row["Verdict"]["class"]
    for key in ("throughput", "p99", "memory"):
        assert (out / "figures" / f"compare_{key}.png").stat().st_size > 5000
        assert not (out / "figures" / f"compare_{key}.svg").exists()   # SVG only with --svg
        assert f'src="figures/compare_{key}.png"' in (out / "compare.html").read_text()


def test_fail_on_regression_exit_code(tmp_path):
    proc = run_report("compare", BASE, NEW, "--out", tmp_path / "o", "--fail-on-regression")
    assert proc.returncode == 1
    proc = run_report("compare", BASE, BASE, "--out", tmp_path / "o2", "--fail-on-regression")
    assert proc.returncode == 0, proc.stderr
