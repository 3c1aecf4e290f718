"""Profiles: what a run measures, as a small table.

`allocators` says which allocators a run considers ("default": those marked
default in scripts/allocators.json; "all": every known one). `allocator_panel`
narrows that per implementation: every impl runs under the `base` allocators,
and only the impls matching the `impls` globs run under all of them. An
explicit --allocator overrides the panel (every impl under what was asked).

`sections` are extra parts of a run beside the profile's main matrix, each at
a size of its own: the `impls` x `workloads` named (globs) under the
`allocators` named, with the profile's kv scope, repetitions and latency
pass. The command line's filters narrow a section as they narrow the main
matrix (an --allocator filter too: a section never runs under an allocator
the run did not select). `--size NAME` replaces the whole plan's size and
drops the sections; `--no-large` drops them too.
"""

# The same workload ranks differently in cache and beyond it, so the answer
# for large tables must be measured, not extrapolated from the in-cache cells
# of the main matrix (size quick: 20k live keys). This section runs the hash
# maps on steady churn and miss-after-drain at size full and fill 0.85 (about
# 1.5M live keys in 2M-slot tables: 35-60 MB, beyond the 32 MiB L3 of the
# machine the study was developed on; the fill at which tombstones matter),
# under one allocator (the system's). 7 impls x 2 workloads = 14 cells of
# about 16 s each (3 repetitions, every op timed): ~4 minutes.
LARGE_TABLES = {
    "name": "large",
    "size": "full",
    "allocators": ["glibc"],
    "impls": ["absl_flat_hash_map", "boost_unordered_flat_map", "std_unordered_map",
              "tombstone_never", "tombstone_rehash", "tsl_robin_map", "ska_flat_hash_map"],
    "workloads": ["steady_churn.fill85", "miss_after_drain.fill85"],
}

PROFILES = {
    # The whole matrix at quick size, each workload's first kv kind (--kv
    # widens it), latency of every operation. Each cell runs 3 repetitions,
    # each an independent process inside dstudy_bench, so a cell costs about
    # three times what it did with one; to keep the run near 15 minutes on 2
    # cores, only a panel of implementations runs under every allocator and
    # the rest under the system allocator (glibc) alone. The panel: a few of
    # each design (open addressing with and without tombstones, node-based,
    # sorted array, concurrent). Plus the large-table section above.
    # Measured time: see the README.
    "quick": {"size": "quick", "kv_scope": "first", "repetitions": 3, "latency": True,
              "memory_sample_every": None, "allocators": "default",
              "allocator_panel": {"base": ["glibc"],
                                  "impls": ["absl_flat_hash_map", "boost_unordered_flat_map",
                                            "std_unordered_map", "tombstone_never",
                                            "sorted_vector_lazy", "concurrent_map",
                                            "tbb_concurrent_hash_map"]},
              "sections": [LARGE_TABLES],
              "timeout_s": 300},
    # The study: full size, 5 repetitions (compare.py needs >= 2), every impl
    # under every allocator including the eager-return variants.
    "full": {"size": "full", "kv_scope": "all", "repetitions": 5, "latency": True,
             "memory_sample_every": None, "allocators": "all", "allocator_panel": None,
             "sections": [], "timeout_s": 3600},
}


def settings(profile, repetitions=None, timeout=None, size=None, sections=True, latency=None):
    """The profile's settings with the command line's overrides. A size given
    on the command line is the whole plan's: no sections then."""
    s = dict(PROFILES[profile])
    s["sections"] = [dict(x) for x in s.get("sections") or []]
    if repetitions is not None:
        s["repetitions"] = repetitions
    if latency is not None:
        s["latency"] = latency
    if timeout is not None:
        s["timeout_s"] = timeout
    if size is not None:
        s["size"] = size
        s["sections"] = []
    if not sections:
        s["sections"] = []
    return s
