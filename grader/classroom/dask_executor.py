"""``grade batch --executor dask``: the same batch, its submissions graded on a Dask cluster.

    batch process (the only gradebook writer) ── chunks of submissions ──> Dask scheduler ──> workers
        <── replies, chunk by chunk, as they complete (``as_completed``) ──

This module is an executor like ``executor.LocalExecutor``: ``map(works, expected)`` yields one reply
per work, in completion order, each carrying its work's ``id``. Everything else (planning, the
idempotency check before each submission, storing each reply in its own transaction, resuming) is
``batch.py``'s and does not change.

The course reaches the workers inside every task, in memory: a ``CoursePayload`` holds the secret,
the language and every exercise already loaded (each student's hidden points are drawn on the
worker), so a worker needs neither the exercise files nor the secret on its disk or in its
environment. It is an argument of the task, never scattered data (Dask may spill data to a worker's
disk), and its ``repr`` redacts the secret, so Dask's log line for a failed task (``args: ...``)
cannot print it.

On a worker, ``grade_chunk`` grades each submission with ``worker.grade_work`` and the worker
process's own warm sandbox pool (``grader.isolation.pool.default_pool``), one chunk at a time per process. A
submission that kills its sandbox is a graded error (the sandbox says so); a worker process that
dies mid-chunk is Dask's business: the scheduler runs the chunk again elsewhere. When Dask gives up
on a chunk (``KilledWorker``: it killed several workers) the chunk is split and each submission is
tried alone once, so one poisonous file costs a fault for itself only. A reply for an id already
yielded is dropped: nothing is stored twice (and the gradebook's unique key would ignore it anyway).

``distributed`` is imported only here and only when a ``DaskExecutor`` is made: a plain install
(without the ``[dask]`` extra) never imports it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from grader import __version__
from grader.errors import UsageError

CHUNK_MAX = 32  # submissions per task at most: amortizes Dask's ~1 ms per task, keeps retries cheap
IN_FLIGHT_PER_THREAD = 2  # chunks queued per worker thread, so no worker waits for the next one
INSTALL_HINT = "pip install 'backprop-grader[dask]'"


# --------------------------------------------------------------------------- what travels to workers


class CoursePayload:
    """The course as a task argument: secret, language, grader version and loaded exercises.

    Pickled into each task (in memory, over the scheduler's connection); never printed: its ``repr``
    and ``str`` name no secret and no hidden point."""

    __slots__ = ("secret", "lang", "version", "exercises", "token")

    def __init__(self, secret: str, lang: str, exercises: dict[str, tuple], version: str = __version__):
        self.secret, self.lang, self.version, self.exercises = secret, lang, version, exercises
        digests = ",".join(sorted(f"{path}={model.digest}" for path, (model, _pts) in exercises.items()))
        # identifies this course on a worker (its cache key) without revealing the secret
        self.token = hmac.new(secret.encode(), f"{version}|{lang}|{digests}".encode(), hashlib.sha256).hexdigest()[:16]

    def __getstate__(self):
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        return f"CoursePayload(secret=<redacted>, lang={self.lang!r}, items={len(self.exercises)}, token={self.token})"

    __str__ = __repr__


# --------------------------------------------------------------------------- on a Dask worker

_lock = threading.Lock()  # one chunk at a time per process: the sandbox pool and its zygote are the process's
_states: dict[str, Any] = {}  # token -> WorkerState
_warm: dict[str, Any] | None = None  # this process's sandbox, as _warm_up found it


def grade_chunk(course: CoursePayload, works: list[dict[str, Any]]) -> dict[str, Any]:
    """Grade a chunk on this worker; never raises for a submission (a fault is a reply)."""
    from grader.classroom import worker

    if course.version != __version__:
        fault = f"this Dask worker runs grader {__version__}, the batch {course.version}: install the same version"
        return {"layers": None, "replies": [{"id": w.get("id"), "ok": False, "fault": fault} for w in works]}
    global _warm
    with _lock:
        if _warm is None or not _warm.get("ready"):
            _warm = worker._warm_up()  # starts this process's zygote once
        if not _warm.get("ready"):
            fault = f"the sandbox cannot start on this Dask worker: {_warm.get('error')}"
            return {"layers": None, "replies": [{"id": w.get("id"), "ok": False, "fault": fault} for w in works]}
        state = _states.get(course.token)
        if state is None:
            state = worker.WorkerState(course.secret, course.lang)
            state.exercises.update(course.exercises)
            _states.clear()  # one course per process at a time
            _states[course.token] = state
        replies = [_grade_one(work, state) for work in works]
    return {"layers": _warm.get("layers"), "replies": replies}


def _grade_one(work: dict[str, Any], state) -> dict[str, Any]:
    from grader.classroom.worker import grade_work

    if work.get("kind") != "quiz":
        return grade_work(work, state)  # the exercise's source travels in the work itself
    # A quiz answers file is read by path. The batch machine's path holds the same bytes on a shared
    # file system (or a LocalCluster); elsewhere the answers (not secret) go to a private temp file.
    raw = base64.b64decode(work["source"])
    try:
        same = Path(work["path"]).read_bytes() == raw
    except OSError:
        same = False
    if same:
        return grade_work(work, state)
    with tempfile.TemporaryDirectory(prefix="grade-quiz-") as folder:
        path = Path(folder) / work["filename"]
        path.write_bytes(raw)
        return grade_work({**work, "path": str(path)}, state)


def dask_setup(worker=None) -> None:
    """``dask worker --preload grader.classroom.dask_executor``: start this worker's sandbox before its first chunk."""
    global _warm
    from grader.classroom.worker import _warm_up

    with _lock:
        if _warm is None:
            _warm = _warm_up()


# --------------------------------------------------------------------------- on the batch's side


class DaskExecutor:
    """Submissions in chunks to the Dask cluster at ``scheduler``; replies stream back as chunks complete."""

    def __init__(
        self,
        scheduler: str,
        secret: str,
        lang: str = "en",
        preload: dict[str, tuple] | None = None,
        chunk: int | None = None,
        client=None,
    ):
        try:
            import distributed
        except ImportError:
            raise UsageError(f"--executor dask needs Dask's `distributed`: {INSTALL_HINT}") from None
        self.distributed = distributed
        self.scheduler, self.chunk = scheduler, chunk
        self.course = CoursePayload(secret, lang, preload or {})
        self.layers: dict[str, str] | None = None
        self.threads = 0
        self._own_client = client is None
        self.client = client
        self.chunks = self.resubmitted = 0  # tasks sent; chunks split after Dask gave up on them

    def start(self, count: int) -> None:
        """Connect to the scheduler and wait for a worker (threads are fine: nothing forks here)."""
        if self.client is None:
            try:
                self.client = self.distributed.Client(self.scheduler, timeout="30s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
        if count:
            try:
                self.client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                self.close()
                raise UsageError(
                    f"{self.scheduler}: no Dask worker joined within 60 s (start some: `grade worker`)"
                ) from None
        self.threads = max(1, sum(self.client.nthreads().values()))

    def _size(self, expected: int | None) -> int:
        if self.chunk:
            return self.chunk
        if not expected:
            return 8
        return max(1, min(CHUNK_MAX, expected // (self.threads * 4) or 1))

    def map(self, works: Iterable[dict[str, Any]], expected: int | None = None) -> Iterator[dict[str, Any]]:
        """Grade every work; replies in completion order. Closes the client at the end, or on any exception."""
        if expected == 0:
            self.close()
            return
        if self.client is None:
            self.start(expected or 1)
        source = iter(works)
        size = self._size(expected)
        done: set = set()
        chunk_of: dict[Any, list[dict]] = {}  # future -> its works
        queue = self.distributed.as_completed(loop=self.client.loop)

        def send(chunk: list[dict]) -> None:
            future = self.client.submit(
                grade_chunk, self.course, chunk, key=f"grade-chunk-{uuid.uuid4().hex}", pure=False
            )
            chunk_of[future] = chunk
            queue.add(future)
            self.chunks += 1

        def fill() -> None:
            limit = max(2, self.threads * IN_FLIGHT_PER_THREAD)
            while len(chunk_of) < limit:
                chunk = [w for _, w in zip(range(size), source)]
                if not chunk:
                    return
                send(chunk)

        completed = 0
        try:
            fill()
            for future in queue:
                chunk = chunk_of.pop(future)
                try:
                    result = future.result()
                except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - the chunk, not the batch, failed
                    if len(chunk) > 1 and isinstance(exc, self.distributed.KilledWorker):
                        self.resubmitted += 1
                        for work in chunk:  # alone this time: a poisonous file faults by itself
                            send([work])
                        continue
                    why = f"the Dask task failed ({type(exc).__name__}: {str(exc)[:300]})"
                    result = {"layers": None, "replies": [{"id": w["id"], "ok": False, "fault": why} for w in chunk]}
                finally:
                    future.release()
                self.layers = self.layers or result.get("layers")
                for reply in result["replies"]:
                    if reply.get("id") in done:
                        continue  # never twice
                    done.add(reply.get("id"))
                    yield reply
                completed += 1
                if completed % 16 == 0:  # workers that joined (or left) since: keep them all busy
                    self.threads = max(1, sum(self.client.nthreads().values()))
                fill()
        finally:
            for future in chunk_of:
                future.cancel()
            self.close()

    def close(self) -> None:
        if self.client is not None and self._own_client:
            self.client.close()
            self.client = None

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "dask",
            "scheduler": self.scheduler,
            "threads": self.threads,
            "chunks": self.chunks,
            "chunks_split": self.resubmitted,
        }
