"""``grade collect``: read an LMS archive (intake.py), keep the newest file per student and item, write
``<out>/<student>/<item>.<ext>`` and ``<out>/manifest.csv``, and say what was not taken and why.

Writing is safe to repeat: a file whose content is already there is left alone; a changed one is
replaced (the gradebook keeps the earlier attempt); the manifest keeps its rows for files this
archive did not touch, and drops the row of a file that changed without a recorded time.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from grader.classroom.discover import MANIFEST, Catalog, Problems, show
from grader.classroom.intake import (
    IGNORED,
    MAX_ENTRY_BYTES,
    SUFFIXES,
    Candidate,
    Collected,
    Matcher,
    canvas_keys,
    item_of,
    name_keys,
    opened,
    parse_name,
)
from grader.classroom.roster import Roster, plain
from grader.errors import ExerciseError, UsageError

NESTED = (".zip", ".tar", ".gz", ".tgz", ".7z", ".rar")


def collect(
    archive: Path,
    roster: Roster,
    out: Path,
    catalog: Catalog,
    zone: tzinfo,
    normalize: Callable[[str], str],
    times_file: Path | None = None,
) -> Collected:
    report = Collected(str(archive), str(out))
    problems = report.problems
    matcher = Matcher(roster, normalize)
    chosen: dict[tuple[str, str], Candidate] = {}
    formats: dict[str, int] = {}
    accounts: dict[str, set[str]] = {}  # student -> the LMS accounts their files came from
    times = read_times(times_file, roster, zone) if times_file else {}
    with opened(archive, problems) as found:
        for entry in found:
            report.entries += 1
            candidate = _candidate(entry, matcher, catalog, problems, formats, report)
            if candidate is not None:
                accounts.setdefault(candidate.student.id, set()).add(candidate.account)
                _keep_newest(chosen, candidate, problems)
        report.format = max(formats, key=formats.get) if formats else "unknown"
        _two_accounts(chosen, accounts, problems)
        _write_all(out, chosen, times, zone, report)
    if report.untimed:
        problems.add(
            "no_time",
            f"{report.untimed} file(s) have no recorded submission time: the archive does not carry one; "
            "grade batch will date them by the archive's date (pass --times to use the LMS's times)",
        )
    return report


def _two_accounts(chosen: dict, accounts: dict[str, set[str]], problems: Problems) -> None:
    """Two LMS accounts matched to one roster line (two people of one name): none of their files is taken."""
    for student, found in accounts.items():
        if len(found) > 1:
            for key in [k for k in chosen if k[0] == student]:
                del chosen[key]
            problems.add(
                "ambiguous_student",
                f"{student}: files from {len(found)} LMS accounts ({', '.join(sorted(found))}) match this roster "
                "line; none taken (add the others to the roster, or give it lms_id)",
            )


def _keep_newest(chosen: dict, candidate: Candidate, problems: Problems) -> None:
    key = (candidate.student.id, candidate.item)
    kept = chosen.get(key)
    if kept is None or candidate.order > kept.order:
        chosen[key], dropped = candidate, kept
    else:
        dropped = candidate
    if dropped is not None:
        newer = chosen[key]
        kind = "resubmission" if newer.renamed or dropped.renamed else "duplicate"
        problems.add(
            kind,
            f"{newer.student.id}/{newer.item}: kept {show(newer.entry.name)} (newer), not {show(dropped.entry.name)}",
        )


def _write_all(out: Path, chosen: dict, times: dict, zone: tzinfo, report: Collected) -> None:
    problems = report.problems
    out.mkdir(parents=True, exist_ok=True)
    rows = _existing_manifest(out / MANIFEST)
    for (student, item), c in sorted(chosen.items()):
        report.students.add(student)
        report.items.add(item)
        report.marked_late += c.lms_late
        when = times.get((student, item)) or times.get((student, None))
        changed = _write(out, c, zone, problems)
        if changed is None:
            continue
        report.written += changed
        report.unchanged += not changed
        if when is not None:
            rows[(student, item)] = when.isoformat()
            report.timed += 1
        else:
            if changed:
                rows.pop((student, item), None)
            report.untimed += (student, item) not in rows
    _write_manifest(out / MANIFEST, rows)


def _candidate(entry, matcher: Matcher, catalog: Catalog, problems: Problems, formats: dict, report):
    name = entry.name
    base = name.rsplit("/", 1)[-1]
    if any(part in name for part in IGNORED) or base.startswith("."):
        problems.add("ignored", f"{show(name)}: hidden or system file")
        return None
    parsed = parse_name(name)
    if parsed is None:
        problems.add("not_a_submission", f"{show(name)}: not named like a Canvas or Moodle submission")
        return None
    fmt, fields = parsed
    formats[fmt.split("_")[0]] = formats.get(fmt.split("_")[0], 0) + 1
    if fmt == "canvas_text":
        problems.add("not_a_file", f"{show(name)}: an online text or URL submission, not a file")
        return None
    if fmt == "canvas_anonymous":
        problems.add("anonymous", f"{show(name)}: anonymous grading hides who it is; turn anonymity off to collect")
        return None
    if fmt == "moodle" and fields["plugin"] != "file":
        problems.add("not_a_file", f"{show(name)}: Moodle's {fields['plugin']} submission, not a file")
        return None
    if fmt == "canvas":
        student, how = matcher.canvas(fields["who"], fields["uid"])
    elif fmt == "moodle":
        student, how = matcher.moodle(fields["who"])
    else:
        student, how = matcher.folder(fields["who"])
    if student is None:
        problems.add("ambiguous_student" if "several" in how else "unknown_student", f"{show(name)}: {how}")
        return None
    report.matched_by_name += how == "name" and fmt == "canvas"
    if fields["file"].lower().endswith(NESTED):
        problems.add("nested_archive", f"{show(name)}: an archive inside the archive; not opened")
        return None
    item, suffix, renamed, why = item_of(fields["file"], catalog)
    if item is None:
        problems.add("unknown_item" if "not an exercise" in why else "wrong_type", f"{show(name)}: {why}")
        return None
    file_id = int(fields.get("file_id") or 0)
    order = (file_id, entry.date or datetime.min, name)
    if (
        fmt == "canvas"
        and student.name
        and re.sub(r"[\W_]", "", fields["who"].lower()) not in canvas_keys(student.name)
    ):
        problems.add(  # a roster whose lms_id column is off by a line would hand files to the wrong people
            "name_differs",
            f"{show(name)}: Canvas user {fields['uid']} is {student.id} ({student.name}) on the roster, "
            f"but Canvas calls them '{fields['who']}'; taken (check the roster's lms_id column)",
        )
    account = f"{fmt}:{fields.get('uid', fields['who'])}"
    return Candidate(student, item, suffix, entry, order, bool(fields.get("late")), renamed, account)


def _write(out: Path, c: Candidate, zone: tzinfo, problems: Problems) -> bool | None:
    """Write one file; True if written, False if the same content was there, None if it could not be read."""
    try:
        data = c.entry.read(MAX_ENTRY_BYTES + 1)
    except Exception as exc:  # a corrupt entry (bad CRC, unsupported compression) costs that file only
        problems.add("refused", f"{show(c.entry.name)}: cannot be read ({exc})")
        return None
    if len(data) > MAX_ENTRY_BYTES:
        problems.add("refused", f"{show(c.entry.name)}: more than {MAX_ENTRY_BYTES // 2**20} MB")
        return None
    folder = out / c.student.id
    folder.mkdir(exist_ok=True)
    target = folder / f"{c.item}.{c.suffix}"
    for other in SUFFIXES["exercise"] + SUFFIXES["quiz"]:  # one file per item: a .py replaced by an .ipynb
        stale = folder / f"{c.item}.{other}"
        if other != c.suffix and stale.is_file():
            stale.unlink()
            problems.add("replaced", f"{c.student.id}/{stale.name}: replaced by {target.name}")
    try:
        if target.read_bytes() == data:
            return False
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    if c.entry.date is not None:
        stamp = c.entry.date.replace(tzinfo=zone).timestamp()
        os.utime(tmp, (stamp, stamp))
    os.replace(tmp, target)
    return True


# --------------------------------------------------------------------------- times and the manifest


def read_times(path: Path, roster: Roster, zone: tzinfo) -> dict[tuple[str, str | None], datetime]:
    """Submission times the LMS recorded: (student, item or None for every item) -> time.

    ``.json``: Canvas's Submissions API (a list of objects, or ``{"submissions": [...]}``), matched by
    ``user_id`` to the roster's ``lms_id``. ``.csv``: Moodle's grading worksheet, or a header naming
    ``submitted_at`` and one of ``student``, ``lms_id`` or ``email``, optionally ``item``.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: the times file cannot be read ({exc})") from None
    if path.suffix.lower() == ".json":
        return _canvas_times(path, text, roster, zone)
    return _csv_times(path, text, roster, zone)


