"""Shards merge into one run; mismatched runs are refused."""
import json

from runner_helpers import latest, load_results, validate_results
from dstudy_runner import store
from dstudy_runner.contract import RESULTS_SCHEMA_VERSION


def latest_in(d):
    return (d / "latest").resolve()


def run_shards(study, tmp_path, n, *extra):
    dirs = []
    for k in range(1, n + 1):
        assert study("run", "--shard", f"{k}/{n}", "--results-dir", tmp_path / "shards",
                     *extra, results=False) == 0
        d = latest_in(tmp_path / "shards")
        assert d.name.endswith(f"-shard-{k}-of-{n}")
        dirs.append(d)
    return dirs


def test_merged_shards_equal_the_whole_run(study, tmp_path):
    assert study("run", "--workload", "churn,drain", "--impl", "beta,gamma*") == 0
    whole = {c["id"] for c in load_results(latest(tmp_path))["cells"]}
    dirs = run_shards(study, tmp_path, 3, "--workload", "churn,drain", "--impl", "beta,gamma*")
    parts = [{c["id"] for c in load_results(d)["cells"]} for d in dirs]
    assert sum(map(len, parts)) == len(whole) and set().union(*parts) == whole
    out = tmp_path / "merged"
    assert study("merge", out, *dirs, bench=False) == 0
    doc = load_results(out)
    validate_results(doc)
    assert {c["id"] for c in doc["cells"]} == whole
    m = doc["manifest"]
    assert m["shard"] is None and len(m["merged_from"]) == 3
    assert (m["cells_total"], m["cells_ok"], m["cells_failed"]) == (len(whole), len(whole), 0)
    assert len(list((out / "cells").glob("*.json"))) == len(whole)


def test_merge_warns_about_a_missing_shard(study, tmp_path, capsys):
    dirs = run_shards(study, tmp_path, 3, "--workload", "drain")
    capsys.readouterr()
    assert study("merge", tmp_path / "m", dirs[0], dirs[2], bench=False) == 0
    assert "shards 2 of 3" in capsys.readouterr().err


def test_merge_refuses_overlap(study, tmp_path, capsys):
    assert study("run", "--workload", "drain", "--results-dir", tmp_path / "a", results=False) == 0
    assert study("run", "--workload", "drain", "--impl", "beta", "--results-dir", tmp_path / "b",
                 results=False) == 0
    rc = study("merge", tmp_path / "m", latest_in(tmp_path / "a"), latest_in(tmp_path / "b"), bench=False)
    assert rc == 2
    assert "overlapping cells" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_merge_refuses_the_same_folder_twice(study, tmp_path, capsys):
    d = run_shards(study, tmp_path, 2, "--workload", "drain")[0]
    assert study("merge", tmp_path / "m", d, d, bench=False) == 2


def test_merge_refuses_mixed_profiles(study, tmp_path, capsys):
    a = run_shards(study, tmp_path, 2, "--workload", "drain", "--allocator", "glibc")[0]
    assert study("run", "--shard", "2/2", "--profile", "full", "--workload", "drain", "--allocator", "glibc",
                 "--results-dir", tmp_path / "f", results=False) == 0
    rc = study("merge", tmp_path / "m", a, latest_in(tmp_path / "f"), bench=False)
    assert rc == 2 and "mixed profiles" in capsys.readouterr().err


def test_merge_refuses_other_schema_versions(study, tmp_path, capsys):
    a, b = run_shards(study, tmp_path, 2, "--workload", "drain", "--allocator", "glibc")
    m = store.read_json(b / "manifest.json")
    assert m["schema_version"] == RESULTS_SCHEMA_VERSION
    m["schema_version"] = 1
    store.write_json(b / "manifest.json", m)
    assert study("merge", tmp_path / "m", a, b, bench=False) == 2
    assert "schema version 1" in capsys.readouterr().err
    m["schema_version"] = RESULTS_SCHEMA_VERSION
    store.write_json(b / "manifest.json", m)
    cell = next((b / "cells").glob("*.json"))
    rec = json.loads(cell.read_text())
    rec["sidecar"]["schema_version"] = 7
    cell.write_text(json.dumps(rec))
    assert study("merge", tmp_path / "m", a, b, bench=False) == 2
    assert "sidecar schema version [7]" in capsys.readouterr().err


