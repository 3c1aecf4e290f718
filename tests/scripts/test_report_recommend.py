"""Recommendations: a winner only beyond noise (Mann-Whitney or every
repetition, the timer's resolution for latency), ties name the tied set,
the Pareto set, objectives, and the answer comes first in both files."""
import copy
import re
import sys

import pytest

from report_helpers import (BASE, FIXTURES, fixture_doc, html_tables, md_table, rendered_base, run_report,
                            write_doc)

from dstudy_report.conditions import size_regimes
from dstudy_report.content import report_content
from dstudy_report.html import html_table, page
from dstudy_report.load import Cell, ReportError, Summary, load_run
from dstudy_report.markdown import md_page
from dstudy_report.metrics import MEMORY_PEAK, TAIL_P99, THROUGHPUT, Metric
from dstudy_report.objectives import DEFAULT_CONSTRAINED, default_objectives, parse_objective
from dstudy_report.ranking import beats, pareto, rank
from dstudy_report.recommendations import answer, detail_table, evidence_table, summary_cell, summary_table

sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402

TOMB_G, TOMB_J = "tombstone_never + glibc", "tombstone_never + jemalloc"


@pytest.fixture(scope="module")
def run():
    return load_run(BASE)


@pytest.fixture(scope="module")
def answers(run):
    return {(a.size, a.workload, a.kv): a for a in answer(run, default_objectives())}


def _throughput(a):
    return a.rankings[0]


def test_clear_win_with_five_repetitions_uses_mann_whitney(answers):
    r = _throughput(answers[("quick", "steady_churn", "u64")])
    assert r.verdict == "clear" and r.best.candidate == TOMB_J and r.runner_up.candidate == TOMB_G
    assert r.decision.wins and "Mann-Whitney" in r.decision.why
    assert r.margin == pytest.approx(1.08, abs=0.001)
    low, high = r.margin_range
    assert low < r.margin < high


def test_overlapping_repetitions_are_a_tie_naming_the_tied_set(answers):
    r = _throughput(answers[("quick", "steady_churn", "string")])
    assert r.verdict == "tie"
    assert {c.candidate for c in r.tied} == {TOMB_G, TOMB_J}
    assert "overlap" in r.decision.why


def test_three_repetitions_win_only_when_every_one_is_better(answers):
    r = _throughput(answers[("quick", "drain", "u64")])
    assert r.verdict == "clear" and r.best.candidate == TOMB_J
    assert r.decision.why.startswith("every repetition better")


def test_failed_cells_are_never_candidates(answers):
    for a in answers.values():
        for r in a.rankings:
            assert all(c.ok for c in r.ordered)


def _cell(run, cid, size="quick"):
    return next(c for c in run.cells if c.id == cid and c.size == size)


def _with(cell, **sidecar_changes):
    c = copy.deepcopy(cell)
    for path, value in sidecar_changes.items():
        d = c.sidecar
        keys = path.split("__")
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return c


def test_one_repetition_a_side_declares_nothing(run):
    a = _with(_cell(run, "tombstone_never/drain/u64/jemalloc"))
    b = _with(_cell(run, "std_unordered_map/drain/u64/glibc"))
    for c in (a, b):
        h = c.sidecar["throughput"]["headline"]
        h["per_repetition"], h["samples"] = h["per_repetition"][:1], 1
    d = beats(THROUGHPUT, a, b)
    assert not d.wins and "spread unknown" in d.why
    assert rank(THROUGHPUT, [a, b]).verdict == "tie"


def test_a_disturbed_repetition_turns_a_clear_win_into_a_tie(run, answers):
    """The clear Mann-Whitney win of the fixture is no win once the harness
    says one of the winner's repetitions was disturbed; the spread says so."""
    r = _throughput(answers[("quick", "steady_churn", "u64")])
    best, other = r.best, r.runner_up
    assert beats(THROUGHPUT, best, other).wins
    disturbed = _with(best, throughput__disturbed_repetitions=1)
    d = beats(THROUGHPUT, disturbed, other)
    assert not d.wins and "disturbed" in d.why
    assert "1 DISTURBED" in THROUGHPUT.spread_text(disturbed)
    assert rank(THROUGHPUT, [disturbed, other]).verdict == "tie"


