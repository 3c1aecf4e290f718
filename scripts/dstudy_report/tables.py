"""Tables built from a Run: a plain model (Table of TCell) that the Markdown
and HTML writers both render, so the two always show the same numbers."""
import json
from dataclasses import dataclass, field

from dstudy_runner.contract import OP_TYPES, PERCENTILES

from .metrics import (BUILD, COLD, GROWTH, MEMORY_PEAK, RETENTION, THROUGHPUT, fmt_bytes, fmt_count,
                      fmt_ns, fmt_ratio, percentile_text)

RETENTION_LAYERS = ("heap_bytes", "rss_bytes")   # what the program holds, what the OS charges


@dataclass
class TCell:
    text: str = ""
    value: float = None        # the exact number behind the text, if any
    kind: str = ""             # "", "best", "tie", "failed", "warn", "good", "bad"
    pre: bool = False          # preformatted (stderr tails)
    anchor: str = ""           # the page section it links to (HTML only)
    links: tuple = ()          # (text, anchor): extra lines that link elsewhere on the page


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    note: str = ""
    row_ids: dict = field(default_factory=dict)   # row index -> HTML id a link can jump to


def num(value, fmt, kind=""):
    return TCell(fmt(value), value, kind) if value is not None else TCell("")


def failed_text(cell):
    return f"FAILED ({(cell.failure or {}).get('reason', 'unspecified')})"


def status_cell(cell):
    if not cell.ok:
        return TCell(failed_text(cell), None, "failed")
    if cell.competing:
        return TCell("ok, COMPETING", None, "warn")
    return TCell("ok")


def metric_cell(metric, cell):
    """A value with its sample count and spread: '33.48 M (n=5, MAD 0.8%)'."""
    v = metric.value(cell)
    if v is None:
        return TCell("")
    spread = metric.spread_text(cell)
    return TCell(f"{metric.fmt(v)} ({spread})" if spread else metric.fmt(v), v,
                 "warn" if "WARNING" in spread else "")


def cells_table(run):
    columns = ["Cell", "Size", "Status", "Throughput (steady state)", "Build (load)", "Cold (first pass)",
               "Tail op", "P99", "P99.9", "Peak memory", "Growth %", "Retention", "Space amp."]
    table = Table("cells", "All cells", columns,
                  note="Throughput: median ops/s of the headline (steady-state) phases over independent "
                       "repetitions, with their count and spread (MAD). Build and cold are separate "
                       "figures, never part of the headline. Tail: the op type that dominates the "
                       "headline phases. Memory: the headline layer as the harness derived it "
                       "(heap_bytes unless it says otherwise). COMPETING: measured beside another "
                       "busy process. n/a: the workload erases or visits entries in iteration order and "
                       "the container offers no iteration (not run, not failed).")
    for c in run.cells:
        if c.sidecar is None:
            table.rows.append([TCell(c.id), TCell(c.size), status_cell(c)] + [TCell("") for _ in columns[3:]])
            continue
        op = c.dominant_op
        row = [TCell(c.id), TCell(c.size), status_cell(c), metric_cell(THROUGHPUT, c),
               metric_cell(BUILD, c), metric_cell(COLD, c), TCell(op or "")]
        for key in ("p99_ns", "p999_ns"):
            row.append(TCell(percentile_text(c, op, key), c.percentile(op, key)) if op else TCell(""))
        row += [num(MEMORY_PEAK.value(c), fmt_bytes), num(GROWTH.value(c), lambda v: f"{v:.1f}"),
                num(RETENTION.value(c), fmt_ratio), num(c.space_amplification, lambda v: f"{v:.2f}")]
        table.rows.append(row)
    for c in run.not_applicable:
        table.rows.append([TCell(c.id), TCell(c.size), TCell("n/a")] + [TCell("") for _ in columns[3:]])
    return table


def latency_table(run):
    keys = [k for k, _, _ in PERCENTILES] + ["max_ns"]
    columns = ["Cell", "Size", "Op", "Samples"] + [name for _, name, _ in PERCENTILES] + ["max", "Resolution"]
    table = Table("latency", "Latency per operation type", columns,
                  note="Every operation timed, closed loop (service time). A percentile needs "
                       "10 / (1 - q) samples (P99.9: 10,000); with fewer it reads n/a with the count. "
                       "max is the largest timed operation.")
    for c in run.cells:
        if not c.ok:
            continue
        for op in OP_TYPES:
            if not c.latency(op):
                continue
            row = [TCell(c.id), TCell(c.size), TCell(op), TCell(fmt_count(c.count(op)), c.count(op))]
            row += [TCell(percentile_text(c, op, k), c.percentile(op, k)) for k in keys]
            row.append(num(c.resolution_ns, fmt_ns))
            table.rows.append(row)
    return table


