"""A fixed class in a fresh gradebook (from fixtures/verdicts.jsonl), and the site built from it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from grader import __version__

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "fixtures" / "verdicts.jsonl"
SECRET = "site-tests-secret-0123456789abcdef"
COURSE = {
    "name": "역전파 Backprop 2026",
    "policy": "best",
    "timezone": "Asia/Seoul",
    "deadline": "2026-03-13T23:59:59+09:00",
    "late": {"penalty_per_day": 0.1, "cap": 0.5},
}


def _digest(item: str) -> str:
    from grader.exercise.loader import find_exercise
    from grader.quiz.quizzes import find_quiz

    folder = HERE.parents[1] / "exercises"
    return (find_quiz(item, folder) if item.startswith("quiz") else find_exercise(item, folder)).digest


def make_book(path: Path) -> Path:
    """Record every fixture verdict as a graded attempt; the course (deadline, policy) goes in the meta."""
    from grader.classroom.batch import secret_id
    from grader.classroom.gradebook import Gradebook, Key, rows_of

    sid = secret_id(SECRET)
    digests: dict[str, str] = {}
    with Gradebook(path) as book:
        book.set_meta("secret_id", sid)
        book.set_meta("course", json.dumps(COURSE, ensure_ascii=False))
        for line in VERDICTS.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            verdict = row["verdict"]
            text = json.dumps(verdict, ensure_ascii=False, sort_keys=True)
            sha = hashlib.sha256(text.encode()).hexdigest()
            digest = digests.setdefault(row["item"], _digest(row["item"]))
            tasks, checks = rows_of(verdict)
            error = (verdict.get("error") or {}).get("kind")
            book.record(
                Key(row["student"], row["item"], sha, digest, __version__, sid),
                kind="exercise",
                size=len(text),
                filename=row["file"],
                submitted_at=row["submitted_at"],
                time_source="manifest",
                verdict_json=text,
                status=verdict["status"],
                score=verdict["score"],
                max_score=verdict["max_score"],
                error_kind=error,
                tasks=tasks,
                checks=checks,
                seconds=0.01,
                batch_id=None,
            )
    return path


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> Path:
    return make_book(tmp_path_factory.mktemp("book") / "grades.db")


@pytest.fixture(scope="session")
def secret_env():
    mp = pytest.MonkeyPatch()
    mp.setenv("GRADE_SECRET", SECRET)
    yield SECRET
    mp.undo()


@pytest.fixture(scope="session")
def built(book, secret_env, tmp_path_factory):
    """The whole site, built once for the session (English by default)."""
    from grader.site import data as site_data

    out = tmp_path_factory.mktemp("site")
    report = site_data.build(book, out, lang="en", exercises_dir=HERE.parents[1] / "exercises")
    return out, report
