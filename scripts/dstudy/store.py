"""Run folders on disk: atomic JSON writes, one file per cell, the
results/<timestamp> folder and the results/latest link."""
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

CELLS = "cells"
RAW = "raw"
MANIFEST = "manifest.json"
RESULTS = "results.json"


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path, data):
    """Write to a temp file beside path, fsync, then rename over it: a reader
    (or a crash) sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_json(path):
    with open(path) as f:
        return json.load(f)


def new_run_dir(results_dir, shard=None):
    """results_dir/<UTC timestamp>[-shard-k-of-n], unique, plus a 'latest' link."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if shard:
        name += f"-shard-{shard[0]}-of-{shard[1]}"
    run_dir, n = results_dir / name, 1
    while True:
        try:
            run_dir.mkdir()
            break
        except FileExistsError:
            n += 1
            run_dir = results_dir / f"{name}-{n}"
    point_latest(results_dir, run_dir.name)
    return run_dir


def point_latest(results_dir, target_name):
    link = Path(results_dir) / "latest"
    tmp = Path(results_dir) / f".latest.{os.getpid()}.tmp"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(target_name, tmp)
        os.replace(tmp, link)
    except OSError:
        pass  # a link is a convenience; a file system without links still runs


def cell_path(run_dir, cell_id):
    return Path(run_dir) / CELLS / (cell_id.replace("/", "__") + ".json")


def write_cell(run_dir, record):
    write_json(cell_path(run_dir, record["id"]), record)


def load_cells(run_dir):
    """id -> record for every cell file in run_dir (temp files ignored)."""
    records = {}
    d = Path(run_dir) / CELLS
    if not d.is_dir():
        return records
    for p in sorted(d.glob("*.json")):
        if p.name.startswith("."):
            continue
        try:
            rec = read_json(p)
            records[rec["id"]] = rec
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable: the cell runs again
    return records
