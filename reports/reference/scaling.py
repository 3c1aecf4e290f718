"""The thread-scaling table and curve of `performance.sh OUT scaling`.

    /usr/bin/python3 reports/reference/scaling.py OUT/scaling [PNG]

Reads the cells' sidecars (folders named IMPL.tT.ROUND), prints per
implementation and thread count the steady-state Mops/s (median and range
over the rounds), the speed-up over the same implementation at one thread,
concurrent_map's ratio to each peer in the same round, and concurrent_map's
reclamation-lag peak; draws the curve into PNG (default OUT/scaling.png)
when matplotlib is importable.
"""

import collections
import glob
import json
import os
import statistics
import sys


def load(root):
    """(impl, threads, round) -> sidecar, for every cell that finished."""
    cells = {}
    for path in glob.glob(os.path.join(root, "*", "sidecar.json")):
        impl, threads, rnd = os.path.basename(os.path.dirname(path)).rsplit(".", 2)
        cells[(impl, int(threads.lstrip("t")), int(rnd))] = json.load(open(path))
    return cells


def mops(sidecar):
    return sidecar["throughput"]["headline"]["median_ops_per_second"] / 1e6


def lag_peak(sidecar):
    """Largest reclaim_pending_peak_bytes over the phase ends, or None."""
    peaks = [p.get("internals", {}).get("reclaim_pending_peak_bytes")
             for p in sidecar.get("memory", {}).get("phase_end", [])]
    peaks = [p for p in peaks if p is not None]
    return max(peaks) if peaks else None


def main():
    root = sys.argv[1]
    png = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(root.rstrip("/")), "scaling.png")
    cells = load(root)
    if not cells:
        sys.exit(f"scaling.py: no sidecar.json under {root}")
    rate = {key: mops(s) for key, s in cells.items()}
    impls = sorted({i for i, _, _ in rate}, key=lambda i: (i != "concurrent_map", i))
    threads = sorted({t for _, t, _ in rate})
    series = collections.defaultdict(dict)  # impl -> threads -> [Mops/s per round]
    for (impl, t, _), v in sorted(rate.items()):
        series[impl].setdefault(t, []).append(v)

    print(f"{'implementation':<28}" + "".join(f"{f'{t} thr':>22}" for t in threads))
    for impl in impls:
        row = ""
        for t in threads:
            v = series[impl].get(t)
            row += f"{statistics.median(v):8.2f} ({min(v):.1f}-{max(v):.1f})".rjust(22) if v else f"{'-':>22}"
        print(f"{impl:<28}{row}")
    print("\nspeed-up over the same implementation at 1 thread (medians)")
    for impl in impls:
        one = series[impl].get(1)
        if one:
            print(f"{impl:<28}" + "".join(
                f"{statistics.median(series[impl][t]) / statistics.median(one):22.2f}" if t in series[impl]
                else f"{'-':>22}" for t in threads))
    print("\nconcurrent_map / peer, same round (median, range)")
    for peer in impls[1:]:
        row = ""
        for t in threads:
            each = [rate[("concurrent_map", t, r)] / rate[(peer, t, r)]
                    for (i, tt, r) in rate if i == peer and tt == t and ("concurrent_map", t, r) in rate]
            row += (f"{statistics.median(each):.2f}x ({min(each):.2f}-{max(each):.2f})".rjust(22) if each
                    else f"{'-':>22}")
        print(f"{'/ ' + peer:<28}{row}")
    lags = {t: [lag_peak(s) for (i, tt, _), s in cells.items() if i == "concurrent_map" and tt == t] for t in threads}
    print("\nconcurrent_map reclamation lag, peak bytes erased but not yet freed (max over rounds):")
    print("  " + ", ".join(f"{t} thr: {max(v)}" for t, v in lags.items() if v and None not in v))
    busy = sum(bool(s["machine_load"]["competing"]) for s in cells.values())
    print(f"cells measured beside another process: {busy} of {len(cells)}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not importable: no plot drawn")
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for impl in impls:
        ts = sorted(series[impl])
        med = [statistics.median(series[impl][t]) for t in ts]
        lo = [m - min(series[impl][t]) for m, t in zip(med, ts)]
        hi = [max(series[impl][t]) - m for m, t in zip(med, ts)]
        ax.errorbar(ts, med, yerr=[lo, hi], marker="o", capsize=3, label=impl)
    ax.set_xscale("log", base=2)
    ax.set_xticks(threads, [str(t) for t in threads])
    ax.set_xlabel("threads")
    ax.set_ylabel("steady-state Mops/s (median, range over rounds)")
    ax.set_title("concurrent_churn mix at 1M live u64 keys")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print(f"curve: {png}")


if __name__ == "__main__":
    main()
