#!/usr/bin/env bash
# The study through real Slurm, on a cluster of one node (this machine,
# tests/slurm/local_cluster.sh): the jobs `scripts/study slurm` writes (a
# build job, a 3-task shard array, a merge job after it) are submitted with
# their submit.sh; shard 2's runner is killed mid-run with SIGKILL (a crash
# or a lost node: no chance to clean up) and resubmitted with the documented command
# (RESULTS/slurm/resubmit.sh 2), and the merged run is checked against the
# same cells run locally: the same cell set, each once, all ok, the result
# schema, the killed shard's earlier cells not run again, the report
# rendered. Everything (cluster, results) lives in one temp folder, removed
# at the end however the test ends (KEEP=1 keeps it).
#
#   tests/slurm/run_local_slurm_test.sh     as root, after scripts/setup.sh --slurm
#                                           (./scripts/test.sh --slurm does both)
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/slurm/local_cluster.sh

tmp=$(mktemp -d /tmp/dstudy-slurm-test.XXXXXX)
local_pid=
finish() {
  local rc=$?
  [ -z "$local_pid" ] || kill "$local_pid" 2>/dev/null || true
  cluster_down "$tmp/cluster"
  if [ -n "${KEEP:-}" ]; then echo "slurm test: kept $tmp"; else rm -rf "$tmp"; fi
  [ $rc -eq 0 ] && echo "slurm test: PASSED in $(( $(date +%s) - t0 )) s" || echo "slurm test: FAILED (exit $rc)"
  exit $rc
}
t0=$(date +%s)
trap finish EXIT
say() { echo "slurm test [$(( $(date +%s) - t0 )) s]: $*"; }
die() { echo "slurm test: $*" >&2; exit 1; }

# Waits until none of these jobs is queued or running (at most $2 s).
wait_jobs() {
  local jobs=$1 limit=$2 i
  for i in $(seq "$limit"); do
    [ -z "$(squeue -h -j "$jobs" 2>/dev/null)" ] && return 0
    sleep 1
  done
  squeue; die "jobs $jobs still queued or running after $limit s"
}
# job=ID from the last line of jobs.txt
job() { tail -n 1 "$results/slurm/jobs.txt" | grep -o "$1=[0-9]*" | cut -d= -f2; }
# Stops the test, with the job's log, unless the job ended COMPLETED.
completed() {  # job log-name (dstudy-build-ID, ...)
  [ "$(state "$1")" = COMPLETED ] && return 0
  cat "$results/slurm/logs/$2.out" >&2 || true
  die "job $1 ended $(state "$1")"
}
state() { scontrol show job "$1" | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2; }

cluster_up "$tmp/cluster"
results=$tmp/results
# 48 quick cells, 16 a shard: long enough to kill shard 2 between two cells
sel=(--profile quick --no-large --allocator glibc
     --impl 'absl_flat_hash_map,tombstone_*,std_unordered_map'
     --workload 'steady_churn.*,miss_after_delete.*,drain.*,zipf_churn,order_book')

say "writing the jobs (the time plan sets the shards' --time)"
scripts/study slurm "${sel[@]}" --shards 3 --results-dir "$results" --cpus-per-task 1 --no-exclusive
grep -q -- '--array=1-3' "$results/slurm/shard.sbatch" || die "shard.sbatch has no --array=1-3"
"$results/slurm/submit.sh"
build=$(job build) array=$(job shards) merge=$(job merge)
say "submitted: build $build, shards $array, merge $merge"

wait_jobs "$build" 1200
completed "$build" "dstudy-build-$build"
say "built; the same cells run locally, beside the shards"
scripts/study run "${sel[@]}" --bench "$results/bin/dstudy_bench" --no-build \
  --results-dir "$tmp/local" --quiet > "$tmp/local.log" 2>&1 &
local_pid=$!

shard2=$results/shards/shard-2-of-3
for i in $(seq 600); do
  n=$( (find "$shard2/cells" -name '*.json' 2>/dev/null || true) | wc -l)
  [ "$n" -ge 1 ] && break
  sleep 0.2
done
[ "$n" -ge 1 ] || die "shard 2 recorded no cell within 120 s"
[ "$(state "${array}_2")" = RUNNING ] ||
  die "shard 2 finished before it could be killed (it is $(state "${array}_2"))"
# SIGKILL to the shard's runner (its pid is in the folder's lock): a crash
# or a node lost, with no chance to clean up (scancel would send SIGTERM,
# which the runner handles). The cell it was running dies with it.
runner=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' \
  "$shard2/.lock")
say "killing shard 2 (job ${array}_2, runner pid $runner) with SIGKILL after $n of its cells"
kill -KILL "$runner"
wait_jobs "$array" 600
[ "$(state "${array}_2")" = FAILED ] || die "shard 2 should have failed, it is $(state "${array}_2")"
sleep 1
for cmdline in /proc/[0-9]*/cmdline; do
  if { tr '\0' ' ' < "$cmdline"; } 2>/dev/null | grep -q "$shard2/raw"; then
    die "a cell process of the killed shard outlived its runner: $cmdline"
  fi
done
wait_jobs "$merge" 600
completed "$merge" "dstudy-merge-$merge"
grep -q "shard-2-of-3: run did not finish" "$results/slurm/logs/dstudy-merge-$merge.out" ||
  die "the first merge did not report shard 2 as unfinished"
pending=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["cells_pending"])' \
  "$results/merged/manifest.json")
[ "$pending" -gt 0 ] || die "the first merge counts no cell pending, though shard 2 was killed"
say "first merge done: shard 2 reported unfinished ($pending cells pending)"

/usr/bin/python3 tests/slurm/check_results.py snapshot "$shard2" "$tmp/before.json"
say "resubmitting shard 2: $results/slurm/resubmit.sh 2"
"$results/slurm/resubmit.sh" 2
array2=$(job shards) merge2=$(job merge)
wait_jobs "$array2,$merge2" 900
completed "$merge2" "dstudy-merge-$merge2"

wait "$local_pid" || { cat "$tmp/local.log"; die "the local run failed"; }
/usr/bin/python3 tests/slurm/check_results.py compare "$results/merged" "$tmp/local/latest" \
  "$shard2" "$tmp/before.json"
[ -s "$results/report/report.html" ] || die "the merge job rendered no report ($results/report/report.html)"
say "the merged report rendered: $results/report/report.html"
