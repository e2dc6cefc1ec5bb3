"""Is a student's expression the answer? Evaluation at random points here, sympy in a worker process.

Two independent judges:

* **numeric** — both trees are evaluated with floats at random points (each variable in its declared
  domain, else in several boxes: around 0, inside (0, 1), positive, negative); a point where both
  are defined and differ is a counterexample, and the answer is refused. Agreement at ``MIN_POINTS`` points or more is
  evidence of equivalence.
* **symbolic** — ``sympy.simplify(key - answer) == 0``, run in a separate worker process
  (``python -m grader.quiz.symbolic``) that is killed when a request takes longer than its time bound,
  so a hostile or merely unlucky expression can never hang the grader. The worker also writes the
  LaTeX of what we understood (``sympy.latex``).

The answer is accepted when there is no counterexample and either judge says "equal": sympy cannot
always prove an identity (σ written three ways), and a function may be undefined at most random
points (then a proof is needed). Sympy is imported only by the worker, never by the grader.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import random
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from grader.quiz.expressions import Ast, Undefined, evaluate, to_text

MIN_POINTS = 6
MAX_ATTEMPTS = 80
BOXES = ((-3.0, 3.0), (0.05, 0.95), (1.0, 5.0), (-5.0, -1.0), (-0.9, 0.9))
REL_TOL = 1e-7
DEFAULT_TIMEOUT = float(os.environ.get("GRADE_SYMPY_TIMEOUT", "5"))
START_TIMEOUT = 30.0
MEMORY_BYTES = 1536 * 1024 * 1024


@dataclass(frozen=True)
class Judgement:
    equivalent: bool
    method: str  # "symbolic+numeric", "numeric", "symbolic", "counterexample", "undecided"
    points: int = 0  # random points where both were defined and agreed
    counterexample: dict | None = None  # {"at": {x: ...}, "expected": ..., "got": ...}
    proved: bool | None = None  # sympy: True proved equal, False not proved, None timed out/unavailable
    latex: str | None = None  # of the answer, as we understood it
    key_latex: str | None = None


def numeric_compare(
    key: Ast, answer: Ast, variables: list[str], constants: Mapping[str, float], domains: Mapping | None = None
):
    """("same", n) | ("differ", n, counterexample) | ("unknown", n): agreement at random points.

    ``domains`` maps a variable to its ``Domain`` (``range``: an open interval, or ``choices``): its
    values are drawn from there only, so a counterexample never shows an impossible p = 1.4 or y = 0.3."""
    seed = hashlib.sha256(f"{to_text(key)}\0{to_text(answer)}".encode()).digest()
    rng = random.Random(seed)
    domains = domains or {}
    agree = 0
    for attempt in range(MAX_ATTEMPTS):
        box = BOXES[attempt % len(BOXES)]
        env = {**constants, **{v: draw_in(rng, domains.get(v), box) for v in variables}}
        try:
            expected = evaluate(key, env)
            got = evaluate(answer, env)
        except Undefined:
            continue
        if abs(expected - got) > REL_TOL * max(1.0, abs(expected), abs(got)):
            at = {v: env[v] for v in variables}
            return "differ", agree, {"at": at, "expected": expected, "got": got}
        agree += 1
        if agree >= 2 * MIN_POINTS:
            break
    return ("same" if agree >= MIN_POINTS else "unknown"), agree, None


def draw_in(rng: random.Random, domain, box: tuple[float, float]) -> float:
    if domain is None:
        return round(rng.uniform(*box), 6)
    if domain.choices is not None:
        return float(rng.choice(domain.choices))
    lo, hi = domain.range
    return round(lo + (hi - lo) * rng.uniform(0.02, 0.98), 6)


def judge(
    key: Ast,
    answer: Ast,
    variables: list[str],
    constants: Mapping[str, float] | None = None,
    worker: Worker | None = None,
    timeout: float | None = None,
    domains: Mapping | None = None,
) -> Judgement:
    """Both judges; ``worker=None`` uses the shared worker (``GRADE_SYMPY=0`` turns sympy off)."""
    constants = dict(constants or {})
    verdict, points, counter = numeric_compare(key, answer, variables, constants, domains)
    reply = (worker or shared_worker()).compare(key, answer, constants, timeout, prove=verdict != "differ")
    proved, latex, key_latex = reply.get("proved"), reply.get("latex"), reply.get("key_latex")
    if verdict == "differ":
        return Judgement(False, "counterexample", points, counter, proved, latex, key_latex)
    if verdict == "same":
        method = "symbolic+numeric" if proved else "numeric"
        return Judgement(True, method, points, None, proved, latex, key_latex)
    if proved:
        return Judgement(True, "symbolic", points, None, proved, latex, key_latex)
    return Judgement(False, "undecided", points, None, proved, latex, key_latex)


# --------------------------------------------------------------------------- the worker, parent side


class Worker:
    """A sympy process spoken to by JSON lines; killed and restarted when a request overruns."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, enabled: bool = True):
        self.timeout, self.enabled = timeout, enabled
        self.proc: subprocess.Popen | None = None
        self.unavailable = "" if enabled else "disabled"
        self._buffer = b""
        self._owner = os.getpid()  # a forked grader process must not share its parent's worker
        self._lock = threading.Lock()

    def compare(
        self, key: Ast, answer: Ast, constants: Mapping[str, float], timeout: float | None = None, prove: bool = True
    ) -> dict:
        return self.ask(
            {
                "op": "compare",
                "key": key,
                "answer": answer,
                "prove": prove,
                "constants": {k: repr(float(v)) for k, v in constants.items()},
            },
            timeout,
        )

    def latex(
        self, tree: Ast, constants: Mapping[str, float] | None = None, timeout: float | None = None
    ) -> str | None:
        reply = self.ask(
            {"op": "latex", "tree": tree, "constants": {k: repr(float(v)) for k, v in (constants or {}).items()}},
            timeout,
        )
        return reply.get("latex")

    def ask(self, request: dict, timeout: float | None = None) -> dict:
        """The worker's reply; ``{}`` without sympy, ``{"timeout": True}`` when it overran."""
        with self._lock:
            if self._owner != os.getpid():  # forked: the worker belongs to the parent, leave it be
                self.proc, self._buffer, self._owner = None, b"", os.getpid()
            return self._ask(request, timeout)

    def _ask(self, request: dict, timeout: float | None) -> dict:
        if self.unavailable:
            return {}
        if (self.proc is None or self.proc.poll() is not None) and not self._start():
            return {}
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            self.close()
            return {}
        reply = self._read(time.monotonic() + (timeout or self.timeout))
        if reply is None:  # overran its time bound, or died: a fresh worker serves the next request
            self.close()
            return {"timeout": True}
        return reply

    def _start(self) -> bool:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.quiz.symbolic"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            start_new_session=True,
        )
        self._buffer = b""
        hello = self._read(time.monotonic() + START_TIMEOUT)
        if not hello or not hello.get("ready"):
            self.unavailable = (hello or {}).get("error", "the sympy worker did not start")
            self.close()
            return False
        return True

    def _read(self, deadline: float) -> dict | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError:
            return None

    def close(self) -> None:
        if self._owner != os.getpid():  # inherited by fork: not ours to stop
            self.proc = None
            return
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
        self.proc = None


