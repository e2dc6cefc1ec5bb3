"""``grade batch``: a class's submissions into the gradebook, in parallel, idempotent and resumable.

    discover the folder (discover.py) ─> plan: hash every file, skip what the gradebook already
    holds for this content, exercise, grader version and secret ─> workers grade (executor.py)
    ─> this process writes each result in its own transaction (gradebook.py) ─> summary

Only this process writes the gradebook; results stream through it one at a time, so memory stays
flat however large the class. Killing it at any moment loses at most the results in flight: the
rerun grades them. Printing belongs to ``cli``: progress comes out through a callback.
"""

from __future__ import annotations

import base64
import difflib
import errno
import hashlib
import hmac
import os
import re
import signal
import socket
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__
from grader.classroom.context import remember_course
from grader.classroom.course_config import Course, Secret
from grader.classroom.discover import Found, Problems, discover, show
from grader.classroom.executor import LocalExecutor, default_jobs
from grader.classroom.gradebook import Gradebook, Key, iso_utc
from grader.classroom.summary import class_overview
from grader.errors import UsageError
from grader.exercise import shipped as course
from grader.exercise import where
from grader.exercise.loader import exercise_dirs, load_exercise, resolve
from grader.exercise.points import draw_points, secret_seed
from grader.grading.api import MAX_SOURCE_BYTES

DEMO_SECRET = "demo-secret: the packaged sample class only, never a real course"


def secret_id(secret: str) -> str:
    """A fingerprint of the secret, stored next to each result; the secret itself is never stored."""
    return hmac.new(secret.encode(), b"grade-secret-id", hashlib.sha256).hexdigest()[:16]


@dataclass
class Options:
    submissions: Path
    secret: Secret
    course: Course = field(default_factory=Course)
    db: Path = Path("grades.db")
    jobs: int | None = None
    regrade: bool = False
    new_secret: bool = False
    exercises_dir: Path | None = None
    lang: str = "en"
    executor: str = "local"  # or "dask" (dask_executor.py), with the scheduler's address
    scheduler: str | None = None
    roster: Any = None  # grader.classroom.roster.Roster: every enrolled student, handed in or not
    only_students: set[str] | None = None  # grade (or --regrade) only these students' files
    only_items: set[str] | None = None  # ... and only these items


@dataclass
class Progress:
    total: int  # submissions to grade in this run
    done: int = 0
    graded: int = 0  # stored by this run
    errors: int = 0  # of which status error (the student's file)
    faults: int = 0  # not graded: the grader failed
    elsewhere: int = 0  # graded meanwhile by another batch on the same gradebook
    started: float = field(default_factory=time.monotonic)


# --------------------------------------------------------------------------- the course's items


class Catalog:
    """The items submissions may name: exercises and quizzes, looked up as ``grade submit`` does."""

    def __init__(self, exercises_dir: Path | None):
        self.explicit = exercises_dir
        self._kinds: dict[str, tuple[str, Path] | None] = {}
        self._exercises: dict[str, Any] = {}  # Exercise or Quiz

    def _lookup(self, item: str) -> tuple[str, Path] | None:
        if item not in self._kinds:
            try:
                path = resolve(item, self.explicit)
            except UsageError:
                self._kinds[item] = None
            else:
                self._kinds[item] = ("quiz" if _is_quiz(path) else "exercise", path)
        return self._kinds[item]

    def kind(self, item: str) -> str | None:
        found = self._lookup(item)
        return found[0] if found else None

    def suggest(self, name: str) -> str | None:
        known = sorted({p.stem for d in exercise_dirs(self.explicit) if d.is_dir() for p in d.glob("*.y*ml")})
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.75)
        return close[0] if close else None

    def exercise(self, item: str, secret: str):
        """The exercise (or quiz), loaded, validated, and its hidden points drawn once: an authoring
        error stops the batch with the file, line and key (exit 2) before any grading."""
        if item not in self._exercises:
            found = self._lookup(item)
            assert found is not None
            if found[0] == "quiz":
                from grader.quiz.quizzes import load_quiz

                self._exercises[item] = (load_quiz(found[1]), [])
            else:
                ex = load_exercise(found[1])
                self._exercises[item] = (ex, draw_points(ex, secret_seed(secret, ex.id), hidden=True))
        return self._exercises[item][0]

    def items(self) -> dict[str, dict[str, Any]]:
        """Each loaded item as it is now: its digest (which results are current), maximum and kind."""
        return {
            item: {"digest": m.digest, "max_score": m.max_score, "kind": self.kind(item)}
            for item, (m, _pts) in self._exercises.items()
        }

    def preload(self) -> dict[str, tuple]:
        """Each loaded item's (model, hidden points) by resolved path, for workers forked from here."""
        return {str(Path(m.path).resolve()): (m, pts) for m, pts in self._exercises.values() if m.path}


