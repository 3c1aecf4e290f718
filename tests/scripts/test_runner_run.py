"""Running cells: results, failures of every kind, allocators, usage errors."""
import json
import os
import signal
import subprocess

import pytest

from runner_helpers import invocations, latest, load_results, validate_results

from dstudy_report.load import load_run
from dstudy_report.tables import cells_table


def cells_by_id(doc):
    return {c["id"]: c for c in doc["cells"]}


def test_quick_run_all_ok(study, tmp_path, env):
    assert study("run", "--impl", "alpha", "--workload", "churn") == 0
    run = latest(tmp_path)
    assert run.parent == tmp_path / "results" and run.name.endswith("Z")
    doc = load_results(run)
    validate_results(doc)
    # quick: each workload's first kv kind only; alpha is outside the
    # allocator panel, so it runs under the system allocator alone
    assert sorted(cells_by_id(doc)) == ["alpha/churn/u64/glibc"]
    m = doc["manifest"]
    assert (m["profile"], m["size"], m["cells_total"], m["cells_ok"], m["cells_failed"]) == \
        ("quick", "quick", 1, 1, 0)
    assert m["cells_competing"] == 0
    assert m["finished"] and m["filters"]["impl"] == ["alpha"]
    assert json.loads((run / "manifest.json").read_text())["run_id"] == run.name
    # one file per cell, and the bench's own files kept (gbench.json unmerged)
    assert len(list((run / "cells").glob("*.json"))) == 1
    assert (run / "raw" / "alpha__churn__u64__glibc" / "gbench.json").exists()
    assert "gbench" not in json.loads((run / "cells" / "alpha__churn__u64__glibc.json").read_text())
    # quick profile: 3 repetitions (independent processes inside the bench,
    # one process per cell here), latency of every op, --expect-allocator
    assert len(invocations(env)) == 1
    argv = invocations(env)[0]["argv"]
    assert argv[argv.index("--size") + 1] == "quick"
    assert argv[argv.index("--repetitions") + 1] == "3"
    assert "--latency" in argv and "--latency-sample-every" not in argv
    assert argv[argv.index("--expect-allocator") + 1] == "glibc"


def test_allocator_preload_and_env(study, tmp_path, env, fake_allocators):
    assert study("run", "--impl", "beta", "--workload", "drain", "--allocator", "jemalloc*,glibc") == 0
    lib = json.loads(fake_allocators.read_text())["jemalloc"]["library"]
    seen = sorted((inv["argv"][inv["argv"].index("--expect-allocator") + 1], sorted(inv["env"].items()))
                  for inv in invocations(env))
    assert seen == [("glibc", []), ("jemalloc", [("LD_PRELOAD", lib)]),
                    ("jemalloc", [("LD_PRELOAD", lib), ("MALLOC_FAKE_EAGER", "1")])]
    doc = load_results(latest(tmp_path))
    assert sorted(cells_by_id(doc)) == ["beta/drain/u64/glibc", "beta/drain/u64/jemalloc",
                                        "beta/drain/u64/jemalloc_eager"]


def test_full_profile_runs_every_allocator(study, tmp_path, env):
    assert study("run", "--profile", "full", "--impl", "beta", "--workload", "drain", "--kv", "u64") == 0
    doc = load_results(latest(tmp_path))
    assert len(doc["cells"]) == 8  # 4 defaults + 4 eager variants (glibc_eager built in)
    argv = invocations(env)[0]["argv"]
    assert argv[argv.index("--size") + 1] == "full"
    assert int(argv[argv.index("--repetitions") + 1]) >= 5
    assert "--latency" in argv and "--latency-sample-every" not in argv


