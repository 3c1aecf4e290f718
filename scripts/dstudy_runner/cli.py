"""scripts/study run | list | merge (docs/running.md)."""
import argparse
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import REPO_ROOT, allocators as alloc_mod, bench, build, cells as cells_mod
from . import manifest as manifest_mod, merge as merge_mod, plan as plan_mod
from . import cost_model, lock, outcome, results, runner, store, timeplan, trace as trace_mod
from . import slurm as slurm_mod
from . import reference as reference_mod
from .contract import RESULTS_SCHEMA_VERSION
from .profiles import PROFILES, ProfileError, settings as profile_settings
from .progress import Progress

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
RESULTS_EVERY_S = 15.0  # results.json is rewritten at most this often mid-run
BUSY_LOAD = 0.5  # runnable threads per core from which the plan says the machine is busy


class UsageError(Exception):
    pass


def err(message):
    print(f"study: {message}", file=sys.stderr, flush=True)


def command_line(argv):
    return " ".join(shlex.quote(a) for a in [os.environ.get("DSTUDY_ARGV0", "scripts/study"), *argv])


def add_selection_args(p):
    p.add_argument("--profile", choices=sorted(PROFILES), default=None,
                   help="quick (default), full, or sweep (the hash maps at live sizes on a log "
                        "scale, one section per point)")
    p.add_argument("--points", metavar="N,N,...",
                   help="with --profile sweep: the live sizes to run (default: the profile's)")
    p.add_argument("--size", metavar="NAME",
                   help="size profile of the workload specs (quick, medium, full, ...) for the "
                        "whole run, without the profile's extra sections; default: the profile's")
    p.add_argument("--no-large", action="store_true",
                   help="leave out the profile's extra sections (quick: the large-table section, "
                        "hash maps at size full under glibc)")
    for dim in cells_mod.DIMENSIONS:
        p.add_argument(f"--{dim}", action="append", default=[], metavar="PATTERN",
                       help=f"only these {dim}s (glob; comma-separated or repeated)")
    p.add_argument("--bench", help="dstudy_bench to run (default build/release/dstudy_bench, "
                                   "built when missing or stale)")
    p.add_argument("--no-build", action="store_true", help="never build")
    p.add_argument("--workloads-dir", help="passed to dstudy_bench --workloads-dir")
    p.add_argument("--allocators-file", action="append", default=[], metavar="FILE",
                   help="more allocator definitions (JSON, like scripts/allocators.json)")
    p.add_argument("--add-allocator", action="append", default=[], metavar="NAME=PATH[,ENV=VAL...]",
                   help="one more allocator; PATH empty or 'none' for no preload")
    p.add_argument("--skip-missing-allocators", action="store_true",
                   help="skip an allocator whose library is missing (warning) instead of exit 2")


def fractions(text):
    """'0.5,0.7' -> [0.5, 0.7]; each a positive number."""
    try:
        out = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: '{text}'") from None
    if not out or any(not (f > 0) or f == float("inf") for f in out):
        raise argparse.ArgumentTypeError(f"fractions must be positive numbers: '{text}'")
    return out


def add_settings_args(p, results_required=False):
    if results_required:
        p.add_argument("--results-dir", required=True, metavar="DIR",
                       help="the run's folder on storage every node shares (scripts, binary, "
                            "shard folders, the merged run and its report go there)")
    else:
        p.add_argument("--results-dir", default=str(REPO_ROOT / "results"),
                       help="where run folders go (default results/); the time plan learns "
                            "from the earlier runs there")
    p.add_argument("--calibration", metavar="FILE", default=str(cost_model.CALIBRATION),
                   help="the time plan's measured cell times (default scripts/dstudy_runner/"
                        "calibration.json; `scripts/study calibrate` writes one)")
    p.add_argument("--timeout", type=float, help="seconds per cell (profile default: quick 300, full 3600)")
    p.add_argument("--repetitions", type=int, help="override the profile's repetitions")
    p.add_argument("--no-latency", action="store_true",
                   help="skip the latency pass (no latency figures; faster)")
    p.add_argument("--min-time", type=float, metavar="S",
                   help="seconds of headline phases each repetition measures, in warm passes on "
                        "fresh containers (default: dstudy_bench's, 0.05; docs/harness.md)")


