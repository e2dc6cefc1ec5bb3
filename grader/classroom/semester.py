"""What the semester's commands need from the course: course.yaml, the items, the time zone, the one
student-id rule, and the class list.

The roster is found by the course context's rule (``grader.classroom.context``), like the course's
other files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from grader.classroom.course_config import Course
from grader.classroom.roster import Roster, student_id


@dataclass
class Semester:
    course: Course
    catalog: object  # grader.classroom.batch.Catalog: kind(item), suggest(name)
    roster: Roster | None
    normalize: Callable[[str], str]

    @property
    def zone(self) -> tzinfo:
        return self.course.zone


def semester(course_file: Path | None, exercises: Path | None, roster_file: Path | None) -> Semester:
    """The course and its class list, by the one rule (``grader.classroom.context``)."""
    from grader.classroom.batch import Catalog
    from grader.classroom.context import context

    ctx = context(exercises, course_file, roster=roster_file)
    return Semester(ctx.course, Catalog(ctx.exercises_dir), ctx.roster, student_id)
