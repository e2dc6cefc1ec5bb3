"""Grades out of the gradebook: the course's policy and late penalties applied, then CSV, JSON lines, Gradescope.

- ``csv`` (style ``generic``): ``student,<item>...,total``, one row per student, plain decimal points,
  an empty cell where nothing was handed in (an LMS import leaves that grade alone; the total counts
  it as 0). This is the shape Moodle's "Import grades from CSV" maps (identify users by the
  ``student`` column, map each item column to a grade item) and Sakai's gradebook import reads
  (usernames in the first column, headings in the first row, numbers in the others).
  Style ``canvas`` follows the layout of Canvas's own gradebook export: ``Student, ID, SIS User ID,
  SIS Login ID, Section``, then one column per item and a ``Points Possible`` row; the student id
  goes in ``SIS User ID``; no total column (Canvas computes its own).
- ``jsonl``: one line per attempt (SPEC.md), with the policy's pick marked ``selected``.
- ``gradescope``: a ``results.json`` per student following Gradescope's autograder specification
  (top-level ``score`` after late penalties, one test per task with ``score``, ``max_score``,
  ``status``, ``name``, ``number``, ``output``, ``tags``, ``visibility``).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from heapq import merge
from itertools import groupby
from pathlib import Path
from typing import Any, TextIO

from grader.classroom.course_config import Course, Late
from grader.classroom.gradebook import Attempt, Gradebook
from grader.classroom.overrides import Override, in_force
from grader.classroom.roster import recorded
from grader.errors import UsageError

FORMATS = ("csv", "jsonl", "gradescope", "canvas", "moodle")  # the last two: lms_export.py
CSV_STYLES = ("generic", "canvas")
MAX_FAILED_SHOWN = 6
HIDDEN_NOTE = (
    "Checked at the public points and at hidden points drawn with the course secret; answers at "
    "hidden points are not shown."
)
NOTHING_FOUND = (
    "No gradable file was found in this submission: name each file after its exercise "
    "(exercise03.py) or quiz (quiz01.yaml) and submit again."
)


@dataclass(frozen=True)
class Scored:
    attempt: Attempt
    final: float  # after the late penalty
    late: Late


@dataclass(frozen=True)
class Grade:
    """The attempt that counts for one student and item, under the course's policy; or the instructor's
    override (overrides.py), which replaces its score and may stand with no attempt at all."""

    student: str
    item: str
    attempt: Attempt | None
    attempts: int
    final: float
    late: Late
    override: Override | None = None
    points: float = 0.0  # the item's maximum when there is no attempt

    @property
    def max_score(self) -> float:
        return self.attempt.max_score if self.attempt is not None else self.points


def stored_course(gb: Gradebook, explicit: Course | None) -> Course:
    """``explicit`` if given, else the course the last batch ran with, else the defaults."""
    from grader.classroom.context import stored_course as stored

    return explicit if explicit is not None else stored(gb)


def scored(gb: Gradebook, course: Course, student: str | None = None, item: str | None = None) -> Iterator[Scored]:
    for a in gb.attempts(student, item):
        raw = a.score if a.status == "graded" else 0.0
        final, late = course.final_score(
            a.item, raw, a.max_score, datetime.fromisoformat(a.submitted_at), a.time_source, a.student
        )
        yield Scored(a, final, late)


def pick(group: list[Scored], policy: str) -> Scored:
    if policy == "last":
        return group[-1]
    return max(reversed(group), key=lambda s: s.final)  # best; on a tie, the later attempt


def grades(
    gb: Gradebook, course: Course, policy: str | None = None, student: str | None = None, item: str | None = None
) -> Iterator[Grade]:
    """One grade per (student, item), in order, streamed."""
    rule = policy or course.policy
    overrides = {k: o for k, o in in_force(gb).items() if student in (None, k[0]) and item in (None, k[1])}
    attempted = set(gb.db.execute("SELECT DISTINCT student, item FROM submissions")) if overrides else set()
    maxima = course_items(gb) if overrides else {}
    alone = [  # an override of an item the student never handed in: a grade with no attempt
        Grade(who, what, None, 0, o.score, Late(0, 0.0, None), o, maxima.get(what, o.score))
        for (who, what), o in sorted(overrides.items())
        if (who, what) not in attempted
    ]

    def graded() -> Iterator[Grade]:
        for (who, what), group in groupby(
            scored(gb, course, student, item), key=lambda s: (s.attempt.student, s.attempt.item)
        ):
            attempts = list(group)
            chosen = pick(attempts, rule)
            grade = Grade(who, what, chosen.attempt, len(attempts), chosen.final, chosen.late)
            o = overrides.get((who, what))
            yield grade if o is None else replace(grade, final=o.score, override=o)

    yield from merge(graded(), alone, key=lambda g: (g.student, g.item))


def course_items(gb: Gradebook) -> dict[str, float]:
    """The course's items and their maximum scores, in natural order: every item the batches graded
    against or course.yaml lists (``Gradebook.items``) and any other item with a result. A student's
    total is out of their sum; an item a student did not hand in counts 0 and is shown as missing."""
    maxima = gb.item_max_scores()
    for item, info in gb.items().items():
        maxima.setdefault(item, float(info["max_score"]))
    return {item: maxima[item] for item in sorted(maxima, key=natural)}


def changed_since_batch(gb: Gradebook) -> list[str]:
    """Items whose file in the last batch's exercise folder is no longer the one it graded against:
    their grades are for the exercise as it was until ``grade batch`` runs again."""
    folder = gb.meta("exercises")
    if not folder or not Path(folder).is_dir():
        return []
    changed = []
    for item, info in gb.items().items():
        path = next(
            (Path(folder) / f"{item}{s}" for s in (".yaml", ".yml") if (Path(folder) / f"{item}{s}").is_file()), None
        )
        try:
            now = hashlib.sha256(path.read_bytes()).hexdigest() if path else None
        except OSError:
            now = None
        if now != info.get("digest"):
            changed.append(item)
    return changed


def natural(name: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def num(value: float) -> str:
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --------------------------------------------------------------------------- csv


def write_csv(gb: Gradebook, course: Course, out: TextIO, style: str = "generic", policy: str | None = None) -> int:
    """One row per student; returns the number of students written."""
    if style not in CSV_STYLES:
        raise UsageError(f"--csv-style must be one of {', '.join(CSV_STYLES)}, not '{style}'")
    maxima = course_items(gb)  # an item nobody handed in yet is a column too: empty cells, 0 in the total
    items = list(maxima)
    writer = csv.writer(out, lineterminator="\n")
    if style == "canvas":
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *items])
        writer.writerow(["    Points Possible", "", "", "", "", *(num(maxima[i]) for i in items)])
    else:
        writer.writerow(["student", *items, "total"])
    rows, seen = 0, set()
    for student, group in groupby(grades(gb, course, policy), key=lambda g: g.student):
        finals = {g.item: g.final for g in group}
        cells = [num(finals[i]) if i in finals else "" for i in items]
        if style == "canvas":
            writer.writerow([student, "", student, "", "", *cells])
        else:
            writer.writerow([student, *cells, num(sum(finals.values()))])
        rows += 1
        seen.add(student)
    for s in recorded(gb):  # enrolled, nothing graded: a row all the same (roster.py)
        if s.id not in seen:
            blank = [""] * len(items)
            writer.writerow([s.id, "", s.id, "", "", *blank] if style == "canvas" else [s.id, *blank, "0"])
            rows += 1
    return rows


# --------------------------------------------------------------------------- jsonl


def attempt_records(gb: Gradebook, course: Course, policy: str | None = None) -> Iterator[dict[str, Any]]:
    rule = policy or course.policy
    overrides = in_force(gb)
    for key, group in groupby(scored(gb, course), key=lambda s: (s.attempt.student, s.attempt.item)):
        attempts = list(group)
        override = overrides.pop(key, None)
        chosen = None if override else pick(attempts, rule)
        if override:
            yield override_record(override, attempts[-1].attempt.max_score)
        for s in attempts:
            a = s.attempt
            yield {
                "student": a.student,
                "item": a.item,
                "attempt": a.attempt,
                "score": s.final,
                "max_score": a.max_score,
                "status": a.status,
                "submitted_at": a.submitted_at,
                "graded_at": a.graded_at,
                "raw_score": a.score,
                "late_days": s.late.days,
                "late_penalty": round(s.late.fraction * a.max_score, 4),
                "selected": s is chosen,
                "policy": rule,
                "error": a.error_kind,
                "time_source": a.time_source,
                "content_sha256": a.content_sha256,
                "exercise_digest": a.exercise_digest,
                "grader_version": a.grader_version,
                "result_id": a.result_id,
            }
    maxima = course_items(gb) if overrides else {}
    for (_, item), override in sorted(overrides.items()):  # overrides of items never handed in
        yield override_record(override, maxima.get(item, override.score or 0.0))


def override_record(o: Override, max_score: float) -> dict[str, Any]:
    """The instructor's score, as a JSON line beside the attempts (which are then not ``selected``)."""
    return {
        "student": o.student,
        "item": o.item,
        "attempt": None,
        "score": o.score,
        "max_score": max_score,
        "status": "override",
        "submitted_at": None,
        "graded_at": o.set_at,
        "selected": True,
        "policy": "override",
        "reason": o.reason,
        "set_by": o.set_by,
    }