def parser():
    top = argparse.ArgumentParser(prog="scripts/study", description=(
        "Runs the delete-intensive container study: one dstudy_bench process per cell "
        "(impl x workload x kv x allocator). See docs/running.md."))
    sub = top.add_subparsers(dest="command", required=True)

    add_run_parser(sub)
    add_plan_parser(sub)
    add_list_parser(sub)
    add_slurm_parser(sub)
    add_calibrate_parser(sub)
    reference_mod.add_parser(sub)
    add_merge_parser(sub)
    return top


def add_run_parser(sub):
    """`study run`: the matrix, a filtered part of it, a shard or a trace."""
    run = sub.add_parser("run", help="run the matrix (or a filtered part, or a shard)")
    add_selection_args(run)
    add_settings_args(run)
    run.add_argument("--shard", help="k/n: run every n-th cell of the sorted list, from the k-th")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    run.add_argument("--run-dir", metavar="DIR",
                     help="run into this folder: a new run when it holds none, else resume it "
                          "(its plan must be this one); what a batch job's shard uses")
    run.add_argument("--retry-failed", action="store_true",
                     help="with --resume or --run-dir: rerun failed cells too")
    run.add_argument("--seed", type=int, help="passed to dstudy_bench --seed")
    run.add_argument("--open-loop", metavar="F[,F...]", type=fractions,
                     help="also run every cell open loop at these fractions of its measured "
                          "throughput, e.g. 0.5,0.7,0.9 (docs/harness.md, open loop)")
    run.add_argument("--arrivals", choices=["constant", "poisson"],
                     help="arrivals of the open-loop passes (default constant)")
    run.add_argument("--pin", metavar="CPU", help="pin each cell to this CPU (list) with taskset -c; a cell "
                                                  "with more threads than the list has CPUs runs unpinned")
    run.add_argument("--stream-cache", metavar="DIR",
                     help="folder where a cell stores the operation stream it generated and later cells "
                          "read it (default RESULTS/stream-cache; 'none': every cell generates its own)")
    run.add_argument("--list", action="store_true", help="print the cells this run would run, then stop")
    run.add_argument("--dry-run", action="store_true",
                     help="print each cell's command and the time plan, then stop")
    run.add_argument("--shards", type=int, metavar="N",
                     help="with --dry-run or --list: the time plan per shard for N shards")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument("--trace", metavar="FILE",
                     help="replay this recorded trace as the run's only workload (converted once, "
                          "cached under RESULTS/traces/; docs/traces.md)")
    run.add_argument("--trace-format", choices=trace_mod.FORMATS,
                     help="the trace's format (default: from its name or first line)")
    run.add_argument("--time-unit", choices=trace_mod.TIME_UNITS, default="s",
                     help="csv traces: the unit of the timestamp column (default s)")
    run.add_argument("--cache-size", metavar="N|P%|BYTES",
                     help="cache traces: replay through a simulated cache of N keys, P%% of the trace's "
                          "distinct keys, or a size in bytes (64MiB; charged with recorded key + value sizes); "
                          "its evictions become erases (docs/traces.md)")
    run.add_argument("--eviction", choices=trace_mod.EVICTIONS, default="lru",
                     help="the simulated cache's eviction order (default lru)")
    run.add_argument("--pace", type=float, metavar="SCALE",
                     help="trace workloads: paced replay, op i due at its recorded time x SCALE "
                          "(passed to dstudy_bench --pace)")


def add_plan_parser(sub):
    """`study plan`: the time plan alone."""
    pln = sub.add_parser("plan", help="how many cells and how long: the time plan, nothing run")
    add_selection_args(pln)
    add_settings_args(pln)
    pln.add_argument("--shard", help="k/n: the plan of one shard")
    pln.add_argument("--shards", type=int, metavar="N", help="the time per shard for N shards")


def add_list_parser(sub):
    """`study list`: impls, workloads, allocators or cells."""
    lst = sub.add_parser("list", help="impls, workloads, allocators or cells")
    lst.add_argument("what", nargs="?", default="all",
                     choices=["all", "impls", "workloads", "allocators", "cells"])
    add_selection_args(lst)
    lst.add_argument("--json", action="store_true", help="print JSON")


