"""Markdown rendering: tables and the report.md summary."""
from .tables import headline_tables, cells_table, environment_table, failures_table, spread_table

FIGURE_GROUPS = (
    ("heatmaps", "Heatmaps: implementation x workload"),
    ("alloc_matrices", "Implementation x allocator, per workload"),
    ("retention", "Memory after deletes"),
    ("timelines", "Memory over operations"),
    ("latency", "Latency percentiles"),
    ("compare", "Comparison"),
)


def _md_text(cell, limit=300):
    text = cell.text
    if cell.pre:
        text = " / ".join(line.strip() for line in text.splitlines() if line.strip())
        if len(text) > limit:
            text = "…" + text[-limit:]
        text = f"`{text.replace('`', chr(39))}`" if text else ""
    return text.replace("|", "\\|").replace("\n", " ")


def md_table(table):
    lines = [f"### {table.title}", ""]
    if table.note:
        lines += [table.note, ""]
    if not table.rows:
        return "\n".join(lines + ["(none)", ""])
    lines.append("| " + " | ".join(c.replace("|", "\\|") for c in table.columns) + " |")
    lines.append("|" + "|".join("---" for _ in table.columns) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_md_text(c) for c in row) + " |")
    return "\n".join(lines + [""])


def run_summary_lines(run):
    m = run.manifest
    fields = (("Run", m.get("run_id")), ("Profile", m.get("profile")), ("Started", m.get("started")),
              ("Finished", m.get("finished")), ("Shard", m.get("shard")),
              ("Cells", f"{m.get('cells_total', len(run.cells))} total, "
                        f"{m.get('cells_ok', len(run.cells) - len(run.failed))} ok, "
                        f"{m.get('cells_failed', len(run.failed))} failed"),
              ("Command", f"`{m.get('command')}`" if m.get("command") else None),
              ("Source", f"`{run.path}`"))
    return [f"- **{k}:** {v}" for k, v in fields if v is not None]


def write_report_md(run, figures, path):
    parts = [f"# Delete-intensive container study — run {run.run_id or '(no id)'}", ""]
    parts += run_summary_lines(run) + ["", "Full report with every figure: `report.html`.", ""]
    parts += ["## Headline", ""] + [md_table(t) for t in headline_tables(run)]
    parts += ["## Problems", "", md_table(failures_table(run)), md_table(spread_table(run))]
    parts += ["## Environment", "", md_table(environment_table(run))]
    parts += ["## Figures", ""]
    for group, title in FIGURE_GROUPS:
        figs = [f for f in figures if f.group == group]
        if figs:
            parts += [f"### {title}", ""]
            parts += [f"- [{f.title}](figures/{f.png.name}) ([SVG](figures/{f.svg.name}))" for f in figs]
            parts.append("")
    parts += ["## All cells", "", md_table(cells_table(run))]
    path.write_text("\n".join(parts), encoding="utf-8")
