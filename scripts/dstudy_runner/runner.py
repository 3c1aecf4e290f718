"""Runs cells one at a time, one process each, and records every outcome."""
import ctypes
import ctypes.util
import functools
import os
import shlex
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from . import REPO_ROOT, bench, outcome, store

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Interrupted(Exception):
    """SIGTERM (or SIGINT) arrived: stop, keep what is written, resume later."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Stopper:
    """Turns SIGTERM / SIGINT into Interrupted, except while a cell process is
    being started: there the exception would leave the new process running
    with nobody to kill it (Popen has not returned it yet), so the signal
    waits until run_cell can kill the process."""

    def __init__(self):
        self.deferring, self.pending = False, None

    def handler(self, signum, frame):
        if self.deferring:
            self.pending = signum
        else:
            raise Interrupted(signum)

    @contextmanager
    def deferred(self):
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False

    def check(self):
        if self.pending is not None:
            raise Interrupted(self.pending)


@functools.lru_cache(maxsize=None)
def _libc():
    """libc, for prctl; None where there is none to load. Looked up in the
    runner, never between fork and exec (find_library may start programs)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def _die_with_runner(libc):
    """A preexec_fn: SIGKILL the cell's process when the runner dies. The
    cell runs in a session of its own (so a signal meant for the runner does
    not reach it half-way); without this, a runner killed with SIGKILL (a
    batch job's hard kill, a crash) would leave the cell running and writing
    into a raw folder that a resumed run is using."""
    def preexec():
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return preexec


def pin_prefix(pin):
    if not pin:
        return []
    if shutil.which("taskset") is None:
        raise RuntimeError("--pin needs taskset (util-linux)")
    return ["taskset", "-c", str(pin)]


def pin_cpus(pin):
    """How many CPUs a taskset list names: '1' -> 1, '0,2' -> 2, '0-3,8' -> 5."""
    n = 0
    for part in str(pin).split(","):
        lo, _, hi = part.partition("-")
        n += int(hi) - int(lo) + 1 if hi else 1
    return n


def cell_pin(pin, threads):
    """The CPUs a cell is pinned to: --pin's, unless the cell runs more
    threads than they hold; then none, so that its threads run side by side
    instead of taking turns on too few CPUs (which would measure the
    scheduler, not the map)."""
    return pin if pin and pin_cpus(pin) >= threads else None


def cell_command(plan, cell, out_dir):
    allocator = plan.allocators[cell.allocator]
    argv = bench.cell_argv(plan.bench, cell, plan.settings, out_dir, allocator.family,
                           plan.workloads_dir, plan.seed, plan.pace, plan.open_loop_of(cell),
                           plan.stream_cache)
    return pin_prefix(cell_pin(plan.pin, cell.threads)) + argv


def printable(plan, cell, out_dir):
    env = plan.allocators[cell.allocator].settings()
    words = [f"{k}={shlex.quote(v)}" for k, v in env.items()]
    return " ".join((["env"] + words if words else []) +
                    [shlex.quote(a) for a in cell_command(plan, cell, out_dir)])


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_cell(plan, cell, run_dir, tick=None, stopper=None):
    """One process for one cell; returns the cell's record (never raises for
    a failing cell; raises Interrupted / KeyboardInterrupt after killing it)."""
    stopper = stopper or Stopper()
    raw = Path(run_dir) / store.RAW / cell.file_stem
    shutil.rmtree(raw, ignore_errors=True)
    store.make_folder(raw)
    argv = cell_command(plan, cell, raw)
    env = plan.allocators[cell.allocator].environment(os.environ)
    timeout = plan.settings["timeout_s"]
    started, t0 = store.utc_now(), time.monotonic()
    timed_out = False
    try:
        out, err = open(raw / "stdout.txt", "wb"), open(raw / "stderr.txt", "wb")
    except OSError as e:
        raise store.write_error(raw, e) from e
    with out, err:
        try:
            with stopper.deferred():
                proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=REPO_ROOT,
                                        start_new_session=True, preexec_fn=_die_with_runner(_libc()))
        except OSError as e:
            err.write(f"study: cannot start {argv[0]}: {e}\n".encode())
            returncode = 127
        else:
            try:
                stopper.check()
                while True:
                    left = timeout - (time.monotonic() - t0) if timeout else 1.0
                    if timeout and left <= 0:
                        _kill_group(proc)
                        timed_out = True
                        break
                    try:
                        proc.wait(timeout=min(1.0, left))
                        break
                    except subprocess.TimeoutExpired:
                        if tick:
                            tick()
            except BaseException:
                _kill_group(proc)
                raise
            returncode = proc.returncode
    duration = time.monotonic() - t0
    stderr = (raw / "stderr.txt").read_text(errors="replace")
    status, failure, sidecar = outcome.classify(returncode, timed_out, stderr, raw, timeout)
    # gbench.json stays in the raw folder (compare.py reads it there); the
    # sidecar moves into the record (execute() drops the raw copy once the
    # record is on disk), its memory series as columns
    return {"id": cell.id, "impl": cell.impl, "workload": cell.workload, "kv": cell.kv,
            "allocator": cell.allocator, "threads": cell.threads, "size": plan.size_of(cell),
            "status": status, "failure": failure, "sidecar": store.columnar_series(sidecar),
            "started": started, "duration_s": round(duration, 3),
            "command": printable(plan, cell, raw),
            "raw_dir": str(Path(store.RAW) / cell.file_stem)}


def todo(plan, records, retry_failed=False):
    """Cells still to run: those with no record (and failed ones if asked;
    a cell that was not applicable stays so)."""
    return [c for c in plan.cells
            if c.id not in records
            or (retry_failed and records[c.id].get("status") not in ("ok", outcome.NOT_APPLICABLE))]


def execute(plan, run_dir, records, progress, on_record, retry_failed=False):
    """Runs the cells left to run. on_record(records) is called after each
    cell is written. Raises Interrupted / KeyboardInterrupt when stopped."""
    # SIGINT too: a run started in the background of a non-interactive shell
    # inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
    stopper = Stopper()
    old = {sig: signal.signal(sig, stopper.handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for cell in todo(plan, records, retry_failed):
            progress.start(cell)
            record = run_cell(plan, cell, run_dir, tick=progress.tick, stopper=stopper)
            store.write_cell(run_dir, record)
            store.drop_raw_sidecar(run_dir, record)  # stored once: in the record
            records[cell.id] = record
            progress.finish(record)
            on_record(records)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
