"""Manual scores: ``grade override STUDENT ITEM SCORE --reason TEXT``, and ``--clear``.

An override is a row in the gradebook's ``overrides`` table, never an edit of a result: the history
keeps every score set and cleared, with its reason, when and by whom. The latest row of a student and
item is the one in force (a cleared row, score NULL, ends it). Results are keyed by file, exercise,
grader and secret, overrides by student and item, so a regrade changes the graded attempts and
leaves the override standing: the exports and the site show the override's score, with its reason.
"""

from __future__ import annotations

import getpass
import math
from dataclasses import dataclass

from grader.classroom.gradebook import Gradebook, now
from grader.errors import UsageError


@dataclass(frozen=True)
class Override:
    student: str
    item: str
    score: float | None  # None: cleared
    reason: str
    set_at: str
    set_by: str | None


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def set_score(gb: Gradebook, student: str, item: str, score: float | None, reason: str) -> Override:
    """Record an override (``score`` None clears the one in force)."""
    reason = " ".join(reason.split())
    if not reason:
        raise UsageError("--reason is required: say why (it is shown to the student and kept in the history)")
    if score is not None and (not math.isfinite(score) or score < 0):
        raise UsageError(f"the score must be a number of 0 or more, not {score}")
    if score is None and current(gb, student, item) is None:
        raise UsageError(f"{student} {item}: no override in force to clear")
    row = Override(student, item, score, reason, now(), _user())
    with gb.transaction():
        gb.db.execute(
            "INSERT INTO overrides (student, item, score, reason, set_at, set_by) VALUES (?, ?, ?, ?, ?, ?)",
            (row.student, row.item, row.score, row.reason, row.set_at, row.set_by),
        )
    return row


def history(gb: Gradebook, student: str | None = None, item: str | None = None) -> list[Override]:
    where, args = [], []
    for column, value in (("student", student), ("item", item)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    sql = "SELECT student, item, score, reason, set_at, set_by FROM overrides"
    sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY student, item, id"
    return [Override(*row) for row in gb.db.execute(sql, args)]


def in_force(gb: Gradebook) -> dict[tuple[str, str], Override]:
    """The override in force for each (student, item): the latest row, unless it cleared."""
    found: dict[tuple[str, str], Override] = {}
    for o in history(gb):
        found[(o.student, o.item)] = o  # rows come in id order: the last one wins
    return {key: o for key, o in found.items() if o.score is not None}


def current(gb: Gradebook, student: str, item: str) -> Override | None:
    return in_force(gb).get((student, item))
