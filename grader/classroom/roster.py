"""The class list, ``roster.csv``: who is enrolled, whatever they handed in.

    student,name,email,lms_id,section
    s2026001,"Kim, Minji",minji@example.edu,48213,A
    s2026002,Lee Jun,jun@example.edu,48214,

Only ``student`` is required; ``name`` is how LMS archives name submissions, ``lms_id`` the LMS's
own number for the student (Canvas's user id), ``email`` what Moodle's grade import matches on.
Column names are case-insensitive; ``id``, ``student_id`` and ``sis user id`` also name the student
column, ``canvas_id``/``moodle_id``/``user id`` the LMS column. Extra columns are ignored.

Every mistake stops with ``roster.csv:LINE: COLUMN: what is wrong`` (exit 2): a roster silently
missing a student would give them no grade at all.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import ExerciseError, UsageError

MAX_ROSTER_BYTES = 20_000_000
ALIASES = {
    "student": ("student", "student_id", "student id", "id", "sis user id", "sis_user_id"),
    "name": ("name", "full name", "full_name", "student name"),
    "email": ("email", "e-mail", "email address"),
    "lms_id": ("lms_id", "lms id", "canvas_id", "canvas id", "moodle_id", "user id", "user_id"),
    "section": ("section",),
}
EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""
    lms_id: str = ""
    section: str = ""
    line: int = 0


@dataclass
class Roster:
    path: Path | None
    students: dict[str, Student] = field(default_factory=dict)

    def __contains__(self, student: str) -> bool:
        return student in self.students

    def __iter__(self) -> Iterator[Student]:
        return iter(self.students.values())

    def __len__(self) -> int:
        return len(self.students)

    def ids(self) -> list[str]:
        return list(self.students)

    def by_lms_id(self) -> dict[str, Student]:
        return {s.lms_id: s for s in self if s.lms_id}

    def by_name(self, key: Callable[[str], set[str]]) -> dict[str, list[Student]]:
        """Students under each key ``key`` derives from their name (several when names collide)."""
        found: dict[str, list[Student]] = {}
        for s in self:
            for k in key(s.name) if s.name else ():
                found.setdefault(k, []).append(s)
        return found


def plain(text: str) -> str:
    """A name as people would compare it: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def load_roster(path: Path, normalize: Callable[[str], str]) -> Roster:
    """Read and check a roster; ``normalize`` is the course's one student-id rule."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such roster file") from None
    except OSError as exc:
        raise UsageError(f"{path}: the roster cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_ROSTER_BYTES:
        raise ExerciseError(path, None, "", f"larger than {MAX_ROSTER_BYTES // 1_000_000} MB: not a class list")
    try:
        text = raw.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ExerciseError(path, line, "", f"not UTF-8 text (byte {exc.start}); save the file as CSV UTF-8") from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise ExerciseError(path, None, "", f"not a CSV file ({exc})") from None
    if not rows:
        raise ExerciseError(path, 1, "header", "empty file (expected a header: student,name,email,lms_id)")
    columns = _columns(path, rows[0])
    roster = Roster(path)
    lms_seen: dict[str, int] = {}
    keys: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(rows[0]):
            raise ExerciseError(path, line, "", f"{len(row)} cells, but the header names {len(rows[0])} columns")
        cell = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        student = _student_id(path, line, cell["student"], normalize)
        same = keys.get(student.casefold())
        if same is not None:  # ids equal ignoring case are one student (grader.exercise.ids)
            first = roster.students[same].line
            raise ExerciseError(path, line, "student", f"'{student}' is already on line {first}")
        keys[student.casefold()] = student
        email = cell.get("email", "")
        if email and not EMAIL.fullmatch(email):
            raise ExerciseError(path, line, "email", f"'{email}' is not an email address")
        lms_id = cell.get("lms_id", "")
        if lms_id:
            if lms_id in lms_seen:
                raise ExerciseError(path, line, "lms_id", f"'{lms_id}' is already on line {lms_seen[lms_id]}")
            lms_seen[lms_id] = line
        roster.students[student] = Student(
            student, " ".join(cell.get("name", "").split()), email, lms_id, cell.get("section", ""), line
        )
    return roster


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    names = [" ".join(h.strip().lower().split()) for h in header]
    columns: dict[str, int] = {}
    for key, aliases in ALIASES.items():
        hits = [i for i, n in enumerate(names) if n in aliases]
        if len(hits) > 1:
            raise ExerciseError(path, 1, "header", f"two columns name the {key}: {header[hits[0]]}, {header[hits[1]]}")
        if hits:
            columns[key] = hits[0]
    if "student" not in columns:
        raise ExerciseError(
            path, 1, "header", f"no student column (found: {', '.join(header)}; expected student,name,email,lms_id)"
        )
    return columns


def _student_id(path: Path, line: int, value: str, normalize: Callable[[str], str]) -> str:
    if not value:
        raise ExerciseError(path, line, "student", "empty student id")
    try:
        return normalize(value)
    except (ValueError, UsageError) as exc:
        raise ExerciseError(path, line, "student", str(exc)) from None


def student_id(value: str) -> str:
    """The course's one student-id rule (``grader.exercise.ids``)."""
    from grader.exercise.ids import student_id as one_form

    return one_form(value)


def recorded(gradebook) -> list[Student]:
    """The class list the last ``grade batch`` recorded in the gradebook (``meta roster``), or none."""
    import json

    text = gradebook.meta("roster")
    return [Student(**s) for s in json.loads(text)] if text else []
