#!/usr/bin/env bash
# Installs what the study needs on Debian 12 (bookworm), only what is missing.
# Safe to run twice; runs as root with no prompt (or through sudo otherwise).
#
#   scripts/setup.sh           what the study and its reports need (the
#                              main job: scripts/run_suite.sh)
#   scripts/setup.sh --tests   also what the tests need (pytest, flake8,
#                              clang-format, clang's libFuzzer, Chromium and
#                              Selenium): scripts/test.sh
#   scripts/setup.sh --slurm   also Slurm and munge, for the Slurm test
#                              (tests/slurm/run_local_slurm_test.sh); no
#                              service is configured or started
#
# boost 1.81 (for boost::unordered_flat_map) is NOT installed: installing
# libboost1.81-dev removes python3-matplotlib (a clash with boost 1.74), so its
# headers are unpacked into .deps/boost181 with `apt-get download` + `dpkg -x`.
set -euo pipefail

slurm=0
tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) tests=1 ;;
    --slurm) slurm=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

root_dir=$(cd "$(dirname "$0")/.." && pwd)
deps_dir="$root_dir/.deps"

packages=(
  # toolchain
  build-essential cmake git pkg-config ca-certificates
  # C++ libraries: harness, tests, command line, JSON, the stream cache's hash
  libbenchmark-dev libgtest-dev libcli11-dev nlohmann-json3-dev libxxhash-dev
  # allocators under study
  libjemalloc-dev libjemalloc2 libmimalloc-dev libmimalloc2.0 libgoogle-perftools-dev
  # peer containers
  libabsl-dev libtbb-dev robin-map-dev libcds-dev libcuckoo-dev
  libsparsehash-dev libflathashmap-dev libtsl-hopscotch-map-dev
  # the runner and the reports (Debian's Python: /usr/bin/python3); the
  # result files are checked against their JSON Schemas (docs/schema/) with
  # fastjsonschema
  python3 python3-matplotlib python3-numpy python3-scipy python3-fastjsonschema
  # compressed traces are read through these programs
  zstd gzip xz-utils bzip2
  # workloads/traces/measure_scale.sh: peak RSS and CPU time of the conversion
  time
)
if [ "$tests" = 1 ]; then
  packages+=(
    # script tests and their lint; the schemas themselves are checked with
    # jsonschema; property-based tests of the Python loaders
    python3-pytest python3-flake8 python3-jsonschema python3-hypothesis
    # C++ formatting check (.clang-format)
    clang-format-14
    # the parsers' fuzz targets (tests/fuzz: clang's libFuzzer, the fuzz preset)
    clang-14 libclang-rt-14-dev
    # the report's browser test (headless Chromium driven by Selenium)
    chromium chromium-driver python3-selenium
  )
fi
if [ "$slurm" = 1 ]; then
  # a one-node Slurm cluster for the Slurm test: controller, node daemon,
  # sbatch & co, and munge (its authentication)
  packages+=(slurmctld slurmd slurm-client munge)
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

# munge's package setup runs a command as the munge user, which fails when
# others may not enter / (a root unpacked from a tar made under mktemp -d
# can be mode 700; a real / is 755).
if [ "$slurm" = 1 ] && [ $(( 0$(stat -c %a /) & 1 )) -eq 0 ]; then
  echo "setup: / is mode $(stat -c %a /): others must be able to enter it for munge's setup; chmod o+rx /"
  as_root chmod o+rx /
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # An apt index that was never fetched has no lists; fetch it once.
  if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then
    as_root apt-get update -qq
  fi
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# The browser test reaches chromedriver at "localhost" (Selenium's fixed
# address): a root with no /etc/hosts (a bare debootstrap) cannot resolve
# the name, and the test then fails to connect.
if [ "$tests" = 1 ] && ! getent hosts localhost >/dev/null; then
  echo "setup: the name localhost does not resolve; adding '127.0.0.1 localhost' to /etc/hosts"
  echo "127.0.0.1 localhost" | as_root tee -a /etc/hosts >/dev/null
fi

boost_dir="$deps_dir/boost181"
if [ ! -f "$boost_dir/usr/include/boost/unordered/unordered_flat_map.hpp" ]; then
  echo "setup: unpacking boost 1.81 headers into $boost_dir"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq libboost1.81-dev)
  rm -rf "$boost_dir"
  mkdir -p "$boost_dir"
  dpkg -x "$tmp"/libboost1.81-dev_*.deb "$boost_dir"
else
  echo "setup: boost 1.81 headers present"
fi
echo "setup: done"
