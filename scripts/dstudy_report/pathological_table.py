"""The pathological-delete tables (markdown lines) of a run holding the four
iteration presets, for the reference study's pages (reference_pages.py).

Per container: the headline throughput of each erase pattern (median of the
independent repetitions), the slowdown of each pathological pattern against
the lagged-FIFO control (ratio of medians, with the range the repetitions
allow: slowest control / fastest pattern .. fastest control / slowest
pattern, each side's fastest and slowest repetition left out when it has 4
or more), and the cost of a whole walk per live key and per slot before and
after a 90% drain. Every figure is read from the sidecars, none derived
beyond these divisions.
"""
CONTROL = "erase_lagged_fifo"
PATTERNS = (("erase_first_insert_loop", "erase(begin()) + insert"),
            ("erase_iteration_order_while_inserting", "erase in iteration order + insert"))
ITERATE = "iterate_after_drain"


def cells(run):
    """(impl, workload) -> {"status", "sidecar"} of a loaded run."""
    return {(c.impl, c.workload): {"status": c.status, "sidecar": c.sidecar} for c in run.cells + run.not_applicable}


def headline(cell):
    h = cell["sidecar"]["throughput"]["headline"]
    return h["median_ops_per_second"], h["per_repetition"], cell["sidecar"]["machine_load"]["competing"]


def phase(cell, name):
    return next((p for p in cell["sidecar"]["throughput"]["phases"] if p["name"] == name), None)


def phase_end(cell, name):
    return next((p for p in cell["sidecar"]["memory"]["phase_end"] if p["phase"] == name), None)


def fmt_rate(v):
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.1f} k"


def inner(values):
    """The repetitions without the fastest and the slowest (when there are
    at least 4): the machine is shared, and one disturbed repetition
    should not set the range."""
    v = sorted(values)
    return v[1:-1] if len(v) >= 4 else v


def slowdown(control, pattern):
    (cm, cr, _), (pm, pr, _) = control, pattern
    cr, pr = inner(cr), inner(pr)
    return f"{cm / pm:.1f}x ({min(cr) / max(pr):.1f}-{max(cr) / min(pr):.1f})"


def erase_table(by, impls):
    head = ["impl", "lagged FIFO (control), ops/s"] + [f"{label}, ops/s" for _, label in PATTERNS] + \
           [f"slowdown: {label}" for _, label in PATTERNS]
    rows = []
    for impl in impls:
        figs, shown = {}, {}
        for w in (CONTROL,) + tuple(w for w, _ in PATTERNS):
            c = by.get((impl, w))
            if c is not None and c["status"] == "ok":
                figs[w] = headline(c)
                shown[w] = fmt_rate(figs[w][0]) + ("*" if figs[w][2] else "")
            else:
                shown[w] = "not run" if c is None else ("n/a" if c["status"] == "not_applicable" else c["status"])
        ratios = [slowdown(figs[CONTROL], figs[w]) if CONTROL in figs and w in figs else "" for w, _ in PATTERNS]
        rows.append([impl, shown[CONTROL]] + [shown[w] for w, _ in PATTERNS] + ratios)
    return head, rows


def iterate_table(by, impls):
    head = ["impl", "ns per live key, full (N live)", "ns per live key, after 90% drain",
            "ns per slot, after drain", "slots after drain", "per-key cost after / before"]
    rows = []
    for impl in impls:
        c = by.get((impl, ITERATE))
        if c is None or c["status"] != "ok":
            rows.append([impl, (c or {}).get("status", "missing")] + [""] * 4)
            continue
        full, drained = phase(c, "iterate_full"), phase(c, "iterate_drained")
        end_full, end = phase_end(c, "iterate_full"), phase_end(c, "iterate_drained")
        if None in (full, drained, end_full, end):
            rows.append([impl, "no iterate_full/iterate_drained phases"] + [""] * 4)
            continue
        live_full, live = end_full["live_keys"], end["live_keys"]
        slots = (end.get("internals") or {}).get("capacity")
        per_key_full = 1e9 / (full["median_ops_per_second"] * live_full)
        per_key = 1e9 / (drained["median_ops_per_second"] * live)
        lo = 1e9 / (drained["max_ops_per_second"] * live)
        hi = 1e9 / (drained["min_ops_per_second"] * live)
        per_slot = f"{1e9 / (drained['median_ops_per_second'] * slots):.2f}" if slots else "(not reported)"
        mark = "*" if c["sidecar"]["machine_load"]["competing"] else ""
        rows.append([impl, f"{per_key_full:.2f}", f"{per_key:.2f} ({lo:.2f}-{hi:.2f}){mark}", per_slot,
                     f"{slots:,}" if slots else "", f"{per_key / per_key_full:.1f}x"])
    return head, rows


def markdown(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def lines(run):
    """The erase-pattern table, the walk table and the containers that cannot
    iterate; [] when the run holds no lagged-FIFO control."""
    by = cells(run)
    impls = sorted({impl for impl, w in by if w == CONTROL})
    if not impls:
        return []
    na = sorted({impl for (impl, w), c in by.items() if c["status"] == "not_applicable"})
    return [markdown(*erase_table(by, impls)), "", markdown(*iterate_table(by, impls)), "",
            "not applicable (no iteration): " + (", ".join(na) or "none")]
