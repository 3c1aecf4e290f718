"""How a cell process ended: ok, or a failure with its reason
(crash | timeout | oom | check | allocator_mismatch | error)."""
import json
import signal
from pathlib import Path

EXIT_USAGE = 2      # dstudy_bench: usage, unknown name, bad spec, unsupported
EXIT_CHECK = 3      # correctness check failed
EXIT_ALLOCATOR = 4  # the loaded allocator is not the one expected

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
    """(gbench, sidecar, problem): the cell's two files, parsed, or why not."""
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


def classify(returncode, timed_out, stderr, out_dir, timeout_s=None):
    """(status, failure, gbench, sidecar) for one finished cell process."""
    gbench, sidecar, problem = read_outputs(out_dir)
    failure = {"reason": None, "exit_code": returncode if returncode is None or returncode >= 0 else None,
               "signal": signal_name(returncode), "stderr_tail": tail(stderr)}
    if timed_out:
        failure.update(reason="timeout", exit_code=None, signal="SIGKILL",
                       message=f"killed after {timeout_s} s")
    elif returncode == 0:
        checks = (sidecar or {}).get("checks") if isinstance(sidecar, dict) else None
        if problem:
            failure.update(reason="error", message=f"exit 0 but {problem}")
        elif isinstance(checks, dict) and checks.get("ok") is False:
            failure.update(reason="check", message="sidecar checks.ok is false")
        else:
            return "ok", None, gbench, sidecar
    elif returncode == EXIT_CHECK:
        failure.update(reason="check", message="correctness check failed")
    elif returncode == EXIT_ALLOCATOR:
        failure.update(reason="allocator_mismatch", message="loaded allocator is not the one expected")
    elif returncode == EXIT_USAGE:
        failure.update(reason="error", message="usage error, unknown name, bad spec or unsupported cell")
    elif is_oom(returncode, stderr):
        failure.update(reason="oom", message="out of memory (SIGKILL or std::bad_alloc)")
    else:
        what = failure["signal"] or f"exit {returncode}"
        failure.update(reason="crash", message=f"crashed ({what})")
    return "failed", failure, gbench, sidecar
