"""The cost model (scripts/dstudy_runner/cost_model.py): it recovers the structure
of cell times it was fitted on, predicts combinations it never saw from their
parts, and learns from earlier runs."""
import json
import math

import pytest

from dstudy_runner import cost_model, store
from dstudy_runner.cells import Cell
from dstudy_runner.cost_model import Observation

# Synthetic truth: wall = idle + W x (F + r (1 + L x latency)) / (F + 1 + L),
# W = product of per-level factors.
F, L = 2.0, 0.8
IMPL = {"fast": 1.0, "slow": 4.0, "mid": 2.0}
WORKLOAD = {"churn": 10.0, "drain": 3.0, "probe": 6.0}
KV = {"u64": 1.0, "str": 1.5}
ALLOC = {"glibc": 1.0, "jemalloc": 0.8}
IDLE = {"churn": 0.0, "drain": 12.0, "probe": 0.0}
SETTINGS = {"repetitions": 5, "latency": True, "timeout_s": 3600}


def true_wall(impl, workload, kv, alloc, reps, latency, machine_speed=1.0):
    work = IMPL[impl] * WORKLOAD[workload] * KV[kv] * ALLOC[alloc] * machine_speed
    return IDLE[workload] + work * (F + reps * (1 + L * latency)) / (F + 1 + L)


def obs(impl, workload, kv, alloc, reps=1, latency=True, size="full", machine="cpu A",
        started="2026-01-01T00:00:00Z", speed=1.0, wall=None, timed_out=False):
    return Observation(impl, workload, kv, alloc, size, reps, latency,
                       wall if wall is not None else true_wall(impl, workload, kv, alloc, reps, latency, speed),
                       None if timed_out else IDLE[workload], timed_out, machine, started)


def calibration(skip=()):
    out = []
    for impl in IMPL:
        for wl in WORKLOAD:
            for kv in KV:
                for alloc in ALLOC:
                    if (impl, wl, kv, alloc) not in skip:
                        out.append(obs(impl, wl, kv, alloc))
    # the repetition and latency structure: one cell at several settings
    for reps, lat in ((3, True), (5, True), (1, False), (5, False)):
        out.append(obs("fast", "churn", "u64", "glibc", reps, lat))
    return out


def test_shape_is_recovered():
    f, lat = cost_model.fit_shape(calibration())
    assert f == pytest.approx(F, abs=0.05) and lat == pytest.approx(L, abs=0.05)


def test_shape_needs_a_cell_measured_two_ways():
    with pytest.raises(cost_model.CalibrationError, match="two repetition counts"):
        cost_model.fit_shape([obs("fast", "churn", "u64", "glibc")])


def test_an_unmeasured_combination_is_predicted_from_its_parts():
    hidden = ("slow", "probe", "str", "jemalloc")
    model = cost_model.CostModel(calibration(skip={hidden, ("slow", "probe", "str", "glibc")}))
    est = model.estimate(Cell(*hidden), "full", SETTINGS)
    assert est.basis == "model" and est.unknown == ()
    assert est.seconds == pytest.approx(true_wall(*hidden, 5, True), rel=0.02)


def test_a_measured_cell_is_predicted_from_its_own_time():
    # "slow" is 20x slower on drain than its effects say (O(n) erases)
    data = [o if (o.impl, o.workload) != ("slow", "drain") else
            Observation(**dict(zip(Observation.COLUMNS, o.row()), wall_s=o.idle_s + 20 * (o.wall_s - o.idle_s)))
            for o in calibration()]
    model = cost_model.CostModel(data)
    est = model.estimate(Cell("slow", "drain", "u64", "jemalloc"), "full", dict(SETTINGS, repetitions=1))
    assert est.basis == "measured"
    expected = 12.0 + 20 * (true_wall("slow", "drain", "u64", "jemalloc", 1, True) - 12.0)
    assert est.seconds == pytest.approx(expected, rel=0.1)
    # the same impl on another workload is not dragged along much
    other = model.estimate(Cell("slow", "churn", "u64", "glibc"), "full", SETTINGS)
    assert other.seconds < 3 * true_wall("slow", "churn", "u64", "glibc", 5, True)


def test_idle_probes_count_once_whatever_the_repetitions():
    model = cost_model.CostModel(calibration())
    one = model.estimate(Cell("fast", "drain", "u64", "glibc"), "full", dict(SETTINGS, repetitions=1))
    five = model.estimate(Cell("fast", "drain", "u64", "glibc"), "full", SETTINGS)
    assert one.seconds == pytest.approx(true_wall("fast", "drain", "u64", "glibc", 1, True), rel=0.02)
    assert five.seconds == pytest.approx(true_wall("fast", "drain", "u64", "glibc", 5, True), rel=0.02)


