"""How long a cell takes: a model fitted on measured cell wall times.

A cell's wall time is its memory process, its repetitions (each a cold and a
warm pass, plus the latency pass when on) and the idle probes of its
workload's memory pass (sleeping, the same whatever runs):

    wall = idle + W x shape(reps, latency reps),
    shape(r, l) = (F + r + L x l) / (F + 1 + L)

W is the cell's work in the units of one repetition with the latency pass
(shape(1, 1) = 1), F the fixed part (memory process, stream generation,
harness overhead) and L what one latency pass adds to a repetition, both in
units of a repetition without it; l is the number of repetitions that run
the latency pass: every one (r) unless the run's settings name
`latency_repetitions` (the first min(that, r) of them), none without the
latency pass. A latency pass costs the same whichever repetition runs it, so
the rule needs no new calibration: every observation says how many of its
repetitions ran one (those of a run before the setting existed: all of
them). F and L are fitted, per size, on cells measured at several repetition
counts and latency settings in one session (within half an hour: the load of
a shared machine drifts over hours).

log W is modelled per size (a ranking in cache says little about one beyond
it) as main effects, fitted by backfitting on every measured cell of that
size: impl + workload + kv + allocator + machine (CPU model) + beta x
log(1 + the other processes' runnable threads per core while it ran, from
its sidecar: a shared machine's load doubles a cell's time), plus what a
measured cell adds beyond them (a sorted vector's inserts are O(n) on one
workload and not on another): the mean residual of the same impl, workload
and kv (or, failing that, impl and workload) when measured. A cell measured
before is thus predicted from its own time; an unmeasured one from the
effects of its impl, workload, kv and allocator. A level never measured at
that size counts as average (and the plan says so); a size with no measured
cell has no estimate.

A cell that timed out is an observation at its timeout, a lower bound: the
estimate it gives is low, never high. An implementation whose every measured
cell at a size timed out (sorted arrays with O(n) inserts at a million keys)
is expected to time out in every cell at that size. Every estimate is capped
at the run's timeout, since the runner kills a cell there.

The observations: calibration.json (cells measured on the machine the study
was developed on; it says how and when) and the cells of the newest earlier
runs in the results folder (each record keeps its duration_s). Predictions
are for a quiet machine (no other load), of the kind of the newest earlier
run when there is one (a cluster's nodes after a first run there), else of
the calibration machine.
"""
import json
import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import store

CALIBRATION = Path(__file__).resolve().parent / "calibration.json"
FACTORS = ("impl", "workload", "kv", "allocator", "machine")
FIT_ROUNDS = 60
SHAPE_ROUNDS = 6  # shape, then load effect, in turn, at most this often
# Grid for the shape's F and L (units of one repetition without latency).
F_GRID = [x / 20 for x in range(0, 121)]
L_GRID = [x / 20 for x in range(0, 81)]
KILL_S = 1.0  # what killing a timed-out cell adds to its timeout
# Times of one cell taken further apart than this are of different sessions
# (another load on the machine): the shape is fitted within sessions.
SESSION_GAP_S = 1800
# Earlier runs read (the newest): enough to learn a machine and the cells
# run lately, few enough that a plan starts in a second or two.
HISTORY_RUNS = 20


class CalibrationError(ValueError):
    pass


@dataclass(frozen=True)
class Observation:
    impl: str
    workload: str
    kv: str
    allocator: str
    size: str
    reps: int
    latency: bool
    wall_s: float
    idle_s: float | None  # None: not known (a cell that failed before its memory pass ended)
    timed_out: bool
    machine: str | None   # CPU model
    started: str = ""     # when it ran (ISO 8601), to find the newest machine
    # other processes' runnable threads per core while it ran (the sidecar's
    # machine_load: load average less the cell's threads, over the cores);
    # None when not known (a cell that failed without a sidecar)
    load: float | None = None
    # repetitions that ran the latency pass; None: every one when latency is
    # on (a run made before `latency_repetitions` existed)
    latency_reps: int | None = None

    COLUMNS = ("impl", "workload", "kv", "allocator", "size", "reps", "latency", "wall_s",
               "idle_s", "timed_out", "machine", "started", "load", "latency_reps")

    def row(self):
        return [getattr(self, c) for c in self.COLUMNS]

    @property
    def timed_reps(self):
        """How many of its repetitions ran the latency pass."""
        return latency_repetitions(self.reps, self.latency, self.latency_reps)


