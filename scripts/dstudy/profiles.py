"""Profiles: what a run measures, as a small table."""

PROFILES = {
    # The whole matrix at quick size: every impl x every workload x the four
    # default allocators, each workload's first kv kind (--kv widens it), one
    # repetition, sampled latency pass. About 10 minutes on 2 cores.
    "quick": {"size": "quick", "kv_scope": "first", "repetitions": 1, "latency": True,
              "latency_sample_every": 64, "memory_sample_every": None,
              "allocators": "default", "timeout_s": 300},
    # The study: full size, 5 repetitions (compare.py needs >= 2), latency of
    # every operation, every allocator including the eager-return variants.
    "full": {"size": "full", "kv_scope": "all", "repetitions": 5, "latency": True,
             "latency_sample_every": 1, "memory_sample_every": None,
             "allocators": "all", "timeout_s": 3600},
}


def settings(profile, repetitions=None, timeout=None):
    s = dict(PROFILES[profile])
    if repetitions is not None:
        s["repetitions"] = repetitions
    if timeout is not None:
        s["timeout_s"] = timeout
    return s
