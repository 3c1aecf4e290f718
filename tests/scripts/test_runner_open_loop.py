"""study run --open-loop: every one-thread cell gets dstudy_bench
--open-loop with its fractions (and --arrivals), a concurrent cell none; a
profile section can ask for it for its own cells; a resumed run keeps the
setting and refuses a new one; the open_loop section reaches results.json."""
import pytest

from runner_helpers import invocations, latest, load_results
from dstudy_runner.profiles import PROFILES


def argv_of(env):
    """cell 'impl/workload' -> the argv the bench was called with."""
    return {"/".join(i["argv"][i["argv"].index(f) + 1] for f in ("--impl", "--workload")): i["argv"]
            for i in invocations(env)}


def test_every_one_thread_cell_runs_open_loop(study, tmp_path, env):
    assert study("run", "--allocator", "glibc", "--open-loop", "0.5,0.9", "--arrivals", "poisson") == 0
    calls = argv_of(env)
    assert calls
    for cell, argv in calls.items():
        if cell.endswith("/conc"):
            assert "--open-loop" not in argv, cell
        else:
            assert argv[argv.index("--open-loop") + 1] == "0.5,0.9", cell
            assert argv[argv.index("--arrivals") + 1] == "poisson", cell
    doc = load_results(latest(tmp_path))
    assert doc["manifest"]["settings"]["open_loop"] == [0.5, 0.9]
    with_ol = [c for c in doc["cells"] if c["sidecar"].get("open_loop")]
    assert with_ol and all(c["threads"] == 1 for c in with_ol)
    assert [r["fraction"] for r in with_ol[0]["sidecar"]["open_loop"]["rates"]] == [0.5, 0.9]


def test_without_the_flag_no_cell_runs_open_loop(study, env):
    assert study("run", "--allocator", "glibc", "--workload", "churn") == 0
    assert all("--open-loop" not in argv for argv in argv_of(env).values())


@pytest.mark.parametrize("bad", ["0", "-0.5", "x", "0.5,,inf"])
def test_bad_fractions_are_a_usage_error(study, bad, capsys):
    with pytest.raises(SystemExit) as e:
        study("run", "--open-loop", bad)
    assert e.value.code == 2
    assert "--open-loop" in capsys.readouterr().err


def test_a_section_can_ask_for_open_loop_for_its_cells(study, env, monkeypatch):
    monkeypatch.setitem(PROFILES["quick"], "sections",
                        [{"name": "ol", "size": "full", "allocators": ["glibc"], "impls": ["alpha"],
                          "workloads": ["churn"], "open_loop": [0.7]}])
    assert study("run", "--allocator", "glibc", "--workload", "churn") == 0
    with_ol = [i["argv"] for i in invocations(env) if "--open-loop" in i["argv"]]
    assert len(with_ol) == 1
    argv = with_ol[0]
    assert argv[argv.index("--impl") + 1] == "alpha" and argv[argv.index("--size") + 1] == "full"
    assert argv[argv.index("--open-loop") + 1] == "0.7"


def test_resume_keeps_open_loop_and_refuses_a_new_one(study, tmp_path, env):
    assert study("run", "--allocator", "glibc", "--workload", "drain", "--open-loop", "0.7") == 0
    run = latest(tmp_path)
    assert study("run", "--resume", run, "--open-loop", "0.5", results=False) == 2
    lost = sorted((run / "cells").glob("*.json"))[0]
    lost.unlink()
    env.unlink()
    assert study("run", "--resume", run, results=False) == 0
    (argv,) = [i["argv"] for i in invocations(env)]
    assert argv[argv.index("--open-loop") + 1] == "0.7"
