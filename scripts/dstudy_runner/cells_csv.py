"""cells.csv beside results.json: one row per cell with its headline figures,
for pandas.read_csv or a spreadsheet. Every figure is read as the harness
wrote it (docs/result-schema.md); an empty field is a figure that is absent
or null, and a failed cell has none."""
import csv

from . import store
from .sidecar_figures import dominant_op, get, is_num, peak

COLUMNS = (
    "id", "impl", "workload", "kv", "allocator", "threads", "size", "status", "failure_reason",
    "competing",
    "headline_ops_per_second",        # sidecar.throughput.headline.median_ops_per_second
    "headline_mad_pct", "headline_samples",
    "build_ops_per_second",           # throughput.build.median_ops_per_second
    "cold_headline_ops_per_second",   # throughput.cold.headline.median_ops_per_second
    "dominant_op",                    # workload.dominant_op
    "dominant_p99_ns", "dominant_p999_ns",
    "peak_heap_bytes",                # the highest memory.series sample of heap_bytes
    "retention",                      # memory.derived.retention (heap_bytes)
    "growth_pct",                     # memory.derived.growth_pct (heap_bytes)
)


def _num(x):
    return x if is_num(x) else None


def row(record):
    s = record.get("sidecar") if record.get("status") == "ok" else None
    t = get(s, "throughput") or {}
    op = dominant_op(s) if s else None
    competing = get(s, "machine_load", "competing")
    return {"id": record["id"], "impl": record.get("impl"), "workload": record.get("workload"),
            "kv": record.get("kv"), "allocator": record.get("allocator"),
            "threads": record.get("threads", 1), "size": record.get("size"),
            "status": record.get("status"),
            "failure_reason": get(record, "failure", "reason"),
            "competing": competing if isinstance(competing, bool) else None,
            "headline_ops_per_second": _num(get(t, "headline", "median_ops_per_second")),
            "headline_mad_pct": _num(get(t, "headline", "mad_pct")),
            "headline_samples": _num(get(t, "headline", "samples")),
            "build_ops_per_second": _num(get(t, "build", "median_ops_per_second")),
            "cold_headline_ops_per_second": _num(get(t, "cold", "headline", "median_ops_per_second")),
            "dominant_op": op,
            "dominant_p99_ns": _num(get(s, "latency", "per_op", op, "p99_ns")) if op else None,
            "dominant_p999_ns": _num(get(s, "latency", "per_op", op, "p999_ns")) if op else None,
            "peak_heap_bytes": peak(s) if s else None,
            "retention": _num(get(s, "memory", "derived", "retention")),
            "growth_pct": _num(get(s, "memory", "derived", "growth_pct"))}


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write(path, records):
    """cells.csv, atomically, one row per record sorted by id."""
    def rows(f):
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in sorted(records, key=lambda r: r["id"]):
            values = row(r)
            w.writerow([_text(values[c]) for c in COLUMNS])
    store.write_text(path, rows)
