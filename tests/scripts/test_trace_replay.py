"""`study run --trace` on the real harness: the committed sample trace runs
the matrix and reports like any workload; a synthetic Twitter-format trace
and an oracleGeneral one convert and replay with every outcome checked; a
bad trace stops the run before anything is measured, naming the file and
where in it; --pace reaches dstudy_bench and its cells hold a recorded-arrivals
open-loop section of the schema."""
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from dstudy_runner import trace as trace_mod  # noqa: E402
from dstudy_report.load import load_run  # noqa: E402
from runner_helpers import validate_sidecar  # noqa: E402

BENCH = ROOT / "build" / "release" / "dstudy_bench"
TOOL = ROOT / "build" / "release" / "dstudy_trace"
SAMPLE = ROOT / "workloads" / "traces" / "sample_trace.csv"
TRACES = ROOT / "workloads" / "traces"
PY = "/usr/bin/python3"


def study(*args, check=True):
    if not BENCH.exists() or not TOOL.exists():
        pytest.skip("dstudy_bench / dstudy_trace not built (scripts/test.sh builds them before pytest)")
    return subprocess.run([str(ROOT / "scripts" / "study"), "run", "--no-build", "--quiet", *map(str, args)],
                          check=check, cwd=ROOT, capture_output=True, text=True)


