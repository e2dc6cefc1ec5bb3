"""Warm zygotes, lent one at a time to sessions; and which isolation layers they could set up.

A ``Zygote`` is a small interpreter started by exec (never a fork of the grader, whose heap holds
expected values and whose environment holds the course secret) with an empty environment. It
forks one child per submission, which locks itself down (see ``lockdown.py``) before it reads
anything the student wrote. A ``Pool`` keeps zygotes warm and lends each to one session at a time,
so N sessions in N threads use N zygotes; children get a uid of their own (base + pid), so
concurrent children of any number of pools and processes never share a uid.

    with Pool(size=4) as pool:                  # once per batch
        with Session(..., pool=pool) as s:      # from up to 4 threads at once
            ...
    isolation(pool).notice                      # None, or what is weaker on this machine
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass

from grader.errors import SandboxError
from grader.isolation.launch import MEMORY, Launched, launch

LAYERS = ("process", "rlimits", "uid", "netns", "landlock", "seccomp", "cgroup")
LOST = {
    "rlimits": "no CPU, memory, file-size or process limits inside the child",
    "uid": "student code runs as your user: it can signal or read your other processes, and only "
    "Landlock stands between it and files you can read",
    "netns": "no empty network namespace: only seccomp and Landlock keep it off the network",
    "landlock": "student code can read (and, as your user, write) any file you can",
    "seccomp": "student code is not stopped by the kernel from opening sockets, starting programs or sending signals",
    "cgroup": "no kernel cap on the child's resident memory and process count beyond the resource limits",
}


_PACKAGES: dict[str, dict | None] = {}


def packages_of(imports: list[str]) -> dict[str, dict]:
    """Where each allowed package outside the standard library lives, as this interpreter finds it:
    ``{name: {"path": the folder holding it, "dirs": its own folder and its vendored libraries}}``.

    The zygote imports it from there (its own path is the standard library only) and builds a
    Landlock ruleset that reads exactly those folders. Never the grader itself.
    """
    import importlib.util

    found = {}
    for name in imports:
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top == "grader" or not top.isidentifier():
            continue
        if top not in _PACKAGES:
            try:
                spec = importlib.util.find_spec(top)
            except (ImportError, ValueError):
                spec = None
            where = list(spec.submodule_search_locations or ()) if spec else []
            if len(where) == 1 and os.path.isdir(where[0]):
                folder = os.path.realpath(where[0])
                parent = os.path.dirname(folder)
                libs = os.path.join(parent, f"{top}.libs")  # manylinux wheels vendor shared libraries here
                dirs = [folder] + ([libs] if os.path.isdir(libs) else [])
                _PACKAGES[top] = {"path": parent, "dirs": dirs}
            else:
                _PACKAGES[top] = None
        if _PACKAGES[top] is not None:
            found[top] = _PACKAGES[top]
    return found


@dataclass(frozen=True)
class Exit:
    code: int  # exit status, or minus the signal number
    cpu: float  # seconds of CPU time used
    rss_kb: int
    oom: bool  # killed by the cgroup's out-of-memory killer


class Zygote:
    """The parent's end of one zygote process. Used by one thread at a time (a pool's lease)."""

    def __init__(
        self, memory: int = MEMORY, off: tuple[str, ...] = (), standby: bool = True, launched: Launched | None = None
    ):
        """Start a zygote (or adopt ``launched``, started with the same settings) and wait until it is ready."""
        if launched is None:
            try:
                launched = launch(memory, off, standby)
            except OSError as exc:
                raise SandboxError(f"could not start the sandbox's zygote: {exc}") from None
        self.proc = launched
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=launched.sock.detach())
        self.buffer, self.exits = b"", {}
        self.forget: set[int] = set()  # children killed at the end of a session: their exits are dropped
        self.broken = False
        ready = self._next(time.monotonic() + 30)
        if ready is None or ready.get("op") != "ready":
            self.close()
            raise SandboxError(f"the sandbox's zygote did not start: {self._stderr()}")
        self.pid: int = ready["pid"]
        self.layers: dict[str, str] = ready["layers"]
        self.cgroups: list[str] = ready.get("cgroups", [])

    def alive(self) -> bool:
        return not self.broken and self.proc.poll() is None

    def spawn(self, cpu: int, memory: int, imports: list[str], fds: list[int]) -> None:
        """Ask for a child holding ``fds`` as its requests, replies and output; ``confirm()`` says if it locked down.

        The caller may write to the child meanwhile: it reads nothing before it has locked itself down.
        """
        request = {"op": "spawn", "cpu": cpu, "memory": memory, "imports": imports, "packages": packages_of(imports)}
        try:
            socket.send_fds(self.sock, [(json.dumps(request) + "\n").encode()], fds)
        except OSError as exc:
            self.broken = True
            raise SandboxError(f"the sandbox's zygote is gone: {exc}") from None

    def confirm(self) -> int:
        """The pid of the child asked for last; SandboxError if it could not lock itself down."""
        reply = self._until("spawned", None, time.monotonic() + 30)
        if not reply.get("ok"):
            raise SandboxError(f"a child could not lock itself down ({reply.get('error', '?')})")
        return int(reply["pid"])

    def kill(self, pid: int) -> None:
        try:
            self.sock.sendall((json.dumps({"op": "kill", "pid": pid}) + "\n").encode())
        except OSError:
            self.broken = True

    def forget_exit(self, pid: int) -> None:
        """Drop this child's exit report when it comes (the zygote reaps it before its next fork)."""
        if self.exits.pop(pid, None) is None:
            self.forget.add(pid)

    def wait_exit(self, pid: int, timeout: float) -> Exit | None:
        """How the child ended, or None if it is still running after ``timeout`` seconds."""
        if pid not in self.exits:
            self._until("exit", pid, time.monotonic() + timeout, quiet=True)
        return self.exits.pop(pid, None)

    def _until(self, op: str, pid: int | None, deadline: float, quiet: bool = False) -> dict:
        while True:
            frame = self._next(deadline)
            if frame is None:
                if quiet and self.alive():
                    return {}
                self.broken = True
                raise SandboxError(f"the sandbox's zygote stopped answering: {self._stderr()}")
            if frame.get("op") == "exit":
                if frame["pid"] in self.forget:
                    self.forget.discard(frame["pid"])
                    continue
                self.exits[frame["pid"]] = Exit(frame["code"], frame["cpu"], frame["rss_kb"], frame["oom"])
                if op == "exit" and frame["pid"] == pid:
                    return frame
            elif frame.get("op") == op:
                return frame

    def _next(self, deadline: float) -> dict | None:
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            except OSError:
                chunk = b""
            if not chunk:
                self.broken = True
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return "no reply"
        text = self.proc.last_words().strip()
        return text.splitlines()[-1] if text else f"exit status {self.proc.returncode}"

    def close(self) -> None:
        self.sock.close()  # end of file: the zygote kills its children and exits
        if not self.proc.wait(5):
            self.proc.kill()
            self.proc.wait()
        self.proc.close_stderr()
        for path in getattr(self, "cgroups", ()):  # its children die with it (their death signal)
            for _ in range(200):  # (an empty cgroup left behind is swept when the next zygote starts)
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still busy with a dying child
                    time.sleep(0.01)