def add_slurm_parser(sub):
    """`study slurm`: the batch jobs of a sharded run."""
    slu = sub.add_parser("slurm", help="write the Slurm jobs of a sharded run (build, shard array, "
                                       "merge) and their time plan; --submit submits them")
    add_selection_args(slu)
    add_settings_args(slu, results_required=True)
    slu.add_argument("--shards", type=int, required=True, metavar="N", help="array tasks (shards)")
    slu.add_argument("--seed", type=int, help="passed to dstudy_bench --seed")
    slu.add_argument("--cpus-per-task", type=int, default=2,
                     help="CPUs per shard job (default 2: a cell's thread and a free core; "
                          "concurrent_churn runs 2 threads)")
    slu.add_argument("--build-cpus", type=int, help="CPUs of the build job (default: --cpus-per-task)")
    slu.add_argument("--no-exclusive", action="store_true",
                     help="let shard jobs share nodes (default: a node each, so nothing else "
                          "runs beside the measurements)")
    slu.add_argument("--partition", help="sbatch --partition")
    slu.add_argument("--account", help="sbatch --account")
    slu.add_argument("--sbatch-option", action="append", default=[], metavar="OPTION",
                     help="another #SBATCH line for every job, e.g. --sbatch-option=--qos=long")
    slu.add_argument("--job-setup", metavar="SHELL",
                     help="a shell line every job runs first, e.g. 'module load gcc cmake'")
    slu.add_argument("--time-margin", type=float, default=1.5,
                     help="the shard jobs' --time is the longest shard's estimate times this, "
                          "plus 10 minutes (default 1.5)")
    slu.add_argument("--time", metavar="D-HH:MM:SS", help="the shard jobs' --time, instead of the plan's")
    slu.add_argument("--split-by-cpu", action="store_true",
                     help="the merge job splits the results by CPU model instead of refusing "
                          "shards measured on different CPUs")
    slu.add_argument("--submit", action="store_true", help="submit the jobs (RESULTS/slurm/submit.sh)")


def add_calibrate_parser(sub):
    """`study calibrate`: the cost model's calibration file."""
    cal = sub.add_parser("calibrate", help="write the cost model's calibration file from run folders")
    cal.add_argument("out", metavar="OUT_JSON",
                     help="the file to write (the committed one: scripts/dstudy_runner/calibration.json)")
    cal.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    cal.add_argument("--about", required=True,
                     help="how and when the runs were measured (kept in the file)")


def add_merge_parser(sub):
    """`study merge`: shard run folders into one."""
    mrg = sub.add_parser("merge", help="combine shard run folders into one run folder")
    mrg.add_argument("out_dir", metavar="OUT_DIR")
    mrg.add_argument("run_dirs", nargs="+", metavar="SHARD_DIR")
    mrg.add_argument("--split-by-cpu", action="store_true",
                     help="cells measured on several CPU models: one merged run per model, in "
                          "OUT_DIR/<model>/ (without it such a merge is refused)")
    mrg.add_argument("--replace", action="store_true",
                     help="OUT_DIR may hold an earlier merge's output: replace it")


def resolve_bench(args, stored=None):
    if args.bench:
        path = Path(args.bench)
    elif stored:
        path = Path(stored)
    else:
        path = bench.DEFAULT_BENCH
        if not args.no_build and build.is_stale(path):
            if not build.build():
                raise UsageError("building the release preset failed (see above)")
    if not path.exists():
        raise UsageError(f"benchmark binary {path} not found (build it: cmake --preset release && "
                         f"cmake --build --preset release, or drop --no-build, or pass --bench)")
    return path.resolve()


def filters_from(args):
    return {d: cells_mod.split_patterns(getattr(args, d)) for d in cells_mod.DIMENSIONS}


def fresh_plan(args, bench_path, listing):
    profile = args.profile or "quick"
    known = alloc_mod.load(args.allocators_file, args.add_allocator)
    shard = cells_mod.parse_shard(args.shard) if getattr(args, "shard", None) else None
    try:
        points = [int(x) for x in args.points.split(",")] if args.points else None
        settings = profile_settings(profile, getattr(args, "repetitions", None),
                                    getattr(args, "timeout", None), args.size,
                                    sections=not args.no_large, points=points,
                                    open_loop=getattr(args, "open_loop", None),
                                    arrivals=getattr(args, "arrivals", None),
                                    latency=False if getattr(args, "no_latency", False) else None,
                                    min_time=getattr(args, "min_time", None))
    except ValueError as e:  # ProfileError too
        raise UsageError(str(e) if isinstance(e, ProfileError) else
                         f"--points '{args.points}': expected live sizes, e.g. 10000,100000") from None
    p = plan_mod.build_plan(listing, known, profile, settings, filters_from(args), shard,
                            args.skip_missing_allocators)
    p.bench, p.workloads_dir = str(bench_path), args.workloads_dir
    p.seed, p.pin = getattr(args, "seed", None), getattr(args, "pin", None)
    p.pace = getattr(args, "pace", None)
    p.stream_cache = stream_cache_dir(getattr(args, "stream_cache", None), getattr(args, "results_dir", None))
    return p


