"""The parent side of isolation: start a child, talk to it by frames, enforce limits, decode replies.

The child runs ``harness.py`` under ``python -I -S`` with an empty environment, an empty working
folder and resource limits. It is given inputs only; expected values never leave this process.
Replies are read with deadlines (one per call, so a runaway function is named with its point),
kept to bounded sizes, and decoded into plain floats or a ``Bad`` marker: nothing the child
returns is trusted until it is checked here.

A child that dies or hangs in the middle of a round costs only the call it was in (and the
remaining calls of the same function): a fresh child finishes the rest.
"""

from __future__ import annotations

import json
import math
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).with_name("harness.py")
MAX_FRAME = 256 * 1024
MAX_OUTPUT_KEPT = 16 * 1024
MAX_OUTPUT_TOTAL = 4 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    seconds_per_call: float = 2.0
    seconds_to_load: float = 5.0
    memory_mb: int = 512


@dataclass(frozen=True)
class Call:
    id: int
    fn: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    where: str = ""  # for messages: "at point public-1, node e"


@dataclass(frozen=True)
class Bad:
    """A reply that is not a plain finite number: why, in a few words."""

    what: str  # "nan", "inf", "-inf", "str", "bool", a type name, "huge int"
    text: str = ""


Value = float | Bad | list | dict  # lists and dicts hold floats and Bads only


@dataclass(frozen=True)
class CallResult:
    id: int
    ok: bool
    value: Value | None = None
    kind: str = ""  # exception, memory, timeout, crash, output, forbidden, skipped
    type: str = ""
    message: str = ""
    line: int | None = None


@dataclass(frozen=True)
class LoadReport:
    ok: bool
    functions: dict[str, dict | None] = field(default_factory=dict)
    kind: str = ""
    message: str = ""
    line: int | None = None


class ProtocolError(Exception):
    """The child said something outside the protocol (student code wrote to our channel)."""


# --------------------------------------------------------------------------- one child


