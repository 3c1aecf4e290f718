"""Allocators as data: a library to LD_PRELOAD (or none), environment
settings, and the family dstudy_bench must detect (--expect-allocator)."""
import functools
import json
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

FAMILIES = ("glibc", "jemalloc", "mimalloc", "tcmalloc")
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "allocators.json"

# Inherited variables that would change which allocator runs or how it
# behaves; a cell's environment starts without them.
STRIPPED_PREFIXES = ("LD_PRELOAD", "MALLOC_", "MIMALLOC_", "TCMALLOC_", "JEMALLOC_", "_RJEM_")


class AllocatorError(ValueError):
    pass


@dataclass
class Allocator:
    name: str
    library: str | None
    env: dict = field(default_factory=dict)
    family: str | None = None
    description: str = ""
    default: bool = True

    def missing(self):
        return self.library is not None and not os.path.exists(self.library)

    def environment(self, base):
        """The cell's environment: base minus allocator variables, plus ours."""
        env = {k: v for k, v in base.items() if not k.startswith(STRIPPED_PREFIXES)}
        if self.library:
            env["LD_PRELOAD"] = self.library
        env.update(self.env)
        return env

    def settings(self):
        """Only the variables this allocator sets (for printing)."""
        env = {"LD_PRELOAD": self.library} if self.library else {}
        env.update(self.env)
        return env

    def to_json(self):
        return {"name": self.name, "family": self.family, "library": self.library,
                "env": dict(self.env), "description": self.description, "default": self.default}


def infer_family(name):
    if name in FAMILIES:
        return name
    head = name.split("_", 1)[0]
    return head if head in FAMILIES else None


def from_json(name, entry, origin="allocator definition"):
    if not isinstance(entry, dict):
        raise AllocatorError(f"{origin}: allocator '{name}' must be an object")
    library = entry.get("library")
    env = entry.get("env") or {}
    if library is not None and not isinstance(library, str):
        raise AllocatorError(f"{origin}: allocator '{name}': library must be a path or null")
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise AllocatorError(f"{origin}: allocator '{name}': env must map names to strings")
    family = entry["family"] if "family" in entry else infer_family(name)
    if family is not None and family not in FAMILIES:
        raise AllocatorError(f"{origin}: allocator '{name}': family '{family}' is not one of "
                             f"{', '.join(FAMILIES)} (or null: not checked)")
    return Allocator(name=name, library=library or None, env=dict(env), family=family,
                     description=entry.get("description", ""), default=entry.get("default", True))


def load_file(path):
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise AllocatorError(f"cannot read allocators file {path}: {e}") from e
    if not isinstance(data, dict):
        raise AllocatorError(f"{path}: expected an object mapping names to allocators")
    return {name: from_json(name, entry, str(path))
            for name, entry in data.items() if not name.startswith("_")}


def parse_add(spec):
    """NAME=PATH[,ENV=VAL...]; PATH empty or 'none' means no preload; a piece
    without '=' continues the previous value (MALLOC_CONF=a:0,b:0);
    family=F sets the family explicitly."""
    name, sep, rest = spec.partition("=")
    if not sep or not name:
        raise AllocatorError(f"--add-allocator '{spec}': expected NAME=PATH[,ENV=VAL...]")
    pieces = rest.split(",")
    library = pieces[0].strip()
    env, family, last = {}, infer_family(name), None
    for piece in pieces[1:]:
        key, eq, value = piece.partition("=")
        if not eq:
            if last is None:
                raise AllocatorError(f"--add-allocator '{spec}': '{piece}' is not ENV=VALUE")
            env[last] += "," + piece
            continue
        if key == "family":
            family = value or None
            continue
        env[key] = value
        last = key
    entry = {"library": None if library in ("", "none") else library, "env": env,
             "family": family, "description": "added with --add-allocator", "default": True}
    return from_json(name, entry, "--add-allocator")


def load(files=(), adds=()):
    """Built-in definitions, then each file, then each --add-allocator;
    a later definition of a name replaces an earlier one."""
    allocators = load_file(DEFAULT_FILE)
    for path in files:
        allocators.update(load_file(path))
    for spec in adds:
        a = parse_add(spec)
        allocators[a.name] = a
    return allocators


@functools.lru_cache(maxsize=None)
def _dpkg_version(path):
    real = os.path.realpath(path)
    if not real.startswith(("/usr/", "/lib")):
        return None  # not a Debian package's file
    try:
        owner = subprocess.run(["dpkg-query", "-S", real], capture_output=True, text=True, timeout=10)
        if owner.returncode != 0:
            return None
        package = owner.stdout.split(":", 2)
        package = package[0] + (":" + package[1] if len(package) > 2 else "")
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package.strip()],
                                 capture_output=True, text=True, timeout=10)
        return version.stdout.strip() or None if version.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def version(allocator):
    """Best-effort version: the Debian package owning the library, or glibc's."""
    if allocator.library is None:
        lib, ver = platform.libc_ver()
        return ver or None if lib == "glibc" else None
    return _dpkg_version(allocator.library)
