"""The semester around the batch: the roster everywhere, extensions, LMS exports, regrading a few."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.batch.helpers import EXERCISES, SECRET, batch_env, solution, write_class, wrong
from tests.classroom.lms import Person, write_roster

CLASS = [
    Person("s1", "Minji", "Kim", 101),
    Person("s2", "Jun", "Lee", 102),
    Person("s3", "Seo-yeon", "Park", 103),  # hands in nothing
]
COURSE = """\
timezone: UTC
roster: roster.csv
late: {penalty_per_day: 0.25}
items:
  exercise04: {deadline: 2026-03-10T00:00:00Z}
  exercise08: {deadline: 2999-01-01}
extensions:
  s2: {exercise04: 3}
lms:
  canvas: {exercise04: 5551}
"""


def grade(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "grader.cli", *args]
    return subprocess.run(cmd, cwd=cwd, env=batch_env(), capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """s1 and s2 hand exercise04 in two days late; s2 has three more days. s3 hands in nothing."""
    tmp = tmp_path_factory.mktemp("semester")
    write_roster(tmp / "roster.csv", CLASS)
    (tmp / "course.yaml").write_text(COURSE)
    write_class(
        tmp / "subs",
        {("s1", "exercise04.py"): solution("exercise04"), ("s2", "exercise04.py"): solution("exercise04")},
        manifest=[("s1", "exercise04", "2026-03-11T12:00:00Z"), ("s2", "exercise04", "2026-03-11T12:00:00Z")],
    )
    proc = grade(tmp, "batch", "subs", "--exercises", str(EXERCISES), "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return tmp, json.loads(proc.stdout)


def exported(tmp: Path, fmt: str) -> list[list[str]]:
    proc = grade(tmp, "export", "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    return list(csv.reader(io.StringIO(proc.stdout)))


def test_batch_knows_who_handed_in_nothing(course):
    _, summary = course
    assert summary["roster"]["enrolled"] == 3
    assert summary["roster"]["nothing_from"] == {"count": 1, "examples": ["s3"]}
    assert summary["roster"]["not_on_roster"]["count"] == 0


def test_canvas_import_file(course):
    tmp, _ = course
    rows = exported(tmp, "canvas")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "exercise04 (5551)", "exercise08"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "4"
    by_id = {r[2]: r for r in rows[2:]}
    assert by_id["s1"][:2] == ["Kim, Minji", "101"]
    assert by_id["s1"][5] == "2"  # two started days late at a quarter a day: -50%
    assert by_id["s2"][5] == "4"  # three more days: on time
    assert by_id["s3"][5] == "0"  # enrolled, nothing handed in, the deadline has passed
    assert {r[6] for r in rows[2:]} == {""}  # exercise08, listed in course.yaml, is not due yet: left empty


def test_moodle_import_file(course):
    tmp, _ = course
    rows = exported(tmp, "moodle")
    assert rows[0] == ["ID number", "Email address", "Full name", "exercise04", "exercise08"]
    assert rows[1:] == [
        ["s1", "s1@example.edu", "Kim, Minji", "2", ""],
        ["s2", "s2@example.edu", "Lee, Jun", "4", ""],
        ["s3", "s3@example.edu", "Park, Seo-yeon", "0", ""],
    ]


def test_an_item_not_yet_due_is_left_empty(tmp_path):
    from grader.classroom.course_config import Course
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.lms_export import write_lms
    from grader.classroom.roster import load_roster, student_id

    db = tmp_path / "grades.db"
    _run_batch(tmp_path, db, {("s1", "exercise08.py"): solution("exercise08")})
    roster = load_roster(write_roster(tmp_path / "r.csv", CLASS[:2]), student_id)
    course = Course.model_validate({"items": {"exercise08": {"deadline": "2999-01-01"}}})
    out = io.StringIO()
    with Gradebook(db) as gb:
        done = write_lms(gb, course, out, "moodle", roster)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[2][-1] == "" and done.not_due == 1 and done.missing == 0


def test_site_has_a_page_for_a_student_who_handed_in_nothing(course):
    tmp, _ = course
    secret = tmp / ".grade-secret"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    proc = grade(tmp, "site", "--out", "site", "--lang", "en", "--links", "links.csv", "--exercises", str(EXERCISES))
    assert proc.returncode == 0, proc.stderr
    links = dict(csv.reader(io.StringIO((tmp / "links.csv").read_text())))
    assert "s3" in links
    page = (tmp / "site" / links["s3"]).read_text()
    assert '<span class="who">s3</span>' in page and "No graded submission yet." in page


@pytest.mark.parametrize(
    ("extensions", "where"),
    [
        ("{s1: {exercise04: 20260320}}", "course.yaml:3: extensions.s1.exercise04: 20260320 days"),
        ("{s1: {exercise04: '2026-02-30'}}", "course.yaml:3: extensions.s1.exercise04: '2026-02-30' is not a valid"),
        ("{s1: {exercise4: 2}}", "course.yaml:3: extensions.s1.exercise4: 'exercise4' is not an exercise"),
        ("{s1: {exercise05: 2}}", "course.yaml:3: extensions.s1.exercise05: 2 more days, but exercise05 has no"),
        ("{nobody: {exercise04: 2}}", "course.yaml:3: extensions.nobody: 'nobody' is not on the roster"),
    ],
)
def test_bad_extensions_stop_the_batch_with_file_line_and_key(tmp_path, extensions, where):
    write_roster(tmp_path / "roster.csv", CLASS)
    (tmp_path / "course.yaml").write_text(
        f"items: {{exercise04: {{deadline: 2026-03-10}}}}\ntimezone: UTC\nextensions: {extensions}\n"
    )
    write_class(tmp_path / "subs", {("s1", "exercise04.py"): solution("exercise04")})
    proc = grade(tmp_path, "batch", "subs", "--exercises", str(EXERCISES), "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert where in proc.stderr and "Traceback" not in proc.stderr


def test_regrade_one_student_or_one_item(tmp_path):
    files = {(s, f"{i}.py"): wrong(i) for s in ("s1", "s2") for i in ("exercise04", "exercise05")}
    write_class(tmp_path / "subs", files)
    base = ["batch", "subs", "--exercises", str(EXERCISES), "--json", "--quiet", "--db", "grades.db"]
    first = json.loads(grade(tmp_path, *base).stdout)
    assert first["graded"] == 4
    again = json.loads(grade(tmp_path, *base, "--regrade", "--student", "s1").stdout)
    assert (again["found"], again["graded"]) == (2, 2)
    again = json.loads(grade(tmp_path, *base, "--regrade", "--student", "s2", "--item", "exercise05").stdout)
    assert (again["found"], again["graded"]) == (1, 1)
    bad = grade(tmp_path, *base, "--item", "exercise5")
    assert bad.returncode == 2 and "did you mean exercise05?" in bad.stderr


def _run_batch(tmp: Path, db: Path, files: dict) -> None:
    from grader.classroom import batch
    from grader.classroom.course_config import Course, Secret

    folder = write_class(tmp / "class", files)
    batch.run(batch.Options(folder, Secret(SECRET, "tests"), Course(), db, jobs=1, exercises_dir=EXERCISES))


def test_an_extension_is_days_added_or_a_new_deadline_in_the_course_zone():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from grader.classroom.course_config import Course

    seoul = ZoneInfo("Asia/Seoul")
    course = Course.model_validate(
        {
            "timezone": "Asia/Seoul",
            "deadline": "2026-03-10",
            "extensions": {"s1": {"exercise04": 2, "exercise05": "2026-03-20", "exercise08": "2026-03-21T12:00:00"}},
        }
    )
    assert course.deadline_of("exercise04") == datetime(2026, 3, 10, 23, 59, 59, tzinfo=seoul)
    assert course.deadline_of("exercise04", "s1") == datetime(2026, 3, 12, 23, 59, 59, tzinfo=seoul)
    assert course.deadline_of("exercise05", "s1") == datetime(2026, 3, 20, 23, 59, 59, tzinfo=seoul)
    assert course.deadline_of("exercise08", "s1") == datetime(2026, 3, 21, 12, 0, tzinfo=seoul)
    assert course.deadline_of("exercise04", "s2") == course.deadline_of("exercise04")
    again = Course.model_validate_json(course.model_dump_json())  # as the gradebook stores it
    assert again.deadline_of("exercise05", "s1") == course.deadline_of("exercise05", "s1")


def test_a_quizs_answers_wait_for_the_latest_extension():
    from datetime import timedelta

    from grader.classroom.course_config import Course

    plain = {"timezone": "UTC", "deadline": "2026-03-10", "late": {"penalty_per_day": 1.0}}
    course = Course.model_validate(plain)
    extended = Course.model_validate({**plain, "extensions": {"s1": {"quiz01": 3}, "s2": {"quiz01": 1}}})
    assert extended.key_release("quiz01") == course.key_release("quiz01") + timedelta(days=3)
    assert extended.key_release("quiz02") == course.key_release("quiz02")
