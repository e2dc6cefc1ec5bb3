"""grade collect: LMS archives named as Canvas and Moodle name them, into SUBMISSIONS_DIR and manifest.csv."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.batch.helpers import EXERCISES, batch_env, solution
from tests.classroom.lms import Person, canvas_name, moodle_name, write_roster, write_zip

KIM = Person("s2026001", "Minji", "Kim", 48213)
LEE = Person("s2026002", "Jun", "Lee", 48214)
PARK = Person("s2026003", "Seo-yeon", "Park", 48215)
CLASS = [KIM, LEE, PARK]


def grade(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "grader.cli", *args]
    return subprocess.run(cmd, cwd=cwd, env=batch_env(), capture_output=True, text=True, timeout=120)


def collect(tmp: Path, archive: Path, *extra: str, roster: Path | None = None) -> tuple[int, dict]:
    roster = roster or write_roster(tmp / "roster.csv", CLASS)
    proc = grade(
        tmp, "collect", str(archive), "--roster", str(roster), "--out", str(tmp / "subs"),
        "--exercises", str(EXERCISES), "--json", *extra,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def manifest(tmp: Path) -> dict[tuple[str, str], str]:
    with open(tmp / "subs" / "manifest.csv", encoding="utf-8") as f:
        return {(r["student"], r["item"]): r["submitted_at"] for r in csv.DictReader(f)}


def test_canvas_archive(tmp_path):
    ex = solution("exercise04")
    archive = write_zip(
        tmp_path / "submissions.zip",
        {
            canvas_name(KIM, 9001, "exercise04.py"): ex,
            canvas_name(LEE, 9002, "exercise04.py"): "# first\n" + ex,
            canvas_name(LEE, 9010, "exercise04-1.py", late=True): "# second\n" + ex,  # resubmitted: renamed
            "smithbob_99999_9003_exercise04.py": ex,  # not on the roster
            canvas_name(PARK, 9004, "exercise4.py"): ex,  # misnamed
            "LATE_anon_x7Kp2_9005_exercise04.py": ex,
            "kimminji_48213_text.html": "<p>hi</p>",
        },
    )
    code, s = collect(tmp_path, archive)
    assert code == 1  # something was left out, and said
    assert s["format"] == "canvas"
    assert (tmp_path / "subs/s2026001/exercise04.py").read_text() == ex
    assert (tmp_path / "subs/s2026002/exercise04.py").read_text().startswith("# second")  # newest wins
    assert s["problems"]["resubmission"]["count"] == 1
    assert "exercise04-1.py (newer)" in s["problems"]["resubmission"]["examples"][0]
    assert "99999" in s["problems"]["unknown_student"]["examples"][0]
    assert "did you mean exercise04?" in s["problems"]["unknown_item"]["examples"][0]
    assert s["problems"]["anonymous"]["count"] == 1
    assert s["problems"]["not_a_file"]["count"] == 1
    assert s["marked_late_by_lms"] == 1
    assert s["nothing_from"] == {"count": 1, "examples": ["s2026003"]}
    # no times in a Canvas archive: no manifest rows, the archive's date as the file's time, said so
    assert manifest(tmp_path) == {}
    assert s["times"] == {"from_times_file": 0, "archive_date_only": 2}
    assert "no recorded submission time" in s["problems"]["no_time"]["examples"][0]


def test_canvas_times_from_the_submissions_api(tmp_path):
    archive = write_zip(tmp_path / "s.zip", {canvas_name(KIM, 1, "exercise04.py"): solution("exercise04")})
    times = tmp_path / "times.json"
    times.write_text(json.dumps([{"user_id": 48213, "submitted_at": "2026-03-10T14:59:01Z", "late": False}]))
    code, s = collect(tmp_path, archive, "--times", str(times))
    assert code == 0, s["problems"]
    assert manifest(tmp_path) == {("s2026001", "exercise04"): "2026-03-10T14:59:01+00:00"}
    assert s["times"]["from_times_file"] == 1


def test_moodle_archive_matches_names_either_order(tmp_path):
    ex = solution("exercise05")
    archive = write_zip(
        tmp_path / "moodle.zip",
        {
            moodle_name(KIM, 1201, "exercise05.py"): ex,
            "Lee Jun_1202_assignsubmission_file_/exercise05.py": ex,  # family name first
            "Lee Jun_1202_assignsubmission_onlinetext_/onlinetext.html": "<p>note</p>",
            "Nobody Here_1203_assignsubmission_file_/exercise05.py": ex,
            "Park Seo-yeon_1204_assignsubmission_file_exercise05.py": ex,  # the older flat names
        },
    )
    code, s = collect(tmp_path, archive)
    assert s["format"] == "moodle"
    assert sorted(p.name for p in (tmp_path / "subs").iterdir()) == ["manifest.csv", "s2026001", "s2026002", "s2026003"]
    assert "'Nobody Here'" in s["problems"]["unknown_student"]["examples"][0]
    assert s["problems"]["not_a_file"]["count"] == 1
    assert code == 1


def test_same_name_twice_on_the_roster_is_not_guessed(tmp_path):
    twin = Person("s2026009", "Minji", "Kim", 48299)
    roster = write_roster(tmp_path / "r.csv", [*CLASS, twin])
    archive = write_zip(tmp_path / "m.zip", {moodle_name(KIM, 1, "exercise05.py"): solution("exercise05")})
    code, s = collect(tmp_path, archive, roster=roster)
    assert code == 1
    assert "s2026001, s2026009" in s["problems"]["ambiguous_student"]["examples"][0]
    assert not (tmp_path / "subs/s2026001").exists()


def test_notebooks_and_quiz_answers_are_collected(tmp_path):
    archive = write_zip(
        tmp_path / "s.zip",
        {
            canvas_name(KIM, 1, "exercise04.ipynb"): '{"cells": []}',
            canvas_name(KIM, 2, "quiz01.yml"): "student: s2026001\nanswers: {}\n",
            canvas_name(LEE, 3, "exercise04.txt"): "no",
        },
    )
    code, s = collect(tmp_path, archive)
    assert (tmp_path / "subs/s2026001/exercise04.ipynb").is_file()
    assert (tmp_path / "subs/s2026001/quiz01.yaml").is_file()
    assert "expected exercise04.py or exercise04.ipynb" in s["problems"]["wrong_type"]["examples"][0]


def test_unsafe_entries_are_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../etc/" + canvas_name(KIM, 1, "exercise04.py"), "x")
        zf.writestr("/abs/" + canvas_name(KIM, 2, "exercise04.py"), "x")
        link = zipfile.ZipInfo(canvas_name(LEE, 3, "exercise04.py"))
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr(canvas_name(PARK, 4, "exercise04.py"), b"\0" * (70 * 2**20))  # 70 MB of zeros
        zf.writestr(canvas_name(PARK, 5, "exercise05.py"), b"\0" * (8 * 2**20))  # 8 MB in 8 KB: a bomb
    code, s = collect(tmp_path, archive)
    assert code == 1
    reasons = " | ".join(s["problems"]["refused"]["examples"])
    assert "leaves the archive" in reasons and "absolute path" in reasons
    assert "symbolic link" in reasons and "70 MB uncompressed" in reasons and "a zip bomb?" in reasons
    assert s["files"] == 0
    assert not any(p.is_file() for p in tmp_path.rglob("*.py"))


def test_recollecting_is_idempotent_and_keeps_times(tmp_path):
    archive = write_zip(tmp_path / "s.zip", {canvas_name(KIM, 1, "exercise04.py"): solution("exercise04")})
    times = tmp_path / "times.csv"
    times.write_text("lms_id,submitted_at\n48213,2026-03-10T10:00:00+09:00\n")
    collect(tmp_path, archive, "--times", str(times))
    code, s = collect(tmp_path, archive)
    assert s["unchanged"] == 1 and s["written"] == 0
    assert manifest(tmp_path) == {("s2026001", "exercise04"): "2026-03-10T01:00:00+00:00"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("student,name\ns1,A\ns1,B\n", "r.csv:3: student: 's1' is already on line 2"),
        ("name,email\nA,a@x.org\n", "r.csv:1: header: no student column"),
        ("student,email\ns1,not-an-email\n", "r.csv:2: email: 'not-an-email' is not an email address"),
        ("student,lms_id\ns1,7\ns2,7\n", "r.csv:3: lms_id: '7' is already on line 2"),
        ("student,name\ns 1,A\n", "r.csv:2: student: 's 1' is not a valid student id"),
        ("student\n\xff\n", "r.csv:2: not UTF-8"),
    ],
)
def test_a_bad_roster_is_exit_2_with_file_line_and_column(tmp_path, text, where):
    (tmp_path / "r.csv").write_bytes(text.encode("latin-1"))
    archive = write_zip(tmp_path / "s.zip", {canvas_name(KIM, 1, "exercise04.py"): "x"})
    proc = grade(tmp_path, "collect", str(archive), "--roster", "r.csv", "--exercises", str(EXERCISES))
    assert proc.returncode == 2
    assert where in proc.stderr
    assert "Traceback" not in proc.stderr


def test_not_a_zip_is_exit_2(tmp_path):
    (tmp_path / "x.zip").write_text("hello")
    write_roster(tmp_path / "roster.csv", CLASS)
    proc = grade(tmp_path, "collect", "x.zip", "--exercises", str(EXERCISES))
    assert proc.returncode == 2 and "not a zip archive" in proc.stderr


def test_canvas_by_name_when_the_roster_has_no_lms_ids(tmp_path):
    roster = write_roster(tmp_path / "r.csv", CLASS, lms=False)
    archive = write_zip(
        tmp_path / "s.zip",
        {canvas_name(KIM, 1, "exercise04.py"): solution("exercise04"), "doejane_555_2_exercise04.py": "x"},
    )
    code, s = collect(tmp_path, archive, roster=roster)
    assert (tmp_path / "subs/s2026001/exercise04.py").is_file()
    assert s["matched_by_name"] == 1
    assert "'doejane' (Canvas user 555) is on no roster line (name)" in s["problems"]["unknown_student"]["examples"][0]
    assert code == 1


@pytest.mark.parametrize(
    ("name", "fmt", "fields"),
    [
        ("smithbob_12345_67890_exercise03.py", "canvas", {"who": "smithbob", "uid": "12345", "late": None}),
        ("smithbob_LATE_12345_67890_exercise03-2.py", "canvas", {"late": "LATE", "file": "exercise03-2.py"}),
        ("smithbob_late_12345_67890_exercise03.py", "canvas", {"late": "late", "uid": "12345"}),
        ("LATE_anon_x7Kp2_67890_exercise03.py", "canvas_anonymous", {"anon": "x7Kp2"}),
        ("smithbob_12345_text.html", "canvas_text", {}),
        (
            "Bob Smith_1203_assignsubmission_file_/exercise03.py",
            "moodle",
            {"who": "Bob Smith", "file": "exercise03.py"},
        ),
        ("Bob Smith_1203_assignsubmission_file_exercise03.py", "moodle", {"plugin": "file", "file": "exercise03.py"}),
        ("Bob Smith_1203_assignsubmission_file_/src/exercise03.py", "moodle", {"file": "exercise03.py"}),
        ("s2026001/exercise03.py", "folder", {"who": "s2026001", "file": "exercise03.py"}),
    ],
)
def test_names_as_the_lms_write_them(name, fmt, fields):
    from grader.classroom.intake import parse_name

    found, parsed = parse_name(name)
    assert found == fmt
    assert fields.items() <= parsed.items()


def test_moodle_times_from_the_grading_worksheet(tmp_path):
    archive = write_zip(
        tmp_path / "m.zip",
        {moodle_name(KIM, 1201, "exercise05.py"): solution("exercise05"), moodle_name(LEE, 1202, "exercise05.py"): "x"},
    )
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
        "Last modified (submission),Last modified (grade),Feedback comments\n"
        'Participant 1201,Minji Kim,s2026001@example.edu,Submitted,,3.00,Yes,"Tuesday, 10 March 2026, 9:15 PM",-,\n'
        'Participant 1202,Jun Lee,other@example.edu,Submitted,,3.00,Yes,"Monday, 9 March 2026, 8:05 AM",-,\n'
        "Participant 1203,Seo-yeon Park,s2026003@example.edu,No submission,,3.00,Yes,-,-,\n"
    )
    code, s = collect(tmp_path, archive, "--times", str(sheet), "--course", str(_utc(tmp_path)))
    assert manifest(tmp_path) == {
        ("s2026001", "exercise05"): "2026-03-10T21:15:00+00:00",  # by email
        ("s2026002", "exercise05"): "2026-03-09T08:05:00+00:00",  # by name, the email differing
    }
    sheet.write_text(sheet.read_text().replace("Tuesday, 10 March 2026, 9:15 PM", "2026년 3월 10일"))
    proc = grade(tmp_path, "collect", str(archive), "--roster", "roster.csv", "--times", str(sheet))
    assert proc.returncode == 2 and "worksheet.csv:2: Last modified (submission)" in proc.stderr


def _utc(tmp: Path) -> Path:
    (tmp / "course.yaml").write_text("timezone: UTC\n")
    return tmp / "course.yaml"


def test_two_people_of_one_name_are_not_merged(tmp_path):
    """Moodle matches by name: two accounts named like one roster line give that student no file at all."""
    archive = write_zip(
        tmp_path / "m.zip",
        {
            moodle_name(KIM, 1201, "exercise05.py"): "# the enrolled Minji Kim\n",
            moodle_name(KIM, 1299, "exercise05.py"): "# another Minji Kim, not on the roster\n",
        },
    )
    code, s = collect(tmp_path, archive)
    assert code == 1 and not (tmp_path / "subs/s2026001").exists()
    assert "2 LMS accounts (moodle:1201, moodle:1299)" in s["problems"]["ambiguous_student"]["examples"][0]


def test_a_roster_whose_lms_ids_are_shifted_is_caught(tmp_path):
    shifted = [
        Person(KIM.student, KIM.first, KIM.last, LEE.lms_id),
        Person(LEE.student, LEE.first, LEE.last, KIM.lms_id),
    ]
    roster = write_roster(tmp_path / "r.csv", shifted)
    archive = write_zip(tmp_path / "s.zip", {canvas_name(KIM, 1, "exercise04.py"): solution("exercise04")})
    _, s = collect(tmp_path, archive, roster=roster)
    assert (
        "is s2026002 (Lee, Jun) on the roster, but Canvas calls them 'kimminji'"
        in (s["problems"]["name_differs"]["examples"][0])
    )
