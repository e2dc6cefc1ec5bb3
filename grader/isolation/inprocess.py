"""A child that runs the harness in this very process: the browser's practice panel, where the Web
Worker that runs Pyodide is the student's own sandbox (nothing secret is in it: no course secret,
no hidden point, no solution).

It speaks the same frames as a forked ``Child``, and its replies are decoded by the same
``Session``, so a verdict in the browser is the verdict of ``grade submit`` for the same file.
What a process boundary gives the CLI is done here another way:

- An endless loop cannot be interrupted inside WebAssembly. Before student code runs, ``watch``
  tells the page what is about to run and for how long; the page terminates the worker when the
  time is up, starts a new one and grades again with that step in ``stops``: the replay reaches
  the same step and reports it as the CLI would report a child killed there (``timeout``). Steps
  are counted per kind (loading, or calls of one function), so a replay stops at the same one.
- A worker that dies (``os._exit`` in student code) is replayed the same way as a ``crash``.
- Output is kept to the same bounded prefix; printing more than the CLI allows stops the code.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import sys
from collections.abc import Callable

from grader.isolation import harness
from grader.isolation.child import MAX_OUTPUT_KEPT, MAX_OUTPUT_TOTAL, ProtocolError, _reject_constant

# Set by the browser worker: called with (step, seconds) before student code runs, (None, 0) after.
watch: Callable[[str | None, float], None] = lambda step, seconds: None
_stops: dict[str, str] = {}  # step → how an earlier worker ended there: "timeout" or "crash"
_counts: dict[str, int] = {}


def begin(stops: dict[str, str] | None = None) -> None:
    """Start counting steps for one grading; ``stops`` are the steps where an earlier worker was stopped."""
    _stops.clear()
    _stops.update(stops or {})
    _counts.clear()


def _next_step(kind: str) -> str:
    _counts[kind] = _counts.get(kind, 0) + 1
    return f"{kind}#{_counts[kind]}"


class OutputFlood(BaseException):
    """Raised into student code that prints more than a child may: the CLI kills such a child."""


class _Bounded:
    """stdout and stderr of student code: the first ``MAX_OUTPUT_KEPT`` bytes kept, the total counted."""

    def __init__(self, child: InProcessChild):
        self.child = child

    def write(self, text) -> int:
        data = str(text).encode("utf-8", errors="replace")
        child = self.child
        child.output_total += len(data)
        room = MAX_OUTPUT_KEPT - len(child.output)
        if room > 0:
            child.output += data[:room]
        if child.output_total > MAX_OUTPUT_TOTAL:
            child.dead_reason = child.dead_reason or "output"
            raise OutputFlood
        return len(text)

    def flush(self) -> None:
        pass


class InProcessChild:
    """The parent's view of a child, with the harness called in this process."""

    def __init__(self, limits, pool, imports: list[str], first: dict):
        self.limits = limits
        self.allowed = set(imports) | harness.ALWAYS_ALLOWED
        self.namespace: dict | None = None
        self.filename = ""
        self.replies: list[bytes] = []
        self.output = bytearray()
        self.output_total = 0
        self.dead_reason = ""
        self.send(first)

    @property
    def pid(self) -> int:
        return 0

    # ------------------------------------------------------------------ frames

    def send(self, *frames: dict) -> None:
        for frame in frames:  # a burst of calls, answered one frame at a time as a child would
            self._frame(frame)

    def _frame(self, frame: dict) -> None:
        frame = json.loads(json.dumps(frame))  # what the child would read off the pipe
        if self.dead_reason:
            return
        if "load" in frame:
            request = frame["load"]
            self.filename = request["filename"]
            reply = self._student("load", self.limits.seconds_to_load, lambda: self._load(request))
            if reply is not None:
                self._reply(reply)
        for call in list(frame.get("calls", [])) + ([frame["call"]] if "call" in frame else []):
            reply = self._student(
                f"call:{call['fn']}",
                self.limits.seconds_per_call,
                lambda call=call: harness.run_call(self.namespace, self.filename, call),
            )
            if reply is None:
                return
            self._reply(reply)

    def _load(self, request: dict) -> dict:
        namespace, report = harness.load(request)
        self.namespace = namespace
        return report

    def _reply(self, reply: dict) -> None:
        self.replies.append(json.dumps(reply, allow_nan=False).encode())

    def _student(self, kind: str, seconds: float, run: Callable[[], dict]) -> dict | None:
        """Run student code for one step; None where the step ends the child (as a kill would)."""
        step = _next_step(kind)
        if step in _stops:
            self.dead_reason = _stops[step]
            return None
        saved = sys.stdout, sys.stderr, builtins.__import__
        sys.stdout = sys.stderr = _Bounded(self)
        if self.namespace is not None:
            builtins.__import__ = harness.guarded_import(self.namespace, self.allowed)
        watch(step, seconds)
        try:
            reply = run()
        except OutputFlood:
            reply = None
        finally:
            sys.stdout, sys.stderr, builtins.__import__ = saved
            watch(None, 0)
        if self.dead_reason == "output":
            return None
        return reply

    def read_frame(self, deadline: float) -> dict | None:
        if not self.replies:
            return None
        line = self.replies.pop(0)
        try:
            frame = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"a reply frame is not valid JSON ({exc})") from None
        if not isinstance(frame, dict):
            raise ProtocolError("a reply frame is not an object")
        return frame

    def unsolicited(self) -> bool:
        return bool(self.replies)

    # ------------------------------------------------------------------ the end of a child

    def kill(self, reason: str) -> None:
        self.dead_reason = self.dead_reason or reason

    def exit_description(self, loading: bool = False) -> tuple[str, str]:
        if self.dead_reason == "output":
            return "output", f"printed more than {MAX_OUTPUT_TOTAL // (1024 * 1024)} MB"
        if self.dead_reason == "timeout":
            return "timeout", "ran out of time"
        if loading:
            return "crash", "the file ended the whole process"
        return "crash", "ended the whole process instead of returning a value"

    def _drain_output(self, seconds: float = 0.0) -> None:
        pass

    def close(self) -> None:
        with contextlib.suppress(KeyError):
            if self.namespace is not None:
                del sys.modules[self.namespace.get("__name__", "")]
        self.namespace = None

    def captured_output(self) -> str:
        text = self.output.decode("utf-8", errors="replace")
        if self.output_total > len(self.output):
            text += f"\n… ({self.output_total - len(self.output)} more bytes not shown)"
        return text
