"""What the figures were measured under, stated beside them: the timer's
resolution and overhead, the CPU's frequency settings (nanobench-style
warnings), cells that shared the machine, and the table sizes against the
CPU's caches (so an in-cache result is never read as a large-table one)."""
from dataclasses import dataclass

from dstudy_runner.contract import ENV_CACHE_BYTES, ENV_TURBO, LATENCY_TIE_RESOLUTIONS, STEADY_GOVERNOR

from .load import is_num
from .metrics import fmt_bytes, fmt_count


def _range(values, fmt):
    """'a–b' over the values as written (one value when they print the same)."""
    values = sorted(v for v in values if is_num(v))
    if not values:
        return None
    low, high = fmt(values[0]), fmt(values[-1])
    return low if low == high else f"{low}–{high}"


def _ns(v):
    return f"{v:.3g} ns"


def timer_statement(run):
    """'Timer: rdtscp, resolution 10 ns, overhead 30.5 ns (subtracted) ...' over all cells."""
    cells = [c for c in run.cells if c.sidecar]
    sources = sorted({c.timer.get("source") for c in cells if c.timer.get("source")})
    res = _range([c.resolution_ns for c in cells], _ns)
    over = _range([c.timer.get("overhead_ns") for c in cells], _ns)
    if res is None and over is None:
        return "Timer: resolution and overhead not recorded in these results."
    text = f"Timer: {', '.join(sources) or 'unknown source'}, resolution {res or 'unknown'}"
    text += f", overhead {over or 'unknown'} (subtracted from every timed operation)"
    if res:
        text += (f". Latency differences under {LATENCY_TIE_RESOLUTIONS:g}x the resolution "
                 "are ties, never ranked")
    if res and "–" in res or over and "–" in over:
        text += " (the range is over the cells: they were calibrated in separate processes)"
    return text + "."


def _environments(run):
    envs = [c.section("environment") for c in run.cells if c.sidecar]
    return [e for e in envs if e] or [run.environment]


def environment_warnings(run):
    """Warnings about the CPU's frequency settings, and what is not known."""
    warnings = []
    governors = sorted({str(e.get("governor")) for e in _environments(run) if e.get("governor")})
    unknown = any(not e.get("governor") for e in _environments(run))
    bad = [g for g in governors if g != STEADY_GOVERNOR]
    if bad:
        warnings.append(f"CPU frequency governor is {', '.join(repr(g) for g in bad)}, not "
                        f"'{STEADY_GOVERNOR}': the clock changes with load, so throughput and "
                        f"latency can shift between cells (set it with 'cpupower frequency-set "
                        f"-g {STEADY_GOVERNOR}').")
    if unknown:
        warnings.append("CPU frequency governor unknown (not readable on this machine, e.g. a VM or "
                        "container): frequency scaling may have distorted the figures.")
    turbo = {e.get(ENV_TURBO) for e in _environments(run)}
    if True in turbo:
        warnings.append("Turbo / frequency boost is on: the clock depends on temperature and on the "
                        "other cores' load, so repeated runs can differ.")
    if None in turbo:
        warnings.append("Turbo / frequency boost state unknown (not recorded).")
    return warnings


def competing_statement(run):
    n = len(run.competing)
    if not n:
        return None
    return (f"{n} cell(s) ran beside another busy process (marked COMPETING in the tables; "
            "listed under Problems): treat their figures as indicative.")


def cache_sizes(run):
    """{level: bytes} from the environment, or {} when not recorded."""
    for e in _environments(run) + [run.environment]:
        caches = e.get(ENV_CACHE_BYTES)
        if isinstance(caches, dict) and caches:
            return {k: v for k, v in caches.items() if is_num(v)}
    return {}


@dataclass
class Regime:
    size: str
    text: str                # one line: sizes against the caches
    beyond_cache: bool       # None when the caches are unknown
    allocators: tuple = ()   # the allocators its ok cells ran under
    impls: tuple = ()        # the containers

    @property
    def one_allocator(self):
        return len(self.allocators) == 1

    @property
    def matrix_text(self):
        """'7 containers under glibc only' / '24 containers, 4 allocators'."""
        n = len(self.impls)
        if self.one_allocator:
            return f"{n} container{'s' if n != 1 else ''} under {self.allocators[0]} only"
        return f"{n} containers, {len(self.allocators)} allocators"


def size_regimes(run):
    """One Regime per size profile in the run, in run order."""
    caches = cache_sizes(run)
    llc_name = max(caches, key=caches.get) if caches else None
    llc = caches.get(llc_name)
    out = []
    for size in run.sizes:
        cells = [c for c in run.cells if c.size == size and c.ok]
        live = _range([c.live_keys for c in cells], fmt_count)
        peaks = [c.peak_memory for c in cells if c.peak_memory is not None]
        peak = _range(peaks, fmt_bytes)
        text = f"size {size or '(unnamed)'}: {live or 'unknown'} live keys, peak memory {peak or 'unknown'}"
        if llc is None:
            text += (" — the machine's cache sizes are unknown (not recorded), so whether these "
                     "tables fit in cache is not known")
            beyond = None
        elif peaks and min(peaks) > llc:
            text += f" — beyond the last-level cache ({llc_name} {fmt_bytes(llc)}): large tables, out of cache"
            beyond = True
        elif peaks and max(peaks) > llc:
            text += f" — around the last-level cache ({llc_name} {fmt_bytes(llc)}): some tables fit, some do not"
            beyond = True
        else:
            text += f" — in cache: every table within the last-level cache ({llc_name} {fmt_bytes(llc)})"
            beyond = False
        allocators = tuple(a for a in run.allocators if any(c.allocator == a for c in cells))
        impls = tuple(i for i in run.impls if any(c.impl == i for c in cells))
        out.append(Regime(size, text, beyond, allocators, impls))
    return out


def sizes_note(regimes):
    """How a run of several sizes is read (None for one size)."""
    if len(regimes) < 2:
        return None
    return ("Each size is ranked on its own, in its own table: cells of different sizes are never "
            "compared with each other, and a ranking in cache does not carry over to tables beyond "
            "the last-level cache, nor the reverse.")


def generalisation_note(regimes):
    """What the recommendations may not be read as."""
    if any(r.beyond_cache for r in regimes):
        return None
    if all(r.beyond_cache is False for r in regimes):
        return ("Every table in this run fits in the last-level cache: these recommendations hold "
                "for in-cache tables only and say nothing about larger ones.")
    return ("These recommendations hold for the sizes measured only; without the cache sizes "
            "the report cannot tell whether they carry over to larger tables.")
