"""A plan: the settings of a run and the cells it will run, in order."""
import sys
from dataclasses import dataclass, field

from . import allocators as alloc_mod
from . import cells as cells_mod
from .contract import sweep_live
from .profiles import PROFILES


class PlanError(ValueError):
    """A usage error found before anything runs (exit 2)."""


@dataclass
class Plan:
    profile: str
    settings: dict
    filters: dict                      # dimension -> patterns
    shard: tuple | None
    allocators: dict                   # name -> Allocator, those the cells use
    cells: list = field(default_factory=list)
    cells_unsharded: int = 0
    skipped_allocators: list = field(default_factory=list)
    skipped_workloads: list = field(default_factory=list)  # those without the run's size
    sections: list = field(default_factory=list)  # [{name, size, cells, skipped_workloads}]
    warnings: list = field(default_factory=list)  # said before anything runs
    bench: str = ""
    workloads_dir: str | None = None
    seed: int | None = None
    pin: str | None = None
    pace: float | None = None  # trace workloads: paced replay scale (dstudy_bench --pace)
    stream_cache: str | None = None  # folder of generated streams the cells share (--stream-cache)
    section_of: dict = field(default_factory=dict)  # cell id -> its section's name (None: main)
    # impl name -> {"origin": "library" | "study"} for the impls the cells run
    # (dstudy_bench --list; impls/core/register.h): what the report tells a
    # reader they can adopt
    implementations: dict = field(default_factory=dict)

    def open_loop_of(self, cell):
        """The open-loop fractions a cell runs at: the run's (--open-loop), else
        its section's `open_loop`; None for none, and for a multi-threaded cell
        (the open-loop pass paces one thread)."""
        if cell.threads > 1:
            return None
        if self.settings.get("open_loop"):
            return self.settings["open_loop"]
        name = self.section_of.get(cell.id)
        for sec in self.settings.get("sections") or []:
            if sec["name"] == name and sec.get("open_loop"):
                return sec["open_loop"]
        return None

    def size_of(self, cell):
        return cell.size or self.settings["size"]

    @property
    def sizes(self):
        """The sizes the planned cells run at: the main size first."""
        out = []
        for size in [self.settings["size"]] + [s["size"] for s in self.sections]:
            if size not in out and any(self.size_of(c) == size for c in self.cells):
                out.append(size)
        return out

    def options(self):
        """What a resumed run needs to rebuild this plan (stored in the manifest)."""
        return {"profile": self.profile, "settings": self.settings, "filters": self.filters,
                "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None,
                "allocators": [a.to_json() for a in self.allocators.values()],
                "bench": self.bench, "workloads_dir": self.workloads_dir,
                "seed": self.seed, "pin": self.pin, "pace": self.pace, "stream_cache": self.stream_cache}


def select_allocators(known, patterns, profile):
    """The allocator filter picks among all known allocators; without one the
    profile decides (quick: the defaults, full: all)."""
    if patterns:
        cells_mod.check_patterns("allocator", patterns, known)
        return {n: a for n, a in known.items() if cells_mod.matches(n, patterns)}
    if PROFILES[profile]["allocators"] == "default":
        return {n: a for n, a in known.items() if a.default}
    return dict(known)


def drop_missing(selected, skip_missing, warn=None):
    """A library that is not there is an error, or a warning and a skip."""
    missing = {n: a for n, a in selected.items() if a.missing()}
    if missing and not skip_missing:
        lines = "\n".join(f"  {n}: {a.library}" for n, a in sorted(missing.items()))
        raise PlanError("allocator library not found:\n" + lines +
                        "\ninstall it (scripts/setup.sh), fix its path in the allocators file, "
                        "or pass --skip-missing-allocators")
    for n, a in sorted(missing.items()):
        print(f"study: warning: skipping allocator {n}: {a.library} not found", file=warn or sys.stderr)
    return {n: a for n, a in selected.items() if n not in missing}, sorted(missing)


def apply_panel(cells, panel, allocator_patterns):
    """The profile's allocator panel (profiles.py): impls outside it run under
    the base allocators only. An explicit --allocator overrides it."""
    if not panel or allocator_patterns:
        return cells
    return [c for c in cells
            if c.allocator in panel["base"] or cells_mod.matches(c.impl, panel["impls"])]


def thread_safe_on_their_workloads(cells, listing, only_multi_threaded, filters):
    """The profile's `thread_safe_multi_threaded_only` (profiles.py): the
    thread-safe impls of the main matrix run only the multi-threaded
    workloads, unless --workload names what to run."""
    if not only_multi_threaded or filters.get("workload"):
        return cells
    safe = {i["name"] for i in listing["impls"] if i.get("thread_safe")}
    multi = {w["name"] for w in listing["workloads"] if (w.get("threads") or 1) > 1}
    return [c for c in cells if c.impl not in safe or c.workload in multi]


def without_size(listing, size):
    """Workloads whose spec defines no `size` profile (when the listing says
    which sizes a spec defines; otherwise dstudy_bench is the judge). A sweep
    point n<N> is the full profile at N: every spec with a full profile has it."""
    needed = {size, "full"} if sweep_live(size) else {size}
    return sorted(w["name"] for w in listing["workloads"]
                  if "sizes" in w and not needed & set(w["sizes"]))


def _unknown(patterns, names):
    """The plain names (no glob) among patterns that names lack."""
    return [p for p in patterns if not any(c in p for c in "*?[") and p not in names]