def test_merge_refuses_a_sidecar_that_breaks_the_schema(study, tmp_path, capsys):
    a, b = run_shards(study, tmp_path, 2, "--workload", "drain", "--allocator", "glibc")
    cell = next((b / "cells").glob("*.json"))
    rec = json.loads(cell.read_text())
    rec["sidecar"]["machine_load"]["competing"] = "yes"
    cell.write_text(json.dumps(rec))
    assert study("merge", tmp_path / "m", a, b, bench=False) == 2
    err = capsys.readouterr().err
    assert f"cell {rec['id']}: sidecar.machine_load.competing: must be boolean, got 'yes'" in err
    assert not (tmp_path / "m").exists()


def test_merge_refuses_a_non_empty_output(study, tmp_path):
    a, b = run_shards(study, tmp_path, 2, "--workload", "drain", "--allocator", "glibc")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x").write_text("")
    assert study("merge", tmp_path / "m", a, b, bench=False) == 2


def test_merge_records_the_missing_shards(study, tmp_path):
    dirs = run_shards(study, tmp_path, 3, "--workload", "drain")
    assert study("merge", tmp_path / "m", dirs[0], dirs[2], bench=False) == 0
    assert load_results(tmp_path / "m")["manifest"]["shards_missing"] == [2]


def test_merge_refuses_shards_of_different_cpu_models(study, tmp_path, capsys, monkeypatch):
    """Figures are compared across shards: one merged run, one CPU model."""
    a = run_shards(study, tmp_path, 2, "--workload", "drain", "--allocator", "glibc")[0]
    monkeypatch.setenv("FAKE_BENCH_CPU_MODEL", "Other CPU @ 2.0GHz")
    assert study("run", "--shard", "2/2", "--workload", "drain", "--allocator", "glibc",
                 "--results-dir", tmp_path / "other", results=False) == 0
    b = latest_in(tmp_path / "other")
    capsys.readouterr()
    assert study("merge", tmp_path / "m", a, b, bench=False) == 2
    err = capsys.readouterr().err
    assert "cells measured on different CPU models" in err
    assert f"'fake': 2 cells in {a}" in err and f"'Other CPU @ 2.0GHz': 1 cell in {b}" in err
    assert "--split-by-cpu" in err and not (tmp_path / "m").exists()

    assert study("merge", tmp_path / "m", a, b, "--split-by-cpu", bench=False) == 0
    parts = sorted(p.name for p in (tmp_path / "m").iterdir() if p.is_dir())
    assert parts == ["fake", "other-cpu-2-0ghz"]
    for name in parts:
        doc = load_results(tmp_path / "m" / name)
        validate_results(doc)
        assert len(doc["cells"]) == (2 if name == "fake" else 1)
        assert {c["sidecar"]["environment"]["cpu_model"] for c in doc["cells"]} == \
            {"fake" if name == "fake" else "Other CPU @ 2.0GHz"}


def test_merge_replace_swaps_in_a_new_merge(study, tmp_path, capsys):
    """What a merge job does when run again after a resubmitted shard."""
    a, b = run_shards(study, tmp_path, 2, "--workload", "drain", "--allocator", "glibc")
    assert study("merge", tmp_path / "m", a, bench=False) == 0
    assert load_results(tmp_path / "m")["manifest"]["shards_missing"] == [2]
    assert study("merge", tmp_path / "m", a, b, bench=False) == 2  # not without --replace
    assert study("merge", "--replace", tmp_path / "m", a, b, bench=False) == 0
    doc = load_results(tmp_path / "m")
    validate_results(doc)
    assert doc["manifest"]["shards_missing"] == [] and len(doc["cells"]) == 3
    assert len(list((tmp_path / "m" / "cells").glob("*.json"))) == 3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".m.")) == []
    # a run folder is never replaced
    capsys.readouterr()
    assert study("merge", "--replace", a, b, bench=False) == 2
    assert "is not empty" in capsys.readouterr().err