def test_latency_within_twice_the_resolution_is_a_tie(run):
    a = _cell(run, "tombstone_never/steady_churn/string/glibc")
    b = _with(a)
    op = a.dominant_op
    lat = b.sidecar["latency"]["per_op"][op]
    floor = 2 * max(a.resolution_ns, b.resolution_ns)
    lat["p99_ns"] = a.percentile(op, "p99_ns") + floor   # exactly at the floor: still a tie
    for rep in lat["per_repetition"]:
        rep["p99_ns"] = rep["p99_ns"] + 10 * floor       # repetitions well apart
    d = beats(TAIL_P99, a, b)
    assert not d.wins and "tie floor" in d.why
    lat["p99_ns"] += 1
    assert beats(TAIL_P99, a, b).wins


def test_memory_under_one_percent_is_a_tie(run):
    a = _cell(run, "tombstone_never/drain/u64/glibc")
    b = _with(a)
    for s in b.sidecar["memory"]["series"]:
        s["heap_bytes"] = int(s["heap_bytes"] * 1.009)
    assert not beats(MEMORY_PEAK, a, b).wins
    for s in b.sidecar["memory"]["series"]:
        s["heap_bytes"] = int(s["heap_bytes"] * 1.02)
    assert beats(MEMORY_PEAK, a, b).wins


def _stub(name, x, y):
    return Cell(name, name, "w", "u64", "glibc", 1, "quick", "ok", None,
                {"x": x, "y": y})


def test_pareto_keeps_what_nothing_beats_on_every_metric():
    hi = Metric("x", "x", lambda c: c.sidecar["x"], True, str)
    lo = Metric("y", "y", lambda c: c.sidecar["y"], False, str)
    cells = [_stub("a", 10, 5), _stub("b", 8, 3), _stub("c", 7, 4), _stub("d", 10, 5), _stub("e", 6, 9)]
    assert [c.id for c in pareto(cells, [hi, lo])] == ["a", "b", "d"]


def test_summary_reads_the_headline_figure():
    s = Summary.read({"median_ops_per_second": 5.0, "per_repetition": [4.0, 5.0, 6.0], "samples": 3})
    assert s.median == 5.0 and s.per_repetition == (4.0, 5.0, 6.0)
    assert Summary.read(None) is None


@pytest.mark.parametrize("text", ["max throughput", "min tail.p999", "min memory.peak",
                                  "max throughput subject to erase.p999 < 2us",
                                  "max throughput where erase.p999 <= 2 us and find_hit.p99 < 500ns",
                                  "min memory.after_drain within 10% of best throughput"])
def test_objectives_parse(text):
    assert parse_objective(text).metric is not None


@pytest.mark.parametrize("text,words", [("max latency", ["unknown metric"]),
                                        ("min throughput", ["higher", "max throughput"]),
                                        ("max throughput subject to erase.p999 < fast", ["condition"]),
                                        ("fastest please", ["expected"])])
def test_bad_objectives_say_why(text, words):
    with pytest.raises(ReportError) as e:
        parse_objective(text)
    assert all(w in str(e.value) for w in words)


def test_constraint_excludes_the_stalling_cell(run):
    o = parse_objective("max throughput subject to erase.p999 < 2us")
    r = o.rank(run.cells_of("quick", "steady_churn", "u64"))
    excluded = {c.candidate: why for c, why in r.excluded}
    assert "fails" in excluded["sorted_vector_lazy + jemalloc"]
    assert all(c.percentile("erase", "p999_ns") < 2000 for c in r.ordered)


def test_within_keeps_only_cells_near_the_best(run):
    o = parse_objective("min memory.after_drain within 10% of best throughput")
    r = o.rank(run.cells_of("quick", "drain", "u64"))
    best = max(THROUGHPUT.value(c) for c in run.cells_of("quick", "drain", "u64") if c.ok)
    assert r.ordered and all(THROUGHPUT.value(c) >= 0.9 * best for c in r.ordered)


