"""Study depth in the report: the size sweep (throughput and P99
against N, cache levels marked, where rankings cross), drift over turnovers
(per-turnover curves and the first/last table) and probe lengths (figure and
table beside the miss cost), on fixtures whose answers are planted
(make_fixtures.sweep_run, drift_run)."""
import json
import sys

import pytest

from report_helpers import FIXTURES, run_report

from dstudy_report.depth import depth_jobs, drift_table, probe_table, sweep_texts
from dstudy_report.fig_drift import drift_groups, turnovers
from dstudy_report.fig_sweep import cache_marks, crossings, leaders, metric_series, sweep_groups, throughput_of
from dstudy_report.load import load_run

sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402


def load(doc, tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(doc))
    return load_run(folder)


@pytest.fixture
def sweep(tmp_path):
    return load(make_fixtures.sweep_run(), tmp_path, "sweep")


@pytest.fixture
def drift(tmp_path):
    return load(make_fixtures.drift_run(), tmp_path, "drift")


def test_sweep_crossing_is_found_between_the_planted_points(sweep):
    (key, cells), = sweep_groups(sweep).items()
    assert key == ("steady_churn.fill85", "u64") and len(cells) == 15
    thr = metric_series(cells, throughput_of)
    assert [n for n, _, _ in thr["absl_flat_hash_map"]] == list(make_fixtures.SWEEP_POINTS)
    xs = crossings(thr, *key, "throughput", True)
    assert [(x.first, x.second, x.n_low, x.n_high) for x in xs] == \
        [("tombstone_never", "absl_flat_hash_map", 100_000, 300_000)]
    assert not xs[0].within_spread
    assert leaders(thr, True) == [(10_000, "tombstone_never"), (30_000, "tombstone_never"),
                                  (100_000, "tombstone_never"), (300_000, "absl_flat_hash_map"),
                                  (1_000_000, "absl_flat_hash_map")]
    # P99 is lower-is-better: the same swap, seen from the tail
    p99 = metric_series(cells, lambda c: (c.percentile(c.dominant_op, "p99_ns"), 0.0))
    assert [(x.first, x.second) for x in crossings(p99, *key, "p99", False)] == \
        [("tombstone_never", "absl_flat_hash_map")]


def test_cache_levels_sit_where_the_median_footprint_reaches_them(sweep):
    (cells,) = sweep_groups(sweep).values()
    marks = {level: n for level, _, n in cache_marks(cells)}
    # 64 bytes a key: L2 (1.25 MiB) at 20480 keys, L3 (8 MiB) at 131072; L1d
    # (48 KiB) lies below the sweep's first point and is left out
    assert set(marks) == {"L2", "L3"}
    assert marks["L2"] == pytest.approx(20480, rel=1e-6)
    assert marks["L3"] == pytest.approx(131072, rel=1e-6)


def test_no_crossing_is_said_as_such(sweep):
    (cells,) = sweep_groups(sweep).values()
    flat = metric_series([c for c in cells if c.impl != "tombstone_never"], throughput_of)
    assert crossings(flat, "w", "u64", "throughput", True) == []


def test_drift_turnovers_and_first_last_table(drift):
    groups = drift_groups(drift)
    (key, group), = groups.items()
    assert key == ("quick", "drift", "u64")
    for c, ts in group:
        assert [t.k for t in ts] == list(range(1, 21))
        assert ts[0].miss_p50_ns is not None and ts[0].capacity == 131072
    never = dict((c.impl, ts) for c, ts in group)["tombstone_never"]
    # the planted sawtooth: tombstones climb for 5 turnovers, then a rehash clears them
    assert [t.tombstones for t in never[:7]] == [2730, 5461, 8192, 10922, 13653, 0, 2730]
    assert never[4].miss_probe_mean > never[0].miss_probe_mean
    assert never[4].miss_p50_ns > never[5].miss_p50_ns
    # the miss cost of each turnover, from its find_miss-only phase
    assert never[0].miss_ns == pytest.approx(10 + 80 * 2730 / 131072, rel=1e-6)
    assert never[4].miss_ns > never[0].miss_ns > never[5].miss_ns
    table = drift_table(drift)
    assert len(table.rows) == 3
    row = next(r for r in table.rows if r[0].text.startswith("tombstone_never"))
    assert row[1].text == "1–20"
    assert row[6].text == "2,730 → 5,461"      # tombstones at turnover 1 and 20
    assert row[2].text == "11.7 ns → 13.3 ns"   # miss cost at turnover 1 and 20
    absl = next(r for r in table.rows if r[0].text.startswith("absl"))
    assert absl[6].text == ""                   # absl does not report tombstones


def test_a_workload_without_per_phase_latency_has_no_drift(drift):
    for c in drift.cells:
        c.sidecar["latency"]["by_phase"] = None
    assert drift_groups(drift) == {}
    assert turnovers(drift.cells[0]) == []


def test_probe_table_lists_the_containers_that_can_tell(drift):
    rows = probe_table(drift).rows
    assert len(rows) == 3
    never = next(r for r in rows if r[0].text.startswith("tombstone_never"))
    # the last headline phase is churn_20: 20 % 6 = 2 -> 2/48 of the slots
    assert never[3].value == pytest.approx(0.2 + 6 * (131072 * 2 // 48) / 131072)


def test_depth_jobs_only_where_there_is_data(sweep, drift):
    names = sorted(f.__name__ for f, _ in depth_jobs(sweep))
    assert names == ["sweep_figure"]
    names = sorted(f.__name__ for f, _ in depth_jobs(drift))
    assert names == ["drift_figure", "probe_figure"]
    assert sweep_texts(drift) == []


def test_reports_render_the_depth_sections(tmp_path):
    for name, doc in (("sweep", make_fixtures.sweep_run()), ("drift", make_fixtures.drift_run())):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(doc))
        proc = run_report(tmp_path / name, "--out", tmp_path / f"out_{name}")
        assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out_sweep" / "report.md").read_text()
    assert "absl_flat_hash_map overtakes tombstone_never between 100,000 and 300,000" in md
    assert (tmp_path / "out_sweep" / "figures" / "sweep_steady_churn.fill85_u64.png").exists()
    md = (tmp_path / "out_drift" / "report.md").read_text()
    assert "Drift: the first and the last turnover" in md and "Probe lengths beside the miss cost" in md
    figures = {p.name for p in (tmp_path / "out_drift" / "figures").glob("*.png")}
    assert "drift_drift_u64_quick.png" in figures and "probes_drift_u64_quick.png" in figures
