"""Sections: parts of a run at a size of their own beside the main matrix
(the quick profile's large-table section)."""
import json

import pytest

from runner_helpers import REPO, invocations, latest, load_results, registered_impls, validate_results
from dstudy_runner.profiles import HASH_MAPS, LARGE_TABLES, LINEAR_ERASE, PROFILES

REAL_BENCH = REPO / "build" / "release" / "dstudy_bench"
# the fake bench's names in place of the real hash maps and workloads
FAKE_LARGE = {"name": "large", "size": "full", "allocators": ["glibc"],
              "impls": ["alpha", "gamma_conc"], "workloads": ["churn", "drain"]}
LARGE_IDS = ["alpha/churn/u64/glibc@full", "alpha/drain/u64/glibc@full",
             "gamma_conc/churn/u64/glibc@full", "gamma_conc/drain/u64/glibc@full"]


@pytest.fixture
def fake_large(monkeypatch):
    monkeypatch.setitem(PROFILES["quick"], "sections", [dict(FAKE_LARGE)])


def sizes_run(log):
    """cell id as the bench was asked -> --size it was given."""
    out = {}
    for inv in invocations(log):
        a = inv["argv"]
        key = "/".join(a[a.index(f) + 1] for f in ("--impl", "--workload", "--kv", "--expect-allocator"))
        out.setdefault(key, []).append(a[a.index("--size") + 1])
    return out


# --- the profile's data --------------------------------------------------

def spec_workloads():
    """workload name -> its spec, as dstudy_bench names them (NAME.fillNN per fill)."""
    out = {}
    for path in (REPO / "workloads").glob("*.json"):
        spec = json.loads(path.read_text())
        fills = spec.get("fill")
        fills = fills if isinstance(fills, list) else [None]
        for f in fills:
            out[spec["name"] + (f".fill{round(f * 100)}" if f is not None else "")] = spec
    return out


def test_the_quick_profiles_large_section_names_real_hash_maps_and_workloads():
    assert PROFILES["quick"]["sections"] == [LARGE_TABLES]
    assert PROFILES["quick"]["size"] == "quick" and LARGE_TABLES["size"] == "full"
    assert LARGE_TABLES["allocators"] == ["glibc"]
    assert set(LARGE_TABLES["impls"]) <= registered_impls()
    assert len(LARGE_TABLES["impls"]) == 5 and set(LARGE_TABLES["impls"]) <= set(HASH_MAPS)
    specs = spec_workloads()
    # Both workloads the large-table answer needs, at the fill
    # where tombstones matter.
    assert sorted(LARGE_TABLES["workloads"]) == ["miss_after_drain.fill85", "steady_churn.fill85"]
    for w in LARGE_TABLES["workloads"]:
        assert w in specs, w
        assert "full" in specs[w]["sizes"] and specs[w]["sizes"]["full"]["live"] >= 1_000_000
    assert LARGE_TABLES not in PROFILES["full"]["sections"]


def test_the_full_profile_measures_the_linear_erase_containers_where_they_end():
    """Sorted arrays (O(n) erase) never end a cell at a million keys: the
    full profile runs them at size quick, on every workload, kv kind and
    allocator, instead of its main matrix."""
    assert PROFILES["full"]["sections"] == [LINEAR_ERASE]
    assert LINEAR_ERASE["instead_of_main"] and LINEAR_ERASE["why"]
    assert LINEAR_ERASE["size"] == "quick" and PROFILES["full"]["size"] == "full"
    assert LINEAR_ERASE["allocators"] == ["*"] and LINEAR_ERASE["workloads"] == ["*"]
    assert set(LINEAR_ERASE["impls"]) <= registered_impls()
    assert all("quick" in spec["sizes"] for spec in spec_workloads().values())


@pytest.fixture
def fake_linear(monkeypatch):
    monkeypatch.setitem(PROFILES["full"], "sections", [dict(LINEAR_ERASE, impls=["beta"])])


