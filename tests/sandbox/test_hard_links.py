"""Issue 12, point 8: a hard link to the course secret placed among submissions is never graded, and
no student's result can carry the secret.

Graded as a student file, the secret (an identifier-like string) raised a ``NameError`` whose message
printed it on that student's page. A file with more than one name is now refused (the batch's summary
says so; ``grade submit`` answers ``bad_file``), and a file whose content holds the secret is not run.
"""

from __future__ import annotations

import json
import os

from grader.classroom.batch import read_bounded
from tests.batch.helpers import EXERCISES, SECRET, grade_cmd, run_grade, solution, summary_of, write_class


def secret_file(tmp_path):
    path = tmp_path / "course.secret"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def test_a_hard_link_to_the_secret_is_a_problem_of_the_batch_not_a_graded_file(tmp_path):
    files = {("bob", "exercise04.py"): solution("exercise04"), ("eve", "exercise05.py"): SECRET + "\n"}  # eve: a copy
    folder = write_class(tmp_path / "class", files)
    (folder / "mallory").mkdir()
    os.link(secret_file(tmp_path), folder / "mallory" / "exercise04.py")
    db = tmp_path / "grades.db"
    proc = run_grade(grade_cmd(folder, db), cwd=tmp_path)
    summary = summary_of(proc)
    assert summary["graded"] == 2 and summary["faults"] == 0 and summary["errors_by_kind"] == {"bad_file": 1}
    assert summary["problems"]["hard_link"]["count"] == 1
    assert "mallory/exercise04.py: a hard link (2 names for one file), not graded" in json.dumps(summary)
    everything = proc.stdout + proc.stderr
    everything += "".join(p.read_bytes().decode("latin-1") for p in tmp_path.glob("grades.db*"))
    assert SECRET not in everything


def test_a_file_linked_after_the_folder_was_listed_is_refused_when_read(tmp_path):
    path = tmp_path / "exercise04.py"
    path.write_text(solution("exercise04"), encoding="utf-8")
    assert read_bounded(path) == path.read_bytes()
    os.link(path, tmp_path / "other-name.py")
    try:
        read_bounded(path)
    except OSError as exc:
        assert exc.strerror == "a hard link (2 names for one file), not graded"
    else:
        raise AssertionError("a hard link was read")


def test_grade_submit_refuses_a_hard_link_and_a_file_holding_the_secret(tmp_path, grade_text):
    from grader.grading import api

    link = tmp_path / "exercise04.py"
    os.link(secret_file(tmp_path), link)
    verdict = api.submit(link, "exercise04", exercises_dir=EXERCISES)
    assert (verdict.status, verdict.error.kind) == ("error", "bad_file")
    assert "hard link" in verdict.error.message and SECRET not in json.dumps(verdict.to_json())
    # A copy of the secret (one name) would run, and its NameError would name the secret: not graded.
    copied = grade_text("exercise05", f"{SECRET}\n", secret=SECRET, student="mallory")
    assert copied.error.message == "the file holds the course secret and is not graded"
    assert SECRET not in json.dumps(copied.to_json())