def write_jsonl(gb: Gradebook, course: Course, out: TextIO, policy: str | None = None) -> int:
    lines = 0
    for record in attempt_records(gb, course, policy):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        lines += 1
    return lines


# --------------------------------------------------------------------------- gradescope


def gradescope_results(entries: list[tuple[Grade, dict[str, Any]]]) -> dict[str, Any]:
    """Gradescope's results.json for one student: every item's chosen attempt, one test per task."""
    tests: list[dict[str, Any]] = []
    lines, extra = [], {}
    for n, (g, verdict) in enumerate(entries, start=1):
        manual = f"set by the instructor: {g.override.reason}" if g.override else ""
        if g.attempt is None:
            lines.append(f"{g.item}: {num(g.final)} / {num(g.max_score)}, {manual}")
            extra[g.item] = {"score": g.final, "max_score": g.max_score, "override": g.override.__dict__}
            continue
        tests += _tests(n, g, verdict)
        penalty = round(g.late.fraction * g.max_score, 4)
        line = f"{g.item}: {num(g.final)} / {num(g.max_score)} (attempt {g.attempt.attempt} of {g.attempts})"
        if g.late.days:
            line += f", {g.late.days} day(s) late: -{num(penalty)}"
        lines.append(line + (f"; {manual}" if manual else ""))
        extra[g.item] = {
            "raw_score": g.attempt.score,
            "score": g.final,
            "max_score": g.max_score,
            "late_days": g.late.days,
            "late_penalty": penalty,
            "status": g.attempt.status,
            "attempt": g.attempt.attempt,
            "submitted_at": g.attempt.submitted_at,
            "result_id": g.attempt.result_id,
            "override": g.override.__dict__ if g.override else None,
        }
    return {
        "score": round(sum(g.final for g, _ in entries), 4),
        "output": "\n".join(lines + [HIDDEN_NOTE] * any(v.get("tasks") for _, v in entries)),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"schema": "grade.result/1", "items": extra},
    }


