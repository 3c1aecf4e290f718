#!/usr/bin/env bash
# Fuzzes every parser a user hands input to (libFuzzer, clang 14, ASan +
# UBSan: the fuzz preset) for SECONDS each, starting from the seed corpora in
# tests/fuzz/corpus/<target>/ (which also hold every input that once found a
# bug, so each run replays them first). New corpus entries go to a scratch
# folder, not the repository. A crash, hang, leak or sanitizer report stops
# the script with a non-zero exit and the input under build/fuzz/findings/.
#
#   tests/fuzz/run_fuzz.sh                 60 s in all (10 s per target): what
#                                          scripts/test.sh runs
#   tests/fuzz/run_fuzz.sh --seconds 600   the longer run (README.md, "Fuzzing")
#   tests/fuzz/run_fuzz.sh --only fuzz_csv one target
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=10
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run_fuzz.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

targets=$(cd tests/fuzz && ls fuzz_*.cc | sed 's/\.cc$//')
[ -n "$only" ] && targets=$only
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target $targets
findings=build/fuzz/findings
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$findings"
failed=()
for t in $targets; do
  mkdir -p "$scratch/$t"
  echo "== $t: $seconds s from tests/fuzz/corpus/$t"
  log="$scratch/$t.log"
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
       -print_final_stats=1 -artifact_prefix="$findings/$t-" "$scratch/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$log" | sed "s/^/$t: /"
  else
    tail -40 "$log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "run_fuzz.sh: FINDINGS in ${failed[*]}: inputs under $findings/ (keep each in tests/fuzz/corpus/<target>/ once fixed)"
  exit 1
fi
echo "run_fuzz.sh: no findings"
