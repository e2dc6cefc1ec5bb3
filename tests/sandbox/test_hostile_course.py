"""The attacks of issue 12 on the course's own exercises: student code that reads reference values
out of its process instead of computing them (``hostile/course/``).

Each file has a switch, ``READ``: with it off, the file is honest wrong code (it computes nothing
or guesses). Reading memory must not pass a single check that the file fails without it, with
public points (``grade submit``) and with hidden ones (a course secret).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.grading import api

HERE = Path(__file__).resolve().parent
COURSE = HERE.parents[1] / "exercises"
FIXTURES = sorted((HERE / "hostile" / "course").glob("*.py"))


def marks(tmp_path: Path, exercise: str, source: str, secret: str | None) -> list[tuple[str, str, bool]]:
    path = tmp_path / f"{exercise}.py"
    path.write_text(source)
    verdict = api.submit(path, exercise, exercises_dir=COURSE, secret=secret)
    assert verdict.status == "graded", verdict
    return [(task.function, check.point, check.ok) for task in verdict.tasks for check in task.checks]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
@pytest.mark.parametrize("secret", [None, "course-secret"], ids=["public", "hidden"])
def test_reading_memory_earns_nothing(tmp_path, fixture, secret):
    exercise = fixture.stem.split("_")[0]
    source = fixture.read_text()
    assert "READ = True" in source
    reading = marks(tmp_path, exercise, source, secret)
    honest = marks(tmp_path, exercise, source.replace("READ = True", "READ = False"), secret)
    gained = [(fn, point) for (fn, point, ok), (_, _, fair) in zip(reading, honest, strict=True) if ok and not fair]
    assert gained == []  # not one check passed by reading that the same code without it fails
    assert not all(ok for _, _, ok in reading)
