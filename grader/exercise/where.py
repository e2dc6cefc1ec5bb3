"""Where the course's exercises and course.yaml are: one rule for every command (README, "One course").

    course.yaml   --course FILE, else ./course.yaml (or ./course.yml) if there is one
    exercises     --exercises DIR, else $GRADE_EXERCISES, else course.yaml's ``exercises:`` (relative
                  to course.yaml), else ./exercises when it holds exercise files, else the course
                  shipped with the grader

The first that applies is *the* folder: an item that is not in it is not an item of the course
(no silent fallback to another folder's file of the same name). It lives in this wing, below
every loader, so that ``grade submit`` and ``check()`` in Jupyter follow it without the classroom;
``grader.classroom.context`` builds the rest of the course (secret, gradebook, students) on it.
Reading course.yaml's ``exercises:`` key costs a YAML parse only when a course.yaml is there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from grader.errors import ExerciseError, UsageError
from grader.exercise import shipped

ENV = "GRADE_EXERCISES"
COURSE_NAMES = ("course.yaml", "course.yml")


@dataclass(frozen=True)
class Place:
    """A folder, and why it was chosen (for messages: "looked in exercises/ (from $GRADE_EXERCISES)")."""

    path: Path
    source: str

    def __str__(self) -> str:
        return f"{self.path} (from {self.source})"


def course_file(explicit: Path | None = None, cwd: Path | None = None) -> Path | None:
    """``--course FILE`` (which must exist), else ./course.yaml or ./course.yml, else None."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise UsageError(f"{explicit}: no such course file (--course)")
        return Path(explicit)
    base = cwd or Path(".")
    return next((base / n for n in COURSE_NAMES if (base / n).is_file()), None)


def _course_exercises(course: Path) -> Place | None:
    """course.yaml's ``exercises:`` key, relative to course.yaml (the file is validated in full, with
    lines, by ``grader.classroom.course_config``; here only this key is read)."""
    data = _read(course)
    value = data.get("exercises") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        return None
    folder = Path(value)
    folder = folder if folder.is_absolute() else course.parent / folder
    if not folder.is_dir():
        raise UsageError(f"{course}: exercises: {folder} is not a folder")
    return Place(folder, f"exercises: in {course}")


def _read(path: Path):
    import yaml  # here, not above: without a course.yaml no YAML is read (grade submit stays fast)

    try:  # every scalar as text: only one key is wanted, and a bad date elsewhere is course_config's to name
        return yaml.load(path.read_bytes(), Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ExerciseError(path, mark.line + 1 if mark else None, "", "invalid YAML") from None


def has_items(folder: Path) -> bool:
    try:
        return folder.is_dir() and any(folder.glob("*.y*ml"))
    except OSError:
        return False


def exercises(
    explicit: Path | None = None,
    course: Path | None = None,
    environ: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Place:
    """The course's exercise folder under the rule above; ``course`` is course.yaml when already known."""
    env = os.environ if environ is None else environ
    if explicit is not None:
        if not Path(explicit).is_dir():
            raise UsageError(f"--exercises {explicit}: no such folder")
        return Place(Path(explicit), "--exercises")
    if env.get(ENV, "").strip():
        folder = Path(env[ENV].strip())
        if not folder.is_dir():
            raise UsageError(f"${ENV}={folder}: no such folder")
        return Place(folder, f"${ENV}")
    found = _course_exercises(course) if course is not None else None
    if found is None and course is None:
        default = course_file(cwd=cwd)
        found = _course_exercises(default) if default is not None else None
    if found is not None:
        return found
    local = (cwd or Path(".")) / "exercises"
    if has_items(local):
        return Place(local, "./exercises")
    return Place(shipped.exercises_dir(), "the course shipped with the grader")
