"""Validated exercises kept on disk as JSON, so that grading a known file never imports pydantic.

Validating an exercise (pydantic, then the whole-file checks and the reference at every public
point) costs more than grading it; a student submits the same exercise many times. An entry is
keyed by the file's bytes, its name (an exercise's id must equal it), the grader's version and
the source of the code that validates it, so any change to one of them validates afresh. Only
files that passed are kept. A missing, unreadable or damaged entry is simply validated again;
``GRADE_NO_CACHE=1`` turns the cache off, ``GRADE_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from grader import __version__
from grader.exercise.spec import Exercise

VALIDATING_MODULES = ("grader.exercise.spec", "grader.exercise.loader", "grader.engine.gates", "grader.engine.graph")


def folder() -> Path | None:
    """Where entries live, or None when the cache is off."""
    if os.environ.get("GRADE_NO_CACHE"):
        return None
    if os.environ.get("GRADE_CACHE_DIR"):
        return Path(os.environ["GRADE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "backprop-grader" / "exercises"


@functools.cache
def _code_fingerprint() -> bytes:
    digest = hashlib.sha256(__version__.encode())
    for name in VALIDATING_MODULES:
        module = sys.modules.get(name)
        source = getattr(module, "__file__", None)
        try:
            digest.update(Path(source).read_bytes() if source else name.encode())
        except OSError:
            digest.update(name.encode())
    return digest.digest()


def entry(path: Path, raw: bytes) -> Path | None:
    where = folder()
    if where is None:
        return None
    key = hashlib.sha256(_code_fingerprint() + path.name.encode() + b"\0" + raw).hexdigest()
    return where / f"{key}.json"


def load(path: Path, raw: bytes) -> Exercise | None:
    """The exercise validated earlier from exactly these bytes under this name, or None."""
    at = entry(path, raw)
    if at is None:
        return None
    try:
        return Exercise.from_plain(json.loads(at.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(path: Path, raw: bytes, exercise: Exercise) -> None:
    """Keep a validated exercise; a cache that cannot be written is not an error."""
    at = entry(path, raw)
    if at is not None:
        write_entry(at, json.dumps(dataclasses.asdict(exercise), ensure_ascii=False))


def write_entry(at: Path, text: str) -> None:
    """Write one entry of the cache folder whole (readers see all of it or none), in a folder only
    its owner reads; a cache that cannot be written is not an error."""
    tmp = None
    try:
        at.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=at.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, at)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
