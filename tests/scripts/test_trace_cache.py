"""Cache traces as a real cache replays them, and the traces people publish:
--cache-size replays a trace through a simulated LRU or FIFO cache whose
evictions become erases, checked against an independent simulation written
here; CacheLib's kvcache format (columns by name, op_count expanded, TTLs);
compressed traces read through their decompressor; and every bad input named
with its file and place, its bytes escaped."""
import gzip
import json
import shutil
import struct
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from dstudy_runner import trace as trace_mod  # noqa: E402
from dstudy_report.load import load_run  # noqa: E402

BENCH = ROOT / "build" / "release" / "dstudy_bench"
TOOL = ROOT / "build" / "release" / "dstudy_trace"
TRACES = ROOT / "workloads" / "traces"
KVCACHE = Path(__file__).parent / "fixtures" / "kvcache_sample.csv"
PY = "/usr/bin/python3"


def needs_tool():
    if not TOOL.exists():
        pytest.skip("dstudy_trace not built (scripts/test.sh builds it before pytest)")


def convert(src, out, *args, check=True, env=None):
    needs_tool()
    proc = subprocess.run([str(TOOL), "convert", *map(str, args), str(src), str(out)], capture_output=True,
                          text=True, errors="backslashreplace", env=env)
    if check:
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    return proc


def check(dstrace):
    return json.loads(subprocess.run([str(TOOL), "check", str(dstrace)], check=True, capture_output=True,
                                     text=True).stdout)


def oracle_trace(path, records=20000, objects=2000):
    subprocess.run([PY, str(TRACES / "make_oracle_trace.py"), "--records", str(records), "--objects",
                    str(objects), str(path)], check=True)
    data = path.read_bytes()
    return [struct.unpack_from("<IQI", data, at)[1:] for at in range(0, len(data), 24)]


def simulate(requests, capacity, policy, by_bytes=False):
    """A plain cache of `capacity` objects (or bytes), evicting the least
    recently used (lru) or the first inserted (fifo): (misses, evictions,
    rejected). Every request is a get; a miss inserts."""
    cache, used = OrderedDict(), 0
    misses = evictions = rejected = 0
    for key, size in requests:
        if key in cache:
            if policy == "lru":
                cache.move_to_end(key)
            continue
        misses += 1
        need = size if by_bytes else 1
        if need > capacity:
            rejected += 1
            continue
        while cache and used + need > capacity:
            _, gone = cache.popitem(last=False)
            used -= gone
            evictions += 1
        cache[key] = need
        used += need
    return misses, evictions, rejected


@pytest.mark.parametrize("policy", ["lru", "fifo"])
def test_simulated_cache_matches_an_independent_simulation(tmp_path, policy):
    trace = tmp_path / "t.oracleGeneral.bin"
    requests = oracle_trace(trace)
    distinct = len({k for k, _ in requests})
    capacity = distinct * 10 // 100
    st = convert(trace, tmp_path / "t.dstrace", "--format", "oraclegeneral", "--cache-size", "10%",
                 "--eviction", policy)
    misses, evictions, rejected = simulate(requests, capacity, policy)
    cache = st["cache"]
    assert (cache["capacity"], cache["unit"], cache["eviction"]) == (capacity, "keys", policy)
    assert (cache["lookups"], cache["misses"], cache["evictions"], cache["rejected"]) == \
        (len(requests), misses, evictions, rejected)
    assert cache["miss_ratio"] == misses / len(requests)
    ops = check(tmp_path / "t.dstrace")["ops_by_type"]  # every outcome checked by the loader
    assert ops["find_miss"] == ops["insert"] == misses
    assert ops["erase"] == evictions > 0
    assert ops["find_hit"] == len(requests) - misses
    assert check(tmp_path / "t.dstrace")["peak_live"] == capacity


def test_cache_size_in_bytes_charges_recorded_sizes(tmp_path):
    trace = tmp_path / "t.oracleGeneral.bin"
    requests = oracle_trace(trace, records=5000, objects=800)
    st = convert(trace, tmp_path / "t.dstrace", "--format", "oraclegeneral", "--cache-size", "20KiB")
    misses, evictions, rejected = simulate(requests, 20 * 1024, "lru", by_bytes=True)
    assert (st["cache"]["capacity"], st["cache"]["unit"]) == (20 * 1024, "bytes")
    assert (st["cache"]["misses"], st["cache"]["evictions"], st["cache"]["rejected"]) == \
        (misses, evictions, rejected)


