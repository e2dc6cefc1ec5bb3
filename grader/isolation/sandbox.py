"""The parent side of isolation: lend a child from a zygote, talk to it by frames, decode its replies.

Each submission runs in a fresh child forked by a warm zygote (``pool.py``), which locks itself
down (``lockdown.py``: resource limits, its own uid, no network, Landlock, seccomp, cgroup) before
it reads the source, which travels straight from here to the child, never through the zygote. It
is given inputs only; expected values never leave this process. Replies are read with deadlines
(one per call, so a runaway function is named with its point), kept to bounded sizes, and decoded
into plain floats or a ``Bad`` marker: nothing the child returns is trusted until it is checked here.

A child that dies or hangs in the middle of a round costs only the call it was in (and the
remaining calls of the same function): a fresh child finishes the rest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grader.isolation.child import Child, ProtocolError
from grader.isolation.pool import Isolation, Pool, default_pool, isolation

__all__ = [
    "Bad",
    "Call",
    "CallResult",
    "Isolation",
    "Limits",
    "LoadReport",
    "Pool",
    "Session",
    "decode_value",
    "isolation",
]


@dataclass(frozen=True)
class Limits:
    seconds_per_call: float = 2.0
    seconds_to_load: float = 5.0
    memory_mb: int = 512
    cpu_seconds: float = 60.0  # CPU time of one child in all (a backstop): the kernel's SIGKILL beyond it


@dataclass(frozen=True)
class Call:
    id: int
    fn: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    where: str = ""  # for messages: "at point public-1, node e"
    echo: bool = False  # send the positional arguments back after the call (did the function change them?)


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
    args_after: tuple | None = None  # with Call.echo: the positional arguments as the function left them


@dataclass(frozen=True)
class LoadReport:
    ok: bool
    functions: dict[str, dict | None] = field(default_factory=dict)
    kind: str = ""
    message: str = ""
    line: int | None = None


# --------------------------------------------------------------------------- a submission's session


class Session:
    """Loads one submission in a child and answers rounds of calls, restarting after a fatal call.

    ``child_factory`` makes each child: a forked, locked-down process (``Child``) everywhere but in
    the browser, where the site's practice worker sets ``inprocess.InProcessChild`` once at start-up
    (the worker is the student's own sandbox; see docs/site.md).
    """

    child_factory: Callable[..., Child] = Child

    def __init__(
        self,
        source: str,
        filename: str,
        module: str,
        functions: list[str],
        allowed_imports: list[str],
        limits: Limits,
        pool: Pool | None = None,
    ):
        self.load_request = {
            "filename": filename,
            "source": source,
            "module": module,
            "allowed_imports": list(allowed_imports),
            "functions": list(functions),
        }
        self.limits = limits
        self.pool = pool
        self.child: Child | None = None
        self.outputs: list[str] = []
        self.restarts = 0
        self.given_up: dict[str, str] = {}  # function → why its later calls are not run (it hung, crashed, …)

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
        """What the submission printed so far, in every child it ran in (each kept to a bounded prefix)."""
        if self.child is None:
            return "".join(self.outputs)
        self.child._drain_output(0.0)
        return "".join(self.outputs) + self.child.captured_output()

    def load(self) -> LoadReport:
        """Start a child and load the source in it (the child reads it only once locked down)."""
        self._retire()
        factory = type(self).child_factory
        pool = self.pool or (default_pool() if factory is Child else None)
        self.child = factory(self.limits, pool, self.load_request["allowed_imports"], {"load": self.load_request})
        try:
            frame = self.child.read_frame(time.monotonic() + self.limits.seconds_to_load)
            self.child.pid  # noqa: B018 - the zygote confirms the lock-down before any reply counts
        except ProtocolError as exc:
            self.child.kill("protocol")
            return LoadReport(
                False, kind="forbidden", message=f"the file wrote to the grader's private channel ({exc})"
            )
        if frame is None:
            kind, message = self.child.exit_description(loading=True)
            if kind == "timeout" and self.child.dead_reason == "timeout":
                message = f"loading the file took more than {self.limits.seconds_to_load:g} s"
            return LoadReport(False, kind=kind, message=message)
        try:
            report = _decode_load(frame)
        except ProtocolError as exc:
            self.child.kill("protocol")
            return LoadReport(
                False, kind="forbidden", message=f"the file wrote to the grader's private channel ({exc})"
            )
        if report.kind == "memory":
            report = LoadReport(False, kind="memory", message=self._memory_message(), line=report.line)
        if not report.ok:
            self._retire()  # a later run() loads again in a fresh child, and reports this failure per call
        return report

    def _memory_message(self) -> str:
        return f"ran out of memory (more than {self.limits.memory_mb} MB)"

    def run(self, calls: list[Call]) -> dict[int, CallResult]:
        """Every call's result; a child that dies costs the call it was in, not the rest.

        A function whose call could not finish is not called again in this session, in this
        round or a later one: its remaining calls are ``skipped``.
        """
        results: dict[int, CallResult] = {}
        pending = self._skip_given_up(list(calls), results)
        while pending:
            if self.child is None:
                self.restarts += 1
                report = self.load()
                if not report.ok:  # it loaded before; failing now is the child's environment
                    for call in pending:
                        results[call.id] = CallResult(
                            call.id, False, kind=report.kind or "crash", message=report.message
                        )
                    break
            done = self._round(pending, results)
            failed = pending[done] if done < len(pending) else None
            pending = pending[done + 1 :] if failed else []
            if failed is not None:  # skip the rest of the function that could not finish
                self.given_up[failed.fn] = results[failed.id].message
                pending = self._skip_given_up(pending, results)
        return results

    def _skip_given_up(self, calls: list[Call], results: dict[int, CallResult]) -> list[Call]:
        """The calls still worth making; the others are recorded as skipped."""
        for call in calls:
            if call.fn in self.given_up:
                why = self.given_up[call.fn]
                results[call.id] = CallResult(call.id, False, kind="skipped", message=f"not run: an earlier call {why}")
        return [c for c in calls if c.fn not in self.given_up]

    def _round(self, calls: list[Call], results: dict[int, CallResult]) -> int:
        """Send the calls; record replies. Returns how many were answered before a fatal stop."""
        child = self.child
        assert child is not None
        if child.unsolicited():  # replies written before their question: forged by the student's code
            child.kill("protocol")
            results[calls[0].id] = CallResult(
                calls[0].id,
                False,
                kind="forbidden",
                message="wrote to the grader's private result channel (a reply came before its question)",
            )
            self._retire()
            return 0
        child.send(
            {
                "calls": [
                    {
                        "id": c.id,
                        "fn": c.fn,
                        "args": list(c.args),
                        "kwargs": c.kwargs,
                        **({"echo": True} if c.echo else {}),
                    }
                    for c in calls
                ]
            }
        )
        for index, call in enumerate(calls):
            deadline = time.monotonic() + self.limits.seconds_per_call
            try:
                frame = child.read_frame(deadline)
                result = _decode_call(frame, call) if frame is not None else None
            except ProtocolError as exc:
                child.kill("protocol")
                results[call.id] = CallResult(
                    call.id, False, kind="forbidden", message=f"wrote to the grader's private result channel ({exc})"
                )
                self._retire()
                return index
            if result is None:
                kind, message = child.exit_description()
                if kind == "timeout" and child.dead_reason == "timeout":
                    message = f"ran for more than {self.limits.seconds_per_call:g} s"
                results[call.id] = CallResult(call.id, False, kind=kind, message=message)
                self._retire()
                return index
            if result.kind == "memory":
                result = CallResult(
                    call.id, False, kind="memory", type=result.type, message=self._memory_message(), line=result.line
                )
            results[call.id] = result
        return len(calls)


# --------------------------------------------------------------------------- decoding replies


def _decode_load(frame: dict) -> LoadReport:
    if type(frame.get("loaded")) is not bool:
        raise ProtocolError("expected the report of loading the file")
    if frame.get("loaded") is True and isinstance(frame.get("functions"), dict):
        functions = {str(k): (v if isinstance(v, dict) else None) for k, v in frame["functions"].items()}
        return LoadReport(True, functions=functions)
    kind = frame.get("kind") if frame.get("kind") in ("syntax_error", "crash", "forbidden", "memory") else "crash"
    return LoadReport(False, kind=kind, message=_text(frame.get("message")), line=_line(frame.get("line")))


def _decode_call(frame: dict, call: Call) -> CallResult:
    if frame.get("id") != call.id or type(frame.get("ok")) is not bool:
        raise ProtocolError(f"expected the reply to call {call.id}")
    if frame["ok"]:
        after = frame.get("args_after")
        after = tuple(decode_value(a, 0) for a in after[:8]) if call.echo and isinstance(after, list) else None
        return CallResult(call.id, True, value=decode_value(frame.get("value"), 0), args_after=after)
    kind = frame.get("kind") if frame.get("kind") in ("exception", "memory", "forbidden") else "exception"
    return CallResult(
        call.id,
        False,
        kind=kind,
        type=_text(frame.get("type"), 60),
        message=_text(frame.get("message")),
        line=_line(frame.get("line")),
    )


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
