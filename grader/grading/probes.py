"""What to ask the student's code, and what the answer should be: one probe per node, point and task.

Each per-node probe gives the student's function the node's correct inputs (and, for ``backward``,
the correct upstream gradient), so that one wrong gate never makes its neighbours look wrong.
The expected value stays here in the parent; the ``Call`` sent to the child carries inputs only.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.engine import Node
from grader.exercise.points import Point
from grader.exercise.spec import Exercise, Task
from grader.isolation.sandbox import Call

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


def call_for(probe_id: int, probe: Probe, task: Task, signature: dict, where: str) -> Call:
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
    return Call(probe_id, task.function, tuple(args), kwargs, where, echo=task.pure)


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
