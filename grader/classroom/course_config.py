"""The course file, ``course.yaml``: where the secret lives, which attempt counts, deadlines, late penalties.

    name: "Backpropagation, spring 2026"
    secret_file: .grade-secret        # relative to this file; never commit it
    exercises: exercises              # optional: the course's exercise folder, relative to this file
    policy: best                      # best | last: which attempt of a student counts
    timezone: Asia/Seoul              # for deadlines and manifest times written without an offset
    deadline: 2026-03-13T23:59:59     # default deadline of every item (optional)
    late: {penalty_per_day: 0.1, cap: 0.5, grace_minutes: 10, from_file_times: true}
    items:
      exercise01: {deadline: 2026-03-10}           # a date alone means the end of that day
      exercise06: {deadline: 2026-03-12T18:00:00+09:00, penalty_per_day: 0.2}
    roster: roster.csv                # the class list (roster.py), relative to this file
    extensions:                       # per student and item: days added, or a new deadline
      s2026007: {exercise03: 3, exercise04: 2026-03-20}

Deadlines are ISO 8601 dates or date-times only (``20260315`` is an error, not a Unix time). A
late attempt loses ``penalty_per_day`` of the item's maximum score for every started day after
the deadline (and the grace period), at most ``cap`` of it in total; a score never goes below 0.
A file without a manifest.csv row is dated by its modification time unless ``from_file_times: false``.
Errors are reported like the exercises': ``course.yaml:7: late.cap: ...`` (exit code 2).
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, field_validator

from grader.classroom import extensions
from grader.errors import ExerciseError, UsageError
from grader.exercise.loader import dotted, line_of, read_yaml, validate

SECRET_ENV = "GRADE_SECRET"
SECRET_FILE_NAMES = (".grade-secret", "course.secret")
DAY = timedelta(days=1)


Extension = Annotated[int | datetime | date, BeforeValidator(extensions.parse)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LateRule(_Model):
    penalty_per_day: float | None = Field(default=None, ge=0, le=1)  # fraction of the item's maximum
    cap: float | None = Field(default=None, ge=0, le=1)  # the most lateness can take, as a fraction
    grace_minutes: float | None = Field(default=None, ge=0, le=7 * 24 * 60)


ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?")


def _iso(value):
    """A deadline is an ISO 8601 date or date-time; anything else (``20260315``, read by YAML as a
    number, would be a Unix time in 1970) is an error naming the file, line and key."""
    if value is None or isinstance(value, (datetime, date)):
        return value
    if isinstance(value, str) and ISO_TIME.fullmatch(value.strip()):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a valid date or time ({exc})") from None
    raise ValueError(
        f"{value!r} is not an ISO 8601 date or date-time: write 2026-03-15 (the end of that day), "
        "2026-03-15T18:00:00 (the course's time zone) or 2026-03-15T18:00:00+09:00"
    )


Deadline = Annotated[datetime | date | None, BeforeValidator(_iso)]


class CourseLate(LateRule):
    # A file without a manifest.csv row is dated by its modification time; false: such a file is
    # never late (a copied folder carries the copy's time, which would make everyone late).
    from_file_times: bool = True


class ItemRule(LateRule):
    deadline: Deadline = None


class Course(_Model):
    name: str | None = None
    secret_file: str | None = None
    exercises: str | None = None
    roster: str | None = None  # the class list (roster.py), relative to this file
    policy: Literal["best", "last"] = "best"
    timezone: str | None = None
    deadline: Deadline = None
    late: CourseLate = CourseLate()
    items: dict[str, ItemRule] = {}
    extensions: dict[str, dict[str, Extension]] = {}  # student -> item -> days or a new deadline
    lms: dict[str, dict[str, int]] = {}  # canvas: item -> Canvas assignment id (lms_export.py)

    _path: Path | None = PrivateAttr(default=None)
    _lines: dict = PrivateAttr(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone '{value}' (e.g. Asia/Seoul, Europe/Paris, UTC)") from None
        return value

    # ------------------------------------------------------------------ times

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def zone(self) -> tzinfo:
        """The course's time zone; the machine's local zone when the file names none."""
        if self.timezone:
            return ZoneInfo(self.timezone)
        return datetime.now().astimezone().tzinfo or UTC

    def aware(self, when: datetime | date) -> datetime:
        """A time with an offset: naive times are in the course's zone; a date alone is its last second."""
        if not isinstance(when, datetime):
            when = datetime.combine(when, time(23, 59, 59))
        return when if when.tzinfo is not None else when.replace(tzinfo=self.zone)

    def deadline_of(self, item: str, student: str | None = None) -> datetime | None:
        rule = self.items.get(item)
        when = rule.deadline if rule and rule.deadline is not None else self.deadline
        base = self.aware(when) if when is not None else None
        extension = self.extensions.get(student, {}).get(item) if student is not None else None
        return base if extension is None else extensions.extended(base, extension, self.aware)

    def lateness(self, item: str, submitted_at: datetime, student: str | None = None) -> Late:
        """How late an attempt is and what fraction of the item's maximum it loses."""
        deadline = self.deadline_of(item, student)
        if deadline is None:
            return Late(0, 0.0, None)
        rule = self.items.get(item) or ItemRule()
        per_day = _first(rule.penalty_per_day, self.late.penalty_per_day, 0.0)
        cap = _first(rule.cap, self.late.cap, 1.0)
        grace = timedelta(minutes=_first(rule.grace_minutes, self.late.grace_minutes, 0.0))
        over = submitted_at - (deadline + grace)
        if over <= timedelta(0):
            return Late(0, 0.0, deadline)
        days = math.ceil(over / DAY)
        return Late(days, min(cap, per_day * days), deadline)

    def key_release(self, item: str) -> datetime | None:
        """When no later attempt of ``item`` can earn marks any more, so its answers may be shown:
        the deadline plus the grace period, plus the started days after which the late penalty takes
        the whole score. None when that never comes (no deadline, or late attempts keep earning marks:
        no penalty, or a cap below 1). Policy ``last`` does not change it: a later attempt then
        replaces the score, but at 0 it can only lower it. A student's extension of the item moves it
        for everyone: the answers stay hidden until the latest deadline has passed."""
        deadline = self.deadline_of(item)
        extended = [self.deadline_of(item, s) for s, per in self.extensions.items() if item in per]
        deadline = max([d for d in [deadline, *extended] if d is not None], default=None)
        if deadline is None:
            return None
        rule = self.items.get(item) or ItemRule()
        per_day = _first(rule.penalty_per_day, self.late.penalty_per_day, 0.0)
        cap = _first(rule.cap, self.late.cap, 1.0)
        grace = timedelta(minutes=_first(rule.grace_minutes, self.late.grace_minutes, 0.0))
        if per_day <= 0 or cap < 1:
            return None
        return deadline + grace + DAY * (math.ceil(1 / per_day - 1e-9) - 1)

    def keys_released(self, item: str, now: datetime | None = None) -> bool:
        """Whether ``item``'s answers may be shown at ``now`` (default: the current time)."""
        release = self.key_release(item)
        return release is not None and (now or datetime.now(UTC)) > release

    def final_score(
        self,
        item: str,
        raw: float,
        max_score: float,
        submitted_at: datetime,
        time_source: str = "manifest",
        student: str | None = None,
    ) -> tuple[float, Late]:
        late = self.lateness(item, submitted_at, student)
        if time_source == "mtime" and not self.late.from_file_times:
            late = Late(0, 0.0, late.deadline)
        return round(max(0.0, raw - late.fraction * max_score), 4), late

    # ------------------------------------------------------------------ checks needing the course

    def check_items(self, known: set[str]) -> None:
        """Every item named in the file must exist: a misspelt deadline would silently not apply."""
        for item in self.items:
            if item not in known:
                at = ("items", item)
                raise ExerciseError(
                    self._path,
                    line_of(self._lines, at),
                    dotted(at),
                    f"'{item}' is not an exercise or quiz of the course (known: {', '.join(sorted(known)) or 'none'})",
                )
        for student, per_item in self.extensions.items():
            for item, value in per_item.items():
                at = ("extensions", student, item)
                if item not in known:
                    why = f"'{item}' is not an exercise or quiz of the course"
                elif isinstance(value, int) and self.deadline_of(item) is None:
                    why = f"{value} more days, but {item} has no deadline (give a date instead)"
                else:
                    continue
                raise ExerciseError(self._path, line_of(self._lines, at), dotted(at), why)

    def check_students(self, enrolled: set[str]) -> None:
        """An extension for a student who is not on the roster would silently apply to no one."""
        for student in self.extensions:
            if student not in enrolled:
                at = ("extensions", student)
                raise ExerciseError(
                    self._path, line_of(self._lines, at), dotted(at), f"'{student}' is not on the roster"
                )


