"""How a cell process's end maps to a status and failure reason, with
dstudy_bench's exit codes from contract.py."""
import json

import pytest

from dstudy import outcome
from dstudy.contract import (EXIT_ALLOCATOR, EXIT_CHECK, EXIT_ERROR, EXIT_NOT_APPLICABLE, EXIT_USAGE,
                             NOT_APPLICABLE, SCHEMA_VERSION)


def write_outputs(d, version=SCHEMA_VERSION, checks_ok=True):
    (d / "gbench.json").write_text(json.dumps({"benchmarks": []}))
    (d / "sidecar.json").write_text(json.dumps({"schema_version": version, "checks": {"ok": checks_ok}}))


def test_ok_returns_the_sidecar(tmp_path):
    write_outputs(tmp_path)
    status, failure, sidecar = outcome.classify(0, False, "", tmp_path)
    assert (status, failure) == ("ok", None) and sidecar["schema_version"] == SCHEMA_VERSION


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


def test_exit_0_without_outputs_or_with_a_failed_check(tmp_path):
    status, failure, _ = outcome.classify(0, False, "", tmp_path)
    assert failure["reason"] == "error" and "sidecar.json missing" in failure["message"]
    write_outputs(tmp_path, checks_ok=False)
    assert outcome.classify(0, False, "", tmp_path)[1]["reason"] == "check"
