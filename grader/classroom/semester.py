"""What the semester's commands need from the course: course.yaml, the items, the time zone, the one
student-id rule, and the class list.

The roster is found like the course's other files: ``--roster FILE``, else course.yaml's ``roster:``
(relative to course.yaml), else ``./roster.csv`` when there is one; without any, a command knows only
the students who handed something in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from grader.classroom.course_config import Course
from grader.classroom.roster import Roster, load_roster, student_id

DEFAULT_ROSTER = Path("roster.csv")


@dataclass
class Semester:
    course: Course
    catalog: object  # grader.classroom.batch.Catalog: kind(item), suggest(name)
    roster: Roster | None
    normalize: Callable[[str], str]

    @property
    def zone(self) -> tzinfo:
        return self.course.zone


def roster_path(course: Course, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    if course.roster:
        path = Path(course.roster)
        return path if path.is_absolute() or course.path is None else course.path.parent / path
    return DEFAULT_ROSTER if DEFAULT_ROSTER.is_file() else None


def find_roster(course: Course, explicit: Path | None = None) -> Roster | None:
    path = roster_path(course, explicit)
    return load_roster(path, student_id) if path is not None else None


def semester(course_file: Path | None, exercises: Path | None, roster_file: Path | None) -> Semester:
    """The course by the one rule (``grader.classroom.context``), with its class list."""
    from grader.classroom.batch import Catalog
    from grader.classroom.context import context

    ctx = context(exercises, course_file)
    course = ctx.course
    return Semester(course, Catalog(ctx.exercises_dir), find_roster(course, roster_file), student_id)
