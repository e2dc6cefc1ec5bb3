"""The parent side of isolation: lend a child from a zygote, talk to it by frames, decode its replies.

Each submission runs in a fresh child forked by a warm zygote (``pool.py``), which locks itself
down (``lockdown.py``: resource limits, its own uid, no network, Landlock, seccomp, cgroup) before
it reads the source, which travels straight from here to the child, never through the zygote. It
is given inputs only; expected values never leave this process. Replies are read with deadlines
(one per call, so a runaway function is named with its point), kept to bounded sizes, and decoded
into plain floats or a ``Bad`` marker: nothing the child returns is trusted until it is checked here.

Calls go one per frame, the next only once the previous is answered, and each call may name the
values its check expects (``Call.reveals``, kept here): a call whose expected value a number already
handed to the current child would give away goes to a fresh child instead. So at any moment student
code runs, nothing in its process answers a check it has not answered yet (docs/sandbox.md).

A child that dies or hangs in the middle of a round costs only the call it was in (and the
remaining calls of the same function): a fresh child finishes the rest.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import deque
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


AHEAD = 16  # calls in flight in one child: queued in its pipe while it answers an earlier one
FORGED = "wrote to the grader's private result channel (a reply came before its question)"


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
    # What the check expects, as (value, tolerance) pairs: never sent. A value within the tolerance
    # of a number the current child was already given (and that this call's own inputs do not hold)
    # sends the call to a fresh child.
    reveals: tuple[tuple[float, float], ...] = ()
    # Its inputs are the same for every student and every secret (a public point's): memory holding
    # them is no better than a constant, so they are not counted as handed over.
    public: bool = False


def numbers(value: Any) -> list[float]:
    """Every number in a call's arguments (floats, and those inside tuples, lists and dicts)."""
    if type(value) in (float, int):
        return [float(value)]
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in numbers(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in numbers(v)]
    return []


def handed(call: Call) -> list[float]:
    """The numbers of ``call`` that count as handed over: none for a call at a public point."""
    return [] if call.public else inputs_of(call)


def inputs_of(call: Call) -> list[float]:
    found: list[float] = []
    for value in (*call.args, *call.kwargs.values()):
        if type(value) is float:
            found.append(value)
        else:
            found += numbers(value)
    return found


def holds(values: list[float], target: float, tolerance: float) -> bool:
    """Whether sorted ``values`` has one within ``tolerance`` of ``target``."""
    i = bisect.bisect_left(values, target - tolerance)
    return i < len(values) and values[i] <= target + tolerance


def answers_any(call: Call, flight) -> bool:
    """Whether an input of ``call`` is the answer of a check still in flight (so it must wait)."""
    if call.public or not any(c.reveals for c in flight):
        return False
    mine = sorted(inputs_of(call))
    return any(gives_away(mine, c) for c in flight)


