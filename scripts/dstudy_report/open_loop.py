"""The open-loop results of a cell (sidecar.open_loop, docs/result-schema.md)
as the report reads them: its rates in order of offered load, the rate the
report shows in detail, and the tables of response times and stalls. The
figures are in fig_open_loop.py. Every number is the harness's; nothing here
re-derives a percentile, a knee or a stall."""
from dataclasses import dataclass

from .metrics import fmt_count, fmt_ns
from .tables import Table, TCell, num

# The offered load the report shows in detail (service vs response, stalls):
# the rate asked as this fraction of throughput, else the nearest one.
REFERENCE_FRACTION = 0.7
STALLS_SHOWN = 3          # per cell, in the stalls table
PERCENTILES_SHOWN = (("p50_ns", "P50"), ("p99_ns", "P99"), ("p999_ns", "P99.9"), ("max_ns", "max"))


@dataclass
class OpenLoopCell:
    cell: object           # load.Cell
    section: dict          # sidecar.open_loop

    @property
    def rates(self):
        """Rates in order of offered load."""
        return sorted(self.section.get("rates") or [], key=lambda r: r.get("target_ops_per_second") or 0)

    @property
    def knee(self):
        return self.section.get("knee")

    def reference_rate(self):
        rates = self.rates
        if not rates:
            return None
        with_fraction = [r for r in rates if r.get("fraction") is not None]
        if with_fraction:
            return min(with_fraction, key=lambda r: abs(r["fraction"] - REFERENCE_FRACTION))
        return rates[len(rates) // 2]


def open_loop_cells(run, size=None, workload=None, kv=None):
    """Every ok cell with an open-loop section (of one group, when given)."""
    out = []
    for c in run.cells:
        sec = c.section("open_loop")
        if not (c.ok and sec and sec.get("rates")):
            continue
        if size is not None and (c.size, c.workload, c.kv) != (size, workload, kv):
            continue
        out.append(OpenLoopCell(c, sec))
    return out


def load_text(rate):
    """'0.70 (4.21 M ops/s)', or the absolute rate alone."""
    ops = f"{rate.get('target_ops_per_second', 0) / 1e6:.2f} M ops/s"
    f = rate.get("fraction")
    return f"{f:.2f} ({ops})" if f is not None else ops


def open_loop_table(run):
    columns = (["Cell", "Offered load", "Completed"] + [f"Response {n}" for _, n in PERCENTILES_SHOWN]
               + ["Service P99.9", "Service max", "Late ops", "Preempted", "Knee"])
    table = Table("open_loop", "Open loop: response time by offered load", columns,
                  note="Response time: completion minus scheduled arrival (what a caller waits); "
                       "service time: completion minus actual start (what the closed-loop latency "
                       "pass measures). Offered load: a fraction of the cell's own measured headline "
                       "throughput (rate_basis), with the rate it meant (median over repetitions). "
                       "Late ops: started more than late_threshold_ns after their arrival. "
                       "Preempted: times the kernel took the CPU from the paced loop (summed over "
                       "repetitions); where it did, the tail is the machine's as much as the "
                       "container's. Knee: the lowest load whose response P99 exceeds twice its "
                       "service P99.")
    for oc in open_loop_cells(run):
        knee = oc.knee or {}
        for r in oc.rates:
            resp, serv = r.get("response", {}).get("all", {}), r.get("service", {}).get("all", {})
            is_knee = knee.get("target_ops_per_second") == r.get("target_ops_per_second")
            row = [TCell(oc.cell.id), TCell(load_text(r), r.get("target_ops_per_second")),
                   num(r.get("completed_ops_per_second"), lambda v: f"{v / 1e6:.2f} M")]
            row += [num(resp.get(k), fmt_ns) for k, _ in PERCENTILES_SHOWN]
            row += [num(serv.get("p999_ns"), fmt_ns), num(serv.get("max_ns"), fmt_ns),
                    num(r.get("late_fraction"), lambda v: f"{100 * v:.1f}%"),
                    num(r.get("involuntary_switches"), fmt_count),
                    TCell("knee", None, "warn") if is_knee else TCell("")]
            table.rows.append(row)
    return table


def stalls_table(run):
    columns = ["Cell", "Offered load", "Service", "Ops delayed", "Backlog cleared after", "Phase", "Op",
               "Cause", "Capacity", "Repetition"]
    table = Table("stalls", "Worst stalls (open loop)", columns,
                  note=f"Per cell, its {STALLS_SHOWN} slowest ops at the offered load nearest "
                       f"{REFERENCE_FRACTION} of its throughput: the op's service time, how many later "
                       "ops started late one after another because of it, and how long after it "
                       "ended its backlog cleared ('not cleared' when the phase ended first). "
                       "Cause: what the container's footprint says changed since the previous slow "
                       "op (rehash_grow, rehash_shrink, compaction); empty when it says nothing, "
                       "as when the kernel preempted the loop or the container keeps no such counter.")
    for oc in open_loop_cells(run):
        r = oc.reference_rate()
        for s in (r.get("stalls") or [])[:STALLS_SHOWN]:
            cap = (f"{fmt_count(s.get('capacity_before'))} → {fmt_count(s.get('capacity_after'))}"
                   if s.get("capacity_before") != s.get("capacity_after") else fmt_count(s.get("capacity_after")))
            cleared = fmt_ns(s.get("backlog_clear_ns")) + ("" if s.get("backlog_cleared") else " (not cleared)")
            table.rows.append([TCell(oc.cell.id), TCell(load_text(r), r.get("target_ops_per_second")),
                               num(s.get("service_ns"), fmt_ns), num(s.get("ops_delayed"), fmt_count),
                               TCell(cleared, s.get("backlog_clear_ns")), TCell(str(s.get("phase") or "")),
                               num(s.get("op"), fmt_count), TCell(s.get("cause") or ""), TCell(cap),
                               num(s.get("repetition"), str)])
    return table


def open_loop_note(run):
    """What bounds the open-loop figures, from the cells' own records."""
    cells = open_loop_cells(run)
    if not cells:
        return ""
    res = max(oc.section.get("resolution_ns") or 0 for oc in cells)
    over = max(oc.section.get("timer_overhead_subtracted_ns") or 0 for oc in cells)
    late = max(oc.section.get("late_threshold_ns") or 0 for oc in cells)
    phases = sorted({p for oc in cells for p in oc.section.get("paced_phases") or []})
    arrivals = sorted({oc.section.get("arrivals") or "?" for oc in cells})
    return (f"Open loop: each op of the paced phases ({', '.join(phases)}) was scheduled before the "
            f"pass ({', '.join(arrivals)} arrivals) and waited for its time; the other phases ran "
            f"closed loop. The timer's resolution ({fmt_ns(res)}) and the cost of one read "
            f"({fmt_ns(over)}, subtracted) bound what these figures resolve: an op on time starts up "
            f"to one timer read after its arrival, and an op counts as late only beyond "
            f"{fmt_ns(late)}.")