def test_a_cell_beyond_the_timeout_counts_as_the_timeout():
    model = cost_model.CostModel(calibration())
    est = model.estimate(Cell("slow", "churn", "str", "glibc"), "full", dict(SETTINGS, timeout_s=30))
    assert est.basis == "timeout" and est.seconds == 30 + cost_model.KILL_S


def test_a_timed_out_observation_is_a_lower_bound():
    data = calibration() + [obs("huge", "churn", "u64", "glibc", wall=1500.0, timed_out=True)]
    model = cost_model.CostModel(data)
    one = model.estimate(Cell("huge", "churn", "u64", "glibc"), "full",
                         dict(SETTINGS, timeout_s=None, repetitions=1))
    assert one.seconds == pytest.approx(1500.0)
    # >= 1500 s at one repetition is >= 1500 x shape(5) / shape(1) = 4342 s at five
    est = model.estimate(Cell("huge", "churn", "u64", "glibc"), "full", SETTINGS)
    assert est.basis == "timeout"


def test_unknown_levels_and_sizes_are_said():
    model = cost_model.CostModel(calibration())
    est = model.estimate(Cell("newcomer", "churn", "u64", "glibc"), "full", SETTINGS)
    assert est.unknown == ("impl",) and est.seconds > 0
    est = model.estimate(Cell("fast", "churn", "u64", "glibc"), "medium", SETTINGS)
    assert est.seconds is None and est.basis == "none"


def test_predictions_are_for_the_newest_machine():
    # an earlier run on a machine twice as slow, newer than the calibration
    later = [obs(i, "churn", "u64", "glibc", machine="cpu B", started="2026-06-01T00:00:00Z", speed=2.0)
             for i in ("fast", "mid")]
    model = cost_model.CostModel(calibration() + later, machine=cost_model.newest_machine(later))
    assert model.machine == "cpu B"
    est = model.estimate(Cell("slow", "drain", "str", "jemalloc"), "full", SETTINGS)
    assert est.seconds == pytest.approx(true_wall("slow", "drain", "str", "jemalloc", 5, True, 2.0), rel=0.05)


def test_idle_seconds_are_the_last_probe_of_each_phase():
    side = {"memory": {"phase_end": [
        {"after_idle": []},
        {"after_idle": [{"seconds": 0.1}, {"seconds": 1.0}, {"seconds": 12.0}]},
        {"after_idle": [{"seconds": 0.1}, {"seconds": 12.0}]}]}}
    assert cost_model.idle_seconds(side) == 24.0
    assert cost_model.idle_seconds(None) == 0.0


def _run_folder(path, records, settings, started="2026-01-01T00:00:00Z", finished="2026-01-01T00:01:40Z"):
    store.write_json(path / store.MANIFEST, {"settings": settings, "started": started, "finished": finished,
                                             "environment": {"cpu_model": "cpu R"}})
    for r in records:
        store.write_cell(path, r)


def _record(impl, status="ok", reason=None, duration=10.0):
    return {"id": f"{impl}/churn/u64/glibc", "impl": impl, "workload": "churn", "kv": "u64",
            "allocator": "glibc", "size": "full", "status": status, "duration_s": duration,
            "started": "2026-01-01T00:00:00Z",
            "failure": {"reason": reason} if reason else None,
            "sidecar": {"environment": {"cpu_model": "cpu R"},
                        "memory": {"phase_end": [{"after_idle": [{"seconds": 1.0}]}]}}
            if status == "ok" else None}


def test_run_observations_keep_ok_and_timed_out_cells(tmp_path):
    _run_folder(tmp_path, [_record("a"), _record("b", "failed", "timeout", 300.0),
                           _record("c", "failed", "crash", 0.1)], {"repetitions": 3, "latency": True})
    got, timing = cost_model.run_observations(tmp_path)
    by = {o.impl: o for o in got}
    assert set(by) == {"a", "b"}  # a crash's time says nothing about the cell
    assert by["a"].idle_s == 1.0 and by["a"].reps == 3 and by["a"].machine == "cpu R"
    assert by["b"].timed_out and by["b"].idle_s is None and by["b"].machine == "cpu R"
    assert timing == {"cells": 3, "wall_s": 100.0, "cells_s": 310.1}


def test_calibration_file_round_trips(tmp_path):
    _run_folder(tmp_path / "r1", [_record("a"), _record("b")], {"repetitions": 1, "latency": True})
    path = tmp_path / "cal.json"
    data = cost_model.write_calibration(path, [tmp_path / "r1"], "made by a test")
    assert json.loads(path.read_text())["about"] == "made by a test"
    back, _ = cost_model.read_calibration(path)
    assert [o.row() for o in back] == data["cells"] and len(back) == 2


