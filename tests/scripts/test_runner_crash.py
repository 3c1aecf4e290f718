"""Result files survive what a machine does to a run: a SIGKILL at any
moment (between cells, in a cell, in the middle of writing a file), a full
disk and a read-only results folder. Every file the runner leaves is whole;
a killed run resumes with every cell either kept whole or run again; a
write that fails names the path and loses nothing recorded before."""
import errno
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

from runner_helpers import FAKE_BENCH, invocations, latest, load_results, run_study_process, validate_results
from dstudy_runner import store

ALLOCATORS = "glibc,jemalloc,mimalloc,tcmalloc"


def study_args(tmp_path, fake_allocators):
    return ["run", "--bench", FAKE_BENCH, "--allocators-file", fake_allocators, "--results-dir",
            tmp_path / "results", "--workload", "churn,drain", "--allocator", ALLOCATORS]


def kill_after(args, seconds):
    """Starts the runner, SIGKILLs it (and its cell process) after `seconds`."""
    p = run_study_process(args, {"FAKE_BENCH_SLEEP": "0.05"}, start_new_session=True)
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
    p.communicate(timeout=30)
    return p.returncode


def assert_files_whole(run):
    """Every cell record, the manifest and results.json parse whole; temp
    files of an interrupted write are the only other files."""
    for f in (run / store.CELLS).glob("*.json") if (run / store.CELLS).is_dir() else []:
        assert json.loads(f.read_text())["id"], f
    for name in (store.MANIFEST, store.RESULTS):
        if (run / name).exists():
            json.loads((run / name).read_text())


def test_sigkill_at_many_points_resumes_with_every_cell_whole_or_rerun(tmp_path, fake_allocators, env):
    args = study_args(tmp_path, fake_allocators)
    rng = random.Random(20240611)  # fixed points, spread over the cells and their writes
    kills = 0
    run = None
    for _ in range(14):
        rc = kill_after(args if run is None else ["run", "--resume", run], rng.uniform(0.4, 2.5))
        if run is None:
            runs = sorted((tmp_path / "results").glob("2*"))
            if not runs:
                continue  # killed before the run folder was made: start afresh
            run = runs[0]
        assert_files_whole(run)
        if rc == -signal.SIGKILL:
            kills += 1
        elif rc == 0:
            break
    assert kills >= 8, f"only {kills} kills landed in a run"
    ran_before = {json.dumps(i["argv"]) for i in invocations(env)}
    kept = {f.name: f.read_text() for f in (run / store.CELLS).glob("*.json")}
    p = run_study_process(["run", "--resume", run], {"FAKE_BENCH_SLEEP": "0"})
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    doc = load_results(run)
    validate_results(doc)
    m = doc["manifest"]
    assert len(doc["cells"]) == m["cells_total"] == m["cells_ok"] and m["finished"]
    # a cell recorded before the last resume is kept as it was, not rerun
    for name, text in kept.items():
        assert (run / store.CELLS / name).read_text() == text
    rerun = [i for i in invocations(env) if json.dumps(i["argv"]) not in ran_before]
    assert len(rerun) <= m["cells_total"] - len(kept)
    assert not list(run.rglob(".*.tmp"))  # what killed writes left is cleared on resume


WRITER = """
import sys
sys.path.insert(0, sys.argv[1])
from dstudy_runner import store
print("ready", flush=True)
for version in range(1000000):
    store.write_json(sys.argv[2], {"version": version, "cells": ["x" * 100] * 20000})
"""


def test_sigkill_in_the_middle_of_a_write_leaves_the_old_file_or_the_new(tmp_path):
    """Writing a 2 MB file is most of what the writer does, so a kill lands
    inside a write (temp file written, fsynced or renamed) nearly every time."""
    target = tmp_path / "results.json"
    scripts = Path(store.__file__).resolve().parents[1]
    rng = random.Random(7)
    versions = []
    for _ in range(10):
        p = subprocess.Popen(["/usr/bin/python3", "-c", WRITER, str(scripts), str(target)], stdout=subprocess.PIPE)
        assert p.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.05, 0.6))
        p.kill()
        p.wait()
        if target.exists():
            doc = json.loads(target.read_text())  # whole: never a part of a file
            assert len(doc["cells"]) == 20000
            versions.append(doc["version"])
    assert versions, "no write completed before a kill"


