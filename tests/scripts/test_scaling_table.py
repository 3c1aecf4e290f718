"""reports/reference/scaling.py: the thread-scaling table and curve come from
the sidecars alone (medians and ranges over rounds, speed-up over one thread,
same-round ratios to each peer, the lag peak), and a folder with no cells is a
clear error."""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "reports" / "reference" / "scaling.py"

# (impl, threads, round) -> Mops/s; concurrent_map is 2x tbb in every round.
RATES = {
    ("concurrent_map", 1, 1): 4.0, ("concurrent_map", 1, 2): 6.0, ("concurrent_map", 1, 3): 5.0,
    ("concurrent_map", 4, 1): 20.0, ("concurrent_map", 4, 2): 16.0, ("concurrent_map", 4, 3): 18.0,
    ("tbb_concurrent_hash_map", 1, 1): 2.0, ("tbb_concurrent_hash_map", 1, 2): 3.0,
    ("tbb_concurrent_hash_map", 1, 3): 2.5,
    ("tbb_concurrent_hash_map", 4, 1): 10.0, ("tbb_concurrent_hash_map", 4, 2): 8.0,
    ("tbb_concurrent_hash_map", 4, 3): 9.0,
}


def sidecar(rate, lag=None, competing=False):
    phase = {"phase": "churn", "internals": {} if lag is None else {"reclaim_pending_peak_bytes": lag}}
    return {"throughput": {"headline": {"median_ops_per_second": rate * 1e6}},
            "machine_load": {"competing": competing},
            "memory": {"phase_end": [phase]}}


def write_cells(root):
    for (impl, threads, rnd), rate in RATES.items():
        d = root / f"{impl}.t{threads}.{rnd}"
        d.mkdir(parents=True)
        lag = 1000 * threads + rnd if impl == "concurrent_map" else None
        (d / "sidecar.json").write_text(json.dumps(sidecar(rate, lag, competing=(rnd == 3 and threads == 4))))


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def test_table_ratios_speedup_and_lag(tmp_path):
    cells = tmp_path / "scaling"
    write_cells(cells)
    png = tmp_path / "curve.png"
    r = run(cells, png)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    row = next(line for line in lines if line.startswith("concurrent_map") and "(" in line)
    assert "5.00 (4.0-6.0)" in row and "18.00 (16.0-20.0)" in row
    speedup = lines[lines.index("speed-up over the same implementation at 1 thread (medians)") + 1]
    assert speedup.split()[1:] == ["1.00", "3.60"]
    ratio = next(line for line in lines if line.startswith("/ tbb_concurrent_hash_map"))
    assert ratio.count("2.00x (2.00-2.00)") == 2
    assert "1 thr: 1003, 4 thr: 4003" in r.stdout
    assert "cells measured beside another process: 2 of 12" in r.stdout
    assert (png.exists() and png.stat().st_size > 0) or "no plot drawn" in r.stdout


def test_no_cells_is_an_error(tmp_path):
    r = run(tmp_path)
    assert r.returncode != 0
    assert "no sidecar.json under" in r.stderr
