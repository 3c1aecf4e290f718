"""Combines shard run folders into one run folder, refusing mixtures."""
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from . import lock, manifest as manifest_mod, results, schema, store
from .contract import RESULTS_SCHEMA_VERSION, SIDECAR_SCHEMA_VERSION

# Settings that must agree for cells to belong to one matrix.
SAME_SETTINGS = ("size", "repetitions", "latency", "memory_sample_every", "sections", "open_loop", "arrivals")


class MergeError(ValueError):
    pass


def _load(run_dir):
    run_dir = Path(run_dir)
    try:
        manifest = store.read_json(run_dir / store.MANIFEST)
    except (OSError, ValueError) as e:
        raise MergeError(f"{run_dir}: no readable {store.MANIFEST} ({e}); is it a run folder?") from e
    return manifest, store.load_cells(run_dir)


def _sidecar_versions(records):
    return {r["sidecar"].get("schema_version") for r in records.values()
            if isinstance(r.get("sidecar"), dict)}


def _check_sidecars(run_dir, records):
    """Every cell's sidecar follows the sidecar schema of this runner's
    version (docs/schema/sidecar.schema.json), or MergeError naming it."""
    bad = _sidecar_versions(records) - {SIDECAR_SCHEMA_VERSION}
    if bad:
        raise MergeError(f"{run_dir}: cells with sidecar schema version {sorted(bad)}, "
                         f"expected {SIDECAR_SCHEMA_VERSION}")
    for cid, r in records.items():
        found = r.get("sidecar") is not None and schema.problem(r["sidecar"], "sidecar", prefix="sidecar")
        if found:
            raise MergeError(f"{run_dir}: cell {cid}: {found[0]}: {found[1]} "
                             f"(docs/schema/sidecar.schema.json)")


def check(runs):
    """runs: [(dir, manifest, records)]; raises MergeError naming the problem;
    returns warnings."""
    warnings = []
    first_dir, first, _ = runs[0]
    for d, m, recs in runs:
        version = m.get("schema_version")
        if version != RESULTS_SCHEMA_VERSION:
            raise MergeError(f"{d}: schema version {version}, this runner writes {RESULTS_SCHEMA_VERSION}")
        _check_sidecars(d, recs)
        if m.get("profile") != first.get("profile"):
            raise MergeError(f"mixed profiles: {first_dir} is '{first.get('profile')}', "
                             f"{d} is '{m.get('profile')}'")
        for key in SAME_SETTINGS:
            a, b = first.get("settings", {}).get(key), m.get("settings", {}).get(key)
            if a != b:
                raise MergeError(f"mixed settings: {key} is {a!r} in {first_dir}, {b!r} in {d}")
        if m.get("filters") != first.get("filters"):
            warnings.append(f"{d}: filters {m.get('filters')} differ from {first_dir}'s {first.get('filters')}")
        if m.get("finished") is None or m.get("cells_pending"):
            warnings.append(f"{d}: run did not finish ({m.get('cells_pending', '?')} cells pending); "
                            f"resume it with scripts/study run --resume {d}")
    seen, dupes = {}, []
    for d, _, recs in runs:
        for cid in recs:
            if cid in seen:
                dupes.append(f"{cid} (in {seen[cid]} and {d})")
            else:
                seen[cid] = d
    if dupes:
        more = f" and {len(dupes) - 10} more" if len(dupes) > 10 else ""
        raise MergeError("overlapping cells, the same cell in two folders:\n  " +
                         "\n  ".join(dupes[:10]) + more)
    defs = {}
    for d, m, _ in runs:
        for a in m.get("allocators", []):
            key = (a.get("library"), tuple(sorted((a.get("env") or {}).items())))
            if a["name"] in defs and defs[a["name"]][0] != key:
                raise MergeError(f"allocator '{a['name']}' is defined differently in "
                                 f"{defs[a['name']][1]} and {d}")
            defs.setdefault(a["name"], (key, d))
    missing = missing_shards(runs)
    if missing:
        warnings.append(f"shards {', '.join(map(str, missing))} of {runs[0][1]['shard'].split('/')[1]} "
                        f"are not in this merge")
    return warnings