def latency_repetitions(reps, latency, limit=None):
    """Repetitions that run the latency pass: none without it, else the first
    `limit` of them (dstudy_bench --latency-repetitions), or every one when
    there is no limit."""
    if not latency:
        return 0
    return min(int(reps), int(limit)) if limit else int(reps)


def idle_seconds(sidecar):
    """Seconds the memory pass slept for its idle probes: the last probe of
    each phase that has them (the probes of a phase are cumulative)."""
    memory = (sidecar or {}).get("memory") or {}
    total = 0.0
    for phase in memory.get("phase_end") or []:
        probes = [p.get("seconds") or 0.0 for p in phase.get("after_idle") or []]
        total += max(probes, default=0.0)
    return total


def others_load(machine_load):
    """Runnable threads of other processes per core, from a sidecar's
    machine_load (None when it does not say)."""
    ml = machine_load or {}
    if ml.get("loadavg_1m") is None or not ml.get("cores"):
        return None
    return round(max(ml["loadavg_1m"] - (ml.get("cell_threads") or 1), 0.0) / ml["cores"], 3)


def observation(record, settings, manifest_machine=None):
    """The record of a cell that ran to its end or to its timeout, as an
    observation; None for other failures (their time says nothing about the
    cell's)."""
    failure = record.get("failure") or {}
    timed_out = record.get("status") != "ok" and failure.get("reason") == "timeout"
    if (record.get("status") != "ok" and not timed_out) or record.get("duration_s") is None:
        return None
    sidecar = record.get("sidecar") if isinstance(record.get("sidecar"), dict) else None
    env = (sidecar or {}).get("environment") or {}
    return Observation(impl=record["impl"], workload=record["workload"], kv=record["kv"],
                       allocator=record["allocator"], size=record["size"],
                       reps=int(settings["repetitions"]), latency=bool(settings["latency"]),
                       latency_reps=latency_repetitions(settings["repetitions"], settings["latency"],
                                                        settings.get("latency_repetitions")),
                       wall_s=float(record["duration_s"]),
                       idle_s=idle_seconds(sidecar) if sidecar else None, timed_out=timed_out,
                       machine=env.get("cpu_model") or manifest_machine,
                       started=record.get("started") or "",
                       load=others_load((sidecar or {}).get("machine_load")))


def run_observations(run_dir):
    """(observations, run timing) of one run folder; run timing is
    {cells, wall_s, cells_s} when the run finished, else None."""
    manifest = store.read_json(Path(run_dir) / store.MANIFEST)
    settings = manifest.get("settings") or {}
    if "repetitions" not in settings or "latency" not in settings:
        return [], None
    machine = (manifest.get("environment") or {}).get("cpu_model")
    records = store.load_cells(run_dir)
    obs = [o for o in (observation(r, settings, machine) for r in records.values()) if o]
    timing = None
    if manifest.get("finished") and manifest.get("started") and records and not manifest.get("resumed"):
        wall = _seconds_between(manifest["started"], manifest["finished"])
        timing = {"cells": len(records), "wall_s": wall,
                  "cells_s": round(sum(r.get("duration_s") or 0.0 for r in records.values()), 3)}
    return obs, timing


def _seconds_between(a, b):
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds()


def run_folders(results_dir, depth=2):
    """The run folders under results_dir (not merged ones, whose cells are
    their shards'; not the `latest` link), down to depth levels (the shards
    of a batch run sit one level lower)."""
    out, results_dir = [], Path(results_dir)
    if not results_dir.is_dir():
        return out
    for p in sorted(results_dir.iterdir()):
        if p.is_symlink() or not p.is_dir() or p.name.startswith("."):
            continue
        manifest = p / store.MANIFEST
        if manifest.is_file():
            try:
                if "merged_from" not in store.read_json(manifest):
                    out.append(p)
            except (OSError, ValueError):
                pass
        elif depth > 1:
            out.extend(run_folders(p, depth - 1))
    return out


