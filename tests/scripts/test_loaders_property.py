"""Property-based tests (hypothesis) of the Python code that reads what a
user or a cell process hands the study: a trace's first bytes (format
detection), a cell's sidecar.json, the run folder's cell records and
manifest, and results.json for the report. Whatever the bytes, each either
reads them or refuses them with its own error type, naming the file; none
raises anything else, and no message echoes a control byte raw."""
import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dstudy_runner import cli, outcome, store
from dstudy_runner import trace as trace_mod
from dstudy_report.load import ReportError, load_run

# Bounded, so the whole module stays a few seconds of the test command.
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25)

# Text lines a trace might start with: commas, known column and op names,
# control bytes and compressors' magic bytes among them.
trace_words = st.sampled_from([b"key", b"op", b"op_count", b"GET", b"set", b",", b"\n", b"\r\n", b"\x00", b"\x1b",
                               b"\xff", b"\x28\xb5\x2f\xfd", b"\x1f\x8b", b"BZh9", b"1", b"-", b" "])
trace_heads = st.binary(max_size=200) | st.lists(trace_words, max_size=30).map(b"".join)


def no_control_bytes(message):
    return all(c in string.printable and c not in "\x0b\x0c\r" or c == "\n" for c in message)


@SETTINGS
@given(data=trace_heads)
def test_format_detection_reads_or_names_any_bytes(tmp_path, data):
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    try:
        fmt = trace_mod.detect_format(path)
    except trace_mod.TraceError as e:
        assert str(e).startswith(str(path)) and no_control_bytes(str(e)), str(e)
    else:
        assert fmt in trace_mod.FORMATS


@SETTINGS
@given(data=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_a_sidecar_of_any_bytes_is_read_or_refused(tmp_path, data):
    (tmp_path / "sidecar.json").write_bytes(data)
    (tmp_path / "gbench.json").write_bytes(b"{}")
    _, sidecar, problem = outcome.read_outputs(tmp_path)
    usable, why = outcome.conforming(sidecar)
    if problem is None:
        assert sidecar == json.loads(data.decode())
    else:
        assert problem.startswith("sidecar.json ") and sidecar is None
    assert usable is None or why is None


@SETTINGS
@given(value=json_values)
def test_a_sidecar_of_any_json_shape_is_checked_without_raising(value):
    for doc in (value, {"schema_version": outcome.SIDECAR_SCHEMA_VERSION, "checks": value}):
        usable, why = outcome.conforming(doc)
        assert usable is None or why is None


@SETTINGS
@given(files=st.lists(st.binary(max_size=120) | json_values.map(lambda v: json.dumps(v).encode()), max_size=4))
def test_cell_records_of_any_bytes_are_kept_or_left_to_run_again(tmp_path, files):
    cells = tmp_path / store.CELLS
    cells.mkdir(exist_ok=True)
    for old in cells.iterdir():
        old.unlink()
    for i, data in enumerate(files):
        (cells / f"c{i}.json").write_bytes(data)
    records = store.load_cells(tmp_path)
    assert all(isinstance(r, dict) for r in records.values())


@SETTINGS
@given(data=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_a_manifest_of_any_bytes_resumes_or_is_refused_by_name(tmp_path, data):
    (tmp_path / store.MANIFEST).write_bytes(data)
    try:
        stored = cli.read_resumable(tmp_path)
    except cli.UsageError as e:
        assert str(tmp_path) in str(e)
    else:
        assert isinstance(stored, dict)


def results_docs():
    """results.json documents: any JSON, and a valid-looking skeleton with
    any value in one of its places."""
    skeleton = st.fixed_dictionaries({"manifest": json_values | st.just({}),
                                      "cells": st.lists(json_values | st.just({}), max_size=3)})
    return (st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode())
            | skeleton.map(lambda d: json.dumps(d).encode()))


@SETTINGS
@given(data=results_docs())
def test_results_of_any_bytes_load_or_give_a_report_error(tmp_path, data):
    (tmp_path / store.RESULTS).write_bytes(data)
    try:
        load_run(tmp_path)
    except ReportError as e:
        assert "results.json" in str(e)
