"""Cell enumeration, filters, sharding, allocator definitions."""
import json

import pytest

from runner_helpers import FAKE_BENCH
from dstudy_runner import allocators, cells
from dstudy_runner.bench import listing as bench_listing


@pytest.fixture(scope="module")
def listing():
    return bench_listing(FAKE_BENCH)


def ids(cs):
    return [c.id for c in cs]


def test_valid_cells_follow_kv_and_thread_rules(listing):
    cs = cells.enumerate_cells(listing, ["glibc"], {})
    got = set(ids(cs))
    assert "alpha/churn/string/glibc" in got            # both support string
    assert "beta/churn/string/glibc" not in got         # beta has no string
    assert "alpha/drain/string/glibc" not in got        # drain lists no string
    assert "alpha/conc/u64/glibc/t2" not in got      # conc needs thread-safe
    assert "gamma_conc/conc/u64/glibc/t2" in got     # /tT suffix when threads > 1
    assert ids(cs) == sorted(got)
    assert len(cs) == 3 + 2 + 4   # alpha: churn u64,str + drain; beta: churn, drain; gamma: 4


def test_every_cell_once_per_allocator(listing):
    one = cells.enumerate_cells(listing, ["glibc"], {})
    two = cells.enumerate_cells(listing, ["glibc", "jemalloc"], {})
    assert len(two) == 2 * len(one)
    assert len(set(ids(two))) == len(two)


def test_glob_comma_and_repeated_filters(listing):
    f = {"impl": cells.split_patterns(["alpha,gam*"]), "kv": cells.split_patterns(["u64"])}
    got = ids(cells.enumerate_cells(listing, ["glibc"], f))
    assert got == ["alpha/churn/u64/glibc", "alpha/drain/u64/glibc", "gamma_conc/churn/u64/glibc",
                   "gamma_conc/conc/u64/glibc/t2", "gamma_conc/drain/u64/glibc"]
    assert cells.split_patterns(["a,b", "c", " d , "]) == ["a", "b", "c", "d"]


def test_pattern_matching_nothing_is_an_error():
    with pytest.raises(cells.FilterError, match="matches no impl"):
        cells.check_patterns("impl", ["std_*"], ["alpha", "beta"])
    cells.check_patterns("impl", ["al*"], ["alpha"])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 16, 40])
def test_shards_cover_every_cell_exactly_once(listing, n):
    all_cells = cells.enumerate_cells(listing, ["glibc", "jemalloc", "mimalloc"], {})
    seen = []
    for k in range(1, n + 1):
        seen.extend(ids(cells.shard(all_cells, k, n)))
    assert sorted(seen) == sorted(ids(all_cells))
    assert len(seen) == len(set(seen))


def test_shard_sizes_are_balanced(listing):
    all_cells = cells.enumerate_cells(listing, ["glibc", "jemalloc"], {})
    sizes = [len(cells.shard(all_cells, k, 4)) for k in range(1, 5)]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("bad", ["0/4", "5/4", "1/0", "x/4", "1-4", "1/2/3"])
def test_bad_shard_spec(bad):
    with pytest.raises(cells.FilterError):
        cells.parse_shard(bad)


def test_shard_spec():
    assert cells.parse_shard("3/16") == (3, 16)


def test_builtin_allocators():
    known = allocators.load()
    assert {"glibc", "jemalloc", "mimalloc", "tcmalloc"} == {n for n, a in known.items() if a.default}
    assert {"jemalloc_eager", "mimalloc_eager", "tcmalloc_eager", "glibc_eager"} <= set(known)
    assert known["glibc"].library is None
    assert known["jemalloc_eager"].env == {"MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}
    assert known["mimalloc_eager"].env == {"MIMALLOC_DECOMMIT_DELAY": "0"}
    assert known["tcmalloc_eager"].env == {"TCMALLOC_AGGRESSIVE_DECOMMIT": "true"}
    for a in known.values():
        assert a.family in allocators.FAMILIES


def test_add_allocator_option():
    a = allocators.parse_add("jemalloc_bg=/opt/je.so,MALLOC_CONF=background_thread:true,dirty_decay_ms:0")
    assert a.library == "/opt/je.so" and a.family == "jemalloc"
    assert a.env == {"MALLOC_CONF": "background_thread:true,dirty_decay_ms:0"}
    b = allocators.parse_add("glibc_arena1=,MALLOC_ARENA_MAX=1")
    assert b.library is None and b.family == "glibc" and b.env == {"MALLOC_ARENA_MAX": "1"}
    c = allocators.parse_add("snmalloc=/opt/libsnmallocshim.so")
    assert c.family is None
    d = allocators.parse_add("mine=/opt/x.so,family=mimalloc")
    assert d.family == "mimalloc" and d.env == {}
    with pytest.raises(allocators.AllocatorError):
        allocators.parse_add("nonsense")
    with pytest.raises(allocators.AllocatorError):
        allocators.parse_add("x=/a.so,family=dlmalloc")


def test_allocators_file_extends_and_overrides(tmp_path):
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"jemalloc": {"library": "/x/je.so", "env": {}},
                             "hoard": {"library": "/x/libhoard.so", "env": {}, "default": False}}))
    known = allocators.load([f])
    assert known["jemalloc"].library == "/x/je.so"
    assert known["hoard"].family is None and not known["hoard"].default
    assert "mimalloc" in known


def test_cell_environment_replaces_inherited_allocator_settings():
    a = allocators.parse_add("jemalloc_x=/x/je.so,MALLOC_CONF=narenas:1")
    env = a.environment({"PATH": "/bin", "LD_PRELOAD": "/evil.so", "MIMALLOC_VERBOSE": "1",
                         "MALLOC_CONF": "old"})
    assert env == {"PATH": "/bin", "LD_PRELOAD": "/x/je.so", "MALLOC_CONF": "narenas:1"}
    assert allocators.load()["glibc"].environment({"LD_PRELOAD": "/x.so", "HOME": "/h"}) == {"HOME": "/h"}
