"""The report's open-loop section, from the fixture's two full-size cells
that ran open loop at 0.5, 0.7 and 0.9 of their throughput: the figures
(response vs offered load, service vs response at one rate), the table of
response times with the knee where the harness put it, the worst stalls with
their causes, and a clear error for a malformed open_loop section."""
import json

import pytest
from report_helpers import BASE, fixture_cells, fixture_doc, html_tables, md_table, rendered_base, run_report

from dstudy_report.load import load_run
from dstudy_report.open_loop import REFERENCE_FRACTION, open_loop_cells
from dstudy_report.quantities import QuantityError, quantity
from dstudy_runner import rounds

STD = ("std_unordered_map/steady_churn/u64/glibc@full", "full")
NEVER = ("tombstone_never/steady_churn/u64/glibc@full", "full")


def test_the_section_lists_every_rate_of_every_open_loop_cell():
    rows = md_table((rendered_base() / "report.md").read_text(), "Open loop: response time by offered load")
    by_cell = {}
    for r in rows:
        by_cell.setdefault(r["Cell"], []).append(r)
    assert set(by_cell) == {STD[0], NEVER[0]}
    for cell, mine in by_cell.items():
        assert [r["Offered load"][:4] for r in mine] == ["0.50", "0.70", "0.90"], cell
    # The knee is the harness's: std_unordered_map at 0.9, none for tombstone_never.
    assert [r["Knee"] for r in by_cell[STD[0]]] == ["", "", "knee"]
    assert all(r["Knee"] == "" for r in by_cell[NEVER[0]])


def test_response_values_are_the_harness_figures():
    sc = fixture_cells()[STD]["sidecar"]["open_loop"]
    rows = html_tables(rendered_base() / "report.html")["open_loop"]
    mine = [r for r in rows if r["Cell"]["text"] == STD[0]]
    for row, rate in zip(mine, sorted(sc["rates"], key=lambda r: r["target_ops_per_second"])):
        assert row["Response P99.9"]["value"] == rate["response"]["all"]["p999_ns"]
        assert row["Service max"]["value"] == rate["service"]["all"]["max_ns"]
        assert row["Offered load"]["value"] == rate["target_ops_per_second"]


def test_stalls_come_from_the_reference_rate_with_their_causes():
    rows = md_table((rendered_base() / "report.md").read_text(), "Worst stalls (open loop)")
    first = {r["Cell"]: r for r in reversed(rows)}
    assert first[STD[0]]["Cause"] == "rehash_grow"
    assert "→" in first[STD[0]]["Capacity"]          # 2,097,152 → 4,194,304
    assert first[NEVER[0]]["Cause"] == "compaction"
    assert all(r["Offered load"].startswith(f"{REFERENCE_FRACTION:.2f}") for r in rows)
    stall = fixture_cells()[NEVER]["sidecar"]["open_loop"]["rates"][1]["stalls"][0]
    assert first[NEVER[0]]["Ops delayed"] == f"{stall['ops_delayed']:,}"


def test_figures_are_drawn_per_group_and_shown_in_the_section():
    figures = rendered_base() / "figures"
    assert (figures / "open_loop_load_steady_churn_u64_full.png").stat().st_size > 10_000
    assert (figures / "open_loop_rate_steady_churn_u64_full.png").stat().st_size > 10_000
    md = (rendered_base() / "report.md").read_text()
    section = md[md.index("## Open loop"):]
    section = section[:section.index("\n## ", 1)]
    assert "open_loop_load_steady_churn_u64_full.png" in section
    assert "open_loop_rate_steady_churn_u64_full.png" in section
    assert "timer's resolution" in section
    # Not repeated among the per-workload evidence.
    assert md.count("open_loop_load_steady_churn_u64_full.png") == 1


def test_reference_rate_is_the_one_nearest_0_7():
    run = load_run(BASE)
    cells = open_loop_cells(run)
    assert len(cells) == 2
    assert {oc.reference_rate()["fraction"] for oc in cells} == {0.7}


def test_no_open_loop_section_without_open_loop_results(tmp_path):
    doc = fixture_doc()
    for c in doc["cells"]:
        if c.get("sidecar"):
            c["sidecar"]["open_loop"] = None
    (tmp_path / "results.json").write_text(json.dumps(doc))
    proc = run_report(tmp_path, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert "Open loop" not in (tmp_path / "out" / "report.md").read_text()


def test_a_malformed_stall_is_named(tmp_path):
    doc = fixture_doc()
    cell = next(c for c in doc["cells"] if (c["id"], c["size"]) == STD)
    del cell["sidecar"]["open_loop"]["rates"][2]["stalls"][0]["service_ns"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    proc = run_report(tmp_path, "--out", tmp_path / "out")
    assert proc.returncode != 0
    assert str(path) in proc.stderr and "open_loop.rates[2].stalls[0]" in proc.stderr
    assert "service_ns" in proc.stderr and "Traceback" not in proc.stderr


def test_an_open_loop_quantity_reads_the_rate_it_names():
    (cell,) = [c for c in load_run(BASE).cells if (c.id, c.size) == STD]
    rates = {r["fraction"]: r["response"]["all"] for r in cell.section("open_loop")["rates"]}
    assert quantity("open_loop.p999").value(cell) == rates[0.5]["p999_ns"], "the plain name: the first rate"
    for f in (0.5, 0.7, 0.9):
        assert quantity(f"open_loop.p999@{f}").value(cell) == rates[f]["p999_ns"]
        assert quantity(f"open_loop.max@{f}").value(cell) == rates[f]["max_ns"]
    assert quantity("open_loop.p999@0.8").value(cell) is None, "a rate the cell did not run"
    for bad in ("open_loop.p999@fast", "open_loop.p999@-1", "throughput@0.7"):
        with pytest.raises(QuantityError, match=bad):
            quantity(bad)


def test_a_same_round_summary_has_a_block_per_quantity():
    run = load_run(BASE)
    names = ["open_loop.p999@0.5", "open_loop.p999@0.9"]
    lines = rounds.runs_summary_lines({1: run, 2: run}, names, None)
    heads = [i for i, line in enumerate(lines) if line.startswith("open_loop.")]
    assert [lines[i].split()[0] for i in heads] == names
    assert lines[heads[1] - 1] == "", "blocks are apart"
    assert "at 0.9 of throughput" in lines[heads[1]]