def fail_writes(monkeypatch, under, code, after=0):
    """Writes under the folder `under` fail with errno `code` (after `after`
    successful opens for writing there): os.open and os.mkdir refuse, as a
    full disk or a read-only mount does."""
    under = str(under)
    real_open, real_mkdir = os.open, os.mkdir
    left = {"n": after}

    def refuse(path):
        if str(path).startswith(under):
            if left["n"] > 0:
                left["n"] -= 1
                return
            raise OSError(code, os.strerror(code), str(path))

    def open_(path, flags, *a, **kw):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_open(path, flags, *a, **kw)

    def mkdir_(path, *a, **kw):
        refuse(path)
        return real_mkdir(path, *a, **kw)

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "mkdir", mkdir_)


def test_a_full_disk_names_the_file_and_loses_no_cell(study, tmp_path, env, monkeypatch, capsys):
    assert study("run", "--workload", "churn", "--allocator", "glibc") == 0
    run = latest(tmp_path)
    cells = {f.name: f.read_text() for f in (run / store.CELLS).glob("*.json")}
    manifest = (run / store.MANIFEST).read_text()
    lost = sorted(cells)[:2]
    for name in lost:
        (run / store.CELLS / name).unlink()
    env.unlink()
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", full)
    capsys.readouterr()
    assert study("run", "--resume", run, results=False) == 2
    err = capsys.readouterr().err
    assert f"cannot write {run}/" in err and "No space left on device (the disk is full)" in err, err
    # nothing recorded is lost: the files are as they were, no temp file stays
    assert {f.name: f.read_text() for f in (run / store.CELLS).glob("*.json")} == \
        {k: v for k, v in cells.items() if k not in lost}
    assert (run / store.MANIFEST).read_text() == manifest
    assert not list(run.rglob("*.tmp"))
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert study("run", "--resume", run, results=False) == 0
    assert len(load_results(run)["cells"]) == len(cells)


def test_a_full_disk_mid_run_says_how_to_resume(study, tmp_path, env, monkeypatch, capsys):
    fail_writes(monkeypatch, tmp_path / "results", errno.ENOSPC, after=12)
    assert study("run", "--workload", "churn", "--allocator", ALLOCATORS) == 2
    err = capsys.readouterr().err
    run = latest(tmp_path)
    assert f"cannot write {run}/" in err and "(the disk is full)" in err and f"--resume {run}" in err, err
    assert_files_whole(run)
    monkeypatch.undo()
    assert study("run", "--resume", run, results=False) == 0
    doc = load_results(run)
    assert len(doc["cells"]) == doc["manifest"]["cells_ok"] == doc["manifest"]["cells_total"]


def test_a_read_only_results_folder_is_named(study, tmp_path, env, monkeypatch, capsys):
    (tmp_path / "results").mkdir()
    fail_writes(monkeypatch, tmp_path / "results", errno.EROFS)
    assert study("run", "--workload", "churn", "--allocator", "glibc") == 2
    err = capsys.readouterr().err
    assert f"cannot write {tmp_path / 'results'}/" in err and "Read-only file system" in err, err
    assert "Traceback" not in err and list((tmp_path / "results").iterdir()) == []


def test_a_read_only_run_folder_refuses_resume_and_keeps_it(study, tmp_path, env, monkeypatch, capsys):
    assert study("run", "--workload", "churn", "--allocator", "glibc") == 0
    run = latest(tmp_path)
    before = {str(f): f.read_bytes() for f in run.rglob("*") if f.is_file()}
    fail_writes(monkeypatch, run, errno.EACCES)
    assert study("run", "--resume", run, "--retry-failed", results=False) == 2
    err = capsys.readouterr().err
    assert f"cannot write {run}/" in err and "(no permission to write there)" in err, err
    assert {str(f): f.read_bytes() for f in run.rglob("*") if f.is_file()} == before
