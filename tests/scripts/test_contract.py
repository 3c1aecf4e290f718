"""The result contract's constants agree between the C++ harness and the
Python side: `dstudy_bench --list` prints the binary's own, contract.py holds
Python's (each defined once per language)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from dstudy_runner import contract  # noqa: E402

BENCH = ROOT / "build" / "release" / "dstudy_bench"


@pytest.fixture(scope="module")
def cpp():
    if not BENCH.exists():
        pytest.skip(f"{BENCH} not built (scripts/test.sh builds it before pytest)")
    out = subprocess.run([str(BENCH), "--list"], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)["contract"]


def test_names_agree(cpp):
    assert cpp["schema_version"] == contract.SIDECAR_SCHEMA_VERSION
    assert tuple(cpp["op_types"]) == contract.OP_TYPES
    assert tuple(cpp["kv_kinds"]) == contract.KV_KINDS
    assert tuple(cpp["phase_roles"]) == contract.PHASE_ROLES
    assert tuple(cpp["layers"]) == contract.LAYERS
    assert cpp["headline_layer"] == contract.HEADLINE_LAYER
    assert tuple(cpp["arrival_processes"]) == contract.ARRIVAL_PROCESSES
    assert tuple(cpp["stall_causes"]) == contract.STALL_CAUSES
    assert tuple(cpp["internals_fields"]) == contract.INTERNALS_FIELDS


def test_thresholds_agree(cpp):
    assert cpp["min_samples"] == contract.MIN_SAMPLES
    assert cpp["spread_warning_pct"] == contract.SPREAD_WARNING_PCT
    assert cpp["probe_length_unit"] == contract.PROBE_LENGTH_UNIT


def test_exit_codes_agree(cpp):
    assert cpp["exit_codes"] == {"ok": contract.EXIT_OK, "error": contract.EXIT_ERROR,
                                 "usage": contract.EXIT_USAGE, "check": contract.EXIT_CHECK,
                                 "allocator": contract.EXIT_ALLOCATOR,
                                 "not_applicable": contract.EXIT_NOT_APPLICABLE}
