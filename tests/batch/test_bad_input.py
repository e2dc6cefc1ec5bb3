"""A messy submissions folder is reported in the summary, never a crash; the good files are graded."""

from __future__ import annotations

import json
import os
import sqlite3

from tests.batch.helpers import grade_cmd, run_grade, solution, summary_of, write_class


def messy_class(folder):
    write_class(
        folder,
        {
            ("s1", "exercise04.py"): solution("exercise04"),  # good
            ("s1", "notes.txt"): "my notes",  # stray file in a student's folder
            ("s1", "exercise4.py"): solution("exercise04"),  # unknown item, close to a real one
            ("s1", "exercise05.yaml"): "answers: {}\n",  # an exercise handed in as YAML
            ("s2", "exercise04.py"): b"\x7fELF\x02\x01\x01\x00\x00\x00binary",  # binary: graded as a bad file
            ("s2", "exercise05.py"): "x = 1\n" * 60_000,  # over the size limit: graded as a bad file
            ("s2", "exercise08.py"): b"def step(params, grads, lr):\n    return '\xff\xfe'\n",  # not UTF-8
            ("S3", "exercise04.py"): solution("exercise04"),  # duplicate student: S3 and s3
            ("s3", "exercise04.py"): solution("exercise04"),
            ("bad id!", "exercise04.py"): solution("exercise04"),  # not a student id
            ("s4", "exercise04.py"): solution("exercise04"),
            ("s4", "exercise04.PY"): solution("exercise04"),  # unknown extension
        },
        manifest=[  # a row twice (the later time counts), a row without its file
            ("s1", "exercise04", "2026-03-09T00:00:00Z"),
            ("s1", "exercise04", "2026-03-10T00:00:00Z"),
            ("s9", "exercise04", "2026-03-10T00:00:00Z"),
        ],
    )
    (folder / "stray.py").write_text("print('top level')\n")
    (folder / ".DS_Store").write_bytes(b"\0\0")
    (folder / "s5").mkdir()  # empty student folder
    (folder / "s6" / "exercise04.py").mkdir(parents=True)  # a folder named like a file
    os.mkfifo(folder / "s1" / "exercise08.py")  # a pipe would block a naive reader
    os.symlink("/etc/passwd", folder / "s1" / "exercise05.py")  # never followed
    os.mkdir(os.fsencode(folder) + b"/\xff\xfe")  # a folder name that is not UTF-8
    return folder


def test_a_messy_folder_is_reported_not_a_crash(tmp_path):
    folder = messy_class(tmp_path / "class")
    db = tmp_path / "grades.db"
    proc = run_grade(grade_cmd(folder, db, "--jobs", "2"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = summary_of(proc)
    problems = summary["problems"]
    for kind in (
        "stray_file",
        "unknown_item",
        "wrong_type",
        "duplicate_student",
        "invalid_student_id",
        "empty_folder",
        "stray_folder",
        "unreadable",
        "symlink",
        "manifest",
        "manifest_without_file",
    ):
        assert kind in problems, kind
    assert any("did you mean exercise04" in e for e in problems["unknown_item"]["examples"])
    assert any("S3/" in e and "s3/" in e for e in problems["duplicate_student"]["examples"])
    assert summary["errors_by_kind"] == {"bad_file": 3}
    assert summary["graded"] == 5 and summary["faults"] == 0  # s1, s4 and s2's three bad files
    con = sqlite3.connect(db)
    graded = {
        (s, i): (st, json.loads(v)["error"])
        for s, i, st, v in con.execute(
            "SELECT s.student, s.item, r.status, r.verdict FROM results r JOIN submissions s ON s.id = r.submission_id"
        )
    }
    assert graded[("s1", "exercise04")][0] == "graded"
    assert {graded[("s2", i)][1]["kind"] for i in ("exercise04", "exercise05", "exercise08")} == {"bad_file"}
    assert "binary" in graded[("s2", "exercise04")][1]["message"]


def test_the_summary_prints_for_a_messy_folder(tmp_path):
    folder = messy_class(tmp_path / "class")
    cmd = [c for c in grade_cmd(folder, tmp_path / "grades.db") if c != "--json"]
    proc = run_grade(cmd, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "duplicate_student" in proc.stdout and "\\xff\\xfe" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_missing_folder_and_an_empty_one(tmp_path):
    missing = run_grade(grade_cmd(tmp_path / "nope", tmp_path / "g.db"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = summary_of(run_grade(grade_cmd(tmp_path / "empty", tmp_path / "g.db"), cwd=tmp_path))
    assert (empty["found"], empty["graded"], empty["faults"]) == (0, 0, 0)


def test_a_broken_manifest_header_is_an_instructor_error(tmp_path):
    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    (folder / "manifest.csv").write_text("who,what,when\ns1,exercise04,2026-03-10T00:00:00Z\n")
    proc = run_grade(grade_cmd(folder, tmp_path / "g.db"), cwd=tmp_path)
    assert (
        proc.returncode == 2 and "manifest.csv:1: header: missing column(s) student, item, submitted_at" in proc.stderr
    )
