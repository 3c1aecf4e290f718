"""Profiles: what a run measures, as a small table.

`allocators` says which allocators a run considers ("default": those marked
default in scripts/allocators.json; "all": every known one). `allocator_panel`
narrows that per implementation: every impl runs under the `base` allocators,
and only the impls matching the `impls` globs run under all of them. An
explicit --allocator overrides the panel (every impl under what was asked).

`sections` are extra parts of a run beside the profile's main matrix, each at
a size of its own: the `impls` x `workloads` named (globs) under the
`allocators` named, with the profile's kv scope, repetitions and latency
pass. A section with `instead_of_main` measures its impls in place of the
main matrix, which then leaves them out (while the section is in the plan);
its `why` says why, in the plan and the manifest. The command line's filters narrow a section as they narrow the main
matrix (an --allocator filter too: a section never runs under an allocator
the run did not select). `--size NAME` replaces the whole plan's size and
drops the sections; `--no-large` drops them too.
"""

# The open-addressing hash maps the size questions compare: the study's
# tombstone map (two policies) and the four libraries it is measured
# against, plus std::unordered_map as the node-based baseline.
HASH_MAPS = ["absl_flat_hash_map", "boost_unordered_flat_map", "std_unordered_map",
             "tombstone_never", "tombstone_rehash", "tsl_robin_map", "ska_flat_hash_map"]

# The same workload ranks differently in cache and beyond it, so the answer
# for large tables must be measured, not extrapolated from the in-cache cells
# of the main matrix (size quick: 20k live keys). This section runs the flat
# hash maps on steady churn and miss-after-drain at size full and fill 0.85
# (about 1.5M live keys in 2M-slot tables: 35-60 MB, beyond a 32 MiB L3; the
# fill at which tombstones matter), under one allocator (the system's): 5
# impls x 2 workloads = 10 cells of about 8-20 s each (3 repetitions, every
# op timed). The node-based baseline and the second tombstone policy, the
# slowest cells at this size (std_unordered_map alone took 89 s of the
# section), are left to the size sweep (--profile sweep) and the reference
# study, so that the main command stays within 15 minutes on 2 cores.
LARGE_TABLES = {
    "name": "large",
    "size": "full",
    "allocators": ["glibc"],
    "impls": ["absl_flat_hash_map", "boost_unordered_flat_map", "tombstone_never", "tsl_robin_map",
              "ska_flat_hash_map"],
    "workloads": ["steady_churn.fill85", "miss_after_drain.fill85"],
}

# Containers whose erase moves O(n) elements (sorted arrays: boost's
# flat_map and the sorted vector that erases at once). At a million keys none
# of their cells ends within the full profile's hour (each measured reached
# 1300 s at one repetition, scripts/dstudy_runner/calibration.json): run there, they
# would be 544 failed `timeout` cells, most of the full profile's time, and
# measure nothing. So the full profile measures them at size quick (20k live
# keys, where every one of their cells was measured to end in seconds) with
# every workload, kv kind and allocator, the same repetitions, latency pass
# and checks, and leaves them out of its main matrix (`instead_of_main`). The
# size is in each cell's id (@quick) and record, and the section with its
# `why` in the manifest.
LINEAR_ERASE = {
    "name": "linear_erase",
    "size": "quick",
    "allocators": ["*"],
    "impls": ["boost_flat_map", "sorted_vector_eager"],
    "workloads": ["*"],
    "instead_of_main": True,
    "why": "erase moves O(n) elements: at the main size no cell ends within the timeout, "
           "so these impls are measured at this size instead",
}

# The size axis. A ranking at one size says nothing about another (the order
# of our tombstone map and absl flips between 20k and 1M+ keys), so the sweep
# profile runs the hash maps on steady churn and miss-after-drain at live
# sizes on a log scale from in-cache (10k keys: well under 1 MiB) to beyond
# any last-level cache (3M keys: 60-150 MB). Each point is a size of its own,
# "n<N>" (dstudy_bench: the spec's full profile at N keys; the fill then
# places the live set at 0.85 of the growth point at or above N), and each
# point's cells are a section, ids ending in @n<N>, one process per cell.
# 10M is left out: its 100M-op streams take the 2-core run past an hour.
# Its time: scripts/study plan --profile sweep.
SWEEP = {
    "points": [10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000],
    "allocators": ["glibc"],
    "impls": HASH_MAPS,
    "workloads": ["steady_churn.fill85", "miss_after_drain.fill85"],
}


def sweep_size(n):
    """The size name of a sweep point: 10000 -> 'n10000'."""
    return f"n{int(n)}"


def sweep_sections(sweep, points=None):
    """One section per point of the sweep (or of `points`, when given)."""
    return [{"name": sweep_size(n), "size": sweep_size(n), "allocators": sweep["allocators"],
             "impls": sweep["impls"], "workloads": sweep["workloads"]}
            for n in (points or sweep["points"])]


