"""The gradebook on its own: schema and migrations, one transaction per result, idempotent writes."""

from __future__ import annotations

import sqlite3

import pytest

from grader.classroom.gradebook import SCHEMA_VERSION, Gradebook, Key, rows_of
from grader.errors import UsageError

KEY = Key("s1", "exercise04", "c0ffee", "digest", "0.1.0", "secret-id")
VERDICT = {
    "exercise": "exercise04",
    "status": "graded",
    "score": 1.0,
    "max_score": 4.0,
    "tasks": [
        {
            "function": "f",
            "kind": "local_grad",
            "score": 1.0,
            "max_score": 2.0,
            "passed": False,
            "blame": {"node": "yhat", "mistake": "sign_error"},
            "checks": [
                {
                    "point": "public-1",
                    "node": "yhat",
                    "expected": 0.2,
                    "got": -0.2,
                    "ok": False,
                    "mistake": "sign_error",
                    "why": {"code": "wrong"},
                },
                {"point": "hidden-1", "node": "yhat", "expected": None, "got": 0.1, "ok": True, "public": False},
            ],
        }
    ],
}


def record(gb: Gradebook, key: Key = KEY, replace: bool = False, checks=None) -> bool:
    tasks, found = rows_of(VERDICT)
    return gb.record(
        key,
        kind="exercise",
        size=10,
        filename="exercise04.py",
        submitted_at="2026-03-10T00:00:00+00:00",
        time_source="mtime",
        verdict_json="{}",
        status="graded",
        score=1.0,
        max_score=4.0,
        error_kind=None,
        tasks=tasks,
        checks=found if checks is None else checks,
        seconds=0.01,
        batch_id=None,
        replace=replace,
    )


def test_schema_is_versioned_and_migrated_once(tmp_path):
    db = tmp_path / "g.db"
    with Gradebook(db) as gb:
        assert gb.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert gb.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert gb.db.execute("SELECT version FROM migrations").fetchall() == [
            (v,) for v in range(1, SCHEMA_VERSION + 1)
        ]
    with Gradebook(db) as gb:  # reopening applies nothing twice
        assert gb.db.execute("SELECT COUNT(*) FROM migrations").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_gradebook_or_another_file_is_refused(tmp_path):
    db = tmp_path / "g.db"
    Gradebook(db).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(UsageError, match="newer grader"):
        Gradebook(db)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UsageError, match="not a gradebook"):
        Gradebook(junk)
    with pytest.raises(UsageError, match="no gradebook here"):
        Gradebook(tmp_path / "missing.db", create=False)


def test_a_result_is_stored_once_and_replaced_only_when_asked(tmp_path):
    with Gradebook(tmp_path / "g.db") as gb:
        assert record(gb) is True
        assert record(gb) is False  # the same key again: ignored (a concurrent batch got there first)
        assert record(gb, replace=True) is True  # --regrade
        assert gb.counts()["results"] == 1 and gb.counts()["checks"] == 2 and gb.counts()["tasks"] == 1
        assert record(gb, Key("s1", "exercise04", "c0ffee", "new-digest", "0.1.0", "secret-id")) is True
        assert gb.counts()["submissions"] == 1 and gb.counts()["results"] == 2  # history of the exercise's versions
        assert gb.has_result(KEY)
        assert len(gb.graded_keys("0.1.0", "secret-id")) == 2


def test_a_failure_mid_write_leaves_no_half_row(tmp_path):
    with Gradebook(tmp_path / "g.db") as gb:
        with pytest.raises(sqlite3.Error):
            record(gb, checks=[("not", "enough", "columns")])
        assert gb.counts() == {"submissions": 0, "results": 0, "tasks": 0, "checks": 0, "batches": 0}


def test_checks_rows_keep_expected_got_blame_and_mistake(tmp_path):
    with Gradebook(tmp_path / "g.db") as gb:
        record(gb)
        rows = gb.db.execute(
            "SELECT point, node, public, ok, expected, got, mistake FROM checks ORDER BY point"
        ).fetchall()
        task = gb.db.execute("SELECT function, passed, blame_node, blame_mistake FROM tasks").fetchone()
    assert rows == [
        ("hidden-1", "yhat", 0, 1, None, "0.1", None),
        ("public-1", "yhat", 1, 0, "0.2", "-0.2", "sign_error"),
    ]
    assert task == ("f", 0, "yhat", "sign_error")
