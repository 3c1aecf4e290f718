"""The self-contained HTML page: figures embedded as base64 PNG (the SVG
files sit beside it), tables with the exact value of every number in a
data-value attribute."""
import base64
from html import escape

from .markdown import FIGURE_GROUPS
from .tables import (cells_table, environment_table, failures_table, headline_tables,
                     manifest_table, retention_table, spread_table)

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1400px;
 padding:0 24px 48px;color:#1d1d1d;line-height:1.4}
h1{margin:24px 0 4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
nav{background:#f5f5f5;padding:8px 12px;border-radius:6px;font-size:14px}
nav a{margin-right:14px}
table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.best{background:#e3f4e1}td.failed{background:#fbe3e3;color:#8a0000;font-weight:600}
td.warn{background:#fff3cd;font-weight:600}td.good{background:#dff2dc}td.bad{background:#f9d6d5}
pre{margin:0;white-space:pre-wrap;font-size:11px;max-width:640px;max-height:160px;overflow:auto}
figure{margin:12px 0 28px}figure img{max-width:100%;border:1px solid #e5e5e5}
figcaption{font-size:13px;color:#444;max-width:1000px}
.note{font-size:13px;color:#555}.summary li{margin:2px 0}
details>summary{cursor:pointer;font-weight:600;margin:8px 0}
"""


def html_table(table):
    out = [f'<h3 id="t-{escape(table.key)}">{escape(table.title)}</h3>']
    if table.note:
        out.append(f'<p class="note">{escape(table.note)}</p>')
    if not table.rows:
        out.append("<p>(none)</p>")
        return "\n".join(out)
    out.append(f'<table data-table="{escape(table.key)}"><thead><tr>'
               + "".join(f"<th>{escape(c)}</th>" for c in table.columns) + "</tr></thead><tbody>")
    for row in table.rows:
        tds = []
        for c in row:
            classes = [c.kind] if c.kind else []
            attrs = ""
            if c.value is not None:
                classes.append("num")
                attrs = f' data-value="{c.value!r}"'
            cls = f' class="{" ".join(classes)}"' if classes else ""
            body = f"<pre>{escape(c.text)}</pre>" if c.pre and c.text else escape(c.text)
            tds.append(f"<td{cls}{attrs}>{body}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def html_figure(fig):
    data = base64.b64encode(fig.png.read_bytes()).decode("ascii")
    return (f'<figure id="f-{escape(fig.name)}"><img alt="{escape(fig.title)}" '
            f'src="data:image/png;base64,{data}">'
            f'<figcaption><b>{escape(fig.title)}.</b> {escape(fig.caption)} '
            f'(<a href="figures/{escape(fig.svg.name)}">SVG</a>, '
            f'<a href="figures/{escape(fig.png.name)}">PNG</a>)</figcaption></figure>')


def _figure_section(figures, group, collapse):
    figs = [f for f in figures if f.group == group]
    if not collapse:
        return "\n".join(html_figure(f) for f in figs)
    # Many figures: one collapsible block per workload (the second word of the title).
    blocks, order = {}, []
    for f in figs:
        key = f.title.split(", ")[1] if ", " in f.title else f.title
        if key not in blocks:
            order.append(key)
        blocks.setdefault(key, []).append(f)
    return "\n".join(f"<details><summary>{escape(k)} ({len(blocks[k])} figures)</summary>"
                     + "".join(html_figure(f) for f in blocks[k]) + "</details>" for k in order)


def page(title, summary_items, sections):
    """sections: [(anchor, heading, html)]."""
    nav = "".join(f'<a href="#{a}">{escape(h)}</a>' for a, h, _ in sections)
    body = "\n".join(f'<h2 id="{a}">{escape(h)}</h2>\n{content}' for a, h, content in sections)
    items = "".join(f"<li><b>{escape(k)}:</b> {escape(str(v))}</li>" for k, v in summary_items)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1><ul class=\"summary\">{items}</ul><nav>{nav}</nav>\n"
            f"{body}\n</body></html>\n")


def write_report_html(run, figures, path):
    m = run.manifest
    summary = [(k, v) for k, v in (
        ("Run", m.get("run_id")), ("Profile", m.get("profile")), ("Started", m.get("started")),
        ("Finished", m.get("finished")),
        ("Cells", f"{m.get('cells_total', len(run.cells))} total, "
                  f"{m.get('cells_ok', len(run.cells) - len(run.failed))} ok, "
                  f"{m.get('cells_failed', len(run.failed))} failed"),
        ("Source", str(run.path))) if v is not None]
    sections = [("headline", "Headline", "\n".join(html_table(t) for t in headline_tables(run))),
                ("problems", "Failures and spread warnings",
                 html_table(failures_table(run)) + html_table(spread_table(run)))]
    for group, heading in FIGURE_GROUPS:
        if any(f.group == group for f in figures):
            content = _figure_section(figures, group, collapse=group in ("timelines", "latency"))
            if group == "retention":
                content = html_table(retention_table(run)) + content
            sections.append((group, heading, content))
    sections += [("cells", "All cells", html_table(cells_table(run))),
                 ("environment", "Environment and manifest",
                  html_table(environment_table(run)) + html_table(manifest_table(run)))]
    path.write_text(page(f"Delete-intensive container study — run {run.run_id or '(no id)'}",
                         summary, sections), encoding="utf-8")
