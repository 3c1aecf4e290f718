"""The answer first: per size regime, workload and kv kind, the recommended
container x allocator for each objective, by how much, and whether that is
beyond noise; plus the Pareto set (throughput vs tail vs memory)."""
from dataclasses import dataclass

from .fig_common import group_name
from .metrics import MEMORY_PEAK, TAIL_P99, TAIL_P999, THROUGHPUT, fmt_bytes, fmt_count, fmt_ns, fmt_ratio
from .ranking import beats, pareto
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


def label(cell, alloc=True):
    """container + allocator (the container alone where a table has one
    allocator and says so), flagged when measured beside another busy process."""
    return (cell.candidate if alloc else cell.impl) + (" [COMPETING]" if cell.competing else "")


def names(cells, limit=None, alloc=True):
    """The cells' labels; past limit, 'and N more' (the detail tables list them all)."""
    shown = cells if limit is None or len(cells) <= limit else cells[:limit]
    more = f" and {len(cells) - len(shown)} more" if len(shown) < len(cells) else ""
    return ", ".join(label(c, alloc) for c in shown) + more


SQUARE_NAMES = 4      # names the Pareto column lists before 'and N more'
TIE_CONTAINERS = 3    # a tie over more containers than this gives the leader, the count and a link
TIE_NAMES_ALONE = 7   # the same for containers named alone (a one-allocator table)


def margin_text(r):
    m, rng = r.margin, r.margin_range
    if m is None:
        return ""
    if r.metric.margin_as == "difference":
        return f"{r.metric.fmt(m)} apart"
    text = f"{m:.3f}x"
    return text + (f" ({rng[0]:.3f}–{rng[1]:.3f}x)" if rng else "")


def grouped_names(cells, alloc=True):
    """Labels grouped by container, in the cells' order:
    'boost_unordered_flat_map + {mimalloc, jemalloc}, tombstone_never + glibc'."""
    if not alloc:
        return names(cells, alloc=False)
    by_impl = {}
    for c in cells:
        by_impl.setdefault(c.impl, []).append(c.allocator + (" [COMPETING]" if c.competing else ""))
    return ", ".join(f"{i} + {a[0]}" if len(a) == 1 else f"{i} + {{{', '.join(a)}}}"
                     for i, a in by_impl.items())


def detail_anchor(prefix, index, a):
    """The id of a group's row in an objective's detail table."""
    return f"{prefix}{index}-{group_name(a.size, a.workload, a.kv)}"


def within_floor(r, c):
    """Is c within the metric's tie floor of the ranking's leader?"""
    m = r.metric
    return abs(m.value(c) - m.value(r.best)) <= m.floor(r.best, c)


def _value_range(r, cells):
    m = r.metric
    values = sorted(m.value(c) for c in cells)
    low, high = m.fmt(values[0]), m.fmt(values[-1])
    return low if low == high else f"{low}–{high}"


def tie_text(r, alloc=True):
    """A tie, read plainly: who (or how many), the value, why it is a tie.
    Returns (text, whether the text names every tied cell)."""
    m, best, tied = r.metric, r.best, r.tied
    n, total = len(tied), len(r.ordered)
    containers = len({c.impl for c in tied})
    listed = containers <= TIE_CONTAINERS if alloc else n <= TIE_NAMES_ALONE
    of = f" of {total}" if n < total else ""
    if m.floor_short and all(within_floor(r, c) for c in tied):
        floor = max(m.floor(best, c) for c in tied)     # per pair: the larger resolution of the two
        rule = f"tie floor {m.fmt(floor).strip()} = {m.floor_rule}"
        if n == total:
            return (f"no ranking: all {n} within {m.floor_short}\n"
                    f"{_value_range(r, tied)} ({rule})"), n == 1
        who = grouped_names(tied, alloc) if listed else f"{containers} containers"
        return (f"tie ({n}{of}) within {m.floor_short}: {who}\n"
                f"{_value_range(r, tied)} ({rule}); the other {total - n} are worse beyond noise"), listed
    # Cells sharing the best value: none of them leads (their order is the run's).
    shared = [c for c in tied if m.value(c) == m.value(best)]
    if listed:
        who = grouped_names(tied, alloc)
    elif len(shared) > 1:
        who = f"{containers} containers"
    else:
        who = f"leader {label(best, alloc)} and {n - 1} more ({containers} containers)"
    if len(shared) > 1:
        value = (f"{m.fmt(m.value(best))}, shared by {len(shared)} cells (e.g. {label(best, alloc)}: "
                 f"{m.spread_text(best)})")
    else:
        value = f"{m.fmt(m.value(best))} ({m.spread_text(best)}) for {label(best, alloc)}"
    closest = tied[1]
    if r.runner_up is closest:
        why = f"vs runner-up: {r.decision.why}"
    else:   # beats the runner-up but not a cell further down (whose repetitions spread wider)
        why = (f"beats the runner-up {label(r.runner_up, alloc)}: {r.decision.why}; not "
               f"{label(closest, alloc)} further down: {beats(m, best, closest).why}")
    return f"tie ({n}{of}): {who}\n{value}\n{why}", listed


