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

The array's --time is the time plan's longest shard times a margin.
"""
import math
import os
import shlex
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
    sel = " ".join(q(a) for a in selection)
    common = f"""# Sourced by every job of this run: one environment, one binary, one folder.
# Written by: scripts/study slurm (docs/running.md).
set -euo pipefail
export PATH={JOB_PATH}
export LC_ALL=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
unset LD_PRELOAD
REPO={q(str(repo))}
RESULTS={q(str(results))}
SHARDS={shards}
BIN="$RESULTS/bin/dstudy_bench"
SELECTION=({sel})
cd "$REPO"
{setup or ': # no --job-setup given'}
echo "job ${{SLURM_JOB_ID:-?}} (array task ${{SLURM_ARRAY_TASK_ID:--}}) on $(hostname) in $REPO"
"""
    build = _header("dstudy-build", BUILD_TIME, build_cpus or cpus, logs, options) + f"""
source {q(str(slurm_dir / 'common.sh'))}
cmake --preset release
cmake --build --preset release --target dstudy_bench -j "${{SLURM_CPUS_PER_TASK:-2}}"
mkdir -p "$RESULTS/bin"
# every shard runs this copy, whatever happens to the build folder meanwhile
cp build/release/dstudy_bench "$BIN.tmp.$$"
mv -f "$BIN.tmp.$$" "$BIN"
(cd "$RESULTS/bin" && sha256sum dstudy_bench > dstudy_bench.sha256)
git rev-parse HEAD > "$RESULTS/bin/git-revision" 2>/dev/null || true
echo "built $BIN"
"""
    shard = _header("dstudy-shard", array_time, cpus, logs, shard_options, array=f"1-{shards}") + f"""
source {q(str(slurm_dir / 'common.sh'))}
k=$SLURM_ARRAY_TASK_ID
(cd "$RESULTS/bin" && sha256sum --check --quiet dstudy_bench.sha256)
# A new run in the shard's folder, or the rest of the one there (a
# resubmitted shard): cells already recorded are not run again.
exec scripts/study run "${{SELECTION[@]}}" --shard "$k/$SHARDS" --bench "$BIN" --no-build \\
    --run-dir "$RESULTS/shards/shard-$k-of-$SHARDS" --quiet
"""
    split = " --split-by-cpu" if split_by_cpu else ""
    merge = _header("dstudy-merge", slurm_time(max(MERGE_MIN_S, cells * MERGE_S_PER_CELL)), 1, logs,
                    options) + f"""
source {q(str(slurm_dir / 'common.sh'))}
shopt -s nullglob
folders=("$RESULTS"/shards/shard-*-of-$SHARDS)
if [ ${{#folders[@]}} -eq 0 ]; then
  echo "no shard folder in $RESULTS/shards: did every shard fail to start? (see $RESULTS/slurm/logs)" >&2
  exit 1
fi
# A shard that is missing or did not finish is named in a warning (and in
# the merged manifest's shards_missing / cells_pending); resubmit it with
# $RESULTS/slurm/resubmit.sh K.
scripts/study merge --replace{split} "$RESULTS/merged" "${{folders[@]}}"
runs=("$RESULTS/merged")
[ -f "$RESULTS/merged/manifest.json" ] || runs=("$RESULTS"/merged/*/)
for run in "${{runs[@]}}"; do
  name=$(basename "$run")
  out="$RESULTS/report"
  [ "$run" = "$RESULTS/merged" ] || out="$RESULTS/report/$name"
  scripts/report "$run" --out "$out"
done
"""
    submit = f"""#!/bin/bash
# Submits the run: the build, then the {shards} shards (after the build
# succeeds), then the merge (after every shard ends, however it ends).
# Job ids go to {slurm_dir}/jobs.txt (a line each submission).
set -euo pipefail
dir={q(str(slurm_dir))}
mkdir -p "$dir/logs"
build=$(sbatch --parsable "$dir/build.sbatch")
array=$(sbatch --parsable --dependency=afterok:$build "$dir/shard.sbatch")
merge=$(sbatch --parsable --dependency=afterany:$array "$dir/merge.sbatch")
echo "submitted: build=$build shards=$array merge=$merge" | tee -a "$dir/jobs.txt"
"""
    resubmit = f"""#!/bin/bash
# Resubmits shards K... (e.g. 7, or 3 7 12) of this run, then a merge after
# them. Each continues its own folder: the cells it recorded before are not
# run again, the one it was running when it stopped runs from the start.
set -euo pipefail
dir={q(str(slurm_dir))}
if [ $# -eq 0 ]; then echo "usage: $0 K [K...]  (shard numbers, 1-{shards})" >&2; exit 2; fi
for k in "$@"; do
  case "$k" in
    ''|*[!0-9]*) echo "$0: '$k' is not a shard number (1-{shards})" >&2; exit 2 ;;
  esac
  if [ "$k" -lt 1 ] || [ "$k" -gt {shards} ]; then
    echo "$0: shard $k: this run has shards 1-{shards}" >&2; exit 2
  fi
done
if [ ! -x {q(str(results / 'bin' / 'dstudy_bench'))} ]; then
  echo "$0: no dstudy_bench in {results}/bin: the build job did not succeed; run $dir/submit.sh" >&2
  exit 2
fi
list=$(IFS=,; echo "$*")
array=$(sbatch --parsable --array="$list" "$dir/shard.sbatch")
merge=$(sbatch --parsable --dependency=afterany:$array "$dir/merge.sbatch")
echo "resubmitted $list: shards=$array merge=$merge" | tee -a "$dir/jobs.txt"
"""
    return {"common.sh": common, "build.sbatch": build, "shard.sbatch": shard,
            "merge.sbatch": merge, "submit.sh": submit, "resubmit.sh": resubmit}


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