def missing_shards(runs):
    """The shard numbers k of k/n absent from runs that are all shards of n."""
    shards = [m.get("shard") for _, m, _ in runs if m.get("shard")]
    ns = {s.split("/")[1] for s in shards}
    if len(ns) != 1 or len(shards) != len(runs):
        return []
    n = int(ns.pop())
    return sorted(set(range(1, n + 1)) - {int(s.split("/")[0]) for s in shards})


def cpu_model(record, manifest):
    """The CPU a cell was measured on: its sidecar's, else (a cell that failed
    before writing one) its run folder's."""
    env = (record.get("sidecar") or {}).get("environment") if isinstance(record.get("sidecar"), dict) else None
    return (env or {}).get("cpu_model") or (manifest.get("environment") or {}).get("cpu_model") or "unknown"


def by_cpu_model(runs):
    """{CPU model: runs with only the cells measured on it}, models in order
    of first appearance."""
    groups = {}
    for d, m, recs in runs:
        for cid, r in recs.items():
            groups.setdefault(cpu_model(r, m), {}).setdefault(d, (m, {}))[1][cid] = r
    return {model: [(d, m, recs) for d, (m, recs) in dirs.items()] for model, dirs in groups.items()}


def check_one_cpu_model(groups):
    """Figures are compared across shards: cells of one merged run must come
    from one CPU model."""
    if len(groups) <= 1:
        return
    lines = []
    for model, g in groups.items():
        n = sum(len(r) for _, _, r in g)
        lines.append(f"'{model}': {n} cell{'s' * (n != 1)} in {', '.join(str(d) for d, _, _ in g)}")
    raise MergeError("cells measured on different CPU models, whose figures cannot be compared:\n  "
                     + "\n  ".join(lines) + "\nmerge each model's folders apart, or pass --split-by-cpu "
                     "(one merged run per CPU model)")


def merged_manifest(runs, out_dir, command):
    first = runs[0][1]
    records = {cid: r for _, _, recs in runs for cid, r in recs.items()}
    allocators = {}
    for _, m, _ in runs:
        for a in m.get("allocators", []):
            allocators.setdefault(a["name"], a)
    finished = [m.get("finished") for _, m, _ in runs]
    size = first.get("size", (first.get("settings") or {}).get("size"))
    sizes = [size] if size else []
    for r in records.values():  # the main size first, then as the cells have them
        if r.get("size") and r["size"] not in sizes:
            sizes.append(r["size"])
    sections = []
    for _, m, _ in runs:  # each section once, its cells summed over the folders
        for sec in m.get("sections") or []:
            have = next((x for x in sections if x["name"] == sec["name"]), None)
            if have is None:
                sections.append(dict(sec))
            else:
                have["cells"] = have.get("cells", 0) + sec.get("cells", 0)
    return {"schema_version": RESULTS_SCHEMA_VERSION, "run_id": Path(out_dir).name,
            "profile": first.get("profile"),
            "size": size, "sizes": sizes, "sections": sections,
            "filters": first.get("filters"),
            "allocators": sorted(allocators.values(), key=lambda a: a["name"]),
            "implementations": {name: i for _, m, _ in runs
                                for name, i in (m.get("implementations") or {}).items()},
            "skipped_allocators": sorted({n for _, m, _ in runs for n in m.get("skipped_allocators", [])}),
            "skipped_workloads": sorted({n for _, m, _ in runs for n in m.get("skipped_workloads", [])}),
            "shard": None, "settings": first.get("settings"), "bench": first.get("bench"),
            "started": min(m.get("started") or "" for _, m, _ in runs) or None,
            "finished": None if None in finished else max(finished),
            "interrupted": any(m.get("interrupted") for _, m, _ in runs),
            "environment": first.get("environment"),
            "environments": {str(d): m.get("environment") for d, m, _ in runs},
            "cells_total": sum(m.get("cells_total", 0) for _, m, _ in runs),
            **manifest_mod.tally(list(records.values())),
            "cells_pending": sum(m.get("cells_pending", 0) for _, m, _ in runs),
            "merged_from": [{"dir": str(d), "run_id": m.get("run_id"), "shard": m.get("shard")}
                            for d, m, _ in runs],
            "shards_missing": missing_shards(runs),
            "command": command}, records


