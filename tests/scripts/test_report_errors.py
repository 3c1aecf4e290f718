"""Bad input gives one clear line naming the file, and a non-zero exit."""
import json

import pytest

from report_helpers import BASE, fixture_doc, run_report


def _check(proc, path, *words):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0]
    for w in words:
        assert w in lines[0]
    assert "Traceback" not in proc.stderr


def test_missing_folder(tmp_path):
    _check(run_report(tmp_path / "nowhere", "--out", tmp_path / "o"), tmp_path / "nowhere", "no such file")


def test_folder_without_results(tmp_path):
    _check(run_report(tmp_path, "--out", tmp_path / "o"), tmp_path / "results.json", "no such file")


def test_malformed_json(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text('{"schema_version": 2, "manifest": {}, "cells": [')
    _check(run_report(tmp_path, "--out", tmp_path / "o"), bad, "malformed JSON")


@pytest.mark.parametrize("version", [1, 3, "2"])
def test_other_schema_versions_are_refused(tmp_path, version):
    doc = fixture_doc()
    doc["schema_version"] = version
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    _check(run_report(tmp_path, "--out", tmp_path / "o"), path, "schema_version",
           f"file has version {version!r}", "these reports read version 2")


def test_sidecar_schema_version_mismatch(tmp_path):
    doc = fixture_doc()
    doc["cells"][0]["sidecar"]["schema_version"] = 1
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    _check(run_report(tmp_path, "--out", tmp_path / "o"), path, "sidecar schema_version", doc["cells"][0]["id"])


@pytest.mark.parametrize("mutate,words", [
    (lambda d: d["cells"][0]["sidecar"]["throughput"]["headline"].update(median_ops_per_second="fast"),
     ["throughput.headline.median_ops_per_second"]),
    (lambda d: d["cells"][0]["sidecar"]["throughput"]["headline"].update(per_repetition=[1.0, "x"]),
     ["per_repetition[1]"]),
    (lambda d: d["cells"][0]["sidecar"]["latency"]["per_op"]["erase"].update(p999_ns="n/a"), ["p999_ns"]),
    (lambda d: d["cells"][0]["sidecar"]["machine_load"].update(competing="yes"), ["competing"]),
    (lambda d: d["cells"][0]["sidecar"]["memory"]["derived"].update(layers=[]), ["derived.layers"]),
    (lambda d: d["cells"][1].update(status="maybe"), ["status"]),
    (lambda d: d.pop("cells"), ["cells"]),
    (lambda d: d["cells"][2].pop("impl"), ["impl"]),
])
def test_wrong_shapes_name_the_field(tmp_path, mutate, words):
    doc = fixture_doc()
    mutate(doc)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    _check(run_report(tmp_path, "--out", tmp_path / "o"), path, *words)


def test_compare_names_the_bad_side(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text("not json")
    _check(run_report("compare", BASE, tmp_path, "--out", tmp_path / "o"), bad, "malformed JSON")
