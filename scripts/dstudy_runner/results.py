"""The merged results.json of a run folder (docs/result-schema.md), and
cells.csv beside it."""
import copy

from . import cells_csv, store
from .contract import RESULTS_SCHEMA_VERSION

# Harness-side environment fields copied from the first successful cell.
HARNESS_FIELDS = ("compiler", "cxx_flags", "build_type", "libraries", "git_revision")


def enrich(manifest, records):
    """Adds what the harness knows (compiler, flags, allocator versions as
    detected) to a copy of the manifest."""
    m = copy.deepcopy(manifest)
    ok = [r for r in records if r.get("status") == "ok" and isinstance(r.get("sidecar"), dict)]
    if ok:
        env = ok[0]["sidecar"].get("environment") or {}
        for key in HARNESS_FIELDS:
            if key in env:
                m["environment"]["harness_" + key if key == "git_revision" else key] = env[key]
    for a in m.get("allocators", []):
        for r in ok:
            if r["allocator"] == a["name"]:
                detected = ((r["sidecar"].get("environment") or {}).get("allocator") or {})
                if detected.get("version"):
                    a["version_detected"] = detected["version"]
                break
    return m


def document(manifest, records):
    records = sorted(records, key=lambda r: r["id"])
    return {"schema_version": RESULTS_SCHEMA_VERSION, "manifest": enrich(manifest, records),
            "cells": records}


def write(run_dir, manifest, records_by_id):
    """manifest.json (indented: people read it), results.json (compact) and
    cells.csv, each atomically."""
    records = list(records_by_id.values())
    store.write_json(run_dir / store.MANIFEST, manifest)
    store.write_json(run_dir / store.RESULTS, document(manifest, records), compact=True)
    cells_csv.write(run_dir / store.CSV, records)
