"""Shared helpers: paths of the course and a quick way to grade a source string."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def grade_text(tmp_path):
    """Grade ``source`` as the student file ``<exercise>.py`` and return the Verdict."""
    from grader.grading import api

    def run(exercise: str, source: str, **kwargs):
        path = tmp_path / f"{exercise}.py"
        path.write_text(source, encoding="utf-8")
        return api.submit(path, kwargs.pop("exercise", exercise), exercises_dir=EXERCISES, **kwargs)

    return run


@pytest.fixture
def grade_cache(tmp_path, monkeypatch) -> Path:
    """A cache folder of the test's own (``GRADE_CACHE_DIR``), turned on: cached exercises, kept parses."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GRADE_CACHE_DIR", str(folder))
    monkeypatch.delenv("GRADE_NO_CACHE", raising=False)
    return folder


@pytest.fixture(autouse=True, scope="session")
def _private_exercise_cache(tmp_path_factory):
    """Validated exercises are cached under the test session's own folder, not the user's home."""
    import os

    os.environ.setdefault("GRADE_CACHE_DIR", str(tmp_path_factory.mktemp("exercise-cache")))
