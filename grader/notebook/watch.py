"""``grade submit FILE --watch``: regrade on every save, with a compact report, until Ctrl-C.

Polling with the standard library (no watcher dependency, the same on every system and on network
drives): the file's size and modification time are read every ``POLL`` seconds; when they change
and then stay still for ``SETTLE`` seconds (an editor may write a file in several steps, or delete
and rename it), its content is hashed, and only new content is graded, so a save without a change,
or a ``touch``, does not regrade. A file that is missing for a moment is waited for. Nothing here
prints: ``run`` is given the functions that show a result (stdout) and tell the user (stderr).
"""

from __future__ import annotations

import hashlib
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from grader.errors import GraderError
from grader.grading.verdict import Verdict

POLL = 0.25
SETTLE = 0.15

WORDS = {
    "watching": (
        "{file} 를 지켜봅니다: 저장할 때마다 다시 채점합니다. 끝내려면 Ctrl-C.",
        "watching {file}: it is graded again on every save. Ctrl-C to stop.",
    ),
    "waiting": ("{file} 를 기다리는 중…", "waiting for {file} …"),
    "stopped": ("지켜보기를 끝냈습니다.", "stopped watching."),
    "score": ("점수", "score"),
    "error": ("채점 불가", "could not be graded"),
    "full": ("만점입니다.", "Full marks."),
    "note": ("참고", "note"),
}


def _w(key: str, lang: str, **kw) -> str:
    return WORDS[key][0 if lang == "ko" else 1].format(**kw)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def saves(path: Path, poll: float = POLL, settle: float = SETTLE, sleep=time.sleep) -> Iterator[bool]:
    """Yield True at once and then after every save that changes the content; False while missing."""
    seen_stamp: tuple[int, int] | None = None
    seen_digest: str | None = None
    missing_told = False
    while True:
        stamp = _stamp(path)
        if stamp is None:
            sleep(settle)
            if _stamp(path) is None and not missing_told:  # gone for a while, not a save by rename
                missing_told, seen_stamp, seen_digest = True, None, None
                yield False
        elif stamp != seen_stamp:
            sleep(settle)
            if _stamp(path) == stamp:  # still: the save is over
                seen_stamp = stamp
                digest = _digest(path)
                if digest is not None and digest != seen_digest:
                    seen_digest, missing_told = digest, False
                    yield True
                continue
        sleep(poll)


def summary(verdict: Verdict, notes: list[str] | tuple[str, ...] = ()) -> list[str]:
    """A few lines: the score, then each failed task with its blame (or error, or first failed check)."""
    lang = verdict.lang
    lines = [f"{verdict.exercise}  {_w('score', lang)} {verdict.score:g} / {verdict.max_score:g}"]
    if verdict.error:
        where = f" (line {verdict.error.line})" if verdict.error.line and "line" not in verdict.error.message else ""
        lines.append(f"✗ {_w('error', lang)} [{verdict.error.kind}]{where}: {verdict.error.message}")
    for task in verdict.tasks:
        if task.passed:
            continue
        first = next((c for c in task.checks if not c.ok), None)
        why = (
            (task.error.message if task.error else "")
            or (task.blame.message if task.blame else "")
            or (f"{first.point}: {first.message}" if first else "")
        )
        lines.append(f"✗ {task.function} {task.score:g}/{task.max_score:g} → {why}")
    if verdict.full_marks:
        lines.append(f"✓ {_w('full', lang)}")
    lines += [f"  {_w('note', lang)}: {note}" for note in notes]
    return lines


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Ctrl-C stops watching; so does SIGTERM, and SIGINT even where a shell ignores it (``cmd &``)."""
    try:
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread: leave signals alone
        pass


def run(
    path: Path,
    grade: Callable[[], tuple[Verdict, list[str]]],
    show: Callable[[str], None],
    tell: Callable[[str], None],
    lang: str = "en",
    as_json: bool = False,
    poll: float = POLL,
) -> int:
    """Grade ``path`` now and after every save until Ctrl-C; the exit code of the last grade (0 full marks)."""
    code, graded = 1, 0
    last_notes: list[str] = []
    _stop_on_signals()
    tell(_w("watching", lang, file=path))
    try:
        for present in saves(path, poll=poll):
            if not present:
                tell(_w("waiting", lang, file=path))
                continue
            try:
                verdict, notes = grade()
            except GraderError as exc:
                if not graded:  # an unknown exercise, say: not worth watching for
                    raise
                tell(f"error: {exc}")
                continue
            graded += 1
            code = 0 if verdict.full_marks else 1
            if as_json:
                show(json.dumps(verdict.to_json(), ensure_ascii=False))
            else:
                show(f"── {time.strftime('%H:%M:%S')}  {path.name} " + "─" * 24)
                for line in summary(verdict, notes if notes != last_notes else ()):
                    show(line)
            last_notes = notes
            sys.stdout.flush()
    except KeyboardInterrupt:
        tell(_w("stopped", lang))
    return code