def test_unbounded_replay_never_evicts(tmp_path):
    trace = tmp_path / "t.oracleGeneral.bin"
    oracle_trace(trace, records=3000, objects=500)
    st = convert(trace, tmp_path / "t.dstrace", "--format", "oraclegeneral")
    assert st["cache"] is None and check(tmp_path / "t.dstrace")["ops_by_type"]["erase"] == 0


@pytest.mark.parametrize("size", ["0", "-5", "10x", "101%", "nan", "1e30"])
def test_bad_cache_sizes_are_refused(tmp_path, size):
    proc = convert(KVCACHE, tmp_path / "o.dstrace", "--format", "kvcache", "--cache-size", size, check=False)
    assert proc.returncode == 2 and f"--cache-size '{size}'" in proc.stderr


def test_study_run_with_a_simulated_cache(tmp_path):
    """The whole path: --cache-size 10% --eviction lru on an oracleGeneral
    trace; the cell's stream has the erases, and the workload's description
    and the run's manifest carry the miss ratio and evictions."""
    if not BENCH.exists():
        pytest.skip("dstudy_bench not built")
    trace = tmp_path / "t.oracleGeneral.bin"
    requests = oracle_trace(trace)
    capacity = len({k for k, _ in requests}) // 10
    misses, evictions, _ = simulate(requests, capacity, "lru")
    results = tmp_path / "results"
    subprocess.run([str(ROOT / "scripts" / "study"), "run", "--no-build", "--quiet", "--trace", str(trace),
                    "--cache-size", "10%", "--eviction", "lru", "--impl", "tombstone_never", "--allocator",
                    "glibc", "--results-dir", str(results)], check=True, cwd=ROOT, capture_output=True)
    run = load_run(results / "latest")
    [cell] = run.cells
    assert cell.status == "ok"
    ops = cell.sidecar["workload"]["phases"][0]["ops_by_type"]
    assert ops["erase"] == evictions and ops["find_miss"] == misses
    manifest = json.loads((results / "latest" / "manifest.json").read_text())
    cache = manifest["trace"]["cache"]
    assert cache["miss_ratio"] == misses / len(requests) and cache["evictions"] == evictions
    assert f"miss ratio {misses / len(requests):.4f}" in manifest["trace"]["description"]
    [spec] = (results / "traces").glob("*/*.json")
    assert f"{evictions} evictions" in json.loads(spec.read_text())["description"]


