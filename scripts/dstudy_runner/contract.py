"""The result contract's constants, defined once for the Python side.

The runner, the merge, the report loader, the fixtures and the fake bench all
import these; the C++ side defines the same names in bench/ and a test
compares the two (tests/scripts/test_contract.py). The documents' shapes are
the JSON Schemas in docs/schema/ (scripts/dstudy_runner/schema.py validates against
them); docs/result-schema.md says what each field means.
"""
from . import schema

# Each document's schema version, as its schema states it: sidecar.json
# (written by dstudy_bench) and results.json with manifest.json and the
# cells/ records (written by the runner).
SIDECAR_SCHEMA_VERSION = schema.version("sidecar")
RESULTS_SCHEMA_VERSION = schema.version("results")

# update / erase_miss: replayed traces only (docs/traces.md). erase_first /
# erase_next / iterate: the container picks the key (iteration;
# docs/result-schema.md). For iterate, "expected"/"observed" count entries visited.
OP_TYPES = ("insert", "erase", "find_hit", "find_miss", "update", "erase_miss", "erase_first", "erase_next",
            "iterate")
KV_KINDS = ("u64", "inline32", "string", "blob1k")
PHASE_ROLES = ("load", "steady", "drain", "grow", "probe")

# Memory layers, from the container's own view down to the operating system.
LAYERS = ("payload_bytes", "footprint_bytes", "heap_bytes", "allocator_allocated_bytes",
          "allocator_resident_bytes", "rss_bytes")
HEADLINE_LAYER = "heap_bytes"

# Latency percentiles as written in sidecar.latency.per_op.<op>, with the
# fewest samples each needs (10 / (1 - q)); below that the harness writes null.
PERCENTILES = (("p50_ns", "P50", 0.50), ("p90_ns", "P90", 0.90), ("p99_ns", "P99", 0.99),
               ("p999_ns", "P99.9", 0.999))
MIN_SAMPLES = {"p50_ns": 20, "p90_ns": 100, "p99_ns": 1000, "p999_ns": 10000}

# The unit of sidecar.memory.phase_end[].probe_lengths: probes beyond the
# first look a lookup makes (absl's hashtable_debug count: one per further
# group, bucket or slot visited, one per stored key compared that was not it).
PROBE_LENGTH_UNIT = "probes_beyond_first_look"


# A size-sweep point's size name (cell.size, the @ suffix of a cell id):
# "n<N>" is the workload spec's full profile at N live keys (nominal, before
# fill).
def sweep_live(size):
    """N of a sweep point's size name ('n300000' -> 300000); None otherwise."""
    if isinstance(size, str) and size[:1] == "n" and size[1:].isdigit():
        return int(size[1:])
    return None


# Throughput spread (MAD / median, %) at or above which a figure is too noisy.
SPREAD_WARNING_PCT = 5.0
# Two latencies closer than this many timer resolutions are a tie.
LATENCY_TIE_RESOLUTIONS = 2.0

# Open-loop passes (sidecar.open_loop): how arrivals are scheduled, and the
# causes a stall is attributed to when the container's footprint names one.
ARRIVAL_PROCESSES = ("constant", "poisson", "recorded")
STALL_CAUSES = ("rehash_grow", "rehash_shrink", "compaction")

# memory.phase_end[].internals: the container's own view (its footprint()).
INTERNALS_FIELDS = ("bytes", "capacity", "max_load", "tombstones", "compactions", "compaction_ns",
                    "reclaim_pending_bytes", "reclaim_pending_peak_bytes")

# dstudy_bench exit codes.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CHECK = 3
EXIT_ALLOCATOR = 4
# The workload needs iteration the container does not offer: nothing ran and
# nothing failed; the cell's status is "not_applicable".
EXIT_NOT_APPLICABLE = 5

# A cell record's status: ok, failed (with a failure reason), or not
# applicable (dstudy_bench exited EXIT_NOT_APPLICABLE: nothing ran).
NOT_APPLICABLE = "not_applicable"
CELL_STATUSES = ("ok", "failed", NOT_APPLICABLE)

# Optional environment fields (sidecar.environment / manifest.environment)
# that the report reads when present and calls "unknown" when absent: the
# CPU's cache sizes in bytes by level name, e.g. {"L1d": 49152, "L2": 2097152,
# "L3": 33554432}, and whether frequency boost (turbo) is on (true / false).
ENV_CACHE_BYTES = "cache_bytes"
ENV_TURBO = "turbo"
# The only CPU frequency governor under which figures are not distorted by
# frequency scaling.
STEADY_GOVERNOR = "performance"