def _check_empty(out_dir):
    if any(p.name != lock.LOCK_FILE for p in out_dir.iterdir()):
        raise MergeError(f"{out_dir} exists and is not empty; merge writes a new folder "
                         f"(--replace replaces an earlier merge's)")


def _is_merge_output(path):
    """A folder merge wrote: its manifest (or, split by CPU model, each
    sub-folder's) says merged_from."""
    def merged(d):
        try:
            return "merged_from" in store.read_json(d / store.MANIFEST)
        except (OSError, ValueError):
            return False
    subs = [p for p in path.iterdir() if p.is_dir()]
    return merged(path) or (bool(subs) and all(merged(p) for p in subs))


def slug(text):
    """'AMD EPYC 7B13 64-Core Processor' -> 'amd-epyc-7b13-64-core-processor'."""
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(w for w in out.split("-") if w) or "unknown"


def _write(out_dir, runs, command, run_id):
    """One merged run folder from runs (out_dir exists and is empty)."""
    manifest, records = merged_manifest(runs, Path(run_id), command)
    for d, _, recs in runs:
        for r in recs.values():
            store.write_cell(out_dir, r)
            raw = d / r.get("raw_dir", "")
            if r.get("raw_dir") and raw.is_dir():
                shutil.copytree(raw, out_dir / r["raw_dir"], dirs_exist_ok=True)
    results.write(out_dir, manifest, records)
    return manifest


def merge(out_dir, run_dirs, command, warn=None, split_by_cpu=False, replace=False):
    """Writes OUT_DIR under its run lock (lock.py), like a runner would, so
    a merge and a runner never write one folder at once. Nothing is created
    when the inputs are refused. split_by_cpu: one merged run per CPU model,
    in OUT_DIR/<model>/. replace: OUT_DIR may hold an earlier merge's output,
    replaced once the new one is written (what a merge job run again after a
    resubmitted shard does)."""
    out_dir = Path(out_dir)
    with contextlib.ExitStack() as held:
        if len(set(Path(d).resolve() for d in run_dirs)) != len(run_dirs):
            raise MergeError("the same folder is given twice")
        runs = [(Path(d), *_load(d)) for d in run_dirs]
        warnings = check(runs)
        groups = by_cpu_model(runs)
        if not split_by_cpu:
            check_one_cpu_model(groups)
        if out_dir.exists():
            held.enter_context(lock.RunLock(out_dir, command))
            if replace and _is_merge_output(out_dir):
                target = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
            else:
                _check_empty(out_dir)
                target = out_dir
        else:
            out_dir.mkdir(parents=True, exist_ok=True)
            held.enter_context(lock.RunLock(out_dir, command))
            _check_empty(out_dir)  # another merge may have written it meanwhile
            target = out_dir
        for w in warnings:
            print(f"study merge: warning: {w}", file=warn or sys.stderr)
        if split_by_cpu:
            manifests = {}
            for model, group in groups.items():
                sub = target / slug(model)
                sub.mkdir()
                manifests[model] = _write(sub, group, command, sub.name)
        else:
            manifests = {None: _write(target, runs, command, out_dir.name)}
        if target != out_dir:  # swap the new merge in, then drop the old one
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            os.rename(out_dir, old)
            os.rename(target, out_dir)
            shutil.rmtree(old, ignore_errors=True)
    return manifests
