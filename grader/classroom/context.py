"""The course as every command sees it: one object, one rule for each of its files (README, "One course").

    exercises    --exercises DIR, else $GRADE_EXERCISES, else course.yaml's exercises:, else
                 ./exercises (when it holds exercise files), else the shipped course (grader.exercise.where)
    course.yaml  --course FILE, else ./course.yaml; a command that reads a gradebook without either
                 uses the course its last batch ran with
    secret       --secret-file FILE, else $GRADE_SECRET, else course.yaml's secret_file:, else
                 .grade-secret or course.secret beside course.yaml, else in the current folder
    gradebook    --db FILE, else ./grades.db
    roster       --roster FILE, else course.yaml's roster: (relative to course.yaml), else ./roster.csv
                 when there is one; without any, only the students who handed something in are known
    students     the roster's, the folders of SUBMISSIONS_DIR, the rows of its manifest.csv and the
                 gradebook's, each id in the one form of ``grader.exercise.ids``

Commands build it from their options (``context(...)``) and ask it; nothing else looks for these
files. The course file is parsed once, on first use (pydantic loads only then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.classroom.course_config import NO_SECRET, Course, Secret, find_secret, load_course
from grader.errors import UsageError
from grader.exercise import where
from grader.exercise.ids import valid_student

DEFAULT_DB = Path("grades.db")
DEFAULT_ROSTER = Path("roster.csv")


@dataclass
class Context:
    exercises: where.Place
    course_path: Path | None
    db: Path = DEFAULT_DB
    secret_file: Path | None = None
    environ: dict[str, str] | None = None
    _explicit: Path | None = None  # --exercises, for re-applying the rule with the stored course
    _course: Course | None = field(default=None, repr=False)
    roster_file: Path | None = None  # --roster
    _roster: Any = field(default=False, repr=False)  # False: not looked for yet

    @property
    def exercises_dir(self) -> Path:
        return self.exercises.path

    @property
    def course(self) -> Course:
        """course.yaml as found by the rule, or the defaults (policy best, no deadlines)."""
        if self._course is None:
            self._course = load_course(self.course_path) if self.course_path else Course()
        return self._course

    def course_for(self, gradebook) -> Course:
        """For commands that read a gradebook: the course file if there is one, else the course its last
        batch ran with (``grade batch`` stores it), else the defaults."""
        if self.course_path is not None:
            return self.course
        crs = stored_course(gradebook)
        if crs.path is not None and crs.path.is_file():  # its exercises: key applies, as in the batch
            self.exercises = where.exercises(self._explicit, crs.path, self.environ)
        return crs

    def secret(self, course: Course | None = None) -> Secret:
        """The course secret under the rule; ``UsageError`` (how to make one) when there is none."""
        return find_secret(self.secret_file, course or self.course, self.environ)

    def secret_or_none(self, course: Course | None = None) -> Secret | None:
        """The secret, or None when none is set up anywhere (a student practising a quiz); a named
        secret file that is missing or unreadable is still an error."""
        try:
            return self.secret(course)
        except UsageError as exc:
            if str(exc) == NO_SECRET:
                return None
            raise

    @property
    def roster_path(self) -> Path | None:
        """Where the class list is under the rule, or None when there is none."""
        if self.roster_file is not None:
            return self.roster_file
        if self.course.roster:
            path = Path(self.course.roster)
            return path if path.is_absolute() or self.course.path is None else self.course.path.parent / path
        return DEFAULT_ROSTER if DEFAULT_ROSTER.is_file() else None

    @property
    def roster(self):
        """The class list (``grader.classroom.roster.Roster``), read once; None when there is none.
        A roster with a mistake stops with its file, line and column."""
        if self._roster is False:
            from grader.classroom.roster import load_roster, student_id

            path = self.roster_path
            self._roster = load_roster(path, student_id) if path is not None else None
        return self._roster

    def students(self, submissions: Path | None = None, gradebook=None) -> list[str]:
        """Every student id known: the roster's, SUBMISSIONS_DIR's folders and manifest rows, and the gradebook's."""
        from grader.classroom.discover import MANIFEST, Problems, read_manifest

        found: set[str] = set(self.roster.ids()) if self.roster is not None else set()
        if submissions is not None and submissions.is_dir():
            found |= {p.name for p in submissions.iterdir() if p.is_dir() and valid_student(p.name)}
            found |= {s for s, _ in read_manifest(submissions / MANIFEST, self.course.zone, Problems())}
        if gradebook is not None:
            found |= {row[0] for row in gradebook.db.execute("SELECT DISTINCT student FROM submissions")}
        return sorted(found)

    def describe(self) -> dict[str, Any]:
        """Where each file was found, for summaries and ``--json`` (never the secret itself)."""
        return {
            "exercises": str(self.exercises.path),
            "exercises_from": self.exercises.source,
            "course": str(self.course_path) if self.course_path else None,
            "db": str(self.db),
        }


def context(
    exercises: Path | None = None,
    course: Path | None = None,
    secret_file: Path | None = None,
    db: Path | None = None,
    environ: dict[str, str] | None = None,
    roster: Path | None = None,
) -> Context:
    """The course from a command's options (each may be None: the rule decides)."""
    course_path = where.course_file(course)
    place = where.exercises(exercises, course_path, environ)
    return Context(place, course_path, db or DEFAULT_DB, secret_file, environ, exercises, roster_file=roster)


def stored_course(gradebook) -> Course:
    """The course the last batch ran with (its file's path too, for a secret_file relative to it)."""
    text = gradebook.meta("course")
    if not text:
        return Course()
    crs = Course.model_validate_json(text)
    path = gradebook.meta("course_path")
    if path:
        crs._path = Path(path)
    return crs


def remember_course(gradebook, course: Course) -> None:
    """Stored by ``grade batch`` for the commands that come after it."""
    gradebook.set_meta("course", course.model_dump_json())
    gradebook.set_meta("course_path", str(course.path.resolve()) if course.path else "")