def summary_cell(r, link="", alloc=True):
    """The compact answer for one objective: winner, value, margin over the
    runner-up; for a tie, who ties and why, with a link (the anchor of the
    objective's detail row) to the whole tied set when the square cannot
    name them all."""
    if r.verdict == "none":
        why = "; ".join(sorted({w for _, w in r.excluded})) if r.excluded else "not measured"
        return TCell(f"n/a ({why})")
    m, best = r.metric, r.best
    value = f"{m.fmt(m.value(best))} ({m.spread_text(best)})"
    if r.verdict == "only candidate":
        return TCell(f"{label(best, alloc)}\n{value}\nonly candidate", m.value(best), "best")
    if r.verdict == "tie":
        text, named_all = tie_text(r, alloc)
        links = () if named_all or not link else ((f"all {len(r.tied)} tied cells, in detail", link),)
        return TCell(text, m.value(best), "tie", links=links)
    return TCell(f"{label(best, alloc)}\n{value}\n{margin_text(r)} over {label(r.runner_up, alloc)}",
                 m.value(best), "best")


def summary_table(answers, objectives, key, title, note, with_pareto, detail="d", alloc=True):
    """detail: the prefix of the detail tables' row ids the ties link to ('' for no links);
    alloc=False: the table's cells share one allocator (its title says which), so
    the squares name containers alone."""
    columns = ["Workload", "KV"] + [o.name for o in objectives] + (["Pareto set"] if with_pareto else [])
    table = Table(key, title, columns, note=note)
    for a in answers:
        why = f"w-{group_name(a.size, a.workload, a.kv)}"    # the figures behind this row
        row = [TCell(a.workload, anchor=why), TCell(a.kv)]
        row += [summary_cell(r, detail_anchor(detail, k, a) if detail else "", alloc)
                for k, r in enumerate(a.rankings)]
        if with_pareto:
            row.append(TCell(names(a.pareto, SQUARE_NAMES, alloc) if a.pareto else "n/a"))
        table.rows.append(row)
    return table


def detail_table(answers, objective, index, key, prefix="d"):
    columns = ["Size", "Workload", "KV", "Recommended", "Value", "Runner-up", "Runner-up value", "Margin",
               "Beyond noise?", "Tied set", "Left out"]
    table = Table(key, f"{objective.name}: {objective.text}", columns,
                  note="Margin: recommended over runner-up as a factor, with its range over the "
                       "repetitions (worst to best pairing). 'Beyond noise?' gives the test that "
                       "decided it (docs/reports.md, When is a win a win).")
    for a, r in ((a, a.rankings[index]) for a in answers):
        table.row_ids[len(table.rows)] = detail_anchor(prefix, index, a)
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
                TCell(grouped_names(r.tied) if len(r.tied) > 1 else ""),
                TCell("; ".join(f"{label(c)}: {why}" for c, why in r.excluded))]
        table.rows.append(row)
    return table


def evidence_table(answers):
    """Why: what the harness saw inside the candidates a recommendation names."""
    columns = ["Size", "Workload", "KV", "Candidate", "Named as", "Fill", "Growth point", "Phase",
               "Live keys", "Tombstones", "Capacity", "Compactions", "Compaction time",
               "Reclaim pending", "Reclaim pending peak", "Allocations / op", "Space amp.",
               "RSS after purge / peak"]
    table = Table("evidence", "Why: inside the named candidates", columns,
                  note="What each recommended, runner-up or Pareto candidate held at the end of its "
                       "phases (internals as the container reports them) and the fill it ran at. "
                       "Many tombstones or a large capacity at a small live size explain slow "
                       "lookups and memory that stays; allocations per op (operator new calls in "
                       "the phase over its ops) tell a node container, which allocates per "
                       "insert, from a flat one, which allocates per growth. Reclaim pending: "
                       "bytes a concurrent map erased but had not yet freed at the phase end, and "
                       "the most it held so far (its reclamation lag; blank where the container "
                       "does not say).")
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
            ops = {p.get("name"): p.get("ops") for p in c.section("workload").get("phases") or []}
            for e in c.phase_end or [{}]:
                i = e.get("internals") or {}
                allocs = (e.get("heap_activity") or {}).get("allocations")
                phase_ops = ops.get(e.get("phase"))
                per_op = allocs / phase_ops if allocs is not None and phase_ops else None
                table.rows.append([
                    TCell(a.size), TCell(a.workload), TCell(a.kv), TCell(label(c)), TCell(", ".join(named)),
                    num(cell.get("fill"), lambda v: f"{v:.2f}"), num(cell.get("growth_point"), fmt_count),
                    TCell(str(e.get("phase") or "")), num(e.get("live_keys"), fmt_count),
                    num(i.get("tombstones"), fmt_count), num(i.get("capacity"), fmt_count),
                    num(i.get("compactions"), fmt_count), num(i.get("compaction_ns"), fmt_ns),
                    num(i.get("reclaim_pending_bytes"), fmt_bytes),
                    num(i.get("reclaim_pending_peak_bytes"), fmt_bytes),
                    num(per_op, lambda v: f"{v:.3f}"),
                    num(c.space_amplification, lambda v: f"{v:.2f}"),
                    TCell(", ".join(fmt_ratio(p) for p in purge if p is not None))])
    return table
