"""Fixtures of the batch tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.batch.helpers import EXERCISES, SECRET


@pytest.fixture
def run_batch(tmp_path):
    """The batch in this process (workers are still separate processes)."""
    from grader.classroom import batch
    from grader.classroom.course_config import Course, Secret

    def run(folder: Path, db: Path | None = None, course: Course | None = None, secret: str = SECRET, **kw):
        opts = batch.Options(
            folder,
            Secret(secret, "tests"),
            course or Course(),
            db or tmp_path / "grades.db",
            jobs=kw.pop("jobs", 2),
            exercises_dir=EXERCISES,
            **kw,
        )
        return batch.run(opts)

    return run
