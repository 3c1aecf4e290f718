"""One runner per run folder: an exclusive flock on RUN_DIR/.lock.

Two runners writing one folder would run cells twice and overwrite each
other's manifest; the lock makes the second one stop before it writes
anything. The lock is the kernel's (fcntl.flock), so it goes away with the
process however that ends: a stale .lock file holds nothing. The file is
never deleted, since deleting it would let two runners lock two different
files of the same name. Its text names the holder (pid, start time, command)
for the refusal message.
"""
import fcntl
import json
import os
from pathlib import Path

from . import store

LOCK_FILE = ".lock"


class Held(RuntimeError):
    """Another process holds the folder."""


class RunLock:
    def __init__(self, run_dir, command):
        self.path = Path(run_dir) / LOCK_FILE
        self.command = command
        self.fd = None

    def __enter__(self):
        store.make_folder(self.path.parent)
        # no O_TRUNC: the holder's text must survive a refused attempt
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            raise store.write_error(self.path, e) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise Held(f"{self.path.parent} is in use by another runner ({holder}); "
                       f"wait for it to end, or stop it first") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "started": store.utc_now(),
                                 "command": self.command}).encode() + b"\n")
        self.fd = fd
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        return False


def _read_holder(fd):
    """'pid N, started T: COMMAND' from the lock file, or what is known."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 65536).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or not info.get("pid"):
        return "pid unknown: it is just starting"
    return f"pid {info['pid']}, started {info.get('started', '?')}: {info.get('command', '?')}"