def test_answer_comes_first_in_both_files():
    out = rendered_base()
    md = (out / "report.md").read_text()
    first_heading = next(line for line in md.splitlines() if line.startswith("## "))
    assert first_heading == "## Recommendations"
    rows = md_table(md, "Recommendations, size quick")
    assert [(r["Workload"], r["KV"]) for r in rows] == [("steady_churn", "u64"), ("steady_churn", "string"),
                                                        ("drain", "u64")]
    assert rows[0]["Throughput"].startswith(TOMB_J) and "1.080x" in rows[0]["Throughput"]
    assert rows[1]["Throughput"].startswith("tie (2 of 5): tombstone_never + {jemalloc, glibc}")
    html = (out / "report.html").read_text()   # the verdicts, one table per size, then the recommendations
    keys = re.findall(r'<table data-table="([^"]+)"', html)
    assert keys[:3] == ["verdict_quick", "verdict_full", "answer_quick"]


def test_recommendations_are_grouped_per_size_with_the_cache_stated():
    out = rendered_base()
    tables = html_tables(out / "report.html")
    assert len(tables["answer_quick"]) == 3 and len(tables["answer_full"]) == 1
    md = (out / "report.md").read_text()
    assert "size full: 1,000,000 live keys" in md and "beyond the last-level cache (L3 8.00 MiB)" in md


def test_objective_on_the_command_line(tmp_path):
    proc = run_report(BASE, "--out", tmp_path, "--objective", "max throughput subject to find_hit.p99 < 150ns")
    assert proc.returncode == 0, proc.stderr
    rows = md_table((tmp_path / "report.md").read_text(), "Recommendations under constraints")
    assert list(rows[0])[2] == "max throughput subject to find_hit.p99 < 150ns"
    assert rows[0]["max throughput subject to find_hit.p99 < 150ns"].startswith(TOMB_J)


def test_bad_objective_on_the_command_line_stops_before_rendering(tmp_path):
    proc = run_report(BASE, "--out", tmp_path / "o", "--objective", "max speed")
    assert proc.returncode == 2 and "unknown metric 'speed'" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_a_run_with_one_repetition_declares_no_winner(tmp_path):
    doc = fixture_doc()
    for c in doc["cells"]:
        if c["sidecar"]:
            h = c["sidecar"]["throughput"]["headline"]
            h["per_repetition"], h["samples"] = h["per_repetition"][:1], 1
    run = load_run(write_doc(doc, tmp_path))
    for a in answer(run, default_objectives()):
        assert a.rankings[0].verdict in ("tie", "only candidate")


def test_a_competing_winner_is_flagged_where_it_is_named(tmp_path):
    doc = fixture_doc()
    winner = next(c for c in doc["cells"] if c["id"] == "tombstone_never/steady_churn/u64/jemalloc")
    winner["sidecar"]["machine_load"].update(competing=True, reason="steal 12% > 5%")
    run = load_run(write_doc(doc, tmp_path))
    objectives = default_objectives()
    a = next(a for a in answer(run, objectives) if (a.size, a.workload, a.kv) == ("quick", "steady_churn", "u64"))
    table = summary_table([a], objectives, "answer", "t", "", with_pareto=True)
    throughput, pareto_set = table.rows[0][2].text, table.rows[0][-1].text
    assert throughput.startswith(TOMB_J + " [COMPETING]")
    assert TOMB_J + " [COMPETING]" in pareto_set


# Reading the squares: long ties, ties at the timer's resolution, memory --------------------------
def _group(run, size, workload, kv):
    return next(a for a in answer(run, default_objectives()) if (a.size, a.workload, a.kv) == (size, workload, kv))


def test_a_long_tie_gives_the_leader_the_count_and_a_link_to_the_whole_set(tmp_path):
    impls = ["tombstone_never", "sorted_vector_lazy", "std_unordered_map"] + [f"peer_map_{k}" for k in range(5)]
    doc = make_fixtures.synthetic_run(impls, ["steady_churn"], ["glibc", "jemalloc"])
    for k, c in enumerate(doc["cells"]):        # every repetition range overlaps the leader's
        t = c["sidecar"]["throughput"]
        make_fixtures.set_headline(t, make_fixtures.spread_values(20e6 + k * 1e3, 5.0, 3))
    run = load_run(write_doc(doc, tmp_path))
    objectives = default_objectives()
    a = _group(run, "quick", "steady_churn", "u64")
    r = a.rankings[0]
    assert r.verdict == "tie" and len(r.tied) == 16
    square = summary_table([a], objectives, "answer", "t", "", with_pareto=True).rows[0][2]
    first = square.text.splitlines()[0]
    assert first == f"tie (16): leader {r.best.candidate} and 15 more (8 containers)"
    assert len(square.text) < 300            # the first screen gets the count, not 16 names
    (text, anchor), = square.links
    assert text == "all 16 tied cells, in detail"
    detail = detail_table([a], objectives[0], 0, "detail_0")
    assert detail.row_ids[0] == anchor and f'<tr id="{anchor}">' in html_table(detail)
    tied_set = detail.rows[0][detail.columns.index("Tied set")].text
    assert all(c.impl in tied_set for c in r.tied)     # nothing hidden: the detail lists them all
    # On the page, the link lands on that row (the constrained tables link to theirs).
    constrained = [parse_objective(t) for t in DEFAULT_CONSTRAINED]
    html = page("t", "m", report_content(run, answer(run, objectives), objectives, constrained,
                                         answer(run, constrained), []))
    links = re.findall(r'href="#(d[c0-9]+-[^"]+)"', html)
    assert anchor in links and all(f'<tr id="{t}">' in html for t in links)