def stream_cache_dir(given, results_dir):
    """--stream-cache as the cells get it: the folder given, none for 'none',
    else the results folder's stream-cache/ (shared by its runs and shards)."""
    if given == "none":
        return None
    if given:
        return str(Path(given).resolve())
    return str((Path(results_dir) / "stream-cache").resolve()) if results_dir else None


def resumed_plan(args, options, bench_path, listing):
    """The stored plan; only --timeout and --pin may change."""
    settings = dict(options["settings"])
    if args.timeout is not None:
        settings["timeout_s"] = args.timeout
    shard = cells_mod.parse_shard(options["shard"]) if options.get("shard") else None
    p = plan_mod.build_plan(listing, plan_mod.allocators_from_options(options), options["profile"],
                            settings, options["filters"], shard, args.skip_missing_allocators,
                            check_filters=False, preselected=True)
    p.bench, p.workloads_dir = str(bench_path), options.get("workloads_dir")
    p.seed, p.pace = options.get("seed"), options.get("pace")
    p.pin = args.pin if args.pin is not None else options.get("pin")
    p.stream_cache = (stream_cache_dir(args.stream_cache, None) if args.stream_cache is not None
                      else options.get("stream_cache"))
    return p


def check_resume_args(args, stored, run_dir):
    given = [f"--{d}" for d in cells_mod.DIMENSIONS if getattr(args, d)]
    given += [f for f, v in (("--profile", args.profile), ("--shard", args.shard),
                             ("--repetitions", args.repetitions), ("--seed", args.seed),
                             ("--workloads-dir", args.workloads_dir),
                             ("--allocators-file", args.allocators_file),
                             ("--add-allocator", args.add_allocator),
                             ("--no-large", args.no_large), ("--trace", args.trace),
                             ("--cache-size", args.cache_size),
                             ("--pace", args.pace), ("--open-loop", args.open_loop),
                             ("--arrivals", args.arrivals), ("--points", args.points),
                             ("--no-latency", args.no_latency)) if v]
    if given:
        raise UsageError(f"--resume takes its settings from RUN_DIR/manifest.json; "
                         f"drop {', '.join(given)}")
    size = stored["options"]["settings"]["size"]
    if args.size is not None and args.size != size:
        raise UsageError(f"{run_dir} ran at size '{size}', not '{args.size}'; "
                         f"start a new run for another size")


def read_resumable(run_dir):
    """The manifest of a folder this runner can continue, or UsageError."""
    try:
        stored = store.read_json(run_dir / store.MANIFEST)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot resume {run_dir}: no readable manifest.json ({e})") from e
    if not isinstance(stored, dict):
        raise UsageError(f"cannot resume {run_dir}: its manifest.json is not a JSON object")
    if not isinstance(stored.get("options"), dict):
        raise UsageError(f"cannot resume {run_dir}: its manifest has no run options "
                         f"(a merged folder? resume the shard folders instead)")
    if stored.get("schema_version") != RESULTS_SCHEMA_VERSION:
        raise UsageError(f"cannot resume {run_dir}: its cells follow schema version "
                         f"{stored.get('schema_version')}, this runner writes {RESULTS_SCHEMA_VERSION}; "
                         f"start a new run")
    return stored


def describe(p):
    """'N cells (quick profile, size quick[, shard k/n of M])', then for each
    section ', K of them in section NAME at size S'."""
    shard = f", shard {p.shard[0]}/{p.shard[1]} of {p.cells_unsharded}" if p.shard else ""
    text = f"{len(p.cells)} cells ({p.profile} profile, size {p.settings['size']}{shard})"
    for sec in p.sections:
        text += f", {sec['cells']} of them in section {sec['name']} at size {sec['size']}"
    return text


def warn_plan(p):
    """What the plan leaves out, said before anything runs."""
    if p.skipped_workloads:
        err(f"warning: size '{p.settings['size']}' is not defined by workload(s) "
            f"{', '.join(p.skipped_workloads)}: left out")
    for sec in p.sections:
        if sec["skipped_workloads"]:
            err(f"warning: size '{sec['size']}' of section {sec['name']} is not defined by "
                f"workload(s) {', '.join(sec['skipped_workloads'])}: left out")
    for w in p.warnings:
        err(f"warning: {w}")


