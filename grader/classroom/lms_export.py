"""Grade files an LMS imports as they are: every enrolled student, every item, one row each.

``canvas`` (Canvas: Grades > Import): the layout of Canvas's own gradebook export,

    Student,ID,SIS User ID,SIS Login ID,Section,exercise01,exercise02
        Points Possible,,,,,6,3
    "Kim, Minji",48213,s2026001,,A,6,2.5

``ID`` is Canvas's user id (the roster's ``lms_id``), which Canvas matches first; ``SIS User ID``
the student id. An item column is headed by the item's id, or by ``Name (12345)`` when course.yaml
maps it to a Canvas assignment (``lms: {canvas: {exercise01: 12345}}``), which is how Canvas's own
export heads the columns it updates.

``moodle`` (Moodle: Grades > Import > CSV file): ``ID number,Email address,Full name`` and one column
per item; map "ID number" (or "Email address") to the user field of the same name, and each item
column to its grade item.

A cell holds the score that counts (policy, late penalties, extensions, overrides). An enrolled
student with nothing for an item gets 0 once the item's deadline (with their extension) has passed,
or when it has none; before it, the cell is empty. Students graded but not on the roster are left
out and counted (the LMS would not know them).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import TextIO

from grader.classroom.course_config import Course
from grader.classroom.export import course_items, grades, num
from grader.classroom.gradebook import Gradebook
from grader.classroom.roster import Roster, Student, recorded

STYLES = ("canvas", "moodle")


@dataclass(frozen=True)
class Written:
    rows: int
    missing: int  # cells set to 0: enrolled, nothing handed in, deadline passed
    not_due: int  # cells left empty: nothing yet, deadline ahead
    not_on_roster: list[str]


def enrolled(gb: Gradebook, roster: Roster | None) -> list[Student]:
    """The class: ``roster`` if given, else the one the last batch recorded (``meta roster``)."""
    return list(roster) if roster is not None else recorded(gb)


def write_lms(
    gb: Gradebook,
    course: Course,
    out: TextIO,
    style: str,
    roster: Roster | None = None,
    policy: str | None = None,
    now: datetime | None = None,
) -> Written:
    students = enrolled(gb, roster)
    if not students:
        from grader.errors import UsageError

        raise UsageError(
            f"--format {style} needs the class list: pass --roster roster.csv, or run grade batch with one "
            "(course.yaml's roster:, or ./roster.csv)"
        )
    now = now or datetime.now(UTC)
    maxima = course_items(gb)
    items = list(maxima)
    finals = {who: {g.item: g.final for g in group} for who, group in groupby(grades(gb, course, policy), _student)}
    writer = csv.writer(out, lineterminator="\n")
    headers = [_header(course, i, style) for i in items]
    if style == "canvas":
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *headers])
        writer.writerow(["    Points Possible", "", "", "", "", *(num(maxima[i]) for i in items)])
    else:
        writer.writerow(["ID number", "Email address", "Full name", *headers])
    missing = not_due = 0
    for s in students:
        mine = finals.get(s.id, {})
        cells = []
        for item in items:
            if item in mine:
                cells.append(num(mine[item]))
                continue
            deadline = course.deadline_of(item, s.id)
            due = deadline is None or deadline <= now
            cells.append("0" if due else "")
            missing += due
            not_due += not due
        if style == "canvas":
            writer.writerow([s.name or s.id, s.lms_id, s.id, "", s.section, *cells])
        else:
            writer.writerow([s.id, s.email, s.name, *cells])
    known = {s.id for s in students}
    return Written(len(students), missing, not_due, sorted(set(finals) - known))


def _student(g) -> str:
    return g.student


def _header(course: Course, item: str, style: str) -> str:
    ids = (course.lms or {}).get(style, {})
    return f"{item} ({ids[item]})" if item in ids else item