def test_a_section_instead_of_main_takes_its_impls_out_of_the_main_matrix(study, fake_linear, tmp_path, capsys):
    assert study("run", "--list", "--profile", "full") == 0
    out = capsys.readouterr()
    ids = out.out.split()
    beta = [i for i in ids if i.startswith("beta/")]
    assert beta and all(i.endswith("@quick") for i in beta)
    assert {i.split("/")[1] for i in beta} == {"churn", "drain"}
    assert all("@" not in i for i in ids if not i.startswith("beta/"))
    assert "in section linear_erase at size quick" in out.err
    # the plan says why, and the manifest keeps it
    assert study("run", "--profile", "full", "--impl", "alpha,beta", "--workload", "churn", "--kv", "u64",
                 "--allocator", "glibc") == 0
    manifest = json.loads((latest(tmp_path) / "manifest.json").read_text())
    assert manifest["sections"][0]["why"] == LINEAR_ERASE["why"]
    assert manifest["sections"][0]["cells"] == 1 and manifest["cells_ok"] == 2
    assert manifest["sizes"] == ["full", "quick"]
    validate_results(load_results(latest(tmp_path)))
    # without the section (an explicit size, --no-large) they are main cells again
    for extra in (("--size", "full"), ("--no-large",)):
        assert study("run", "--list", "--profile", "full", *extra) == 0
        ids = capsys.readouterr().out.split()
        assert "beta/churn/u64/glibc" in ids and not any("@" in i for i in ids)


@pytest.mark.skipif(not REAL_BENCH.exists(), reason="build/release/dstudy_bench is not built")
def test_the_full_profile_plans_no_cell_to_time_out(capsys):
    from dstudy_runner.cli import main
    assert main(["plan", "--profile", "full", "--bench", str(REAL_BENCH), "--no-build"]) == 0
    out = capsys.readouterr().out
    assert "in section linear_erase at size quick" in out
    assert "timeout" not in out.split("where the time goes")[0]
    assert "where the time goes: " in out and "section linear_erase at size quick" in out


@pytest.mark.skipif(not REAL_BENCH.exists(), reason="build/release/dstudy_bench is not built")
def test_the_real_listing_gives_the_large_section_its_10_cells(capsys):
    from dstudy_runner.cli import main
    # --list runs nothing: it reads dstudy_bench --list only
    assert main(["run", "--list", "--bench", str(REAL_BENCH), "--no-build", "--allocator", "glibc"]) == 0
    out = capsys.readouterr()
    large = [i for i in out.out.split() if i.endswith("@full")]
    assert len(large) == 10 == len(set(large))
    assert {i.split("/")[0] for i in large} == set(LARGE_TABLES["impls"])
    assert {i.split("/")[1] for i in large} == set(LARGE_TABLES["workloads"])
    assert {i.split("/")[2] for i in large} == {"u64"}
    assert "10 of them in section large at size full" in out.err
    assert "does not list" not in out.err


# --- planning ------------------------------------------------------------

def test_list_and_dry_run_show_the_sections(study, fake_large, tmp_path, capsys):
    assert study("run", "--list") == 0
    out = capsys.readouterr()
    ids = out.out.split()
    assert sorted(i for i in ids if "@" in i) == LARGE_IDS
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    main = [i for i in ids if "@" not in i]
    assert f"{len(ids)} cells (quick profile, size quick), 4 of them in section large at size full" in out.err
    assert study("run", "--dry-run") == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == len(ids)
    large = [line for line in lines if "@full" in line]
    assert len(large) == 4 and all("--size full" in line for line in large)
    assert all("--size quick" in line for line in lines if "@full" not in line)
    assert "4 of them in section large at size full" in out.err
    assert study("list", "cells", "--json", results=False) == 0
    assert json.loads(capsys.readouterr().out)["cells"] == ids
    assert study("list", "cells", results=False) == 0
    assert capsys.readouterr().out.splitlines()[0] == \
        f"cells: {len(ids)} cells (quick profile, size quick), 4 of them in section large at size full"
    assert len(main) == len(ids) - 4
    assert not (tmp_path / "results").exists()


