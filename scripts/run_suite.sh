#!/usr/bin/env bash
# The main job: install what is missing, build, run the default (quick)
# benchmark matrix under the four allocators, and render its report.
#
#   scripts/run_suite.sh [scripts/study run options...]
#
# Results land in results/<run>/ (results/latest links the newest), the
# report in reports/latest/. Exit status: the runner's (0 all cells ok, 1 some
# cells failed but were recorded and reported, 2 usage error), or the
# report's when rendering fails.
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh || exit $?
./scripts/study run "$@"
run_status=$?
# 0 and 1 both leave a complete results folder; anything else ran nothing
# worth reporting (usage error) or was interrupted (resume it first).
if [ "$run_status" -gt 1 ]; then
  exit "$run_status"
fi
# The run just made is <results dir>/latest (results/ unless --results-dir).
results_dir=results
prev=
for arg in "$@"; do
  case "$arg" in --results-dir=*) results_dir=${arg#--results-dir=} ;; esac
  [ "$prev" = "--results-dir" ] && results_dir=$arg
  prev=$arg
done
./scripts/report "$results_dir/latest" --out reports/latest || exit $?
echo "run_suite: report in reports/latest/report.html (summary: reports/latest/report.md)"
exit "$run_status"
