"""Results stored once per cell, compactly; cells.csv beside results.json;
the report reads what the runner writes."""
import csv
import json
import subprocess

from runner_helpers import FAKE_BENCH, latest, load_results, validate_results
from dstudy_runner import cells_csv, sidecar_figures, store
from dstudy_report.load import load_run

RAW_FILES = {"gbench.json", "stdout.txt", "stderr.txt"}


def bench_sidecar(tmp_path, *args):
    """The sidecar the (fake) bench writes for one cell, as written."""
    out = tmp_path / "direct"
    subprocess.run([str(FAKE_BENCH), *args, "--out-dir", str(out)], check=True, capture_output=True)
    return json.loads((out / "sidecar.json").read_text())


def test_each_sidecar_is_stored_once(study, tmp_path):
    assert study("run", "--workload", "churn,drain", "--impl", "alpha,beta") == 0
    run = latest(tmp_path)
    doc = load_results(run)
    validate_results(doc)
    for c in doc["cells"]:
        raw = run / c["raw_dir"]
        assert {p.name for p in raw.iterdir()} == RAW_FILES, c["id"]
        record = json.loads(store.cell_path(run, c["id"]).read_text())
        assert record == c and record["sidecar"]["schema_version"] == 2
    # every file of the folder, and no sidecar.json among them
    names = [p.name for p in run.rglob("*") if p.is_file()]
    assert "sidecar.json" not in names
    assert {"manifest.json", "results.json", "cells.csv"} <= set(names)


def test_results_and_records_are_compact(study, tmp_path):
    assert study("run", "--workload", "churn", "--impl", "alpha") == 0
    run = latest(tmp_path)
    text = (run / "results.json").read_text()
    doc = json.loads(text)
    assert text == json.dumps(doc, separators=(",", ":")) + "\n"
    # a copy of what the runner stored before: series as rows, indented
    rows = json.loads(text)
    for c in rows["cells"]:
        c["sidecar"]["memory"]["series"] = store.series_rows(c["sidecar"]["memory"]["series"])
    assert len(text) < len(json.dumps(rows, indent=1)) / 3
    for c in doc["cells"]:
        assert store.cell_path(run, c["id"]).read_text().count("\n") == 1
    # people read the manifest
    assert (run / "manifest.json").read_text().count("\n") > 20


def test_the_series_is_stored_as_columns_and_the_report_reads_it(study, tmp_path):
    assert study("run", "--workload", "drain", "--impl", "beta", "--allocator", "glibc") == 0
    run = latest(tmp_path)
    cell = load_results(run)["cells"][0]
    series = cell["sidecar"]["memory"]["series"]
    written = bench_sidecar(tmp_path, "--impl", "beta", "--workload", "drain", "--kv", "u64",
                            "--repetitions", "3", "--latency")["memory"]["series"]
    assert isinstance(written, list) and len(written) > 100
    assert list(series) == list(written[0])          # one list per field, in the bench's order
    assert all(len(v) == len(written) for v in series.values())
    assert store.series_rows(series) == written      # nothing lost, nulls included
    assert series["allocator_allocated_bytes"][-1] == written[-1]["allocator_allocated_bytes"]
    # the rest of the sidecar as written
    assert {k: v for k, v in cell["sidecar"]["memory"].items() if k != "series"} == \
        {k: v for k, v in bench_sidecar(tmp_path, "--impl", "beta", "--workload", "drain", "--kv", "u64",
                                        "--repetitions", "3", "--latency")["memory"].items()
         if k != "series"}
    # the report's loader turns the columns back into samples
    loaded = load_run(run)
    (c,) = loaded.cells
    assert c.series == written
    assert c.peak() == max(s["heap_bytes"] for s in written)
    assert c.peak("rss_bytes") == max(s["rss_bytes"] for s in written)


def test_columns_of_unequal_length_are_refused_by_the_report(study, tmp_path):
    assert study("run", "--workload", "drain", "--impl", "beta", "--allocator", "glibc") == 0
    run = latest(tmp_path)
    doc = load_results(run)
    doc["cells"][0]["sidecar"]["memory"]["series"]["heap_bytes"].pop()
    (run / "results.json").write_text(json.dumps(doc))
    import pytest
    from dstudy_report.load import ReportError
    with pytest.raises(ReportError, match=r"series: columns of different lengths"):
        load_run(run)


