"""Interrupted runs resume where they stopped; nothing written is lost."""
import json
import signal
import time

import pytest

from runner_helpers import FAKE_BENCH, invocations, latest, load_results, run_study_process, validate_results


def test_resume_skips_completed_cells(study, tmp_path, env):
    assert study("run", "--workload", "drain") == 0
    run = latest(tmp_path)
    total = len(load_results(run)["cells"])
    # lose two cells, as if the run had stopped before them
    lost = sorted((run / "cells").glob("*.json"))[:2]
    for p in lost:
        p.unlink()
    env.unlink()
    assert study("run", "--resume", run, results=False) == 0
    rerun = [i["argv"] for i in invocations(env)]
    assert len(rerun) == 2
    doc = load_results(run)
    validate_results(doc)
    assert len(doc["cells"]) == total
    assert doc["manifest"]["cells_ok"] == total and len(doc["manifest"]["resumed"]) == 1


def test_resume_keeps_failures_unless_retry_failed(study, tmp_path, env, monkeypatch):
    monkeypatch.setenv("FAKE_BENCH_CRASH", "beta")
    assert study("run", "--workload", "drain", "--allocator", "glibc") == 1
    run = latest(tmp_path)
    env.unlink()
    monkeypatch.delenv("FAKE_BENCH_CRASH")
    assert study("run", "--resume", run, results=False) == 1   # failure kept, nothing rerun
    assert invocations(env) == []
    assert study("run", "--resume", run, "--retry-failed", results=False) == 0
    assert [i["argv"][i["argv"].index("--impl") + 1] for i in invocations(env)] == ["beta"]
    assert load_results(run)["manifest"]["cells_failed"] == 0


def test_resume_refuses_new_filters(study, tmp_path):
    assert study("run", "--workload", "drain", "--allocator", "glibc") == 0
    assert study("run", "--resume", latest(tmp_path), "--impl", "alpha", results=False) == 2


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_resumes(tmp_path, fake_allocators, env, sig):
    args = ["run", "--bench", FAKE_BENCH, "--allocators-file", fake_allocators,
            "--results-dir", tmp_path / "results", "--workload", "churn",
            "--allocator", "glibc,jemalloc,mimalloc,tcmalloc"]
    p = run_study_process(args, {"FAKE_BENCH_SLEEP": "0.3"})
    cells_dir = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = list((tmp_path / "results").glob("2*/cells"))
        if runs and len(list(runs[0].glob("*.json"))) >= 3:
            cells_dir = runs[0]
            break
        time.sleep(0.05)
    assert cells_dir, "the run never wrote three cells"
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 128 + sig, err
    assert "--resume" in err
    run = cells_dir.parent
    done = {json.loads(f.read_text())["id"] for f in cells_dir.glob("*.json")}
    m = json.loads((run / "manifest.json").read_text())
    assert m["interrupted"] and m["finished"] is None and m["cells_pending"] > 0
    total = m["cells_total"]
    assert 3 <= len(done) < total
    ran_before = len(invocations(env))
    # resume: only the cells without a record run, the rest are kept
    p = run_study_process(["run", "--resume", run], {"FAKE_BENCH_SLEEP": "0"})
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    again = [i["argv"] for i in invocations(env)[ran_before:]]
    rerun = {"/".join(a[a.index(f) + 1] for f in ("--impl", "--workload", "--kv", "--expect-allocator"))
             for a in again}  # family == allocator name in this run
    assert len(again) == total - len(done) == len(rerun)
    assert not rerun & done
    doc = load_results(run)
    validate_results(doc)
    assert len(doc["cells"]) == total and doc["manifest"]["cells_ok"] == total
    assert doc["manifest"]["finished"] and not doc["manifest"]["interrupted"]


def test_a_signal_while_a_cell_starts_waits_until_it_can_be_killed():
    from dstudy_runner.runner import Interrupted, Stopper
    s = Stopper()
    with s.deferred():
        s.handler(signal.SIGTERM, None)  # Popen in progress: no exception here
    with pytest.raises(Interrupted) as e:
        s.check()                        # the process exists now: stop, and kill it
    assert e.value.signum == signal.SIGTERM
    with pytest.raises(Interrupted):
        Stopper().handler(signal.SIGINT, None)