@dataclass(frozen=True)
class Late:
    days: int  # started days after the deadline and grace period; 0 when on time
    fraction: float  # of the item's maximum score taken away
    deadline: datetime | None


def _first(*values):
    return next(v for v in values if v is not None)


def load_course(path: Path) -> Course:
    data, lines = read_yaml(path)
    if data is None:
        data = {}
    course = validate(Course, data, lines, path)
    course._path = path
    course._lines = lines
    return course


def find_course(explicit: Path | None) -> Course:
    """``--course FILE``, else ``./course.yaml`` if there is one (``grader.exercise.where``), else the
    defaults (policy best, no deadlines)."""
    from grader.exercise.where import course_file

    found = course_file(explicit)
    return load_course(found) if found is not None else Course()


# --------------------------------------------------------------------------- the secret


@dataclass(frozen=True)
class Secret:
    value: str
    source: str  # where it came from, for the summary (never the value)
    warnings: tuple[str, ...] = ()


NO_SECRET = (
    "grade batch needs the course secret: it draws the hidden check points, so that a file that "
    "hard-codes the public answers loses marks. Create one, once per course, in a file you never commit:\n"
    '    python -c "import secrets; print(secrets.token_urlsafe(32))" > .grade-secret\n'
    "then pass --secret-file .grade-secret, or name it in course.yaml (secret_file: .grade-secret), "
    f"or set {SECRET_ENV}. Keep the same secret for the whole course: the gradebook remembers which one it used."
)


