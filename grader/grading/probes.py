"""What to ask the student's code, and what the answer should be: one probe per node, point and task.

Each per-node probe gives the student's function the node's correct inputs (and, for ``backward``,
the correct upstream gradient), so that one wrong gate never makes its neighbours look wrong.
The expected value stays here in the parent; the ``Call`` sent to the child carries inputs only.

Those inputs are themselves reference values: ``out`` given to a local gradient is the forward
answer at that node, ``upstream`` given to a backward call is the answer of the backward call
above it. ``flow_order`` therefore orders the calls so that no input equals (within the
tolerance) the answer of a check that comes later: whole-graph tasks, then forwards in
topological order, then local gradients, then backward calls from the output down, each point
in turn; the session sends whatever still conflicts to a fresh child (docs/sandbox.md).
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass

from grader.engine import Node
from grader.exercise.points import Point
from grader.exercise.spec import Exercise, Task, Tolerance
from grader.isolation.sandbox import Call, handed, holds, inputs_of

Expected = float | tuple[float, ...] | dict[str, float]


@dataclass(frozen=True)
class Probe:
    task: int  # index into exercise.tasks
    point: Point
    node: str | None  # None for whole-graph tasks
    args: tuple
    upstream: float | None
    out: float | None
    expected: Expected


def expected_local(node: Node, point: Point) -> tuple[float, ...]:
    """The derivatives a student answers for: d out / d arg for the gate's graded arguments."""
    local = point.trace.locals[node.name]
    return local[: node.gate.graded_count(len(node.args))]


def shape(value: tuple[float, ...]) -> Expected:
    return value[0] if len(value) == 1 else value


def probes_for(exercise: Exercise, points: list[Point]) -> list[Probe]:
    graph = exercise.built
    by_name = graph.by_name
    probes: list[Probe] = []
    for t, task in enumerate(exercise.tasks):
        if task.kind in ("descent", "gradient_check"):
            from grader.grading import routines  # it builds on Probe: imported here, not at the top

            probes += routines.probes(exercise, t, task, points)
            continue
        for point in points:
            tr = point.trace
            if task.kind in ("forward", "local_grad", "backward"):
                for name in exercise.task_nodes(task):
                    node = by_name[name]
                    args = tr.args_of(node)
                    out, upstream = tr.values[name], tr.grads[name]
                    local = expected_local(node, point)
                    expected: Expected
                    if task.kind == "forward":
                        expected, upstream, out = out, None, None
                    elif task.kind == "local_grad":
                        expected, upstream = shape(local), None
                    else:
                        expected = shape(tuple(upstream * g for g in local))
                    probes.append(Probe(t, point, name, args, upstream, out, expected))
            elif task.kind == "gradients":
                expected = {name: tr.grads[name] for name in task.wrt or []}
                probes.append(Probe(t, point, None, (), None, None, expected))
            else:  # step
                lr = float(task.lr or 0.0)
                expected = {p: tr.values[p] - lr * tr.grads[p] for p in task.params or []}
                probes.append(Probe(t, point, None, (), None, None, expected))
    return probes


def answers(expected: Expected) -> list[float]:
    if isinstance(expected, dict):
        return [float(v) for v in expected.values()]
    if isinstance(expected, tuple):
        return [float(v) for v in expected]
    return [float(expected)]


# Kinds judged with a tolerance of their own (routines.py): how far a reply may be from the answer.
WINDOWS = {"gradient_check": (1e-5, 1e-3), "descent": (1e-9, 1e-6)}


def guards(probes: list[Probe], tolerance: Tolerance, kinds: list[str]) -> list[tuple[tuple[float, float], ...]]:
    """Per probe, (value, how far a reply may be from it and pass): what the child must not hold yet.

    ``grade trace`` prints every value at a public point, so memory holding it tells the function
    nothing it could not know: answers at public points are left out, and so is an answer that is
    the same at every point of the run, a public one included (a local gradient of ``add`` is 1).
    """
    same: dict[tuple, list[float]] = {}  # (task, node) → each answer, or nan where points differ
    public: set[tuple] = set()
    for probe in probes:
        key, values = (probe.task, probe.node), answers(probe.expected)
        if probe.point.public:
            public.add(key)
        first = same.setdefault(key, values)
        same[key] = [a if a == b else math.nan for a, b in zip(first, values, strict=False)]
    found = []
    for probe in probes:
        key = (probe.task, probe.node)
        known = same[key] if key in public else []
        if probe.point.public:
            found.append(())
            continue
        atol, rtol = WINDOWS.get(kinds[probe.task], (tolerance.atol, tolerance.rtol))
        found.append(
            tuple(
                (v, atol + rtol * abs(v))
                for i, v in enumerate(answers(probe.expected))
                if i >= len(known) or v != known[i]
            )
        )
    return found