PROFILES = {
    # The whole matrix at quick size, each workload's first kv kind (--kv
    # widens it), latency of every operation, 3 repetitions (each an
    # independent process inside dstudy_bench), plus the large-table section
    # above. To keep the main command within 15 minutes on 2 cores:
    # - only a panel of implementations runs under every allocator, the rest
    #   under the system allocator (glibc) alone. The panel: a few of each
    #   design (open addressing with and without tombstones, node-based,
    #   concurrent);
    # - the thread-safe maps run only the multi-threaded workloads (their own
    #   question: concurrent churn), not the single-threaded matrix, where they
    #   pay for synchronisation no caller needs;
    # - the drain workloads run at fill 0.85 only (the fill at which
    #   tombstones matter; fill 0.55 keeps its steady churn, miss-after-delete
    #   and reinsert cells).
    # Measured time: see the README.
    "quick": {"size": "quick", "kv_scope": "first", "repetitions": 3, "latency": True,
              "memory_sample_every": None, "allocators": "default",
              "allocator_panel": {"base": ["glibc"],
                                  "impls": ["absl_flat_hash_map", "boost_unordered_flat_map",
                                            "std_unordered_map", "tombstone_never",
                                            "concurrent_map", "tbb_concurrent_hash_map"]},
              "sections": [LARGE_TABLES],
              "thread_safe_multi_threaded_only": True,
              # Left out of the main matrix unless --workload names them:
              # the pathological deletes (erase(begin()) + insert is
              # quadratic: 10-30 s a cell), the 50-turnover drift and the
              # drains at fill 0.55. They have their own steps in the
              # reference study (scripts/study reference).
              "main_skips_workloads": ["erase_*", "iterate_after_drain", "drift", "drain.fill55",
                                       "miss_after_drain.fill55"],
              "timeout_s": 300},
    # The study: full size, 5 repetitions (compare.py needs >= 2), every impl
    # under every allocator including the eager-return variants; the
    # containers with O(n) erase at size quick (LINEAR_ERASE above). The
    # latency pass runs in the first 2 of the 5 repetitions: it times every
    # op of the stream (millions per op type at this size, where P99.9 needs
    # 10,000), serialised by the timer, so it cost half the profile's time;
    # two processes keep a spread per percentile (docs/harness.md, "Latency
    # pass"), the throughput keeps all five.
    "full": {"size": "full", "kv_scope": "all", "repetitions": 5, "latency": True, "latency_repetitions": 2,
             "memory_sample_every": None, "allocators": "all", "allocator_panel": None,
             "sections": [LINEAR_ERASE], "timeout_s": 3600},
    # The size axis (SWEEP above): no main matrix, one section per point;
    # --impl/--workload narrow it, --points replaces the points.
    "sweep": {"size": None, "kv_scope": "first", "repetitions": 3, "latency": True,
              "memory_sample_every": None, "allocators": "default", "allocator_panel": None,
              "sections": [], "sweep": SWEEP, "main_matrix": False, "timeout_s": 1800},
}


class ProfileError(ValueError):
    """Options that do not fit the profile."""


def settings(profile, repetitions=None, timeout=None, size=None, sections=True, points=None, open_loop=None,
             arrivals=None, latency=None, min_time=None):
    """The profile's settings with the command line's overrides. A size given
    on the command line is the whole plan's: no sections then. A sweep
    profile's sections are its points (`points` replaces them); it has no
    main matrix, so a size or --no-large make no sense with it. open_loop:
    fractions of each cell's measured throughput at which every cell also runs
    an open-loop pass (None: only where a section asks for one)."""
    s = dict(PROFILES[profile])
    s["open_loop"] = list(open_loop) if open_loop else None
    s["arrivals"] = arrivals or "constant"
    if min_time is not None:
        if not 0 <= min_time <= 60:
            raise ProfileError(f"--min-time: seconds from 0 to 60, got {min_time:g}")
        s["min_time_s"] = min_time
    if s.get("sweep"):
        if size is not None or not sections:
            raise ProfileError(f"the {profile} profile runs its own sizes (its points); "
                               f"drop --size / --no-large (--points N,N,... picks the points)")
        if points is not None and any(n < 1 for n in points):
            raise ProfileError(f"--points: live sizes must be >= 1, got {points}")
        s["sections"] = sweep_sections(s["sweep"], points)
        s["size"] = s["sections"][0]["size"]  # the run's size: its first point
        return _overrides(s, repetitions, timeout, latency)
    if points is not None:
        raise ProfileError("--points goes with --profile sweep")
    s["sections"] = [dict(x) for x in s.get("sections") or []]
    if size is not None:
        s["size"] = size
        s["sections"] = []
    if not sections:
        s["sections"] = []
    return _overrides(s, repetitions, timeout, latency)


def _overrides(s, repetitions, timeout, latency):
    if repetitions is not None:
        s["repetitions"] = repetitions
    if latency is not None:
        s["latency"] = latency
    if timeout is not None:
        s["timeout_s"] = timeout
    return s
