"""Draws a report's figures in worker processes, one figure per job.

Each job is (function, args) and draws function(run, outdir, *args), which
returns a FigureFile or None. The workers are forked, so they share the
loaded run instead of receiving a copy; only the small arguments and the
FigureFile results cross between processes. Results keep the jobs' order."""
import multiprocessing
import os

_RUN = None   # the run being drawn, inherited by the forked workers


def _draw(job):
    function, outdir, args = job
    return function(_RUN, outdir, *args)


def default_processes():
    """The CPUs this process may use (DSTUDY_REPORT_JOBS overrides)."""
    env = os.environ.get("DSTUDY_REPORT_JOBS")
    if env:
        return max(1, int(env))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def draw_figures(run, outdir, jobs, processes=None):
    global _RUN
    processes = min(processes or default_processes(), len(jobs))
    work = [(function, outdir, args) for function, args in jobs]
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        figures = [function(run, outdir, *args) for function, outdir, args in work]
    else:
        _RUN = run
        try:
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                figures = pool.map(_draw, work, chunksize=1)
        finally:
            _RUN = None
    return [f for f in figures if f is not None]
