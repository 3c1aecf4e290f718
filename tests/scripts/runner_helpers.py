"""Helpers for the runner's tests (test_runner_*.py import them): the fake
dstudy_bench, reading what a run wrote, and checking it against the schema. The
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

from dstudy.contract import LAYERS, MIN_SAMPLES, PHASE_ROLES, SCHEMA_VERSION  # noqa: E402

FAKE_BENCH = Path(__file__).resolve().parent / "fake_bench.py"


def registered_impls():
    """The names the impls/ headers register (DSTUDY_REGISTER), read from the
    sources, so the tests need no build."""
    names = set()
    for header in list((REPO / "impls").glob("*.h")) + list((REPO / "impls" / "peers").glob("*.h")):
        names |= set(re.findall(r"^DSTUDY_REGISTER\((\w+),", header.read_text(), flags=re.M))
    return names
STUDY = REPO / "scripts" / "study"

MANIFEST_FIELDS = ("run_id", "profile", "size", "sizes", "sections", "filters", "allocators", "shard", "started",
                   "finished", "environment", "cells_total", "cells_ok", "cells_failed",
                   "cells_competing", "command")
CELL_FIELDS = ("id", "impl", "workload", "kv", "allocator", "threads", "size", "status",
               "failure", "started", "duration_s", "command", "raw_dir", "sidecar")
FAILURE_FIELDS = ("reason", "exit_code", "signal", "stderr_tail")
REASONS = {"crash", "timeout", "oom", "check", "allocator_mismatch", "error"}
SIDECAR_FIELDS = ("schema_version", "cell", "workload", "environment", "timer", "machine_load",
                  "throughput", "latency", "memory", "checks")
SUMMARY_FIELDS = ("median_ops_per_second", "min_ops_per_second", "max_ops_per_second", "mad_pct",
                  "samples")


def invocations(log):
    if not Path(log).exists():
        return []
    return [json.loads(line) for line in Path(log).read_text().splitlines()]


def latest(tmp_path):
    return (tmp_path / "results" / "latest").resolve()


def load_results(run_dir):
    return json.loads((Path(run_dir) / "results.json").read_text())


def validate_results(doc):
    """The required fields of docs/result-schema.md (schema version 2)."""
    assert doc["schema_version"] == SCHEMA_VERSION == 2
    m = doc["manifest"]
    for k in MANIFEST_FIELDS:
        assert k in m, f"manifest lacks {k}"
    assert m["profile"] in ("quick", "full", "sweep")
    assert set(m["filters"]) == {"impl", "workload", "kv", "allocator"}
    for a in m["allocators"]:
        for k in ("name", "library", "env", "version"):
            assert k in a
    assert m["cells_ok"] + m["cells_failed"] <= m["cells_total"]
    assert m["cells_competing"] == sum(
        1 for c in doc["cells"] if c["status"] == "ok" and c["sidecar"]["machine_load"]["competing"])
    assert m["sizes"] and m["sizes"][0] == m["size"] and len(set(m["sizes"])) == len(m["sizes"])
    assert {c["size"] for c in doc["cells"]} <= set(m["sizes"])
    for c in doc["cells"]:
        for k in CELL_FIELDS:
            assert k in c, f"cell lacks {k}"
        assert "gbench" not in c  # stays in the raw folder
        assert c["status"] in ("ok", "failed")
        # a cell at another size than the run's main one says so in its id
        base, at, size = c["id"].partition("@")
        assert (size or m["size"]) == c["size"]
        # (a sweep's cells all carry their point: it has no main matrix)
        assert bool(at) == (c["size"] != m["size"] or m["profile"] == "sweep")
        parts = base.split("/")
        assert parts[:4] == [c["impl"], c["workload"], c["kv"], c["allocator"]]
        assert (c["threads"] > 1) == (len(parts) == 5)
        if c["status"] == "ok":
            assert c["failure"] is None
            validate_sidecar(c["sidecar"])
        else:
            for k in FAILURE_FIELDS:
                assert k in c["failure"]
            assert c["failure"]["reason"] in REASONS


def validate_sidecar(s):
    """The shape of sidecar.json the runner and the report rely on."""
    for k in SIDECAR_FIELDS:
        assert k in s, f"sidecar lacks {k}"
    assert s["schema_version"] == SCHEMA_VERSION
    phases = s["workload"]["phases"]
    assert all(p["role"] in PHASE_ROLES and isinstance(p["headline"], bool) for p in phases)
    assert s["workload"]["headline_phases"] == [p["name"] for p in phases if p["headline"]]
    t = s["throughput"]
    assert t["independence"] == "process"
    for k in SUMMARY_FIELDS:
        assert k in t["headline"] and k in t["cold"]["headline"]
    assert len(t["headline"]["per_repetition"]) == t["headline"]["samples"] == len(t["repetitions"])
    assert len({r["process"] for r in t["repetitions"]}) == len(t["repetitions"])
    assert len(t["cold_repetitions"]) == len(t["repetitions"])
    assert "resolution_ns" in s["timer"]
    assert isinstance(s["machine_load"]["competing"], bool)
    if s["latency"] is not None:
        lat = s["latency"]
        assert lat["sampling"] == {"mode": "every"} and lat["min_samples"] == MIN_SAMPLES
        for op in lat["per_op"].values():
            for pct, need in MIN_SAMPLES.items():
                assert (op[pct] is None) == (op["count"] < need), (pct, op["count"])
            assert len(op["per_repetition"]) == lat["repetitions"]
    derived = s["memory"]["derived"]
    assert derived["headline_layer"] == "heap_bytes"
    assert set(derived["layers"]) == set(LAYERS) - {"payload_bytes"}
    # stored as columns: one list per field, all of one length
    series = s["memory"]["series"]
    assert isinstance(series, dict) and {"op", "phase", "heap_bytes"} <= set(series)
    assert len({len(v) for v in series.values()}) == 1


def run_study_process(args, env_extra=None, **kw):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.Popen([str(STUDY), *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)
