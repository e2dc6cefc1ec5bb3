"""The end-to-end effect: the student's gates chained together, beside the reference.

Per-node checks say which gate is wrong; this says what it does to the answer. At each public
point the graph is run with the student's gates in place of the reference ones: their local
gradients plug straight into the chain rule, while their ``backward`` (or ``forward``) functions
are called again, round by round, with the upstream gradients (or inputs) that the student's own
gates produced. Computed in the parent; the child only ever sees inputs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from grader.engine import Graph, Node
from grader.exercise.points import Point
from grader.exercise.spec import Exercise, Task
from grader.grading.probes import Probe, call_for
from grader.grading.verdict import Effect, EffectRow
from grader.isolation.sandbox import CallResult

Ask = Callable[[list], dict[int, CallResult]]  # a session's run()
_ids = itertools.count(1_000_000)


def _numbers(result: CallResult | None, n: int) -> tuple[float, ...] | None:
    if result is None or not result.ok:
        return None
    value = result.value
    values = value if isinstance(value, list) else [value]
    if len(values) != n or not all(isinstance(v, float) and math.isfinite(v) for v in values):
        return None
    return tuple(values)


def owners(exercise: Exercise, kinds: tuple[str, ...]) -> dict[str, tuple[int, Task]]:
    found: dict[str, tuple[int, Task]] = {}
    for i, task in enumerate(exercise.tasks):
        if task.kind in kinds:
            for name in exercise.task_nodes(task):
                found.setdefault(name, (i, task))
    return found


def backward_effect(
    exercise: Exercise,
    points: list[Point],
    local_answers: dict[tuple[str, str], object],
    signatures: dict[str, dict],
    ask: Ask,
) -> tuple[Effect, ...]:
    """Input gradients with the student's local_grad and backward gates in the chain."""
    graph = exercise.built
    owned = owners(exercise, ("local_grad", "backward"))
    if not owned:
        return ()
    states = {p.label: _BackState(graph, p) for p in points}
    uses = graph.consumers()
    while any(not s.failed and s.pending for s in states.values()):
        batch: list[tuple[int, _BackState, Node]] = []
        calls = []
        for state in states.values():
            for node in state.ready(uses):
                owner = owned.get(node.name)
                n = node.gate.graded_count(len(node.args))
                if owner is None:
                    state.apply(node, state.point.trace.locals[node.name], scaled=False)
                elif owner[1].kind == "local_grad":
                    got = local_answers.get((node.name, state.point.label))
                    values = got if isinstance(got, list) else [got]
                    if not all(isinstance(v, float) for v in values) or len(values) != n:
                        state.failed = True
                        break
                    state.apply(node, tuple(values) + state.point.trace.locals[node.name][n:], scaled=False)
                else:
                    task = owner[1]
                    probe = Probe(
                        owner[0],
                        state.point,
                        node.name,
                        state.point.trace.args_of(node),
                        state.grads[node.name],
                        state.point.trace.values[node.name],
                        0.0,
                    )
                    call = call_for(next(_ids), probe, task, signatures.get(task.function, {}), "")
                    calls.append(call)
                    batch.append((call.id, state, node))
                    state.waiting.add(node.name)
        if calls:
            results = ask(calls)
            for cid, state, node in batch:
                n = node.gate.graded_count(len(node.args))
                got = _numbers(results.get(cid), n)
                if got is None:
                    state.failed = True
                else:
                    rest = tuple(state.grads[node.name] * g for g in state.point.trace.locals[node.name][n:])
                    state.apply(node, got + rest, scaled=True)
        elif not any(s.progressed for s in states.values()):
            break
    return tuple(
        Effect(
            s.point.label,
            "gradients",
            tuple(EffectRow(name, s.point.trace.grads[name], s.grads[name]) for name in graph.inputs),
        )
        for s in states.values()
        if not s.failed and not s.pending
    )


class _BackState:
    def __init__(self, graph: Graph, point: Point):
        self.point, self.failed, self.progressed = point, False, True
        self.pending = list(reversed(graph.nodes))
        self.waiting: set[str] = set()
        self.grads = {n: 0.0 for n in (*graph.inputs, *(m.name for m in graph.nodes))}
        self.grads[graph.output] = 1.0
        self.done: set[str] = set()

    def ready(self, uses: dict[str, list[str]]) -> list[Node]:
        self.progressed = False
        found = []
        for node in list(self.pending):
            if node.name in self.waiting or not all(u in self.done for u in uses[node.name]):
                continue
            found.append(node)
        return found

    def apply(self, node: Node, values: tuple[float, ...], scaled: bool) -> None:
        upstream = self.grads[node.name]
        for arg, g in zip(node.args, values):
            if isinstance(arg, str):
                self.grads[arg] += g if scaled else upstream * g
        self.pending.remove(node)
        self.waiting.discard(node.name)
        self.done.add(node.name)
        self.progressed = True


def forward_effect(
    exercise: Exercise, points: list[Point], signatures: dict[str, dict], ask: Ask
) -> tuple[Effect, ...]:
    """Every node's value with the student's forward gates in the pass."""
    graph = exercise.built
    owned = owners(exercise, ("forward",))
    if not owned:
        return ()
    values = {p.label: dict(p.values) for p in points}
    failed: set[str] = set()
    for node in graph.nodes:  # one round per node keeps the code plain; graphs are small
        calls, batch = [], []
        for p in points:
            if p.label in failed:
                continue
            args = tuple(values[p.label][a] if isinstance(a, str) else float(a) for a in node.args)
            if node.name not in owned:
                try:
                    values[p.label][node.name] = float(node.gate.forward(args))
                except (ArithmeticError, ValueError):
                    failed.add(p.label)
                continue
            task_index, task = owned[node.name]
            probe = Probe(task_index, p, node.name, args, None, None, 0.0)
            call = call_for(next(_ids), probe, task, signatures.get(task.function, {}), "")
            calls.append(call)
            batch.append((call.id, p))
        if calls:
            results = ask(calls)
            for cid, p in batch:
                got = _numbers(results.get(cid), 1)
                if got is None:
                    failed.add(p.label)
                else:
                    values[p.label][node.name] = got[0]
    return tuple(
        Effect(
            p.label,
            "values",
            tuple(EffectRow(n.name, p.trace.values[n.name], values[p.label][n.name]) for n in graph.nodes),
        )
        for p in points
        if p.label not in failed
    )


def step_effect(exercise: Exercise, task: Task, points: list[Point], answers: dict[str, object]):
    """The loss before and after the student's step, beside the reference step's."""
    from grader.engine import EvaluationError, forward

    graph = exercise.built
    found = []
    for p in points:
        new = answers.get(p.label)
        if not isinstance(new, dict):
            continue
        lr = float(task.lr or 0.0)
        ref = {**p.values, **{k: p.values[k] - lr * p.trace.grads[k] for k in task.params or []}}
        mine = {**p.values, **{k: new[k] for k in task.params or [] if isinstance(new.get(k), float)}}
        try:
            after_ref = forward(graph, ref).values[graph.output]
            after_mine = forward(graph, mine).values[graph.output]
        except EvaluationError:
            continue
        out = graph.output
        found.append(
            Effect(
                p.label,
                "loss",
                (
                    EffectRow(f"{out} (before)", p.trace.values[out], p.trace.values[out]),
                    EffectRow(f"{out} (after)", after_ref, after_mine),
                ),
            )
        )
    return tuple(found)