class Pool:
    """Zygotes started on demand (at most ``size`` at once, unbounded if None) and kept warm.

    Thread-safe. A pool belongs to the process that made it: after a fork, the copy in the new
    process forgets the inherited zygotes and starts its own.
    """

    def __init__(self, size: int | None = None, *, off: tuple[str, ...] = (), standby: bool = True):
        self.size, self.off, self.standby = size, tuple(off), standby
        self._idle: list[Zygote] = []
        self._count = 0
        self._cond = threading.Condition()
        self._owner = os.getpid()
        self._layers: dict[str, str] | None = None
        self._starting = 0  # zygotes booting in the background (prestart)
        self.closed = False

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def acquire(self) -> Zygote:
        with self._cond:
            self._forget_if_forked()
            if self.closed:
                raise SandboxError("the sandbox pool is closed")
            while True:
                while not self._idle and self._starting:  # one is booting: wait for it, start no other
                    self._cond.wait()
                while self._idle:
                    zygote = self._idle.pop()
                    if zygote.alive():
                        return zygote
                    self._count -= 1
                    zygote.close()
                if self.size is None or self._count < self.size:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            zygote = Zygote(off=self.off, standby=self.standby)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        self._layers = zygote.layers
        return zygote

    def prestart(self, launched: Launched | None = None) -> None:
        """Boot one zygote in the background, so that it starts while the caller imports and loads;
        or adopt ``launched``, one the caller started even earlier with this pool's settings.

        The next ``acquire`` waits for it rather than starting another.
        """
        if launched is not None and launched.settings != (MEMORY, self.off, self.standby):
            launched.abandon()  # started for another pool's settings: it ends at the end of its socket
            launched = None
        with self._cond:
            if self.closed or self._idle or self._starting or (self.size is not None and self._count >= self.size):
                if launched is not None:  # not needed
                    launched.abandon()
                return
            self._starting += 1
            self._count += 1

        def boot() -> None:
            zygote = None
            try:
                zygote = Zygote(off=self.off, standby=self.standby, launched=launched)
                self._layers = zygote.layers
            except (SandboxError, OSError):
                pass
            with self._cond:
                self._starting -= 1
                if zygote is not None and not self.closed:
                    self._idle.append(zygote)
                else:
                    self._count -= 1
                    if zygote is not None:
                        zygote.close()
                self._cond.notify_all()

        threading.Thread(target=boot, name="zygote-prestart", daemon=True).start()

    def release(self, zygote: Zygote) -> None:
        with self._cond:
            if os.getpid() != self._owner:
                return
            if self.closed or not zygote.alive():
                self._count -= 1
                zygote.close()
            else:
                self._idle.append(zygote)
            self._cond.notify()

    def layers(self) -> dict[str, str]:
        if self._layers is None:
            self.release(self.acquire())
        return dict(self._layers or {})

    def close(self) -> None:
        """Stop the idle zygotes, and wait for one still booting (it stops itself on seeing the pool
        closed): a program that ends early leaves no zygote or cgroup behind."""
        with self._cond:
            self.closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
            if os.getpid() == self._owner:
                self._cond.wait_for(lambda: not self._starting, timeout=10)
        if os.getpid() == self._owner:
            for zygote in idle:
                zygote.close()

    def _forget_if_forked(self) -> None:
        if os.getpid() != self._owner:  # inherited sockets: close our copies, never talk on them
            for zygote in self._idle:
                zygote.sock.close()
            self._idle, self._count, self._owner = [], 0, os.getpid()
            self._starting = 0  # the thread that was booting one did not come along


