"""Tables built from a Run: a plain model (Table of TCell) that the Markdown
and HTML writers both render, so the two always show the same numbers."""
import json
from dataclasses import dataclass, field

from .load import OP_TYPES
from .metrics import GROWTH, P99, THROUGHPUT, fmt_bytes, fmt_ns, fmt_ratio


@dataclass
class TCell:
    text: str = ""
    value: float = None        # the exact number behind the text, if any
    kind: str = ""             # "", "best", "failed", "warn", "good", "bad"
    pre: bool = False          # preformatted (stderr tails)


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    note: str = ""


def _num(value, fmt, kind=""):
    return TCell(fmt(value), value, kind) if value is not None else TCell("")


def _failed_text(cell):
    return f"FAILED ({(cell.failure or {}).get('reason', 'unspecified')})"


def _pairs(run):
    """(workload, kv) pairs in run order."""
    pairs = []
    for c in run.cells:
        if (c.workload_label, c.kv) not in pairs:
            pairs.append((c.workload_label, c.kv))
    kv_rank = {k: i for i, k in enumerate(run.kvs)}
    wl_rank = {w: i for i, w in enumerate(run.workloads)}
    return sorted(pairs, key=lambda p: (wl_rank[p[0]], kv_rank[p[1]]))


def best_cell(run, metric, workload, kv, allocator):
    """The ok cell with the best value of `metric`; None when there is none.
    Ties go to the implementation listed first."""
    best = None
    for impl in run.impls:
        c = run.get(impl, workload, kv, allocator)
        if c is None or not c.ok or metric.get(c) is None:
            continue
        if best is None or metric.better(metric.get(c), metric.get(best)):
            best = c
    return best


def best_table(run, metrics, key, title):
    """Rows workload x kv (x metric when several), one column per allocator:
    the best implementation and its value."""
    several = len(metrics) > 1
    columns = ["Workload", "KV"] + (["Metric"] if several else []) + run.allocators
    table = Table(key, title, columns,
                  note="Best implementation per workload and allocator; "
                       + ("higher is better." if metrics[0].higher_is_better
                          else "lower is better."))
    for workload, kv in _pairs(run):
        for metric in metrics:
            row = [TCell(workload), TCell(kv)] + ([TCell(metric.label)] if several else [])
            for alloc in run.allocators:
                cells = [run.get(i, workload, kv, alloc) for i in run.impls]
                cells = [c for c in cells if c is not None]
                best = best_cell(run, metric, workload, kv, alloc)
                if best is not None:
                    v = metric.get(best)
                    row.append(TCell(f"{best.impl} ({metric.fmt(v)})", v, "best"))
                elif cells and all(not c.ok for c in cells):
                    row.append(TCell("all FAILED", None, "failed"))
                else:
                    row.append(TCell(""))
            if any(c.text for c in row[len(columns) - len(run.allocators):]):
                table.rows.append(row)  # rows with nothing measured (no latency pass) are left out
    return table


def headline_tables(run):
    return [
        best_table(run, [THROUGHPUT], "best_throughput", "Best throughput (median ops/s)"),
        best_table(run, [P99[op] for op in OP_TYPES], "best_p99", "Best P99 latency per operation type"),
        best_table(run, [GROWTH], "best_growth", "Lowest memory growth (%)"),
    ]


def cells_table(run):
    columns = (["Cell", "Status", "Throughput (Mops/s)", "MAD %", "Spread"]
               + [f"P99 {op}" for op in OP_TYPES]
               + ["Growth %", "Retention", "Space amp.", "Peak memory"])
    table = Table("cells", "All cells", columns,
                  note="Throughput is the median over repetitions; Spread warns when MAD >= 5%. "
                       "Peak memory is the highest RSS sample (else allocator resident, "
                       "else footprint) above the baseline.")
    for c in run.cells:
        if not c.ok and c.sidecar is None:
            row = [TCell(c.id), TCell(_failed_text(c), None, "failed")]
            row += [TCell("") for _ in columns[2:]]
            table.rows.append(row)
            continue
        row = [TCell(c.id), TCell("ok") if c.ok else TCell(_failed_text(c), None, "failed"),
               _num(c.throughput, lambda v: f"{v / 1e6:.2f}"),
               _num(c.mad_pct, lambda v: f"{v:.1f}"),
               TCell("WARN", None, "warn") if c.spread_warning else TCell("")]
        row += [_num(c.p99(op), fmt_ns) for op in OP_TYPES]
        row += [_num(c.growth_pct, lambda v: f"{v:.1f}"), _num(c.retention, fmt_ratio),
                _num(c.space_amplification, lambda v: f"{v:.2f}"), _num(c.peak_memory, fmt_bytes)]
        table.rows.append(row)
    return table


