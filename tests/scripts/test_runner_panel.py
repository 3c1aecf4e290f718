"""The quick profile's allocator panel: every impl under the system
allocator, the panel's impls under every default allocator; an explicit
--allocator overrides it; the full profile runs everything."""
import fnmatch
import json

import pytest

from runner_helpers import invocations, latest, load_results, registered_impls, validate_results
from dstudy_runner.profiles import PROFILES

DEFAULTS = ("glibc", "jemalloc", "mimalloc", "tcmalloc")


@pytest.fixture
def gamma_panel(monkeypatch):
    """The fake bench's impls are not the real ones: put gamma_conc in the panel."""
    monkeypatch.setitem(PROFILES["quick"], "allocator_panel", {"base": ["glibc"], "impls": ["gamma_*"]})


def test_the_panel_names_registered_impls():
    names = registered_impls()
    assert len(names) > 10
    panel = PROFILES["quick"]["allocator_panel"]
    assert panel["base"] == ["glibc"]
    for pattern in panel["impls"]:
        assert fnmatch.filter(names, pattern), f"panel pattern {pattern} matches no registered impl"
    assert len(names) > len(panel["impls"])  # a panel, not everyone
    assert PROFILES["full"]["allocator_panel"] is None


def test_quick_runs_the_panel_under_every_default_allocator(study, tmp_path, env, gamma_panel, capsys):
    assert study("run", "--workload", "drain") == 0
    doc = load_results(latest(tmp_path))
    validate_results(doc)
    got = sorted(c["id"] for c in doc["cells"])
    assert got == sorted(["alpha/drain/u64/glibc", "beta/drain/u64/glibc"] +
                         [f"gamma_conc/drain/u64/{a}" for a in DEFAULTS])
    assert "6 cells (quick profile, size quick)" in capsys.readouterr().err
    assert len(invocations(env)) == 6


def test_an_explicit_allocator_overrides_the_panel(study, tmp_path, gamma_panel, capsys):
    assert study("run", "--list", "--workload", "drain", "--allocator", "jemalloc") == 0
    assert capsys.readouterr().out.split() == [f"{i}/drain/u64/jemalloc" for i in ("alpha", "beta", "gamma_conc")]
    assert study("run", "--list", "--workload", "drain", "--allocator", "glibc,mimalloc") == 0
    assert len(capsys.readouterr().out.split()) == 6


def test_full_runs_every_impl_under_every_allocator(study, capsys, gamma_panel):
    assert study("run", "--list", "--profile", "full", "--workload", "drain") == 0
    out = capsys.readouterr().out.split()
    assert len(out) == 3 * 8 and {c.split("/")[0] for c in out} == {"alpha", "beta", "gamma_conc"}


def test_list_shows_the_planned_count(study, capsys, gamma_panel):
    assert study("list", "cells", "--workload", "drain", results=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("cells: 6 cells (quick profile, size quick)") and len(lines) == 7
    assert study("list", "cells", "--json", "--workload", "drain", results=False) == 0
    assert len(json.loads(capsys.readouterr().out)["cells"]) == 6


def test_resume_keeps_the_panel_it_started_with(study, tmp_path, env, monkeypatch):
    monkeypatch.setitem(PROFILES["quick"], "allocator_panel", {"base": ["glibc"], "impls": ["gamma_*"]})
    assert study("run", "--workload", "drain") == 0
    run = latest(tmp_path)
    (run / "cells" / "gamma_conc__drain__u64__tcmalloc.json").unlink()
    # the profile's table changes in between (a new version of the runner)
    monkeypatch.setitem(PROFILES["quick"], "allocator_panel", {"base": ["glibc"], "impls": ["alpha"]})
    env.unlink()
    assert study("run", "--resume", run, results=False) == 0
    assert [i["argv"][i["argv"].index("--impl") + 1] for i in invocations(env)] == ["gamma_conc"]
    assert load_results(run)["manifest"]["cells_total"] == 6


def test_quick_runs_the_thread_safe_impls_on_multi_threaded_workloads_only(study, capsys, gamma_panel):
    assert PROFILES["quick"]["thread_safe_multi_threaded_only"] is True
    assert study("run", "--list", "--allocator", "glibc", results=False) == 0
    cells = capsys.readouterr().out.split()
    assert [c for c in cells if c.startswith("gamma_conc/")] == ["gamma_conc/conc/u64/glibc/t2"]
    assert {c.split("/")[1] for c in cells if not c.startswith("gamma_conc/")} == {"churn", "drain"}


def test_a_workload_filter_runs_the_thread_safe_impls_on_what_it_names(study, capsys, gamma_panel):
    assert study("run", "--list", "--allocator", "glibc", "--workload", "churn,drain", results=False) == 0
    cells = capsys.readouterr().out.split()
    assert {c for c in cells if c.startswith("gamma_conc/")} == {"gamma_conc/churn/u64/glibc",
                                                                 "gamma_conc/drain/u64/glibc"}


def test_full_runs_the_thread_safe_impls_on_every_workload(study, capsys, gamma_panel):
    assert study("run", "--list", "--profile", "full", "--allocator", "glibc", results=False) == 0
    cells = capsys.readouterr().out.split()
    assert {c.split("/")[1] for c in cells if c.startswith("gamma_conc/")} == {"churn", "drain", "conc"}
