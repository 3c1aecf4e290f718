"""The time plan on the command line: `study plan`, `run --dry-run
--shards N`, the estimate a run starts with and its ETA."""
import pytest

from runner_helpers import latest
from dstudy_runner import cost_model, progress as progress_mod
from dstudy_runner.cells import Cell


def plan_lines(capsys, which="out"):
    captured = capsys.readouterr()
    return (captured.out if which == "out" else captured.err).splitlines()


def test_plan_prints_cells_total_and_per_shard(study, tmp_path, fake_calibration, capsys):
    assert study("plan", "--workload", "churn,drain", "--impl", "alpha,beta", "--allocator", "glibc",
                 "--no-large", "--calibration", fake_calibration, "--results-dir", tmp_path / "none",
                 "--shards", "2") == 0
    out = plan_lines(capsys)
    # each workload's first kv kind (the quick profile): alpha 2 cells x 10 s, beta 2 x 20 s
    assert out[0].startswith("time plan (4 cells (quick profile, size quick))")
    assert "estimated time: 1 min 00 s run one cell after another (times of cal cpu, quiet)" in out
    assert "  basis: 4 cells of an impl, workload and kv measured before, 0 from the model alone" in out
    assert ("2 shards (--shard k/2): 30 s to 30 s each; with one machine per shard the run takes "
            "about 30 s") in out
    assert "  shard 1/2: 2 cells, 30 s" in out and "  shard 2/2: 2 cells, 30 s" in out


def test_repetitions_and_unmeasured_names_change_the_plan(study, tmp_path, fake_calibration, capsys):
    # at one repetition alpha/churn was measured at 6 s: F and L come from it
    assert study("plan", "--workload", "churn", "--impl", "alpha", "--allocator", "glibc", "--no-large",
                 "--repetitions", "1", "--calibration", fake_calibration,
                 "--results-dir", tmp_path / "none") == 0
    assert "estimated time: 6 s run one cell after another (times of cal cpu, quiet)" in plan_lines(capsys)
    cal_obs, _ = cost_model.read_calibration(fake_calibration)
    cost_model.dump_calibration(fake_calibration, [o for o in cal_obs if o.impl != "beta"], [], "no beta")
    assert study("plan", "--workload", "churn", "--allocator", "glibc", "--calibration", fake_calibration,
                 "--results-dir", tmp_path / "none") == 0
    out = plan_lines(capsys)
    assert "  never measured (counted as an average one): impl beta" in out


def test_dry_run_with_shards_prints_the_plan_after_the_commands(study, tmp_path, fake_calibration, capsys):
    assert study("run", "--dry-run", "--shards", "3", "--workload", "churn", "--allocator", "glibc",
                 "--no-large", "--calibration", fake_calibration) == 0
    captured = capsys.readouterr()
    assert all("--impl" in line for line in captured.out.splitlines())
    assert "estimated time:" in captured.err and "3 shards (--shard k/3)" in captured.err
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("args, says", [
    (["--shards", "2"], "--shards N goes with --dry-run or --list"),
    (["--dry-run", "--shards", "0"], "need at least 1"),
    (["--dry-run", "--shards", "2", "--shard", "1/2"], "drop --shard"),
])
def test_shards_usage_errors(study, capsys, args, says):
    assert study("run", "--workload", "churn", *args) == 2
    assert says in capsys.readouterr().err


def test_earlier_runs_refine_the_plan(study, tmp_path, fake_calibration, capsys):
    """A run of the fake bench (its cells take well under a second, on CPU
    'fake') is newer than the calibration: the plan is then in its times."""
    assert study("run", "--workload", "churn", "--impl", "alpha,beta", "--allocator", "glibc", "--no-large",
                 "--calibration", fake_calibration) == 0
    capsys.readouterr()
    assert study("plan", "--workload", "churn,drain", "--impl", "alpha,beta", "--allocator", "glibc",
                 "--no-large", "--calibration", fake_calibration, "--results-dir", tmp_path / "results") == 0
    out = plan_lines(capsys)
    assert "from 38 calibration cells (cal cpu) + 2 cells of 1 earlier run in" in out[0]
    assert "(times of fake, quiet)" in out[1]
    assert "estimated time: " in out[1] and " min " not in out[1]  # seconds now, not a minute


def test_run_starts_with_its_estimate(study, tmp_path, fake_calibration, capsys):
    assert study("run", "--workload", "churn", "--impl", "alpha", "--allocator", "glibc", "--no-large",
                 "--calibration", fake_calibration) == 0
    err = capsys.readouterr().err
    assert "estimated time: 10 s (times of cal cpu, quiet; `scripts/study plan` says more)" in err


def test_no_calibration_means_no_estimate_not_a_failure(study, tmp_path, capsys):
    assert study("run", "--workload", "churn", "--impl", "alpha", "--allocator", "glibc", "--no-large",
                 "--calibration", tmp_path / "missing.json") == 0
    assert "no time estimate:" in capsys.readouterr().err
    assert study("plan", "--calibration", tmp_path / "missing.json") == 2


def test_eta_follows_the_estimates_scaled_by_the_cells_done(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: now[0])
    p = progress_mod.Progress(total=3, quiet=True, estimates={"a": 10.0, "b": 10.0, "c": 40.0})
    assert p.eta_seconds() == 60.0  # from the first cell on
    p.start(Cell("a", "w", "u64", "glibc"))
    now[0] += 4.0
    assert p.eta_seconds() == 56.0
    now[0] += 16.0  # cell a took 20 s: twice its estimate
    p.finish({"id": "a", "status": "ok"})
    assert p.eta_seconds() == 100.0  # (10 + 40) x 2


def test_eta_without_estimates_is_the_mean_cell(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: now[0])
    p = progress_mod.Progress(total=3, quiet=True)
    assert p.eta_seconds() is None
    p.start(Cell("a", "w", "u64", "glibc"))
    now[0] += 5.0
    p.finish({"id": "a", "status": "ok"})
    assert p.eta_seconds() == 10.0


def test_the_run_records_what_the_model_learns_from(study, tmp_path):
    assert study("run", "--workload", "drain", "--impl", "alpha", "--allocator", "glibc") == 0
    got, timing = cost_model.run_observations(latest(tmp_path))
    assert [(o.impl, o.reps, o.latency, o.machine) for o in got] == [("alpha", 3, True, "fake")]
    assert got[0].wall_s > 0 and timing["cells"] == 1


def test_a_busy_machine_is_said(monkeypatch, fake_calibration):
    """The plan is for a quiet machine; planned on a busy one of the same
    kind, it says how much longer a cell takes there now."""
    from dstudy_runner import cli, manifest
    model, _ = cost_model.load(None, fake_calibration)
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(manifest, "cpu_model", lambda: "cal cpu")
    monkeypatch.setattr(cli.os, "getloadavg", lambda: (0.8, 0.8, 0.8))
    assert cli.busy_here(model, "quick") is None
    monkeypatch.setattr(cli.os, "getloadavg", lambda: (6.0, 6.0, 6.0))
    assert cli.busy_here(model, "quick").startswith("  this machine is busy now (load average 6.0 on 2 cores)")
    monkeypatch.setattr(manifest, "cpu_model", lambda: "another cpu")
    assert cli.busy_here(model, "quick") is None  # the plan is not in this machine's times