def check_cache_args(args):
    if args.cache_size and not args.trace:
        raise UsageError("--cache-size simulates a cache for a trace: it goes with --trace FILE")


def use_trace(args, bench_path):
    """--trace: converts the trace (once) and makes its folder the run's
    workloads folder; the profile's sections (preset workloads) drop out."""
    if args.workloads_dir:
        raise UsageError("--trace makes the run's workloads folder; drop --workloads-dir")
    if args.pace is not None and args.pace <= 0:
        raise UsageError(f"--pace {args.pace}: expected a scale factor > 0")
    try:
        folder, name, args.trace_summary = trace_mod.prepare(args.trace, args.trace_format, args.time_unit,
                                                             args.results_dir, bench_path, args.cache_size,
                                                             args.eviction)
    except (trace_mod.TraceError, OSError, ValueError) as e:
        raise UsageError(f"trace: {e}") from e
    err(f"trace {args.trace}: workload '{name}' ({folder})")
    args.workloads_dir, args.no_large = str(folder), True


def check_run_dir_args(args):
    if args.retry_failed and not (args.resume or args.run_dir):
        raise UsageError("--retry-failed goes with --resume RUN_DIR (or --run-dir DIR)")
    if args.resume and args.run_dir:
        raise UsageError("--resume and --run-dir both name the folder: give one")
    if args.shards is not None and not (args.list or args.dry_run):
        raise UsageError("--shards N goes with --dry-run or --list (to run one shard: --shard k/N)")
    check_shards(args)


def check_shards(args):
    """--shards N: at least one, and not beside --shard k/n."""
    if args.shards is None:
        return
    if args.shards < 1:
        raise UsageError(f"--shards {args.shards}: need at least 1")
    if getattr(args, "shard", None):
        raise UsageError("--shards N splits the whole plan: drop --shard")


# What must agree between a --run-dir folder's stored plan and the command
# line's for the run to continue there (the timeout may change).
SAME_PLAN = ("profile", "filters", "shard")


def check_same_plan(fresh, stored, run_dir):
    """A --run-dir folder continues only the plan the command line asks for."""
    mine, theirs = fresh.options(), stored["options"]
    differ = [k for k in SAME_PLAN if mine[k] != theirs.get(k)]
    differ += [f"settings.{k}" for k in sorted(set(mine["settings"]) | set(theirs["settings"]))
               if k != "timeout_s" and mine["settings"].get(k) != theirs["settings"].get(k)]
    if sorted(a["name"] for a in mine["allocators"]) != sorted(a["name"] for a in theirs["allocators"]):
        differ.append("allocators")
    if differ:
        raise UsageError(f"{run_dir} holds a run of another plan ({', '.join(differ)} differ); "
                         f"give the command line it was started with, or another --run-dir")


def cmd_run(args, argv):
    check_run_dir_args(args)
    planning_only = args.list or args.dry_run
    with contextlib.ExitStack() as held:
        stored = run_dir = None
        if args.run_dir:
            run_dir = Path(args.run_dir).resolve()
        if args.resume or (run_dir and (run_dir / store.MANIFEST).exists()):
            run_dir = Path(args.resume or run_dir).resolve()
            if not planning_only:
                # before anything is read or built: one runner per folder
                held.enter_context(lock.RunLock(run_dir, command_line(argv)))
            stored = read_resumable(run_dir)
            if args.resume:
                check_resume_args(args, stored, run_dir)
        bench_path = resolve_bench(args, stored and stored["options"].get("bench"))
        if not args.resume:
            check_cache_args(args)
        if args.trace:
            use_trace(args, bench_path)
        workloads_dir = stored["options"].get("workloads_dir") if stored else args.workloads_dir
        listing = bench.listing(bench_path, workloads_dir)
        p = resumed_plan(args, stored["options"], bench_path, listing) if stored else \
            fresh_plan(args, bench_path, listing)
        if stored and args.run_dir:
            check_same_plan(fresh_plan(args, bench_path, listing), stored, run_dir)
        if p.pin:
            runner.pin_prefix(p.pin)  # taskset present?
            unpinned = sum(1 for c in p.cells if runner.cell_pin(p.pin, c.threads) is None)
            if unpinned:
                err(f"note: {unpinned} multi-threaded cells run more threads than --pin {p.pin} names CPUs: "
                    f"they run unpinned")
        warn_plan(p)
        results_dir = run_dir.parent if run_dir else Path(args.results_dir)

        if args.list:
            for c in p.cells:
                print(c.id)
            err(describe(p))
            if args.shards:
                print_time_plan(p, args, results_dir, err, shards=args.shards)
            return EXIT_OK
        if args.dry_run:
            for c in p.cells:
                print(runner.printable(p, c, Path("<RUN_DIR>") / store.RAW / c.file_stem))
            err(describe(p))
            print_time_plan(p, args, results_dir, err, shards=args.shards)
            return EXIT_OK
        if not stored:
            if run_dir:
                run_dir.mkdir(parents=True, exist_ok=True)
            else:
                run_dir = store.new_run_dir(args.results_dir, p.shard)
            held.enter_context(lock.RunLock(run_dir, command_line(argv)))
            if (run_dir / store.MANIFEST).exists():
                raise UsageError(f"{run_dir}: another runner started a run there meanwhile; "
                                 f"run this command again to continue it")
        return run_plan(args, argv, p, run_dir, stored, results_dir)


