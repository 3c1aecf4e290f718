"""A reference study's compact results: what its pages are made from and
what is committed (reports/reference/results/). One file per run, the run's
results.json with each cell's memory series cut to the samples that hold a
layer's peak (the pages read peaks, phase ends and the harness's derived
figures, never the whole series), and manifest.json, the study's state
(plan, commit, runs, cells still measured beside another process)."""
import json
from pathlib import Path

from . import store

COMPACT_DIR = "compact"
MANIFEST = "manifest.json"


class CompactError(Exception):
    pass


def run_file_name(step, round_name):
    return f"{step}.{round_name}.json" if round_name else f"{step}.json"


def peak_rows(series):
    """The series' rows that hold some layer's maximum, in their order."""
    rows = store.series_rows(series)
    keep = set()
    for field in {k for r in rows for k in r}:
        values = [(r.get(field), i) for i, r in enumerate(rows)
                  if isinstance(r.get(field), (int, float)) and not isinstance(r.get(field), bool)]
        if field.endswith("_bytes") and values:
            keep.add(max(values)[1])
    return [rows[i] for i in sorted(keep)]


def compact_cell(record):
    rec = dict(record)
    side = rec.get("sidecar")
    if isinstance(side, dict) and isinstance(side.get("memory"), dict):
        memory = dict(side["memory"], series=peak_rows(side["memory"].get("series")))
        rec["sidecar"] = store.columnar_series(dict(side, memory=memory))
    return rec


def compact_doc(results_path):
    try:
        doc = store.read_json(results_path)
    except (OSError, ValueError) as e:
        raise CompactError(f"{results_path}: cannot read the run's results: {e}") from None
    return dict(doc, cells=[compact_cell(c) for c in doc.get("cells", [])])


def write(study_dir, plan, state):
    """study_dir/compact/: manifest.json and one file per run; returns the folder."""
    out = Path(study_dir) / COMPACT_DIR
    out.mkdir(exist_ok=True)
    for step in plan.steps:
        for name in step.run_names():
            folder = Path(study_dir) / "runs" / step.name / name if name else Path(study_dir) / "runs" / step.name
            if (folder / store.RESULTS).is_file():
                store.write_text(out / run_file_name(step.name, name),
                                 lambda f, d=compact_doc(folder / store.RESULTS): f.write(
                                     json.dumps(d, sort_keys=True, separators=(",", ":")) + "\n"))
    store.write_json(out / MANIFEST, state)
    return out