def test_crash_is_recorded_and_the_run_goes_on(study, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BENCH_CRASH", "beta")
    assert study("run", "--workload", "drain", "--allocator", "glibc") == 1
    doc = load_results(latest(tmp_path))
    validate_results(doc)
    cells = cells_by_id(doc)
    assert cells["beta/drain/u64/glibc"]["status"] == "failed"
    f = cells["beta/drain/u64/glibc"]["failure"]
    assert f["reason"] == "crash" and f["signal"] == "SIGABRT" and f["exit_code"] is None
    assert "crashing on purpose" in f["stderr_tail"]
    assert cells["beta/drain/u64/glibc"]["sidecar"] is None
    assert cells["alpha/drain/u64/glibc"]["status"] == "ok"
    assert cells["gamma_conc/drain/u64/glibc"]["status"] == "ok"
    m = doc["manifest"]
    assert (m["cells_ok"], m["cells_failed"]) == (2, 1)
    assert m["failures"][0]["id"] == "beta/drain/u64/glibc"


def test_not_applicable_cells_are_recorded_apart_and_fail_nothing(study, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BENCH_NOT_APPLICABLE", "beta")
    assert study("run", "--workload", "drain", "--allocator", "glibc") == 0
    doc = load_results(latest(tmp_path))
    validate_results(doc)
    cell = cells_by_id(doc)["beta/drain/u64/glibc"]
    assert (cell["status"], cell["failure"], cell["sidecar"]) == ("not_applicable", None, None)
    m = doc["manifest"]
    assert (m["cells_ok"], m["cells_failed"], m["cells_not_applicable"]) == (2, 0, 1) and m["failures"] == []
    # a rerun of failed cells leaves it alone
    assert study("run", "--resume", str(latest(tmp_path)), "--retry-failed") == 0
    run = load_run(latest(tmp_path))
    assert [c.id for c in run.not_applicable] == ["beta/drain/u64/glibc"]
    assert "beta/drain/u64/glibc" not in {c.id for c in run.cells} and not run.failed
    rows = {r[0].text: r[2].text for r in cells_table(run).rows}
    assert rows["beta/drain/u64/glibc"] == "n/a" and rows["alpha/drain/u64/glibc"].startswith("ok")


def test_timeout_is_recorded(study, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BENCH_HANG", "alpha")
    assert study("run", "--workload", "drain", "--allocator", "glibc", "--impl", "alpha,beta",
                 "--timeout", "1") == 1
    cells = cells_by_id(load_results(latest(tmp_path)))
    f = cells["alpha/drain/u64/glibc"]["failure"]
    assert f["reason"] == "timeout" and "1" in f["message"]
    assert cells["beta/drain/u64/glibc"]["status"] == "ok"


def test_oom_check_and_mismatch_reasons(study, tmp_path, monkeypatch, fake_allocators):
    monkeypatch.setenv("FAKE_BENCH_OOM", "alpha")
    monkeypatch.setenv("FAKE_BENCH_CHECK", "beta")
    # an allocator whose family does not match what the library really is
    bad = f"tcmalloc_wrong={json.loads(fake_allocators.read_text())['jemalloc']['library']}"
    assert study("run", "--workload", "drain", "--allocator", "glibc,tcmalloc_wrong",
                 "--add-allocator", bad) == 1
    cells = cells_by_id(load_results(latest(tmp_path)))
    assert cells["alpha/drain/u64/glibc"]["failure"]["reason"] == "oom"
    assert cells["beta/drain/u64/glibc"]["failure"]["reason"] == "check"
    assert cells["beta/drain/u64/glibc"]["failure"]["exit_code"] == 3
    assert cells["gamma_conc/drain/u64/tcmalloc_wrong"]["failure"]["reason"] == "allocator_mismatch"
    assert cells["gamma_conc/drain/u64/glibc"]["status"] == "ok"


def test_missing_library_fails_before_anything_runs(study, tmp_path, env, capsys):
    rc = study("run", "--add-allocator", "jemalloc=/nonexistent/libjemalloc.so.2")
    assert rc == 2
    assert "/nonexistent/libjemalloc.so.2" in capsys.readouterr().err
    assert invocations(env) == []
    assert not (tmp_path / "results").exists()


def test_missing_library_skipped_with_flag(study, tmp_path, env, capsys):
    rc = study("run", "--impl", "beta", "--workload", "drain", "--allocator", "*",
               "--add-allocator", "jemalloc=/nonexistent/libjemalloc.so.2", "--skip-missing-allocators")
    assert rc == 0
    assert "skipping allocator jemalloc" in capsys.readouterr().err
    doc = load_results(latest(tmp_path))
    assert sorted(c["allocator"] for c in doc["cells"]) == [
        "glibc", "glibc_eager", "jemalloc_eager", "mimalloc", "mimalloc_eager", "tcmalloc",
        "tcmalloc_eager"]
    assert doc["manifest"]["skipped_allocators"] == ["jemalloc"]


def test_usage_errors_exit_2(study, tmp_path, env, capsys):
    assert study("run", "--allocator", "hoard") == 2
    assert "matches no allocator" in capsys.readouterr().err
    assert study("run", "--impl", "std_*") == 2
    assert study("run", "--workload", "conc", "--impl", "alpha") == 2  # no valid cell
    assert study("run", "--shard", "3/2") == 2
    assert study("run", "--bench", str(tmp_path / "nope"), bench=False) == 2
    assert invocations(env) == []


def test_list_and_dry_run_create_nothing(study, tmp_path, env, capsys):
    assert study("run", "--list", "--impl", "alpha", "--kv", "string", "--allocator", "*malloc") == 0
    out = capsys.readouterr()
    assert out.out.split() == [f"alpha/churn/string/{a}" for a in ("jemalloc", "mimalloc", "tcmalloc")]
    assert "3 cells (quick profile, size quick)" in out.err
    assert study("run", "--dry-run", "--impl", "alpha", "--kv", "string", "--allocator", "jemalloc") == 0
    out = capsys.readouterr()
    assert "LD_PRELOAD=" in out.out and "--expect-allocator jemalloc" in out.out
    assert "1 cells (quick profile, size quick)" in out.err
    assert invocations(env) == [] and not (tmp_path / "results").exists()


def test_list_subcommand(study, capsys):
    assert study("list", "--json", results=False) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"impls", "workloads", "allocators", "cells"} <= set(data)
    assert "gamma_conc/conc/u64/glibc/t2" in data["cells"]
    assert study("list", "allocators", bench=False) == 0
    assert "jemalloc_eager" in capsys.readouterr().out


@pytest.mark.parametrize("what", [[], ["allocators"]], ids=["long listing", "listing within one buffer"])
def test_a_reader_that_went_away_ends_the_listing_without_a_traceback(what):
    from runner_helpers import STUDY
    # `study list | head -1` once head has exited: the pipe has no reader left.
    # A short listing is all still buffered when the command returns: it
    # meets the closed pipe at the final flush, not at a print.
    # Python's own buffering, as in a user's shell (not PYTHONUNBUFFERED).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        p = subprocess.run([str(STUDY), "list", *what], stdout=write_end, stderr=subprocess.PIPE, text=True,
                           env=env, timeout=60)
    finally:
        os.close(write_end)
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr
    assert p.returncode == 128 + signal.SIGPIPE


def test_wrapper_script_runs(tmp_path, fake_allocators, env):
    from runner_helpers import FAKE_BENCH, run_study_process
    p = run_study_process(["run", "--bench", FAKE_BENCH, "--allocators-file", fake_allocators,
                           "--results-dir", tmp_path / "r", "--impl", "beta", "--workload", "drain",
                           "--allocator", "glibc"])
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "[1/1] ok beta/drain/u64/glibc" in err  # not a TTY: one line per cell
    validate_results(load_results((tmp_path / "r" / "latest").resolve()))


def test_quick_run_kv_filter_widens_to_other_kinds(study, tmp_path, env):
    assert study("run", "--impl", "alpha", "--workload", "churn", "--kv", "string", "--allocator", "glibc") == 0
    doc = load_results(latest(tmp_path))
    assert sorted(cells_by_id(doc)) == ["alpha/churn/string/glibc"]


def test_cells_share_the_stream_cache(study, tmp_path, env):
    """Every cell gets --stream-cache: RESULTS/stream-cache by default (the
    runs and shards of one results folder share it), the folder given, or
    none for 'none'."""
    def caches():
        return [inv["argv"][inv["argv"].index("--stream-cache") + 1] if "--stream-cache" in inv["argv"] else None
                for inv in invocations(env)]

    assert study("run", "--impl", "alpha,beta", "--workload", "drain") == 0
    assert len(caches()) > 1
    assert set(caches()) == {str((tmp_path / "results" / "stream-cache").resolve())}
    env.write_text("")
    assert study("run", "--impl", "beta", "--workload", "drain", "--stream-cache", str(tmp_path / "mine")) == 0
    assert caches() == [str((tmp_path / "mine").resolve())]
    env.write_text("")
    assert study("run", "--impl", "beta", "--workload", "drain", "--stream-cache", "none") == 0
    assert caches() == [None]


def test_pin_leaves_a_cell_with_more_threads_than_its_cpus_unpinned(study, capsys):
    assert study("run", "--dry-run", "--pin", "1", "--impl", "gamma_conc", "--workload", "churn,conc",
                 "--allocator", "glibc", results=False) == 0
    out = capsys.readouterr()
    lines = {line.split("--workload ")[1].split()[0]: line for line in out.out.splitlines() if "--workload " in line}
    assert lines["churn"].startswith("taskset -c 1 ")  # one thread: pinned
    assert "taskset" not in lines["conc"]  # two threads, one CPU named: unpinned
    assert "1 multi-threaded cells run more threads than --pin 1 names CPUs" in out.err
    assert study("run", "--dry-run", "--pin", "0-1", "--impl", "gamma_conc", "--workload", "conc",
                 "--allocator", "glibc", results=False) == 0
    out = capsys.readouterr()
    assert "taskset -c 0-1 " in out.out and "unpinned" not in out.err


def test_the_full_profile_runs_the_latency_pass_in_two_repetitions():
    """The profile's latency_repetitions reaches dstudy_bench; not with
    open-loop passes (each repetition's rate is a fraction of its own
    latency pass), nor without the latency pass."""
    from dstudy_runner import bench as bench_mod, profiles
    from dstudy_runner.cells import Cell
    full = profiles.settings("full")
    assert full["latency_repetitions"] == 2 and full["repetitions"] == 5
    cell = Cell("absl_flat_hash_map", "steady_churn.fill85", "u64", "glibc")
    argv = bench_mod.cell_argv("b", cell, full, "out", "glibc")
    assert argv[argv.index("--latency-repetitions") + 1] == "2"
    assert "--latency-repetitions" not in bench_mod.cell_argv("b", cell, full, "out", "glibc", open_loop=[0.5])
    assert "--latency-repetitions" not in bench_mod.cell_argv("b", cell, dict(full, latency=False), "out", "glibc")
    assert "--latency-repetitions" not in bench_mod.cell_argv("b", cell, profiles.settings("quick"), "out", "glibc")
