#!/usr/bin/python3
"""Writes sample_trace.csv: a small synthetic trace in twitter/cache-trace's
exact column layout (timestamp, anonymized key, key size, value size, client
id, operation, TTL), imitating one TTL-heavy, write-heavy Twemcache cluster.

What it imitates, and where each figure comes from:
  - Yang, Yue, Rashmi, "A large scale analysis of hundreds of in-memory cache
    clusters at Twitter", OSDI 2020: more than 35% of the 153 clusters are
    write-heavy (over 30% writes); TTLs are short in many clusters; object
    popularity is Zipfian, with smaller exponents in write-heavy clusters.
  - The per-cluster statistics published with the traces
    (github.com/twitter/cache-trace, stat/2020Mar.md): a median key of about
    36 bytes and a median value of about 224 bytes; explicit deletes are rare
    (present in 2 of 53 clusters), so expiry is how keys leave; a TTL of
    300 s is common among write-heavy clusters (cluster12: mostly sets, TTL
    300 s).
So: 65% get, 30% set (a few as add/cas), 3% gets, 2% delete (kept small, as
in the few clusters that delete); Zipf(0.9) popularity over 5,000 keys; key
sizes around 36 B; log-normal values with a 224 B median; 85% of sets with a
300 s TTL, 15% with 1 h; about 17 requests/s over 20 minutes, so keys do
expire within the trace.

Deterministic: the same seed writes the same file.
    workloads/traces/make_sample_trace.py [--requests N] [--seed S] [--out FILE]
"""
import argparse
import base64
import bisect
import hashlib
import math
import random
from pathlib import Path

OPS = (("get", 0.65), ("set", 0.27), ("add", 0.02), ("cas", 0.01), ("gets", 0.03), ("delete", 0.02))
TTLS_S = ((300, 0.85), (3600, 0.15))
ZIPF_ALPHA = 0.9
KEYS = 5000
DURATION_S = 1200
CLIENTS = 40


def weighted(rng, table):
    x, acc = rng.random(), 0.0
    for value, w in table:
        acc += w
        if x < acc:
            return value
    return table[-1][0]


class Zipf:
    """Rank r (0-based) with weight 1/(r+1)^alpha, by inverse CDF."""

    def __init__(self, n, alpha):
        acc, self.cdf = 0.0, []
        for r in range(n):
            acc += 1.0 / (r + 1) ** alpha
            self.cdf.append(acc)
        self.total = acc

    def draw(self, rng):
        return bisect.bisect_left(self.cdf, rng.random() * self.total)


def anonymized_key(rank, size):
    """A key of `size` characters, as the public traces anonymize them."""
    digest = hashlib.sha256(f"sample-{rank}".encode()).digest() * 4
    return base64.b32encode(digest).decode().rstrip("=")[:size]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=20201104)
    ap.add_argument("--out", default=str(Path(__file__).with_name("sample_trace.csv")))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    zipf = Zipf(KEYS, ZIPF_ALPHA)
    # Each key keeps its size and value size, as an object in a cache does.
    key_size = [max(8, min(80, round(rng.gauss(36, 10)))) for _ in range(KEYS)]
    value_size = [max(1, min(100_000, round(math.exp(rng.gauss(math.log(224), 1.0))))) for _ in range(KEYS)]
    with open(args.out, "w") as out:
        for i in range(args.requests):
            t = i * DURATION_S // args.requests
            rank = zipf.draw(rng)
            op = weighted(rng, OPS)
            ttl = weighted(rng, TTLS_S) if op in ("set", "add", "cas") else 0
            out.write(f"{t},{anonymized_key(rank, key_size[rank])},{key_size[rank]},{value_size[rank]},"
                      f"{rng.randrange(CLIENTS)},{op},{ttl}\n")


if __name__ == "__main__":
    main()