def test_no_large_and_an_explicit_size_drop_the_sections(study, fake_large, capsys):
    assert study("run", "--list", "--no-large") == 0
    out = capsys.readouterr()
    assert out.out and "@" not in out.out and "section" not in out.err
    assert study("run", "--list", "--size", "medium") == 0
    out = capsys.readouterr()
    assert out.out and "@" not in out.out and "section" not in out.err
    assert "cells (quick profile, size medium)" in out.err
    assert study("run", "--list", "--profile", "full") == 0
    assert "@" not in capsys.readouterr().out


def test_filters_narrow_a_section_and_never_widen_it(study, fake_large, capsys):
    # the run's allocators: a section never runs under one the run did not select
    assert study("run", "--list", "--allocator", "jemalloc") == 0
    out = capsys.readouterr()
    assert "@" not in out.out and "0 of them in section large" in out.err
    assert study("run", "--list", "--impl", "gamma_conc", "--workload", "drain") == 0
    assert [i for i in capsys.readouterr().out.split() if "@" in i] == ["gamma_conc/drain/u64/glibc@full"]
    # --kv widens the quick profile's first-kind scope, in the section too
    assert study("run", "--list", "--kv", "string") == 0
    assert [i for i in capsys.readouterr().out.split() if "@" in i] == \
        ["alpha/churn/string/glibc@full", "gamma_conc/churn/string/glibc@full"]
    # a filter that leaves only section cells still runs them
    assert study("run", "--list", "--impl", "alpha", "--workload", "churn", "--allocator", "glibc") == 0
    assert capsys.readouterr().out.split() == ["alpha/churn/u64/glibc", "alpha/churn/u64/glibc@full"]


def test_a_section_name_the_bench_lacks_is_said(study, monkeypatch, capsys):
    monkeypatch.setitem(PROFILES["quick"], "sections",
                        [dict(FAKE_LARGE, impls=["alpha", "omega_map"], workloads=["churn"])])
    assert study("run", "--list") == 0
    out = capsys.readouterr()
    assert "section 'large' names omega_map" in out.err
    assert [i for i in out.out.split() if "@" in i] == ["alpha/churn/u64/glibc@full"]


def test_a_section_size_a_workload_lacks_leaves_it_out(study, monkeypatch, capsys):
    monkeypatch.setitem(PROFILES["quick"], "sections", [dict(FAKE_LARGE, size="medium")])
    assert study("run", "--list") == 0
    out = capsys.readouterr()
    assert "size 'medium' of section large is not defined by workload(s) drain" in out.err
    assert sorted(i for i in out.out.split() if "@" in i) == \
        ["alpha/churn/u64/glibc@medium", "gamma_conc/churn/u64/glibc@medium"]


def test_a_section_at_the_main_size_adds_no_second_copy(study, monkeypatch, capsys):
    # (a section runs the impls it names: keep the main matrix's thread-safe impl on every workload too)
    monkeypatch.setitem(PROFILES["quick"], "thread_safe_multi_threaded_only", False)
    assert study("run", "--list", "--no-large") == 0
    plain = capsys.readouterr().out.split()
    monkeypatch.setitem(PROFILES["quick"], "sections", [dict(FAKE_LARGE, size="quick")])
    assert study("run", "--list") == 0
    assert capsys.readouterr().out.split() == plain


# --- running -------------------------------------------------------------

