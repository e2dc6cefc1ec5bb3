"""The gradebook: SQLite, one file (``grades.db``), history kept, safe to kill and to share.

    submissions   one row per distinct file a student handed in for an item (an attempt)
    results       one grading of a submission, for an exercise digest, grader version and secret id;
                  the full Verdict as JSON (schema grade.result/1)
    tasks, checks every task and every check of a result, for analytics (expected, got, blame, mistake)
    batches       one row per `grade batch` run;  meta  key/value (the secret's id, the course policy)
    overrides     every manual score an instructor set or cleared, with its reason (overrides.py)
    migrations    the schema changes applied, mirrored by PRAGMA user_version

Safety: WAL journal, one transaction per result (the submission row, the result, its tasks and
checks commit together or not at all), ``synchronous=NORMAL`` (a killed process loses nothing
committed; only a power cut may lose the last instants), a busy timeout for concurrent writers.
A result is unique per (submission, exercise digest, grader version, secret id): two batches
grading the same file at once store it once (INSERT OR IGNORE); ``--regrade`` replaces it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.grading.verdict import Verdict, from_json

BUSY_MS = 60_000

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL, finished_at TEXT, host TEXT, pid INTEGER,
    submissions_dir TEXT, grader_version TEXT, secret_id TEXT, summary TEXT
);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    item TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('exercise', 'quiz')),
    content_sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    filename TEXT NOT NULL,
    submitted_at TEXT NOT NULL,            -- ISO 8601, UTC
    time_source TEXT NOT NULL CHECK (time_source IN ('manifest', 'mtime')),
    first_seen_at TEXT NOT NULL,
    UNIQUE (student, item, content_sha256)
);
CREATE INDEX submissions_by_item ON submissions (item, student);
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    exercise_digest TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    secret_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('graded', 'error')),
    score REAL NOT NULL,                   -- raw: before any late penalty
    max_score REAL NOT NULL,
    error_kind TEXT,
    graded_at TEXT NOT NULL,
    seconds REAL,
    batch_id INTEGER REFERENCES batches (id),
    verdict TEXT NOT NULL,                 -- JSON, schema grade.result/1
    UNIQUE (submission_id, exercise_digest, grader_version, secret_id)
);
CREATE TABLE tasks (
    result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    function TEXT NOT NULL, kind TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, passed INTEGER NOT NULL,
    error_kind TEXT, blame_node TEXT, blame_mistake TEXT,
    PRIMARY KEY (result_id, position)
);
CREATE TABLE checks (
    result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    task INTEGER NOT NULL,
    point TEXT NOT NULL, node TEXT, public INTEGER NOT NULL, ok INTEGER NOT NULL,
    expected TEXT, got TEXT,               -- JSON; expected is null at hidden points
    mistake TEXT, why TEXT
);
CREATE INDEX checks_by_result ON checks (result_id, task);
""",
    ),
    (
        2,
        "manual score overrides",
        """
CREATE TABLE overrides (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    item TEXT NOT NULL,
    score REAL,                            -- NULL: the override was cleared
    reason TEXT NOT NULL,
    set_at TEXT NOT NULL,
    set_by TEXT
);
CREATE INDEX overrides_by_student ON overrides (student, item, id);
""",
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def iso_utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Key:
    """What makes a stored result valid: the same file, exercise, grader and secret."""

    student: str
    item: str
    content_sha256: str
    exercise_digest: str
    grader_version: str
    secret_id: str


@dataclass(frozen=True)
class Attempt:
    """One attempt and its current result, as the exports and the policy see it."""

    student: str
    item: str
    attempt: int
    submitted_at: str
    time_source: str
    status: str
    score: float
    max_score: float
    error_kind: str | None
    graded_at: str
    result_id: int
    content_sha256: str
    exercise_digest: str
    grader_version: str


class Gradebook:
    def __init__(self, path: Path, *, create: bool = True):
        if not create and not path.is_file():
            raise UsageError(f"{path}: no gradebook here (run `grade batch` first, or pass --db)")
        if path.parent and not path.parent.exists():
            raise UsageError(f"{path.parent}: no such folder for the gradebook")
        self.path = path
        self.read_only = False
        try:
            self.db = self._connect(create)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            self._check()
            if not self.read_only:
                self._wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.execute("PRAGMA foreign_keys = ON")
                self._migrate()
                if create:
                    self._probe_write()
        except GradebookError:
            raise
        except sqlite3.DatabaseError as exc:
            raise GradebookError(path, exc, "cannot be opened") from None

    def _connect(self, create: bool) -> sqlite3.Connection:
        """Read and write; on read-only storage a writer is refused at once and a reader (export, site)
        opens the file immutable (nothing can be writing it there)."""
        folder = self.path.parent if str(self.path.parent) else Path(".")
        writable = os.access(folder, os.W_OK) and (not self.path.exists() or os.access(self.path, os.W_OK))
        if writable:
            return sqlite3.connect(str(self.path), timeout=BUSY_MS / 1000, isolation_level=None)
        if create:
            raise GradebookError(self.path, "a read-only file or folder", "cannot be written")
        self.read_only = True
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?immutable=1", uri=True, isolation_level=None)

    def _check(self) -> None:
        """Refuse a damaged file before anything is read from or written into it (``quick_check``: every
        page and index is sound; about a second per GB)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        rows = [r[0] for r in self.db.execute("PRAGMA quick_check(5)")]
        if rows != ["ok"]:
            raise GradebookError(self.path, " ".join(rows).replace("\n", " ")[:300], "is damaged")

    def _probe_write(self) -> None:
        """A writer learns now, not after grading, that the file or its folder is read-only."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("ROLLBACK")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ schema

    def _wal(self) -> None:
        for _ in range(100):  # switching to WAL needs a moment alone with the file
            try:
                mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() == "wal":
                    return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
            time.sleep(0.05)
        raise UsageError(f"{self.path}: cannot switch the gradebook to WAL mode (a network file system?)")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UsageError(
                f"{self.path}: written by a newer grader (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); upgrade backprop-grader"
            )
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            if version == 0:
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS migrations "
                    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
            for number, name, script in MIGRATIONS:
                if number <= version:
                    continue
                for statement in _statements(script):
                    self.db.execute(statement)
                self.db.execute("INSERT INTO migrations VALUES (?, ?, ?)", (number, name, now()))
                self.db.execute(f"PRAGMA user_version = {number}")

    def transaction(self):
        return _Transaction(self.db)

    # ------------------------------------------------------------------ meta and batches

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value)
            )

    def claim_meta(self, key: str, value: str) -> str:
        """Set ``key`` unless it is set; return the stored value (ours, or the one already there)."""
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))
            return self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def start_batch(self, host: str, pid: int, folder: str, version: str, secret_id: str) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO batches (started_at, host, pid, submissions_dir, grader_version, secret_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (now(), host, pid, folder, version, secret_id),
            )
            return int(cur.lastrowid or 0)

    def finish_batch(self, batch_id: int, summary: dict) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE batches SET finished_at = ?, summary = ? WHERE id = ?",
                (now(), json.dumps(summary, ensure_ascii=False), batch_id),
            )

    # ------------------------------------------------------------------ idempotency

    def graded_keys(self, grader_version: str, secret_id: str) -> dict[tuple[str, str, str, str], tuple[str, str]]:
        """(student, item, content sha256, exercise digest) of every result valid for this grader and
        secret -> (submitted_at, time_source) of its submission."""
        rows = self.db.execute(
            "SELECT s.student, s.item, s.content_sha256, r.exercise_digest, s.submitted_at, s.time_source "
            "FROM results r JOIN submissions s ON s.id = r.submission_id "
            "WHERE r.grader_version = ? AND r.secret_id = ?",
            (grader_version, secret_id),
        )
        return {tuple(r[:4]): (r[4], r[5]) for r in rows}

    def has_result(self, key: Key) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM results r JOIN submissions s ON s.id = r.submission_id "
            "WHERE s.student = ? AND s.item = ? AND s.content_sha256 = ? AND r.exercise_digest = ? "
            "AND r.grader_version = ? AND r.secret_id = ?",
            (key.student, key.item, key.content_sha256, key.exercise_digest, key.grader_version, key.secret_id),
        ).fetchone()
        return row is not None

    def update_times(self, rows: list[tuple[str, str, str, str]]) -> int:
        """The manifest moved already graded attempts, (student, item, sha, submitted_at): follow it
        (late penalties are computed when grades are read, so nothing is regraded)."""
        if not rows:
            return 0
        with self.transaction():
            cur = self.db.executemany(
                "UPDATE submissions SET submitted_at = ?, time_source = 'manifest' "
                "WHERE student = ? AND item = ? AND content_sha256 = ?",
                [(when, student, item, sha) for student, item, sha, when in rows],
            )
            return cur.rowcount

    # ------------------------------------------------------------------ writing one result

    def record(
        self,
        key: Key,
        *,
        kind: str,
        size: int,
        filename: str,
        submitted_at: str,
        time_source: str,
        verdict_json: str,
        status: str,
        score: float,
        max_score: float,
        error_kind: str | None,
        tasks: Iterable[tuple],
        checks: Iterable[tuple],
        seconds: float | None,
        batch_id: int | None,
        replace: bool = False,
    ) -> bool:
        """Store one graded submission in one transaction. False if an equal result was already there."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO submissions (student, item, kind, content_sha256, size, filename, submitted_at, "
                "time_source, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (student, item, content_sha256) DO UPDATE SET "
                "submitted_at = excluded.submitted_at, time_source = 'manifest' "
                "WHERE excluded.time_source = 'manifest'",
                (key.student, key.item, kind, key.content_sha256, size, filename, submitted_at, time_source, now()),
            )
            submission_id = self.db.execute(
                "SELECT id FROM submissions WHERE student = ? AND item = ? AND content_sha256 = ?",
                (key.student, key.item, key.content_sha256),
            ).fetchone()[0]
            identity = (submission_id, key.exercise_digest, key.grader_version, key.secret_id)
            if replace:
                self.db.execute(
                    "DELETE FROM results WHERE submission_id = ? AND exercise_digest = ? "
                    "AND grader_version = ? AND secret_id = ?",
                    identity,
                )
            cur = self.db.execute(
                "INSERT OR IGNORE INTO results (submission_id, exercise_digest, grader_version, secret_id, status, "
                "score, max_score, error_kind, graded_at, seconds, batch_id, verdict) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*identity, status, score, max_score, error_kind, now(), seconds, batch_id, verdict_json),
            )
            if cur.rowcount == 0:
                return False
            result_id = cur.lastrowid
            self.db.executemany(
                "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ((result_id, *t) for t in tasks)
            )
            self.db.executemany(
                "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ((result_id, *c) for c in checks)
            )
            return True

    # ------------------------------------------------------------------ reading

    # ------------------------------------------------------------------ the course's items as graded

    def items(self) -> dict[str, dict[str, Any]]:
        """item -> {"digest", "max_score", "kind"}: each item as the last batch found its file."""
        text = self.meta("items")
        return json.loads(text) if text else {}

    def set_items(self, found: dict[str, dict[str, Any]]) -> None:
        """Remember the items a batch graded against (merged: an item it did not see keeps its entry)."""
        with self.transaction():
            row = self.db.execute("SELECT value FROM meta WHERE key = 'items'").fetchone()
            merged = {**(json.loads(row[0]) if row else {}), **found}
            self.db.execute(
                "INSERT INTO meta VALUES ('items', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (json.dumps(merged, sort_keys=True),),
            )

    def attempts(self, student: str | None = None, item: str | None = None) -> Iterator[Attempt]:
        """Every attempt with its current result, by student, item, then time. The current result is
        the one for the item's exercise as the last batch found it (``items``), so that a change
        reverted is graded by the reverted exercise again; the latest grading only where none is."""
        current = json.dumps({k: v.get("digest") for k, v in self.items().items()})
        where, args = [], [current]
        if student is not None:
            where.append("s.student = ?")
            args.append(student)
        if item is not None:
            where.append("s.item = ?")
            args.append(item)
        sql = f"""
            WITH current AS (
                SELECT r.*, ROW_NUMBER() OVER (
                    PARTITION BY r.submission_id ORDER BY COALESCE(r.exercise_digest = d.value, 0) DESC, r.id DESC
                ) AS rn
                FROM results r JOIN submissions s2 ON s2.id = r.submission_id
                LEFT JOIN json_each(?) d ON d.key = s2.item)
            SELECT s.student, s.item,
                   ROW_NUMBER() OVER (PARTITION BY s.student, s.item ORDER BY s.submitted_at, s.id) AS attempt,
                   s.submitted_at, s.time_source, c.status, c.score, c.max_score, c.error_kind, c.graded_at,
                   c.id, s.content_sha256, c.exercise_digest, c.grader_version
            FROM submissions s JOIN current c ON c.submission_id = s.id AND c.rn = 1
            {"WHERE " + " AND ".join(where) if where else ""}
            ORDER BY s.student, s.item, attempt"""
        for row in self.db.execute(sql, args):
            yield Attempt(*row)

    def verdict(self, result_id: int) -> Verdict:
        row = self.db.execute("SELECT verdict FROM results WHERE id = ?", (result_id,)).fetchone()
        if row is None:
            raise KeyError(result_id)
        return from_json(json.loads(row[0]))

    def verdict_json(self, result_id: int) -> dict[str, Any]:
        return json.loads(self.db.execute("SELECT verdict FROM results WHERE id = ?", (result_id,)).fetchone()[0])

    def task_rows(self, result_ids: list[int]) -> Iterator[tuple]:
        """(item, position, function, passed, what went wrong) for every task of the given results."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS picked (id INTEGER PRIMARY KEY)")
        with self.transaction():
            self.db.execute("DELETE FROM picked")
            self.db.executemany("INSERT OR IGNORE INTO picked VALUES (?)", ((i,) for i in result_ids))
        yield from self.db.execute(
            "SELECT s.item, t.position, t.function, t.passed, COALESCE(t.blame_mistake, t.error_kind) "
            "FROM picked p JOIN tasks t ON t.result_id = p.id JOIN results r ON r.id = p.id "
            "JOIN submissions s ON s.id = r.submission_id"
        )

    def item_max_scores(self) -> dict[str, float]:
        """Every item with a result, and its maximum score (as the last batch found it, else from its
        latest grading)."""
        graded = self._graded_max_scores()
        return {**graded, **{k: v["max_score"] for k, v in self.items().items() if k in graded}}

    def _graded_max_scores(self) -> dict[str, float]:
        rows = self.db.execute(
            "SELECT s.item, r.max_score FROM results r JOIN submissions s ON s.id = r.submission_id "
            "WHERE r.id IN (SELECT MAX(r2.id) FROM results r2 JOIN submissions s2 "
            "ON s2.id = r2.submission_id GROUP BY s2.item)"
        )
        return dict(rows.fetchall())

    def counts(self) -> dict[str, int]:
        return {
            name: self.db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
            for name in ("submissions", "results", "tasks", "checks", "batches")
        }


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (``executescript`` would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer
            buffer = ""
    if buffer.strip():
        raise ValueError(f"an incomplete statement in a migration: {buffer[:80]!r}")


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception (the connection is in autocommit)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if kind is None:
                self.db.execute("COMMIT")
                return
        except sqlite3.DatabaseError as failed:
            kind, exc = type(failed), failed
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.DatabaseError):
                self.db.execute("ROLLBACK")
        if type(exc) in (sqlite3.OperationalError, sqlite3.DatabaseError):  # a full disk, read-only, damaged
            name = self.db.execute("PRAGMA database_list").fetchone()[2] if _alive(self.db) else "the gradebook"
            raise GradebookError(Path(name), exc, "was not written") from None


