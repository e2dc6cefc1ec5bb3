"""``grade collect``: an LMS's "download all submissions" archive into ``SUBMISSIONS_DIR``.

    Canvas   smithbob_48213_90210_exercise03.py          <sortable name>_<user id>_<file id>_<file name>
             smithbob_LATE_48213_90211_exercise03-1.py   LATE: after Canvas's due date; -1: renamed by
                                                         Canvas because an earlier upload had that name
             LATE_anon_x7Kp2_90212_exercise03.py         anonymous grading: no one to match, reported
    Moodle   Bob Smith_1203_assignsubmission_file_/exercise03.py   (a folder per student, Moodle >= 3.1)
             Bob Smith_1203_assignsubmission_file_exercise03.py    (the older flat names)
    folder   s2026001/exercise03.py                      already our layout (a zip of a submissions folder)

Canvas's user id is matched against the roster's ``lms_id``; by the name only when the roster has
no LMS ids at all. Moodle's number is a per-assignment participant number, so Moodle names are
matched on the roster's ``name`` (in either order). A name on no roster line, or on two, is reported,
never guessed. Of several files for one student and item the newest counts (Canvas's file id, else
the archive's date) and the others are reported.

Submission times: neither archive records them. Canvas dates every entry when it builds the zip;
Moodle dates an entry by when its content was first stored on the server, in the server's local
time. So ``manifest.csv`` gets a time only from ``--times`` (Canvas's Submissions API JSON, or a CSV
with ``submitted_at``); every other file keeps the archive's date as its modification time, which
``grade batch`` then uses and reports as such.

Safety: nothing of an entry's name reaches the file system (targets are ``<student>/<item>.<ext>``
built from the roster and the course), links and encrypted entries are refused, and every entry is
read with a bound (``MAX_ENTRY_BYTES``; a compression ratio past ``MAX_RATIO`` is a zip bomb).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from grader.classroom.discover import Catalog, Problems, show
from grader.classroom.roster import Roster, Student, plain
from grader.errors import UsageError

MAX_ENTRY_BYTES = 64 * 1024 * 1024  # a notebook with its outputs (grader.notebook.grade's own limit)
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_ENTRIES = 200_000
MAX_RATIO = 200  # uncompressed / compressed, for entries over a megabyte
IGNORED = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
SUFFIXES = {"exercise": ("py", "ipynb"), "quiz": ("yaml", "yml")}

CANVAS_ANON = re.compile(r"(?:LATE_)?anon_(?P<anon>[A-Za-z0-9]+)_(?P<file_id>\d+)_(?P<file>.+)")
CANVAS = re.compile(r"(?P<who>.+?)(?:_(?P<late>LATE|late))?_(?P<uid>\d+)_(?P<file_id>\d+)_(?P<file>.+)")
CANVAS_TEXT = re.compile(r"(?P<who>.+?)(?:_(?:LATE|late))?_(?P<uid>\d+)_(?:text|link)\.html")
MOODLE = re.compile(
    r"(?P<who>[^/]+)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?:/(?P<path>.+)|(?P<flat>[^/]+))"
)
RENAMED = re.compile(r"(?P<base>.+)-(?P<n>\d+)")


@dataclass(frozen=True)
class Entry:
    """One file of the archive (or of an unpacked folder)."""

    name: str  # '/'-separated, as stored
    size: int
    compressed: int
    date: datetime | None  # naive: the archive's local time
    read: Callable[[int], bytes]  # at most n bytes


@dataclass(frozen=True)
class Candidate:
    student: Student
    item: str
    suffix: str
    entry: Entry
    order: tuple  # larger is newer
    lms_late: bool
    renamed: bool
    account: str = ""  # the LMS's number for whoever handed it in (Canvas user, Moodle participant)


@dataclass
class Collected:
    """What ``collect`` did, for the summary (``as_dict``)."""

    archive: str
    out: str
    format: str = "unknown"
    entries: int = 0
    written: int = 0
    unchanged: int = 0
    students: set[str] = field(default_factory=set)
    items: set[str] = field(default_factory=set)
    timed: int = 0
    untimed: int = 0
    marked_late: int = 0
    matched_by_name: int = 0
    problems: Problems = field(default_factory=Problems)

    def as_dict(self, roster: Roster) -> dict:
        nothing = [s for s in roster.ids() if s not in self.students]
        return {
            "archive": self.archive,
            "out": self.out,
            "format": self.format,
            "entries": self.entries,
            "files": self.written + self.unchanged,
            "written": self.written,
            "unchanged": self.unchanged,
            "students": len(self.students),
            "roster": len(roster),
            "nothing_from": {"count": len(nothing), "examples": nothing[:20]},
            "items": sorted(self.items),
            "times": {"from_times_file": self.timed, "archive_date_only": self.untimed},
            "marked_late_by_lms": self.marked_late,
            "matched_by_name": self.matched_by_name,
            "problems": self.problems.as_dict(),
        }


# --------------------------------------------------------------------------- reading the archive


@contextlib.contextmanager
def opened(archive: Path, problems: Problems) -> Iterator[Iterator[Entry]]:
    """Every regular file of a zip archive or a folder, while it is open; unsafe entries are reported and skipped."""
    if archive.is_dir():
        yield _folder_entries(archive, problems)
        return
    try:
        zf = zipfile.ZipFile(archive)
    except FileNotFoundError:
        raise UsageError(f"{archive}: no such archive") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{archive}: not a zip archive ({exc})") from None
    with zf:
        yield _zip_entries(archive, zf, problems)


def _zip_entries(archive: Path, zf: zipfile.ZipFile, problems: Problems) -> Iterator[Entry]:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise UsageError(f"{archive}: {len(infos)} entries, more than {MAX_ENTRIES}: not a class's submissions")
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        why = _unsafe(info)
        if why:
            problems.add("refused", f"{show(info.filename)}: {why}")
            continue
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UsageError(f"{archive}: more than {MAX_TOTAL_BYTES // 1024**3} GB uncompressed: refused")
        yield Entry(info.filename, info.file_size, info.compress_size, datetime(*info.date_time), _reader(zf, info))


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    if ".." in parts or "\x00" in name:
        return "a path that leaves the archive"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > MAX_ENTRY_BYTES:
        return f"{info.file_size // 2**20} MB uncompressed, more than {MAX_ENTRY_BYTES // 2**20} MB"
    if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return f"compressed {info.file_size // max(info.compress_size, 1)}:1 (a zip bomb?)"
    return None


def _reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        with zf.open(info) as handle:  # the declared size is not trusted: read with a bound
            return handle.read(limit)

    return read


def _folder_entries(folder: Path, problems: Problems) -> Iterator[Entry]:
    for root, dirs, files in os.walk(folder):  # links to folders are not followed
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            try:
                info = path.lstat()
            except OSError as exc:
                problems.add("refused", f"{show(rel)}: {exc.strerror}")
                continue
            if not stat.S_ISREG(info.st_mode):
                problems.add("refused", f"{show(rel)}: not a regular file (a link, a pipe, a device)")
                continue
            if info.st_size > MAX_ENTRY_BYTES:
                problems.add("refused", f"{show(rel)}: more than {MAX_ENTRY_BYTES // 2**20} MB")
                continue
            when = datetime.fromtimestamp(info.st_mtime)

            def read(limit: int, path: Path = path) -> bytes:
                with open(path, "rb") as handle:
                    return handle.read(limit)

            yield Entry(rel, info.st_size, info.st_size, when, read)


# --------------------------------------------------------------------------- names to students and items


class Matcher:
    """Who an archive's name stands for, by the roster; ``None`` with a reason when it is no one for sure."""

    def __init__(self, roster: Roster, normalize: Callable[[str], str]):
        self.roster, self.normalize = roster, normalize
        self.lms = roster.by_lms_id()
        self.canvas_names = roster.by_name(canvas_keys)
        self.full_names = roster.by_name(name_keys)

    def canvas(self, who: str, uid: str) -> tuple[Student | None, str]:
        if uid in self.lms:
            return self.lms[uid], "lms_id"
        if self.lms:
            return None, f"Canvas user {uid} ({who}) is on no roster line (lms_id)"
        return self._by_name(self.canvas_names, who, f"'{who}' (Canvas user {uid})")

    def moodle(self, who: str) -> tuple[Student | None, str]:
        return self._by_name(self.full_names, plain(who), f"'{who}'")

    def folder(self, name: str) -> tuple[Student | None, str]:
        try:
            student = self.normalize(name)
        except ValueError:
            return None, f"'{name}' is not a student id"
        if student in self.roster:
            return self.roster.students[student], "id"
        return None, f"'{student}' is not on the roster"

    @staticmethod
    def _by_name(index: dict[str, list[Student]], key: str, shown: str) -> tuple[Student | None, str]:
        found = {s.id: s for s in index.get(key, [])}
        if len(found) == 1:
            return next(iter(found.values())), "name"
        if found:
            return None, f"{shown} matches several roster lines: {', '.join(sorted(found))}"
        return None, f"{shown} is on no roster line (name)"


