"""What the figures were measured under: the CPU governor and turbo
(nanobench-style warnings), the timer, and the sizes against the caches."""
import pytest

from report_helpers import fixture_doc, write_doc

from dstudy_report.conditions import (environment_warnings, generalisation_note, size_regimes,
                                      timer_statement)
from dstudy_report.load import load_run


def _run(tmp_path, change):
    doc = fixture_doc()
    for env in [doc["manifest"]["environment"]] + [c["sidecar"]["environment"] for c in doc["cells"] if c["sidecar"]]:
        change(env)
    return load_run(write_doc(doc, tmp_path))


@pytest.mark.parametrize("governor,turbo,expect,absent", [
    (None, None, ["governor unknown", "boost state unknown"], ["not 'performance'"]),
    ("powersave", False, ["'powersave', not 'performance'"], ["unknown"]),
    ("performance", True, ["boost is on"], ["governor"]),
    ("performance", False, [], ["governor", "boost"]),
])
def test_frequency_warnings(tmp_path, governor, turbo, expect, absent):
    run = _run(tmp_path, lambda e: e.update(governor=governor, turbo=turbo))
    text = " ".join(environment_warnings(run))
    assert all(w in text for w in expect), text
    assert not any(w in text for w in absent), text


def test_timer_statement_gives_one_value_when_cells_agree(tmp_path):
    doc = fixture_doc()
    for c in doc["cells"]:
        if c["sidecar"]:
            c["sidecar"]["timer"].update(resolution_ns=10.0, overhead_ns=30.5)
            c["sidecar"]["latency"]["resolution_ns"] = 10.0
    text = timer_statement(load_run(write_doc(doc, tmp_path)))
    assert "resolution 10 ns, overhead 30.5 ns" in text and "range" not in text


def test_unknown_caches_are_said_and_nothing_is_generalised(tmp_path):
    run = _run(tmp_path, lambda e: e.pop("cache_bytes", None))
    regimes = size_regimes(run)
    assert all(r.beyond_cache is None and "cache sizes are unknown" in r.text for r in regimes)
    assert "sizes measured only" in generalisation_note(regimes)


def test_in_cache_only_run_says_so(tmp_path):
    run = _run(tmp_path, lambda e: e.update(cache_bytes={"L1d": 49152, "L2": 1310720, "L3": 2 ** 30}))
    regimes = size_regimes(run)
    assert [r.beyond_cache for r in regimes] == [False, False]
    assert "in-cache tables only" in generalisation_note(regimes)


def test_a_size_beyond_the_cache_is_named(tmp_path):
    regimes = size_regimes(_run(tmp_path, lambda e: None))
    full = next(r for r in regimes if r.size == "full")
    assert full.beyond_cache and "beyond the last-level cache (L3 8.00 MiB)" in full.text
    assert generalisation_note(regimes) is None
