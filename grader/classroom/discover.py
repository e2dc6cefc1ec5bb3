"""What is in a submissions folder (SPEC.md, "Submissions for grade batch"), and what is wrong with it.

    SUBMISSIONS_DIR/<student_id>/<exercise_id>.py    (or .ipynb: a Jupyter notebook)
    SUBMISSIONS_DIR/<student_id>/<quiz_id>.yaml
    SUBMISSIONS_DIR/manifest.csv            optional: student,item,submitted_at (ISO 8601)

Nothing here raises for a student's folder: stray files, unknown items, duplicate students,
unreadable files and names that are not ids become ``Problem`` values for the summary. A manifest
that cannot be read or parsed is an instructor error (exit 2, its file, line and column): the
batch stops rather than date its files by their modification time.
"""

from __future__ import annotations

import csv
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from grader.errors import ExerciseError
from grader.exercise.ids import student_id, student_key, valid_student

MANIFEST = "manifest.csv"
IGNORED = {"__MACOSX", "Thumbs.db", "desktop.ini"}
MAX_EXAMPLES = 50


class Catalog(Protocol):
    def kind(self, item: str) -> str | None:
        """'exercise', 'quiz', or None for a name that is not an item of the course."""

    def suggest(self, name: str) -> str | None:
        """The item a mistyped name most likely meant, if one is close."""


@dataclass(frozen=True)
class Found:
    """One submission file: a student's answer to one item."""

    student: str
    item: str
    kind: str  # exercise | quiz
    path: Path
    submitted_at: datetime
    time_source: str  # manifest | mtime