def load_model(results_dir, calibration):
    """(cost model, its sources) or (None, why not)."""
    try:
        return cost_model.load(results_dir, calibration)
    except cost_model.CalibrationError as e:
        return None, str(e)


def print_time_plan(p, args, results_dir, say, shards=None):
    """The time plan, one line at a time through say (print or err);
    returns it (None when no model could be made)."""
    model, sources = load_model(results_dir, args.calibration)
    if model is None:
        say(f"no time estimate: {sources}")
        return None
    tp = timeplan.make(p, model, shards)
    say(f"time plan ({describe(p)}), from {sources}:")
    for line in timeplan.lines(tp, p.settings.get("timeout_s")):
        say(line)
    busy = busy_here(model, p.settings["size"])
    if busy:
        say(busy)
    return tp


def busy_here(model, size):
    """A line when the plan is in this machine's times and other processes
    keep it busy now (the plan is for a quiet machine), else None."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] / cores
    if model.machine != manifest_mod.cpu_model() or load < BUSY_LOAD:
        return None
    return (f"  this machine is busy now (load average {load * cores:.1f} on {cores} cores): "
            f"run here, a cell's work would take about {model.slowdown(size, load):.1f}x as long")


def cell_estimates(p, todo, results_dir, calibration):
    """{cell id: estimated seconds} of the cells to run, for the ETA (None
    without a model), and the estimate said on stderr."""
    model, sources = load_model(results_dir, calibration)
    if model is None:
        err(f"no time estimate: {sources}")
        return None
    tp = timeplan.make(p, model)
    estimates = {c.id: tp.estimates[c.id].seconds + tp.overhead_s for c in todo
                 if tp.estimates[c.id].seconds is not None}
    unknown = len(todo) - len(estimates)
    err(f"estimated time: {timeplan.duration(sum(estimates.values()))}"
        + (f" and {unknown} cells with no estimate" if unknown else "")
        + f" (times of {tp.machine or 'an unknown machine'}, quiet; `scripts/study plan` says more)")
    if unknown and estimates:  # the ETA counts them as the average cell
        mean = sum(estimates.values()) / len(estimates)
        estimates.update({c.id: mean for c in todo if c.id not in estimates})
    return estimates or None


def cmd_plan(args):
    check_shards(args)
    bench_path = resolve_bench(args)
    p = fresh_plan(args, bench_path, bench.listing(bench_path, args.workloads_dir))
    warn_plan(p)
    tp = print_time_plan(p, args, Path(args.results_dir), print, shards=args.shards)
    return EXIT_OK if tp else EXIT_USAGE


def run_plan(args, argv, p, run_dir, stored, results_dir):
    """Runs the plan's cells left to run into run_dir (whose lock is held)."""
    if stored:
        manifest = stored
        manifest["resumed"] = manifest.get("resumed", []) + [
            {"at": store.utc_now(), "command": command_line(argv)}]
        manifest["interrupted"] = False
        manifest["options"]["pin"] = p.pin
        manifest["settings"] = p.settings
        manifest["sizes"], manifest["sections"] = p.sizes, [dict(x) for x in p.sections]
        manifest["implementations"] = {**manifest.get("implementations", {}), **p.implementations}
    else:
        manifest = manifest_mod.new(p, run_dir.name, command_line(argv))
        if getattr(args, "trace_summary", None):
            manifest["trace"] = args.trace_summary  # the conversion: requests, keys, simulated cache
    store.remove_stale_temps(run_dir)
    records = store.load_cells(run_dir)
    manifest_mod.update_counts(manifest, p, records)
    results.write(run_dir, manifest, records)
    todo = runner.todo(p, records, args.retry_failed)
    left = len(todo)
    err(f"run folder {run_dir}: {describe(p)}, {left} to run "
        f"(allocators {', '.join(sorted({c.allocator for c in p.cells}))})")
    estimates = cell_estimates(p, todo, results_dir, args.calibration)

    kept_failed = 0 if args.retry_failed else sum(
        1 for c in p.cells if c.id in records and records[c.id]["status"] not in ("ok", outcome.NOT_APPLICABLE))
    progress = Progress(total=len(p.cells), done=len(p.cells) - left,
                        failed=kept_failed, quiet=args.quiet, estimates=estimates)
    last_write = {"at": time.monotonic(), "took": 0.0}

    def on_record(recs):
        """manifest.json after every cell; results.json when it is cheap
        enough: at most every RESULTS_EVERY_S, and at most 10% of the time."""
        manifest_mod.update_counts(manifest, p, recs)
        store.write_json(run_dir / store.MANIFEST, manifest)
        now = time.monotonic()
        if now - last_write["at"] >= max(RESULTS_EVERY_S, 10 * last_write["took"]):
            results.write(run_dir, manifest, recs)
            last_write["at"], last_write["took"] = time.monotonic(), time.monotonic() - now

    try:
        runner.execute(p, run_dir, records, progress, on_record, args.retry_failed)
    except store.WriteError as e:
        # A full disk or a read-only folder: every file written so far is
        # whole (store.write_text), so the run resumes where it stopped.
        progress.close()
        err(f"error: {e}; the cells recorded before are kept in {run_dir}. "
            f"Once it can be written, resume with: scripts/study run --resume {run_dir}")
        return EXIT_USAGE
    except (KeyboardInterrupt, runner.Interrupted) as e:
        progress.close()
        manifest["interrupted"] = True
        manifest_mod.update_counts(manifest, p, records)
        results.write(run_dir, manifest, records)
        err(f"interrupted; {manifest['cells_pending']} cells left. "
            f"Resume with: scripts/study run --resume {run_dir}")
        signum = e.signum if isinstance(e, runner.Interrupted) else signal.SIGINT
        return 128 + signum
    progress.close()
    manifest["finished"] = store.utc_now()
    manifest_mod.update_counts(manifest, p, records)
    results.write(run_dir, manifest, records)
    for f in manifest["failures"]:
        err(f"failed: {f['id']}: {f['reason']} ({f.get('message')})")
    competing = manifest["cells_competing"]
    na = manifest.get("cells_not_applicable", 0)
    err(f"done: {manifest['cells_ok']} ok, {manifest['cells_failed']} failed, "
        + (f"{na} not applicable, " if na else "") +
        f"{competing} cell{'s' if competing != 1 else ''} measured beside another process; "
        f"{run_dir / store.RESULTS} ({store.megabytes(run_dir / store.RESULTS)}; "
        f"the folder {store.megabytes(run_dir)})")
    return EXIT_FAILED if manifest["cells_failed"] else EXIT_OK


