"""Figures drawn in worker processes come back in job order, with the run."""
import os

from dstudy_report.parallel import draw_figures


def _tag(run, outdir, name):
    return None if name == "skip" else (run["id"], outdir, name, os.getpid())


def test_parallel_keeps_job_order_and_drops_missing_figures():
    jobs = [(_tag, (n,)) for n in ("a", "skip", "b", "c", "d")]
    got = draw_figures({"id": 7}, "out", jobs, processes=2)
    assert [g[:3] for g in got] == [(7, "out", n) for n in "abcd"]


def test_one_process_draws_in_this_process():
    got = draw_figures({"id": 1}, "o", [(_tag, ("a",))], processes=1)
    assert got == [(1, "o", "a", os.getpid())]