@dataclass
class Problems:
    """Counts and a few examples of each kind of bad input, never the whole list (10,000 strays stay small)."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, message: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < MAX_EXAMPLES:
            shown.append(message)

    def as_dict(self) -> dict:
        return {kind: {"count": n, "examples": self.examples.get(kind, [])} for kind, n in self.counts.items()}


def show(name: str) -> str:
    """A file name safe to print: undecodable bytes and control characters escaped."""
    try:
        raw = os.fsencode(name)  # the bytes on disk, undoing the surrogate escapes of undecodable names
    except UnicodeError:
        raw = name.encode("utf-8", "backslashreplace")
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def discover(folder: Path, catalog: Catalog, zone, skip: set[str], problems: Problems) -> list[Found]:
    """Every submission file, sorted by student then item."""
    rows = read_manifest(folder / MANIFEST, zone, problems)
    times = {(student_key(s), i): (when, line, s) for (s, i), (when, line) in rows.items()}  # ids match ignoring case
    students: dict[str, list[str]] = {}
    for entry in _entries(folder, problems):
        name = entry.name
        if name in skip or name == MANIFEST:
            continue
        if name.startswith(".") or name in IGNORED:
            problems.add("ignored", f"{show(name)}: hidden or system file, skipped")
            continue
        kind = _type(entry)
        if kind == "link":
            problems.add("symlink", f"{show(name)}: a symbolic link, not followed")
        elif kind != "dir":
            problems.add("stray_file", f"{show(name)}: a file at the top level (expected <student>/<item>.py)")
        elif not valid_student(unicodedata.normalize("NFC", name)):  # grader.exercise.ids: the one id
            problems.add("invalid_student_id", f"{show(name)}/: not a valid student id (letters, digits, . _ - @ +)")
        else:
            students.setdefault(student_key(name), []).append(name)
    found: list[Found] = []
    seen_in_folders: set[tuple[str, str]] = set()
    for names in students.values():
        if len(names) > 1:
            listed = ", ".join(show(n) + "/" for n in sorted(names))
            problems.add("duplicate_student", f"{listed}: the same student id in several folders; none graded")
            continue
        name = names[0]
        student = unicodedata.normalize("NFC", name)
        for item_found in _student_files(folder / name, student, catalog, times, problems):
            found.append(item_found)
            seen_in_folders.add((student_key(item_found.student), item_found.item))
    for (key, item), (_, line, student) in sorted(times.items()):
        if (key, item) not in seen_in_folders:
            problems.add("manifest_without_file", f"{MANIFEST}:{line}: {show(student)}, {show(item)}: no such file")
    found.sort(key=lambda f: (f.student, f.item))
    return found


def _entries(folder: Path, problems: Problems) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        problems.add("unreadable", f"{show(str(folder))}/: {exc.strerror}")
        return []


def _type(entry: os.DirEntry) -> str:
    """link, dir, file or other (a pipe, a device), without following links; from the folder listing."""
    try:
        if entry.is_symlink():
            return "link"
        if entry.is_dir(follow_symlinks=False):
            return "dir"
        return "file" if entry.is_file(follow_symlinks=False) else "other"
    except OSError:
        return "other"


def _student_files(folder: Path, student: str, catalog: Catalog, times, problems: Problems):
    entries = _entries(folder, problems)
    if not entries:
        problems.add("empty_folder", f"{show(student)}/: no files")
    items: dict[str, str] = {}
    for entry in entries:
        name = entry.name
        where = f"{show(student)}/{show(name)}"
        if name.startswith(".") or name in IGNORED:
            problems.add("ignored", f"{where}: hidden or system file, skipped")
            continue
        kind = _type(entry)
        if kind == "link":
            problems.add("symlink", f"{where}: a symbolic link, not followed")
            continue
        if kind == "dir":
            problems.add("stray_folder", f"{where}/: a folder inside a student's folder, not looked into")
            continue
        if kind != "file":  # a pipe or a device would block or never end
            problems.add("unreadable", f"{where}: not a regular file")
            continue
        stem, dot, suffix = name.rpartition(".")
        if not dot or suffix not in ("py", "ipynb", "yaml", "yml"):
            problems.add("stray_file", f"{where}: not a .py, .ipynb or .yaml submission")
            continue
        kind = catalog.kind(stem) if stem.isidentifier() else None
        if kind is None:
            close = catalog.suggest(stem)
            problems.add(
                "unknown_item",
                f"{where}: '{show(stem)}' is not an exercise or quiz of the course"
                + (f" (did you mean {close}?)" if close else ""),
            )
            continue
        expected = "py" if kind == "exercise" else "yaml"
        if {"yml": "yaml", "ipynb": "py"}.get(suffix, suffix) != expected:
            problems.add(
                "wrong_type",
                f"{where}: {stem} is {'an' if kind == 'exercise' else 'a'} {kind}; expected {stem}.{expected}",
            )
            continue
        if stem in items:
            problems.add("duplicate_file", f"{where}: {items[stem]} is also there; neither graded")
            items[stem] = ""
            continue
        items[stem] = name
    for stem, name in sorted(items.items()):
        if not name:
            continue
        path = folder / name
        if (student_key(student), stem) in times:
            when, source = times[(student_key(student), stem)][0], "manifest"
        else:
            try:
                when, source = datetime.fromtimestamp(os.stat(path).st_mtime, UTC), "mtime"
            except OSError as exc:
                problems.add("unreadable", f"{show(student)}/{show(name)}: {exc.strerror}")
                continue
        yield Found(student, stem, catalog.kind(stem) or "exercise", path, when, source)


# --------------------------------------------------------------------------- manifest.csv


def read_manifest(path: Path, zone, problems: Problems) -> dict[tuple[str, str], tuple[datetime, int]]:
    """(student, item) -> (time, line). A manifest that cannot be read or parsed stops the batch
    (``ExerciseError``: file, line, column; exit 2): falling back to file times would date copied
    files today and make a whole class late."""
    if not path.exists() and not path.is_symlink():
        return {}
    if not path.is_file():
        raise ExerciseError(path, None, "", "not a regular file (the submission times must be a CSV file)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ExerciseError(path, None, "", f"cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ExerciseError(path, line, "", f"not UTF-8 text (byte {exc.start})") from None
    try:
        rows = list(csv.reader(text.splitlines(), strict=True))
    except csv.Error as exc:
        raise ExerciseError(path, None, "", f"not a CSV file ({exc})") from None
    header = [h.strip().lower() for h in (rows[0] if rows else [])]
    missing = [c for c in ("student", "item", "submitted_at") if c not in header]
    if missing:
        raise ExerciseError(
            path,
            1,
            "header",
            f"missing column(s) {', '.join(missing)} (the header must name student,item,submitted_at)",
        )
    col = {name: header.index(name) for name in ("student", "item", "submitted_at")}
    times: dict[tuple[str, str], tuple[datetime, int]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ExerciseError(path, line, "", f"{len(row)} column(s), expected {len(header)} ({','.join(header)})")
        try:
            student = student_id(row[col["student"]])
        except ValueError as exc:
            raise ExerciseError(path, line, "student", str(exc)) from None
        item, stamp = row[col["item"]].strip(), row[col["submitted_at"]].strip()
        try:
            when = datetime.fromisoformat(stamp)
        except ValueError:
            raise ExerciseError(
                path, line, "submitted_at", f"'{show(stamp)}' is not an ISO 8601 time (2026-03-10T21:14:05+09:00)"
            ) from None
        when = when if when.tzinfo else when.replace(tzinfo=zone)
        key = (student, item)
        if key in times:
            earlier, first = times[key]
            problems.add(
                "manifest",
                f"{MANIFEST}:{line}: {show(student)}, {show(item)} also on line {first}; using the later time",
            )
            when = max(when, earlier)
        times[key] = (when, line)
    return times
