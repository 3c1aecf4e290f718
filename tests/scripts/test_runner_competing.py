"""Cells measured beside another process (sidecar machine_load.competing)
are named as they finish and counted in the summary and the manifest."""
import io

from runner_helpers import latest, load_results, validate_results
from dstudy_runner.cells import Cell
from dstudy_runner.progress import Progress

REASON = "other processes kept 0.90 cores busy (> 0.5)"


def test_competing_cells_are_warned_about_and_counted(study, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_BENCH_COMPETING", "beta")
    assert study("run", "--workload", "churn,drain", "--allocator", "glibc") == 0  # still ok
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "beside another process:" in line]
    assert warnings == [f"warning: beta/{w}/u64/glibc measured beside another process: {REASON}"
                        for w in ("churn", "drain")]
    assert "done: 6 ok, 0 failed, 2 cells measured beside another process;" in err
    doc = load_results(latest(tmp_path))
    validate_results(doc)
    assert doc["manifest"]["cells_competing"] == 2


def test_a_quiet_machine_says_so(study, tmp_path, capsys):
    assert study("run", "--workload", "drain", "--impl", "alpha", "--allocator", "glibc") == 0
    err = capsys.readouterr().err
    assert "beside another process:" not in err
    assert "1 ok, 0 failed, 0 cells measured beside another process" in err
    assert load_results(latest(tmp_path))["manifest"]["cells_competing"] == 0


def test_terminal_progress_keeps_the_warning_line():
    stream = io.StringIO()
    p = Progress(total=1, stream=stream, tty=True)
    cell = Cell("beta", "drain", "u64", "glibc")
    p.start(cell)
    p.finish({"id": cell.id, "status": "ok", "failure": None, "duration_s": 0.1,
              "sidecar": {"machine_load": {"competing": True, "reason": "steal 12% (> 5)"}}})
    p.close()
    assert "\r\x1b[Kwarning: beta/drain/u64/glibc measured beside another process: steal 12% (> 5)\n" \
        in stream.getvalue()


def test_failed_cells_are_not_counted_as_competing():
    from dstudy_runner.manifest import competing, tally
    load = {"machine_load": {"competing": True, "reason": "r"}}
    ok = {"id": "a", "status": "ok", "sidecar": load}
    failed = {"id": "b", "status": "failed", "sidecar": load,
              "failure": {"reason": "check", "exit_code": 3, "signal": None}}
    assert competing(ok) == "r" and competing(failed) is None
    assert competing({"id": "c", "status": "ok", "sidecar": None}) is None
    assert tally([ok, failed])["cells_competing"] == 1