def _is_quiz(path: Path) -> bool:
    """A quiz file has a top-level ``questions:`` key (SPEC.md); a text scan, not a YAML parse."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^questions\s*:", text, re.MULTILINE) is not None


def _quiz_grader():
    """The quiz issue's grading function, once it exists."""
    try:
        from grader.quiz import quizzes as quiz  # type: ignore[attr-defined]
    except ImportError:
        return None
    return getattr(quiz, "grade_quiz_answers", None)


# --------------------------------------------------------------------------- planning


@dataclass
class Job:
    found: Found
    sha: str
    size: int
    digest: str
    exercise_path: str


def read_bounded(path: Path) -> bytes:
    """At most one byte more than a submission may have: a 5 GB file costs 256 KB here. Never a pipe
    or a device (they could block), never through a symbolic link."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return handle.read(MAX_SOURCE_BYTES + 1)


def _plan(
    found: list[Found], catalog: Catalog, gb: Gradebook, opts: Options, sid: str, problems: Problems
) -> tuple[list[Job], int]:
    done = gb.graded_keys(__version__, sid)
    jobs, up_to_date, moved = [], 0, []
    quiz_grader = _quiz_grader()
    for f in found:
        if f.kind == "quiz" and quiz_grader is None:
            problems.add(
                "quiz_not_supported",
                f"{show(f.student)}/{show(f.path.name)}: quiz answers are not graded by `grade batch` yet",
            )
            continue
        try:
            raw = read_bounded(f.path)
        except OSError as exc:
            problems.add("unreadable", f"{show(f.student)}/{show(f.path.name)}: {exc.strerror}")
            continue
        ex = catalog.exercise(f.item, opts.secret.value)
        sha = hashlib.sha256(raw).hexdigest()
        stored = done.get((f.student, f.item, sha, ex.digest))
        if stored is not None and not opts.regrade:
            up_to_date += 1
            when = iso_utc(f.submitted_at)
            if f.time_source == "manifest" and stored != (when, "manifest"):
                moved.append((f.student, f.item, sha, when))
            continue
        jobs.append(Job(f, sha, len(raw), ex.digest, str(Path(ex.path or "").resolve())))
    gb.update_times(moved)
    return jobs, up_to_date


def _works(
    jobs: list[Job],
    gb: Gradebook,
    opts: Options,
    sid: str,
    progress: Progress,
    report: Callable[[Progress], None],
    problems: Problems,
) -> Iterator[dict[str, Any]]:
    """The submissions to send to workers, read only when a worker is ready for them."""
    for number, job in enumerate(jobs):
        f = job.found
        if not opts.regrade and gb.has_result(Key(f.student, f.item, job.sha, job.digest, __version__, sid)):
            progress.elsewhere += 1
            progress.done += 1
            report(progress)
            continue
        try:
            raw = read_bounded(f.path)
        except OSError as exc:  # gone or changed into something else since the plan: not graded
            problems.add("unreadable", f"{show(f.student)}/{show(f.path.name)}: {exc.strerror}")
            progress.done += 1
            report(progress)
            continue
        job.sha, job.size = hashlib.sha256(raw).hexdigest(), len(raw)  # what is graded is what is hashed
        yield {
            "id": number,
            "kind": f.kind,
            "student": f.student,
            "item": f.item,
            "exercise_path": job.exercise_path,
            "filename": f.path.name,
            "path": str(f.path.resolve()),
            "source": base64.b64encode(raw).decode(),
        }


# --------------------------------------------------------------------------- the run


def run(opts: Options, report: Callable[[Progress], None] | None = None) -> dict[str, Any]:
    """Grade the folder into the gradebook; return the summary (see ``summarize``)."""
    report = report or (lambda _p: None)
    check_scheduler(opts)
    folder = opts.submissions
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder (expected SUBMISSIONS_DIR/<student>/<exercise>.py)")
    place = where.exercises(opts.exercises_dir, opts.course.path)  # the one rule (grader.exercise.where)
    catalog = Catalog(place.path)
    named = set(opts.course.items) | {i for per in opts.course.extensions.values() for i in per}
    opts.course.check_items({item for item in named if catalog.kind(item)})
    if opts.roster is not None:
        opts.course.check_students(set(opts.roster.ids()))
    for item in sorted(opts.only_items or ()):
        if catalog.kind(item) is None:
            close = catalog.suggest(item)
            raise UsageError(
                f"--item {item}: not an exercise or quiz of the course" + (f" (did you mean {close}?)" if close else "")
            )
    problems = Problems()
    found = discover(folder, catalog, opts.course.zone, _quiet_names(folder, opts), problems)
    found = [
        f
        for f in found
        if (opts.only_students is None or f.student in opts.only_students)
        and (opts.only_items is None or f.item in opts.only_items)
    ]
    sid = secret_id(opts.secret.value)
    started = time.monotonic()
    with Gradebook(opts.db) as gb:
        _check_secret(gb, sid, opts)
        remember_course(gb, opts.course)
        if opts.roster is not None:
            gb.set_meta("roster", roster_json(opts.roster))
        batch_id = gb.start_batch(socket.gethostname(), os.getpid(), str(folder.resolve()), __version__, sid)
        jobs, up_to_date = _plan(found, catalog, gb, opts, sid, problems)
        for item in opts.course.items:  # listed in course.yaml: part of the course's total even if unsubmitted
            catalog.exercise(item, opts.secret.value)
        gb.set_items(catalog.items())
        gb.set_meta("exercises", str(place.path.resolve()))  # where "as it is now" is checked (export)
        progress = Progress(len(jobs))
        statuses: Counter = Counter()
        kinds: Counter = Counter()
        faults: list[dict] = []
        interrupted = False
        executor = _executor(opts, catalog)
        executor.start(len(jobs))  # forked now, before the caller's progress display starts a thread
        report(progress)
        replies = executor.map(_works(jobs, gb, opts, sid, progress, report, problems), expected=len(jobs))
        try:
            with _sigterm_as_interrupt():
                for reply in replies:
                    _store(reply, jobs, gb, opts, sid, batch_id, progress, statuses, kinds, faults)
                    report(progress)
        except KeyboardInterrupt:
            interrupted = True
        finally:  # also when the gradebook cannot take a result (a full disk): the workers stop now
            getattr(replies, "close", lambda: None)()
        summary = summarize(gb, opts, found, problems, progress, up_to_date, statuses, kinds, faults)
        summary["isolation"] = _isolation(executor.layers)
        summary["exercises"] = {"folder": str(place.path), "from": place.source}
        summary["file_times"] = file_times(found, opts.course)
        if hasattr(executor, "describe"):  # a Dask cluster: its worker threads, not this machine's cores
            summary["executor"] = executor.describe()
            summary["jobs"] = summary["executor"]["threads"]
        else:
            summary["executor"] = {"kind": "local"}
        summary.update(interrupted=interrupted, seconds=round(time.monotonic() - started, 3))
        summary["rate"] = round(progress.done / summary["seconds"], 1) if summary["seconds"] > 0 else None
        gb.finish_batch(batch_id, {k: summary[k] for k in ("found", "graded", "up_to_date", "faults", "interrupted")})
    return summary


def file_times(found: list[Found], course: Course) -> dict[str, Any]:
    """The files dated by their modification time (no manifest row), and how many of them, and of
    whose students, that made late: a copy of the folder carries today's time."""
    dated = [f for f in found if f.time_source == "mtime"]
    late = [f for f in dated if course.lateness(f.item, f.submitted_at).days > 0]
    return {
        "files": len(dated),
        "late_files": len(late) if course.late.from_file_times else 0,
        "late_students": len({f.student for f in late}) if course.late.from_file_times else 0,
        "counted": course.late.from_file_times,
        "would_be_late": len(late),
    }


