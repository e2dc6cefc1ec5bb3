"""Inside a grading worker: one submission in, one result out, and a fault of the grader as a value.

Used by the local executor's worker processes (``executor.py``) and by any other executor (a Dask
worker calls ``grade_work`` the same way). The worker keeps each exercise and its hidden points
drawn with the course secret; the student's code runs in the sandbox's children, never here.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from grader.errors import SandboxError


class WorkerState:
    """What a worker keeps between submissions: the secret, and each exercise with its hidden points."""

    def __init__(self, secret: str, lang: str):
        self.secret, self.lang = secret, lang
        self.exercises: dict[str, tuple[Any, list]] = {}

    def quiz(self, path: str):
        if path not in self.exercises:
            from grader.quiz.quizzes import load_quiz

            self.exercises[path] = (load_quiz(Path(path)), [])
        return self.exercises[path][0]

    def exercise(self, path: str):
        if path not in self.exercises:
            from grader.exercise.loader import load_exercise
            from grader.exercise.points import draw_points, secret_seed

            ex = load_exercise(Path(path))
            self.exercises[path] = (ex, draw_points(ex, secret_seed(self.secret, ex.id), hidden=True))
        return self.exercises[path]


def grade_work(work: dict[str, Any], state: WorkerState) -> dict[str, Any]:
    """Grade one submission; a fault of the grader comes back as a value, never as an exception."""
    started = time.perf_counter()
    try:
        from grader.grading import api, explain
        from grader.grading.verdict import Verdict

        if work.get("kind") == "quiz":
            return _grade_quiz(work, state, started)
        ex, points = state.exercise(work["exercise_path"])
        raw = base64.b64decode(work["source"])
        if work["filename"].lower().endswith(".ipynb"):
            verdict = _grade_notebook(ex, raw, work, points, state.lang)
        else:
            text, failure = decode_source(raw)
            if text is None:
                public = {f"public-{i + 1}": {k: float(v) for k, v in p.items()} for i, p in enumerate(ex.points)}
                verdict = Verdict(ex.id, work["student"], "error", 0.0, ex.max_score, failure, points=public)
            else:
                verdict = api.grade_source(ex, text, work["filename"], points, work["student"])
        data = verdict_json(explain.localize(verdict, state.lang))
        return _reply(work, ex.digest, data, started)
    except Exception as exc:  # noqa: BLE001 - any failure here is ours, reported per submission
        traceback.print_exc(file=sys.stderr)
        return {"id": work.get("id"), "ok": False, "fault": f"{type(exc).__name__}: {exc}"}


def _grade_notebook(ex, raw: bytes, work: dict[str, Any], points: list, lang: str):
    """A ``.ipynb``: its cells' definitions graded like a ``.py`` file, lines told as (cell, line)."""
    from grader.grading import api
    from grader.notebook.grade import failed, for_exercise, notebook_source

    got = notebook_source(raw, lang)
    if not isinstance(got, tuple):  # a Failure: not a notebook, too big, no code cell...
        return failed(ex, work["student"], got, lang)
    source, line_map = for_exercise(ex, *got)
    return line_map.relocate(api.grade_source(ex, source, work["filename"], points, work["student"]))


def _grade_quiz(work: dict[str, Any], state: WorkerState, started: float) -> dict[str, Any]:
    """A quiz answers file, graded by the quiz issue's ``grade_quiz_answers`` (it reads the file itself)."""
    from grader.quiz.quizzes import grade_quiz_answers

    quiz = state.quiz(work["exercise_path"])
    result = grade_quiz_answers(quiz, Path(work["path"]), student=work["student"], secret=state.secret, lang=state.lang)
    return _reply(work, quiz.digest, result.to_json(), started)


def _reply(work: dict[str, Any], digest: str, data: dict[str, Any], started: float) -> dict[str, Any]:
    from grader.classroom.gradebook import rows_of

    tasks, checks = rows_of(data)
    error = data.get("error") or {}
    return {
        "id": work["id"],
        "ok": True,
        "digest": digest,
        "status": data["status"],
        "score": data["score"],
        "max_score": data["max_score"],
        "error_kind": error.get("kind"),
        "seconds": round(time.perf_counter() - started, 4),
        "tasks": tasks,
        "checks": checks,
        "verdict": json.dumps(data, ensure_ascii=False),
    }


_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """``dataclasses.asdict`` without its deep copies (3x faster on a verdict; the same result)."""
    kind = type(value)
    if kind in (str, float, int, bool) or value is None:
        return value
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def verdict_json(verdict) -> dict[str, Any]:
    """``Verdict.to_json()``, faster; a test holds them equal."""
    from grader.grading.verdict import SCHEMA

    return {"schema": SCHEMA, **plain(verdict)}


def decode_source(raw: bytes):
    """The same rules as ``api.read_submission``, on bytes already read (and hashed) by the batch."""
    from grader.grading.api import MAX_SOURCE_BYTES
    from grader.grading.verdict import Failure, Why

    def bad(message: str):
        return None, Failure("bad_file", Why("bad_file", {"message": message}))

    if len(raw) > MAX_SOURCE_BYTES:
        return bad(f"the file is larger than {MAX_SOURCE_BYTES // 1024} KB")
    if b"\0" in raw:
        return bad("the file is binary, not Python source")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return bad(f"the file is not UTF-8 text (byte {exc.start})")


def worker_main(state: WorkerState | None = None) -> None:
    """A worker's loop: JSON lines in on fd 0, JSON lines out on fd 1 (stderr for diagnostics)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch decides when we stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)  # a stray print goes to stderr, never into a reply
    sys.stdout = sys.stderr
    init = json.loads(requests.readline() or b"{}")
    state = state or WorkerState(init.get("secret", ""), init.get("lang", "en"))
    from grader.classroom import gradebook  # noqa: F401 - fail here, before any submission, if broken

    try:
        replies.write(json.dumps(_warm_up()).encode() + b"\n")
        replies.flush()
        for line in requests:
            reply = grade_work(json.loads(line), state)
            try:
                data = json.dumps(reply, ensure_ascii=False).encode()
            except UnicodeEncodeError as exc:  # a lone surrogate got through: a fault for this file, the worker goes on
                data = json.dumps({"id": reply.get("id"), "ok": False, "fault": f"UnicodeEncodeError: {exc}"}).encode()
            replies.write(data + b"\n")
            replies.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        _close_sandbox()


def _close_sandbox() -> None:
    """Stop this worker's zygotes and wait for them (a forked worker leaves by ``os._exit``: no atexit)."""
    try:
        from grader.isolation import pool

        shared = getattr(pool, "_default", None)
        if shared is not None:
            shared.close()
    except Exception:  # noqa: BLE001 - leaving anyway; an orphan zygote ends with its socket
        pass


def _warm_up() -> dict[str, Any]:
    """Start this worker's sandbox zygote now, not at the first submission, and say which layers hold."""
    try:
        from grader.isolation.pool import isolation

        return {"ready": True, "layers": isolation().layers}
    except SandboxError as exc:
        return {"ready": False, "error": str(exc)}
    except (ImportError, AttributeError):  # an older or newer sandbox: grading will still say
        return {"ready": True, "layers": None}


def die_with_parent(parent: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the worker still stops at the end of its input
    if os.getppid() != parent:  # the batch died before we could ask to die with it
        os._exit(0)


def spawned_main() -> None:
    """Entry point of a worker started as a fresh interpreter."""
    die_with_parent(int(os.environ.get("GRADE_BATCH_PARENT", os.getppid())))
    worker_main()