def _tests(n: int, g: Grade, verdict: dict[str, Any]) -> list[dict[str, Any]]:
    if verdict.get("status") == "graded" and verdict.get("questions"):  # a quiz
        return [
            {
                "name": f"{g.item}: {q['id']} ({q['kind']})",
                "number": f"{n}.{j}",
                "score": q["score"],
                "max_score": q["max_score"],
                "status": "passed" if q["passed"] else "failed",
                "output": q.get("message") or "",
                "tags": [g.item, q["kind"]],
                "visibility": "visible",
            }
            for j, q in enumerate(verdict["questions"], start=1)
        ]
    if verdict.get("status") != "graded" or not verdict.get("tasks"):
        error = verdict.get("error") or {}
        text = error.get("message") or error.get("kind") or "could not be graded"
        if error.get("line"):
            text += f" (line {error['line']})"
        return [
            {
                "name": f"{g.item}: the file",
                "number": f"{n}.0",
                "score": 0.0,
                "max_score": g.max_score,
                "status": "failed",
                "output": text,
                "tags": [g.item, error.get("kind") or "error"],
                "visibility": "visible",
            }
        ]
    tests = []
    for j, task in enumerate(verdict["tasks"], start=1):
        tests.append(
            {
                "name": f"{g.item}: {task['function']} ({task['kind']})",
                "number": f"{n}.{j}",
                "score": task["score"],
                "max_score": task["max_score"],
                "status": "passed" if task["passed"] else "failed",
                "output": _task_text(task),
                "tags": [g.item, task["kind"]]
                + ([task["blame"]["mistake"]] if (task.get("blame") or {}).get("mistake") else []),
                "visibility": "visible",
            }
        )
    return tests