SCHEDULER = re.compile(r"(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+)(?::(?P<port>\d{1,5}))?/?")


def check_scheduler(opts: Options) -> None:
    """The executor's options, checked before anything starts: a Dask address without a port would
    otherwise wait for a connection that never comes, then end in Dask's own traceback."""
    if opts.executor not in ("local", "dask"):
        raise UsageError(f"--executor {opts.executor}: unknown (local or dask)")
    if opts.executor == "local":
        if opts.scheduler:
            raise UsageError("--scheduler is for --executor dask")
        return
    if not opts.scheduler:
        raise UsageError("--executor dask needs --scheduler tcp://HOST:PORT (the Dask scheduler's address)")
    found = SCHEDULER.fullmatch(opts.scheduler.strip())
    if found is None or (found["scheme"] or "tcp") not in ("tcp", "tls", "ws", "wss", "inproc", "ucx"):
        raise UsageError(f"--scheduler {opts.scheduler}: not an address; expected tcp://HOST:PORT")
    if found["scheme"] not in ("inproc", "ucx") and not found["port"]:
        raise UsageError(
            f"--scheduler {opts.scheduler}: no port; the Dask scheduler's address is tcp://HOST:PORT, "
            f"e.g. --scheduler tcp://{found['host']}:8786 (8786 is Dask's default)"
        )


