"""Builds the release preset when dstudy_bench is missing or older than its
sources."""
import os
import subprocess
import sys

from . import REPO_ROOT

SOURCE_DIRS = ("bench", "impls", "workloads", "cmake")
SOURCE_FILES = ("CMakeLists.txt", "CMakePresets.json")


def newest_source_mtime(root=REPO_ROOT):
    newest = 0.0
    paths = [root / f for f in SOURCE_FILES if (root / f).exists()]
    for d in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(root / d):
            dirnames[:] = [n for n in dirnames if not n.startswith(".")]
            paths.extend(os.path.join(dirpath, f) for f in filenames if not f.startswith("."))
    for p in paths:
        try:
            newest = max(newest, os.stat(p).st_mtime)
        except OSError:
            pass
    return newest


def is_stale(binary):
    try:
        built = os.stat(binary).st_mtime
    except OSError:
        return True
    return newest_source_mtime() > built


def build(target="dstudy_bench"):
    """cmake --preset release && cmake --build --preset release; output goes
    to stderr. Returns True when both succeed."""
    steps = [["cmake", "--preset", "release"],
             ["cmake", "--build", "--preset", "release", "--target", target,
              "-j", str(os.cpu_count() or 2)]]
    for argv in steps:
        print("study: " + " ".join(argv), file=sys.stderr, flush=True)
        try:
            rc = subprocess.run(argv, cwd=REPO_ROOT, stdout=sys.stderr, stderr=sys.stderr).returncode
        except OSError as e:
            print(f"study: cannot run cmake: {e}", file=sys.stderr)
            return False
        if rc != 0:
            return False
    return True
