"""Shared helpers for the report tests (test_report_*.py): the fixtures,
running scripts/report, and parsing the tables it writes back into values."""
import functools
import json
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = FIXTURES / "base"
NEW = FIXTURES / "new"
REPORT = REPO / "scripts" / "report"
if str(REPO / "scripts") not in sys.path:
    sys.path.insert(0, str(REPO / "scripts"))


def run_report(*args):
    return subprocess.run([str(REPORT), *map(str, args)], capture_output=True, text=True, timeout=900)


def fixture_doc(which=BASE):
    return json.loads((which / "results.json").read_text())


def fixture_cells(which=BASE):
    """{(id, size): cell} of a fixture (ids repeat across sizes)."""
    return {(c["id"], c["size"]): c for c in fixture_doc(which)["cells"]}


def write_doc(doc, folder):
    """Writes a (changed) results document into folder; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(doc))
    return folder / "results.json"


@functools.lru_cache(maxsize=None)
def rendered_base():
    """Renders the base fixture once per test session; returns the folder."""
    out = Path(tempfile.mkdtemp(prefix="dstudy_report_")) / "report"
    proc = run_report(BASE, "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


@functools.lru_cache(maxsize=None)
def rendered_compare():
    out = Path(tempfile.mkdtemp(prefix="dstudy_compare_")) / "compare"
    proc = run_report("compare", BASE, NEW, "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def md_table(text, title):
    """Rows (dicts by column) of the first Markdown table under a '### ' heading
    that starts with title."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(f"### {title}"))
    rows, header = [], None
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if header is not None and rows:
                break
            continue
        cells = [c.strip().replace("\\|", "|") for c in line.strip()[1:-1].split(" | ")]
        if header is None:
            header = cells
        elif set(line) <= set("|-"):
            continue
        else:
            rows.append(dict(zip(header, cells)))
    return rows


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._row, self._key = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._key = a.get("data-table")
            self.tables[self._key] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = {"text": "", "value": a.get("data-value"), "class": a.get("class") or ""}

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._key].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def html_tables(path):
    """{data-table key: [rows of dicts by header]}; each value is
    {'text', 'value' (float or None), 'class'}."""
    p = _Tables()
    p.feed(Path(path).read_text())
    out = {}
    for key, rows in p.tables.items():
        header = [c["text"] for c in rows[0]]
        out[key] = []
        for row in rows[1:]:
            for c in row:
                c["value"] = float(c["value"]) if c["value"] is not None else None
            out[key].append(dict(zip(header, row)))
    return out


class _Charts(HTMLParser):
    """The interactive charts of a report page (figure.chart): toggles, rows, marks."""

    def __init__(self):
        super().__init__()
        self.charts, self._chart, self._mark, self._row = {}, None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and "chart" in (a.get("class") or "").split():
            self._chart = self.charts[a["id"]] = {"toggles": [], "rows": [], "marks": []}
        elif self._chart is None:
            return
        elif tag == "input" and a.get("data-toggle"):
            self._chart["toggles"].append((a["data-toggle"], a["value"], "checked" in a))
        elif tag == "text" and a.get("class") == "row":
            self._row = True
        elif tag == "g" and "mark" in (a.get("class") or "").split():
            self._mark = {"alloc": a["data-alloc"], "size": a["data-size"], "impl": a["data-impl"],
                          "off": "off" in a["class"].split(), "text": "",
                          "value": float(a["data-value"]) if a.get("data-value") else None}
            self._chart["marks"].append(self._mark)

    def handle_endtag(self, tag):
        if tag == "figure":
            self._chart = None
        elif tag == "g":
            self._mark = None
        elif tag == "text":
            self._row = False

    def handle_data(self, data):
        if self._row:
            self._chart["rows"].append(data)
        elif self._mark is not None:
            self._mark["text"] += data


def html_charts(path):
    """{chart id: {'toggles': [(kind, value, checked)], 'rows': [container names, top
    to bottom], 'marks': [{'alloc', 'size', 'impl', 'off', 'value', 'text'}]}}."""
    p = _Charts()
    p.feed(Path(path).read_text())
    return p.charts