def _executor(opts: Options, catalog: Catalog):
    """The local worker processes, or a Dask cluster (``distributed`` imported only then)."""
    if opts.executor == "dask":
        if not opts.scheduler:
            raise UsageError("--executor dask needs --scheduler tcp://HOST:PORT (the Dask scheduler's address)")
        from grader.classroom.dask_executor import DaskExecutor

        return DaskExecutor(opts.scheduler, opts.secret.value, opts.lang, preload=catalog.preload())
    if opts.executor != "local":
        raise UsageError(f"--executor {opts.executor}: unknown (local or dask)")
    if opts.scheduler:
        raise UsageError("--scheduler is for --executor dask")
    return LocalExecutor(opts.jobs or default_jobs(), opts.secret.value, opts.lang, preload=catalog.preload())


def _quiet_names(folder: Path, opts: Options) -> set[str]:
    """Top-level names that are not submissions and not worth a warning (the gradebook, the course file)."""
    names = {"course.yaml", "course.yml", ".grade-secret", "course.secret", "README.md", "README.txt"}
    db = opts.db.resolve()
    if db.parent == folder.resolve():
        names |= {db.name, db.name + "-wal", db.name + "-shm", db.name + "-journal"}
    return names


def _check_secret(gb: Gradebook, sid: str, opts: Options) -> None:
    stored = gb.claim_meta("secret_id", sid)
    if stored == sid:
        return
    if not opts.new_secret:
        raise UsageError(
            f"{opts.db}: this gradebook was graded with another course secret (id {stored}; this one is {sid}, "
            f"from {opts.secret.source}). Use the course's secret; or, to regrade every submission with the "
            "new one (a leaked secret), pass --new-secret."
        )
    gb.set_meta("secret_id", sid)


