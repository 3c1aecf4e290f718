"""How a cell process's end maps to a status and failure reason, with
dstudy_bench's exit codes from contract.py."""
import json
import subprocess

import pytest

from runner_helpers import FAKE_BENCH
from dstudy_runner import outcome
from dstudy_runner.contract import (EXIT_ALLOCATOR, EXIT_CHECK, EXIT_ERROR, EXIT_NOT_APPLICABLE, EXIT_USAGE,
                                    NOT_APPLICABLE, SIDECAR_SCHEMA_VERSION)


def write_outputs(d, version=SIDECAR_SCHEMA_VERSION, checks_ok=True, change=None):
    """What the (fake) dstudy_bench writes for one cell into d, its sidecar
    of the version and check result given, then change(sidecar) applied."""
    subprocess.run([str(FAKE_BENCH), "--impl", "alpha", "--workload", "churn", "--kv", "u64", "--out-dir", str(d)],
                   check=True, capture_output=True)
    sidecar = json.loads((d / "sidecar.json").read_text())
    sidecar["schema_version"] = version
    sidecar["checks"].update(ok=checks_ok, message=None if checks_ok else "find_hit: expected 10, observed 9")
    if change:
        change(sidecar)
    (d / "sidecar.json").write_text(json.dumps(sidecar))


def test_ok_returns_the_sidecar(tmp_path):
    write_outputs(tmp_path)
    status, failure, sidecar = outcome.classify(0, False, "", tmp_path)
    assert (status, failure) == ("ok", None) and sidecar["schema_version"] == SIDECAR_SCHEMA_VERSION


@pytest.mark.parametrize("code,stderr,reason", [
    (EXIT_ERROR, "dstudy_bench: error: stream generation failed", "error"),
    (EXIT_ERROR, "dstudy_bench: error: std::bad_alloc", "oom"),
    (EXIT_USAGE, "unknown impl", "error"),
    (EXIT_CHECK, "correctness check failed", "check"),
    (EXIT_ALLOCATOR, "allocator mismatch", "allocator_mismatch"),
    (-6, "", "crash"),
    (-9, "", "oom"),
    (7, "", "crash"),
])
def test_exit_codes(tmp_path, code, stderr, reason):
    status, failure, _ = outcome.classify(code, False, stderr, tmp_path)
    assert status == "failed" and failure["reason"] == reason


def test_not_applicable_is_neither_ok_nor_failed(tmp_path):
    assert outcome.classify(EXIT_NOT_APPLICABLE, False, "not applicable", tmp_path) == (NOT_APPLICABLE, None, None)


def test_a_sidecar_of_another_schema_version_fails_the_cell(tmp_path):
    write_outputs(tmp_path, version=1)
    status, failure, sidecar = outcome.classify(0, False, "", tmp_path)
    assert status == "failed" and failure["reason"] == "error"
    assert "schema version 1" in failure["message"] and "rebuild" in failure["message"]
    assert sidecar is None  # kept in the raw folder only


def test_a_sidecar_that_breaks_the_schema_fails_the_cell_naming_the_field(tmp_path):
    write_outputs(tmp_path, change=lambda s: s["throughput"]["headline"].update(median_ops_per_second="fast"))
    status, failure, sidecar = outcome.classify(0, False, "", tmp_path)
    assert status == "failed" and failure["reason"] == "error" and sidecar is None
    assert "sidecar.schema.json at throughput.headline.median_ops_per_second: must be number" in failure["message"]
    # a failed cell keeps the sidecar it wrote only when the sidecar can be read
    assert outcome.classify(EXIT_CHECK, False, "", tmp_path)[2] is None
    write_outputs(tmp_path, checks_ok=False)
    assert outcome.classify(EXIT_CHECK, False, "", tmp_path)[2]["checks"]["ok"] is False


def test_exit_0_without_outputs_or_with_a_failed_check(tmp_path):
    status, failure, _ = outcome.classify(0, False, "", tmp_path)
    assert failure["reason"] == "error" and "sidecar.json missing" in failure["message"]
    write_outputs(tmp_path, checks_ok=False)
    assert outcome.classify(0, False, "", tmp_path)[1]["reason"] == "check"