def failures_table(run):
    table = Table("failures", "Failed cells", ["Cell", "Size", "Reason", "Exit code", "Signal", "stderr (tail)"],
                  note="Failed cells are never candidates for a recommendation.")
    for c in run.failed:
        f = c.failure or {}
        table.rows.append([
            TCell(c.id), TCell(c.size), TCell(str(f.get("reason", "unspecified")), None, "failed"),
            TCell("" if f.get("exit_code") is None else str(f.get("exit_code")), f.get("exit_code")),
            TCell(f.get("signal") or ""), TCell(f.get("stderr_tail") or "", pre=True)])
    return table


def competing_table(run):
    table = Table("competing", "Cells measured beside another process",
                  ["Cell", "Size", "Reason", "Other busy cores", "Steal %", "Load avg (1 min)"],
                  note="machine_load says another process competed while these cells ran.")
    for c in run.competing:
        load = c.section("machine_load")
        table.rows.append([TCell(c.id), TCell(c.size), TCell(load.get("reason") or "", None, "warn"),
                           num(load.get("other_busy_cores"), lambda v: f"{v:.2f}"),
                           num(load.get("steal_pct"), lambda v: f"{v:.1f}"),
                           num(load.get("loadavg_1m"), lambda v: f"{v:.2f}")])
    return table


def spread_table(run):
    table = Table("spread", "Spread warnings",
                  ["Cell", "Size", "Steady-state throughput", "Min", "Max", "Repetitions"],
                  note="Cells whose independent repetitions disagree (MAD at or above the warning "
                       "threshold): treat their throughput as indicative only.")
    for c in run.cells:
        h = c.headline
        if c.ok and h and h.spread_warning:
            table.rows.append([TCell(c.id), TCell(c.size), metric_cell(THROUGHPUT, c),
                               num(h.low, lambda v: f"{v / 1e6:.2f} M"),
                               num(h.high, lambda v: f"{v / 1e6:.2f} M"),
                               TCell(", ".join(f"{v / 1e6:.2f}" for v in h.per_repetition), h.samples)])
    return table


def retention_table(run):
    columns = ["Cell", "Size", "Drain phase"]
    for layer in RETENTION_LAYERS:
        columns += [f"{layer}: after", "after idle", "after purge"]
    columns += ["Tombstones", "Capacity"]
    table = Table("retention", "Memory after deletes (retention)", columns,
                  note="Each layer after the drain, after the last idle probe and after the "
                       "allocator's purge, as a fraction of its peak up to the end of the drain "
                       "(memory.derived.drains, as the harness wrote it; the retention figure "
                       "plots these same numbers). heap_bytes is what the program still holds "
                       "(the same under every allocator); what RSS keeps above it is the "
                       "allocator's.")
    for c in run.cells:
        if not c.ok:
            continue
        internals = {e.get("phase"): e.get("internals") or {} for e in c.phase_end}
        for d in c.drains:
            row = [TCell(c.id), TCell(c.size), TCell(str(d.get("phase")))]
            for layer in RETENTION_LAYERS:
                r = (d.get("layers") or {}).get(layer) or {}
                row += [num(r.get(k), fmt_ratio) for k in ("retention", "retention_after_idle",
                                                           "retention_after_purge")]
            i = internals.get(d.get("phase"), {})
            row += [num(i.get("tombstones"), fmt_count), num(i.get("capacity"), fmt_count)]
            table.rows.append(row)
    return table


def _kv_text(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


def environment_table(run):
    table = Table("environment", "Environment", ["Field", "Value"])
    for k, v in run.environment.items():
        table.rows.append([TCell(k), TCell(_kv_text(v))])
    return table


def manifest_table(run):
    table = Table("manifest", "Manifest", ["Field", "Value"])
    for k, v in run.manifest.items():
        if k == "environment":
            continue
        if k == "allocators" and isinstance(v, list):
            v = ", ".join(f"{a.get('name')} ({a.get('library') or 'system'}"
                          + (f", {a.get('version')}" if a.get('version') else "")
                          + (f", env {a.get('env')}" if a.get('env') else "") + ")"
                          for a in v if isinstance(a, dict))
        table.rows.append([TCell(k), TCell(_kv_text(v))])
    return table
