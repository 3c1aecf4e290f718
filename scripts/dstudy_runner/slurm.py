"""Job scripts for a run on a Slurm cluster: a build job, an array of shard
jobs and a merge job, all under one results folder on shared storage
(docs/running.md, "Running on a Slurm cluster").

    RESULTS/slurm/common.sh       sourced by every job: one environment
    RESULTS/slurm/build.sbatch    builds dstudy_bench once, copies it to RESULTS/bin/
    RESULTS/slurm/shard.sbatch    array task k: shard k/N into RESULTS/shards/shard-k-of-N
                                  (a new run there, or the rest of one)
    RESULTS/slurm/merge.sbatch    merges the shard folders into RESULTS/merged and
                                  renders RESULTS/report
    RESULTS/slurm/submit.sh       submits the three: array after the build (afterok),
                                  merge after the array (afterany: a failed shard is
                                  merged as missing)
    RESULTS/slurm/resubmit.sh K.. resubmits shards (they continue their folders) and a
                                  merge after them

The array's --time is the time plan's longest shard times a margin. The
scripts' text is in slurm_jobs/, one template a file; this module fills in
the run's values and writes the #SBATCH headers.
"""
import math
import os
import shlex
import string
from pathlib import Path

from . import REPO_ROOT, store

JOB_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Time a shard job spends outside its cells: start, dstudy_bench --list,
# results.json at the end.
SHARD_SLACK_S = 600
BUILD_TIME = "01:00:00"
# A merge reads and writes every cell record and copies its raw folder,
# then renders the report; measured well under a second per cell.
MERGE_S_PER_CELL = 0.5
MERGE_MIN_S = 1800
# The job scripts' text, one template a file (_job_text fills them).
TEMPLATES = Path(__file__).parent / "slurm_jobs"


def slurm_time(seconds):
    """Slurm's --time, D-HH:MM:SS, rounded up to whole minutes."""
    minutes = max(1, math.ceil(seconds / 60))
    d, h, m = minutes // 1440, minutes // 60 % 24, minutes % 60
    return f"{d}-{h:02d}:{m:02d}:00"


def shard_time(longest_shard_s, margin):
    return slurm_time(longest_shard_s * margin + SHARD_SLACK_S)


def _header(name, time, cpus, log_dir, options, array=None):
    lines = ["#!/bin/bash", f"#SBATCH --job-name={name}", f"#SBATCH --time={time}",
             f"#SBATCH --cpus-per-task={cpus}", "#SBATCH --nodes=1", "#SBATCH --ntasks=1"]
    if array:
        lines.append(f"#SBATCH --array={array}")
        lines.append(f"#SBATCH --output={log_dir}/{name}-%A_%a.out")
    else:
        lines.append(f"#SBATCH --output={log_dir}/{name}-%j.out")
    lines += [f"#SBATCH {o}" for o in options]
    return "\n".join(lines) + "\n"


class _JobTemplate(string.Template):
    """A job script's text with %{name} placeholders: `%`, not `$`, so the
    shell's own $VAR and ${VAR} stay as written."""
    delimiter = "%"


def _job_text(name, **values):
    """slurm_jobs/<name>.tmpl with its placeholders filled (all must be)."""
    return _JobTemplate((TEMPLATES / f"{name}.tmpl").read_text(encoding="utf-8")).substitute(values)


def scripts(results, shards, selection, array_time, cells, cpus=2, build_cpus=None,
            exclusive=True, partition=None, account=None, extra=(), setup=None,
            split_by_cpu=False, repo=REPO_ROOT):
    """{file name: text} of the job scripts. selection: the `scripts/study
    run` arguments that select the cells (profile, filters, settings)."""
    results, repo = Path(results), Path(repo)
    slurm_dir, logs = results / "slurm", results / "slurm" / "logs"
    options = [f"--partition={partition}"] if partition else []
    options += [f"--account={account}"] if account else []
    options += list(extra)
    shard_options = options + (["--exclusive"] if exclusive else [])
    q = shlex.quote
    common = q(str(slurm_dir / "common.sh"))
    merge_time = slurm_time(max(MERGE_MIN_S, cells * MERGE_S_PER_CELL))
    return {
        "common.sh": _job_text("common.sh", path=JOB_PATH, repo=q(str(repo)), results=q(str(results)),
                               shards=shards, selection=" ".join(q(a) for a in selection),
                               setup=setup or ": # no --job-setup given"),
        "build.sbatch": _header("dstudy-build", BUILD_TIME, build_cpus or cpus, logs, options) + "\n"
        + _job_text("build.sbatch", common=common),
        "shard.sbatch": _header("dstudy-shard", array_time, cpus, logs, shard_options, array=f"1-{shards}") + "\n"
        + _job_text("shard.sbatch", common=common),
        "merge.sbatch": _header("dstudy-merge", merge_time, 1, logs, options) + "\n"
        + _job_text("merge.sbatch", common=common, split=" --split-by-cpu" if split_by_cpu else ""),
        "submit.sh": _job_text("submit.sh", shards=shards, slurm_dir=q(str(slurm_dir)), slurm_dir_text=slurm_dir),
        "resubmit.sh": _job_text("resubmit.sh", shards=shards, slurm_dir=q(str(slurm_dir)),
                                 bench=q(str(results / "bin" / "dstudy_bench")), results_text=results),
    }


def write(results, files):
    """Writes the scripts into RESULTS/slurm/ (executable); returns the folder."""
    slurm_dir = Path(results) / "slurm"
    (slurm_dir / "logs").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = slurm_dir / name
        store.write_text(path, lambda f, t=text: f.write(t))
        os.chmod(path, 0o755)
    return slurm_dir


def selection_argv(args):
    """The `scripts/study run` arguments that select a run's cells and its
    settings, from parsed arguments (the same for every shard)."""
    out = ["--profile", args.profile or "quick"]
    if args.size:
        out += ["--size", args.size]
    if args.no_large:
        out.append("--no-large")
    for dim in ("impl", "workload", "kv", "allocator"):
        for pattern in getattr(args, dim):
            out += [f"--{dim}", pattern]
    for flag, value in (("--repetitions", args.repetitions), ("--timeout", args.timeout),
                        ("--seed", args.seed)):
        if value is not None:
            out += [flag, str(value)]
    if args.no_latency:
        out.append("--no-latency")
    if args.workloads_dir:
        out += ["--workloads-dir", str(Path(args.workloads_dir).resolve())]
    for f in args.allocators_file:
        out += ["--allocators-file", str(Path(f).resolve())]
    for spec in args.add_allocator:
        out += ["--add-allocator", spec]
    if args.skip_missing_allocators:
        out.append("--skip-missing-allocators")
    return out