def test_a_short_tie_names_every_cell_grouped_by_container(answers):
    r = _throughput(answers[("quick", "steady_churn", "string")])
    cell = summary_cell(r, "d0-x")
    assert cell.text.splitlines()[0] == "tie (2 of 5): tombstone_never + {jemalloc, glibc}"
    assert cell.links == ()         # every tied cell is named already


def _set_tail(c, p99):
    lat = c["sidecar"]["latency"]["per_op"][c["sidecar"]["workload"]["dominant_op"]]
    lat["p99_ns"] = p99
    for rep in lat["per_repetition"]:
        rep["p99_ns"] = p99


def test_latency_all_within_the_timer_resolution_says_no_ranking(tmp_path):
    doc = fixture_doc()
    group = [c for c in doc["cells"] if c["status"] == "ok"
             and (c["size"], c["workload"], c["kv"]) == ("quick", "steady_churn", "u64")]
    for k, c in enumerate(group):               # 40..55 ns: within 2x the 10-12 ns resolution
        _set_tail(c, 40 + 3 * k)
    run = load_run(write_doc(doc, tmp_path))
    r = _group(run, "quick", "steady_churn", "u64").rankings[1]
    assert r.metric.key == "tail.p99" and len(r.tied) == len(r.ordered) == len(group)
    text = summary_cell(r, "d1-x").text
    assert text.startswith(f"no ranking: all {len(group)} within the timer's resolution")
    assert "tie floor 24 ns = 2x the timer's resolution" in text and "40 ns–55 ns" in text


def test_latency_tie_at_the_resolution_with_slower_cells_says_how_many(tmp_path):
    doc = fixture_doc()
    group = [c for c in doc["cells"] if c["status"] == "ok"
             and (c["size"], c["workload"], c["kv"]) == ("quick", "steady_churn", "u64")]
    for k, c in enumerate(group):               # two at 40/45 ns, the rest far slower
        _set_tail(c, 40 + 5 * k if k < 2 else 400 + 50 * k)
    run = load_run(write_doc(doc, tmp_path))
    r = _group(run, "quick", "steady_churn", "u64").rankings[1]
    text = summary_cell(r).text
    assert text.startswith(f"tie (2 of {len(group)}) within the timer's resolution: ")
    assert f"the other {len(group) - 2} are worse beyond noise" in text


def test_memory_square_says_the_memory_pass_has_no_spread(answers):
    text = summary_cell(answers[("quick", "drain", "u64")].rankings[3]).text
    assert "memory pass: one process, no spread" in text and "one measurement" not in text


def test_evidence_gives_allocations_per_op(answers):
    """Node containers allocate per insert, flat ones per growth: a number in the report."""
    rows = {(r[3].text, r[7].text): r for r in evidence_table(list(answers.values())).rows}
    cols = evidence_table([]).columns
    k = cols.index("Allocations / op")
    node = [r[k].text for (cand, phase), r in rows.items() if cand.startswith("std_unordered_map") and phase == "churn"]
    flat = [r[k].text for (cand, phase), r in rows.items() if cand.startswith("tombstone_never") and phase == "churn"]
    assert node and all(t == "0.250" for t in node)
    assert flat and all(t == "0.000" for t in flat)


