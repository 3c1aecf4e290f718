"""The throughput ranking as an interactive chart on the page: an inline SVG
drawn here (no plotting library, nothing fetched), one row per container
ranked best first, one mark per allocator at the median of the independent
repetitions with a bar over their min..max, and one checkbox per allocator
(and per size, when the workload ran at several) that shows or hides that
series' marks (html.py's inline script does the toggling).

The rows are ranked at the chart's own size only. The same containers at the
workload's other sizes are extra series (hollow marks, hidden until their
size is ticked): there to compare, never merged into the ranking."""
import math
from dataclasses import dataclass, field
from html import escape

from .fig_common import allocator_styles, group_key, group_name
from .metrics import THROUGHPUT, fmt_ops

ROW_PX = 22
WIDTH_PX = 760
TOP_PX, BOTTOM_PX, RIGHT_PX = 8, 40, 70
MARK_R = 4.2
RECOMMENDED_STROKE = "#000"

# Unit outlines of the matplotlib markers fig_common hands out, so that an
# allocator has the same mark in the charts and in the PNG figures.
_SHAPES = {
    "s": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
    "^": [(0, -1.2), (1.1, 0.8), (-1.1, 0.8)],
    "v": [(0, 1.2), (1.1, -0.8), (-1.1, -0.8)],
    "D": [(0, -1.25), (1, 0), (0, 1.25), (-1, 0)],
    "P": [(-.35, -1), (.35, -1), (.35, -.35), (1, -.35), (1, .35), (.35, .35), (.35, 1), (-.35, 1),
          (-.35, .35), (-1, .35), (-1, -.35), (-.35, -.35)],
    "X": [(-1, -.6), (-.6, -1), (0, -.4), (.6, -1), (1, -.6), (.4, 0), (1, .6), (.6, 1), (0, .4),
          (-.6, 1), (-1, .6), (-.4, 0)],
    "*": [(0, -1.3), (.3, -.4), (1.25, -.4), (.5, .15), (.78, 1.05), (0, .5), (-.78, 1.05), (-.5, .15),
          (-1.25, -.4), (-.3, -.4)],
}


def marker_svg(marker, x, y, r, fill, stroke, width=1.0):
    """One mark as an SVG element (circle or polygon) centred on (x, y)."""
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{width:g}"'
    if marker not in _SHAPES:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:g}" {paint}/>'
    pts = " ".join(f"{x + dx * r:.1f},{y + dy * r:.1f}" for dx, dy in _SHAPES[marker])
    return f'<polygon points="{pts}" {paint}/>'


def nice_ticks(high, count=6):
    """Round tick values from 0 to at least high (a 1-2-2.5-5 step)."""
    if not high or high <= 0:
        return [0.0, 1.0]
    raw = high / count
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    ticks, v = [], 0.0
    while v < high + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < high:
        ticks.append(round(v, 12))
    return ticks


@dataclass
class Series:
    kind: str                # "alloc" or "size"
    value: str
    checked: bool
    marker: str = ""
    colour: str = ""


@dataclass
class Chart:
    """A figure drawn on the page (inline SVG with toggles)."""
    name: str                # unique in the report (the HTML id)
    group: str               # group_key of its section
    title: str
    caption: str
    svg: str
    toggles: list = field(default_factory=list)   # Series, allocators first then sizes
    fallback: object = None  # the same ranking as a PNG FigureFile (report.md, static use)


