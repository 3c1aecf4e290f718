"""The result contract written down once (docs/schema/*.schema.json): the
schemas are valid, agree with contract.py and with docs/result-schema.md,
and every writer of the format (the report's fixtures, the fake bench the
runner tests use) follows them with every field they list. What dstudy_bench
and the runner write is checked the same way in test_end_to_end.py and
runner_helpers.validate_results."""
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from report_helpers import BASE, FIXTURES, NEW, fixture_doc
from runner_helpers import FAKE_BENCH, REPO
from dstudy_runner import contract, schema
from dstudy_report.load import ReportError, load_run

sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402

DOCS = REPO / "docs" / "result-schema.md"
# Keys of the docs' examples that are not fields but entries of free-form
# maps (environment.libraries, environment.allocator_env, environment.cache_bytes).
MAP_KEYS = {"benchmark", "LD_PRELOAD", "L1d", "L2", "L3"}


def fields(node, out=None):
    """Every property name a schema (part) lists, a `false` one excepted."""
    out = set() if out is None else out
    if isinstance(node, dict):
        out |= {k for k, v in (node.get("properties") or {}).items() if v is not False}
        for v in node.values():
            fields(v, out)
    elif isinstance(node, list):
        for v in node:
            fields(v, out)
    return out


@pytest.mark.parametrize("document", schema.DOCUMENTS)
@pytest.mark.parametrize("complete", [False, True])
def test_the_schemas_are_valid_draft_7_schemas(document, complete):
    s = schema._complete(schema.load(document)) if complete else schema.load(document)
    assert s["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(s)


def test_each_document_has_its_version_once():
    assert contract.SIDECAR_SCHEMA_VERSION == schema.load("sidecar")["properties"]["schema_version"]["const"]
    assert contract.RESULTS_SCHEMA_VERSION == schema.load("results")["properties"]["schema_version"]["const"]
    # defined once per language: Python reads it from the schemas, C++ has one constant
    python = [f"{p.name}: {line.strip()}" for p in (REPO / "scripts").rglob("*.py")
              for line in p.read_text().splitlines() if re.match(r"\s*\w*SCHEMA_VERSION\s*=", line)]
    assert python == ['contract.py: SIDECAR_SCHEMA_VERSION = schema.version("sidecar")',
                      'contract.py: RESULTS_SCHEMA_VERSION = schema.version("results")']
    cpp = [p.name for p in (REPO / "bench").rglob("*.[hc]*") if "kSchemaVersion =" in p.read_text()]
    assert cpp == ["result_writer.h"]


def test_the_sidecar_schema_agrees_with_the_contract():
    defs = schema.load("sidecar")["definitions"]
    assert tuple(defs["op_type"]["enum"]) == contract.OP_TYPES
    assert tuple(defs["kv"]["enum"]) == contract.KV_KINDS
    assert tuple(defs["phase_role"]["enum"]) == contract.PHASE_ROLES
    assert defs["derived_layer"]["enum"] == [layer for layer in contract.LAYERS if layer != "payload_bytes"]
    assert set(contract.LAYERS) <= set(defs["snapshot"]["properties"])
    derived = defs["memory"]["properties"]["derived"]["properties"]
    assert derived["headline_layer"]["const"] == contract.HEADLINE_LAYER
    min_samples = defs["latency"]["properties"]["min_samples"]["properties"]
    assert {k: v["const"] for k, v in min_samples.items()} == contract.MIN_SAMPLES
    # a percentile is null up to its minimum less one
    for rule in defs["percentile_rules"]["allOf"]:
        (key,) = rule["then"]["properties"]
        assert rule["if"]["properties"]["count"]["maximum"] == contract.MIN_SAMPLES[key] - 1


def test_every_schema_field_is_explained_in_the_docs_and_only_those():
    parts = DOCS.read_text().split("```")
    prose, code = " ".join(parts[0::2]), " ".join(parts[1::2])
    named = {w for quoted in re.findall(r"`([^`]+)`", prose) for w in re.findall(r"\w+", quoted)}
    shown = set(re.findall(r'"(\w+)"\s*:', code))
    listed = fields(schema.load("sidecar")) | fields(schema.load("results"))
    assert sorted(listed - named - shown) == [], "fields of docs/schema/ that docs/result-schema.md does not explain"
    assert sorted(shown - listed - MAP_KEYS) == [], "fields docs/result-schema.md shows that no schema lists"


def test_gbench_is_not_merged():
    cell = schema.load("results")["definitions"]["cell"]
    assert cell["properties"]["gbench"] is False
    doc = fixture_doc()
    doc["cells"][0]["gbench"] = {"benchmarks": []}
    assert schema.problem(doc, "results") == ("cells[0].gbench", "must not be there")


@pytest.mark.parametrize("which", [BASE, NEW])
def test_the_committed_fixtures_follow_the_schemas_completely(which):
    schema.check(fixture_doc(which), "results", complete=True, name=str(which))


def test_the_generated_fixtures_follow_the_schemas_completely():
    schema.check(make_fixtures.synthetic_run(["a", "b"], ["steady_churn", "drain"], list(make_fixtures.ALLOCATOR_DEFS)),
                 "results", complete=True, name="synthetic_run")
    schema.check(make_fixtures.two_size_run(["a", "b"], ["b"]), "results", complete=True, name="two_size_run")


@pytest.mark.parametrize("args", [
    ["--impl", "alpha", "--workload", "churn", "--kv", "string"],
    ["--impl", "beta", "--workload", "drain", "--kv", "u64", "--repetitions", "3", "--size", "full"],
    ["--impl", "gamma_conc", "--workload", "conc", "--kv", "u64"],
    ["--impl", "alpha", "--workload", "churn", "--kv", "u64", "--no-latency", "--memory-sample-every", "500"],
])
def test_the_fake_bench_writes_sidecars_of_the_schema(tmp_path, args):
    subprocess.run([str(FAKE_BENCH), *args, "--out-dir", str(tmp_path)], check=True, capture_output=True)
    sidecar = json.loads((tmp_path / "sidecar.json").read_text())
    schema.check(sidecar, "sidecar", complete=True, name=" ".join(args))


def test_readers_take_a_file_without_the_fields_added_within_its_version(tmp_path):
    doc = fixture_doc()
    for c in doc["cells"]:
        sc = c["sidecar"]
        if sc:
            del sc["workload"]["dominant_op"], sc["environment"]["cache_bytes"], sc["environment"]["turbo"]
            for p in sc["workload"]["phases"]:
                del p["ops_by_type"]
            for p in sc["memory"]["phase_end"]:
                del p["heap_activity"]
    assert schema.problem(doc, "results") is None
    assert schema.problem(doc, "results", complete=True)[1].startswith("lacks")
    (tmp_path / "results.json").write_text(json.dumps(doc))
    assert load_run(tmp_path).cells[0].dominant_op in contract.OP_TYPES


def test_an_unknown_field_is_read_but_a_writer_may_not_add_it(tmp_path):
    doc = fixture_doc()
    doc["cells"][0]["sidecar"]["throughput"]["headline"]["p_value"] = 0.5
    assert schema.problem(doc, "results") is None
    assert schema.problem(doc, "results", complete=True) == (
        "cells[0].sidecar.throughput.headline", "must not contain {'p_value'} properties")


@pytest.mark.parametrize("change,where,what", [
    (lambda d: d["cells"][0]["sidecar"]["latency"]["per_op"]["find_miss"].update(count=10),
     "cells[0] ({id}).sidecar.latency.per_op.find_miss.p50_ns", "must be null"),
    (lambda d: d["cells"][0]["sidecar"]["machine_load"].update(reason="busy"),
     "cells[0] ({id}).sidecar.machine_load.reason", "must be null, got 'busy'"),
    (lambda d: d["cells"][0].update(status="failed"), "cells[0] ({id}).failure", "must be object, got None"),
    (lambda d: d["cells"][0]["sidecar"]["checks"].update(ok=False), "cells[0] ({id}).sidecar.checks.message",
     "must be string, got None"),
    (lambda d: d["manifest"].update(shard="2 of 3"), "manifest.shard", "must match pattern"),
])
def test_rules_between_fields_are_checked(tmp_path, change, where, what):
    doc = fixture_doc()
    cid = doc["cells"][0]["id"]
    change(doc)
    (tmp_path / "results.json").write_text(json.dumps(doc))
    with pytest.raises(ReportError) as e:
        load_run(tmp_path)
    assert f"{Path(tmp_path) / 'results.json'}: {where.format(id=cid)}: {what}" in str(e.value)
