"""scripts/study reference [--resume DIR] [--dry-run]: the whole reference
study from its declared plan (reference_plan.py), into one results folder:

  DIR/reference.json     the plan, the code's commit, each run's state
  DIR/runs/STEP[/round-K] one `scripts/study run` folder per step (per round)
  DIR/compact/           the cells' figures and the manifest, small enough
                         to commit (compact.py); the pages are made from it

The time plan is printed first. A cell measured beside another process is
measured again, at most the plan's remeasure_competing times (its earlier
records kept under the run's competing/attempt-K/); a cell still flagged is
named beside every finding that uses it. An interrupted study resumes with
--resume DIR, from the run it stopped in."""
import json
import subprocess
import sys
from pathlib import Path

from . import REPO_ROOT, allocators as alloc_mod, bench, cells as cells_mod, compact, manifest as manifest_mod
from . import plan as plan_mod, reference_plan, store, timeplan

STUDY = REPO_ROOT / "scripts" / "study"
STATE = "reference.json"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub):
    p = sub.add_parser("reference", help="run the whole reference study from its declared plan "
                                         "(reports/reference/specs/plan.json)")
    p.add_argument("--plan", default=str(reference_plan.PLAN_FILE),
                   help="the plan (default reports/reference/specs/plan.json)")
    p.add_argument("--resume", metavar="DIR", help="continue an interrupted reference study")
    p.add_argument("--results-dir", default=str(REPO_ROOT / "results"),
                   help="where the new study folder goes (results/reference-<UTC time>)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and its time, run nothing")
    p.add_argument("--pin", metavar="CPU", help="pin every cell to this CPU (list) with taskset -c")
    p.add_argument("--bench", help="dstudy_bench to run (default build/release/dstudy_bench, built "
                                   "when missing or stale)")
    p.add_argument("--no-build", action="store_true", help="never build")
    p.add_argument("--calibration", help="the time plan's calibration file (default: the runner's)")
    p.add_argument("--quiet", action="store_true", help="no progress output from the runs")
    return p


def say(message):
    print(f"study reference: {message}", file=sys.stderr, flush=True)


def code_state():
    """(commit, dirty): the checkout the study measures."""
    status = manifest_mod.git("status", "--porcelain", "--", "impls", "bench", "workloads", "scripts")
    return manifest_mod.git("rev-parse", "HEAD"), bool(status)


# --- the time plan ------------------------------------------------------------------
def step_plans(plan, bench_path):
    """{step name: the runner's plan of one of its runs} (cli.fresh_plan)."""
    from . import cli
    listings, out = {}, {}
    for step in plan.steps:
        args = cli.parser().parse_args(["run", *step.run_args(), "--bench", str(bench_path), "--no-build"])
        key = args.workloads_dir
        if key not in listings:
            listings[key] = bench.listing(bench_path, key)
        out[step.name] = cli.fresh_plan(args, bench_path, listings[key])
    return out


def time_plan(plan, plans, results_dir, calibration):
    """(lines, total seconds or None)."""
    from . import cli, cost_model
    model, sources = cli.load_model(Path(results_dir), calibration or str(cost_model.CALIBRATION))
    cells = sum(len(p.cells) * max(1, s.rounds) for s, p in zip(plan.steps, plans.values()))
    if model is None:
        return [f"{len(plan.steps)} steps, {cells} cell runs; no time estimate: {sources}"], None
    lines, total, unknown_runs = [], 0.0, 0
    for step in plan.steps:
        tp = timeplan.make(plans[step.name], model)
        runs = max(1, step.rounds)
        total += tp.total_s * runs
        unknown = tp.count("none")
        unknown_runs += unknown * runs
        lines.append(f"  {step.name:<22} {len(tp.cells):>4} cells" + (f" x {runs} rounds" if step.rounds else "")
                     + f"  {timeplan.duration(tp.total_s * runs):>12}"
                     + (f"  ({unknown} cells with no estimate)" if unknown else ""))
    head = (f"time plan: {len(plan.steps)} steps, {cells} cell runs, {timeplan.duration(total)} one cell "
            f"after another (times of {model.machine or 'an unknown machine'}, quiet; from {sources}); "
            f"target {timeplan.duration(plan.target_s)}")
    if unknown_runs:    # the model knows nothing of them: the total leaves them out
        head += f"; {unknown_runs} cell runs have no estimate and are not in the total"
    if total > plan.target_s:
        head += f": OVER the target by {timeplan.duration(total - plan.target_s)}"
    tail = (f"  plus at most {plan.remeasure_competing} re-measurements of each cell measured beside "
            f"another process")
    return [head, *lines, tail], total


# --- state -------------------------------------------------------------------------
def new_state(plan, argv, commit, dirty, bench_path):
    return {"kind": "reference", "plan_file": str(plan.path), "plan": json.loads(plan.text),
            "commit": commit, "dirty": dirty, "bench": str(bench_path),
            "command": " ".join(["scripts/study", *argv]), "started": store.utc_now(),
            "finished": None, "environment": manifest_mod.environment(), "runs": {}}


def run_key(step, name):
    return f"{step.name}/{name}" if name else step.name


def competing_cells(run_dir):
    return sorted(cid for cid, r in store.load_cells(run_dir).items()
                  if r.get("status") == "ok" and ((r.get("sidecar") or {}).get("machine_load") or {}).get("competing"))