def find_secret(secret_file: Path | None, course: Course, environ: dict[str, str] | None = None) -> Secret:
    """``--secret-file``, else ``$GRADE_SECRET``, else course.yaml's ``secret_file``, else a
    ``.grade-secret`` or ``course.secret`` next to course.yaml or in the current folder."""
    env = os.environ if environ is None else environ
    if secret_file is not None:
        return _read_secret(secret_file, f"--secret-file {secret_file}")
    if env.get(SECRET_ENV, "").strip():
        value = env[SECRET_ENV].strip()
        return Secret(value, f"${SECRET_ENV}", _weak(value))
    base = course.path.parent if course.path else Path(".")
    if course.secret_file:
        path = Path(course.secret_file)
        path = path if path.is_absolute() else base / path
        return _read_secret(path, f"{path} (secret_file of {course.path})")
    for folder in dict.fromkeys([base, Path(".")]):
        for name in SECRET_FILE_NAMES:
            if (folder / name).is_file():
                return _read_secret(folder / name, str(folder / name))
    raise UsageError(NO_SECRET)


def _read_secret(path: Path, source: str) -> Secret:
    try:
        raw = path.read_bytes()[:4096]
    except FileNotFoundError:
        raise UsageError(f"{path}: no such secret file\n{NO_SECRET}") from None
    except OSError as exc:
        raise UsageError(f"{path}: the secret file cannot be read ({exc.strerror})") from None
    try:
        value = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the secret file is not text") from None
    if not value:
        raise UsageError(f"{path}: the secret file is empty\n{NO_SECRET}")
    warnings = list(_weak(value))
    try:
        if os.stat(path).st_mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(f"{path} can be read by other users: chmod 600 {path}")
    except OSError:
        pass
    return Secret(value, source, tuple(warnings))


def _weak(value: str) -> tuple[str, ...]:
    if len(value) < 16:
        return (
            f"the course secret is short ({len(value)} characters): students could guess it; use 32 random characters",
        )
    return ()