_SHARED: Worker | None = None


def shared_worker() -> Worker:
    global _SHARED
    if _SHARED is None:
        _SHARED = Worker(enabled=os.environ.get("GRADE_SYMPY", "1") != "0")
        atexit.register(_SHARED.close)
    return _SHARED


# --------------------------------------------------------------------------- the worker, child side


def _tree(data) -> Ast:
    return tuple(_tree(x) if isinstance(x, list) else x for x in data)


def _latex(sympy, tree, constants) -> str:
    from grader.quiz.expressions import to_sympy

    return sympy.latex(to_sympy(_tree(tree), constants=constants, sigma_symbol=True))


def _serve() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    try:
        import sympy
    except ImportError:
        print(json.dumps({"error": "sympy is not installed"}), flush=True)
        return
    from grader.quiz.expressions import to_sympy

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            constants = request.get("constants", {})
            if request["op"] == "latex":
                reply = {"latex": _latex(sympy, request["tree"], constants)}
            else:
                reply = {
                    "latex": _latex(sympy, request["answer"], constants),
                    "key_latex": _latex(sympy, request["key"], constants),
                }
                if request.get("prove", True):
                    symbols: dict = {}
                    key = to_sympy(_tree(request["key"]), symbols, constants)
                    answer = to_sympy(_tree(request["answer"]), symbols, constants)
                    difference = sympy.expand(key - answer)
                    reply["proved"] = bool(difference == 0 or sympy.simplify(difference) == 0)
        except Exception as exc:  # noqa: BLE001 - a reply, never a crash of the worker
            reply = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    _serve()
