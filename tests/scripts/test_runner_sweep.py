"""The sweep profile: chosen workloads at live sizes on a log scale, one
section (and one process per cell) per point, ids ending in @n<N>."""
import json

import pytest

from runner_helpers import REPO, invocations, latest, load_results, registered_impls, validate_results
from dstudy_runner.contract import sweep_live
from dstudy_runner.profiles import HASH_MAPS, LARGE_TABLES, PROFILES, SWEEP, sweep_size

FAKE_SWEEP = {"points": [1000, 10000, 100000], "allocators": ["glibc"],
              "impls": ["alpha", "beta"], "workloads": ["churn", "drain"]}


@pytest.fixture
def fake_sweep(monkeypatch):
    monkeypatch.setitem(PROFILES["sweep"], "sweep", dict(FAKE_SWEEP))


def test_the_sweep_names_real_hash_maps_workloads_and_a_log_scale():
    assert set(SWEEP["impls"]) <= registered_impls()
    assert SWEEP["impls"] == HASH_MAPS and set(LARGE_TABLES["impls"]) < set(HASH_MAPS)
    assert sorted(SWEEP["workloads"]) == ["miss_after_drain.fill85", "steady_churn.fill85"]
    points = SWEEP["points"]
    assert points == sorted(points) and points[0] <= 10_000 and points[-1] >= 3_000_000
    assert all(3 <= b / a <= 3.4 for a, b in zip(points, points[1:])), "about half a decade apart"
    assert sweep_size(300000) == "n300000" and sweep_live("n300000") == 300000
    assert sweep_live("full") is None and sweep_live("n") is None and sweep_live("nx1") is None


def test_list_shows_one_section_per_point_and_ids_with_the_point(study, fake_sweep, tmp_path, capsys):
    assert study("run", "--list", "--profile", "sweep") == 0
    out = capsys.readouterr()
    ids = out.out.split()
    # 2 impls x (churn: u64 first kind; drain: u64) x 3 points
    assert len(ids) == 12 and all("@n" in i for i in ids)
    assert {i.split("@")[1] for i in ids} == {"n1000", "n10000", "n100000"}
    assert "12 cells (sweep profile, size n1000), 4 of them in section n1000 at size n1000" in out.err
    assert study("run", "--list", "--profile", "sweep", "--points", "5000,50000",
                 "--workload", "churn") == 0
    ids = capsys.readouterr().out.split()
    assert sorted(ids) == sorted(f"{i}/churn/u64/glibc@n{n}" for i in ("alpha", "beta")
                                 for n in (5000, 50000))
    assert not (tmp_path / "results").exists()


def test_a_sweep_run_records_each_point_as_its_size(study, fake_sweep, tmp_path, env):
    assert study("run", "--profile", "sweep", "--points", "1000,100000", "--impl", "alpha") == 0
    doc = load_results(latest(tmp_path))
    validate_results(doc)
    assert {c["size"] for c in doc["cells"]} == {"n1000", "n100000"}
    assert doc["manifest"]["sizes"] == ["n1000", "n100000"]
    assert [s["name"] for s in doc["manifest"]["sections"]] == ["n1000", "n100000"]
    asked = sorted(inv["argv"][inv["argv"].index("--size") + 1] for inv in invocations(env))
    assert asked == ["n1000", "n1000", "n100000", "n100000"]  # one process per cell


@pytest.mark.parametrize("extra, message", [
    (["--size", "quick"], "runs its own sizes"),
    (["--no-large"], "runs its own sizes"),
    (["--points", "10,x"], "expected live sizes"),
    (["--points", "0"], "must be >= 1"),
])
def test_sweep_usage_errors(study, fake_sweep, tmp_path, capsys, extra, message):
    assert study("run", "--profile", "sweep", *extra) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_points_need_the_sweep_profile(study, capsys):
    assert study("run", "--list", "--points", "1000") == 2
    assert "--points goes with --profile sweep" in capsys.readouterr().err


@pytest.mark.skipif(not (REPO / "build" / "release" / "dstudy_bench").exists(),
                    reason="build/release/dstudy_bench is not built")
def test_the_real_listing_gives_every_point_its_cells(capsys):
    from dstudy_runner.cli import main
    bench = REPO / "build" / "release" / "dstudy_bench"
    assert main(["run", "--list", "--profile", "sweep", "--bench", str(bench), "--no-build"]) == 0
    out = capsys.readouterr()
    ids = out.out.split()
    n = len(registered_impls() & set(SWEEP["impls"])) * 2
    assert len(ids) == n * len(SWEEP["points"]) and "does not list" not in out.err
    assert "left out" not in out.err
    assert json.dumps(ids)  # plain strings