def test_history_skips_merged_folders_and_the_latest_link(tmp_path):
    _run_folder(tmp_path / "r1", [_record("a")], {"repetitions": 1, "latency": True})
    # a batch run's shard, one level down
    _run_folder(tmp_path / "batch" / "shard-1-of-2", [_record("b")], {"repetitions": 1, "latency": True})
    merged = tmp_path / "merged"
    _run_folder(merged, [_record("a")], {"repetitions": 1, "latency": True})
    m = store.read_json(merged / store.MANIFEST)
    store.write_json(merged / store.MANIFEST, dict(m, merged_from=[]))
    (tmp_path / "latest").symlink_to("r1")
    got, runs = cost_model.history(tmp_path)
    assert sorted(o.impl for o in got) == ["a", "b"] and runs == 2


def test_load_bad_calibration_says_which_file(tmp_path):
    bad = tmp_path / "cal.json"
    bad.write_text("{not json")
    with pytest.raises(cost_model.CalibrationError, match=str(bad)):
        cost_model.load(None, bad)


def test_committed_calibration_loads_and_covers_the_profiles():
    """The committed file fits, and covers every size the profiles run at."""
    model, sources = cost_model.load(None)
    assert {"quick", "full"} <= set(model.sizes) and "calibration cells" in sources
    assert model.F >= 0 and model.L >= 0 and all(math.isfinite(v) for v in (model.F, model.L))


def test_an_impl_that_always_timed_out_is_expected_to_time_out_everywhere():
    """A bound on one workload says little about another (the factor of a
    light workload would bring it under the timeout); an impl of which no
    cell ever ended is counted at the timeout in every cell."""
    data = calibration() + [obs("quadratic", "churn", "u64", "glibc", wall=1300.0, timed_out=True)]
    model = cost_model.CostModel(data)
    est = model.estimate(Cell("quadratic", "drain", "str", "jemalloc"), "full", SETTINGS)
    assert est.basis == "timeout" and est.seconds == 3600 + cost_model.KILL_S
    # once one of its cells ends, it is an impl like another
    model = cost_model.CostModel(data + [obs("quadratic", "drain", "u64", "glibc", wall=100.0)])
    assert model.estimate(Cell("quadratic", "drain", "u64", "glibc"), "full", SETTINGS).basis == "measured"


def test_an_estimate_says_where_its_time_goes():
    """fixed part + passes + latency passes + idle = the estimate, in the
    shape's proportions; a cell at the timeout is all timeout."""
    model = cost_model.CostModel(calibration())
    est = model.estimate(Cell("slow", "drain", "str", "jemalloc"), "full", SETTINGS)
    assert set(est.parts) == {"fixed", "passes", "latency", "idle"}
    assert sum(est.parts.values()) == pytest.approx(est.seconds)
    assert est.parts["idle"] == pytest.approx(IDLE["drain"])
    reps = SETTINGS["repetitions"]
    assert est.parts["fixed"] / est.parts["passes"] == pytest.approx(F / reps, rel=0.05)
    assert est.parts["latency"] / est.parts["passes"] == pytest.approx(L, rel=0.05)
    quiet = model.estimate(Cell("slow", "drain", "str", "jemalloc"), "full", dict(SETTINGS, latency=False))
    assert quiet.parts["latency"] == 0
    capped = model.estimate(Cell("slow", "churn", "str", "glibc"), "full", dict(SETTINGS, timeout_s=1))
    assert capped.parts == {"timeout": capped.seconds}


def test_latency_passes_count_only_in_the_repetitions_that_run_them():
    """latency_repetitions 2 of 5: two latency passes, five repetitions'
    passes, the same fixed part; more than the repetitions counts as every
    one."""
    model = cost_model.CostModel(calibration())
    cell = Cell("slow", "drain", "str", "jemalloc")
    every = model.estimate(cell, "full", SETTINGS)
    two = model.estimate(cell, "full", dict(SETTINGS, latency_repetitions=2))
    assert two.parts["latency"] == pytest.approx(every.parts["latency"] * 2 / 5)
    assert two.parts["passes"] == pytest.approx(every.parts["passes"])
    assert two.parts["fixed"] == pytest.approx(every.parts["fixed"])
    assert two.seconds < every.seconds
    many = model.estimate(cell, "full", dict(SETTINGS, latency_repetitions=9))
    assert many.seconds == pytest.approx(every.seconds)
    assert cost_model.latency_repetitions(5, False, 2) == 0


