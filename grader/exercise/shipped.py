"""Where the course shipped with the package lives: exercises, solutions, the site theme, a sample class.

In a wheel they sit under ``grader/_data``; in a source checkout they are the repository's own
top-level folders, so editing ``exercises/`` in the repo takes effect without a reinstall.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # grader/


def _data(name: str) -> Path:
    shipped = _PACKAGE / "_data" / name
    return shipped if shipped.is_dir() else _PACKAGE.parent / name


def exercises_dir() -> Path:
    return _data("exercises")


def solutions_dir() -> Path:
    return _data("solutions")


def site_dir() -> Path:
    return _data("site")


def sample_class_dir() -> Path:
    return _data("examples") / "class"
