"""Shared setup of the script tests, loaded by pytest before any test module
here: scripts/ goes on sys.path (the tests import dstudy_runner and
dstudy_report), and the runner's fixtures (fake_allocators, env, study,
fake_calibration) are defined once for every test that names them, so no
module imports them."""
import json
import os
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from runner_helpers import FAKE_BENCH  # noqa: E402
from dstudy_runner import cost_model  # noqa: E402
from dstudy_runner.cost_model import Observation  # noqa: E402


@pytest.fixture
def fake_allocators(tmp_path):
    """An allocators file whose jemalloc/mimalloc/tcmalloc point at fake
    library files (the fake bench only reads LD_PRELOAD's name)."""
    libs = tmp_path / "libs"
    libs.mkdir()
    data = {}
    for fam in ("jemalloc", "mimalloc", "tcmalloc"):
        lib = libs / f"lib{fam}-fake.so"
        lib.write_text("not a library\n")
        data[fam] = {"family": fam, "library": str(lib), "env": {}, "default": True}
        data[fam + "_eager"] = {"family": fam, "library": str(lib), "env": {"MALLOC_FAKE_EAGER": "1"},
                                "default": False}
    path = tmp_path / "allocators.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Clean fake-bench knobs, with an invocation log."""
    for k in list(os.environ):
        if k.startswith("FAKE_BENCH_"):
            monkeypatch.delenv(k)
    log = tmp_path / "bench.log"
    monkeypatch.setenv("FAKE_BENCH_LOG", str(log))
    return log


@pytest.fixture
def study(tmp_path, fake_allocators, env):
    """Calls the runner in-process: study('run', ...) -> exit code."""
    from dstudy_runner.cli import main

    def call(command, *args, results=True, bench=True):
        argv = [command]
        if bench:
            argv += ["--bench", str(FAKE_BENCH)]
            if "--resume" not in args:  # a resumed run reads its allocators from its manifest
                argv += ["--allocators-file", str(fake_allocators)]
        if command == "run" and results:
            argv += ["--results-dir", str(tmp_path / "results")]
        return main(argv + [str(a) for a in args])
    return call


# Measured (synthetic) times of the fake bench's cells at size quick, three
# repetitions with latency, on "cal cpu": alpha 10 s, beta 20 s, gamma_conc
# 30 s a cell; plus alpha/churn at one and five repetitions for the shape.
FAKE_SECONDS = {"alpha": 10.0, "beta": 20.0, "gamma_conc": 30.0}


@pytest.fixture
def fake_calibration(tmp_path):
    """A calibration file (--calibration) for the fake bench's cells."""
    obs = []
    for impl, s in FAKE_SECONDS.items():
        for wl in ("churn", "drain", "conc"):
            for alloc in ("glibc", "jemalloc", "mimalloc", "tcmalloc"):
                obs.append(Observation(impl, wl, "u64", alloc, "quick", 3, True, s, 0.0, False,
                                       "cal cpu", "2026-01-01T00:00:00Z"))
    obs += [Observation("alpha", "churn", "u64", "glibc", "quick", r, True, w, 0.0, False, "cal cpu",
                        "2026-01-01T00:00:00Z") for r, w in ((1, 6.0), (5, 14.0))]
    path = tmp_path / "calibration.json"
    cost_model.dump_calibration(path, obs, [], "synthetic, for the tests")
    return path
