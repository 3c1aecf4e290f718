#!/usr/bin/env bash
# Runs the study's tests: installs what is missing, checks the C++ format
# (clang-format) and lints the Python scripts (flake8), builds, runs the C++
# tests (ctest) and the script tests (pytest).
#
#   scripts/test.sh               release build: conformance, workload, harness
#                                 and script tests, then a bounded run (about a
#                                 minute) of the parsers' fuzz targets
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
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if [ "$slurm" = 1 ]; then ./scripts/setup.sh --tests --slurm; else ./scripts/setup.sh --tests; fi
jobs=$(nproc)
failed=()

run_ctest() {  # preset "build targets (empty: all)" [ctest args...]
  local preset=$1 targets=$2; shift 2
  echo "== ctest ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs" ${targets:+--target $targets}
  # Name the failed tests here too: the summary at the end is what a log's
  # tail shows (CI keeps only the tail), and ctest lists them far above it.
  # An earlier run's list is removed first, so no stale name is reported.
  local log="build/$preset/Testing/Temporary/LastTestsFailed.log"
  rm -f "$log"
  if ! ctest --preset "$preset" -j "$jobs" "$@"; then
    local names=""
    [ -f "$log" ] && names=" ($(cut -d: -f2 "$log" | paste -sd' '))"
    failed+=("ctest $preset$names")
  fi
}

# The conformance executables of the thread-safe containers (the build names
# them conformance_<header path with / and . as _>).
thread_safe_targets() {
  grep -l 'kThreadSafe = true' impls/*.h impls/peers/*.h | sed 's|[/.]|_|g; s|^|conformance_|' | tr '\n' ' '
}

# C++ format: every C++ file follows .clang-format.
check_format() {
  local f bad=0
  for f in $(find bench impls tests \( -name '*.h' -o -name '*.cc' \) | sort); do
    clang-format-14 --dry-run --Werror "$f" || bad=1
  done
  [ "$bad" = 0 ] || echo "format: run 'clang-format-14 -i FILE' on the files above"
  return "$bad"
}
echo "== clang-format"
check_format || failed+=("clang-format")
# Python lint (.flake8): pyflakes' checks (unused imports and variables,
# undefined names) and pycodestyle's layout checks. (scripts/study and
# scripts/report are bash wrappers; flake8 checks only *.py files.)
echo "== flake8"
/usr/bin/python3 -m flake8 scripts tests/scripts || failed+=("flake8")

run_ctest release ""
if [ -d tests/scripts ]; then
  echo "== pytest"
  /usr/bin/python3 -m pytest -q tests/scripts || failed+=("pytest")
fi
# The parsers' libFuzzer targets (tests/fuzz): 10 s each from the seed
# corpora, which keep every input that once found a bug.
echo "== fuzz (tests/fuzz/run_fuzz.sh)"
tests/fuzz/run_fuzz.sh || failed+=("fuzz")
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