def test_evidence_gives_the_reclamation_lag_where_the_container_reports_it(answers):
    """A concurrent map's pending and peak reclaim bytes (internals, as the harness wrote
    them) are shown; containers that do not report them get blank cells, not zeros."""
    cells = [c for a in answers.values() for c in a.pareto]
    internals = cells[0].phase_end[0]["internals"]
    saved = dict(internals)
    internals.update(reclaim_pending_bytes=4096, reclaim_pending_peak_bytes=70000)
    try:
        table = evidence_table(list(answers.values()))
    finally:
        internals.clear()
        internals.update(saved)
    pending, peak = table.columns.index("Reclaim pending"), table.columns.index("Reclaim pending peak")
    shown = [(r[pending].text, r[peak].text) for r in table.rows if r[peak].text]
    assert shown and all(p and k for p, k in shown)
    assert any("68" in k for _, k in shown)  # 70000 B in KiB
    assert any(not r[peak].text for r in table.rows)


# Two sizes -----------------------------------------------------------------------------------
FULL_IMPLS = ["tombstone_never", "std_unordered_map"] + [f"peer_map_{k}" for k in range(5)]


@pytest.fixture(scope="module")
def two_sizes(tmp_path_factory):
    """Size quick (3 containers x 2 allocators) and size full (7 containers under glibc only),
    the L3 set between the two sizes' peaks."""
    doc = make_fixtures.two_size_run(list(make_fixtures.IMPLS), FULL_IMPLS)
    folder = tmp_path_factory.mktemp("two")
    run = load_run(write_doc(doc, folder))
    quick_max = max(c.peak_memory for c in run.cells if c.size == "quick" and c.ok)
    full_min = min(c.peak_memory for c in run.cells if c.size == "full" and c.ok)
    assert quick_max < full_min
    for env in [doc["manifest"]["environment"]] + [c["sidecar"]["environment"] for c in doc["cells"] if c["sidecar"]]:
        env["cache_bytes"] = {"L1d": 49152, "L2": 1310720, "L3": (quick_max + full_min) // 2}
    return load_run(write_doc(doc, folder))


def test_size_groups_are_never_merged(two_sizes):
    for a in answer(two_sizes, default_objectives()):
        for r in a.rankings:
            assert {c.size for c in r.ordered + r.tied} <= {a.size}
        assert {c.size for c in a.pareto} <= {a.size}
    full = [a for a in answer(two_sizes, default_objectives()) if a.size == "full"]
    assert [(a.workload, a.kv) for a in full] == [("steady_churn", "u64"), ("drain", "u64")]
    assert all({c.impl for c in a.cells} == set(FULL_IMPLS) for a in full)


def test_size_groups_say_in_cache_and_beyond_it(two_sizes):
    quick, full = size_regimes(two_sizes)
    assert quick.beyond_cache is False and "in cache: every table within the last-level cache" in quick.text
    assert full.beyond_cache is True and "beyond the last-level cache" in full.text
    assert "beyond" not in quick.text and "in cache:" not in full.text


def test_a_one_allocator_size_group_reads_as_containers(two_sizes):
    objectives = default_objectives()
    constrained = [parse_objective(t) for t in DEFAULT_CONSTRAINED]
    sections = report_content(two_sizes, answer(two_sizes, objectives), objectives, constrained,
                              answer(two_sizes, constrained), [])
    md = md_page("t", "m", sections)
    title = next(line for line in md.splitlines() if line.startswith("### Recommendations, size full"))
    assert "beyond the last-level cache" in title and "7 containers under glibc only" in title
    assert "Every cell of this size ran under glibc" in md
    full = md_table(md, "Recommendations, size full")
    quick = md_table(md, "Recommendations, size quick")
    assert [r["Workload"] for r in full] == ["steady_churn", "drain"]
    squares = [r[k] for r in full for k in ("Throughput", "Tail P99", "Tail P99.9", "Memory", "Pareto set")]
    assert not any("+ glibc" in s or "jemalloc" in s for s in squares)   # containers alone
    assert all(any(i in s for i in FULL_IMPLS) for s in squares)
    # The quick table names container + allocator and none of the containers only measured at full.
    assert "in cache" in next(line for line in md.splitlines() if line.startswith("### Recommendations, size quick"))
    assert any(" + jemalloc" in r["Throughput"] for r in quick)
    assert not any("peer_map" in v for r in quick for v in r.values())
    assert "Each size is ranked on its own" in md
