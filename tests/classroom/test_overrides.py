"""grade override: a manual score with a reason, kept in the history, exported, shown, surviving regrades."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.batch.helpers import EXERCISES, SECRET, batch_env, solution, write_class, wrong


def grade(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "grader.cli", *args]
    return subprocess.run(cmd, cwd=cwd, env=batch_env(), capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from grader.classroom import batch
    from grader.classroom.course_config import Course, Secret

    tmp = tmp_path_factory.mktemp("override")
    folder = write_class(
        tmp / "class",
        {("s1", "exercise04.py"): wrong("exercise04"), ("s2", "exercise04.py"): solution("exercise04")},
    )
    opts = batch.Options(folder, Secret(SECRET, "tests"), Course(), tmp / "grades.db", jobs=1, exercises_dir=EXERCISES)
    batch.run(opts)
    return tmp, opts


def csv_rows(tmp: Path) -> dict[str, dict]:
    proc = grade(tmp, "export", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    return {r["student"]: r for r in csv.DictReader(io.StringIO(proc.stdout))}


def override(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return grade(tmp, "override", "--exercises", str(EXERCISES), *args)


def test_override_is_exported_shown_kept_and_cleared(graded):
    from grader.classroom import batch

    tmp, opts = graded
    before = csv_rows(tmp)["s1"]["exercise04"]
    assert before != "1.5"
    proc = override(tmp, "s1", "exercise04", "1.5", "--reason", "sign convention accepted after appeal")
    assert proc.returncode == 0, proc.stderr
    assert "set by" in proc.stderr
    assert csv_rows(tmp)["s1"]["exercise04"] == "1.5"

    lines = [json.loads(x) for x in grade(tmp, "export", "--format", "jsonl").stdout.splitlines()]
    manual = [r for r in lines if r["student"] == "s1" and r["status"] == "override"]
    assert manual and manual[0]["score"] == 1.5 and manual[0]["reason"].startswith("sign convention")
    assert not any(r["selected"] for r in lines if r["student"] == "s1" and r["status"] != "override")

    assert grade(tmp, "export", "--format", "gradescope", "--out", str(tmp / "gs")).returncode == 0
    results = json.loads((tmp / "gs/s1/results.json").read_text())
    assert results["score"] == 1.5 and "set by the instructor: sign convention" in results["output"]

    site = grade(tmp, "site", "--out", str(tmp / "site"), "--lang", "en", "--secret-file", str(_secret(tmp)))
    assert site.returncode == 0, site.stderr
    pages = [p.read_text() for p in (tmp / "site/r").glob("*.html")]
    assert any("sign convention accepted after appeal" in p for p in pages)

    opts.regrade = True  # a regrade of everything leaves the override standing
    batch.run(opts)
    opts.regrade = False
    assert csv_rows(tmp)["s1"]["exercise04"] == "1.5"

    proc = override(tmp, "s1", "exercise04", "--clear", "--reason", "appeal withdrawn")
    assert proc.returncode == 0, proc.stderr
    assert csv_rows(tmp)["s1"]["exercise04"] == before
    history = override(tmp, "s1").stdout.splitlines()
    assert len(history) == 2 and "cleared" in history[1] and "appeal withdrawn" in history[1]


def test_override_of_an_item_never_handed_in(graded):
    from grader.classroom import batch

    tmp, opts = graded
    proc = override(tmp, "s2", "exercise05", "2", "--reason", "submitted on paper")
    assert proc.returncode == 0, proc.stderr
    summary = batch.run(opts)  # the batch's summary counts it, with no attempt behind it
    assert summary["totals"]["students"] == 2
    site = grade(tmp, "site", "--out", str(tmp / "site2"), "--lang", "en", "--secret-file", str(_secret(tmp)))
    assert site.returncode == 0, site.stderr
    assert any("submitted on paper" in p.read_text() for p in (tmp / "site2/r").glob("*.html"))
    lines = [json.loads(x) for x in grade(tmp, "export", "--format", "jsonl").stdout.splitlines()]
    assert {"student": "s2", "item": "exercise05", "score": 2.0, "status": "override"}.items() <= next(
        r for r in lines if r["item"] == "exercise05"
    ).items()
    override(tmp, "s2", "exercise05", "--clear", "--reason", "entered by mistake")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["s1", "exercise04", "99", "--reason", "x"], "exercise04 is worth"),
        (["nobody", "exercise04", "1", "--reason", "x"], "'nobody' is not in the gradebook"),
        (["s1", "exercise4", "1", "--reason", "x"], "did you mean exercise04?"),
        (["s1", "exercise04", "1"], "--reason is required"),
        (["s1", "exercise04", "--reason", "x", "--", "-1"], "0 or more"),
        (["s2", "exercise04", "--clear", "--reason", "x"], "no override in force"),
    ],
)
def test_bad_overrides_are_exit_2(graded, args, message):
    tmp, _ = graded
    proc = override(tmp, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_version_1_gradebook_gains_the_overrides_table(tmp_path):
    from grader.classroom.gradebook import MIGRATIONS, Gradebook

    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);"
        + MIGRATIONS[0][2]
        + "INSERT INTO migrations VALUES (1, 'initial schema', '2026-03-01'); PRAGMA user_version = 1;"
    )
    con.close()
    with Gradebook(db) as gb:
        assert gb.db.execute("PRAGMA user_version").fetchone()[0] >= 2
        assert gb.db.execute("SELECT COUNT(*) FROM overrides").fetchone()[0] == 0


def _secret(tmp: Path) -> Path:
    path = tmp / ".secret"
    path.write_text(SECRET)
    path.chmod(0o600)
    return path
