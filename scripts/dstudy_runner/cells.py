"""Cells: impl x workload x kv x allocator (x size), enumerated from
dstudy_bench's listing, narrowed by glob filters and split into shards."""
import fnmatch
from dataclasses import dataclass

DIMENSIONS = ("impl", "workload", "kv", "allocator")


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Cell:
    impl: str
    workload: str
    kv: str
    allocator: str
    threads: int = 1
    # None: the run's main size. A cell of a section at another size carries
    # it, and its id ends in @SIZE, so cells of two sizes share a run folder.
    size: str | None = None

    @property
    def id(self):
        base = f"{self.impl}/{self.workload}/{self.kv}/{self.allocator}"
        base += f"/t{self.threads}" if self.threads > 1 else ""
        return base + (f"@{self.size}" if self.size else "")

    @property
    def file_stem(self):
        return self.id.replace("/", "__")


def split_patterns(values):
    """['a,b', 'c'] -> ['a', 'b', 'c'] (comma-separated or repeated options)."""
    out = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def matches(name, patterns):
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def check_patterns(dimension, patterns, names):
    """Every pattern must match at least one known name."""
    for p in patterns:
        if not any(fnmatch.fnmatchcase(n, p) for n in names):
            known = ", ".join(sorted(names)) or "(none)"
            raise FilterError(f"--{dimension} '{p}' matches no {dimension}; known: {known}")


def valid_pairs(listing, first_kv_only=False):
    """(impl, workload, kv, threads) for every valid combination; with
    first_kv_only, only the first kv kind each workload lists."""
    for impl in listing["impls"]:
        for wl in listing["workloads"]:
            threads = int(wl.get("threads", 1) or 1)
            if threads > 1 and not impl.get("thread_safe", False):
                continue
            for kv in wl["kv"][:1] if first_kv_only else wl["kv"]:
                if kv in impl["kv"]:
                    yield impl["name"], wl["name"], kv, threads


def enumerate_cells(listing, allocator_names, filters, first_kv_only=False, size=None):
    """All valid cells passing the filters, sorted by id. filters maps a
    dimension to its pattern list (the allocator dimension is applied by the
    caller choosing allocator_names); size is None for the run's main size."""
    cells = []
    for impl, wl, kv, threads in valid_pairs(listing, first_kv_only):
        if not (matches(impl, filters.get("impl")) and matches(wl, filters.get("workload"))
                and matches(kv, filters.get("kv"))):
            continue
        cells.extend(Cell(impl, wl, kv, a, threads, size) for a in allocator_names)
    return sorted(cells, key=lambda c: c.id)


def parse_shard(text):
    """'k/n' -> (k, n) with 1 <= k <= n."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise FilterError(f"--shard '{text}': expected k/n, e.g. 3/16") from None
    if n < 1 or not 1 <= k <= n:
        raise FilterError(f"--shard '{text}': need 1 <= k <= n")
    return k, n


def shard(cells, k, n):
    """Every n-th cell of the sorted list, starting at the k-th (1-based)."""
    return sorted(cells, key=lambda c: c.id)[k - 1::n]
