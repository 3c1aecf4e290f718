"""scripts/study reference and scripts/report reference: the whole reference
study from a declared plan (a tiny one here, on the fake bench: one
repetition per cell, one step in rounds), its compact results, the findings
computed from them, the pages made from those, and the test that committed
pages are what their committed results make."""
import json
import re
import shutil
import subprocess
import sys

import pytest
from report_helpers import FIXTURES
from runner_helpers import FAKE_BENCH, REPO

sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402
from dstudy_runner import reference as reference_cmd, reference_plan, rounds  # noqa: E402
from dstudy_report import pathological_table  # noqa: E402
from dstudy_report.findings import (SELECT_FIELDS, FindingError, compare_outcomes, evaluate_all,  # noqa: E402
                                    load_findings)
from dstudy_report.reference_pages import changed_since, render  # noqa: E402
from dstudy_report.reference_results import load_reference  # noqa: E402

FIXTURE = REPO / "tests" / "scripts" / "fixtures" / "reference"
PLAN, FINDINGS, RESULTS, PAGES = (FIXTURE / "plan.json", FIXTURE / "findings.json", FIXTURE / "results",
                                  FIXTURE / "pages")
REFERENCE = REPO / "reports" / "reference"
STUDY, REPORT = REPO / "scripts" / "study", REPO / "scripts" / "report"


def reference(tmp_path, *args, env=None):
    return subprocess.run([str(STUDY), "reference", "--plan", str(PLAN), "--bench", str(FAKE_BENCH),
                           "--results-dir", str(tmp_path / "results"), "--quiet", *map(str, args)],
                          capture_output=True, text=True, env=env)


def logged(log):
    """The cell ids the fake bench ran, in order."""
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        argv = json.loads(line)["argv"]
        out.append(argv[argv.index("--impl") + 1] + "/" + argv[argv.index("--workload") + 1])
    return out


def study_dir(tmp_path):
    (d,) = (tmp_path / "results").glob("reference-*")
    return d


def fixture_pages():
    return {str(p.relative_to(PAGES)): p.read_text() for p in PAGES.rglob("*.md")}


