"""One runner per run folder: a second runner, or a merge, on a folder held
by another process is refused (exit 2) before it writes anything."""
import json
import os
import time

from runner_helpers import FAKE_BENCH, invocations, latest, load_results, run_study_process, validate_results
from dstudy_runner import lock

ALL4 = "glibc,jemalloc,mimalloc,tcmalloc"


def wait_for(predicate, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_second_runner_on_a_held_folder_is_refused(tmp_path, fake_allocators, env):
    first = run_study_process(["run", "--bench", FAKE_BENCH, "--allocators-file", fake_allocators,
                               "--results-dir", tmp_path / "results", "--workload", "churn",
                               "--allocator", ALL4], {"FAKE_BENCH_SLEEP": "0.3"})
    run = wait_for(lambda: next((d for d in (tmp_path / "results").glob("2*")
                                 if list((d / "cells").glob("*.json"))), None),
                   "the first runner's first cell")
    manifest_before = (run / "manifest.json").read_text()
    ran_before = len(invocations(env))

    second = run_study_process(["run", "--resume", run])
    out, err = second.communicate(timeout=60)
    assert second.returncode == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert f"pid {first.pid}" in err and "started 20" in err and "in use by another runner" in err
    # the second runner ran no cell; the first one is still going
    assert first.poll() is None
    assert len(invocations(env)) - ran_before <= 1  # at most the first runner's next cell
    assert json.loads(manifest_before)["run_id"] == run.name

    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    doc = load_results(run)
    validate_results(doc)
    m = doc["manifest"]
    assert m["cells_total"] == m["cells_ok"] == len(doc["cells"]) == 12
    assert m["resumed"] == [] and m["finished"]
    assert len(invocations(env)) == 12  # every cell exactly once


def test_resume_of_a_held_folder_writes_nothing(study, tmp_path, env, capsys):
    assert study("run", "--workload", "drain") == 0
    run = latest(tmp_path)
    before = {p.name: p.read_bytes() for p in (run / "cells").glob("*.json")}
    (run / "cells" / sorted(before)[0]).unlink()  # a cell to run, were it allowed
    manifest = (run / "manifest.json").read_bytes()
    capsys.readouterr()
    with lock.RunLock(run, "scripts/study run (held by this test)"):
        assert study("run", "--resume", run, results=False) == 2
        err = capsys.readouterr().err
        assert f"pid {os.getpid()}" in err and "held by this test" in err
        # planning only needs no lock
        assert study("run", "--resume", run, "--list", results=False) == 0
    assert (run / "manifest.json").read_bytes() == manifest
    assert len(list((run / "cells").glob("*.json"))) == len(before) - 1
    # released: the resume runs the missing cell
    assert study("run", "--resume", run, results=False) == 0
    assert len(list((run / "cells").glob("*.json"))) == len(before)


def test_a_run_leaves_its_lock_file_naming_it(study, tmp_path):
    assert study("run", "--workload", "drain", "--impl", "beta") == 0
    info = json.loads((latest(tmp_path) / lock.LOCK_FILE).read_text())
    assert info["pid"] == os.getpid() and info["command"].endswith("--workload drain --impl beta")
    assert info["started"].startswith("20")
    # a stale file holds nothing: a new holder takes it at once
    with lock.RunLock(latest(tmp_path), "next"):
        pass


def test_merge_into_a_held_folder_is_refused(study, tmp_path, capsys):
    for k in (1, 2):
        assert study("run", "--shard", f"{k}/2", "--workload", "drain", "--results-dir",
                     tmp_path / "shards", results=False) == 0
    shards = sorted((tmp_path / "shards").glob("*-shard-*"))
    out = tmp_path / "merged"
    out.mkdir()
    capsys.readouterr()
    with lock.RunLock(out, "another merge"):
        assert study("merge", out, *shards, bench=False) == 2
        err = capsys.readouterr().err
        assert f"pid {os.getpid()}" in err and "in use by another runner" in err
        assert [p.name for p in out.iterdir()] == [lock.LOCK_FILE]
    # once released, the folder (empty but for its lock file) takes the merge
    assert study("merge", out, *shards, bench=False) == 0
    validate_results(load_results(out))