_default: Pool | None = None
_default_lock = threading.Lock()


def default_pool() -> Pool:
    """The pool sessions use when they are given none; grows with the number of concurrent sessions."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = Pool()
            atexit.register(_default.close)
        return _default


@dataclass(frozen=True)
class Isolation:
    layers: dict[str, str]  # layer → "on: …" or "off: reason"

    @property
    def active(self) -> list[str]:
        return [name for name, state in self.layers.items() if state.startswith("on")]

    @property
    def missing(self) -> dict[str, str]:
        return {name: state.removeprefix("off: ") for name, state in self.layers.items() if not state.startswith("on")}

    @property
    def notice(self) -> str | None:
        """A note for the person running the grader when some layer is missing, else None."""
        if not self.missing:
            return None
        lines = [f"note: student code runs with weaker isolation here ({', '.join(self.missing)} unavailable):"]
        lines += [f"  - {name}: {LOST.get(name, why)} ({why})" for name, why in self.missing.items()]
        lines.append("  Results are computed the same way; grade untrusted classes as root on Linux.")
        return "\n".join(lines)


def isolation(pool: Pool | None = None) -> Isolation:
    """Which layers hold for sessions of ``pool`` (default: the shared pool); starts a zygote if needed."""
    if sys.platform == "win32":
        return Isolation({"process": "off: the sandbox needs a POSIX system"})
    return Isolation((pool or default_pool()).layers())