def test_dry_run_prints_the_time_plan_and_runs_nothing(tmp_path, env):
    r = reference(tmp_path, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "time plan: 4 steps, 11 cell runs" in r.stderr and "target 6 min 00 s" in r.stderr
    assert "churn_rounds" in r.stderr and "x 3 rounds" in r.stderr
    assert "plus at most 1 re-measurements" in r.stderr
    assert r.stdout.splitlines()[0].startswith("churn_quick: scripts/study run --size quick")
    assert not env.exists() and not (tmp_path / "results").exists()


def test_a_run_makes_one_folder_with_its_commit_and_remeasures_competing_cells_a_bounded_number_of_times(
        tmp_path, env, monkeypatch):
    monkeypatch.setenv("FAKE_BENCH_COMPETING", "beta")
    r = reference(tmp_path)
    assert r.returncode == 0, r.stderr
    d = study_dir(tmp_path)
    state = json.loads((d / "reference.json").read_text())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    assert state["commit"] == head and state["finished"]
    # 11 cell runs, and beta's cell measured once more in each of the 5 runs holding it (the plan's bound: 1)
    ran = logged(env)
    assert len(ran) == 11 + 5 and ran.count("beta/churn") == 2 * 5
    assert state["runs"]["churn_quick"] == {"status": "done", "remeasured": 1,
                                            "still_competing": ["beta/churn/u64/glibc"]}
    assert state["runs"]["drain"]["still_competing"] == [] and state["runs"]["drain"]["remeasured"] == 0
    # the earlier record is kept, not lost
    assert list((d / "runs" / "churn_quick" / "competing" / "attempt-1").glob("beta*.json"))
    compact = sorted(p.name for p in (d / "compact").glob("*.json"))
    assert compact == ["churn_medium.json", "churn_quick.json", "churn_rounds.round-1.json",
                       "churn_rounds.round-2.json", "churn_rounds.round-3.json", "drain.json", "manifest.json"]
    # the pages name a still-flagged cell beside the finding that uses it
    out = tmp_path / "pages"
    p = subprocess.run([str(REPORT), "reference", str(d), "--out", str(out), "--findings", str(FINDINGS)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    readme = (out / "README.md").read_text()
    assert f"Measured at commit {head[:12]}" in readme
    assert "claim: alpha ahead: **holds**" in readme
    assert "measured beside another process: beta/churn/u64/glibc" in readme


def test_resume_runs_only_what_an_interruption_left(tmp_path, env):
    assert reference(tmp_path).returncode == 0
    d = study_dir(tmp_path)
    state = json.loads((d / "reference.json").read_text())
    state["runs"]["drain"]["status"] = "interrupted"
    (d / "reference.json").write_text(json.dumps(state))
    for f in (d / "runs" / "drain" / "cells").glob("*.json"):
        f.unlink()
    env.unlink()
    r = reference(tmp_path, "--resume", d)
    assert r.returncode == 0, r.stderr
    assert logged(env) == ["alpha/drain"]
    assert json.loads((d / "reference.json").read_text())["runs"]["drain"]["status"] == "done"


def test_resume_refuses_another_plan(tmp_path, env):
    assert reference(tmp_path).returncode == 0
    other = tmp_path / "other.json"
    doc = json.loads(PLAN.read_text())
    doc["steps"] = doc["steps"][:1]
    other.write_text(json.dumps(doc))
    r = subprocess.run([str(STUDY), "reference", "--plan", str(other), "--bench", str(FAKE_BENCH),
                        "--resume", str(study_dir(tmp_path))], capture_output=True, text=True)
    assert r.returncode == 2 and "was started with another plan" in r.stderr


@pytest.mark.parametrize("change, message", [
    (lambda d: d["steps"][0]["args"].extend(["--pin", "1"]), "--pin is the reference command's to give"),
    (lambda d: d["steps"].append(dict(d["steps"][0])), "step names repeat: churn_quick"),
    (lambda d: d["steps"][3].pop("ratio") and d["steps"][3]["args"].extend(["--repetitions", "2"]),
     "a step with rounds runs one repetition per round"),
    (lambda d: d.update(remeasure_competing=-1), "remeasure_competing: expected a whole number"),
    (lambda d: d["steps"][3]["ratio"].update(quantity=[]), "ratio.quantity: expected a quantity name or a list"),
])
def test_a_bad_plan_is_refused_naming_the_file(tmp_path, change, message):
    doc = json.loads(PLAN.read_text())
    change(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(reference_plan.ReferencePlanError, match=message) as e:
        reference_plan.load(bad)
    assert str(bad) in str(e.value)


def test_the_reference_plan_and_findings_are_consistent():
    plan = reference_plan.load()
    doc = load_findings(REFERENCE / "specs" / "findings.json")
    steps = {s.name for s in plan.steps}
    for f in doc["findings"]:
        for side in ("a", "b", "small", "large"):
            if "step" in f.get(side, {}):
                assert f[side]["step"] in steps, f["id"]
    assert len(doc["questions"]) == 7
    assert {q["id"] for q in doc["questions"]} == {f["question"] for f in doc["findings"]}


def test_pages_regenerated_from_the_fixture_results_are_the_committed_fixture_pages():
    pages = render(load_reference(RESULTS), load_findings(FINDINGS), changes=[])
    assert pages == fixture_pages()


def test_a_planted_change_to_one_committed_figure_changes_the_pages(tmp_path):
    planted = tmp_path / "results"
    shutil.copytree(RESULTS, planted)
    f = planted / "churn_quick.json"
    doc = json.loads(f.read_text())
    cell = next(c for c in doc["cells"] if c["impl"] == "alpha")
    cell["sidecar"]["throughput"]["headline"]["median_ops_per_second"] *= 1.5
    f.write_text(json.dumps(doc))
    pages = render(load_reference(planted), load_findings(FINDINGS), changes=[])
    assert pages["README.md"] != fixture_pages()["README.md"]


def test_the_header_lists_changes_to_impls_or_bench_after_the_measured_commit():
    # 67060c2 changed comments in impls/tombstone_map.h; 6253c96 (its parent) only a page
    assert changed_since("6253c96", until="67060c2") == [
        line for line in changed_since("6253c96", until="67060c2") if line.startswith("67060c2 ")]
    assert len(changed_since("6253c96", until="67060c2")) == 1
    assert changed_since("no-such-commit") is None
    pages = render(load_reference(RESULTS), load_findings(FINDINGS), changes=["abc1234 a change"])
    assert "changed since: abc1234 a change." in pages["README.md"]


def test_report_compare_names_the_findings_that_differ(tmp_path):
    planted = tmp_path / "results"
    shutil.copytree(RESULTS, planted)
    for k in (1, 2, 3):   # beta now ahead in every round
        f = planted / f"churn_rounds.round-{k}.json"
        doc = json.loads(f.read_text())
        beta = next(c for c in doc["cells"] if c["impl"] == "beta")
        beta["sidecar"]["throughput"]["headline"]["median_ops_per_second"] *= 2
        f.write_text(json.dumps(doc))
    doc = load_findings(FINDINGS)
    assert [d[:3] for d in compare_outcomes(doc, load_reference(RESULTS), load_reference(planted))] == [
        ("alpha_beats_beta_rounds", "holds", "fails")]
    r = subprocess.run([str(REPORT), "compare", str(RESULTS), str(planted), "--findings", str(FINDINGS)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "5 findings, 1 differ" in r.stdout and "alpha_beats_beta_rounds: holds -> fails" in r.stdout


def test_each_claim_kind_says_holds_tie_fails_or_not_measured():
    verdicts = {o.id: o.verdict for o in evaluate_all(load_findings(FINDINGS), load_reference(RESULTS))}
    assert verdicts == {"alpha_beats_beta_rounds": "holds", "alpha_beats_beta_quick": "tie",
                        "cross_quick_medium": "tie", "drain_retention": "fails", "gamma_absent": "not measured"}


def test_a_findings_file_with_an_unknown_quantity_is_refused(tmp_path):
    doc = json.loads(FINDINGS.read_text())
    doc["findings"][0]["quantity"] = "speed"
    bad = tmp_path / "findings.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(FindingError, match="unknown quantity 'speed'"):
        load_findings(bad)


def test_same_round_ratios_come_from_each_round():
    runs = load_reference(RESULTS).runs["churn_rounds"]
    numbered = {int(k.split("-")[1]): r for k, r in runs.items()}
    ratios = rounds.same_round_ratios(numbered, "throughput", "beta")
    ((group, by_impl),) = ratios.items()
    assert group == "churn u64 quick glibc" and by_impl["beta"] == [1.0, 1.0, 1.0]
    assert len(by_impl["alpha"]) == 3 and all(r > 1 for r in by_impl["alpha"])
    lines = rounds.runs_summary_lines(numbered, "throughput", ["alpha", "beta"])
    assert "ratio to best of alpha, beta in the same round" in lines[0]
    assert any("(3 measured beside another process)" in line for line in lines)


def test_the_committed_reference_pages_are_what_the_committed_results_make():
    results = REFERENCE / "results"
    if not (results / "manifest.json").exists():
        pytest.skip("no committed reference results yet (reports/reference/results/)")
    ref = load_reference(results)
    changes = changed_since(ref.commit)
    pages = render(ref, load_findings(REFERENCE / "specs" / "findings.json"), changes)
    for rel, text in pages.items():
        committed = (REFERENCE / rel).read_text()
        if changes is None:  # a checkout without the measured commit (a shallow clone): only the header differs
            committed, text = (re.sub(r"(?m)^Measured at commit .*$", "", t) for t in (committed, text))
        assert committed == text, f"reports/reference/{rel} differs: run scripts/report reference " \
                                  f"reports/reference/results"


def results_with(tmp_path, step, doc):
    """The fixture's manifest and one run of a step: a reference results folder."""
    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copy(RESULTS / "manifest.json", folder)
    (folder / f"{step}.json").write_text(json.dumps(doc))
    return load_reference(folder)


def table_rows(page, first_cell):
    """The cells of the page's table rows that begin with first_cell."""
    return [[x.strip() for x in line.strip("|").split("|")] for line in page.splitlines()
            if line.startswith(f"| {first_cell} |")]


def test_a_drift_step_page_carries_the_miss_cost_over_the_turnovers(tmp_path):
    # make_fixtures.drift_run: miss cost 10 ns + 80 ns x the tombstones' share of
    # the slots; tombstone_never reaches 1/8 at the 5th of every 6 turnovers, absl reports none
    page = render(results_with(tmp_path, "drift", make_fixtures.drift_run()), load_findings(FINDINGS),
                  changes=[])["steps/drift.md"]
    assert "### Drift over the turnovers" in page
    (never,) = table_rows(page, "tombstone_never")
    assert never[1:4] == ["20", "11.7", "13.3"]            # turnovers, t1 (1/48 of the slots), t20 (2/48)
    assert never[7] == "0.32 → 0.45"                        # miss probe mean follows the tombstones
    assert never[9:] == ["1.00", "1.00", "1.00"]            # planted: all three move together
    (absl,) = table_rows(page, "absl_flat_hash_map")
    assert absl[2:4] == ["10.0", "10.0"] and absl[6] == ""


def pathological_run():
    """alpha_map's erase patterns at planted rates against the lagged-FIFO
    control, its walk before and after a 90% drain; gamma_conc cannot iterate."""
    workloads = [pathological_table.CONTROL] + [w for w, _ in pathological_table.PATTERNS] + \
        [pathological_table.ITERATE]
    doc = make_fixtures.synthetic_run(["alpha_map"], workloads, ["glibc"], reps=5)
    rates = {"erase_lagged_fifo": [10e6, 9e6, 10.5e6, 10e6, 30e6],   # one disturbed repetition left out
             "erase_first_insert_loop": [1e6] * 5, "erase_iteration_order_while_inserting": [2e6] * 5}
    for c in doc["cells"]:
        sc = c["sidecar"]
        if c["workload"] in rates:
            make_fixtures.set_headline(sc["throughput"], rates[c["workload"]])
        else:
            like = sc["throughput"]["phases"][-1]
            sc["throughput"]["phases"] = [
                {**like, "name": "iterate_full", "median_ops_per_second": 10_000.0},
                {**like, "name": "iterate_drained", "median_ops_per_second": 50_000.0,
                 "min_ops_per_second": 40_000.0, "max_ops_per_second": 100_000.0}]
            base = sc["memory"]["phase_end"][0]
            sc["memory"]["phase_end"] = [
                {**base, "phase": "iterate_full", "live_keys": 100_000},
                {**base, "phase": "iterate_drained", "live_keys": 10_000,
                 "internals": {**(base.get("internals") or {}), "capacity": 131_072}}]
    gamma = dict(doc["cells"][-1], id="gamma_conc/iterate_after_drain/u64/glibc", impl="gamma_conc",
                 status="not_applicable", sidecar=None)
    doc["cells"].append(gamma)
    return doc


def test_a_pathological_step_page_carries_the_slowdowns_against_the_control(tmp_path):
    page = render(results_with(tmp_path, "pathological", pathological_run()), load_findings(FINDINGS),
                  changes=[])["steps/pathological.md"]
    assert "### Pathological deletes" in page
    erase, walk = table_rows(page, "alpha_map")
    # control median 10 M; its inner repetitions 10-10.5 M against 1 M and 2 M
    assert erase[1:] == ["10.00 M", "1.00 M", "2.00 M", "10.0x (10.0-10.5)", "5.0x (5.0-5.2)"]
    # 1e9 / (10k walks/s x 100k keys) = 1 ns a key; drained 1e9 / (50k x 10k) = 2 ns (1-2.5), 0.15 a slot
    assert walk[1:] == ["1.00", "2.00 (1.00-2.50)", "0.15", "131,072", "2.0x"]
    assert "not applicable (no iteration): gamma_conc" in page


def test_a_step_without_drift_or_pathological_workloads_has_no_focused_table():
    pages = render(load_reference(RESULTS), load_findings(FINDINGS), changes=[])
    assert not any("### Drift" in p or "### Pathological" in p for p in pages.values())


def test_the_time_plan_says_which_cell_runs_it_cannot_estimate(tmp_path, env):
    # the calibration knows no size n5000: churn_medium's 2 cells have no estimate
    doc = json.loads(PLAN.read_text())
    doc["steps"][1]["args"][1] = "n5000"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(doc))
    r = subprocess.run([str(STUDY), "reference", "--plan", str(plan), "--bench", str(FAKE_BENCH),
                        "--results-dir", str(tmp_path / "results"), "--dry-run"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "; 2 cell runs have no estimate and are not in the total" in r.stderr.splitlines()[0]
    assert re.search(r"churn_medium +2 cells .*\(2 cells with no estimate\)", r.stderr)


def test_the_reference_plan_keeps_workload_specs_apart_from_its_own_files():
    # dstudy_bench reads every .json of a --workloads-dir as a workload spec
    for step in reference_plan.load().steps:
        if "--workloads-dir" in step.args:
            folder = REPO / step.args[step.args.index("--workloads-dir") + 1]
            assert folder.is_dir(), step.name
            names = {p.name for p in folder.glob("*.json")}
            assert names and not names & {"plan.json", "findings.json"}, step.name


def finding_selections(f):
    """Every cell selection a finding reads (a crossing: each side at each end)."""
    sides = [f["a"]] + ([f["b"]] if "b" in f else [])
    if f["claim"] != "crosses":
        return sides
    return [{**{k: v for k, v in f[end].items() if k != "label"}, **s} for s in sides for end in ("small", "large")]


def test_every_reference_finding_selects_exactly_one_planned_cell():
    bench = REPO / "build" / "release" / "dstudy_bench"
    if not bench.exists():
        pytest.skip("dstudy_bench not built (the plan's cells come from its listing)")
    plan = reference_plan.load()
    plans = reference_cmd.step_plans(plan, bench)
    for f in load_findings(REFERENCE / "specs" / "findings.json")["findings"]:
        for sel in finding_selections(f):
            found = [c.id for c in plans[sel["step"]].cells
                     if all(getattr(c, k) == sel[k] for k in SELECT_FIELDS if k in sel)]
            assert len(found) == 1, f"{f['id']}: {sel} selects {found or 'no planned cell'}"
