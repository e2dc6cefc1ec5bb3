"""Grading many submissions at once: worker processes fed by the one process that writes the gradebook.

The batch sends each worker one JSON line per submission on its stdin and reads one JSON line back
on its stdout (the worker moves its own stdout to stderr first, so nothing printed by accident can
break a frame). The first line carries the course secret: never the environment, never the command
line. Workers (``worker.py``) grade with ``api.grade_source``, whose sandbox sessions take their
children from the worker's own warm pool of zygotes (``grader.isolation.pool.default_pool``); the expected
values stay in the worker, the student's code runs in the children.

An executor is anything with ``map(works, expected) -> Iterator[reply]``, replies in any order,
each carrying its work's ``id``; a reply is ``{"id", "ok": true, ...result}`` or
``{"id", "ok": false, "fault": text}`` when the grader (not the student) failed. A worker that dies
costs a retry of the submissions it held; a second death of the same submission is a fault.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import selectors
import signal
import subprocess
import sys
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from grader.classroom.worker import WorkerState, die_with_parent, worker_main
from grader.errors import SandboxError

WORKER_CODE = "from grader.classroom.worker import spawned_main; spawned_main()"
DEPTH = 2  # submissions queued per worker, so it never waits for the next one
MAX_TRIES = 2
ERR_TAIL = 4096


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- the batch's side


class _ForkedProcess:
    """``Popen``'s poll, wait and kill for a process made by ``os.fork``."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired("worker", timeout or 0)
            time.sleep(0.005)
        return self.returncode  # type: ignore[return-value]

    def kill(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


@dataclass
class _Worker:
    proc: Any  # subprocess.Popen or _ForkedProcess
    to_fd: int  # its stdin
    from_fd: int  # its stdout
    err_fd: int
    inflight: deque = field(default_factory=deque)  # work ids, oldest first
    outbuf: bytearray = field(default_factory=bytearray)
    inbuf: bytearray = field(default_factory=bytearray)
    errtail: bytearray = field(default_factory=bytearray)
    head_started: float = 0.0
    ready: bool = False
    dead: bool = False
    open_fds: set = field(default_factory=set)


class WorkerError(SandboxError):
    """Workers cannot be started at all (the grader is broken, not a submission): exit code 1."""


class LocalExecutor:
    """``jobs`` worker processes on this machine.

    On Linux the first workers are forked from this process once the course is loaded, so they
    start in milliseconds with every exercise already in memory (call
    ``start`` before any other thread exists, e.g. a progress bar); replacements for a worker
    that died are started as fresh interpreters, which is safe whatever threads are running.
    """

    def __init__(
        self, jobs: int, secret: str, lang: str = "en", watchdog: float = 600.0, preload: dict[str, tuple] | None = None
    ):
        self.jobs, self.watchdog = max(1, jobs), watchdog
        self.secret, self.lang, self.preload = secret, lang, preload or {}
        self.init = json.dumps({"secret": secret, "lang": lang}).encode() + b"\n"
        self.sel = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self.failed_starts = 0
        self.layers: dict[str, str] | None = None  # the sandbox's isolation layers, as the first worker found them
        self.can_fork = hasattr(os, "fork") and sys.platform.startswith("linux")

    def start(self, count: int) -> None:
        """Start up to ``count`` workers now (forked when possible)."""
        for _ in range(max(0, min(self.jobs, count) - len(self.workers))):
            self._start(fork=self.can_fork)

    def _start(self, fork: bool = False) -> _Worker:
        to_r, to_w = map(_high, os.pipe())
        from_r, from_w = map(_high, os.pipe())
        err_r, err_w = map(_high, os.pipe())
        child_ends = (to_r, from_w, err_w)
        try:
            proc = self._fork(child_ends, (to_w, from_r, err_r)) if fork else self._spawn(child_ends)
        finally:
            for fd in child_ends:
                os.close(fd)
        worker = _Worker(proc, to_w, from_r, err_r, open_fds={to_w, from_r, err_r})
        for fd in (to_w, from_r, err_r):
            os.set_blocking(fd, False)
        self.sel.register(from_r, selectors.EVENT_READ, (worker, "out"))
        self.sel.register(err_r, selectors.EVENT_READ, (worker, "err"))
        worker.outbuf += self.init
        self._want_write(worker)
        self.workers.append(worker)
        return worker

    def _spawn(self, ends: tuple[int, int, int]):
        env = {k: v for k, v in os.environ.items() if k != "GRADE_SECRET"}
        env["GRADE_BATCH_PARENT"] = str(os.getpid())
        return subprocess.Popen(
            [sys.executable, "-c", WORKER_CODE],
            stdin=ends[0],
            stdout=ends[1],
            stderr=ends[2],
            env=env,
            start_new_session=True,
        )

    def _fork(self, ends: tuple[int, int, int], ours: tuple[int, int, int]) -> _ForkedProcess:
        parent = os.getpid()
        pid = os.fork()
        if pid:
            return _ForkedProcess(pid)
        try:  # the child: never returns
            gc.freeze()  # inherited objects are never finalized here
            os.setsid()
            for target, fd in enumerate(ends):
                os.dup2(fd, target)
            # The batch's ends of every worker's pipes: a copy kept here would hide a worker's death
            # (no end of file) or the batch's. Other inherited descriptors stay open and unused: their
            # Python owners (the gradebook, a sandbox pool) still think they are, and may close them.
            for fd in {*ours, *ends, *(fd for w in self.workers for fd in w.open_fds)}:
                with contextlib.suppress(OSError):
                    os.close(fd)
            die_with_parent(parent)
            state = WorkerState(self.secret, self.lang)
            state.exercises.update(self.preload)
            worker_main(state)
        except BaseException:  # noqa: BLE001 - report, then leave without running the parent's cleanup
            try:
                traceback.print_exc()
            finally:
                os._exit(70)
        os._exit(0)

    def _want_write(self, worker: _Worker) -> None:
        if worker.dead or worker.to_fd not in worker.open_fds:
            return
        with contextlib.suppress(KeyError):
            self.sel.register(worker.to_fd, selectors.EVENT_WRITE, (worker, "in"))

    def map(self, works: Iterable[dict[str, Any]], expected: int | None = None) -> Iterator[dict[str, Any]]:
        """Grade every work; replies in completion order. Stops the workers at the end, or on any exception."""
        source = iter(works)
        retry: deque = deque()
        pending: dict[Any, dict] = {}  # in flight: id -> work (kept for a retry)
        tries: dict[Any, int] = {}
        exhausted = False
        if expected == 0:
            self.close()
            return
        if not self.workers:
            self.start(expected if expected is not None else self.jobs)
        try:
            while True:
                for worker in [w for w in self.workers if not w.dead]:
                    while len(worker.inflight) < DEPTH:
                        work = retry.popleft() if retry else (None if exhausted else next(source, None))
                        if work is None:
                            exhausted = True
                            break
                        pending[work["id"]] = work
                        if not worker.inflight:
                            worker.head_started = time.monotonic()
                        worker.inflight.append(work["id"])
                        worker.outbuf += json.dumps(work).encode() + b"\n"
                        self._want_write(worker)
                if exhausted and not pending and not retry:
                    return
                for key, _events in self.sel.select(timeout=1.0):
                    worker, what = key.data
                    if what == "in":
                        self._write(worker)
                    elif what == "err":
                        self._read_err(worker)
                    else:
                        for reply in self._read_out(worker):
                            pending.pop(reply.get("id"), None)
                            yield reply
                now = time.monotonic()
                for worker in [w for w in self.workers if not w.dead]:
                    if worker.inflight and now - worker.head_started > self.watchdog:
                        tries[worker.inflight[0]] = MAX_TRIES
                        worker.errtail += f"\n(stopped: one submission took more than {self.watchdog:g} s)".encode()
                        worker.proc.kill()
                for worker in [w for w in self.workers if w.dead]:
                    yield from self._bury(worker, pending, tries, retry)
                    if retry or not exhausted:
                        self._start(fork=False)  # threads may run by now: a fresh interpreter, not a fork
        finally:
            self.close()

    def _write(self, worker: _Worker) -> None:
        try:
            sent = os.write(worker.to_fd, worker.outbuf)
            del worker.outbuf[:sent]
        except BlockingIOError:
            return
        except OSError:  # the worker is gone; reading its stdout will say so
            worker.outbuf.clear()
        if not worker.outbuf:
            self.sel.unregister(worker.to_fd)

    def _read_err(self, worker: _Worker) -> None:
        chunk = _read(worker.err_fd)
        if chunk == b"":
            self._forget(worker, worker.err_fd)
        elif chunk:
            worker.errtail += chunk
            del worker.errtail[:-ERR_TAIL]

    def _read_out(self, worker: _Worker) -> Iterator[dict]:
        chunk = _read(worker.from_fd)
        if chunk is None:
            return
        if chunk == b"":
            worker.dead = True
            self._forget(worker, worker.from_fd)
            return
        worker.inbuf += chunk
        while b"\n" in worker.inbuf:
            line, _, rest = bytes(worker.inbuf).partition(b"\n")
            worker.inbuf[:] = rest
            try:
                reply = json.loads(line)
                if "ready" in reply and not worker.ready:
                    if reply["ready"] is not True:
                        raise WorkerError(f"the sandbox cannot start: {reply.get('error')}")
                    worker.ready = True
                    self.failed_starts = 0
                    self.layers = self.layers or reply.get("layers")
                    continue
                if reply.get("id") not in worker.inflight:
                    raise ValueError("a reply to no submission it was given")
            except ValueError as exc:
                worker.errtail += f"\n(bad reply from the worker: {exc})".encode()
                worker.proc.kill()
                return
            worker.inflight.remove(reply["id"])
            worker.head_started = time.monotonic()
            yield reply

    def _bury(self, worker: _Worker, pending: dict, tries: dict, retry: deque) -> Iterator[dict]:
        """A worker died: close it, and retry or report the submissions it held."""
        worker.proc.kill()
        code = worker.proc.wait()
        if worker.err_fd in worker.open_fds:
            self._read_err(worker)
        for fd in list(worker.open_fds):
            self._forget(worker, fd)
        self.workers.remove(worker)
        tail = worker.errtail.decode("utf-8", "replace").strip().splitlines()[-3:]
        why = f"the grading worker stopped (exit status {code})" + (f": {' | '.join(tail)}" if tail else "")
        if not worker.ready:
            self.failed_starts += 1
            if self.failed_starts >= 3:
                raise WorkerError(why)
        for work_id in worker.inflight:
            tries[work_id] = tries.get(work_id, 0) + (1 if worker.ready else 0)  # a failed start is not theirs
            if tries[work_id] < MAX_TRIES and work_id in pending:
                retry.append(pending[work_id])
            else:
                pending.pop(work_id, None)
                yield {"id": work_id, "ok": False, "fault": why}

    def _forget(self, worker: _Worker, fd: int) -> None:
        if fd not in worker.open_fds:
            return
        worker.open_fds.discard(fd)
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(fd)
        os.close(fd)

    def close(self) -> None:
        for worker in self.workers:
            self._forget(worker, worker.to_fd)  # end of input: a worker between submissions stops at once
        deadline = time.monotonic() + 2.0
        for worker in self.workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(timeout=max(0.0, deadline - time.monotonic()) if not worker.inflight else 0.0)
            worker.proc.kill()
            worker.proc.wait()
            for fd in list(worker.open_fds):
                self._forget(worker, fd)
        self.workers.clear()
        self.sel.close()


def _high(fd: int) -> int:
    """A descriptor above 2 (a batch started with stdin closed gets pipes at 0, which dup2 would clobber)."""
    if fd > 2:
        return fd
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)
    return high


def _read(fd: int) -> bytes | None:
    try:
        return os.read(fd, 1 << 20)
    except BlockingIOError:
        return None
    except OSError:
        return b""
