"""A quick-run-sized report (400 cells) stays light: report.html well under
10 MB with the figures beside it, rendered on two workers, with a progress
line while the figures are drawn. (How long rendering takes is not asserted:
this machine is shared, and a timing is a measurement, not a test.)"""
import io
import json
import sys

from report_helpers import FIXTURES, run_report

from dstudy_report import parallel
from dstudy_report.matrices import SPECS

sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402

IMPLS = ["tombstone_never", "sorted_vector_lazy", "std_unordered_map"] + [f"peer_map_{k}" for k in range(17)]
WORKLOADS = ["steady_churn", "drain", "zipf_churn", "ttl_window", "drain_miss"]
ALLOCATORS = ["glibc", "jemalloc", "mimalloc", "tcmalloc"]


def test_quick_sized_run_renders_light(tmp_path, monkeypatch):
    doc = make_fixtures.synthetic_run(IMPLS, WORKLOADS, ALLOCATORS)
    assert len(doc["cells"]) == 400
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.json").write_text(json.dumps(doc))
    monkeypatch.setenv("DSTUDY_REPORT_JOBS", "2")
    proc = run_report(tmp_path / "run", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    html = tmp_path / "out" / "report.html"
    assert html.stat().st_size < 2 * 2 ** 20   # the budget is 10 MB; stay far below it
    figures = list((tmp_path / "out" / "figures").glob("*.png"))
    # what the page shows: per workload, and a matrix per metric and allocator (20 containers fit in one)
    assert 0 < len(figures) <= 5 * len(WORKLOADS) + len(SPECS) * len(ALLOCATORS)
    assert sum(f.stat().st_size for f in figures) < 10 * 2 ** 20


def test_progress_line_once_drawing_takes_long(monkeypatch):
    monkeypatch.setattr(parallel, "PROGRESS_AFTER_S", 0.0)
    out = io.StringIO()
    p = parallel.Progress("figures", 3, out)
    for k in (1, 2, 3):
        p.step(k)
    p.close()
    assert out.getvalue().splitlines()[-1].startswith("report: figures 3/3 (")


def test_no_progress_line_for_a_short_job():
    out = io.StringIO()
    p = parallel.Progress("figures", 2, out)
    p.step(1)
    p.step(2)
    p.close()
    assert out.getvalue() == ""