def history(results_dir, newest=HISTORY_RUNS):
    """Observations of the newest earlier runs under results_dir, and how
    many runs gave some."""
    obs, runs = [], 0
    folders = sorted(run_folders(results_dir), key=_mtime, reverse=True)[:newest]
    for d in folders:
        try:
            o, _ = run_observations(d)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a readable run folder: it teaches nothing
        obs.extend(o)
        runs += bool(o)
    return obs, runs


def _mtime(run_dir):
    """When a run folder last changed (its manifest is rewritten after each cell)."""
    try:
        return (Path(run_dir) / store.MANIFEST).stat().st_mtime
    except OSError:
        return 0.0


def read_calibration(path=CALIBRATION):
    try:
        data = store.read_json(path)
        cols = data["columns"]
        obs = [Observation(**dict(zip(cols, row))) for row in data["cells"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CalibrationError(f"{path}: not a readable calibration file ({e})") from e
    return obs, data


def write_calibration(path, run_dirs, about):
    """calibration.json from run folders: every observation, and the runs'
    own timings (the runner's time between cells)."""
    obs, runs = [], []
    for d in run_dirs:
        o, timing = run_observations(d)
        obs.extend(o)
        if timing:
            runs.append(dict(timing, run=Path(d).name))
    if not obs:
        raise CalibrationError("no cell in these folders ran to its end or its timeout")
    return dump_calibration(path, obs, runs, about)


def dump_calibration(path, obs, runs, about):
    """Writes the calibration file: what it is, the runs' timings and one
    observation a line (small, and a diff shows what changed)."""
    data = {"about": about, "machines": sorted({o.machine for o in obs if o.machine}), "runs": runs,
            "columns": list(Observation.COLUMNS), "cells": [o.row() for o in obs]}

    def write(f):
        head = {k: v for k, v in data.items() if k != "cells"}
        f.write(json.dumps(head, indent=1)[:-2] + ',\n "cells": [\n')
        f.write(",\n".join("  " + json.dumps(o.row()) for o in obs))
        f.write("\n ]\n}\n")
    store.write_text(path, write)
    return data


def sessions(obs, gap_s=SESSION_GAP_S):
    """obs (of one cell) split where more than gap_s pass between two
    starts: a machine's load drifts over hours, so only times taken close
    together tell a cell's repetitions apart from the load."""
    out = []
    for o in sorted(obs, key=lambda o: o.started):
        if out and _seconds_between(out[-1][-1].started, o.started) <= gap_s:
            out[-1].append(o)
        else:
            out.append([o])
    return out


def fit_shape(obs, beta=0.0):
    """(F, L) from cells measured at more than one (repetitions, latency) in
    one session: the grid point with the least squared log error, each
    session's own scale fitted in closed form; beta takes the load's effect
    out of each time first (SizeModel)."""
    cells = {}
    for o in obs:
        if not o.timed_out and o.idle_s is not None and o.started:
            cells.setdefault((o.impl, o.workload, o.kv, o.allocator, o.size, o.machine), []).append(o)
    groups = [[(o.reps, o.timed_reps, math.log(max(o.wall_s - o.idle_s, 1e-3)) - beta * load_term(o.load))
               for o in session]
              for same in cells.values() for session in sessions(same)]
    groups = [g for g in groups if len({(r, lat) for r, lat, _ in g}) > 1]
    if not groups:
        raise CalibrationError("no cell was measured at two repetition counts or latency settings in "
                               "one session; the model cannot tell the fixed part of a cell from its "
                               "repetitions")
    best = None
    for f in F_GRID:
        for lat in L_GRID:
            err = 0.0
            for g in groups:
                logs = [y - math.log(f + r + lat * timed) for r, timed, y in g]
                mean = sum(logs) / len(logs)
                err += sum((x - mean) ** 2 for x in logs)
            if best is None or err < best[0]:
                best = (err, f, lat)
    return best[1], best[2]


@dataclass
class Estimate:
    seconds: float | None      # None: no measured cell of this size
    basis: str                 # "measured", "model", "timeout" or "none"
    unknown: tuple = ()        # the factors (impl, workload, ...) never measured at this size
    # where the seconds go: {part: seconds} over PARTS (a cell expected to
    # time out is all "timeout"); empty without an estimate
    parts: dict = field(default_factory=dict)


# The parts of a cell's time, as the model splits it (the module docstring):
# the fixed part F (stream, growth point, memory process, harness overhead),
# the repetitions' cold and warm passes, their latency passes, the memory
# pass's sleep for its idle probes, and the cells expected to be killed at
# the timeout.
PARTS = {"fixed": "fixed part per cell (stream, growth point, memory pass, process start)",
         "passes": "repetitions' cold and warm passes",
         "latency": "repetitions' latency passes",
         "idle": "idle probes' sleep",
         "timeout": "cells at the timeout"}


def load_term(load):
    """The load covariate: log(1 + other runnable threads per core); 0 on a
    quiet machine (and when the load is not known)."""
    return math.log1p(load or 0.0)


class SizeModel:
    """The main effects, the load's effect and the measured residuals of
    log W at one size. rows: (levels, load term, log W)."""

    def __init__(self, rows):
        self.mu = statistics.fmean(y for _, _, y in rows)
        self.effects = {f: {} for f in FACTORS}
        self.beta = 0.0  # log W per unit of the load term
        xx = sum(x * x for _, x, _ in rows)
        for _ in range(FIT_ROUNDS):
            for f in FACTORS:
                sums = {}
                for levels, x, y in rows:
                    rest = y - self.mu - self.beta * x - sum(self.effects[g].get(levels[g], 0.0)
                                                             for g in FACTORS if g != f)
                    sums.setdefault(levels[f], []).append(rest)
                self.effects[f] = {lv: statistics.fmean(v) for lv, v in sums.items()}
            if xx > 0:
                self.beta = sum(x * (y - self.main(levels)) for levels, x, y in rows) / xx
        self.cell_residual, self.pair_residual = {}, {}
        for levels, x, y in rows:
            r = y - self.main(levels) - self.beta * x
            self.cell_residual.setdefault((levels["impl"], levels["workload"], levels["kv"]), []).append(r)
            self.pair_residual.setdefault((levels["impl"], levels["workload"]), []).append(r)
        self.cell_residual = {k: statistics.fmean(v) for k, v in self.cell_residual.items()}
        self.pair_residual = {k: statistics.fmean(v) for k, v in self.pair_residual.items()}

    def main(self, levels):
        return self.mu + sum(self.effects[f].get(levels[f], 0.0) for f in FACTORS)

    def log_work(self, levels, load=0.0):
        """(log W at this load, measured?, factors never seen)."""
        unknown = tuple(f for f in FACTORS if f != "machine" and levels[f] not in self.effects[f])
        cell = (levels["impl"], levels["workload"], levels["kv"])
        base = self.main(levels) + self.beta * load_term(load)
        if cell in self.cell_residual:
            return base + self.cell_residual[cell], True, unknown
        return base + self.pair_residual.get(cell[:2], 0.0), False, unknown


class CostModel:
    def __init__(self, observations, overhead_s=0.0, machine=None):
        if not observations:
            raise CalibrationError("no observation to fit the cost model on")
        self.observations = list(observations)
        self.overhead_s = overhead_s
        self.machine = machine or newest_machine(self.observations)
        self.idle = {}
        for o in self.observations:
            if o.idle_s is not None:
                self.idle.setdefault((o.workload, o.size), []).append(o.idle_s)
        self.idle = {k: statistics.median(v) for k, v in self.idle.items()}
        # The shape wants times without the load's effect, the load's effect
        # wants works without the shape: fit one, then the other, until the
        # load's effect settles.
        betas = {}
        for _ in range(SHAPE_ROUNDS):
            self.fit_shapes(betas)
            self.sizes = self.fit_sizes()
            settled = betas and all(abs(m.beta - betas[s]) < 1e-3 for s, m in self.sizes.items())
            betas = {size: model.beta for size, model in self.sizes.items()}
            if settled:
                break
        # size -> impls of which every cell measured at that size timed out
        self.always_timed_out = {}
        for size in self.sizes:
            impls = {}
            for o in self.observations:
                if o.size == size:
                    impls.setdefault(o.impl, set()).add(o.timed_out)
            self.always_timed_out[size] = {i for i, outcomes in impls.items() if outcomes == {True}}

    def fit_shapes(self, betas):
        """The shape per size where a size has cells measured two ways (the
        fixed part weighs more in a small cell), else the one of them all."""
        self.F, self.L = fit_shape(self.observations, statistics.fmean(betas.values()) if betas else 0.0)
        self.shapes = {}
        for size in {o.size for o in self.observations}:
            try:
                self.shapes[size] = fit_shape([o for o in self.observations if o.size == size],
                                              betas.get(size, 0.0))
            except CalibrationError:
                self.shapes[size] = (self.F, self.L)

    def fit_sizes(self):
        rows_by_size = {}
        for o in self.observations:
            idle = o.idle_s if o.idle_s is not None else self.idle.get((o.workload, o.size), 0.0)
            work = max(o.wall_s - idle, 1e-3) / self.shape(o.reps, o.timed_reps, o.size)
            levels = {"impl": o.impl, "workload": o.workload, "kv": o.kv, "allocator": o.allocator,
                      "machine": o.machine}
            rows_by_size.setdefault(o.size, []).append((levels, load_term(o.load), math.log(work)))
        return {s: SizeModel(rows) for s, rows in rows_by_size.items()}

    def shape(self, reps, timed_reps, size):
        """shape(r, l) of the module docstring: reps repetitions, timed_reps
        of them with the latency pass."""
        f, lat = self.shapes.get(size, (self.F, self.L))
        return (f + reps + lat * timed_reps) / (f + 1 + lat)

    def slowdown(self, size, load):
        """How much longer a cell's work takes beside `load` other runnable
        threads per core than on a quiet machine (the fitted load effect)."""
        model = self.sizes.get(size)
        return math.exp(model.beta * load_term(load)) if model else 1.0

    def estimate(self, cell, size, settings, load=0.0):
        """Estimate of one cell (cells.Cell) at size, with the run's settings
        (repetitions, latency, timeout_s), on a machine with `load` other
        runnable threads per core (default: a quiet one)."""
        model = self.sizes.get(size)
        if model is None:
            return Estimate(None, "none", ("size",))
        levels = {"impl": cell.impl, "workload": cell.workload, "kv": cell.kv,
                  "allocator": cell.allocator, "machine": self.machine}
        log_w, measured, unknown = model.log_work(levels, load)
        timed = latency_repetitions(settings["repetitions"], settings["latency"],
                                    settings.get("latency_repetitions"))
        parts = self.parts(math.exp(log_w), settings["repetitions"], timed, size)
        parts["idle"] = self.idle.get((cell.workload, size), 0.0)
        seconds = sum(parts.values())
        timeout = settings.get("timeout_s")
        if timeout and (seconds >= timeout or cell.impl in self.always_timed_out[size]):
            return Estimate(timeout + KILL_S, "timeout", unknown, {"timeout": timeout + KILL_S})
        return Estimate(seconds, "measured" if measured else "model", unknown, parts)

    def parts(self, work, reps, timed_reps, size):
        """W x shape(reps, timed_reps) split into its fixed part, its timed
        passes and its latency passes (seconds)."""
        f, lat = self.shapes.get(size, (self.F, self.L))
        unit = work / (f + 1 + lat)  # one repetition's cold and warm passes
        return {"fixed": f * unit, "passes": reps * unit, "latency": timed_reps * lat * unit}


def newest_machine(observations):
    dated = [o for o in observations if o.machine and o.started]
    return max(dated, key=lambda o: o.started).machine if dated else None


def load(results_dir=None, calibration=CALIBRATION):
    """The model from calibration.json and the earlier runs under
    results_dir; (model, description of its sources)."""
    obs, data = read_calibration(calibration)
    runs = data.get("runs") or []
    cells = sum(r["cells"] for r in runs)
    overhead = max(sum(r["wall_s"] - r["cells_s"] for r in runs) / cells, 0.0) if cells else 0.0
    hist, hist_runs = history(results_dir) if results_dir else ([], 0)
    # the newest earlier run's machine when there is one, else the calibration's
    machine = newest_machine(hist) or newest_machine(obs)
    model = CostModel(obs + hist, overhead, machine)
    sources = f"{len(obs)} calibration cells ({', '.join(data.get('machines') or ['?'])})"
    if hist:
        sources += f" + {len(hist)} cells of {hist_runs} earlier run{'s' * (hist_runs != 1)} in {results_dir}"
    return model, sources
