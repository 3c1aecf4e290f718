"""The HTML page: the report's blocks (content.py) as one light page. Figures
are files beside it, loaded lazily (or embedded with --self-contained);
tables carry the exact value of every number in data-value, sort on a click
on their header and filter as you type, in plain inline JavaScript (the page
fetches nothing from the network)."""
import base64
from html import escape

from .chart_ranked import Chart, marker_svg
from .content import Details, Para, Section
from .fig_common import FigureFile
from .matrices import ALLOC_COLOURS, COLOURS, Legend
from .tables import Table

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1500px;
 padding:0 20px 48px;color:#1d1d1d;line-height:1.35}
h1{margin:14px 0 2px;font-size:22px}h2{border-bottom:2px solid #ddd;padding-bottom:3px;margin-top:30px}
h3{margin:14px 0 4px;font-size:15px}
.meta{font-size:13px;color:#555;margin:0 0 6px}
nav{background:#f5f5f5;padding:5px 10px;border-radius:6px;font-size:13px}nav a{margin-right:12px}
table{border-collapse:collapse;margin:6px 0 16px;font-size:12.5px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eef1f5;position:sticky;top:0;cursor:pointer;user-select:none}
th.asc:after{content:" \\25B2"}th.desc:after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.best{background:#e3f4e1}td.tie{background:#fff6d5}
td.failed{background:#fbe3e3;color:#8a0000;font-weight:600}
td.warn{background:#fff3cd;font-weight:600}td.good{background:#dff2dc}td.bad{background:#f9d6d5}
table.answer td,table.answer td.num{text-align:left;max-width:300px}
pre{margin:0;white-space:pre-wrap;font-size:11px;max-width:640px;max-height:160px;overflow:auto}
figure{margin:10px 0 24px}figure img{max-width:100%;height:auto;border:1px solid #e5e5e5}
figcaption{font-size:13px;color:#444;max-width:1000px}
p.note{font-size:13px;color:#555;max-width:1100px}
p.warn{background:#fff3cd;border-left:4px solid #e0a800;padding:4px 8px;margin:4px 0;font-size:13px}
details>summary{cursor:pointer;font-weight:600;margin:6px 0}
input.filter{margin:4px 0;padding:2px 6px;font-size:13px;width:260px}
figure.chart svg{max-width:100%;height:auto;border:1px solid #e5e5e5;background:#fff}
.toggles{font-size:13px;margin:2px 0 4px}.toggles label{margin-right:12px;white-space:nowrap;cursor:pointer}
.toggles svg{vertical-align:middle;margin:0 2px}.toggles b{margin-right:6px;font-weight:600}
g.mark.off{display:none}
tr:target td{outline:2px solid #e0a800}
table.verdict td{max-width:900px}table.verdict td:nth-child(3){font-size:14px}
div.scroll{overflow-x:auto;max-width:100%}
table.matrix td.num{text-align:center;white-space:nowrap}td.mtied{box-shadow:inset 0 0 0 2px #202020}
.legend{font-size:13px;margin:4px 0}.legend span.sw{display:inline-block;width:14px;height:14px;
 vertical-align:middle;border:1px solid #999;margin:0 4px 0 10px}
"""
# The matrices' colour scales (matrices.py): one class per bin, the same
# colours as the PNG figures and the legends.
CSS += "".join(f"td.m{k}{{background:{c}}}" for k, c in enumerate(COLOURS))
CSS += "td.m0,td.m5{color:#fff}"
CSS += "".join(f"td.{cls}{{background:{c}}}" for cls, c in ALLOC_COLOURS.items()) + "\n"

# Sorting (numbers by their exact data-value), filtering, opening the
# collapsed section a link jumps to, and showing or hiding a chart's series
# (one checkbox per allocator / size); nothing else.
SCRIPT = """
document.querySelectorAll('table[data-table]').forEach(function (table) {
  var body = table.tBodies[0];
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var asc = !th.classList.contains('asc');
      table.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
      th.classList.add(asc ? 'asc' : 'desc');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var vx = x && x.dataset.value !== undefined ? parseFloat(x.dataset.value) : NaN;
        var vy = y && y.dataset.value !== undefined ? parseFloat(y.dataset.value) : NaN;
        var r = (!isNaN(vx) && !isNaN(vy)) ? vx - vy :
                isNaN(vx) !== isNaN(vy) ? (isNaN(vx) ? 1 : -1) :
                (x ? x.textContent : '').localeCompare(y ? y.textContent : '');
        return asc ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
function openTarget() {
  var d = location.hash && document.getElementById(location.hash.slice(1));
  if (d && d.tagName === 'DETAILS') { d.open = true; d.scrollIntoView(); }
}
window.addEventListener('hashchange', openTarget);
openTarget();
document.querySelectorAll('figure.chart').forEach(function (chart) {
  var boxes = Array.prototype.slice.call(chart.querySelectorAll('input[data-toggle]'));
  function update() {
    var off = {};
    boxes.forEach(function (b) { if (!b.checked) { off[b.dataset.toggle + ':' + b.value] = true; } });
    Array.prototype.forEach.call(chart.querySelectorAll('g.mark'), function (g) {
      g.classList.toggle('off', !!(off['alloc:' + g.dataset.alloc] || off['size:' + g.dataset.size]));
    });
  }
  boxes.forEach(function (b) { b.addEventListener('change', update); });
  update();
});
document.querySelectorAll('input.filter').forEach(function (input) {
  input.addEventListener('input', function () {
    var q = input.value.toLowerCase();
    var table = document.querySelector('table[data-table="' + input.dataset.for + '"]');
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      r.style.display = r.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
    });
  });
});
"""

FILTER_ROWS = 15   # tables longer than this get a filter box


def _text(text):
    return escape(text).replace("\n", "<br>")


def html_table(table, level=3):
    out = [f'<h{level} id="t-{escape(table.key)}">{escape(table.title)}</h{level}>']
    if table.note:
        out.append(f'<p class="note">{escape(table.note)}</p>')
    if not table.rows:
        out.append("<p>(none)</p>")
        return "\n".join(out)
    if len(table.rows) > FILTER_ROWS:
        out.append(f'<input class="filter" data-for="{escape(table.key)}" placeholder="filter rows...">')
    cls = (' class="answer"' if table.key.startswith(("answer", "constrained")) else
           ' class="verdict"' if table.key.startswith("verdict") else
           ' class="matrix"' if table.key.startswith(("matrix_", "alloc_")) else "")
    if cls == ' class="matrix"':
        out.append('<div class="scroll">')
    out.append(f'<table data-table="{escape(table.key)}"{cls}><thead><tr>'
               + "".join(f"<th>{escape(c)}</th>" for c in table.columns) + "</tr></thead><tbody>")
    for k, row in enumerate(table.rows):
        tds = []
        for c in row:
            classes = [c.kind] if c.kind else []
            attrs = ""
            if c.value is not None:
                classes.append("num")
                attrs = f' data-value="{c.value!r}"'
            cls = f' class="{" ".join(classes)}"' if classes else ""
            body = f"<pre>{escape(c.text)}</pre>" if c.pre and c.text else _text(c.text)
            if c.anchor:
                body = f'<a href="#{escape(c.anchor)}" title="the figures behind this row">{body}</a>'
            for text, anchor in c.links:
                body += f'<br><a href="#{escape(anchor)}">{escape(text)}</a>'

            tds.append(f"<td{cls}{attrs}>{body}</td>")
        ident = f' id="{escape(table.row_ids[k])}"' if k in table.row_ids else ""
        out.append(f"<tr{ident}>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>" + ("</div>" if cls == ' class="matrix"' else ""))
    return "\n".join(out)


def html_legend(legend):
    swatches = "".join(f'<span class="sw" style="background:{c}"></span>{escape(text)}'
                       for c, text in legend.entries)
    note = f'<br><span class="note">{escape(legend.note)}</span>' if legend.note else ""
    return f'<p class="legend"><b>{escape(legend.title)}:</b>{swatches}{note}</p>'


def html_figure(fig, embed=False):
    w, h = fig.pixel_size()
    if embed:
        src = "data:image/png;base64," + base64.b64encode(fig.png.read_bytes()).decode("ascii")
    else:
        src = f"figures/{fig.png.name}"
    links = ", ".join(f'<a href="figures/{escape(p.name)}">{fmt.upper()}</a>' for fmt, p in fig.files.items())
    return (f'<figure id="f-{escape(fig.name)}"><img alt="{escape(fig.title)}" src="{escape(src)}" '
            f'width="{w}" height="{h}" loading="lazy">'
            f'<figcaption><b>{escape(fig.title)}.</b> {escape(fig.caption)} ({links})</figcaption></figure>')


def html_chart(chart):
    """An inline SVG chart with a checkbox per series (allocator, size)."""
    groups = {"alloc": "Allocators", "size": "Sizes"}
    controls = []
    for kind, heading in groups.items():
        boxes = []
        for t in (t for t in chart.toggles if t.kind == kind):
            icon = (f'<svg width="12" height="12" viewBox="0 0 12 12">'
                    f'{marker_svg(t.marker, 6, 6, 4, t.colour, t.colour)}</svg>' if t.marker else "")
            boxes.append(f'<label><input type="checkbox" data-toggle="{kind}" value="{escape(t.value)}"'
                         f'{" checked" if t.checked else ""}>{icon}{escape(t.value)}'
                         f'{" (hollow)" if kind == "size" and not t.checked else ""}</label>')
        if boxes:
            controls.append(f"<b>{heading}:</b>" + "".join(boxes))
    link = (f' (<a href="figures/{escape(chart.fallback.png.name)}">PNG</a>)'
            if chart.fallback is not None else "")
    return (f'<figure class="chart" id="{escape(chart.name)}"><div class="toggles">{" ".join(controls)}</div>'
            f'{chart.svg}<figcaption><b>{escape(chart.title)}.</b> {escape(chart.caption)}{link}'
            f'</figcaption></figure>')


def html_block(block, embed):
    if isinstance(block, Table):
        return html_table(block)
    if isinstance(block, Para):
        return f'<p class="{block.kind}">{_text(block.text)}</p>' if block.kind else f"<p>{_text(block.text)}</p>"
    if isinstance(block, FigureFile):
        return html_figure(block, embed)
    if isinstance(block, Chart):
        return html_chart(block)
    if isinstance(block, Legend):
        return html_legend(block)
    if isinstance(block, Details):
        inner = "\n".join(html_block(b, embed) for b in block.blocks)
        ident = f' id="{escape(block.anchor)}"' if block.anchor else ""
        return (f"<details{ident}{' open' if block.open else ''}><summary>{escape(block.title)}</summary>"
                f"{inner}</details>")
    raise TypeError(f"no HTML for {type(block).__name__}")


def page(title, meta, sections, embed=False):
    """sections: [Section]."""
    nav = "".join(f'<a href="#{s.anchor}">{escape(s.heading)}</a>' for s in sections)
    body = "\n".join(f'<h2 id="{s.anchor}">{escape(s.heading)}</h2>\n'
                     + "\n".join(html_block(b, embed) for b in s.blocks) for s in sections)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1><p class=\"meta\">{escape(meta)}</p><nav>{nav}</nav>\n"
            f"{body}\n<script>{SCRIPT}</script>\n</body></html>\n")


def simple_sections(pairs):
    """[Section] from [(anchor, heading, [blocks])]."""
    return [Section(a, h, blocks) for a, h, blocks in pairs]