def name_keys(name: str) -> set[str]:
    """A full name as Moodle may write it: given names first or family name first."""
    if "," in name:
        last, _, first = name.partition(",")
        words = (first + " " + last).split()
    else:
        words = name.split()
    if not words:
        return set()
    return {plain(" ".join(words)), plain(" ".join(words[-1:] + words[:-1]))}


def canvas_keys(name: str) -> set[str]:
    """Canvas's file-name form of a name: its sortable name ("Smith, Bob"), lower case, word characters only."""
    return {re.sub(r"[\W_]", "", key) for key in name_keys(name)} - {""}


def parse_name(name: str) -> tuple[str, dict] | None:
    """(format, fields) of an archive's entry name, or None when no LMS names files this way."""
    base = name.rsplit("/", 1)[-1]
    if "/" not in name:
        if CANVAS_TEXT.fullmatch(base):
            return "canvas_text", {}
        m = CANVAS_ANON.fullmatch(base)
        if m:
            return "canvas_anonymous", m.groupdict()
        m = CANVAS.fullmatch(base)
        if m:
            return "canvas", m.groupdict()
    m = MOODLE.fullmatch(name)
    if m:
        fields = m.groupdict()
        fields["file"] = (fields["path"] or fields["flat"]).rsplit("/", 1)[-1]
        fields["who"] = fields["who"].replace("_", " ")
        return "moodle", fields
    parts = PurePosixPath(name).parts
    if len(parts) >= 2:
        return "folder", {"who": parts[0], "file": parts[-1]}
    return None


def item_of(filename: str, catalog: Catalog) -> tuple[str | None, str, bool, str]:
    """(item, suffix, renamed by the LMS, why not) of a submitted file's name."""
    stem, dot, suffix = filename.rpartition(".")
    suffix = suffix.lower()
    if not dot or not stem:
        return None, suffix, False, "no file extension"
    renamed = False
    kind = catalog.kind(stem) if stem.isidentifier() else None
    if kind is None:
        m = RENAMED.fullmatch(stem)
        if m and m["base"].isidentifier() and catalog.kind(m["base"]):
            stem, renamed, kind = m["base"], True, catalog.kind(m["base"])
    if kind is None:
        close = catalog.suggest(stem)
        return (
            None,
            suffix,
            False,
            f"'{stem}' is not an exercise or quiz of the course" + (f" (did you mean {close}?)" if close else ""),
        )
    if suffix not in SUFFIXES[kind]:
        wanted = " or ".join(f"{stem}.{s}" for s in SUFFIXES[kind][: 2 if kind == "exercise" else 1])
        return None, suffix, renamed, f"{stem} is {'an' if kind == 'exercise' else 'a'} {kind}: expected {wanted}"
    return stem, ("yaml" if suffix == "yml" else suffix), renamed, ""
