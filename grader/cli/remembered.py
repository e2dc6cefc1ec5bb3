"""typer's parse of a ``grade submit`` command line, kept on disk and replayed when the same line comes again.

A student runs the same ``grade submit exercise03.py`` many times an hour, and importing typer to
parse it costs ~25 ms of a ~100 ms submit. What typer makes of a command line depends only on its
words, the declaration (``commands.py``, ``app.py``), typer's own code, and what it sees of the
paths the line names (there or not, file or folder, readable, writable). So an entry is keyed by
the words, the grader's version and the files of the other two, and it holds the options together
with what typer saw of each path. It is replayed only while every one of those paths is still as
it was; otherwise typer parses again. Only a parse that reached the command is kept: help, usage
errors and other commands are typer's every time. Entries live beside the cached exercises
(``GRADE_NO_CACHE=1`` turns both off, ``GRADE_CACHE_DIR`` moves both); one that is unreadable,
damaged or of another shape is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from grader import __version__

HERE = Path(__file__).resolve().parent
DECLARATION = (HERE / "commands.py", HERE / "app.py")


def replay(argv: list[str], accepts: tuple[str, ...]) -> dict | None:
    """The options typer gave for exactly ``argv`` before, if they still hold; else None.

    ``accepts``: the keyword arguments the options go to, so that an entry of another shape is not used.
    """
    at = _entry(argv)
    if at is None:
        return None
    try:
        kept = json.loads(at.read_bytes())
        options = decode(kept["options"])
        seen = kept["seen"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(seen, dict) or set(options) != set(accepts):
        return None
    paths = {name: value for name, value in options.items() if isinstance(value, Path)}
    if set(seen) != set(paths) or any(seen[name] != looks(path) for name, path in paths.items()):
        return None
    return options


def remembering(argv: list[str], grade):
    """``grade``, which first keeps the options typer parsed from ``argv`` for next time."""

    def keep_then_grade(**options) -> int:
        keep(argv, options)
        return grade(**options)

    return keep_then_grade


def keep(argv: list[str], options: dict) -> None:
    """Keep a parse; a cache that cannot be written is not an error."""
    at = _entry(argv)
    if at is None:
        return
    from grader.exercise.cache import write_entry

    seen = {name: looks(value) for name, value in options.items() if isinstance(value, Path)}
    write_entry(at, json.dumps({"argv": argv, "options": encode(options), "seen": seen}))


def looks(path: Path) -> list[bool]:
    """What typer's path checks see: there, a file, a folder, readable, writable."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return [False, False, False, False, False]
    import stat

    return [
        True,
        stat.S_ISREG(st.st_mode),
        stat.S_ISDIR(st.st_mode),
        os.access(path, os.R_OK),
        os.access(path, os.W_OK),
    ]


def encode(options: dict) -> dict:
    """A path as ``{"path": "..."}``, so that it comes back a ``Path``; the rest as it is."""
    return {name: {"path": str(value)} if isinstance(value, Path) else value for name, value in options.items()}


def decode(options: dict) -> dict:
    decoded = {}
    for name, value in options.items():
        if isinstance(value, dict) and set(value) == {"path"} and isinstance(value["path"], str):
            decoded[name] = Path(value["path"])
        elif value is None or isinstance(value, (bool, str)):
            decoded[name] = value
        else:
            raise TypeError(f"not an option value: {value!r}")
    return decoded


def _entry(argv: list[str]) -> Path | None:
    from grader.exercise.cache import folder

    where = folder()
    if where is None:
        return None
    fingerprint = _fingerprint()
    if fingerprint is None:
        return None
    key = hashlib.sha256(fingerprint + json.dumps(argv).encode()).hexdigest()
    return where / f"command-{key}.json"


def _fingerprint() -> bytes | None:
    """The grader's version and the files that decide a parse, by size and time of change; None if
    one of them cannot be found (nothing is kept or replayed then)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("typer")
        stamps = []
        for f in (*DECLARATION, spec.origin):
            st = os.stat(f)  # once per file
            stamps.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    except (OSError, ValueError, AttributeError, TypeError, ImportError):
        return None
    return "\n".join([__version__, *stamps]).encode()