def _store(reply, jobs, gb, opts, sid, batch_id, progress, statuses, kinds, faults) -> None:
    job = jobs[reply["id"]]
    f = job.found
    progress.done += 1
    if not reply.get("ok"):
        progress.faults += 1
        if len(faults) < 100:
            faults.append({"student": f.student, "item": f.item, "fault": str(reply.get("fault"))[:500]})
        return
    key = Key(f.student, f.item, job.sha, reply["digest"], __version__, sid)
    stored = gb.record(
        key,
        kind=f.kind,
        size=job.size,
        filename=f.path.name,
        submitted_at=iso_utc(f.submitted_at),
        time_source=f.time_source,
        verdict_json=reply["verdict"],
        status=reply["status"],
        score=reply["score"],
        max_score=reply["max_score"],
        error_kind=reply["error_kind"],
        tasks=reply["tasks"],
        checks=reply["checks"],
        seconds=reply["seconds"],
        batch_id=batch_id,
        replace=opts.regrade,
    )
    if not stored:
        progress.elsewhere += 1
        return
    progress.graded += 1
    statuses[reply["status"]] += 1
    if reply["status"] == "error":
        progress.errors += 1
        kinds[reply["error_kind"] or "crash"] += 1


def _isolation(layers: dict[str, str] | None) -> dict[str, Any] | None:
    """The sandbox's layers as the workers found them, and the notice to show when some are missing."""
    if layers is None:
        return None
    from grader.isolation.pool import Isolation

    found = Isolation(layers)
    return {"active": found.active, "missing": found.missing, "notice": found.notice}


class _sigterm_as_interrupt:
    """SIGTERM stops a batch like Ctrl-C: what is committed stays, the workers are stopped."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._raise)

    @staticmethod
    def _raise(_signum, _frame):
        raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


# --------------------------------------------------------------------------- the summary


def summarize(gb, opts, found, problems, progress, up_to_date, statuses, kinds, faults) -> dict[str, Any]:
    """This run's counts, then the class as the gradebook now holds it (``summary.class_overview``)."""
    return {
        "submissions_dir": str(opts.submissions),
        "db": str(opts.db),
        "grader_version": __version__,
        "secret": {
            "source": opts.secret.source,
            "id": secret_id(opts.secret.value),
            "warnings": list(opts.secret.warnings),
        },
        "policy": opts.course.policy,
        "jobs": opts.jobs or default_jobs(),
        "found": len(found),
        "to_grade": progress.total,
        "graded": progress.graded,
        "up_to_date": up_to_date,
        "graded_elsewhere": progress.elsewhere,
        "statuses": dict(statuses),
        "errors_by_kind": dict(kinds.most_common()),
        "faults": progress.faults,
        "fault_examples": faults,
        "problems": problems.as_dict(),
        "students": len({f.student for f in found}),
        "roster": _roster_summary(opts.roster, found),
        **class_overview(gb, opts.course),
    }


def roster_json(roster) -> str:
    """The class list as the gradebook keeps it (``meta roster``), for the exports and the site."""
    import json

    return json.dumps([s.__dict__ for s in roster], ensure_ascii=False)


def _roster_summary(roster, found: list[Found]) -> dict[str, Any] | None:
    """Enrolled students who handed in nothing, and students with files who are not on the roster."""
    if roster is None:
        return None
    handed_in = {f.student for f in found}
    nothing = [s for s in roster.ids() if s not in handed_in]
    strangers = sorted(handed_in - set(roster.ids()))
    return {
        "enrolled": len(roster),
        "nothing_from": {"count": len(nothing), "examples": nothing[:20]},
        "not_on_roster": {"count": len(strangers), "examples": strangers[:20]},
    }


# --------------------------------------------------------------------------- the packaged sample


def run_sample(
    workdir: Path, jobs: int | None = None, report: Callable[[Progress], None] | None = None
) -> dict[str, Any]:
    """Grade the packaged sample class into ``workdir/grades.db`` with the openly stated ``DEMO_SECRET``.

    The demo secret is public (it is in this file), so its hidden points are not hidden: it is for
    trying the grader, never for a real course, which needs its own secret. No deadlines apply:
    the sample's files without a manifest row are dated by their modification time, that is today
    (``examples/course.yaml`` shows deadlines for a real course).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    sample = course.sample_class_dir()
    if not sample.is_dir():
        raise UsageError(f"{sample}: the sample class is not installed")
    opts = Options(
        sample,
        Secret(DEMO_SECRET, "the built-in demo secret (not for a real course)"),
        db=workdir / "grades.db",
        jobs=jobs,
        exercises_dir=course.exercises_dir(),
    )
    return run(opts, report)