def section_cells(listing, section, selected, filters, first_kv_only, main_size, keep_size=False):
    """A section's cells: its impls x workloads under its allocators, narrowed
    by the run's filters and allocators; (cells, names the listing lacks)."""
    names = {"impl": [i["name"] for i in listing["impls"]],
             "workload": [w["name"] for w in listing["workloads"]]}
    missing = _unknown(section.get("impls", []), names["impl"]) + \
        _unknown(section.get("workloads", []), names["workload"])
    allocators = sorted(n for n in selected if cells_mod.matches(n, section.get("allocators")))
    size = None if section["size"] == main_size and not keep_size else section["size"]
    cells = [c for c in cells_mod.enumerate_cells(listing, allocators, filters, first_kv_only, size)
             if cells_mod.matches(c.impl, section.get("impls"))
             and cells_mod.matches(c.workload, section.get("workloads"))]
    return cells, missing


def build_plan(listing, known_allocators, profile, settings, filters, shard=None,
               skip_missing=False, check_filters=True, preselected=False):
    impls = [i["name"] for i in listing["impls"]]
    workloads = [w["name"] for w in listing["workloads"]]
    kvs = sorted({k for i in listing["impls"] for k in i["kv"]} |
                 {k for w in listing["workloads"] for k in w["kv"]})
    if check_filters:
        cells_mod.check_patterns("impl", filters.get("impl", []), impls)
        cells_mod.check_patterns("workload", filters.get("workload", []), workloads)
        cells_mod.check_patterns("kv", filters.get("kv", []), kvs)
    selected = (dict(known_allocators) if preselected else
                select_allocators(known_allocators, filters.get("allocator", []), profile))
    selected, skipped = drop_missing(selected, skip_missing)
    if not selected:
        raise PlanError("no allocator left to run")
    # The quick profile runs each workload's first kv kind only, unless the
    # user asked for kinds explicitly.
    first_kv_only = settings.get("kv_scope") == "first" and not filters.get("kv")
    main_size = settings["size"]
    cells = cells_mod.enumerate_cells(listing, sorted(selected), filters, first_kv_only)
    cells = apply_panel(cells, settings.get("allocator_panel"), filters.get("allocator"))
    skips = settings.get("main_skips_workloads")
    if skips and not filters.get("workload"):  # asked for by name: they run
        cells = [c for c in cells if not cells_mod.matches(c.workload, skips)]
    cells = thread_safe_on_their_workloads(cells, listing, settings.get("thread_safe_multi_threaded_only"),
                                           filters)
    # impls a section measures instead (profiles.py: instead_of_main)
    instead = [p for sec in settings.get("sections") or [] if sec.get("instead_of_main")
               for p in sec.get("impls") or []]
    cells = [c for c in cells if not (instead and cells_mod.matches(c.impl, instead))]
    # parts: (section, or None for the main matrix, size, its cells); a
    # sweep profile has no main matrix, only its points' sections
    main_matrix = settings.get("main_matrix", True)
    parts, warnings = ([(None, main_size, cells)] if main_matrix else []), []
    for section in settings.get("sections") or []:
        sec_cells, missing = section_cells(listing, section, selected, filters, first_kv_only,
                                           main_size, keep_size=not main_matrix)
        if missing:
            warnings.append(f"section '{section['name']}' names {', '.join(missing)}, which "
                            f"dstudy_bench --list does not list: left out")
        parts.append((section, section["size"], sec_cells))
    if not any(part_cells for _, _, part_cells in parts):
        raise PlanError("the filters leave no valid cell (impl x workload x kv x allocator); "
                        "see `scripts/study list cells`")
    # A workload without the size profile cannot run at it: leave it out
    # rather than record a failed cell for each of its impls and allocators.
    by_id, section_of, skipped_workloads, sections = {}, {}, [], []
    for section, size, part_cells in parts:
        name = section["name"] if section else None
        no_size = without_size(listing, size)
        left_out = sorted({c.workload for c in part_cells} & set(no_size))
        for c in part_cells:
            if c.workload not in no_size and c.id not in by_id:  # a cell runs once
                by_id[c.id], section_of[c.id] = c, name
        if name is None:
            skipped_workloads = left_out
        else:
            sections.append({"name": name, "size": size, "skipped_workloads": left_out})
            if section.get("why"):
                sections[-1]["why"] = section["why"]
    if not by_id:
        raise PlanError(f"no selected workload defines size '{main_size}' "
                        f"(see `sizes` in workloads/*.json)")
    sized = sorted(by_id.values(), key=lambda c: c.id)
    plan = Plan(profile=profile, settings=settings, filters=filters, shard=shard,
                allocators=selected, cells_unsharded=len(sized), skipped_allocators=skipped,
                skipped_workloads=skipped_workloads, warnings=warnings)
    plan.cells = cells_mod.shard(sized, *shard) if shard else sized
    plan.section_of = section_of
    planned = {c.impl for c in plan.cells}
    plan.implementations = {i["name"]: {"origin": i["origin"]} for i in listing["impls"]
                            if i["name"] in planned and i.get("origin")}
    for sec in sections:
        sec["cells"] = sum(1 for c in plan.cells if section_of[c.id] == sec["name"])
    plan.sections = sections
    return plan


def allocators_from_options(options):
    return {a["name"]: alloc_mod.from_json(a["name"], a, "manifest") for a in options["allocators"]}