def _label(text, x, y, anchor="end", size=11, colour="#222", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{colour}"{extra}>{escape(text)}</text>')


class _Layout:
    """Where things go in one ranked chart: a row per container, x = M ops/s."""

    def __init__(self, impls, highs):
        self.impls = impls
        self.label_px = 12 + 6.4 * max(len(i) for i in impls)
        self.plot_w = WIDTH_PX - self.label_px - RIGHT_PX
        self.height = TOP_PX + ROW_PX * len(impls) + BOTTOM_PX
        self.plot_bottom = TOP_PX + ROW_PX * len(impls)
        self.ticks = nice_ticks(max(highs) / 1e6 if highs else 1.0)

    def x_of(self, ops):
        return self.label_px + self.plot_w * (ops / 1e6) / self.ticks[-1]


def _axes_svg(lay):
    """Zebra rows with container names, the grid and the x axis."""
    out = []
    for k, i in enumerate(lay.impls):
        y0 = TOP_PX + ROW_PX * k
        if k % 2:
            out.append(f'<rect x="{lay.label_px:.1f}" y="{y0}" width="{lay.plot_w:.1f}" height="{ROW_PX}" '
                       'fill="#f6f7f9"/>')
        out.append(_label(i, lay.label_px - 6, y0 + ROW_PX / 2 + 4, extra=' class="row"'))
    for t in lay.ticks:
        x = lay.x_of(t * 1e6)
        out.append(f'<line x1="{x:.1f}" y1="{TOP_PX}" x2="{x:.1f}" y2="{lay.plot_bottom}" stroke="#ddd"/>')
        out.append(_label(f"{t:g}", x, lay.plot_bottom + 14, "middle", 10, "#444"))
    out.append(f'<line x1="{lay.label_px:.1f}" y1="{lay.plot_bottom}" x2="{lay.label_px + lay.plot_w:.1f}" '
               f'y2="{lay.plot_bottom}" stroke="#888"/>')
    out.append(_label("steady-state throughput (M ops/s): median, bar = min..max of the repetitions",
                      lay.label_px + lay.plot_w / 2, lay.plot_bottom + 32, "middle", 11, "#333"))
    return out


def _cell_svg(c, lay, y, own, style, chosen):
    """One cell's mark: the median, a bar over its repetitions, a tooltip; or
    why it has no figure (own size only). None when nothing is drawn."""
    marker, colour = style
    attrs = (f'class="mark{"" if own else " off"}" data-alloc="{escape(c.allocator)}" '
             f'data-size="{escape(c.size)}" data-impl="{escape(c.impl)}"')
    h = c.headline if c.ok else None
    if h is None or h.median is None:
        if not own:
            return None
        why = f"FAILED {(c.failure or {}).get('reason', '')}".strip() if not c.ok else "no figure"
        text = _label(f"{why} ({c.allocator})", lay.label_px + 3, y + 3.5, "start", 9, "#7f0000")
        return f'<g {attrs}>{text}</g>'
    lo, hi = h.low or h.median, h.high or h.median
    tip = (f"{c.candidate}, size {c.size}: {fmt_ops(h.median)} median ({THROUGHPUT.spread_text(c)}), "
           f"repetitions {fmt_ops(lo)}–{fmt_ops(hi)}" + (" [COMPETING]" if c.competing else "")
           + (" — recommended" if chosen else ""))
    dash = "" if own else ' stroke-dasharray="3,2"'
    parts = [f"<title>{escape(tip)}</title>",
             f'<line x1="{lay.x_of(lo):.1f}" y1="{y:.1f}" x2="{lay.x_of(hi):.1f}" y2="{y:.1f}" '
             f'stroke="{colour}"{dash}/>']
    for edge in (lo, hi):
        parts.append(f'<line x1="{lay.x_of(edge):.1f}" y1="{y - 2.5:.1f}" x2="{lay.x_of(edge):.1f}" '
                     f'y2="{y + 2.5:.1f}" stroke="{colour}"/>')
    parts.append(marker_svg(marker, lay.x_of(h.median), y, MARK_R, colour if own else "#fff",
                            RECOMMENDED_STROKE if chosen else colour, 1.6 if chosen else 1.0))
    if c.competing:
        parts.append(_label("*", lay.x_of(hi) + 3, y + 5, "start", 12, "#c06000", ' font-weight="bold"'))
    return f'<g {attrs} data-value="{h.median!r}">{"".join(parts)}</g>'


def _caption(workload, kv, size, sizes, competing):
    caption = (f"Containers on {workload} (kv {kv}, size {size}), fastest first: each mark is one "
               "allocator, at the median of the independent repetitions, the bar their range (point "
               "at a mark for its numbers). Bars that overlap are not a ranking. A black edge marks "
               "the recommended cell(s). Untick an allocator to hide its marks.")
    if competing:
        caption += " An orange * marks a cell measured beside another busy process (COMPETING)."
    if len(sizes) > 1:
        caption += (f" Hollow marks, shown when their size is ticked: the same containers at size "
                    f"{', '.join(s for s in sizes if s != size)}, for comparison only (the rows are "
                    f"ranked at size {size}).")
    return caption


def ranked_chart(run, size, workload, kv, recommended, fallback=None):
    """Chart for one (size, workload, kv) group, or None when nothing has a throughput."""
    cells = run.cells_of(size, workload, kv)
    others = [c for s in run.sizes if s != size for c in run.cells_of(s, workload, kv)]
    best = {}
    for c in cells:
        v = THROUGHPUT.value(c) if c.ok else None
        best[c.impl] = max(best.get(c.impl) or 0, v or 0)
    if not any(best.values()):
        return None
    impls = sorted(best, key=lambda i: -best[i])     # ranked at this size only
    shown = cells + [c for c in others if c.impl in best]
    styles = allocator_styles(run.allocators)
    allocators = [a for a in run.allocators if any(c.allocator == a for c in shown)]
    sizes = [s for s in run.sizes if any(c.size == s for c in shown)]
    lay = _Layout(impls, [(c.headline.high or c.headline.median) for c in shown if c.ok and c.headline])

    n = max(1, len(allocators))
    offset = {a: (k - (n - 1) / 2) * 0.6 / n for k, a in enumerate(allocators)}
    label = escape(f"Throughput ranking, {workload}, kv {kv}, size {size}")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH_PX} {lay.height}" width="{WIDTH_PX}" '
           f'height="{lay.height}" role="img" aria-label="{label}" font-family="system-ui,sans-serif">']
    out += _axes_svg(lay)
    for c in shown:
        own = c.size == size
        y = TOP_PX + ROW_PX * (impls.index(c.impl) + 0.5 + offset[c.allocator])
        mark = _cell_svg(c, lay, y, own, styles[c.allocator], own and c.id in recommended)
        if mark:
            out.append(mark)
    out.append("</svg>")

    toggles = [Series("alloc", a, True, *styles[a]) for a in allocators]
    if len(sizes) > 1:
        toggles += [Series("size", s, s == size) for s in sizes]
    title = f"Throughput ranking — {workload}, kv {kv}, size {size}"
    return Chart(f"chart-{group_name(size, workload, kv)}", group_key(size, workload, kv), title,
                 _caption(workload, kv, size, sizes, any(c.competing for c in shown)),
                 "".join(out), toggles, fallback)