def set_aside(run_dir, ids, attempt):
    """Moves the cells' records under competing/attempt-K/ so the run measures them again."""
    dest = Path(run_dir) / "competing" / f"attempt-{attempt}"
    dest.mkdir(parents=True, exist_ok=True)
    for cid in ids:
        src = store.cell_path(run_dir, cid)
        if src.exists():
            src.replace(dest / src.name)


def study_run(folder, step, study_dir, bench_path, args):
    cmd = [str(STUDY), "run", "--run-dir", str(folder), "--bench", str(bench_path), "--no-build",
           "--stream-cache", str(study_dir / "stream-cache"), *step.run_args()]
    if args.pin:
        cmd += ["--pin", args.pin]
    if args.quiet:
        cmd.append("--quiet")
    return subprocess.run(cmd).returncode


def execute(plan, state, study_dir, bench_path, args):
    """Runs every run of every step not yet done; returns the exit status."""
    status = EXIT_OK
    for step in plan.steps:
        for name in step.run_names():
            key = run_key(step, name)
            rec = state["runs"].setdefault(key, {"status": "pending", "remeasured": 0, "still_competing": []})
            if rec["status"] in ("done", "failed"):
                continue
            folder = study_dir / "runs" / step.name / name if name else study_dir / "runs" / step.name
            say(f"{key}: {' '.join(step.run_args())}")
            while True:
                rc = study_run(folder, step, study_dir, bench_path, args)
                if rc not in (EXIT_OK, EXIT_FAILED):
                    rec["status"] = "interrupted" if rc >= 128 else "error"
                    write_state(study_dir, state)
                    say(f"{key}: stopped (exit {rc}); resume with: scripts/study reference --resume {study_dir}")
                    return rc
                busy = competing_cells(folder)
                if not busy or rec["remeasured"] >= plan.remeasure_competing:
                    break
                rec["remeasured"] += 1
                write_state(study_dir, state)
                say(f"{key}: {len(busy)} cells measured beside another process: measuring them again "
                    f"({rec['remeasured']} of {plan.remeasure_competing})")
                set_aside(folder, busy, rec["remeasured"])
            rec["status"] = "failed" if rc == EXIT_FAILED else "done"
            rec["still_competing"] = busy
            write_state(study_dir, state)
            if rc == EXIT_FAILED:
                status = EXIT_FAILED
            if busy:
                say(f"{key}: still measured beside another process: {', '.join(busy)}")
    return status


def write_state(study_dir, state):
    store.write_json(Path(study_dir) / STATE, state)


def check_resume(study_dir, plan, commit):
    path = Path(study_dir) / STATE
    try:
        state = store.read_json(path)
    except OSError:
        raise reference_plan.ReferencePlanError(f"{path}: not a reference study folder (no {STATE})") from None
    except ValueError:
        raise reference_plan.ReferencePlanError(f"{path}: malformed JSON") from None
    if state.get("plan") != json.loads(plan.text):
        raise reference_plan.ReferencePlanError(
            f"{path}: was started with another plan than {plan.path}; resume with that plan (--plan)")
    if state.get("commit") != commit:
        raise reference_plan.ReferencePlanError(
            f"{path}: measures commit {state.get('commit')}, the checkout is at {commit}: "
            f"one study measures one commit (check it out, or start a new study)")
    return state


def resolve_bench(args):
    from . import cli
    return cli.resolve_bench(args)


def run(args, argv):
    from . import cli
    try:
        plan = reference_plan.load(args.plan)
        commit, dirty = code_state()
        study_dir = Path(args.resume).resolve() if args.resume else None
        state = check_resume(study_dir, plan, commit) if study_dir else None
        bench_path = Path(state["bench"]) if state and not args.bench else resolve_bench(args)
        plans = step_plans(plan, bench_path)
        lines, _ = time_plan(plan, plans, args.results_dir, args.calibration)
        for line in lines:
            say(line)
        if args.dry_run:
            for step in plan.steps:
                print(f"{step.name}: scripts/study run {' '.join(step.run_args())}"
                      + (f"  (x {step.rounds} rounds)" if step.rounds else ""))
            return EXIT_OK
        if dirty:
            say("warning: impls/, bench/, workloads/ or scripts/ have uncommitted changes: the manifest's "
                "commit does not describe the code measured")
        if not study_dir:
            study_dir = Path(args.results_dir).resolve() / f"reference-{store.utc_now().replace(':', '')}"
            study_dir.mkdir(parents=True)
            state = new_state(plan, argv, commit, dirty, bench_path)
            write_state(study_dir, state)
        say(f"study folder {study_dir}")
        status = execute(plan, state, study_dir, bench_path, args)
        if status not in (EXIT_OK, EXIT_FAILED):
            return status
        state["finished"] = store.utc_now()
        write_state(study_dir, state)
        out = compact.write(study_dir, plan, state)
        say(f"compact results: {out} ({store.megabytes(out)}); pages: scripts/report reference {out} --out DIR")
        return status
    except (reference_plan.ReferencePlanError, bench.BenchError, compact.CompactError) as e:
        say(f"error: {e}")
        return EXIT_USAGE
    except (cli.UsageError, alloc_mod.AllocatorError, cells_mod.FilterError, plan_mod.PlanError) as e:
        say(f"error: plan step: {e}")
        return EXIT_USAGE