def test_cells_of_two_sizes_share_one_run_folder(study, fake_large, tmp_path, env, capsys):
    assert study("run", "--workload", "churn,drain") == 0
    run = latest(tmp_path)
    doc = load_results(run)
    validate_results(doc)
    m = doc["manifest"]
    assert (m["size"], m["sizes"]) == ("quick", ["quick", "full"])
    assert m["sections"] == [{"name": "large", "size": "full", "skipped_workloads": [], "cells": 4}]
    assert m["settings"]["sections"] == [FAKE_LARGE]
    by_id = {c["id"]: c for c in doc["cells"]}
    assert sorted(i for i in by_id if "@" in i) == LARGE_IDS
    for cid in LARGE_IDS:
        c = by_id[cid]
        assert c["size"] == "full" and c["sidecar"]["cell"]["size"] == "full"
        twin = by_id[cid.split("@")[0]]  # the same cell at the main size
        assert twin["size"] == "quick" and twin["sidecar"]["cell"]["size"] == "quick"
        stem = cid.replace("/", "__")
        assert c["raw_dir"] == f"raw/{stem}" and (run / "raw" / stem / "gbench.json").exists()
        assert (run / "cells" / f"{stem}.json").exists()
    assert len(list((run / "cells").glob("*.json"))) == len(by_id) == m["cells_ok"] == m["cells_total"]
    # the bench ran each section cell once, at its size, beside its main-size twin
    ran = sizes_run(env)
    for cid in LARGE_IDS:
        assert sorted(ran["/".join(cid.split("@")[0].split("/")[:4])]) == ["full", "quick"]
    assert sum(map(len, ran.values())) == len(by_id)
    assert "4 of them in section large at size full" in capsys.readouterr().err


def test_resume_reruns_a_lost_section_cell_at_its_size(study, fake_large, tmp_path, env, monkeypatch,
                                                       capsys):
    assert study("run", "--workload", "drain") == 0
    run = latest(tmp_path)
    total = load_results(run)["manifest"]["cells_total"]
    (run / "cells" / "gamma_conc__drain__u64__glibc@full.json").unlink()
    (run / "cells" / "alpha__drain__u64__glibc.json").unlink()
    # the profile's table changes in between: the folder keeps its own plan
    monkeypatch.setitem(PROFILES["quick"], "sections", [])
    assert study("run", "--resume", run, "--no-large", results=False) == 2
    assert "drop --no-large" in capsys.readouterr().err
    env.unlink()
    assert study("run", "--resume", run, results=False) == 0
    assert sizes_run(env) == {"gamma_conc/drain/u64/glibc": ["full"], "alpha/drain/u64/glibc": ["quick"]}
    doc = load_results(run)
    validate_results(doc)
    assert doc["manifest"]["cells_total"] == total == doc["manifest"]["cells_ok"]
    assert doc["manifest"]["sizes"] == ["quick", "full"]


def test_shards_split_and_merge_a_run_with_sections(study, fake_large, tmp_path, capsys):
    assert study("run", "--workload", "churn,drain", "--impl", "alpha,gamma*") == 0
    whole = {c["id"] for c in load_results(latest(tmp_path))["cells"]}
    dirs = []
    for k in (1, 2, 3):
        assert study("run", "--shard", f"{k}/3", "--workload", "churn,drain", "--impl", "alpha,gamma*",
                     "--results-dir", tmp_path / "shards", results=False) == 0
        dirs.append((tmp_path / "shards" / "latest").resolve())
    parts = [{c["id"] for c in load_results(d)["cells"]} for d in dirs]
    assert sum(map(len, parts)) == len(whole) and set().union(*parts) == whole
    assert sum(load_results(d)["manifest"]["sections"][0]["cells"] for d in dirs) == 4
    out = tmp_path / "merged"
    assert study("merge", out, *dirs, bench=False) == 0
    doc = load_results(out)
    validate_results(doc)
    assert {c["id"] for c in doc["cells"]} == whole
    assert doc["manifest"]["sizes"] == ["quick", "full"]
    assert doc["manifest"]["sections"][0]["cells"] == 4
    # a shard without the section does not belong to this matrix
    assert study("run", "--shard", "3/3", "--no-large", "--workload", "churn,drain",
                 "--impl", "alpha,gamma*", "--results-dir", tmp_path / "other", results=False) == 0
    capsys.readouterr()
    rc = study("merge", tmp_path / "m2", dirs[0], dirs[1], (tmp_path / "other" / "latest").resolve(),
               bench=False)
    assert rc == 2 and "mixed settings: sections" in capsys.readouterr().err
