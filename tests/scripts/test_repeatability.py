"""scripts/repeatability on the stand-in bench: both checks' tables in the
markdown it writes, a failing bound turns into exit 1 with FAIL, and usage
errors exit 2 with a message (the figures themselves are timings, checked
only where the script is run on an idle machine)."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "repeatability"
FAKE = Path(__file__).resolve().parent / "fake_bench.py"
CELL = ["--impl", "alpha", "--impls", "alpha,beta", "--workload", "churn", "--pin", "0"]


def run(*args):
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_both_checks_pass_and_write_their_tables(tmp_path):
    out = tmp_path / "r.md"
    p = run("--bench", FAKE, *CELL, "--processes", 2, "--runs", 1, "--markdown", out)
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "2 of 2 processes have max/min <= 1.10" in text and text.count("pass") >= 2
    assert "| 1 | 1.000 (" in text and "alpha: mimalloc / glibc" in text


def test_a_bound_the_repetitions_miss_fails(tmp_path):
    # the stand-in's three repetitions are 2% apart
    p = run("--bench", FAKE, *CELL, "--processes", 2, "--runs", 0, "--max-ratio", 1.01)
    assert p.returncode == 1
    assert "0 of 2 processes have max/min <= 1.01 (needed: 2): FAIL" in p.stdout


def test_usage_errors_say_what_is_wrong(tmp_path):
    p = run("--bench", tmp_path / "missing", *CELL)
    assert p.returncode == 2 and "does not exist" in p.stderr
    p = run("--bench", FAKE, *CELL, "--allocators", "glibc")
    assert p.returncode == 2 and "exactly two" in p.stderr
    p = run("--bench", FAKE, *CELL, "--allocators", "glibc,nosuch")
    assert p.returncode == 2 and "unknown allocator nosuch" in p.stderr
