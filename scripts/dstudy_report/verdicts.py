"""One sentence per workload, read in seconds, above the detailed table:
the library to adopt first (the containers the throughput leader does not
beat beyond noise, by ranking.py's rules), the study's own container beside
it where it changes the answer, what to avoid and by how much, and memory
in a clause. Built from the recommendations' own rankings: nothing new is
decided here."""
from .fig_common import group_name
from .metrics import MEMORY_PEAK, THROUGHPUT
from .tables import TCell, Table

NAMED = 3              # containers a verdict names before 'and N more'
AVOID_FACTOR = 1.5     # a container this many times slower than the best is one to avoid
AVOID_NAMED = 2
MEMORY_CLOSE = 1.05    # peak memory within 5% of the least reads "among the least"


def _best_cells(ranking):
    """{impl: its best cell} in ranking order (the ranking is best first)."""
    best = {}
    for c in ranking.ordered:
        best.setdefault(c.impl, c)
    return best


def _listed(names):
    shown = names[:NAMED]
    more = f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + (f", {shown[-1]}{more}" if more else f" or {shown[-1]}")


def _choice(run, r, best):
    """The library (or libraries) to adopt, and the study's own container
    beside it where one leads alone; (text, the containers named)."""
    m, top = r.metric, r.metric.value(r.best)
    tied = list(dict.fromkeys(c.impl for c in r.tied))
    libs = [i for i in tied if run.origin(i) != "study"]
    if libs:
        low = min(m.value(best[i]) for i in libs)
        text = libs[0] if len(libs) == 1 else f"any of {_listed(libs)} (within {top / low - 1:.0%})"
        allocs = {c.allocator for c in r.tied if c.impl in libs}
        if len(allocs) == 1 and len({c.allocator for c in r.ordered}) > 1:
            text += f" under {allocs.pop()}"
        return text, libs
    lib = next((i for i in best if run.origin(i) != "study"), None)
    own = r.best.impl
    if lib is None:
        return f"no library measured; the study's own {own} leads", [own]
    return (f"library: {lib}; the study's own {own} is {top / m.value(best[lib]):.2f}x faster, "
            f"no library ties it"), [lib]


def _avoid(r, best, named):
    top = r.metric.value(r.best)
    slow = sorted(((top / r.metric.value(c), i) for i, c in best.items()
                   if r.metric.value(c) and i not in named), reverse=True)
    slow = [(f, i) for f, i in slow if f >= AVOID_FACTOR][:AVOID_NAMED]
    if not slow:
        return ""
    parts = [f"{slow[0][1]} ({slow[0][0]:.1f}x slower)"] + [f"{i} ({f:.1f}x)" for f, i in slow[1:]]
    return "avoid " + " and ".join(parts)


def _memory(a, named):
    peaks = {}
    for c in a.cells:
        v = MEMORY_PEAK.value(c) if c.ok else None
        if v is not None:
            peaks[c.impl] = min(v, peaks.get(c.impl, v))
    mine = [peaks[i] for i in named if i in peaks]
    if not mine or not peaks:
        return ""
    least_impl = min(peaks, key=peaks.get)
    factor = max(mine) / peaks[least_impl]
    if factor <= MEMORY_CLOSE:
        return f"memory: among the least (peak within {MEMORY_CLOSE - 1:.0%})"
    if least_impl in named:      # the least is one of the choices: say which, and how far the others are
        return f"memory: {least_impl} the least, the others up to {factor:.1f}x its peak"
    return f"memory: peak up to {factor:.1f}x the least ({least_impl})"


def verdict(run, a):
    """The sentence for one group (GroupAnswer)."""
    r = next((r for r in a.rankings if r.metric is THROUGHPUT), None)
    if r is None or r.best is None:
        return "No throughput measured (no ok cell)."
    best = _best_cells(r)
    choice, named = _choice(run, r, best)
    parts = [p for p in (choice, _avoid(r, best, named), _memory(a, named)) if p]
    return "; ".join(parts) + "."


VERDICT_NOTE = ("Best library choice first (the containers the fastest does not beat beyond noise, with how "
                "far apart they are), the study's own containers where one leads alone, what to avoid (at "
                f"least {AVOID_FACTOR:g}x slower than the best), and peak memory against the least of the "
                "workload. The statistics are in the tables below.")


def verdict_table(run, answers, key, title, with_note=True):
    """One row per workload x kv of a size: the sentence (with_note: the key
    to reading them above the table, said once on the page)."""
    table = Table(key, title, ["Workload", "KV", "Verdict"])
    table.note = VERDICT_NOTE if with_note else ""
    for a in answers:
        table.rows.append([TCell(a.workload, anchor=f"w-{group_name(a.size, a.workload, a.kv)}"), TCell(a.kv),
                           TCell(verdict(run, a))])
    return table