class Child:
    """One child process running the harness. Never reused for another submission."""

    def __init__(self, limits: Limits):
        self.limits = limits
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.out_r, out_w = os.pipe()
        self.workdir = tempfile.TemporaryDirectory(prefix="grade-child-")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", "-u", str(HARNESS), str(req_r), str(res_w)],
                stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, pass_fds=(req_r, res_w),
                cwd=self.workdir.name, env={}, start_new_session=True,
                preexec_fn=self._limit,
            )
        finally:
            for fd in (req_r, res_w, out_w):
                os.close(fd)
        for fd in (self.res_r, self.out_r):
            os.set_blocking(fd, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.res_r, selectors.EVENT_READ, "res")
        self.selector.register(self.out_r, selectors.EVENT_READ, "out")
        self.buffer = b""
        self.output = bytearray()
        self.output_total = 0
        self.dead_reason = ""  # why we killed it: timeout, output

    def _limit(self) -> None:
        cpu = int(self.limits.seconds_to_load + 60)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        mem = self.limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    def send(self, frame: dict) -> None:
        data = (json.dumps(frame) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.req_w, data):]
        except (BrokenPipeError, OSError):
            pass  # the child is gone; reading will say how

    def read_frame(self, deadline: float) -> dict | None:
        """The next frame, or None if the child died or the deadline passed (then it is killed)."""
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill("timeout")
                return None
            for key, _ in self.selector.select(remaining):
                chunk = self._read(key.fd)
                if chunk is None:
                    continue
                if key.data == "out":
                    self._keep_output(chunk)
                    if self.output_total > MAX_OUTPUT_TOTAL:
                        self.kill("output")
                        return None
                elif chunk:
                    self.buffer += chunk
                    if len(self.buffer) > MAX_FRAME and b"\n" not in self.buffer:
                        raise ProtocolError("a reply frame is too long")
                else:
                    self.selector.unregister(self.res_r)
                    self._drain_output()
                    return None
            if self.res_r not in self.selector.get_map():
                return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            frame = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"a reply frame is not valid JSON ({exc})") from None
        if not isinstance(frame, dict):
            raise ProtocolError("a reply frame is not an object")
        return frame

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
            if self.out_r in self.selector.get_map():
                self.selector.unregister(self.out_r)
            return
        self.output_total += len(chunk)
        room = MAX_OUTPUT_KEPT - len(self.output)
        if room > 0:
            self.output += chunk[:room]

    def _drain_output(self) -> None:
        if self.out_r not in self.selector.get_map():
            return
        end = time.monotonic() + 0.2
        while time.monotonic() < end and self.out_r in self.selector.get_map():
            for _key, _ in self.selector.select(0.05):
                chunk = self._read(self.out_r)
                if chunk is not None:
                    self._keep_output(chunk)

    def kill(self, reason: str) -> None:
        self.dead_reason = self.dead_reason or reason
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def exit_description(self) -> tuple[str, str]:
        """(kind, message) for a child that stopped without finishing."""
        code = self.proc.wait()
        if self.dead_reason == "output":
            return "output", f"printed more than {MAX_OUTPUT_TOTAL // (1024 * 1024)} MB of output"
        if self.dead_reason == "timeout" or code in (-signal.SIGXCPU, -signal.SIGKILL):
            return "timeout", "ran out of time"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            return "crash", f"the process was killed by signal {name}"
        return "crash", f"the program ended the process itself (exit status {code})"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.send({"done": True})
            try:
                self.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                self.kill("closed")
                self.proc.wait()
        self._drain_output()
        self.selector.close()
        for fd in (self.req_w, self.res_r, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.workdir.cleanup()

    def captured_output(self) -> str:
        text = self.output.decode("utf-8", errors="replace")
        if self.output_total > len(self.output):
            text += f"\n… ({self.output_total - len(self.output)} more bytes not shown)"
        return text


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a reply")


# --------------------------------------------------------------------------- a submission's session


class Session:
    """Loads one submission in a child and answers rounds of calls, restarting after a fatal call."""

    def __init__(self, source: str, filename: str, module: str, functions: list[str],
                 allowed_imports: list[str], limits: Limits):
        self.load_request = {"filename": filename, "source": source, "module": module,
                             "allowed_imports": list(allowed_imports), "functions": list(functions)}
        self.limits = limits
        self.child: Child | None = None
        self.outputs: list[str] = []
        self.restarts = 0

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self._retire()

    def _retire(self) -> None:
        if self.child is not None:
            self.child.close()
            text = self.child.captured_output()
            if text:
                self.outputs.append(text)
            self.child = None

    @property
    def output(self) -> str:
        return "".join(self.outputs)

    def load(self) -> LoadReport:
        self.child = Child(self.limits)
        self.child.send({"load": self.load_request})
        try:
            frame = self.child.read_frame(time.monotonic() + self.limits.seconds_to_load)
        except ProtocolError as exc:
            return LoadReport(False, kind="output", message=f"the file wrote to the grader's channel: {exc}")
        if frame is None:
            kind, message = self.child.exit_description()
            if kind == "timeout":
                message = f"loading the file took more than {self.limits.seconds_to_load:g} s"
            return LoadReport(False, kind=kind, message=message)
        return _decode_load(frame)

    def run(self, calls: list[Call]) -> dict[int, CallResult]:
        """Every call's result; a child that dies costs the call it was in, not the rest."""
        results: dict[int, CallResult] = {}
        pending = list(calls)
        while pending:
            if self.child is None:
                self.restarts += 1
                report = self.load()
                if not report.ok:  # it loaded before; failing now is the child's environment
                    for call in pending:
                        results[call.id] = CallResult(call.id, False, kind=report.kind or "crash",
                                                      message=report.message)
                    break
            done = self._round(pending, results)
            failed = pending[done] if done < len(pending) else None
            pending = pending[done + 1:] if failed else []
            if failed is not None:  # skip the rest of the function that could not finish
                reason = results[failed.id]
                for call in [c for c in pending if c.fn == failed.fn]:
                    results[call.id] = CallResult(call.id, False, kind="skipped",
                                                  message=f"not run: an earlier call {reason.message}")
                pending = [c for c in pending if c.fn != failed.fn]
        return results

    def _round(self, calls: list[Call], results: dict[int, CallResult]) -> int:
        """Send the calls; record replies. Returns how many were answered before a fatal stop."""
        child = self.child
        assert child is not None
        child.send({"calls": [{"id": c.id, "fn": c.fn, "args": list(c.args), "kwargs": c.kwargs} for c in calls]})
        for index, call in enumerate(calls):
            deadline = time.monotonic() + self.limits.seconds_per_call
            try:
                frame = child.read_frame(deadline)
                result = _decode_call(frame, call) if frame is not None else None
            except ProtocolError as exc:
                child.kill("protocol")
                result = CallResult(call.id, False, kind="output",
                                    message=f"wrote to the grader's result channel ({exc})")
                results[call.id] = result
                self._retire()
                return index
            if result is None:
                kind, message = child.exit_description()
                if kind == "timeout":
                    message = f"ran for more than {self.limits.seconds_per_call:g} s"
                results[call.id] = CallResult(call.id, False, kind=kind, message=message)
                self._retire()
                return index
            results[call.id] = result
        return len(calls)


# --------------------------------------------------------------------------- decoding replies


def _decode_load(frame: dict) -> LoadReport:
    if frame.get("loaded") is True and isinstance(frame.get("functions"), dict):
        functions = {str(k): (v if isinstance(v, dict) else None) for k, v in frame["functions"].items()}
        return LoadReport(True, functions=functions)
    kind = frame.get("kind") if frame.get("kind") in ("syntax_error", "crash", "forbidden", "memory") else "crash"
    return LoadReport(False, kind=kind, message=_text(frame.get("message")), line=_line(frame.get("line")))


def _decode_call(frame: dict, call: Call) -> CallResult:
    if frame.get("id") != call.id or type(frame.get("ok")) is not bool:
        raise ProtocolError(f"expected the reply to call {call.id}")
    if frame["ok"]:
        return CallResult(call.id, True, value=decode_value(frame.get("value"), 0))
    kind = frame.get("kind") if frame.get("kind") in ("exception", "memory", "forbidden") else "exception"
    return CallResult(call.id, False, kind=kind, type=_text(frame.get("type"), 60),
                      message=_text(frame.get("message")), line=_line(frame.get("line")))


def decode_value(raw: Any, depth: int) -> Value:
    """The child's encoding → floats, lists, dicts and Bad markers; anything else is Bad."""
    if type(raw) is int:
        return float(raw) if abs(raw) < 2**1023 else Bad("huge int")
    if type(raw) is float:
        return raw if math.isfinite(raw) else Bad("inf")
    if type(raw) is not dict or depth > 0 and ("seq" in raw or "map" in raw):
        return Bad("nested" if type(raw) is dict else "malformed")
    if raw.get("special") in ("nan", "inf", "-inf"):
        return Bad(raw["special"])
    if isinstance(raw.get("seq"), list) and type(raw.get("len")) is int:
        items = [decode_value(v, 1) for v in raw["seq"][:64]]
        return items + [Bad("too long")] * (raw["len"] > len(items))
    if isinstance(raw.get("map"), dict):
        return {_text(k, 60): decode_value(v, 1) for k, v in list(raw["map"].items())[:64]}
    if "bad" in raw:
        return Bad(_text(raw.get("bad"), 60) or "object", _text(raw.get("text"), 60))
    return Bad("malformed")


def _text(value: Any, limit: int = 300) -> str:
    if type(value) is not str:
        return ""
    clean = "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in value[:limit])
    return clean


def _line(value: Any) -> int | None:
    return value if type(value) is int and 0 < value < 10**7 else None
