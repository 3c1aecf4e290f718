"""Profiles: what a run measures, as a small table.

`allocators` says which allocators a run considers ("default": those marked
default in scripts/allocators.json; "all": every known one). `allocator_panel`
narrows that per implementation: every impl runs under the `base` allocators,
and only the impls matching the `impls` globs run under all of them. An
explicit --allocator overrides the panel (every impl under what was asked).
"""

PROFILES = {
    # The whole matrix at quick size, each workload's first kv kind (--kv
    # widens it), latency of every operation. Each cell runs 3 repetitions,
    # each an independent process inside dstudy_bench, so a cell costs about
    # three times what it did with one; to keep the run near 15 minutes on 2
    # cores, only a panel of implementations runs under every allocator and
    # the rest under the system allocator (glibc) alone. The panel: a few of
    # each design (open addressing with and without tombstones, node-based,
    # sorted array, concurrent). Measured time: see the README.
    "quick": {"size": "quick", "kv_scope": "first", "repetitions": 3, "latency": True,
              "memory_sample_every": None, "allocators": "default",
              "allocator_panel": {"base": ["glibc"],
                                  "impls": ["absl_flat_hash_map", "boost_unordered_flat_map",
                                            "std_unordered_map", "tombstone_never",
                                            "sorted_vector_lazy", "concurrent_map",
                                            "tbb_concurrent_hash_map"]},
              "timeout_s": 300},
    # The study: full size, 5 repetitions (compare.py needs >= 2), every impl
    # under every allocator including the eager-return variants.
    "full": {"size": "full", "kv_scope": "all", "repetitions": 5, "latency": True,
             "memory_sample_every": None, "allocators": "all", "allocator_panel": None,
             "timeout_s": 3600},
}


def settings(profile, repetitions=None, timeout=None, size=None):
    """The profile's settings with the command line's overrides."""
    s = dict(PROFILES[profile])
    if repetitions is not None:
        s["repetitions"] = repetitions
    if timeout is not None:
        s["timeout_s"] = timeout
    if size is not None:
        s["size"] = size
    return s
