"""A run's manifest: what ran, how, where, when, and what failed."""
import os
import platform
import subprocess

from . import REPO_ROOT, store
from .contract import NOT_APPLICABLE, RESULTS_SCHEMA_VERSION
from . import allocators as alloc_mod


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def cpu_model():
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or None


def git(*args):
    try:
        p = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        return p.stdout.strip() if p.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def os_name():
    for line in (_read("/etc/os-release") or "").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return None


def environment():
    """The runner's side; merge.results() adds the harness's side."""
    status = git("status", "--porcelain")
    return {"cpu_model": cpu_model(), "cores": os.cpu_count(),
            "governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
            "kernel": platform.release(), "os": os_name(), "hostname": platform.node(),
            "python": platform.python_version(),
            "git_revision": git("rev-parse", "HEAD"),
            "git_dirty": None if status is None else bool(status)}


def new(plan, run_id, command, retry_failed=False):
    return {"schema_version": RESULTS_SCHEMA_VERSION, "run_id": run_id, "profile": plan.profile,
            "size": plan.settings["size"], "sizes": plan.sizes,
            "sections": [dict(sec) for sec in plan.sections],
            "filters": {d: plan.filters.get(d, []) for d in ("impl", "workload", "kv", "allocator")},
            "allocators": [dict(a.to_json(), version=alloc_mod.version(a))
                           for a in plan.allocators.values()],
            "implementations": plan.implementations,
            "skipped_allocators": plan.skipped_allocators,
            "skipped_workloads": plan.skipped_workloads,
            "shard": f"{plan.shard[0]}/{plan.shard[1]}" if plan.shard else None,
            "settings": plan.settings, "bench": plan.bench,
            "started": store.utc_now(), "finished": None, "interrupted": False,
            "resumed": [], "environment": environment(),
            "cells_total": len(plan.cells), "cells_ok": 0, "cells_failed": 0, "cells_not_applicable": 0,
            "cells_competing": 0, "cells_pending": len(plan.cells), "failures": [],
            "command": command, "options": plan.options()}


def competing(record):
    """The reason an ok cell was measured beside another process, or None."""
    load = (record.get("sidecar") or {}).get("machine_load") or {}
    if record.get("status") != "ok" or not load.get("competing"):
        return None
    return load.get("reason") or "machine_load.competing"


def tally(records):
    """The counts and failure list of docs/result-schema.md's manifest."""
    failed = sorted((r for r in records if r["status"] not in ("ok", NOT_APPLICABLE)), key=lambda r: r["id"])
    not_applicable = sum(1 for r in records if r["status"] == NOT_APPLICABLE)
    return {"cells_ok": len(records) - len(failed) - not_applicable, "cells_failed": len(failed),
            "cells_not_applicable": not_applicable,
            "cells_competing": sum(1 for r in records if competing(r)),
            "failures": [{"id": r["id"], "reason": r["failure"]["reason"],
                          "exit_code": r["failure"]["exit_code"], "signal": r["failure"]["signal"],
                          "message": r["failure"].get("message")} for r in failed]}


def update_counts(manifest, plan, records):
    planned = [records[c.id] for c in plan.cells if c.id in records]
    manifest.update(tally(planned))
    manifest["cells_total"] = len(plan.cells)
    manifest["cells_pending"] = len(plan.cells) - len(planned)
    return manifest