def _alive(db: sqlite3.Connection) -> bool:
    try:
        db.execute("SELECT 1")
        return True
    except sqlite3.DatabaseError:
        return False


class GradebookError(UsageError):
    """The gradebook cannot be opened, read or written: said plainly (exit 2), never a traceback.
    What was committed before stays; nothing half-written is left (each result is one transaction)."""

    def __init__(self, path: Path, cause, what: str):
        text = str(cause)
        if "full" in text:
            hint = "the disk is full: free some space, then run the same command again (nothing graded is lost)"
        elif "readonly" in text or "read-only" in text or "permission" in text.lower():
            hint = "it is read-only here: use a writable copy (--db), or make the file and its folder writable"
        elif "not a database" in text:
            what, hint = "cannot be opened: it is not a gradebook (not an SQLite file)", "is --db the right file?"
        elif what == "is damaged" or "malformed" in text:
            what = "is damaged"
            hint = (
                "nothing was written to it. Restore it from a backup, or salvage it with "
                f"`sqlite3 {path} .recover | sqlite3 recovered.db` and pass --db recovered.db"
            )
        else:
            hint = "nothing was written to it"
        super().__init__(f"{path}: the gradebook {what} ({text}): {hint}")


# --------------------------------------------------------------------------- rows from a verdict


