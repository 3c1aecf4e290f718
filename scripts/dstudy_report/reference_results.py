"""A reference study's compact results (scripts/dstudy_runner/compact.py): the
study's manifest and one loaded Run per step (per round of a step with
rounds), read through the report's loader."""
import json
from dataclasses import dataclass
from pathlib import Path

from .load import ReportError, load_run

MANIFEST = "manifest.json"


@dataclass
class ReferenceResults:
    path: Path
    manifest: dict
    runs: dict            # step -> {round name ("" without rounds): Run}

    @property
    def commit(self):
        return self.manifest.get("commit")

    def step_about(self, step):
        for s in (self.manifest.get("plan") or {}).get("steps", []):
            if s.get("name") == step:
                return s.get("about", "")
        return ""

    def still_competing(self):
        """Ids of the cells still measured beside another process, per run key."""
        return {key: r.get("still_competing") or [] for key, r in (self.manifest.get("runs") or {}).items()}


def load_reference(path):
    """Reads a compact results folder (or a reference study folder holding compact/)."""
    path = Path(path)
    if (path / "compact" / MANIFEST).is_file():
        path = path / "compact"
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except OSError as e:
        raise ReportError(f"{path / MANIFEST}: cannot read: {e.strerror or e} "
                          f"(expected a reference study's compact results)") from None
    except ValueError as e:
        raise ReportError(f"{path / MANIFEST}: malformed JSON: {e}") from None
    if manifest.get("kind") != "reference":
        raise ReportError(f"{path / MANIFEST}: not a reference study's manifest (kind is not 'reference')")
    runs = {}
    for f in sorted(path.glob("*.json")):
        if f.name == MANIFEST:
            continue
        parts = f.name[:-len(".json")].split(".")
        step, name = parts[0], ".".join(parts[1:])
        runs.setdefault(step, {})[name] = load_run(f)
    return ReferenceResults(path, manifest, runs)