def cmd_list(args):
    known = alloc_mod.load(args.allocators_file, args.add_allocator)
    out = {"allocators": [dict(a.to_json(), missing=a.missing()) for a in known.values()]}
    if args.what != "allocators":
        bench_path = resolve_bench(args)
        listing = bench.listing(bench_path, args.workloads_dir)
        out["impls"], out["workloads"] = listing["impls"], listing["workloads"]
        if args.what in ("all", "cells"):
            p = fresh_plan(args, bench_path, listing)
            warn_plan(p)
            out["cells"] = [c.id for c in p.cells]
            planned = describe(p)
    if args.what != "all":
        out = {args.what: out[args.what]}
    if args.json:
        print(json.dumps(out, indent=1))
        return EXIT_OK
    for key, items in out.items():
        print(f"cells: {planned}" if key == "cells" else f"{key}:")
        for it in items:
            if key == "cells":
                print(f"  {it}")
            elif key == "allocators":
                env = " ".join(f"{k}={v}" for k, v in it["env"].items())
                flag = " (default)" if it["default"] else ""
                miss = "  [LIBRARY MISSING]" if it["missing"] else ""
                print(f"  {it['name']:16} {it['library'] or '(no preload)'} {env}{flag}{miss}")
            elif key == "impls":
                extra = " thread-safe" if it.get("thread_safe") else ""
                print(f"  {it['name']:28} {it.get('origin', ''):8} kv={','.join(it['kv'])}{extra}")
            else:
                threads = f" threads={it['threads']}" if it.get("threads", 1) > 1 else ""
                sizes = f" sizes={','.join(it['sizes'])}" if it.get("sizes") else ""
                print(f"  {it['name']:28} kv={','.join(it['kv'])}{threads}{sizes}  "
                      f"{it.get('description', '')}")
    return EXIT_OK