def test_observations_of_runs_with_fewer_latency_passes_fit_the_same_shape():
    """Cells measured with the latency pass in some repetitions only are
    read with that count (from the run's settings) and recover F and L."""
    data = calibration()
    for reps, timed in ((5, 1), (5, 2), (3, 2)):
        wall = IDLE["churn"] + IMPL["fast"] * WORKLOAD["churn"] * (F + reps + L * timed) / (F + 1 + L)
        data.append(Observation("fast", "churn", "u64", "glibc", "full", reps, True, wall, 0.0, False, "cpu A",
                                "2026-01-01T00:00:00Z", latency_reps=timed))
    f, lat = cost_model.fit_shape(data)
    assert f == pytest.approx(F, abs=0.05) and lat == pytest.approx(L, abs=0.05)
    assert data[-1].timed_reps == 2 and data[0].timed_reps == data[0].reps


def test_a_run_with_latency_repetitions_gives_observations_that_say_so():
    record = {"impl": "fast", "workload": "churn", "kv": "u64", "allocator": "glibc", "size": "full",
              "status": "ok", "duration_s": 10.0, "started": "2026-01-01T00:00:00Z"}
    o = cost_model.observation(record, {"repetitions": 5, "latency": True, "latency_repetitions": 2})
    assert o.latency_reps == 2 and o.timed_reps == 2
    o = cost_model.observation(record, {"repetitions": 5, "latency": True})
    assert o.latency_reps == 5


def test_the_time_plan_prints_its_breakdown():
    from types import SimpleNamespace
    from dstudy_runner import timeplan
    model = cost_model.CostModel(calibration(), overhead_s=0.5)
    cells = [Cell("slow", "drain", "u64", "glibc"), Cell("fast", "churn", "u64", "glibc")]
    plan = SimpleNamespace(cells=cells, settings=SETTINGS, size_of=lambda c: "full",
                           sections=[{"name": "small", "size": "quick", "cells": 1, "why": "because"}])
    tp = timeplan.make(plan, model)
    parts = dict(tp.breakdown())
    assert parts["runner"] == pytest.approx(1.0)
    assert sum(parts.values()) == pytest.approx(tp.total_s)
    text = "\n".join(timeplan.lines(tp, 3600))
    assert "where the time goes: repetitions' latency passes" not in text or parts["latency"] == max(parts.values())
    assert "idle probes' sleep 12 s" in text
    assert "section small at size quick (1 cells): because" in text


def test_the_shape_comes_from_times_taken_in_one_session():
    """Hours apart the machine's load differs: a cell measured at one
    repetition on a busy afternoon and at five on a quiet night says nothing
    about what repetitions cost."""
    data = calibration()
    # the same cell at one repetition, three hours later and twice as slow
    data.append(obs("fast", "churn", "u64", "glibc", 1, True, started="2026-01-01T03:00:00Z",
                    wall=2 * true_wall("fast", "churn", "u64", "glibc", 1, True)))
    f, lat = cost_model.fit_shape(data)
    assert f == pytest.approx(F, abs=0.05) and lat == pytest.approx(L, abs=0.05)
    assert [len(s) for s in cost_model.sessions([o for o in data if (o.impl, o.workload, o.kv, o.allocator)
                                                 == ("fast", "churn", "u64", "glibc")])] == [5, 1]


def test_the_load_a_cell_ran_beside_is_taken_out():
    """On a shared machine a cell beside other processes takes longer: the
    model fits the load's effect and predicts for a quiet machine."""
    data = []
    for i, o in enumerate(calibration()):
        # one session (the shape's cell at five settings) shares one load
        load = 2.0 if (o.impl, o.workload, o.kv, o.allocator) == ("fast", "churn", "u64", "glibc") \
            else (0.0, 0.5, 2.0, 7.0)[i % 4]
        data.append(Observation(**dict(zip(Observation.COLUMNS, o.row()), load=load,
                                       wall_s=o.idle_s + (o.wall_s - o.idle_s) * (1 + load) ** 0.7)))
    model = cost_model.CostModel(data)
    est = model.estimate(Cell("mid", "probe", "str", "glibc"), "full", SETTINGS)
    assert est.seconds == pytest.approx(true_wall("mid", "probe", "str", "glibc", 5, True), rel=0.02)
    assert model.slowdown("full", 3.0) == pytest.approx(4 ** 0.7, rel=0.02)


def test_others_load_is_per_core_and_leaves_the_cell_out():
    assert cost_model.others_load({"loadavg_1m": 5.0, "cores": 2, "cell_threads": 1}) == 2.0
    assert cost_model.others_load({"loadavg_1m": 0.5, "cores": 2, "cell_threads": 1}) == 0.0
    assert cost_model.others_load({"cores": 2}) is None and cost_model.others_load(None) is None