def rows_of(verdict: dict[str, Any]) -> tuple[list[tuple], list[tuple]]:
    """The tasks and checks rows of a verdict in its JSON form (computed by the worker that graded it)."""
    tasks, checks = [], []
    for position, q in enumerate(verdict.get("questions") or []):  # a quiz: one task and one check per question
        wrong = None if q.get("passed") else q.get("status")
        tasks.append(
            (position, q["id"], q["kind"], q["score"], q["max_score"], int(bool(q.get("passed"))), None, None, wrong)
        )
        checks.append(
            (
                position,
                "answer",
                None,
                1,
                int(bool(q.get("passed"))),
                _json(q.get("expected")),
                _json(q.get("got")),
                wrong,
                (q.get("why") or {}).get("code"),
            )
        )
    for position, task in enumerate(verdict.get("tasks") or []):
        blame = task.get("blame") or {}
        error = task.get("error") or {}
        tasks.append(
            (
                position,
                task["function"],
                task["kind"],
                task["score"],
                task["max_score"],
                int(bool(task["passed"])),
                error.get("kind"),
                blame.get("node"),
                blame.get("mistake"),
            )
        )
        for check in task.get("checks") or []:
            why = check.get("why") or {}
            checks.append(
                (
                    position,
                    check["point"],
                    check.get("node"),
                    int(bool(check.get("public", True))),
                    int(bool(check["ok"])),
                    _json(check.get("expected")),
                    _json(check.get("got")),
                    check.get("mistake"),
                    why.get("code"),
                )
            )
    return tasks, checks


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
