"""The verdict per workload (verdicts.py): the library to adopt first (or
the libraries the fastest does not beat beyond noise), the study's own
container beside it when it leads alone, what to avoid and by how much,
memory in a clause; at most ~40 words, above the recommendations."""
import sys

import pytest

from report_helpers import BASE, FIXTURES, md_table, rendered_base, write_doc

from dstudy_report.load import load_run
from dstudy_report.metrics import MEMORY_PEAK
from dstudy_report.objectives import default_objectives
from dstudy_report.recommendations import answer
from dstudy_report.verdicts import verdict

sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402

MAX_WORDS = 40


def _verdicts(run):
    return {(a.size, a.workload, a.kv): verdict(run, a) for a in answer(run, default_objectives())}


def test_the_study_container_leading_alone_is_said_beside_the_library():
    v = _verdicts(load_run(BASE))[("quick", "steady_churn", "u64")]
    assert v.startswith("library: std_unordered_map; the study's own tombstone_never is 2.21x faster, "
                        "no library ties it; avoid sorted_vector_lazy (3.4x slower); memory: ")


def _tied_libraries_run(tmp_path):
    """absl and boost overlap (a tie), tombstone_rehash (the study's) ties
    them too, std_map is 5x slower."""
    impls = ["absl_flat_hash_map", "boost_unordered_flat_map", "tombstone_rehash", "std_map"]
    doc = make_fixtures.synthetic_run(impls, ["steady_churn"], ["glibc"])
    planted = {"absl_flat_hash_map": [100e6, 102e6, 104e6], "boost_unordered_flat_map": [99e6, 101e6, 103e6],
               "tombstone_rehash": [98e6, 101.5e6, 102.5e6], "std_map": [20e6, 20.4e6, 20.8e6]}
    for c in doc["cells"]:
        make_fixtures.set_headline(c["sidecar"]["throughput"], planted[c["impl"]])
    return load_run(write_doc(doc, tmp_path))


def test_libraries_the_fastest_does_not_beat_are_named_together(tmp_path):
    run = _tied_libraries_run(tmp_path)
    v = _verdicts(run)[("quick", "steady_churn", "u64")]
    assert v.startswith("any of absl_flat_hash_map or boost_unordered_flat_map (within 1%); "
                        "avoid std_map (5.0x slower)"), v
    assert "tombstone_rehash" not in v      # it ties the libraries: it does not change the answer
    # memory: absl (one of the choices) holds the least; boost's peak against it
    peaks = {c.impl: MEMORY_PEAK.value(c) for c in run.cells}
    assert min(peaks, key=peaks.get) == "absl_flat_hash_map"
    factor = peaks["boost_unordered_flat_map"] / peaks["absl_flat_hash_map"]
    assert v.endswith(f"; memory: absl_flat_hash_map the least, the others up to {factor:.1f}x its peak."), v


@pytest.mark.parametrize("shape", ["fixture", "many containers"])
def test_every_verdict_is_one_short_sentence(shape, tmp_path):
    if shape == "fixture":
        run = load_run(BASE)
    else:
        impls = [f"peer_map_{k}" for k in range(20)] + ["tombstone_never", "sorted_vector_lazy"]
        run = load_run(write_doc(make_fixtures.synthetic_run(impls, ["steady_churn", "drain"], ["glibc", "jemalloc"]),
                                 tmp_path))
    for v in _verdicts(run).values():
        assert v.endswith(".")
        assert len(v.split()) <= MAX_WORDS, v


def test_the_verdicts_open_the_page():
    md = (rendered_base() / "report.md").read_text()
    rows = md_table(md, "At a glance, size quick")
    assert [(r["Workload"], r["KV"]) for r in rows] == [("steady_churn", "u64"), ("steady_churn", "string"),
                                                        ("drain", "u64")]
    assert md.index("### At a glance, size quick") < md.index("### Recommendations, size quick")


def test_a_latency_from_fewer_repetitions_than_the_throughput_says_so():
    """--latency-repetitions 2 of 5: the latency's spread names it."""
    from dstudy_report.metrics import TAIL_P99

    class Cell:
        dominant_op = "erase"
        headline = type("S", (), {"samples": 5})()

        def count(self, op):
            return 20000

        def percentile_by_repetition(self, op, key):
            return [180.0, 190.0]

        def section(self, name):
            return {"repetitions": 2} if name == "latency" else {}
    assert "latency pass in 2 of 5 repetitions" in TAIL_P99.spread_text(Cell())
    Cell.headline.samples = 2
    assert "latency pass in" not in TAIL_P99.spread_text(Cell())
