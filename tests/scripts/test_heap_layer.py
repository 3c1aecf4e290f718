"""The heap layer (the headline memory layer) sees the C allocation
functions as well as operator new: containers that leak 256 bytes on every
erase through malloc, calloc or a realloc'd buffer show growth in it of the
same order as the allocator's own counter does, under glibc and under the
preloaded jemalloc, mimalloc and tcmalloc, in real cells (steady_churn.fill85,
quick); a map that does not leak shows none. The leaking maps are registered only in
heap_layer_bench (tests/heap_layer/leaking_maps.h)."""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "build" / "release" / "heap_layer_bench"
ALLOCATORS = json.loads((ROOT / "scripts" / "allocators.json").read_text())


def run_cell(tmp_path, impl, allocator):
    if not BENCH.exists():
        pytest.fail(f"{BENCH} is not built (scripts/test.sh builds it before pytest)")
    library = ALLOCATORS[allocator]["library"]
    env = dict(os.environ)
    if library:
        if not Path(library).exists():
            pytest.fail(f"{library} is missing: run scripts/setup.sh")
        env["LD_PRELOAD"] = library
    out = tmp_path / f"{impl}.{allocator}"
    subprocess.run([str(BENCH), "--impl", impl, "--workload", "steady_churn.fill85", "--kv", "u64",
                    "--repetitions", "1", "--no-latency", "--min-time", "0",
                    "--expect-allocator", ALLOCATORS[allocator]["family"], "--out-dir", str(out)],
                   check=True, cwd=ROOT, env=env, capture_output=True, text=True)
    return json.loads((out / "sidecar.json").read_text())["memory"]


def growth_bytes(memory, layer):
    """The layer's change over the steady phase (end minus start)."""
    steady = memory["derived"]["steady_phase"]
    end = next(p for p in memory["phase_end"] if p["phase"] == steady)
    return end["after"][layer] - end["at_begin"][layer]


def steady_phase_end(memory):
    steady = memory["derived"]["steady_phase"]
    return next(p for p in memory["phase_end"] if p["phase"] == steady)


@pytest.mark.parametrize("allocator", ["glibc", "jemalloc", "mimalloc", "tcmalloc"])
@pytest.mark.parametrize("impl", ["malloc_leaking_map", "calloc_leaking_map", "realloc_leaking_map"])
def test_a_leak_through_the_c_functions_shows_in_the_heap_layer(tmp_path, impl, allocator):
    memory = run_cell(tmp_path, impl, allocator)
    heap = memory["derived"]["layers"]["heap_bytes"]["growth_pct"]
    assert heap > 100, f"{impl} under {allocator}: heap layer growth {heap:.1f}%"
    # mimalloc's release build keeps no allocated-bytes counter (null).
    allocated = memory["derived"]["layers"]["allocator_allocated_bytes"]["growth_pct"]
    if allocator != "mimalloc":
        assert 0.5 < heap / allocated < 2, f"heap {heap:.0f}% vs allocator {allocated:.0f}%"
    # Every erase frees one node and leaks 256 bytes (at least: usable size),
    # so the steady phase's growth is close to 256 x its erases.
    pe = steady_phase_end(memory)
    erases = pe["heap_activity"]["deallocations"]
    if impl == "realloc_leaking_map":
        erases //= 2  # each realloc counts a deallocation of the old buffer too
    per_erase = growth_bytes(memory, "heap_bytes") / erases
    assert 256 <= per_erase < 256 * 1.2, f"{per_erase:.0f} bytes per erase"


@pytest.mark.parametrize("allocator", ["glibc", "jemalloc", "mimalloc", "tcmalloc"])
def test_a_map_that_does_not_leak_stays_flat(tmp_path, allocator):
    memory = run_cell(tmp_path, "absl_flat_hash_map", allocator)
    assert abs(memory["derived"]["layers"]["heap_bytes"]["growth_pct"]) < 0.5
