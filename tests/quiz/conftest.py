"""Fixtures for the quiz tests: the course folder, a clean environment (practice secret), small quizzes."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"


@pytest.fixture(autouse=True)
def _no_secret(monkeypatch):
    monkeypatch.delenv("GRADE_SECRET", raising=False)
    monkeypatch.setenv("GRADE_EXERCISES", str(EXERCISES))


@pytest.fixture
def write_quiz(tmp_path):
    """Write ``text`` as ``<tmp>/<name>.yaml`` and return its path."""

    def write(text: str, name: str = "quizx") -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
