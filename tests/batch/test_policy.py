"""Deadlines, late penalties and the best/last policy, from course.yaml and manifest.csv."""

from __future__ import annotations

from datetime import datetime

import pytest

from grader.classroom.course_config import load_course
from grader.classroom.export import attempt_records, grades
from grader.classroom.gradebook import Gradebook
from grader.errors import ExerciseError
from tests.batch.helpers import solution, write_class, wrong

COURSE = """\
name: test course
policy: best
timezone: Asia/Seoul
late: {penalty_per_day: 0.1, cap: 0.25, grace_minutes: 5}
items:
  exercise04: {deadline: 2026-03-10T23:59:00}
  exercise08: {deadline: 2026-03-10, penalty_per_day: 0.5, cap: 1}
"""


@pytest.fixture
def course(tmp_path):
    path = tmp_path / "course.yaml"
    path.write_text(COURSE, encoding="utf-8")
    return load_course(path)


def test_lateness_rules(course):
    at = lambda text: datetime.fromisoformat(text)  # noqa: E731
    assert course.lateness("exercise04", at("2026-03-10T23:59:00+09:00")).days == 0
    assert course.lateness("exercise04", at("2026-03-11T00:03:00+09:00")).days == 0  # within the grace minutes
    one = course.lateness("exercise04", at("2026-03-11T00:05:01+09:00"))
    assert (one.days, one.fraction) == (1, 0.1)
    assert course.lateness("exercise04", at("2026-03-20T00:00:00+09:00")).fraction == 0.25  # the cap
    assert course.lateness("exercise04", at("2026-03-10T15:10:00+00:00")).days == 1  # 00:10 the next day in Seoul
    assert course.lateness("exercise08", at("2026-03-10T23:59:59+09:00")).days == 0  # a date: its last second
    assert course.final_score("exercise08", 3.0, 3.0, at("2026-03-13T12:00:00+09:00"))[0] == 0.0  # never below 0
    assert course.lateness("exercise05", at("2030-01-01T00:00:00+00:00")).days == 0  # no deadline


def test_course_file_errors_name_the_line_and_key(tmp_path, run_batch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: best\nlate:\n  cap: 2\n")
    with pytest.raises(ExerciseError, match=r"bad.yaml:3: late.cap"):
        load_course(bad)
    bad.write_text("items:\n  exercise04: {deadline: 2026-03-10}\n  exercize05: {deadline: 2026-03-11}\n")
    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    with pytest.raises(ExerciseError, match=r"bad.yaml:3: items.exercize05: 'exercize05' is not an exercise"):
        run_batch(folder, course=load_course(bad))


def test_late_penalty_from_the_manifest(tmp_path, run_batch, course):
    folder = write_class(
        tmp_path / "class",
        {
            ("early", "exercise04.py"): solution("exercise04"),
            ("late", "exercise04.py"): solution("exercise04"),
            ("late", "exercise08.py"): solution("exercise08"),
        },
        manifest=[
            ("early", "exercise04", "2026-03-10T20:00:00+09:00"),
            ("late", "exercise04", "2026-03-13T09:00:00+09:00"),  # 3 started days late: capped at 25 %
            ("late", "exercise08", "2026-03-11T10:00:00"),
        ],
    )  # no offset: Seoul time; 1 day late, 50 %
    summary = run_batch(folder, tmp_path / "g.db", course)
    assert summary["late_attempts_counted"] == 2
    with Gradebook(tmp_path / "g.db") as gb:
        final = {(g.student, g.item): (g.final, g.late.days) for g in grades(gb, course)}
    assert final[("early", "exercise04")] == (4.0, 0)
    assert final[("late", "exercise04")] == (3.0, 3)
    assert final[("late", "exercise08")] == (1.5, 1)


def test_best_and_last_policies_over_resubmissions(tmp_path, run_batch, course):
    folder = tmp_path / "class"
    db = tmp_path / "g.db"
    write_class(
        folder,
        {("s1", "exercise04.py"): solution("exercise04")},
        manifest=[("s1", "exercise04", "2026-03-09T10:00:00+09:00")],
    )
    run_batch(folder, db, course)
    write_class(
        folder,
        {("s1", "exercise04.py"): wrong("exercise04")},  # a worse resubmission, still on time
        manifest=[("s1", "exercise04", "2026-03-10T10:00:00+09:00")],
    )
    second = run_batch(folder, db, course)
    assert second["graded"] == 1
    with Gradebook(db) as gb:
        best = next(grades(gb, course, "best"))
        last = next(grades(gb, course, "last"))
        records = list(attempt_records(gb, course, "last"))
    assert (best.attempts, best.attempt.attempt, best.final) == (2, 1, 4.0)
    assert last.attempt.attempt == 2 and last.final < 4.0
    assert [(r["attempt"], r["selected"]) for r in records] == [(1, False), (2, True)]
    third = run_batch(folder, db, course)  # nothing changed: nothing graded, no third attempt
    assert (third["graded"], third["up_to_date"]) == (0, 1)


def test_a_corrected_manifest_time_moves_a_graded_attempt(tmp_path, run_batch, course):
    folder = tmp_path / "class"
    db = tmp_path / "g.db"
    write_class(
        folder,
        {("s1", "exercise04.py"): solution("exercise04")},
        manifest=[("s1", "exercise04", "2026-03-15T10:00:00+09:00")],
    )
    run_batch(folder, db, course)
    write_class(folder, {}, manifest=[("s1", "exercise04", "2026-03-10T10:00:00+09:00")])
    again = run_batch(folder, db, course)
    assert again["graded"] == 0  # not regraded: only its time changed
    with Gradebook(db) as gb:
        assert next(grades(gb, course)).final == 4.0