def _task_text(task: dict[str, Any]) -> str:
    if task.get("error"):
        return task["error"].get("message") or task["error"].get("kind", "")
    checks = task.get("checks") or []
    failed = [c for c in checks if not c.get("ok")]
    if not failed:
        return f"All {len(checks)} checks passed."
    lines = []
    blame = task.get("blame")
    if blame:
        lines.append(f"First wrong node: {blame['node']}. {blame.get('message') or ''}".strip())
    for c in failed[:MAX_FAILED_SHOWN]:
        where = c["point"] + (f", node {c['node']}" if c.get("node") else "")
        lines.append(f"- {where}: {c.get('message') or 'wrong'}")
    if len(failed) > MAX_FAILED_SHOWN:
        lines.append(f"... and {len(failed) - MAX_FAILED_SHOWN} more failed check(s)")
    lines.append(f"{len(checks) - len(failed)} of {len(checks)} checks passed.")
    return "\n".join(lines)


def write_gradescope(
    gb: Gradebook,
    course: Course,
    out: Path,
    student: str | None = None,
    item: str | None = None,
    policy: str | None = None,
) -> list[Path]:
    """``out`` ending in .json: one student's results.json; otherwise ``out/<student>/results.json`` each."""
    written: list[Path] = []
    single = out.suffix == ".json"
    for who, group in groupby(grades(gb, course, policy, student, item), key=lambda g: g.student):
        entries = [(g, gb.verdict_json(g.attempt.result_id) if g.attempt else {}) for g in group]
        if single and written:
            raise UsageError(
                f"{out}: one results.json holds one student; the gradebook has several "
                "(pass --student ID, or give a folder to --out)"
            )
        target = out if single else out / who / "results.json"
        atomic_write(target, json.dumps(gradescope_results(entries), ensure_ascii=False, indent=1) + "\n")
        written.append(target)
    if single and not written:
        atomic_write(out, json.dumps({"score": 0.0, "output": NOTHING_FOUND, "tests": []}) + "\n")
        written.append(out)
    return written


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[TextIO]:
    """A text file that appears at ``path`` whole when the block ends, or not at all: written to a
    temporary file beside it, then renamed over it (``os.replace``); a failure or a kill mid-way
    leaves the old file as it was."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name to --out")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent}: no such folder for --out")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # as open() would have made it, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: Path, text: str) -> None:
    """Write a complete file or none: Gradescope fails a run whose results.json is malformed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