def failures_table(run):
    table = Table("failures", "Failed cells", ["Cell", "Reason", "Exit code", "Signal", "stderr (tail)"],
                  note="Failed cells stay in every figure, marked FAILED (hatched).")
    for c in run.failed:
        f = c.failure or {}
        table.rows.append([
            TCell(c.id), TCell(str(f.get("reason", "unspecified")), None, "failed"),
            TCell("" if f.get("exit_code") is None else str(f.get("exit_code")), f.get("exit_code")),
            TCell(f.get("signal") or ""), TCell(f.get("stderr_tail") or "", pre=True)])
    return table


def spread_table(run):
    table = Table("spread", "Spread warnings",
                  ["Cell", "MAD %", "Min (Mops/s)", "Median (Mops/s)", "Max (Mops/s)", "Repetitions"],
                  note="Cells whose repetitions disagree (MAD >= 5% of the median): "
                       "treat their throughput as indicative only.")
    for c in run.cells:
        if c.ok and c.spread_warning:
            t = c.sidecar.get("throughput") or {}
            table.rows.append([
                TCell(c.id), _num(c.mad_pct, lambda v: f"{v:.1f}", "warn"),
                _num(t.get("min_ops_per_second"), lambda v: f"{v / 1e6:.2f}"),
                _num(t.get("median_ops_per_second"), lambda v: f"{v / 1e6:.2f}"),
                _num(t.get("max_ops_per_second"), lambda v: f"{v / 1e6:.2f}"),
                TCell(str(len(c.repetitions)), len(c.repetitions))])
    return table


def retention_layer(entry):
    """The layer a phase_end entry is compared on: RSS when reported."""
    after = entry.get("after") or {}
    for layer in ("rss_bytes", "allocator_resident_bytes", "footprint_bytes"):
        if after.get(layer) is not None:
            return layer
    return None


def retention_table(run):
    table = Table("retention", "Memory after deletes (phase ends)",
                  ["Cell", "Phase", "Live keys", "Layer", "After", "After idle", "After purge",
                   "Purge returned", "Tombstones", "Capacity"],
                  note="Memory above the baseline when the phase ends, after each idle probe "
                       "(seconds in brackets) and after the allocator's purge. What the purge "
                       "returns was cached by policy; what stays is pinned.")
    for c in run.cells:
        if not c.ok:
            continue
        for entry in c.phase_end:
            layer = retention_layer(entry)
            if layer is None:
                continue
            after = (entry.get("after") or {}).get(layer)
            idle = "; ".join(f"{fmt_bytes(p.get(layer))} ({p.get('seconds'):g} s)"
                             for p in entry.get("after_idle") or [] if p.get(layer) is not None)
            purge = (entry.get("after_purge") or {}).get(layer)
            returned = (after - purge) if after is not None and purge is not None else None
            internals = entry.get("internals") or {}
            table.rows.append([
                TCell(c.id), TCell(str(entry.get("phase", ""))),
                TCell("" if entry.get("live_keys") is None else str(entry["live_keys"]),
                      entry.get("live_keys")),
                TCell(layer), _num(after, fmt_bytes), TCell(idle), _num(purge, fmt_bytes),
                _num(returned, fmt_bytes),
                TCell("" if internals.get("tombstones") is None else str(internals["tombstones"]),
                      internals.get("tombstones")),
                TCell("" if internals.get("capacity") is None else str(internals["capacity"]),
                      internals.get("capacity"))])
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

