"""Issue 13, "Grades that must never be silently wrong": one test per numbered case of the batch,
the gradebook and the exports (each failed before its fix)."""

from __future__ import annotations

import csv
import io
import re
import sqlite3

import nbformat
import pytest

from grader.classroom import export
from grader.classroom.course_config import load_course
from grader.classroom.gradebook import Gradebook
from grader.errors import ExerciseError, UsageError
from tests.batch.helpers import (
    EXERCISES,
    grade_cmd,
    run_grade,
    solution,
    summary_of,
    write_class,
    wrong,
)

# --------------------------------------------------------------------------- 1. notebooks in a batch


def test_1_batch_grades_notebook_submissions(tmp_path, run_batch):
    from tests.notebook.helpers import filled_stub

    folder = write_class(
        tmp_path / "class",
        {
            ("s1", "exercise04.ipynb"): nbformat.writes(filled_stub("exercise04")),
            ("s2", "exercise04.py"): wrong("exercise04"),
        },
    )
    summary = run_batch(folder)
    assert summary["found"] == 2 and summary["graded"] == 2, summary["problems"]
    assert "stray_file" not in summary["problems"]
    with Gradebook(tmp_path / "grades.db") as gb:
        got = {a.student: (a.status, a.score, a.max_score) for a in gb.attempts()}
    assert got["s1"][0] == "graded" and got["s1"][1] == got["s1"][2] > 0
    assert got["s2"][1] < got["s2"][2]


def test_1_gradescope_script_copies_notebooks():
    from tests.batch.helpers import ROOT

    script = (ROOT / "examples" / "gradescope" / "run_autograder").read_text(encoding="utf-8")
    assert "-name '*.ipynb'" in script


# --------------------------------------------------------------------------- 3. deadlines


