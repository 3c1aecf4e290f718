"""`run --run-dir DIR`: a batch job's shard starts its folder or continues
it, however the last attempt ended, and never runs a recorded cell again."""
import os
import signal
import time
from pathlib import Path

from runner_helpers import FAKE_BENCH, invocations, load_results, run_study_process, validate_results
from dstudy_runner import store


def test_run_dir_starts_then_continues(study, tmp_path, env):
    d = tmp_path / "shards" / "shard-1-of-2"
    args = ("run", "--run-dir", d, "--workload", "churn,drain", "--allocator", "glibc", "--shard", "1/2")
    assert study(*args) == 0
    first = load_results(d)
    validate_results(first)
    assert first["manifest"]["shard"] == "1/2" and first["manifest"]["resumed"] == []
    assert not (tmp_path / "results").exists()  # no timestamped folder, no latest link
    ran = len(invocations(env))
    assert study(*args) == 0  # the same command again: nothing left to run
    assert len(invocations(env)) == ran
    assert len(load_results(d)["manifest"]["resumed"]) == 1


def test_run_dir_refuses_another_plan(study, tmp_path, capsys):
    d = tmp_path / "shard"
    assert study("run", "--run-dir", d, "--workload", "churn", "--allocator", "glibc") == 0
    capsys.readouterr()
    assert study("run", "--run-dir", d, "--workload", "drain", "--allocator", "glibc") == 2
    err = capsys.readouterr().err
    assert f"{d.resolve()} holds a run of another plan (filters differ)" in err
    assert study("run", "--run-dir", d, "--workload", "churn", "--allocator", "glibc",
                 "--repetitions", "1") == 2
    assert "settings.repetitions" in capsys.readouterr().err
    # the timeout may change
    assert study("run", "--run-dir", d, "--workload", "churn", "--allocator", "glibc", "--timeout", "99") == 0


def test_run_dir_and_resume_are_one_or_the_other(study, tmp_path, capsys):
    assert study("run", "--run-dir", tmp_path / "a", "--resume", tmp_path / "b") == 2
    assert "give one" in capsys.readouterr().err


def _children(pid):
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead: its parent (the test's child reaper) has not waited yet
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_a_runner_killed_hard_loses_nothing_and_takes_its_cell_along(tmp_path, fake_allocators, env):
    """SIGKILL (a batch job's hard kill, a lost node): the cell being run dies
    with the runner, the same command continues the folder, the cells
    recorded before are not run again and none is lost or doubled."""
    d = tmp_path / "shard"
    args = ["run", "--bench", FAKE_BENCH, "--allocators-file", fake_allocators, "--run-dir", d,
            "--workload", "churn", "--allocator", "glibc,jemalloc,mimalloc,tcmalloc", "--quiet"]
    # alpha's 4 cells run, then beta's first hangs (120 s) until it is killed
    p = run_study_process(args, {"FAKE_BENCH_HANG": "beta"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((d / "cells").glob("*.json"))) < 4:
        time.sleep(0.05)
    cells = _children(p.pid)
    while time.monotonic() < deadline and not cells:
        time.sleep(0.02)
        cells = _children(p.pid)
    assert cells, "no cell process to kill the runner beside"
    before = {cid: r["started"] for cid, r in store.load_cells(d).items()}
    p.send_signal(signal.SIGKILL)
    p.communicate()
    for _ in range(100):  # well before the hanging cell would end by itself
        if not any(_alive(c) for c in cells):
            break
        time.sleep(0.05)
    assert not any(_alive(c) for c in cells), "the cell process outlived its runner"
    manifest = store.read_json(d / store.MANIFEST)
    assert manifest["finished"] is None and manifest["cells_pending"] == 8 and len(before) == 4
    total = manifest["cells_total"]

    rerun = run_study_process(args)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    doc = load_results(d)
    validate_results(doc)
    ids = [c["id"] for c in doc["cells"]]
    assert len(ids) == len(set(ids)) == total
    after = {c["id"]: c["started"] for c in doc["cells"]}
    assert all(after[cid] == started for cid, started in before.items())
