"""How a cell process ended: ok, not_applicable (the workload needs
iteration the container does not offer: nothing ran, nothing failed), or a
failure with its reason (crash | timeout | oom | check | allocator_mismatch |
error)."""
import json
import signal
from pathlib import Path

# dstudy_bench's exit codes: EXIT_ERROR an exception while running,
# EXIT_USAGE usage / unknown name / bad spec / unsupported cell, EXIT_CHECK
# the correctness check failed, EXIT_ALLOCATOR the loaded allocator is not
# the one expected.
from . import schema
from .contract import (EXIT_ALLOCATOR, EXIT_CHECK, EXIT_ERROR, EXIT_NOT_APPLICABLE, EXIT_OK, EXIT_USAGE,
                       NOT_APPLICABLE, SIDECAR_SCHEMA_VERSION)

TAIL_LINES = 40
TAIL_CHARS = 4000


def tail(text, lines=TAIL_LINES, chars=TAIL_CHARS):
    out = "\n".join(text.rstrip("\n").splitlines()[-lines:])
    return out[-chars:]


def signal_name(returncode):
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def is_oom(returncode, stderr):
    return (returncode in (-signal.SIGKILL, 128 + signal.SIGKILL)
            or "std::bad_alloc" in stderr or "out of memory" in stderr.lower())


def read_outputs(out_dir):
    """(gbench, sidecar, problem): the cell's two files, parsed, or why not.
    gbench.json is only checked: it stays in the raw folder, unmerged."""
    parsed, problems = [], []
    for name in ("gbench.json", "sidecar.json"):
        p = Path(out_dir) / name
        try:
            parsed.append(json.loads(p.read_text()))
        except FileNotFoundError:
            parsed.append(None)
            problems.append(f"{name} missing")
        except (OSError, ValueError) as e:
            parsed.append(None)
            problems.append(f"{name} unreadable: {e}")
    return parsed[0], parsed[1], "; ".join(problems) or None


def conforming(sidecar):
    """(sidecar, None) when it follows this runner's sidecar schema
    (docs/schema/sidecar.schema.json), else (None, why). A sidecar of
    another version comes from an older (or newer) dstudy_bench whose
    figures mean other things; one that breaks the schema cannot be read.
    Either stays in the raw folder for diagnosis, out of the results."""
    if sidecar is None:
        return None, None
    version = sidecar.get("schema_version") if isinstance(sidecar, dict) else None
    if version != SIDECAR_SCHEMA_VERSION:
        return None, (f"sidecar schema version {version}, this runner expects {SIDECAR_SCHEMA_VERSION} "
                      f"(rebuild dstudy_bench)")
    found = schema.problem(sidecar, "sidecar")
    if found:
        return None, f"sidecar.json breaks docs/schema/sidecar.schema.json at {found[0]}: {found[1]}"
    return sidecar, None


def classify(returncode, timed_out, stderr, out_dir, timeout_s=None):
    """(status, failure, sidecar) for one finished cell process."""
    _, sidecar, problem = read_outputs(out_dir)
    sidecar, unusable = conforming(sidecar)
    failure = {"reason": None, "exit_code": returncode if returncode is None or returncode >= 0 else None,
               "signal": signal_name(returncode), "stderr_tail": tail(stderr)}
    if timed_out:
        failure.update(reason="timeout", exit_code=None, signal="SIGKILL",
                       message=f"killed after {timeout_s} s")
    elif returncode == EXIT_OK:
        if problem:
            failure.update(reason="error", message=f"exit 0 but {problem}")
        elif unusable:
            failure.update(reason="error", message=unusable)
        elif not sidecar["checks"]["ok"]:
            failure.update(reason="check", message="sidecar checks.ok is false")
        else:
            return "ok", None, sidecar
    elif returncode == EXIT_NOT_APPLICABLE:
        return NOT_APPLICABLE, None, None
    elif returncode == EXIT_CHECK:
        failure.update(reason="check", message="correctness check failed")
    elif returncode == EXIT_ALLOCATOR:
        failure.update(reason="allocator_mismatch", message="loaded allocator is not the one expected")
    elif returncode == EXIT_USAGE:
        failure.update(reason="error", message="usage error, unknown name, bad spec or unsupported cell")
    elif is_oom(returncode, stderr):
        failure.update(reason="oom", message="out of memory (SIGKILL or std::bad_alloc)")
    elif returncode == EXIT_ERROR:
        failure.update(reason="error", message="dstudy_bench stopped on an error (exit 1, see stderr)")
    else:
        what = failure["signal"] or f"exit {returncode}"
        failure.update(reason="crash", message=f"crashed ({what})")
    return "failed", failure, sidecar