def gives_away(given: list[float], call: Call) -> bool:
    """Whether a number in sorted ``given`` is within tolerance of a value ``call``'s check expects,
    when the call's own inputs do not hold that value already (then memory tells nothing new)."""
    if not call.reveals or not given:
        return False
    own = sorted(inputs_of(call))
    return any(holds(given, v, tol) and not holds(own, v, tol) for v, tol in call.reveals)


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
        self.restarts = 0  # fresh children after one died or hung
        self.children = 0  # every child started, for whatever reason
        self.fresh_for_flow = 0  # fresh children started because the current one was given an answer
        self.given: list[float] = []  # sorted: every number handed to the current child
        self._flow_child = False  # the next child starts for the information flow, not after a failure
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
        self.given = []
        self.children += 1
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
            report = _decode_load(frame, self.load_request["functions"])
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
        """Every call's result, one call per frame; a child that dies costs the call it was in.

        A function whose call could not finish is not called again in this session, in this
        round or a later one: its remaining calls are ``skipped``. Calls are split into lanes
        (``lanes``), each run in a child of its own: the first continues the current child.
        """
        results: dict[int, CallResult] = {}
        for number, lane in enumerate(self.lanes(calls)):
            if number > 0:
                self._retire()
                self.fresh_for_flow += 1
                self._flow_child = True
            rest = lane
            while rest:
                rest = self._stream(rest, results)
                if rest is None:
                    return results
        return results

    def _stream(self, calls: list[Call], results: dict[int, CallResult]) -> list[Call] | None:
        """Run ``calls`` in the current child (started if need be), up to ``AHEAD`` in flight.

        A call is sent before the earlier ones are answered only if its inputs answer none of
        them. Calls go out in bursts, one frame each but one write for the burst, once half the
        window is answered: a write that wakes the child lets it run, so one per call would make
        every call a round trip again. Returns the calls left when the child stopped (to run in
        a fresh one), or None when a fresh child could not even load.
        """
        queue, flight = deque(calls), deque()
        while queue or flight:
            burst: list[Call] = []
            while queue and len(flight) <= AHEAD // 2 and len(flight) + len(burst) < AHEAD:
                call = queue[0]
                if call.fn in self.given_up:
                    queue.popleft()
                    why = self.given_up[call.fn]
                    results[call.id] = CallResult(
                        call.id, False, kind="skipped", message=f"not run: an earlier call {why}"
                    )
                    continue
                if not flight and not burst:
                    if self.child is not None and gives_away(self.given, call):  # lanes avoid it; a safety net
                        self._retire()
                        self.fresh_for_flow += 1
                        self._flow_child = True
                    if self.child is None:
                        self.restarts += not self._flow_child
                        self._flow_child = False
                        report = self.load()
                        if not report.ok:  # it loaded before; failing now is the child's environment
                            for rest in queue:
                                results[rest.id] = CallResult(
                                    rest.id, False, kind=report.kind or "crash", message=report.message
                                )
                            return None
                    if self.child.unsolicited():  # a reply written before its question: forged by student code
                        self.child.kill("protocol")
                        self._retire()
                        queue.popleft()
                        results[call.id] = CallResult(call.id, False, kind="forbidden", message=FORGED)
                        self.given_up[call.fn] = FORGED
                        continue
                elif answers_any(call, [*flight, *burst]):
                    break  # it must wait for those answers
                queue.popleft()
                for value in handed(call):  # from now on, in the child's reach
                    bisect.insort(self.given, value)
                burst.append(call)
            if burst:
                self._send(burst)
                flight.extend(burst)
            if not flight:
                continue
            done = flight.popleft()
            result = self._receive(done)
            results[done.id] = result
            if self.child is None:  # it could not finish: skip the rest of this function
                self.given_up[done.fn] = result.message
                return [*flight, *queue]  # never answered: to a fresh child
        return []

    def lanes(self, calls: list[Call]) -> list[list[Call]]:
        """``calls`` split, order kept within each, so that no call's expected value is among the
        numbers its lane handed over before it (the first lane starts from the current child's).

        A call goes to the first lane where that holds, else opens a new one. Planned checks have
        no data dependencies on each other (their inputs are reference values), so lanes run one
        after the other in fresh children.
        """
        if not any(call.reveals for call in calls):
            return [calls]  # nothing to give away (the end-to-end rounds): all in the current child
        given = [list(self.given) if self.child is not None else []]
        lanes: list[list[Call]] = [[]]
        for call in calls:
            number = next((n for n in range(len(lanes)) if not gives_away(given[n], call)), len(lanes))
            if number == len(lanes):
                lanes.append([])
                given.append([])
            lanes[number].append(call)
            for value in handed(call):
                bisect.insort(given[number], value)
        return lanes  # an empty first lane: every call wanted a fresh child

    def _send(self, calls: list[Call]) -> None:
        """One frame per call, all in one write."""
        assert self.child is not None
        frames = []
        for call in calls:
            frame = {"id": call.id, "fn": call.fn, "args": list(call.args), "kwargs": call.kwargs}
            frames.append({"call": {**frame, "echo": True} if call.echo else frame})
        self.child.send(*frames)

    def _receive(self, call: Call) -> CallResult:
        """Read the reply to ``call`` (the oldest in flight); on a fatal stop the child is retired."""
        child = self.child
        assert child is not None
        try:
            frame = child.read_frame(time.monotonic() + self.limits.seconds_per_call)
            result = _decode_call(frame, call) if frame is not None else None
        except ProtocolError as exc:
            child.kill("protocol")
            self._retire()
            return CallResult(
                call.id, False, kind="forbidden", message=f"wrote to the grader's private result channel ({exc})"
            )
        if result is None:
            kind, message = child.exit_description()
            if kind == "timeout" and child.dead_reason == "timeout":
                message = f"ran for more than {self.limits.seconds_per_call:g} s"
            self._retire()
            return CallResult(call.id, False, kind=kind, message=message)
        if result.kind == "memory":
            result = CallResult(
                call.id, False, kind="memory", type=result.type, message=self._memory_message(), line=result.line
            )
        return result


# --------------------------------------------------------------------------- decoding replies


def _decode_load(frame: dict, wanted: list[str]) -> LoadReport:
    """The load report, each field checked to be the plain data it must be; ProtocolError otherwise."""
    if type(frame.get("loaded")) is not bool:
        raise ProtocolError("expected the report of loading the file")
    if frame["loaded"] is True:
        functions = frame.get("functions")
        if type(functions) is not dict:
            raise ProtocolError("the report of loading the file lists no functions")
        return LoadReport(True, functions={name: _signature(functions.get(name)) for name in wanted})
    kind = frame.get("kind") if frame.get("kind") in ("syntax_error", "crash", "forbidden", "memory") else "crash"
    return LoadReport(False, kind=kind, message=_text(frame.get("message")), line=_line(frame.get("line")))


MAX_PARAMS = 255


def _signature(raw: Any) -> dict | None:
    """A function's signature as the harness reports it, rebuilt from checked fields only."""
    if raw is None:
        return None
    if type(raw) is not dict:
        raise ProtocolError("a function's signature is not an object")
    if "not_function" in raw:
        return {"line": None, "params": [], "kwonly": [], "defaults": 0, "varargs": False, "varkw": False,
                "not_function": _text(raw["not_function"], 60) or "object"}  # fmt: skip
    params, kwonly = _names(raw.get("params")), _names(raw.get("kwonly", []))
    defaults, varargs, varkw = raw.get("defaults", 0), raw.get("varargs"), raw.get("varkw")
    if type(defaults) is not int or not 0 <= defaults <= len(params):
        raise ProtocolError("a function's signature has a bad count of defaults")
    if type(varargs) is not bool or type(varkw) is not bool:
        raise ProtocolError("a function's signature is malformed")
    line = raw.get("line")
    if line is not None and _line(line) is None:
        raise ProtocolError("a function's signature has a bad line number")
    return {"line": line, "params": params, "kwonly": kwonly, "defaults": defaults, "varargs": varargs, "varkw": varkw}


def _names(raw: Any) -> list[str]:
    """Parameter names: a list of distinct Python identifiers (what a real code object holds)."""
    if type(raw) is not list or len(raw) > MAX_PARAMS:
        raise ProtocolError("a function's parameters are not a list of names")
    for name in raw:
        if type(name) is not str or len(name) > 100 or not name.isidentifier() or not name.isprintable():
            raise ProtocolError("a function's parameter name is not a Python identifier")
    if len(set(raw)) != len(raw):
        raise ProtocolError("a function's parameter names repeat")
    return list(raw)


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
