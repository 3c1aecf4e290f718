"""Markdown rendering of the report's blocks (content.py): the same sections
as the HTML page, in the same order, figures as links."""
from .chart_ranked import Chart
from .content import Details, Para
from .fig_common import FigureFile
from .matrices import Legend
from .tables import Table


def _md_text(cell, limit=300):
    text = "\n".join([cell.text] + [t for t, _ in cell.links])
    if cell.pre:
        text = " / ".join(line.strip() for line in text.splitlines() if line.strip())
        if len(text) > limit:
            text = "…" + text[-limit:]
        text = f"`{text.replace('`', chr(39))}`" if text else ""
    return text.replace("|", "\\|").replace("\n", "<br>")


def md_table(table, level=3):
    lines = [f"{'#' * level} {table.title}", ""]
    if table.note:
        lines += [table.note, ""]
    if not table.rows:
        return "\n".join(lines + ["(none)", ""])
    lines.append("| " + " | ".join(c.replace("|", "\\|") for c in table.columns) + " |")
    lines.append("|" + "|".join("---" for _ in table.columns) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_md_text(c) for c in row) + " |")
    return "\n".join(lines + [""])


def md_block(block):
    if isinstance(block, Table):
        return md_table(block)
    if isinstance(block, Para):
        if block.kind == "warn":
            return "\n>\n".join(f"> **Warning:** {line}" for line in block.text.splitlines()) + "\n"
        return f"*{block.text}*\n" if block.kind == "note" else block.text + "\n"
    if isinstance(block, FigureFile):
        links = " ".join(f"([{fmt.upper()}](figures/{p.name}))" for fmt, p in block.files.items())
        return f"- {block.title} {links}"
    if isinstance(block, Chart):   # interactive on the HTML page; here its PNG
        if block.fallback is not None:
            return md_block(block.fallback)
        return f"- {block.title} (interactive chart in report.html)"
    if isinstance(block, Legend):   # the colours are the page's and the figures'; here their meaning
        entries = "; ".join(text for _, text in block.entries)
        return f"*{block.title}, green to red: {entries}.*" + (f" *{block.note}*" if block.note else "") + "\n"
    if isinstance(block, Details):
        inner = [md_block(b) for b in block.blocks]
        return f"#### {block.title}\n\n" + "\n".join(inner) + "\n"
    raise TypeError(f"no Markdown for {type(block).__name__}")


def md_page(title, meta, sections):
    parts = [f"# {title}", "", meta, ""]
    for s in sections:
        parts += [f"## {s.heading}", ""] + [md_block(b) for b in s.blocks] + [""]
    return "\n".join(parts)