def call_for(probe_id: int, probe: Probe, task: Task, signature: dict, where: str, reveals: tuple = ()) -> Call:
    """The call that asks the student's function for ``probe``, shaped for its signature."""
    kwargs: dict = {}
    args: tuple = probe.args
    takes = set(signature.get("params", [])) | set(signature.get("kwonly", []))
    if task.kind in ("local_grad", "backward") and "out" in takes:
        kwargs["out"] = probe.out
    if task.kind == "backward":
        if "upstream" in signature.get("kwonly", []):
            kwargs["upstream"] = probe.upstream
        else:
            args = (*args, probe.upstream)
    elif task.kind == "gradients":
        args, kwargs = (), dict(probe.point.values)
    elif task.kind == "step":
        params = {p: probe.point.values[p] for p in task.params or []}
        grads = {p: probe.point.trace.grads[p] for p in task.params or []}
        args = (params, grads, float(task.lr or 0.0))
    public = probe.point.public
    return Call(probe_id, task.function, tuple(args), kwargs, where, echo=task.pure, reveals=reveals, public=public)


# Whole-graph gradients first (step and gradient_check are handed gradients), then the per-node
# tasks (each handed the answers of the one before it), then the routines that are handed gradients.
PHASE = {"gradients": 0, "forward": 1, "local_grad": 2, "backward": 3, "step": 4, "descent": 4, "gradient_check": 4}


def flow_order(exercise: Exercise, probes: list[Probe], calls: list[Call]) -> list[Call]:
    """``calls`` (ids index ``probes``) in an order where no input gives away a later check's answer.

    First the natural order: ``gradients``, forwards in topological order, local gradients,
    backward calls from the output down, then ``step``, ``descent`` and ``gradient_check`` (whose
    inputs are gradients); within each, point by point. Then coincidences (``relu(x) = x``: the answer is an input
    of another gate) are untangled: a call whose answer is among another call's inputs comes first.
    A cycle left (no safe order exists) is cut at its earliest call; the session then gives the
    call whose answer was already handed over a fresh child.
    """
    rank = {node.name: i for i, node in enumerate(exercise.built.nodes)}
    seen: dict[str, int] = {}
    for probe in probes:
        seen.setdefault(probe.point.label, len(seen))

    def key(call: Call) -> tuple:
        probe = probes[call.id]
        kind = exercise.tasks[probe.task].kind
        depth = rank.get(probe.node or "", 0)
        return (PHASE[kind], -depth if kind == "backward" else depth, seen[probe.point.label], probe.task)

    return untangle(sorted(calls, key=key))


def untangle(calls: list[Call]) -> list[Call]:
    """A topological order of "answered before it is handed over", ties kept in the given order.

    Call i must come before call j when a value i's check expects is within its tolerance of an
    input of j (and not of i's own inputs: then i's own arguments already hold it).
    """
    entries = sorted((v, j) for j, call in enumerate(calls) for v in handed(call))
    values = [v for v, _ in entries]
    after: list[set[int]] = [set() for _ in calls]
    waiting = [0] * len(calls)
    for i, call in enumerate(calls):
        if not call.reveals:
            continue
        own = sorted(inputs_of(call))
        for value, tol in call.reveals:
            if holds(own, value, tol):
                continue
            lo, hi = bisect.bisect_left(values, value - tol), bisect.bisect_right(values, value + tol)
            after[i].update(j for _, j in entries[lo:hi] if j != i)
    for targets in after:
        for j in targets:
            waiting[j] += 1
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    placed = [False] * len(calls)
    order: list[Call] = []
    first = 0
    while len(order) < len(calls):
        if ready:
            i = heapq.heappop(ready)
            if placed[i]:
                continue
        else:  # a cycle: cut it at the earliest call not placed yet
            while placed[first]:
                first += 1
            i = first
        placed[i] = True
        order.append(calls[i])
        for j in after[i]:
            waiting[j] -= 1
            if waiting[j] == 0 and not placed[j]:
                heapq.heappush(ready, j)
    return order


def signature_problem(signature: dict, call: Call) -> str | None:
    """Why ``call`` cannot bind to the reported signature, or None if it can."""
    params, kwonly = list(signature.get("params", [])), list(signature.get("kwonly", []))
    positional = [p for p in params if p not in call.kwargs]
    required = len(params) - int(signature.get("defaults", 0))
    n = len(call.args)
    if n > len(positional) and not signature.get("varargs"):
        return f"takes {len(positional)} positional argument(s) but is called with {n}"
    if n + sum(1 for p in params if p in call.kwargs) < required:
        missing = params[n:required]
        return f"needs {', '.join(missing)}, which the grader does not pass"
    for key in call.kwargs:
        if key not in params and key not in kwonly and not signature.get("varkw"):
            return f"has no parameter '{key}'"
    return None


def describe_call(task: Task, node: Node | None, n_args: int) -> str:
    """How the grader calls the function, for messages: ``exp_local_grad(x, out=…)``."""
    names = [str(a) for a in (node.args if node else ())][:n_args]
    if task.kind == "backward":
        names.append("upstream")
    if task.kind in ("local_grad", "backward"):
        names.append("out=…  (optional)")
    if task.kind == "gradients":
        names = ["**inputs"]
    if task.kind == "step":
        names = ["params", "grads", "lr"]
    if task.kind == "descent":
        names = ["params", "data", "lr", "steps"]
    if task.kind == "gradient_check":
        names = ["inputs", "grads"]
    return f"{task.function}({', '.join(names)})"
