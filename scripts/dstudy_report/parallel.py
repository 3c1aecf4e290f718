"""Draws a report's figures in worker processes, one figure per job, with a
progress line once drawing takes more than a few seconds.

Each job is (function, args) and draws function(run, figdir, *args), which
returns a FigureFile or None. The workers are forked, so they share the
loaded run instead of receiving a copy; only the small arguments and the
FigureFile results cross between processes. Results keep the jobs' order."""
import multiprocessing
import os
import sys
import time

_RUN = None   # the run being drawn, inherited by the forked workers
PROGRESS_AFTER_S = 3.0


def _draw(job):
    function, figdir, args = job
    return function(_RUN, figdir, *args)


def default_processes():
    """The CPUs this process may use (DSTUDY_REPORT_JOBS overrides)."""
    env = os.environ.get("DSTUDY_REPORT_JOBS")
    if env:
        return max(1, int(env))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class Progress:
    """'report: figures 12/75 (6 s)' on stderr, first after PROGRESS_AFTER_S,
    then at most once a second (rewritten in place on a terminal)."""

    def __init__(self, what, total, stream=sys.stderr):
        self.what, self.total, self.stream = what, total, stream
        self.start = self.last = time.monotonic()
        self.shown = False

    def step(self, done):
        now = time.monotonic()
        if now - self.start < PROGRESS_AFTER_S or (now - self.last < 1.0 and done < self.total):
            return
        self.last, self.shown = now, True
        tty = self.stream.isatty()
        self.stream.write(f"{chr(13) if tty else ''}report: {self.what} {done}/{self.total} "
                          f"({now - self.start:.0f} s){'' if tty else chr(10)}")
        self.stream.flush()

    def close(self):
        if self.shown and self.stream.isatty():
            self.stream.write("\n")


def draw_figures(run, figdir, jobs, processes=None):
    global _RUN
    processes = max(1, min(processes or default_processes(), len(jobs)))
    work = [(function, figdir, args) for function, args in jobs]
    progress = Progress("figures", len(work))
    figures = []
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for function, fd, args in work:
            figures.append(function(run, fd, *args))
            progress.step(len(figures))
    else:
        _RUN = run
        try:
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                for fig in pool.imap(_draw, work, chunksize=1):
                    figures.append(fig)
                    progress.step(len(figures))
        finally:
            _RUN = None
    progress.close()
    return [f for f in figures if f is not None]
