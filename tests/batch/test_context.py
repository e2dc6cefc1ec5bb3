"""One course context (issue 14 "One course context", issue 13 case 9): every command finds the same
exercises, course.yaml, secret and gradebook in a course folder, and the same overrides apply."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from grader.classroom.context import context
from grader.errors import GraderError, UsageError
from tests.batch.helpers import EXERCISES, SOLUTIONS, run_grade

SECRET = "the-course-secret-of-this-folder-0123456789"


def _exercise(folder: Path, new_id: str, from_id: str = "exercise04") -> None:
    text = (EXERCISES / f"{from_id}.yaml").read_text(encoding="utf-8").replace(f"id: {from_id}", f"id: {new_id}", 1)
    (folder / f"{new_id}.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def course(tmp_path) -> Path:
    """course/course.yaml naming its exercise folder ex/ (one exercise and one quiz of its own), the
    secret in course/.grade-secret, the solution in course/solutions/, a class in course/submissions/."""
    root = tmp_path / "course"
    (root / "ex").mkdir(parents=True)
    _exercise(root / "ex", "myex01")
    _exercise(root / "ex", "exercise01", "exercise01")  # the quiz's graph
    quiz = (EXERCISES / "quiz01.yaml").read_text(encoding="utf-8").replace("id: quiz01", "id: myquiz", 1)
    (root / "ex" / "myquiz.yaml").write_text(quiz, encoding="utf-8")
    (root / "solutions").mkdir()
    shutil.copy(SOLUTIONS / "exercise04.py", root / "solutions" / "myex01.py")
    shutil.copy(SOLUTIONS / "exercise01.py", root / "solutions" / "exercise01.py")
    (root / "course.yaml").write_text("name: a course\nexercises: ex\n", encoding="utf-8")
    (root / ".grade-secret").write_text(SECRET + "\n", encoding="utf-8")
    os.chmod(root / ".grade-secret", 0o600)
    (root / "submissions" / "s1").mkdir(parents=True)
    shutil.copy(SOLUTIONS / "exercise04.py", root / "submissions" / "s1" / "myex01.py")
    shutil.copy(SOLUTIONS / "exercise04.py", root / "myex01.py")
    return root


def _env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADE_")}
    return {**env, "NO_COLOR": "1", **extra}


def grade(course: Path, *args: str, **env) -> tuple[int, str, str]:
    proc = run_grade([sys.executable, "-m", "grader.cli", *args], cwd=course, env=_env(**env))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def test_every_command_finds_the_course_of_the_folder(course):
    assert grade(course, "trace", "myex01", "--json")[0] == 0
    assert grade(course, "init", "myex01", "--out", "stub.py")[0] == 0 and (course / "stub.py").is_file()
    code, out, _ = grade(course, "check")
    assert code == 0 and "myex01" in out and "myquiz" in out and "exercise03" not in out
    assert grade(course, "submit", "myex01.py")[0] == 0
    code, out, err = grade(course, "quiz", "myquiz", "--student", "s1", "--json")
    from grader.quiz import quizzes

    expected = quizzes.draw(quizzes.find_quiz("myquiz", course / "ex"), "s1", SECRET).to_json("en")
    assert code == 0 and json.loads(out)["questions"] == expected["questions"]  # the course's variant
    code, out, err = grade(course, "batch", "submissions", "--json", "--quiet")
    summary = json.loads(out)
    assert code == 0 and summary["graded"] == 1 and summary["secret"]["source"].endswith(".grade-secret")
    assert (course / summary["exercises"]["folder"]).resolve() == (course / "ex").resolve()
    assert summary["exercises"]["from"] == "exercises: in course.yaml"
    code, out, _ = grade(course, "export", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "student,myex01,total"
    code, out, err = grade(course, "site", "--out", "site")
    assert code == 0 and (course / "site" / "exercises" / "myex01.html").is_file(), err


def test_an_environment_variable_and_a_flag_override_the_course_folder(course, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    _exercise(other, "otherex")
    code, _, err = grade(course, "trace", "myex01", GRADE_EXERCISES=str(other))
    assert code == 2 and f"unknown exercise 'myex01' (looked in {other} (from $GRADE_EXERCISES)" in err
    assert grade(course, "trace", "otherex", GRADE_EXERCISES=str(other))[0] == 0
    assert grade(course, "trace", "myex01", "--exercises", "ex", GRADE_EXERCISES=str(other))[0] == 0
    code, out, _ = grade(course, "check", GRADE_EXERCISES=str(other))
    assert "otherex" in out and "myex01" not in out
    code, _, err = grade(course, "trace", "exercise03", "--exercises", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in err


def test_the_secret_from_the_environment_wins_over_the_folder(course):
    from grader.quiz import quizzes

    code, out, _ = grade(
        course, "quiz", "myquiz", "--student", "s1", "--json", GRADE_SECRET="another-secret-0123456789"
    )
    quiz = quizzes.find_quiz("myquiz", course / "ex")
    assert (
        json.loads(out)["questions"] == quizzes.draw(quiz, "s1", "another-secret-0123456789").to_json("en")["questions"]
    )


def test_without_any_secret_a_quiz_is_practice_and_a_batch_refuses(course):
    (course / ".grade-secret").unlink()
    code, _, err = grade(course, "quiz", "myquiz", "--student", "s1", "--json")
    assert code == 0 and "practice" in err.lower()
    code, _, err = grade(course, "batch", "submissions", "--quiet")
    assert code == 2 and "grade batch needs the course secret" in err


def test_the_context_object_answers_in_one_place(course, monkeypatch):
    monkeypatch.chdir(course)
    for name in ("GRADE_EXERCISES", "GRADE_SECRET"):
        monkeypatch.delenv(name, raising=False)
    ctx = context()
    assert ctx.exercises_dir == Path("ex") or ctx.exercises_dir.resolve() == (course / "ex").resolve()
    assert ctx.course_path == Path("course.yaml") and ctx.course.name == "a course"
    assert ctx.secret().value == SECRET and ctx.db == Path("grades.db")
    assert ctx.students(Path("submissions")) == ["s1"]
    with pytest.raises(UsageError, match="no such course file"):
        context(course=Path("missing.yaml"))


def test_the_context_finds_the_class_list_by_one_rule(course, monkeypatch):
    """--roster, else course.yaml's roster: (beside course.yaml), else ./roster.csv; its students are
    known with those who handed something in, and a roster with a mistake names its line."""
    monkeypatch.chdir(course)
    assert context().roster is None and context().students(Path("submissions")) == ["s1"]
    Path("roster.csv").write_text("student,name\ns1,Kim\ns2,Lee\n", encoding="utf-8")
    assert context().roster_path == Path("roster.csv")
    assert context().students(Path("submissions")) == ["s1", "s2"]  # s2 handed in nothing, and is known
    (course / "lists").mkdir()
    (course / "lists" / "class.csv").write_text("student\ns3\n", encoding="utf-8")
    (course / "course.yaml").write_text("name: a course\nexercises: ex\nroster: lists/class.csv\n", encoding="utf-8")
    monkeypatch.chdir(course / "submissions")  # course.yaml is found from here by --course only
    ctx = context(course=course / "course.yaml")
    assert ctx.roster_path == course / "lists" / "class.csv" and ctx.students() == ["s3"]
    explicit = context(course=course / "course.yaml", roster=course / "roster.csv")
    assert explicit.students() == ["s1", "s2"]
    (course / "roster.csv").write_text("student\ns1\nnot an id!\n", encoding="utf-8")
    with pytest.raises(GraderError, match=r"roster.csv:3"):
        context(course=course / "course.yaml", roster=course / "roster.csv").students()


def test_every_semester_command_reads_the_same_class_list(course):
    """batch, override and collect take the roster from course.yaml's roster: without --roster."""
    (course / "class.csv").write_text("student\ns1\ns2\n", encoding="utf-8")
    (course / "course.yaml").write_text("name: a course\nexercises: ex\nroster: class.csv\n", encoding="utf-8")
    code, out, _ = grade(course, "batch", "submissions", "--quiet", "--json")
    assert code == 0 and json.loads(out)["roster"]["enrolled"] == 2
    code, _, err = grade(course, "override", "s2", "myex01", "1", "--reason", "makeup exam")
    assert code == 0, err
    code, _, err = grade(course, "override", "s9", "myex01", "1", "--reason", "no such student")
    assert code == 2 and "'s9' is not in the roster" in err


def test_without_a_course_folder_the_shipped_course_is_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADE_EXERCISES", raising=False)
    (tmp_path / "exercises").mkdir()  # a student's own folder of .py files: not a course
    (tmp_path / "exercises" / "exercise03.py").write_text("pass\n")
    from grader.exercise.shipped import exercises_dir

    assert context().exercises.source == "the course shipped with the grader"
    assert context().exercises_dir == exercises_dir()
