"""The answer first: per size regime, workload and kv kind, the recommended
container x allocator for each objective, by how much, and whether that is
beyond noise; plus the Pareto set (throughput vs tail vs memory)."""
from dataclasses import dataclass

from .fig_common import group_name
from .metrics import MEMORY_PEAK, TAIL_P99, TAIL_P999, THROUGHPUT, fmt_count, fmt_ns, fmt_ratio
from .ranking import pareto
from .tables import TCell, Table, num


@dataclass
class GroupAnswer:
    size: str
    workload: str
    kv: str
    cells: list
    rankings: list           # one Ranking per objective, in objective order
    pareto: list             # cells on the front
    pareto_metrics: list


def tail_for_pareto(cells):
    """P99.9 of the dominant op when every candidate has it, else P99."""
    with_latency = [c for c in cells if c.ok and TAIL_P99.value(c) is not None]
    if with_latency and all(TAIL_P999.value(c) is not None for c in with_latency):
        return TAIL_P999
    return TAIL_P99


def answer(run, objectives):
    """GroupAnswer for every (size, workload, kv) of the run."""
    out = []
    for size, workload, kv in run.groups():
        cells = run.cells_of(size, workload, kv)
        metrics = [THROUGHPUT, tail_for_pareto(cells), MEMORY_PEAK]
        out.append(GroupAnswer(size, workload, kv, cells, [o.rank(cells) for o in objectives],
                               pareto(cells, metrics), metrics))
    return out


def label(cell):
    """container + allocator, flagged when measured beside another busy process."""
    return cell.candidate + (" [COMPETING]" if cell.competing else "")


def names(cells, limit=None):
    """The cells' labels; past limit, 'and N more' (the detail tables list them all)."""
    shown = cells if limit is None or len(cells) <= limit else cells[:limit]
    more = f" and {len(cells) - len(shown)} more" if len(shown) < len(cells) else ""
    return ", ".join(label(c) for c in shown) + more


SQUARE_NAMES = 4   # names a square of the summary lists before 'and N more'



def margin_text(r):
    m, rng = r.margin, r.margin_range
    if m is None:
        return ""
    if r.metric.margin_as == "difference":
        return f"{r.metric.fmt(m)} apart"
    text = f"{m:.3f}x"
    return text + (f" ({rng[0]:.3f}–{rng[1]:.3f}x)" if rng else "")


def summary_cell(r):
    """The compact answer for one objective: winner, value, margin over the runner-up."""
    if r.verdict == "none":
        why = "; ".join(sorted({w for _, w in r.excluded})) if r.excluded else "not measured"
        return TCell(f"n/a ({why})")
    m, best = r.metric, r.best
    value = f"{m.fmt(m.value(best))} ({m.spread_text(best)})"
    if r.verdict == "only candidate":
        return TCell(f"{label(best)}\n{value}\nonly candidate", m.value(best), "best")
    if r.verdict == "tie":
        return TCell(f"tie ({len(r.tied)}): {names(r.tied, SQUARE_NAMES)}\n{value} for {label(best)}\n"
                     f"vs runner-up: {r.decision.why}", m.value(best), "tie")
    return TCell(f"{label(best)}\n{value}\n{margin_text(r)} over {label(r.runner_up)}",
                 m.value(best), "best")


def summary_table(answers, objectives, key, title, note, with_pareto):
    columns = ["Workload", "KV"] + [o.name for o in objectives] + (["Pareto set"] if with_pareto else [])
    table = Table(key, title, columns, note=note)
    for a in answers:
        why = f"w-{group_name(a.size, a.workload, a.kv)}"    # the figures behind this row
        row = [TCell(a.workload, anchor=why), TCell(a.kv)] + [summary_cell(r) for r in a.rankings]
        if with_pareto:
            row.append(TCell(names(a.pareto, SQUARE_NAMES) if a.pareto else "n/a"))
        table.rows.append(row)
    return table


def detail_table(answers, objective, index, key):
    columns = ["Size", "Workload", "KV", "Recommended", "Value", "Runner-up", "Runner-up value", "Margin",
               "Beyond noise?", "Tied set", "Left out"]
    table = Table(key, f"{objective.name}: {objective.text}", columns,
                  note="Margin: recommended over runner-up as a factor, with its range over the "
                       "repetitions (worst to best pairing). 'Beyond noise?' gives the test that "
                       "decided it (docs/reports.md, When is a win a win).")
    for a, r in ((a, a.rankings[index]) for a in answers):
        m = r.metric
        row = [TCell(a.size), TCell(a.workload), TCell(a.kv)]
        if r.best is None:
            table.rows.append(row + [summary_cell(r)] + [TCell("") for _ in columns[4:]])
            continue
        ru = r.runner_up
        verdict = {"clear": "yes", "tie": "no: tie", "only candidate": "only candidate"}[r.verdict]
        row += [TCell(label(r.best), None, "best" if r.verdict == "clear" else "tie"),
                TCell(f"{m.fmt(m.value(r.best))} ({m.spread_text(r.best)})", m.value(r.best)),
                TCell(label(ru) if ru else ""),
                TCell(f"{m.fmt(m.value(ru))} ({m.spread_text(ru)})", m.value(ru)) if ru else TCell(""),
                TCell(margin_text(r), r.margin),
                TCell(f"{verdict} ({r.decision.why})" if r.decision else verdict),
                TCell(names(r.tied) if len(r.tied) > 1 else ""),
                TCell("; ".join(f"{label(c)}: {why}" for c, why in r.excluded))]
        table.rows.append(row)
    return table


def evidence_table(answers):
    """Why: what the harness saw inside the candidates a recommendation names."""
    columns = ["Size", "Workload", "KV", "Candidate", "Named as", "Fill", "Growth point", "Phase",
               "Live keys", "Tombstones", "Capacity", "Compactions", "Compaction time",
               "Space amp.", "RSS after purge / peak"]
    table = Table("evidence", "Why: inside the named candidates", columns,
                  note="What each recommended, runner-up or Pareto candidate held at the end of its "
                       "phases (internals as the container reports them) and the fill it ran at. "
                       "Many tombstones or a large capacity at a small live size explain slow "
                       "lookups and memory that stays.")
    for a in answers:
        roles = {}
        for r in a.rankings:
            for c, role in ((r.best, f"best {r.metric.key}"), (r.runner_up, f"runner-up {r.metric.key}")):
                if c is not None:
                    roles.setdefault(c.id, (c, []))[1].append(role)
        for c in a.pareto:
            roles.setdefault(c.id, (c, []))[1].append("Pareto")
        for c, named in roles.values():
            cell = c.section("cell")
            purge = [(d.get("layers") or {}).get("rss_bytes", {}).get("retention_after_purge") for d in c.drains]
            for e in c.phase_end or [{}]:
                i = e.get("internals") or {}
                table.rows.append([
                    TCell(a.size), TCell(a.workload), TCell(a.kv), TCell(label(c)), TCell(", ".join(named)),
                    num(cell.get("fill"), lambda v: f"{v:.2f}"), num(cell.get("growth_point"), fmt_count),
                    TCell(str(e.get("phase") or "")), num(e.get("live_keys"), fmt_count),
                    num(i.get("tombstones"), fmt_count), num(i.get("capacity"), fmt_count),
                    num(i.get("compactions"), fmt_count), num(i.get("compaction_ns"), fmt_ns),
                    num(c.space_amplification, lambda v: f"{v:.2f}"),
                    TCell(", ".join(fmt_ratio(p) for p in purge if p is not None))])
    return table