def ops_by_type(cell):
    phases = cell.sidecar["workload"]["phases"]
    assert [p["name"] for p in phases] == ["replay"] and phases[0]["role"] == "steady"
    return phases[0]["ops_by_type"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("trace")
    study("--trace", SAMPLE, "--impl", "tombstone_never,std_unordered_map", "--allocator", "glibc",
          "--results-dir", results)
    return results


def test_sample_trace_runs_like_any_workload(sample_run, tmp_path):
    run = load_run(sample_run / "latest")
    assert sorted(c.impl for c in run.cells) == ["std_unordered_map", "tombstone_never"]
    for cell in run.cells:
        assert cell.status == "ok"  # every op's outcome checked by the harness
        assert cell.workload == "sample_trace"
        counts = ops_by_type(cell)
        # The sample is a TTL cache: expiry erases, updates of live keys,
        # deletes of absent ones, hits and misses all occur.
        assert all(counts[op] > 0 for op in ("insert", "update", "erase", "erase_miss", "find_hit", "find_miss"))
    out = tmp_path / "report"
    subprocess.run([str(ROOT / "scripts" / "report"), str(sample_run / "latest"), "--out", str(out)],
                   check=True, cwd=ROOT, capture_output=True, text=True)
    assert "sample_trace" in (out / "report.md").read_text()


def test_the_converted_trace_has_the_format_version_and_key_sizes(sample_run):
    [folder] = list((sample_run / "traces").iterdir())
    header = (folder / "sample_trace.dstrace").read_bytes()[:16]
    assert header[:8] == b"DSTRACE1"
    # trace.FORMAT_VERSION (a conversion's cache key) is the version dstudy_trace writes
    assert struct.unpack_from("<I", header, 8)[0] == trace_mod.FORMAT_VERSION
    spec = json.loads((folder / "sample_trace.json").read_text())
    # the sample's keys are 8 to 77 bytes long (make_sample_trace.py); 20 are under 11
    assert ("String keys have the recorded key sizes (8 to 77 bytes, mean 35.8); 20 keys recorded shorter "
            "than 11 bytes are built at 11") in spec["description"]


def test_conversion_is_cached_by_content(sample_run):
    folders = list((sample_run / "traces").iterdir())
    assert len(folders) == 1
    spec = json.loads((folders[0] / "sample_trace.json").read_text())
    assert Path(spec["trace"]).name == "sample_trace.dstrace"
    stamp = (folders[0] / "sample_trace.dstrace").stat().st_mtime_ns
    study("--trace", SAMPLE, "--impl", "tombstone_never", "--allocator", "glibc", "--results-dir", sample_run,
          "--list")
    assert (folders[0] / "sample_trace.dstrace").stat().st_mtime_ns == stamp
    assert len(list((sample_run / "traces").iterdir())) == 1


def run_one(trace, results, *extra):
    study("--trace", trace, "--impl", "tombstone_never", "--allocator", "glibc", "--results-dir", results, *extra)
    [cell] = load_run(results / "latest").cells
    assert cell.status == "ok"
    return ops_by_type(cell)


def test_twitter_format_converts_and_replays(tmp_path):
    trace = tmp_path / "cluster_synthetic.csv"
    subprocess.run([PY, str(TRACES / "make_sample_trace.py"), "--requests", "3000", "--seed", "7",
                    "--out", str(trace)], check=True)
    assert trace_mod.detect_format(trace) == "twitter"
    counts = run_one(trace, tmp_path / "results")
    assert counts["erase"] > 0 and counts["update"] > 0


def test_oracle_general_converts_and_replays(tmp_path):
    trace = tmp_path / "synthetic.oracleGeneral.bin"
    subprocess.run([PY, str(TRACES / "make_oracle_trace.py"), "--records", "20000", "--objects", "2000",
                    str(trace)], check=True)
    assert trace_mod.detect_format(trace) == "oraclegeneral"
    counts = run_one(trace, tmp_path / "results")
    [spec] = (tmp_path / "results" / "traces").glob("*/*.json")
    assert "It records no key sizes" in json.loads(spec.read_text())["description"]
    # every get that misses is followed by the insert a cache makes
    assert counts["find_miss"] == counts["insert"] > 0
    assert counts["find_hit"] + counts["find_miss"] == 20000


def test_plain_csv_with_a_time_unit(tmp_path):
    trace = tmp_path / "plain.csv"
    trace.write_text("op,key,value_size,timestamp\n" +
                     "".join(f"{op},k{i % 37},8,{i * 1000}\n"
                             for i, op in enumerate(["set", "get", "delete", "get"] * 500)))
    counts = run_one(trace, tmp_path / "results", "--time-unit", "us")
    assert sum(counts.values()) == 2000


def test_bad_trace_stops_before_anything_runs(tmp_path):
    trace = tmp_path / "bad.csv"
    trace.write_text("set,a\nget,a\nfrob,a\n")
    results = tmp_path / "results"
    proc = study("--trace", trace, "--results-dir", results, check=False)
    assert proc.returncode == 2
    assert f"{trace}: line 3: unknown op 'frob'" in proc.stderr
    assert not (results / "latest").exists()
    truncated = tmp_path / "cut.oracleGeneral.bin"
    truncated.write_bytes(b"\0" * 24 * 3 + b"\1" * 5)
    proc = study("--trace", truncated, "--results-dir", results, check=False)
    assert proc.returncode == 2 and "truncated record 3 at byte offset 72" in proc.stderr


def test_pace_reaches_the_bench_and_checks_timestamps(tmp_path):
    trace = tmp_path / "backwards.csv"
    trace.write_text("set,a,1,5\nget,a,1,9\nget,a,1,7\n")
    results = tmp_path / "results"
    proc = study("--trace", trace, "--impl", "tombstone_never", "--allocator", "glibc", "--results-dir", results,
                 "--pace", "2", "--dry-run")
    assert "--pace 2.0" in proc.stdout
    proc = study("--trace", trace, "--impl", "tombstone_never", "--allocator", "glibc", "--results-dir", results,
                 "--pace", "2", check=False)
    assert proc.returncode == 1
    [cell] = load_run(results / "latest").cells
    assert cell.status == "failed"
    [stderr] = (results / "latest").rglob("stderr.txt")
    assert "record 2 at byte offset" in stderr.read_text()
    assert "non-monotonic timestamp" in stderr.read_text()


def test_paced_replay_cells_have_a_recorded_open_loop_section(tmp_path):
    # The sample spans 1,199 s; at 2e-6 a pass takes 2.4 ms.
    scale = 2e-6
    results = tmp_path / "results"
    study("--trace", SAMPLE, "--impl", "tombstone_never,std_unordered_map", "--allocator", "glibc",
          "--results-dir", results, "--pace", scale)
    run = load_run(results / "latest")
    assert sorted(c.impl for c in run.cells) == ["std_unordered_map", "tombstone_never"]
    for cell in run.cells:
        assert cell.status == "ok"  # the open-loop pass's outcomes are checked too
        validate_sidecar(cell.sidecar)
        ol = cell.sidecar["open_loop"]
        assert ol["arrivals"] == "recorded" and ol["paced_phases"] == ["replay"]
        [rate] = ol["rates"]
        ops = sum(ops_by_type(cell).values())
        assert rate["paced_ops"] == ops * cell.sidecar["cell"]["repetitions"]
        # the offered load is the trace's own: its ops over its span x the scale
        for target in rate["per_repetition_target_ops_per_second"]:
            assert target == pytest.approx(ops / (1199 * scale), rel=1e-9)
        assert rate["response"]["all"]["count"] == rate["paced_ops"]


def test_the_scale_measurement_script_runs_and_cleans_up(tmp_path):
    """workloads/traces/measure_scale.sh at a tiny size (its figures are
    meaningless here; the full run is the documented command)."""
    if not BENCH.exists() or not TOOL.exists():
        pytest.skip("dstudy_bench / dstudy_trace not built")
    proc = subprocess.run([str(TRACES / "measure_scale.sh"), "--records", "20000", "--objects", "1000",
                           "--rounds", "2", "--scratch", str(tmp_path)],
                          check=True, capture_output=True, text=True)
    assert "conversion: 20,000 records -> 21,000 ops, 1,000 keys" in proc.stdout
    assert "peak RSS" in proc.stdout
    assert proc.stdout.count("ratio ") == 2
    assert "mapped / in memory: median" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # the work folder is gone
