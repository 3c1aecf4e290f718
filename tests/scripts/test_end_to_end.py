"""The whole pipeline on the real harness: dstudy_bench runs two tiny cells
through the runner, the runner merges them, the report loader reads the
merged file and the report renders. The one test where the result format
written by C++ meets the one read by Python, field for field: what
dstudy_bench writes and what the runner merges follow docs/schema/ with
every field the schemas list, and no other."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from dstudy_runner import contract, schema  # noqa: E402
from dstudy_report.load import load_run  # noqa: E402

BENCH = ROOT / "build" / "release" / "dstudy_bench"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    if not BENCH.exists():
        pytest.skip(f"{BENCH} not built (scripts/test.sh builds it before pytest)")
    results = tmp_path_factory.mktemp("e2e")
    subprocess.run([str(ROOT / "scripts" / "study"), "run", "--no-build", "--no-large", "--quiet",
                    "--impl", "tombstone_never,std_unordered_map", "--workload", "miss_after_drain.fill55",
                    "--allocator", "glibc", "--results-dir", str(results)],
                   check=True, cwd=ROOT, capture_output=True, text=True)
    return results / "latest"


def test_dstudy_bench_writes_the_sidecar_of_the_schema(tmp_path):
    if not BENCH.exists():
        pytest.skip(f"{BENCH} not built (scripts/test.sh builds it before pytest)")
    subprocess.run([str(BENCH), "--impl", "tombstone_never", "--workload", "drain.fill55", "--kv", "string",
                    "--repetitions", "2", "--out-dir", str(tmp_path)], check=True, cwd=ROOT, capture_output=True)
    sidecar = json.loads((tmp_path / "sidecar.json").read_text())
    schema.check(sidecar, "sidecar", complete=True, name="sidecar.json")
    assert isinstance(sidecar["memory"]["series"], list)   # as written: samples; the runner stores columns


def test_real_cells_merge_and_load(run_dir):
    schema.check(json.loads((run_dir / "results.json").read_text()), "results", complete=True, name="results.json")
    run = load_run(run_dir)
    assert [c.status for c in run.cells] == ["ok", "ok"]
    for cell in run.cells:
        sc = cell.sidecar
        assert sc["schema_version"] == contract.SIDECAR_SCHEMA_VERSION
        assert sc["workload"]["headline_phases"] == ["probe_miss"]
        assert sc["workload"]["dominant_op"] == "find_miss"
        assert sc["throughput"]["headline"]["samples"] == 3
        assert sc["throughput"]["independence"] == "process"
        assert set(sc["latency"]["per_op"]) <= set(contract.OP_TYPES)
        assert sc["memory"]["derived"]["headline_layer"] == contract.HEADLINE_LAYER
        assert set(sc["memory"]["derived"]["layers"]) == set(contract.LAYERS) - {"payload_bytes"}
        assert sc["timer"]["resolution_ns"] > 0


def test_cells_csv_has_one_row_per_cell(run_dir):
    rows = list(csv.DictReader(open(run_dir / "cells.csv")))
    assert sorted(r["impl"] for r in rows) == ["std_unordered_map", "tombstone_never"]
    assert all(float(r["headline_ops_per_second"]) > 0 for r in rows)


def test_report_renders_from_real_results(run_dir, tmp_path):
    out = tmp_path / "report"
    subprocess.run([str(ROOT / "scripts" / "report"), str(run_dir), "--out", str(out)],
                   check=True, cwd=ROOT, capture_output=True, text=True)
    md = (out / "report.md").read_text()
    assert "Recommendations" in md and "miss_after_drain.fill55" in md
    assert json.loads((run_dir / "results.json").read_text())["schema_version"] == contract.RESULTS_SCHEMA_VERSION
