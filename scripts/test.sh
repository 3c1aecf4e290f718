#!/usr/bin/env bash
# Runs the study's tests: installs what is missing, builds, runs the C++
# tests (ctest), lints the Python scripts (pyflakes) and runs the script tests
# (pytest).
#
#   scripts/test.sh               release build: conformance, workload, harness
#                                 and script tests
#   scripts/test.sh --sanitizers  also the AddressSanitizer+UBSan build of the
#                                 C++ tests and the ThreadSanitizer stress of
#                                 the thread-safe containers (what CI runs)
#   scripts/test.sh --slurm       also the study through real Slurm: a one-node
#                                 cluster on this machine (installs Slurm and
#                                 munge; needs root or sudo; about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=0
slurm=0
for arg in "$@"; do
  case "$arg" in
    --sanitizers) sanitizers=1 ;;
    --slurm) slurm=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if [ "$slurm" = 1 ]; then ./scripts/setup.sh --slurm; else ./scripts/setup.sh; fi
jobs=$(nproc)
failed=()

run_ctest() {  # preset "build targets (empty: all)" [ctest args...]
  local preset=$1 targets=$2; shift 2
  echo "== ctest ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs" ${targets:+--target $targets}
  ctest --preset "$preset" -j "$jobs" "$@" || failed+=("ctest $preset")
}

# The conformance executables of the thread-safe containers (the build names
# them conformance_<header path with / and . as _>).
thread_safe_targets() {
  grep -l 'kThreadSafe = true' impls/*.h impls/peers/*.h | sed 's|[/.]|_|g; s|^|conformance_|' | tr '\n' ' '
}

run_ctest release ""
# Python lint: unused imports and variables, undefined names, and the like.
# pyflakes prints what it finds and exits non-zero when it finds anything.
# (scripts/study and scripts/report are bash wrappers; pyflakes skips them.)
echo "== pyflakes"
/usr/bin/python3 -m pyflakes scripts tests/scripts || failed+=("pyflakes")
if [ -d tests/scripts ]; then
  echo "== pytest"
  /usr/bin/python3 -m pytest -q tests/scripts || failed+=("pytest")
fi
if [ "$sanitizers" = 1 ]; then
  run_ctest asan ""
  # Only thread-safe containers run concurrently; TSan checks their stress tests.
  run_ctest tsan "$(thread_safe_targets)" -R 'concurrent_stress'
fi

if [ "$slurm" = 1 ]; then
  echo "== slurm (tests/slurm/run_local_slurm_test.sh)"
  if [ "$(id -u)" -eq 0 ]; then
    tests/slurm/run_local_slurm_test.sh || failed+=("slurm")
  else
    sudo tests/slurm/run_local_slurm_test.sh || failed+=("slurm")
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "test.sh: FAILED: ${failed[*]}"
  exit 1
fi
echo "test.sh: all test runs passed"
