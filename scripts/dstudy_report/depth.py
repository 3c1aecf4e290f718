"""Study depth: the parts of a report that look across sizes,
across turnovers and inside a lookup — the size sweep (fig_sweep), drift
over turnovers (fig_drift) and probe lengths (fig_probes) — as figure jobs
and the tables beside them. Each appears only when the run has the data."""
from .fig_drift import drift_figure, drift_groups
from .fig_probes import last_headline_probes, probe_cells, probe_figure
from .fig_sweep import crossing_sentence, metric_series, p99_of, sweep_figure, sweep_groups, throughput_of
from .metrics import fmt_count, fmt_ns
from .tables import Table, TCell, num


def depth_jobs(run):
    """[(function, args)] of the depth figures this run has data for."""
    jobs = [(sweep_figure, key) for key in sorted(sweep_groups(run))]
    jobs += [(drift_figure, key) for key in sorted(drift_groups(run))]
    groups = sorted({(c.size, c.workload_label, c.kv) for c in run.cells if c.ok})
    jobs += [(probe_figure, g) for g in groups if probe_cells(run, *g)]
    return jobs


def sweep_texts(run):
    """[(workload, kv, sentence)]: where rankings cross, per swept workload."""
    out = []
    for (workload, kv), cells in sorted(sweep_groups(run).items()):
        out.append((workload, kv, crossing_sentence(workload, kv, metric_series(cells, throughput_of),
                                                    metric_series(cells, p99_of))))
    return out


def _fmt_len(x):
    return f"{x:.2f}" if isinstance(x, float) else str(x)


def drift_table(run):
    """Miss cost and its causes at the first and the last turnover, per cell."""
    table = Table("drift", "Drift: the first and the last turnover",
                  ["Cell", "Turnovers", "Miss cost first → last", "find_miss P50 first → last",
                   "find_miss P99 first → last",
                   "Throughput first → last", "Tombstones first → last",
                   "Miss probe mean first → last", "Capacity first → last"],
                  note="From the per-turnover figures of the drift figure: each turnover a steady "
                       "phase that erases N keys; miss cost: ns per lookup of the find_miss-only "
                       "phase after it and throughput, each in its fastest repetition (a phase "
                       "lasts about a millisecond, so one preemption spoils a repetition's "
                       "figure); latency per phase from the latency pass, tombstones, capacity and probe "
                       "lengths at the phase's end (memory pass).")

    def pair(a, b, fmt):
        if a is None and b is None:
            return TCell("")
        return TCell(f"{fmt(a) if a is not None else '–'} → {fmt(b) if b is not None else '–'}",
                     b if b is not None else None)

    for (size, workload, kv), group in sorted(drift_groups(run).items()):
        for c, ts in group:
            first, last = ts[0], ts[-1]
            table.rows.append([
                TCell(c.id), TCell(f"{first.k}–{last.k}"),
                pair(first.miss_ns, last.miss_ns, lambda x: f"{x:.1f} ns"),
                pair(first.miss_p50_ns, last.miss_p50_ns, fmt_ns),
                pair(first.miss_p99_ns, last.miss_p99_ns, fmt_ns),
                pair(first.ops_per_second, last.ops_per_second, lambda x: f"{x / 1e6:.2f} M/s"),
                pair(first.tombstones, last.tombstones, fmt_count),
                pair(first.miss_probe_mean, last.miss_probe_mean, _fmt_len),
                pair(first.capacity, last.capacity, fmt_count)])
    return table


def probe_table(run):
    """Mean and P99 probe lengths at the last headline phase beside the miss cost."""
    table = Table("probes", "Probe lengths beside the miss cost",
                  ["Cell", "find_miss P50", "find_miss P99", "Miss probes mean", "Miss probes P99",
                   "Hit probes mean", "Hit probes P99", "Tombstones", "Samples (miss)"],
                  note="Probe lengths at the end of the last headline phase (probes beyond the "
                       "first look; not timed), beside the workload's measured find_miss latency. "
                       "Only containers that can tell their probe lengths are listed.")
    for c in run.cells:
        got = last_headline_probes(c) if c.ok else None
        if not got:
            continue
        miss, hit, tombstones = got
        table.rows.append([TCell(c.id), num(c.percentile("find_miss", "p50_ns"), fmt_ns),
                           num(c.percentile("find_miss", "p99_ns"), fmt_ns),
                           num(miss.get("mean"), _fmt_len), num(miss.get("p99"), _fmt_len),
                           num(hit.get("mean"), _fmt_len), num(hit.get("p99"), _fmt_len),
                           num(tombstones, fmt_count), num(miss.get("samples"), fmt_count)])
    return table