@pytest.mark.parametrize(
    ("text", "line", "key", "says"),
    [
        ("name: x\ndeadline: 20260315\n", 2, "deadline", "ISO 8601"),
        ("name: x\nitems:\n  exercise01: {deadline: 2026-02-30}\n", 3, "items.exercise01.deadline", "2026-02-30"),
        ("deadline: '15/03/2026'\n", 1, "deadline", "ISO 8601"),
        ("deadline: 1741996799.0\n", 1, "deadline", "ISO 8601"),
    ],
)
def test_3_a_deadline_is_an_iso_date_or_an_error_naming_file_line_and_key(tmp_path, text, line, key, says):
    path = tmp_path / "course.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExerciseError) as caught:
        load_course(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: {key}: ") and says in message


def test_3_iso_dates_and_datetimes_are_read(tmp_path):
    from datetime import UTC, datetime, timedelta, timezone

    path = tmp_path / "course.yaml"
    path.write_text(
        "timezone: Asia/Seoul\ndeadline: 2026-03-15\nitems:\n"
        "  exercise01: {deadline: '2026-03-10T18:00:00+09:00'}\n  exercise02: {deadline: 2026-03-11T12:00:00Z}\n",
        encoding="utf-8",
    )
    course = load_course(path)
    kst = timezone(timedelta(hours=9))
    assert course.deadline_of("exercise03") == datetime(2026, 3, 15, 23, 59, 59, tzinfo=course.zone)
    assert course.deadline_of("exercise01") == datetime(2026, 3, 10, 18, tzinfo=kst)
    assert course.deadline_of("exercise02") == datetime(2026, 3, 11, 12, tzinfo=UTC)


# --------------------------------------------------------------------------- 4. manifest and file times


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        ("student,item,submitted_at\ns1,exercise04,yesterday\n", "manifest.csv:2: submitted_at: 'yesterday'"),
        ("student,item,submitted_at\ns1,exercise04\n", "manifest.csv:2: 2 column(s), expected 3"),
        (b"student,item,submitted_at\ns1,exercise04,2026-03-10T00:00:00Z\n\xff\xfe\n", "manifest.csv:3: not UTF-8"),
        ("student,item,submitted_at\nbad id!,exercise04,2026-03-10T00:00:00Z\n", "manifest.csv:2: student:"),
        (None, "manifest.csv: not a regular file"),
    ],
)
def test_4_a_manifest_that_cannot_be_parsed_stops_the_batch(tmp_path, manifest, says):
    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    target = folder / "manifest.csv"
    if manifest is None:
        target.mkdir()
    elif isinstance(manifest, bytes):
        target.write_bytes(manifest)
    else:
        target.write_text(manifest, encoding="utf-8")
    proc = run_grade(grade_cmd(folder, tmp_path / "grades.db"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert says in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "grades.db").exists() or _results(tmp_path / "grades.db") == 0  # nothing graded


def _results(db) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    finally:
        con.close()


def test_4_an_unreadable_manifest_stops_the_batch(tmp_path):
    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    (folder / "manifest.csv").symlink_to(folder / "nowhere.csv")  # dangling: exists as a name, cannot be read
    proc = run_grade(grade_cmd(folder, tmp_path / "grades.db"), cwd=tmp_path)
    assert proc.returncode == 2 and "manifest.csv" in proc.stderr and "Traceback" not in proc.stderr


def _course(tmp_path, extra: str = "") -> str:
    path = tmp_path / "course.yaml"
    path.write_text(f"deadline: 2026-03-15\nlate: {{penalty_per_day: 0.5, cap: 1{extra}}}\n", encoding="utf-8")
    return str(path)


def test_4_lateness_from_file_times_is_counted_and_printed(tmp_path):
    folder = write_class(
        tmp_path / "class",
        {(s, "exercise04.py"): solution("exercise04") for s in ("s1", "s2", "s3")},
        manifest=[("s1", "exercise04", "2026-03-10T00:00:00+09:00")],
    )  # s2 and s3 have no row: dated by their file's time, today, after the deadline
    course = _course(tmp_path)
    proc = run_grade(grade_cmd(folder, tmp_path / "g.db", "--course", course), cwd=tmp_path)
    summary = summary_of(proc)
    assert summary["file_times"] == {
        "files": 2,
        "late_files": 2,
        "late_students": 2,
        "counted": True,
        "would_be_late": 2,
    }
    cmd = [c for c in grade_cmd(folder, tmp_path / "g.db", "--course", course) if c != "--json"]
    printed = run_grade(cmd, cwd=tmp_path).stdout
    assert "2 file(s) had no manifest.csv row" in printed and "2 file(s) of 2 student(s) late" in printed


def test_4_a_course_can_forbid_lateness_from_file_times(tmp_path):
    folder = write_class(
        tmp_path / "class",
        {(s, "exercise04.py"): solution("exercise04") for s in ("s1", "s2")},
        manifest=[("s1", "exercise04", "2026-03-17T00:00:00+09:00")],  # two days late, by the manifest
    )
    course = _course(tmp_path, ", from_file_times: false")
    summary = summary_of(run_grade(grade_cmd(folder, tmp_path / "g.db", "--course", course), cwd=tmp_path))
    assert summary["file_times"]["counted"] is False and summary["file_times"]["late_files"] == 0
    with Gradebook(tmp_path / "g.db") as gb:
        finals = {g.student: (g.final, g.late.days) for g in export.grades(gb, load_course(tmp_path / "course.yaml"))}
    full = finals["s2"][0]
    assert finals["s2"] == (full, 0)  # dated by its file (today): not late under this course
    assert finals["s1"][1] > 0 and finals["s1"][0] < full  # the manifest's lateness still counts


# --------------------------------------------------------------------------- 5. an atomic export


def test_5_a_failing_export_leaves_the_old_file_whole(tmp_path, run_batch, monkeypatch):
    from typer.testing import CliRunner

    from grader.cli.commands import app

    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    run_batch(folder)
    out = tmp_path / "grades.csv"
    out.write_text("the export of last week\n", encoding="utf-8")

    def half_then_fail(gb, course, target, *args, **kwargs):
        target.write("student,exercise04,total\ns1,")
        target.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_csv", half_then_fail)
    args = ["export", "--db", str(tmp_path / "grades.db"), "--format", "csv", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert out.read_text(encoding="utf-8") == "the export of last week\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class", "grades.csv", "grades.db", *_wal(tmp_path)]
    monkeypatch.undo()
    assert CliRunner().invoke(app, args).exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("s1,4")


def _wal(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("grades.db-"))


# --------------------------------------------------------------------------- 6. a damaged, read-only or full gradebook


def _graded(tmp_path, run_batch, students: int = 6):
    files = {(f"s{i}", "exercise04.py"): f"# {i}\n" + solution("exercise04") for i in range(students)}
    folder = write_class(tmp_path / "class", files)
    run_batch(folder, db=tmp_path / "grades.db")
    con = sqlite3.connect(tmp_path / "grades.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return folder


def test_6_garbage_in_the_middle_of_the_gradebook_is_refused_and_left_alone(tmp_path, run_batch):
    folder = _graded(tmp_path, run_batch)
    db = tmp_path / "grades.db"
    raw = bytearray(db.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 3000] = bytes((i * 37 + 11) % 256 for i in range(3000))
    db.write_bytes(bytes(raw))
    (folder / "s9").mkdir()
    (folder / "s9" / "exercise04.py").write_text(solution("exercise04"), encoding="utf-8")
    for cmd in (grade_cmd(folder, db), ["export", "--db", str(db), "--format", "csv"]):
        if cmd[0] == "export":
            import sys

            cmd = [sys.executable, "-m", "grader.cli", *cmd]
        proc = run_grade(cmd, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "the gradebook is damaged" in proc.stderr and ".recover" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert db.read_bytes() == bytes(raw)  # nothing written into it


def test_6_a_full_disk_mid_batch_stops_cleanly_and_loses_nothing(tmp_path, run_batch, monkeypatch):
    from grader.classroom import gradebook

    folder = _graded(tmp_path, run_batch, students=2)
    for i in range(2, 8):
        write_class(folder, {(f"s{i}", "exercise04.py"): f"# {i}\n" + solution("exercise04")})
    original, calls = gradebook.Gradebook.record, []

    def record(self, key, **kwargs):
        calls.append(key.student)
        if len(calls) > 3:
            with self.transaction():
                self.db.execute("INSERT INTO meta VALUES ('half', 'a write')")
                raise sqlite3.OperationalError("database or disk is full")
        return original(self, key, **kwargs)

    monkeypatch.setattr(gradebook.Gradebook, "record", record)
    with pytest.raises(UsageError, match="disk is full: free some space, then run the same command again"):
        run_batch(folder, db=tmp_path / "grades.db")
    monkeypatch.undo()
    con = sqlite3.connect(tmp_path / "grades.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 2 + 3  # what was committed stays
    assert con.execute("SELECT COUNT(*) FROM meta WHERE key = 'half'").fetchone()[0] == 0  # rolled back
    con.close()
    summary = run_batch(folder, db=tmp_path / "grades.db")
    assert (summary["graded"], summary["up_to_date"]) == (3, 5)


def _mount_tmpfs(folder, size_kb: int) -> bool:
    import os
    import subprocess

    folder.mkdir()
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


def _umount(folder) -> None:
    import subprocess

    subprocess.run(["umount", str(folder)], capture_output=True)


def test_6_a_real_full_disk(tmp_path, run_batch):
    folder = _graded(tmp_path, run_batch, students=2)
    small = tmp_path / "small"
    if not _mount_tmpfs(small, 420):
        pytest.skip("mounting a tiny tmpfs needs root (the simulated full disk above runs everywhere)")
    try:
        (small / "grades.db").write_bytes((tmp_path / "grades.db").read_bytes())
        (small / "pad").write_bytes(b"\0" * 200 * 1024)
        for i in range(2, 30):
            write_class(folder, {(f"s{i}", "exercise04.py"): f"# {i}\n" + solution("exercise04")})
        proc = run_grade(grade_cmd(folder, small / "grades.db"), cwd=tmp_path)
        assert proc.returncode == 2 and "the disk is full" in proc.stderr and "Traceback" not in proc.stderr
        con = sqlite3.connect(small / "grades.db")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        con.close()
        assert kept >= 2
        import subprocess

        subprocess.run(["mount", "-o", "remount,size=16m", str(small)], check=True)  # space freed
        summary = summary_of(run_grade(grade_cmd(folder, small / "grades.db"), cwd=tmp_path))
        assert summary["graded"] + summary["up_to_date"] == 30 and summary["faults"] == 0
    finally:
        _umount(small)


def test_6_a_read_only_gradebook_is_refused_for_writing_and_still_exported(tmp_path, run_batch):
    import os
    import subprocess
    import sys

    folder = _graded(tmp_path, run_batch, students=2)
    ro = tmp_path / "ro"
    if _mount_tmpfs(ro, 2048):
        (ro / "grades.db").write_bytes((tmp_path / "grades.db").read_bytes())
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
    elif os.geteuid() != 0:
        (ro / "grades.db").write_bytes((tmp_path / "grades.db").read_bytes())
        (ro / "grades.db").chmod(0o444)
        ro.chmod(0o555)
    else:
        pytest.skip("root without mount: nothing is read-only to root")
    try:
        before = (ro / "grades.db").read_bytes()
        proc = run_grade(grade_cmd(folder, ro / "grades.db"), cwd=tmp_path)
        assert proc.returncode == 2 and "read-only" in proc.stderr and "Traceback" not in proc.stderr
        exported = run_grade(
            [sys.executable, "-m", "grader.cli", "export", "--db", str(ro / "grades.db"), "--format", "csv"],
            cwd=tmp_path,
        )
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout.splitlines()[0] == "student,exercise04,total" and len(exported.stdout.splitlines()) == 3
        assert (ro / "grades.db").read_bytes() == before
    finally:
        _umount(ro)
        ro.chmod(0o755)


# --------------------------------------------------------------------------- 13. a scheduler without a port


@pytest.mark.parametrize("address", ["localhost", "tcp://localhost", "tcp://10.0.0.5/", "ftp://host:21"])
def test_13_a_scheduler_address_without_a_port_stops_at_once(tmp_path, address):
    folder = write_class(tmp_path / "class", {("s1", "exercise04.py"): solution("exercise04")})
    cmd = grade_cmd(folder, tmp_path / "g.db", "--executor", "dask", "--scheduler", address)
    proc = run_grade(cmd, cwd=tmp_path, timeout=50)  # before the fix: 60 s of waiting, then a traceback
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"--scheduler {address}:" in proc.stderr and ("tcp://HOST:PORT" in proc.stderr)
    assert not (tmp_path / "g.db").exists()  # stopped before the gradebook was touched


def test_13_good_addresses_pass_the_check():
    from grader.classroom import batch
    from grader.classroom.course_config import Secret

    for address in ("tcp://localhost:8786", "localhost:8786", "tls://[::1]:8786", "inproc://x"):
        batch.check_scheduler(batch.Options(EXERCISES, Secret("s", "t"), executor="dask", scheduler=address))


# --------------------------------------------------------------------------- 2. the exercise as it is now


def test_2_a_reverted_exercise_exports_the_grades_of_the_reverted_exercise(tmp_path):
    import shutil

    exercises = tmp_path / "exercises"
    shutil.copytree(EXERCISES, exercises)
    original = (exercises / "exercise04.yaml").read_text(encoding="utf-8")
    folder = write_class(
        tmp_path / "class",
        {("s1", "exercise04.py"): solution("exercise04"), ("s2", "exercise04.py"): wrong("exercise04")},
    )
    db = tmp_path / "grades.db"

    def batch() -> dict:
        cmd = [c if c != str(EXERCISES) else str(exercises) for c in grade_cmd(folder, db)]
        return summary_of(run_grade(cmd, cwd=tmp_path))

    warnings: list[str] = []

    def exported() -> str:
        import sys

        cmd = [sys.executable, "-m", "grader.cli", "export", "--db", str(db), "--format", "csv"]
        proc = run_grade(cmd, cwd=tmp_path)
        warnings.append(proc.stderr)
        return proc.stdout

    assert batch()["graded"] == 2
    before = exported()
    tasks = original.index("tasks:")  # every task worth ten times more: the grades change with the exercise
    changed = original[:tasks] + re.sub(r"score: (\d+)", r"score: \g<1>0", original[tasks:])
    assert changed != original
    (exercises / "exercise04.yaml").write_text(changed, encoding="utf-8")
    assert exported() == before and "exercise04 changed since the last batch" in warnings[-1]  # not yet graded
    assert batch()["graded"] == 2 and exported() != before and "changed" not in warnings[-1]
    (exercises / "exercise04.yaml").write_text(original, encoding="utf-8")  # reverted
    again = batch()
    assert (again["graded"], again["up_to_date"]) == (0, 2)
    assert exported() == before


# --------------------------------------------------------------------------- 10. totals out of the course


def test_10_a_missing_item_counts_zero_out_of_the_course_total(tmp_path):
    import sys

    course = tmp_path / "course.yaml"
    course.write_text("items:\n  exercise05: {deadline: 2026-12-31}\n", encoding="utf-8")  # nobody handed it in
    folder = write_class(
        tmp_path / "class",
        {
            ("s1", "exercise04.py"): solution("exercise04"),
            ("s1", "exercise08.py"): solution("exercise08"),
            ("s2", "exercise04.py"): solution("exercise04"),  # exercise08 missing
        },
    )
    db = tmp_path / "grades.db"
    summary = summary_of(run_grade(grade_cmd(folder, db, "--course", str(course)), cwd=tmp_path))
    from grader.exercise.loader import find_exercise

    top = {i: find_exercise(i, EXERCISES).max_score for i in ("exercise04", "exercise05", "exercise08")}
    assert summary["totals"]["out_of"] == sum(top.values())
    assert summary["items"]["exercise08"]["missing"] == 1 and summary["items"]["exercise05"]["missing"] == 2
    assert summary["totals"]["mean"] == (top["exercise04"] * 2 + top["exercise08"]) / 2
    cmd = [sys.executable, "-m", "grader.cli", "export", "--db", str(db), "--format", "csv", "--course", str(course)]
    rows = list(csv.DictReader(io.StringIO(run_grade(cmd, cwd=tmp_path).stdout)))
    by = {r["student"]: r for r in rows}
    assert list(rows[0]) == ["student", "exercise04", "exercise05", "exercise08", "total"]
    assert by["s2"]["exercise08"] == "" and by["s2"]["exercise05"] == ""  # missing: empty, and 0 in the total
    assert float(by["s2"]["total"]) == top["exercise04"]
    with Gradebook(db) as gb:
        assert export.course_items(gb) == top


# --------------------------------------------------------------------------- 8. one student id


def test_8_the_docs_and_the_sample_class_use_the_same_student_ids():
    from grader.exercise.shipped import sample_class_dir
    from tests.batch.helpers import ROOT

    folders = {p.name for p in sample_class_dir().iterdir() if p.is_dir()}
    manifest = {row["student"] for row in csv.DictReader((sample_class_dir() / "manifest.csv").open(encoding="utf-8"))}
    assert manifest <= folders
    for doc in (ROOT / "README.md", ROOT / "docs" / "quiz.md"):
        named = set(re.findall(r"--student (\w+)", doc.read_text(encoding="utf-8"))) - {"ID", "STUDENT"}
        assert named and named <= folders, (doc.name, named - folders)


def test_8_an_answers_file_names_its_student_as_the_folder_does(tmp_path, run_batch):
    folder = write_class(
        tmp_path / "class",
        {
            ("0012", "quiz01.yaml"): "student: 0012\nanswers: {node_meaning: 3}\n",  # YAML would read octal 10
            ("s7", "quiz01.yaml"): "student: ' s7 '\nanswers: {node_meaning: 3}\n",  # spaces around it
            ("s8", "quiz01.yaml"): "student: s1\nanswers: {node_meaning: 3}\n",  # truly another student's
        },
    )
    run_batch(folder)
    with Gradebook(tmp_path / "grades.db") as gb:
        status = {a.student: a.status for a in gb.attempts()}
    assert status == {"0012": "graded", "s7": "graded", "s8": "error"}


def test_8_a_manifest_row_names_the_folder_whatever_its_case_or_spaces(tmp_path, run_batch):
    folder = write_class(
        tmp_path / "class",
        {("s1", "exercise04.py"): solution("exercise04")},
        manifest=[(" S1", "exercise04", "2026-03-10T00:00:00+09:00")],
    )
    summary = run_batch(folder)
    assert "manifest_without_file" not in summary["problems"]
    with Gradebook(tmp_path / "grades.db") as gb:
        (attempt,) = list(gb.attempts())
    assert (attempt.student, attempt.time_source) == ("s1", "manifest")


def test_8_a_student_draws_the_variant_the_batch_grades():
    from grader.quiz import quizzes

    quiz = quizzes.find_quiz("quiz03", EXERCISES)
    typed = quizzes.draw(quiz, " s2026001", "a-course-secret-0123456789").to_json("en")
    folder = quizzes.draw(quiz, "s2026001", "a-course-secret-0123456789").to_json("en")
    assert typed == folder and typed["student"] == "s2026001"
    with pytest.raises(UsageError, match="not a valid student id"):
        quizzes.draw(quiz, "../etc", "a-course-secret-0123456789")


# --------------------------------------------------------------------------- 12. a notebook with a plot, in a batch


def test_12_the_batch_grades_a_notebook_with_a_plot_cell(tmp_path, run_batch):
    from nbformat.v4 import new_code_cell

    from grader.exercise.loader import find_exercise
    from tests.notebook.helpers import filled_stub
    from tests.notebook.test_student_notebooks import EXERCISE, PLOT

    ex = find_exercise(EXERCISE, EXERCISES)
    nb = filled_stub(EXERCISE)
    nb.cells.insert(len(nb.cells) - 1, new_code_cell(PLOT.replace("FN", ex.tasks[0].function)))
    folder = tmp_path / "class" / "s1"
    folder.mkdir(parents=True)
    (folder / f"{EXERCISE}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    summary = run_batch(tmp_path / "class")
    assert summary["graded"] == 1 and summary["statuses"] == {"graded": 1}
    assert summary["items"][EXERCISE]["full"] == 1