def test_a_sidecar_the_record_does_not_hold_stays_in_the_raw_folder(study, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BENCH_OLD_SCHEMA", "beta")
    assert study("run", "--workload", "drain", "--impl", "alpha,beta", "--allocator", "glibc") == 1
    run = latest(tmp_path)
    by_id = {c["id"]: c for c in load_results(run)["cells"]}
    old = by_id["beta/drain/u64/glibc"]
    assert old["status"] == "failed" and old["sidecar"] is None
    assert "schema version 1" in old["failure"]["message"]
    assert (run / old["raw_dir"] / "sidecar.json").exists()       # kept for diagnosis
    assert not (run / by_id["alpha/drain/u64/glibc"]["raw_dir"] / "sidecar.json").exists()


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def test_cells_csv_has_a_row_of_headline_figures_per_cell(study, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BENCH_CRASH", "beta")
    monkeypatch.setenv("FAKE_BENCH_COMPETING", "gamma_conc")
    assert study("run", "--workload", "churn,drain", "--allocator", "glibc,jemalloc") == 1
    run = latest(tmp_path)
    doc = load_results(run)
    columns, rows = read_csv(run / "cells.csv")
    assert tuple(columns) == cells_csv.COLUMNS
    assert [r["id"] for r in rows] == [c["id"] for c in doc["cells"]] == sorted(r["id"] for r in rows)
    by_id = {r["id"]: r for r in rows}
    for c in doc["cells"]:
        r = by_id[c["id"]]
        for key in ("impl", "workload", "kv", "allocator", "size", "status"):
            assert r[key] == str(c[key])
        if c["status"] != "ok":
            assert r["failure_reason"] == "crash" and r["headline_ops_per_second"] == ""
            continue
        s = c["sidecar"]
        h = s["throughput"]["headline"]
        assert float(r["headline_ops_per_second"]) == h["median_ops_per_second"]
        assert float(r["headline_mad_pct"]) == h["mad_pct"] and int(r["headline_samples"]) == h["samples"] == 3
        assert float(r["build_ops_per_second"]) == s["throughput"]["build"]["median_ops_per_second"]
        assert float(r["cold_headline_ops_per_second"]) == \
            s["throughput"]["cold"]["headline"]["median_ops_per_second"]
        op = s["workload"]["dominant_op"]
        assert r["dominant_op"] == op == {"churn": "find_hit", "drain": "erase"}[c["workload"]]
        assert int(r["dominant_p99_ns"]) == s["latency"]["per_op"][op]["p99_ns"]
        p999 = s["latency"]["per_op"][op]["p999_ns"]
        assert r["dominant_p999_ns"] == ("" if p999 is None else str(p999))
        assert int(r["peak_heap_bytes"]) == max(store.series_rows(s["memory"]["series"]),
                                                key=lambda e: e["heap_bytes"])["heap_bytes"] > 0
        retention = s["memory"]["derived"]["retention"]
        assert r["retention"] == ("" if retention is None else str(retention))
        assert float(r["growth_pct"]) == s["memory"]["derived"]["growth_pct"]
        assert r["competing"] == ("true" if c["impl"] == "gamma_conc" else "false")
    assert {r["status"] for r in rows} == {"ok", "failed"}
    assert any(r["retention"] for r in rows) and any(r["workload"] == "churn" and not r["retention"]
                                                     for r in rows if r["status"] == "ok")


def test_the_dominant_op_falls_back_to_the_most_timed_op():
    sidecar = {"workload": {}, "latency": {"per_op": {"insert": {"count": 5}, "erase": {"count": 9}}}}
    assert sidecar_figures.dominant_op(sidecar) == "erase"
    sidecar["workload"]["dominant_op"] = "insert"
    assert sidecar_figures.dominant_op(sidecar) == "insert"
    assert sidecar_figures.dominant_op({"latency": None}) is None


def test_merge_writes_the_same_compact_layout(study, tmp_path):
    dirs = []
    for k in (1, 2):
        assert study("run", "--shard", f"{k}/2", "--workload", "drain", "--allocator", "glibc",
                     "--results-dir", tmp_path / "s", results=False) == 0
        dirs.append((tmp_path / "s" / "latest").resolve())
    out = tmp_path / "m"
    assert study("merge", out, *dirs, bench=False) == 0
    doc = load_results(out)
    validate_results(doc)
    assert (out / "results.json").read_text().count("\n") == 1
    _, rows = read_csv(out / "cells.csv")
    assert [r["id"] for r in rows] == [c["id"] for c in doc["cells"]] and len(rows) == 3
    assert not list(out.rglob("sidecar.json"))
    assert all({p.name for p in (out / c["raw_dir"]).iterdir()} == RAW_FILES for c in doc["cells"])


def test_a_folder_written_before_keeps_working(study, tmp_path, env):
    """Records of an earlier runner (series as rows, indented, the raw
    sidecar beside them) resume, merge into results.json and load."""
    assert study("run", "--workload", "drain", "--allocator", "glibc") == 0
    run = latest(tmp_path)
    first, second = sorted((run / "cells").glob("*.json"))[:2]
    rec = json.loads(first.read_text())
    rec["sidecar"]["memory"]["series"] = store.series_rows(rec["sidecar"]["memory"]["series"])
    first.write_text(json.dumps(rec, indent=1))
    second.unlink()
    assert study("run", "--resume", run, results=False) == 0
    doc = load_results(run)
    validate_results({**doc, "cells": [c for c in doc["cells"] if c["id"] != rec["id"]]})
    old = next(c for c in doc["cells"] if c["id"] == rec["id"])
    assert isinstance(old["sidecar"]["memory"]["series"], list)
    loaded = {c.id: c for c in load_run(run).cells}
    assert loaded[rec["id"]].series == rec["sidecar"]["memory"]["series"]
    assert all(c.series for c in loaded.values())