def _when(path: Path, line: int | None, key: str, value: str, zone: tzinfo) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ExerciseError(path, line, key, f"'{value}' is not an ISO 8601 time") from None
    return (when if when.tzinfo else when.replace(tzinfo=zone)).astimezone(UTC)


def _canvas_times(path: Path, text: str, roster: Roster, zone: tzinfo) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExerciseError(path, exc.lineno, "", f"invalid JSON: {exc.msg}") from None
    data = data.get("submissions", data) if isinstance(data, dict) else data
    if not isinstance(data, list):
        raise ExerciseError(path, None, "", "expected a list of Canvas submissions")
    lms = roster.by_lms_id()
    times = {}
    for n, sub in enumerate(data):
        if not isinstance(sub, dict) or "user_id" not in sub:
            raise ExerciseError(path, None, f"[{n}]", "a submission without user_id")
        student = lms.get(str(sub["user_id"]))
        if student is not None and sub.get("submitted_at"):
            times[(student.id, None)] = _when(path, None, f"[{n}].submitted_at", sub["submitted_at"], zone)
    return times


MOODLE_WHEN = "last modified (submission)"
MOODLE_DATE = "%A, %d %B %Y, %I:%M %p"  # userdate()'s strftimedaydatetime in English: Tuesday, 10 March 2026, 9:15 PM