def cmd_slurm(args):
    check_shards(args)
    if args.time and not re.fullmatch(r"(\d+-)?\d+:\d\d:\d\d", args.time):
        raise UsageError(f"--time '{args.time}': expected D-HH:MM:SS or HH:MM:SS")
    results = Path(args.results_dir).resolve()
    bench_path = resolve_bench(args)
    p = fresh_plan(args, bench_path, bench.listing(bench_path, args.workloads_dir))
    warn_plan(p)
    tp = print_time_plan(p, args, results, err, shards=args.shards)
    if args.time:
        array_time, why = args.time, "as given"
    elif tp is None or tp.count("none"):
        raise UsageError("the time plan has no estimate for every cell (see above): "
                         "give the shard jobs' --time D-HH:MM:SS")
    else:
        longest = max(s for _, _, s in tp.shards)
        array_time = slurm_mod.shard_time(longest, args.time_margin)
        why = (f"the longest shard's {timeplan.duration(longest)} x {args.time_margin:g} "
               f"+ {slurm_mod.SHARD_SLACK_S // 60} min")
    files = slurm_mod.scripts(results, args.shards, slurm_mod.selection_argv(args), array_time,
                              len(p.cells), cpus=args.cpus_per_task, build_cpus=args.build_cpus,
                              exclusive=not args.no_exclusive, partition=args.partition,
                              account=args.account, extra=args.sbatch_option, setup=args.job_setup,
                              split_by_cpu=args.split_by_cpu)
    d = slurm_mod.write(results, files)
    err(f"wrote {d}/: build.sbatch, shard.sbatch (--array=1-{args.shards}, --time={array_time}: "
        f"{why}), merge.sbatch, submit.sh, resubmit.sh")
    err(f"submit: {d / 'submit.sh'}   resubmit shard K: {d / 'resubmit.sh'} K   "
        f"merged run: {results / 'merged'}, report: {results / 'report'}")
    if args.submit:
        return EXIT_OK if subprocess.run([str(d / "submit.sh")]).returncode == 0 else EXIT_FAILED
    return EXIT_OK


def cmd_merge(args, argv):
    merged = merge_mod.merge(args.out_dir, args.run_dirs, command_line(argv),
                             split_by_cpu=args.split_by_cpu, replace=args.replace)
    for model, m in merged.items():
        where = Path(args.out_dir) / merge_mod.slug(model) if model else Path(args.out_dir)
        missing = f", shards {', '.join(map(str, m['shards_missing']))} missing" if m["shards_missing"] else ""
        err(f"merged {len(m['merged_from'])} folders: {m['cells_ok']} ok, {m['cells_failed']} failed, "
            f"{m['cells_pending']} not run{missing}, into {where}"
            + (f" (cells measured on {model})" if model else ""))
    return EXIT_OK


def dispatch(args, argv):
    if args.command == "run":
        return cmd_run(args, argv)
    if args.command == "list":
        return cmd_list(args)
    if args.command == "plan":
        return cmd_plan(args)
    if args.command == "slurm":
        return cmd_slurm(args)
    if args.command == "reference":
        return reference_mod.run(args, argv)
    if args.command == "calibrate":
        data = cost_model.write_calibration(args.out, args.run_dirs, args.about)
        err(f"wrote {args.out}: {len(data['cells'])} cells of {len(args.run_dirs)} runs")
        return EXIT_OK
    return cmd_merge(args, argv)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    try:
        code = dispatch(args, argv)
        # Output still buffered is written here, inside the try: a reader that
        # left before it would otherwise raise at the interpreter's exit.
        sys.stdout.flush()
        return code
    except (UsageError, alloc_mod.AllocatorError, cells_mod.FilterError, plan_mod.PlanError,
            bench.BenchError, merge_mod.MergeError, cost_model.CalibrationError,
            RuntimeError) as e:
        err(f"error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err("interrupted")
        return 128 + signal.SIGINT
    except BrokenPipeError:
        # The reader of our output went away (`study list | head`): stop quietly,
        # as a tool killed by SIGPIPE would, without a traceback at exit's flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
