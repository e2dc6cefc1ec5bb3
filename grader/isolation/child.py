"""The parent's end of one child: frames on its pipes, deadlines, bounded output, and how it ended.

A child is forked by a zygote of a ``Pool`` and never serves another submission. Its first frame
is queued before it has locked itself down; it reads nothing until then. Replies are read with a
deadline; what it prints is kept to a bounded prefix; a child that floods, hangs or will not read
is killed (by its zygote, which has not reaped it, so the pid still names it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import select
import signal
import time
from typing import TYPE_CHECKING

from grader.errors import SandboxError
from grader.isolation.pool import Exit, Pool

if TYPE_CHECKING:
    from grader.isolation.sandbox import Limits

MAX_FRAME = 256 * 1024
MAX_OUTPUT_KEPT = 16 * 1024
MAX_OUTPUT_TOTAL = 4 * 1024 * 1024
HARNESS_BROKEN = 122  # the zygote's exit status for a child whose harness raised
# Signals a child cannot send itself (its seccomp filter denies kill, tkill and tgkill) and the kernel
# sends it only for a limit we know of (SIGKILL: CPU time, the cgroup's memory): from outside, else.
OUTSIDE = {-signal.SIGKILL, -signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP, -signal.SIGQUIT, -signal.SIGUSR1,
           -signal.SIGUSR2}  # fmt: skip


class ProtocolError(Exception):
    """The child said something outside the protocol (student code wrote to our channel)."""


class Child:
    """One child forked by a zygote of ``pool``. Never reused for another submission."""

    def __init__(self, limits: Limits, pool: Pool, imports: list[str], first: dict):
        """Fork a child and queue ``first`` for it: it reads the frame once it has locked itself down."""
        self.limits, self.pool = limits, pool
        self.zygote = pool.acquire()
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.out_r, out_w = os.pipe()
        try:
            memory = limits.memory_mb * 1024 * 1024
            cpu = max(1, math.ceil(limits.cpu_seconds))
            self.zygote.spawn(cpu, memory, imports, [req_r, res_w, out_w])
        except BaseException:
            for fd in (self.req_w, self.res_r, self.out_r):
                os.close(fd)
            pool.release(self.zygote)
            raise
        finally:
            for fd in (req_r, res_w, out_w):
                os.close(fd)
        for fd in (self.res_r, self.out_r, self.req_w):
            os.set_blocking(fd, False)
        if hasattr(fcntl, "F_SETPIPE_SZ"):  # room for a whole request, so writing rarely waits
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.req_w, fcntl.F_SETPIPE_SZ, 1 << 20)
        self.poller = select.poll()  # one poll per call: plainer than a selector, and calls are many
        self.watching = {self.res_r, self.out_r}
        for fd in self.watching:
            self.poller.register(fd, select.POLLIN)
        self.buffer = b""
        self.output = bytearray()
        self.output_total = 0
        self.dead_reason = ""  # why we killed it: timeout, output, protocol, eof (its results channel closed)
        self.exit: Exit | None = None
        self._pid: int | None = None
        self.send(first)  # waits in the pipe until the child has locked itself down

    @property
    def pid(self) -> int:
        """Known once the zygote confirms the lock-down (SandboxError if it failed)."""
        if self._pid is None:
            self._pid = self.zygote.confirm()
        return self._pid

    def send(self, *frames: dict) -> None:
        """Write frames in one go; a child that will not read them in time is killed (reading then says so).

        Each goes after its length: the harness reads exactly one frame at a time.
        """
        data = b""
        for frame in frames:
            body = json.dumps(frame).encode()
            data += b"%09d\n" % len(body) + body
        deadline = time.monotonic() + max(5.0, self.limits.seconds_per_call)
        try:
            while data:
                try:
                    data = data[os.write(self.req_w, data) :]
                except BlockingIOError:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not select.select([], [self.req_w], [], remaining)[1]:
                        self.kill("timeout")
                        return
        except OSError:
            pass  # the child is gone; reading will say how

    def read_frame(self, deadline: float) -> dict | None:
        """The next frame, or None if the child died or the deadline passed (then it is killed)."""
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill("timeout")
                return None
            for fd, _ in self.poller.poll(max(1, math.ceil(remaining * 1000))):
                chunk = self._read(fd)
                if chunk is None:
                    continue
                if fd == self.out_r:
                    self._keep_output(chunk)
                    if self.output_total > MAX_OUTPUT_TOTAL:
                        self.kill("output")
                        return None
                elif chunk:
                    self.buffer += chunk
                    if len(self.buffer) > MAX_FRAME and b"\n" not in self.buffer:
                        raise ProtocolError("a reply frame is too long")
                else:  # end of file (POLLHUP): the child ended, or its code closed our channel and runs on
                    self._unwatch(self.res_r)
                    if not _ending(self.pid):
                        self.kill("eof")  # at once: nothing more can come from it
                    self._drain_output()
                    return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            frame = _decode(line.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"a reply frame is not valid JSON ({exc})") from None
        if not isinstance(frame, dict):
            raise ProtocolError("a reply frame is not an object")
        return frame

    def _unwatch(self, fd: int) -> None:
        if fd in self.watching:
            self.watching.discard(fd)
            self.poller.unregister(fd)

    def unsolicited(self) -> bool:
        """Whether the child has written on the results channel without being asked."""
        return bool(self.buffer) or bool(self._read(self.res_r))

    def _read(self, fd: int) -> bytes | None:
        """Bytes read, b"" at end of file, None on a spurious wake-up."""
        try:
            return os.read(fd, 65536)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def _keep_output(self, chunk: bytes) -> None:
        if not chunk:
            self._unwatch(self.out_r)
            return
        self.output_total += len(chunk)
        room = MAX_OUTPUT_KEPT - len(self.output)
        if room > 0:
            self.output += chunk[:room]

    def _drain_output(self, seconds: float = 0.2) -> None:
        """Keep what the child printed: what is in the pipe now, then more until its end closes or ``seconds``."""
        end = time.monotonic() + seconds
        while self.out_r in self.watching:
            chunk = self._read(self.out_r)
            if chunk is None:  # nothing more for now
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return
                self.poller.poll(max(1, math.ceil(min(remaining, 0.05) * 1000)))
                continue
            self._keep_output(chunk)
            if self.output_total > MAX_OUTPUT_TOTAL:
                return

    def kill(self, reason: str) -> None:
        self.dead_reason = self.dead_reason or reason
        if self.exit is None:
            self.zygote.kill(self.pid)

    def wait(self, timeout: float = 10.0) -> Exit:
        if self.exit is None:
            self.exit = self.zygote.wait_exit(self.pid, timeout)
            if self.exit is None:
                self.zygote.kill(self.pid)
                self.exit = self.zygote.wait_exit(self.pid, 10.0)
            if self.exit is None:
                self.zygote.broken = True
                raise SandboxError("the sandbox's zygote did not report how a child ended")
        return self.exit

    def exit_description(self, loading: bool = False) -> tuple[str, str]:
        """(kind, message) for a child that stopped without finishing: a verb phrase about the code."""
        end = self.wait()
        code, cpu = end.code, math.ceil(self.limits.cpu_seconds)
        if self._from_outside(end):
            # A fault of ours, not the student's: the file is graded again on the next run.
            raise SandboxError(f"a child was killed from outside the grader ({_signal_name(-code)})")
        if self.dead_reason == "output":
            return "output", f"printed more than {MAX_OUTPUT_TOTAL // (1024 * 1024)} MB"
        if self.dead_reason == "timeout":
            return "timeout", "ran out of time"
        if end.oom:
            return "memory", f"ran out of memory (more than {self.limits.memory_mb} MB)"
        if code == -signal.SIGXCPU or (code == -signal.SIGKILL and end.cpu >= cpu - 0.5):
            return "timeout", f"used more than {cpu} s of CPU time"
        if self.dead_reason == "eof" and code == -signal.SIGKILL:
            return "crash", "broke the grader's harness: it closed the channel the harness replies on"
        if code == -signal.SIGSYS:
            return "forbidden", "made a system call the sandbox forbids"
        if code == -signal.SIGSEGV:
            return "crash", "crashed the interpreter (segmentation fault)"
        if code < 0:
            return "crash", f"was stopped by signal {_signal_name(-code)}"
        if code == HARNESS_BROKEN:
            return (
                "crash",
                "broke the grader's harness in its own process (by replacing a built-in or a module it uses)",
            )
        if loading:
            return "crash", f"the file ended the whole process (exit status {code})"
        return "crash", f"ended the whole process (exit status {code}) instead of returning a value"

    def _from_outside(self, end: Exit) -> bool:
        """Whether a signal that ended the child came from neither its code, its limits, nor us.

        With seccomp on, a child cannot send itself a signal (kill, tkill and tgkill are denied), and
        the kernel sends SIGKILL only for a limit we know of: CPU time, or the cgroup's memory.
        """
        if end.code not in OUTSIDE or not self.zygote.layers.get("seccomp", "").startswith("on"):
            return False
        if end.code != -signal.SIGKILL:
            return True
        cpu_limit = math.ceil(self.limits.cpu_seconds)
        return self.dead_reason == "" and not end.oom and end.cpu < cpu_limit - 0.5

    def close(self) -> None:
        """Kill the child (whatever its code did to the harness, it cannot refuse) and return the zygote.

        Everything it printed before its last reply is already in the pipe. The zygote reaps it
        before its next fork, so this does not wait for the kernel to tear the process down.
        """
        try:
            if self.exit is None:
                self.kill("closed")
                self.zygote.forget_exit(self.pid)
            self._drain_output(0.0)
        finally:
            for fd in (self.req_w, self.res_r, self.out_r):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.pool.release(self.zygote)

    def captured_output(self) -> str:
        text = self.output.decode("utf-8", errors="replace")
        if self.output_total > len(self.output):
            text += f"\n… ({self.output_total - len(self.output)} more bytes not shown)"
        return text


PF_EXITING = 0x4  # the kernel's flag for a task inside exit(): its status is already set


def _ending(pid: int) -> bool:
    """Whether the process is exiting or gone (so its results channel closed with it).

    False for one that is alive and running: its code closed the channel. Read from /proc; where
    there is none, False (the caller then kills it, which cannot change how an ending one ends).
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return os.path.isdir("/proc/self")  # gone already, where /proc exists
    try:
        return fields[0] in (b"Z", b"X", b"x") or bool(int(fields[6]) & PF_EXITING)
    except (IndexError, ValueError):
        return False


def _signal_name(number: int) -> str:
    return signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a reply")


_decode = json.JSONDecoder(parse_constant=_reject_constant).decode  # built once: replies come by the thousand
