"""Helpers for the runner's tests (test_runner_*.py import them): the fake
dstudy_bench, reading what a run wrote, and checking it against the schemas
(docs/schema/) and the rules between fields a schema cannot state. The
fixtures that run the runner on the fake bench with fake allocator libraries
(so no C++ build is needed) are in conftest.py."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from dstudy_runner import schema  # noqa: E402
from dstudy_runner.contract import NOT_APPLICABLE  # noqa: E402

FAKE_BENCH = Path(__file__).resolve().parent / "fake_bench.py"
STUDY = REPO / "scripts" / "study"


def registered_impls():
    """The names the impls/ headers register (DSTUDY_REGISTER), read from the
    sources, so the tests need no build."""
    names = set()
    for header in list((REPO / "impls").glob("*.h")) + list((REPO / "impls" / "peers").glob("*.h")):
        names |= set(re.findall(r"^DSTUDY_REGISTER\((\w+),", header.read_text(), flags=re.M))
    return names


def invocations(log):
    if not Path(log).exists():
        return []
    return [json.loads(line) for line in Path(log).read_text().splitlines()]


def latest(tmp_path):
    return (tmp_path / "results" / "latest").resolve()


def load_results(run_dir):
    return json.loads((Path(run_dir) / "results.json").read_text())


def validate_results(doc):
    """doc follows docs/schema/results.schema.json with every field it lists
    (the sidecars too), and its fields agree with each other."""
    schema.check(doc, "results", complete=True, name="results.json")
    m = doc["manifest"]
    assert m["cells_ok"] + m["cells_failed"] + m["cells_not_applicable"] <= m["cells_total"]
    assert m["cells_competing"] == sum(
        1 for c in doc["cells"] if c["status"] == "ok" and c["sidecar"]["machine_load"]["competing"])
    assert m["sizes"] and m["sizes"][0] == m["size"] and len(set(m["sizes"])) == len(m["sizes"])
    assert {c["size"] for c in doc["cells"]} <= set(m["sizes"])
    for c in doc["cells"]:
        # a cell at another size than the run's main one says so in its id
        base, at, size = c["id"].partition("@")
        assert (size or m["size"]) == c["size"]
        # (a sweep's cells all carry their point: it has no main matrix)
        assert bool(at) == (c["size"] != m["size"] or m["profile"] == "sweep")
        parts = base.split("/")
        assert parts[:4] == [c["impl"], c["workload"], c["kv"], c["allocator"]]
        assert (c["threads"] > 1) == (len(parts) == 5)
        if c["status"] == "ok":
            validate_sidecar(c["sidecar"])
            # stored as columns: one list per field, all of one length
            series = c["sidecar"]["memory"]["series"]
            assert isinstance(series, dict) and len({len(v) for v in series.values()}) == 1
        elif c["status"] == NOT_APPLICABLE:
            assert c["failure"] is None and c["sidecar"] is None


def validate_sidecar(s):
    """A sidecar follows docs/schema/sidecar.schema.json with every field it
    lists, and its fields agree with each other."""
    schema.check(s, "sidecar", complete=True, name="sidecar")
    phases = s["workload"]["phases"]
    assert s["workload"]["headline_phases"] == [p["name"] for p in phases if p["headline"]]
    t = s["throughput"]
    assert len(t["headline"]["per_repetition"]) == t["headline"]["samples"] == len(t["repetitions"])
    assert len({r["process"] for r in t["repetitions"]}) == len(t["repetitions"])
    assert len(t["cold_repetitions"]) == len(t["repetitions"])
    if s["latency"] is not None:
        for op in s["latency"]["per_op"].values():
            assert len(op["per_repetition"]) == s["latency"]["repetitions"]


def run_study_process(args, env_extra=None, **kw):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.Popen([str(STUDY), *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)