def test_cache_size_needs_a_trace(tmp_path):
    proc = subprocess.run([str(ROOT / "scripts" / "study"), "run", "--no-build", "--cache-size", "10%",
                           "--results-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    if not BENCH.exists():
        pytest.skip("dstudy_bench not built")
    assert proc.returncode == 2 and "--cache-size simulates a cache for a trace" in proc.stderr


# --- CacheLib kvcache ---------------------------------------------------------

def test_kvcache_sample_converts_with_op_count_expanded(tmp_path):
    assert trace_mod.detect_format(KVCACHE) == "kvcache"
    st = convert(KVCACHE, tmp_path / "k.dstrace", "--format", "kvcache")
    # the rows' op_counts: 1+3+1+2+1+7+4+1+1+2+1+5
    assert st["records"] == 29 and st["distinct_keys"] == 4
    assert st["expired"] == 1  # the key set with TTL 3 s at t=1 expires at t=4
    ops = check(tmp_path / "k.dstrace")["ops_by_type"]
    assert (ops["find_miss"], ops["find_hit"], ops["insert"], ops["erase"]) == (14, 11, 3, 2)
    assert st["key_sizes"]["min"] == 24 and st["key_sizes"]["max"] == 67


def test_kvcache_columns_are_read_by_name(tmp_path):
    """The 2022 releases' layout: other columns, another order, no op_time."""
    rows = [line.split(",") for line in KVCACHE.read_text().splitlines()]
    order = ["key", "op", "size", "op_count", "key_size"]
    moved = tmp_path / "kv2022.csv"
    moved.write_text("".join(",".join(r[rows[0].index(c)] for c in order) + "\n" for r in rows))
    assert trace_mod.detect_format(moved) == "kvcache"
    st = convert(moved, tmp_path / "k.dstrace", "--format", "kvcache")
    assert st["records"] == 29 and st["expired"] == 0  # no op_time: no TTLs


@pytest.mark.parametrize("text,message", [
    ("key,op\nk,GET\nk,FROB\n", "line 3: unknown op 'FROB'"),
    ("op_time,key,op\n1,k,GET\n", None),
    ("key,size\nk,1\n", "line 1: the header 'key,size' has no 'op' column"),
    ("key,op,op_count\nk,GET,0\n", "line 2: op_count 0 is not in 1 to 1000000"),
    ("key,op,op_count\nk,GET,2,9\n", "line 2: expected 3 fields, as the header names, got 4"),
    ("key,op,key\nk,GET,k\n", "line 1: header names column 'key' twice"),
    ("key,op,op_time\nk,GET,5\nk,GET,7\nk,GET,6\n", "line 4: non-monotonic timestamp"),
])
def test_kvcache_errors_name_the_line(tmp_path, text, message):
    src = tmp_path / "kv.csv"
    src.write_text(text)
    proc = convert(src, tmp_path / "o.dstrace", "--format", "kvcache", check=False)
    if message is None:
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode == 1 and f"{src}: {message}" in proc.stderr


# --- compressed, empty and hostile inputs --------------------------------------

def compressed(src, tmp_path, program):
    needs_tool()
    if not shutil.which(program):
        pytest.skip(f"{program} not installed")
    out = tmp_path / (src.name + {"zstd": ".zst", "gzip": ".gz", "xz": ".xz", "bzip2": ".bz2"}[program])
    with open(out, "wb") as f:
        subprocess.run([program, "-c", str(src)], stdout=f, check=True)
    return out


@pytest.mark.parametrize("program", ["zstd", "gzip", "xz", "bzip2"])
def test_compressed_traces_are_read_through_their_decompressor(tmp_path, program):
    packed = compressed(KVCACHE, tmp_path, program)
    assert trace_mod.detect_format(packed) == "kvcache"
    assert convert(packed, tmp_path / "k.dstrace", "--format", "kvcache")["records"] == 29


def test_a_missing_decompressor_is_named(tmp_path, monkeypatch):
    packed = compressed(KVCACHE, tmp_path, "zstd")
    proc = convert(packed, tmp_path / "k.dstrace", "--format", "kvcache", check=False,
                   env={"PATH": str(tmp_path)})
    assert proc.returncode == 1
    assert f"{packed}: is zstd-compressed, and reading it needs the 'zstd' program, which is not installed" \
        in proc.stderr
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(trace_mod.TraceError, match="is zstd-compressed, and reading it needs the 'zstd' program"):
        trace_mod.detect_format(packed)


def test_damaged_compressed_data_is_named(tmp_path):
    packed = compressed(KVCACHE, tmp_path, "zstd")
    cut = tmp_path / "cut.csv.zst"
    cut.write_bytes(packed.read_bytes()[:-12])
    proc = convert(cut, tmp_path / "k.dstrace", "--format", "kvcache", check=False)
    assert proc.returncode == 1 and f"{cut}: 'zstd -dc' failed" in proc.stderr
    assert not (tmp_path / "k.dstrace").exists()
    bad_gzip = tmp_path / "bad.csv.gz"
    bad_gzip.write_bytes(gzip.compress(b"set,a\n")[:8] + b"\xff" * 30)
    with pytest.raises(trace_mod.TraceError, match=r"bad\.csv\.gz: gzip-compressed, and its data cannot be"):
        trace_mod.detect_format(bad_gzip)


def test_empty_and_binary_files_say_so(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(trace_mod.TraceError, match=r"empty\.csv: empty file"):
        trace_mod.detect_format(empty)
    assert f"{empty}: empty file" in convert(empty, tmp_path / "o", "--format", "csv", check=False).stderr
    binary = tmp_path / "block.lis"
    binary.write_bytes(b"\x00\xb5\x1b[2J,\x07\n")
    with pytest.raises(trace_mod.TraceError) as e:
        trace_mod.detect_format(binary)
    assert "the first line is binary ('\\x00\\xb5\\x1b[2J,\\x07')" in str(e.value)


def test_control_bytes_are_escaped_in_messages(tmp_path):
    src = tmp_path / "ctl.csv"
    src.write_bytes(b"set,a\n\x1b]0;owned\x07,b\n")
    proc = convert(src, tmp_path / "o.dstrace", "--format", "csv", check=False)
    assert proc.returncode == 1
    assert f"{src}: line 2: unknown op '\\x1b]0;owned\\x07'" in proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    study = subprocess.run([str(ROOT / "scripts" / "study"), "run", "--no-build", "--trace", str(src),
                            "--trace-format", "csv", "--results-dir", str(tmp_path / "r")], cwd=ROOT,
                           capture_output=True)
    if BENCH.exists():
        assert study.returncode == 2 and b"\x1b" not in study.stderr
        assert b"line 2: unknown op '\\x1b]0;owned\\x07'" in study.stderr