def _moodle_times(path: Path, rows: list[list[str]], header: list[str], roster: Roster, zone: tzinfo) -> dict:
    """Moodle's grading worksheet (Assignment > View all submissions > Download grading worksheet):
    ``Last modified (submission)`` in English, in the downloading user's Moodle time zone (the course's
    here), matched by ``Email address``, else ``Full name``."""
    emails = {s.email.lower(): s for s in roster if s.email}
    names = roster.by_name(name_keys)
    times = {}
    for line, row in enumerate(rows[1:], start=2):
        cell = dict(zip(header, (c.strip() for c in row), strict=False))
        stamp = cell.get(MOODLE_WHEN, "")
        if not stamp or stamp == "-":
            continue
        student = emails.get(cell.get("email address", "").lower())
        if student is None:
            found = {s.id: s for s in names.get(plain(cell.get("full name", "")), [])}
            student = next(iter(found.values())) if len(found) == 1 else None
        if student is None:
            continue  # not on the roster, or not told apart: its file is reported by the archive's side
        try:
            when = datetime.strptime(" ".join(stamp.split()), MOODLE_DATE).replace(tzinfo=zone)
        except ValueError:
            raise ExerciseError(
                path, line, "Last modified (submission)",
                f"'{stamp}' is not a date as Moodle writes it in English (Tuesday, 10 March 2026, 9:15 PM); "
                "download the worksheet with English as your Moodle language",
            ) from None  # fmt: skip
        times[(student.id, None)] = when.astimezone(UTC)
    return times


def _csv_times(path: Path, text: str, roster: Roster, zone: tzinfo) -> dict:
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in (rows[0] if rows else [])]
    if MOODLE_WHEN in header:
        return _moodle_times(path, rows, header, roster, zone)
    who = next((h for h in ("student", "lms_id", "email") if h in header), None)
    if who is None or "submitted_at" not in header:
        raise ExerciseError(path, 1, "header", "expected submitted_at and one of student, lms_id, email")
    index = {
        "student": {s.id: s for s in roster},
        "lms_id": roster.by_lms_id(),
        "email": {s.email.lower(): s for s in roster if s.email},
    }[who]
    times = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = dict(zip(header, (c.strip() for c in row), strict=False))
        key = cell.get(who, "").lower() if who == "email" else cell.get(who, "")
        student = index.get(key)
        if student is None:
            raise ExerciseError(path, line, who, f"'{key}' is on no roster line")
        times[(student.id, cell.get("item") or None)] = _when(path, line, "submitted_at", cell["submitted_at"], zone)
    return times


def _existing_manifest(path: Path) -> dict[tuple[str, str], str]:
    if not path.is_file():
        return {}
    rows = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("student") and row.get("item") and row.get("submitted_at"):
                rows[(row["student"], row["item"])] = row["submitted_at"]
    return rows


def _write_manifest(path: Path, rows: dict[tuple[str, str], str]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["student", "item", "submitted_at"])
    writer.writerows([s, i, t] for (s, i), t in sorted(rows.items()))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text.getvalue())
    os.replace(tmp, path)
