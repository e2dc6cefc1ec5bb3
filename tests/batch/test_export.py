"""Exports read back: the CSV an LMS imports, every attempt in JSON lines, Gradescope's results.json."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from tests.batch.helpers import batch_env, run_grade, solution, write_class, wrong

GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
GRADESCOPE_FORMATS = {"text", "html", "simple_format", "md", "ansi"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Three students, two items, one resubmission, one broken file, one late attempt."""
    from grader.classroom import batch
    from grader.classroom.course_config import Course, Secret
    from tests.batch.helpers import EXERCISES, SECRET

    tmp = tmp_path_factory.mktemp("export")
    folder = tmp / "class"
    db = tmp / "grades.db"
    course = Course.model_validate(
        {
            "policy": "best",
            "timezone": "UTC",
            "late": {"penalty_per_day": 0.5},
            "items": {"exercise08": {"deadline": "2026-03-10T00:00:00Z"}},
        }
    )
    opts = batch.Options(folder, Secret(SECRET, "tests"), course, db, jobs=2, exercises_dir=EXERCISES)
    write_class(
        folder,
        {
            ("s1", "exercise04.py"): wrong("exercise04"),
            ("s1", "exercise08.py"): solution("exercise08"),
            ("s2", "exercise04.py"): "def sigmoid_local_grad(z, out:\n",
            ("s3", "exercise08.py"): solution("exercise08"),
        },
        manifest=[("s1", "exercise08", "2026-03-09T00:00:00Z"), ("s3", "exercise08", "2026-03-10T12:00:00Z")],
    )
    batch.run(opts)
    write_class(folder, {("s1", "exercise04.py"): solution("exercise04")})  # s1 resubmits: 2 attempts
    batch.run(opts)
    return tmp, db


def export(db, *args):
    proc = run_grade(
        [sys.executable, "-m", "grader.cli", "export", "--db", str(db), *args], cwd=db.parent, env=batch_env()
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_csv_one_row_per_student_a_column_per_item_and_a_total(graded):
    _, db = graded
    rows = list(csv.DictReader(io.StringIO(export(db, "--format", "csv"))))
    assert list(rows[0]) == ["student", "exercise04", "exercise08", "total"]
    table = {r["student"]: r for r in rows}
    assert table["s1"] == {"student": "s1", "exercise04": "4", "exercise08": "3", "total": "7"}  # best of 2 attempts
    assert table["s2"]["exercise04"] == "0" and table["s2"]["exercise08"] == ""  # broken: 0; missing: empty
    assert table["s3"]["exercise08"] == "1.5"  # a day late: -50 % of 3
    for r in rows:
        assert float(r["total"]) == sum(float(r[i] or 0) for i in ("exercise04", "exercise08"))


def test_csv_canvas_style_and_a_file(graded):
    tmp, db = graded
    out = tmp / "canvas.csv"
    export(db, "--format", "csv", "--csv-style", "canvas", "--out", str(out))
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5:] == ["4", "3"]
    assert [r[2] for r in rows[2:]] == ["s1", "s2", "s3"]


def test_jsonl_one_line_per_attempt_with_the_spec_fields(graded):
    _, db = graded
    lines = [json.loads(line) for line in export(db, "--format", "jsonl").splitlines()]
    assert len(lines) == 5  # s1: 2 + 1, s2: 1, s3: 1
    for line in lines:
        for key in ("student", "item", "attempt", "score", "max_score", "status", "submitted_at", "graded_at"):
            assert key in line, key
        assert line["status"] in ("graded", "error")
    s1 = [line for line in lines if line["student"] == "s1" and line["item"] == "exercise04"]
    assert [(a["attempt"], a["selected"]) for a in s1] == [(1, False), (2, True)]
    broken = next(line for line in lines if line["student"] == "s2")
    assert (broken["status"], broken["error"], broken["score"]) == ("error", "syntax_error", 0.0)
    late = next(line for line in lines if line["student"] == "s3")
    assert (late["late_days"], late["raw_score"], late["score"]) == (1, 3.0, 1.5)
    assert export(db, "--format", "jsonl", "--policy", "last").count('"selected": true') == 4


def test_gradescope_results_follow_the_published_fields(graded):
    tmp, db = graded
    out = tmp / "gs"
    run_grade(
        [sys.executable, "-m", "grader.cli", "export", "--db", str(db), "--format", "gradescope", "--out", str(out)],
        cwd=tmp,
        env=batch_env(),
    )
    files = sorted(out.glob("*/results.json"))
    assert [f.parent.name for f in files] == ["s1", "s2", "s3"]
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        assert isinstance(data["score"], float | int)
        assert data["visibility"] in GRADESCOPE_VISIBILITY and data["stdout_visibility"] in GRADESCOPE_VISIBILITY
        assert data["output_format"] in GRADESCOPE_FORMATS and data["test_output_format"] in GRADESCOPE_FORMATS
        assert data["tests"]
        for test in data["tests"]:
            assert isinstance(test["score"], float | int) and isinstance(test["max_score"], float | int)
            assert test["status"] in ("passed", "failed") and isinstance(test["name"], str)
            assert test["visibility"] in GRADESCOPE_VISIBILITY and all(isinstance(t, str) for t in test["tags"])
        assert "\r" not in f.read_text(encoding="utf-8")
    s1 = json.loads((out / "s1" / "results.json").read_text())
    assert s1["score"] == sum(t["score"] for t in s1["tests"]) == 7.0
    s3 = json.loads((out / "s3" / "results.json").read_text())
    assert s3["score"] == 1.5 and sum(t["score"] for t in s3["tests"]) == 3.0  # the top level has the penalty
    s2 = json.loads((out / "s2" / "results.json").read_text())
    assert s2["tests"][0]["status"] == "failed" and "line" in s2["tests"][0]["output"]


def test_gradescope_single_file_needs_a_single_student(graded):
    tmp, db = graded
    one = tmp / "results.json"
    export(db, "--format", "gradescope", "--out", str(one), "--student", "s1")
    assert json.loads(one.read_text())["score"] == 7.0
    proc = run_grade(
        [
            sys.executable,
            "-m",
            "grader.cli",
            "export",
            "--db",
            str(db),
            "--format",
            "gradescope",
            "--out",
            str(tmp / "all.json"),
        ],
        cwd=tmp,
        env=batch_env(),
    )
    assert proc.returncode == 2 and "--student" in proc.stderr


def test_export_without_a_gradebook_is_a_usage_error(tmp_path):
    proc = run_grade(
        [sys.executable, "-m", "grader.cli", "export", "--db", str(tmp_path / "none.db"), "--format", "csv"],
        cwd=tmp_path,
        env=batch_env(),
    )
    assert proc.returncode == 2 and "no gradebook" in proc.stderr
    assert not (tmp_path / "none.db").exists()
