#!/usr/bin/python3
"""Writes a synthetic trace in libCacheSim's oracleGeneral binary format
(packed little-endian records: u32 timestamp in s, u64 obj_id, u32 obj_size,
i64 next_access_vtime), for testing the converter and measuring it at scale
(docs/traces.md, "Scale").

Objects are drawn with a skew (the object at rank r of M is drawn with
probability about proportional to 1/sqrt(r), a rough stand-in for a
cache's popularity skew, cheap to draw in bulk), sizes log-normal around
224 B (the median value of the Twitter clusters, twitter/cache-trace
stat/2020Mar.md), `--rate` requests per second. next_access_vtime is
written as -1 ("no next access"): the converter does not read it, and
computing it would need the whole trace in memory.

    workloads/traces/make_oracle_trace.py --records N --objects M [--seed S] OUT
"""
import argparse

import numpy as np

RECORD = np.dtype([("ts", "<u4"), ("id", "<u8"), ("size", "<u4"), ("next", "<i8")])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--objects", type=int, required=True)
    ap.add_argument("--rate", type=int, default=1000, help="requests per second of trace time")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("out")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    sizes = np.clip(np.exp(rng.normal(np.log(224), 1.0, args.objects)), 1, 1 << 20).astype("<u4")
    chunk = 1 << 22
    with open(args.out, "wb") as out:
        for start in range(0, args.records, chunk):
            n = min(chunk, args.records - start)
            rec = np.empty(n, RECORD)
            rec["ts"] = (np.arange(start, start + n) // args.rate).astype("<u4")
            ranks = np.minimum((args.objects * rng.random(n) ** 2).astype(np.int64), args.objects - 1)
            rec["id"] = (ranks.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) + np.uint64(1)
            rec["size"] = sizes[ranks]
            rec["next"] = -1  # the converter does not read it; computing it needs the whole trace
            rec.tofile(out)


if __name__ == "__main__":
    main()
