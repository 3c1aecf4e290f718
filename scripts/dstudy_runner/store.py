"""Run folders on disk: atomic JSON writes, one file per cell, the
results/<timestamp> folder and the results/latest link.

Each cell's sidecar is stored once in the folder's cells/: its record embeds
it (memory series as columns) and the raw folder keeps only what the record
does not hold (gbench.json, stdout, stderr). results.json merges the records;
cells/ and results.json are written without indentation.

Every file is written to a temp file beside it, fsynced, renamed over the
old one, and the folder fsynced: a kill at any point leaves the old file or
the new one, never a part of one. A write that fails (a full disk, a
read-only folder) is a WriteError naming the path, and leaves every file
written before as it was."""
import errno
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

CELLS = "cells"
RAW = "raw"
MANIFEST = "manifest.json"
RESULTS = "results.json"
CSV = "cells.csv"
SIDECAR = "sidecar.json"
COMPACT = {"separators": (",", ":")}
READABLE = {"indent": 1}


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class WriteError(RuntimeError):
    """A result file or folder that cannot be written; names the path."""


def write_error(path, e):
    """The WriteError for OSError e while writing path."""
    why = {errno.ENOSPC: " (the disk is full)", errno.EDQUOT: " (over the disk quota)",
           errno.EACCES: " (no permission to write there)",
           errno.EPERM: " (no permission to write there)"}.get(e.errno, "")
    return WriteError(f"cannot write {path}: {e.strerror or e}{why}")


def _fsync_folder(folder):
    """Makes a rename in folder durable (a crash after it keeps the new name)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_folder(path):
    """mkdir -p, a failure as a WriteError naming the folder."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(path, e) from e


def write_json(path, data, compact=False):
    """Write to a temp file beside path, fsync, then rename over it: a reader
    (or a crash) sees the old file or the new one, never half of one.
    compact: no indentation, no spaces after separators."""
    def write(f):
        json.dump(data, f, **(COMPACT if compact else READABLE))
        f.write("\n")
    write_text(path, write)


def write_text(path, write):
    """write(f) into a temp file beside path, then rename it over path.
    Raises WriteError naming path when the file system refuses."""
    path = Path(path)
    make_folder(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    except OSError as e:
        raise write_error(path, e) from e
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", newline="") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise write_error(path, e) from e
        raise


def read_json(path):
    with open(path) as f:
        return json.load(f)


def new_run_dir(results_dir, shard=None):
    """results_dir/<UTC timestamp>[-shard-k-of-n], unique, plus a 'latest' link."""
    results_dir = Path(results_dir)
    make_folder(results_dir)
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
        except OSError as e:
            raise write_error(run_dir, e) from e
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
    write_json(cell_path(run_dir, record["id"]), record, compact=True)


def columnar_series(sidecar):
    """The sidecar with memory.series as one list per field ({"op": [...],
    "phase": [...], "heap_bytes": [...], ...}, all of one length) instead of
    a list of objects that repeat every field name; other parts as they are.
    A sidecar whose series is already columnar, or absent, is returned as is."""
    memory = sidecar.get("memory") if isinstance(sidecar, dict) else None
    series = memory.get("series") if isinstance(memory, dict) else None
    if not isinstance(series, list) or not all(isinstance(e, dict) for e in series):
        return sidecar
    fields = list(dict.fromkeys(k for e in series for k in e))
    columns = {k: [e.get(k) for e in series] for k in fields}
    return dict(sidecar, memory=dict(memory, series=columns))


def series_rows(series):
    """memory.series as a list of objects, whichever way it is stored."""
    if isinstance(series, dict):
        fields = list(series)
        return [dict(zip(fields, values)) for values in zip(*series.values())]
    return list(series or [])


def drop_raw_sidecar(run_dir, record):
    """The raw folder's sidecar.json once the cell's record holds it (a
    sidecar the record does not hold, such as one of another schema
    version, stays for diagnosis)."""
    if record.get("sidecar") is not None and record.get("raw_dir"):
        try:
            (Path(run_dir) / record["raw_dir"] / SIDECAR).unlink()
        except FileNotFoundError:
            pass


def remove_stale_temps(run_dir):
    """The temp files of writes a killed runner left (call with the folder's
    lock held: no other writer is in it)."""
    for d in (Path(run_dir), Path(run_dir) / CELLS):
        for tmp in d.glob(".*.tmp"):
            try:
                tmp.unlink()
            except OSError:
                pass


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


def megabytes(path):
    """'12.3 MB': a file's size, or a folder's (every file under it)."""
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    total = 0
    for f in files:
        try:
            total += f.stat().st_size
        except OSError:
            pass
    return f"{total / 1e6:.1f} MB"
