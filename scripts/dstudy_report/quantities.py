"""The quantities a finding or a same-round ratio may name: every report
metric (metrics.METRICS: throughput, latency percentiles, memory) and the
figures only focused runs read: the harness's own cost per op and the open
loop's response-time tail. Each is a metrics.Metric, so the report's rules
(tie floor, spread, Mann-Whitney) apply to all of them alike."""
import math

from .metrics import METRICS, Metric, fmt_ns


def _open_loop_response(key, fraction=None):
    """The response figure of the cell's first open-loop rate, or of the
    rate at `fraction` of its throughput."""
    def read(c):
        rates = (c.section("open_loop") or {}).get("rates") or []
        if fraction is not None:
            rates = [r for r in rates if r.get("fraction") is not None and math.isclose(r["fraction"], fraction)]
        resp = ((rates[0].get("response") or {}).get("all") or {}) if rates else {}
        return resp.get(key)
    return read


def _harness_overhead(c):
    return c.section("throughput").get("harness_overhead_ns_per_op")


def _one_measurement(key, label, read):
    # One value per cell (no per-repetition samples): the spread comes from
    # rounds (rounds.py), not from the cell.
    return Metric(key, label, read, False, fmt_ns, samples=None,
                  floor=lambda a, b: 0.0)


EXTRA = {m.key: m for m in [
    _one_measurement("open_loop.p999", "open-loop response P99.9 (all ops)", _open_loop_response("p999_ns")),
    _one_measurement("open_loop.max", "open-loop response max (all ops)", _open_loop_response("max_ns")),
    _one_measurement("harness_overhead", "harness cost per op (NullContainer)", _harness_overhead),
]}
QUANTITIES = {**METRICS, **EXTRA}


class QuantityError(ValueError):
    pass


# The open-loop figures at one of the cell's rates: "open_loop.p999@0.7" is
# the response P99.9 at 0.7 of the cell's throughput (the plain name reads
# the first rate the cell ran).
AT_RATE = {"open_loop.p999": "p999_ns", "open_loop.max": "max_ns"}


def quantity(name):
    base, at, fraction = str(name).partition("@")
    if at and base in AT_RATE:
        try:
            f = float(fraction)
        except ValueError:
            f = 0.0
        if f > 0:
            return _one_measurement(name, f"{QUANTITIES[base].label} at {f:g} of throughput",
                                    _open_loop_response(AT_RATE[base], f))
        raise QuantityError(f"quantity '{name}': expected a positive fraction after '@' (e.g. {base}@0.7)")
    try:
        return QUANTITIES[name]
    except KeyError:
        raise QuantityError(f"unknown quantity '{name}' (known: {', '.join(sorted(QUANTITIES))}; "
                            f"{', '.join(sorted(AT_RATE))} also take @FRACTION)") from None
