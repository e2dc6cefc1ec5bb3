"""Start a zygote process: ``os`` and ``_socket`` only, so it can be the first thing ``grade submit`` does.

A zygote's interpreter takes ~50 ms to boot; the grader takes about as long to import. Started by
``grader.cli.main`` before anything else is imported, the zygote boots beside the imports (on
another core, where there is one) instead of after the ~25 ms that ``json``, ``socket`` and
``subprocess`` would cost first. ``pool.Zygote`` adopts the process and speaks its protocol; every
zygote, early or not, is started here, the same way.

The zygote is started by ``posix_spawn`` (never a fork of the grader, whose heap holds expected
values and whose environment holds the course secret) with an empty environment, its own session,
stdin and stdout on /dev/null, stderr on a pipe kept for error messages, and the control socket as
descriptor 3. Python makes every other descriptor close-on-exec, so nothing else is inherited, even
when threads start zygotes at once.
"""

from __future__ import annotations

import os
import sys

ZYGOTE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zygote.py")
CTRL_FD = 3  # where the zygote finds its end of the control socket
UID_BASE = 1_900_000_000  # + pid: no account, no file owner, unique among living children
PRELOAD = ("__future__", "math", "unicodedata")  # more are imported on demand, from allowed_imports
MEMORY = 512 * 1024 * 1024


def config_text(memory: int = MEMORY, off: tuple[str, ...] = (), standby: bool = True) -> str:
    """The zygote's configuration as JSON, written without the json module (it costs ~7 ms to import)."""

    def names(values) -> str:
        for value in values:
            if not value.replace("_", "").replace(".", "").isalnum() or not value.isascii():
                raise ValueError(f"not a plain name: {value!r}")
        return "[" + ", ".join(f'"{value}"' for value in values) + "]"

    return (
        f'{{"uid_base": {int(UID_BASE)}, "memory": {int(memory)}, "preload": {names(PRELOAD)}, '
        f'"off": {names(off)}, "standby": {"true" if standby else "false"}}}'
    )


class Launched:
    """A started zygote: its pid, the parent's end of the control socket, and its stderr.

    What ``pool.Zygote`` needs of the process, as ``subprocess.Popen`` offers it: ``poll``, ``wait``
    (on a pidfd where there is one: no polling), ``kill`` and the last words on stderr.
    """

    def __init__(self, pid: int, sock, stderr_fd: int, settings: tuple = ()) -> None:
        self.pid, self.sock, self.stderr_fd = pid, sock, stderr_fd
        self.settings = settings  # (memory, off, standby) it was started with
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> bool:
        """Whether it has ended (and is reaped) within ``timeout`` seconds (None: however long it takes)."""
        if self.poll() is not None:
            return True
        if timeout is not None:
            import select

            try:
                fd = os.pidfd_open(self.pid)
            except (AttributeError, OSError):  # no pidfd (before Linux 5.3, or not Linux): wait in small steps
                import time

                end = time.monotonic() + timeout
                while self.poll() is None and time.monotonic() < end:
                    time.sleep(0.002)
                return self.returncode is not None
            try:
                if not select.select([fd], [], [], timeout)[0]:
                    return False
            finally:
                os.close(fd)
        try:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            self.returncode = -1
        return True

    def kill(self) -> None:
        if self.poll() is None:
            try:  # noqa: SIM105 - contextlib is not imported here
                os.kill(self.pid, 9)  # SIGKILL (the signal module's enums cost ~5 ms to import)
            except ProcessLookupError:
                pass

    def last_words(self, limit: int = 4000) -> str:
        """What it wrote on stderr (read once it has ended; nothing if it is still running)."""
        if self.poll() is None or self.stderr_fd < 0:
            return ""
        data = b""
        while len(data) < limit:
            chunk = os.read(self.stderr_fd, limit - len(data))
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace")

    def close_stderr(self) -> None:
        if self.stderr_fd >= 0:
            os.close(self.stderr_fd)
            self.stderr_fd = -1

    def abandon(self) -> None:
        """Close this process's ends: the zygote stops at the end of its socket. Also what a forked
        copy of the parent does, so that the zygote sees that end when the parent closes its own."""
        self.sock.close()
        self.close_stderr()


def launch(memory: int = MEMORY, off: tuple[str, ...] = (), standby: bool = True) -> Launched:
    """Start a zygote; OSError if it cannot be (no ``posix_spawn``, no descriptors left, ...)."""
    if not hasattr(os, "posix_spawn"):
        raise OSError("this system has no posix_spawn")
    import _signal  # the signal numbers, without the signal module's enums (~5 ms to import)
    import _socket

    mine, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    err_r, err_w = os.pipe()
    theirs_fd = theirs.detach()
    # A descriptor among 0–3 would be overwritten (or stay open) by the moves into 0–3: use a copy above.
    ctrl, err = _above(theirs_fd), _above(err_w)
    try:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, err, 2),
            (os.POSIX_SPAWN_DUP2, ctrl, CTRL_FD),
        ]
        argv = [sys.executable, "-I", "-S", "-B", "-u", ZYGOTE, str(CTRL_FD), config_text(memory, off, standby)]
        defaults = (_signal.SIGPIPE, _signal.SIGXFSZ)  # as subprocess restores them before an exec
        try:
            pid = os.posix_spawn(sys.executable, argv, {}, file_actions=actions, setsid=True, setsigdef=defaults)
        except NotImplementedError:  # no POSIX_SPAWN_SETSID here: the zygote calls setsid() itself
            pid = os.posix_spawn(sys.executable, argv, {}, file_actions=actions, setsigdef=defaults)
    except BaseException:
        mine.close()
        os.close(err_r)
        raise
    finally:
        for fd in {theirs_fd, err_w, ctrl, err}:
            os.close(fd)
    return Launched(pid, mine, err_r, (memory, tuple(off), standby))


def _above(fd: int) -> int:
    """``fd`` itself if it is above the descriptors the child's are moved into, else a copy that is."""
    if fd > CTRL_FD:
        return fd
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, CTRL_FD + 1)
