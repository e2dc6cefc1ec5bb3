"""``grade check``: is an exercise sound? Valid, solved by its solution, and able to tell the truth
from the classic mistakes.

A mutant is the reference's answer transformed the way a classic mistake would transform it (sign
flip, forgotten upstream, swapped operands, output for input, a factor off; for whole-graph tasks
the same mistakes planted in one gate, and ``=`` for ``+=`` at each fan-out). A task whose checks
accept a mutant at every point cannot tell that mistake from the truth: the exercise is weak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.engine import EvaluationError, trace
from grader.exercise import shipped as course
from grader.exercise.points import Point, draw_points
from grader.exercise.spec import Exercise
from grader.grading import mistakes, routines
from grader.grading.probes import probes_for

CHECK_SEED = b"grade-check"
NODE_MUTANTS = ("sign_error", "missing_upstream", "swapped_operands", "used_output_for_input", "used_input_for_output")


@dataclass
class Audit:
    exercise: str
    path: str
    solution: str | None = None
    score: float | None = None
    max_score: float = 0.0
    problems: list[str] = field(default_factory=list)  # make the check fail
    weak: list[str] = field(default_factory=list)  # mutants a task cannot tell from the truth
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.weak


def surviving_mutants(ex: Exercise, points: list[Point]) -> list[str]:
    """Mutants that pass every check of their task, as readable strings."""
    survivors = []
    probes = probes_for(ex, points)
    for i, task in enumerate(ex.tasks):
        mine = [p for p in probes if p.task == i]
        if task.kind in ("forward", "local_grad", "backward"):
            kinds = ("sign_error", "swapped_operands") if task.kind == "forward" else NODE_MUTANTS
            for mistake in kinds:
                applicable, caught = False, False
                for probe in mine:
                    node = ex.built.by_name[probe.node]
                    if (
                        task.kind != "forward"
                        and not mistakes.is_real_mutant(node, mistake, node.name == ex.graph.output)
                        or (mistake == "missing_upstream" and task.kind != "backward")
                    ):
                        continue
                    predicted = mistakes.predict(mistake, task.kind, node, probe, allow_same=True)
                    if predicted is None:
                        continue
                    applicable = True
                    if not mistakes._matches(predicted, probe.expected):
                        caught = True
                        break
                if applicable and not caught:
                    survivors.append(f"{task.function}: {mistake}")
            doubled = [(p.expected, p.expected) for p in mine]
            if all(mistakes.flat(e) is not None and all(abs(v) < 1e-12 for v in mistakes.flat(e)) for e, _ in doubled):
                survivors.append(f"{task.function}: off_by_factor (every expected value is 0)")
        elif task.kind == "gradients":
            survivors += _graph_survivors(ex, task, points)
        elif task.kind in routines.KINDS:
            survivors += routines.surviving_mutants(ex, task, points)
        else:
            lr = float(task.lr or 0)
            if all(abs(p.trace.grads[k]) < 1e-12 for p in points for k in task.params or []):
                survivors.append(f"{task.function}: ascent (every gradient is 0)")
            if lr == 0:
                survivors.append(f"{task.function}: lr is 0")
    return survivors


def _graph_survivors(ex: Exercise, task, points: list[Point]) -> list[str]:
    graph = ex.built
    wrt = list(task.wrt or [])
    relevant = _nodes_between(ex, wrt)
    found = []
    for node in graph.nodes:
        if node.name not in relevant:
            continue
        for mistake, _ in mistakes._mutations(node, points[0].trace).items():
            if not mistakes.is_real_mutant(node, mistake, node.name == graph.output):
                continue

            def differs(p: Point, node=node, mistake=mistake) -> bool:
                mutate = mistakes._mutations(node, p.trace)[mistake]
                got = mistakes.mutant_backward(graph, p.trace, node.name, mutate)
                return any(not ex.tolerance.close(got[w], p.trace.grads[w]) for w in wrt)

            try:
                if not any(differs(p) for p in points):
                    found.append(f"{task.function}: {mistake} at node {node.name}")
            except (ArithmeticError, ValueError):
                continue
    uses = graph.consumers()
    for name, consumers in uses.items():
        if len(set(consumers)) > 1 and (name in relevant or name in wrt):
            for keep in mistakes.kept_subsets(consumers):

                def differs(p: Point, name=name, keep=keep) -> bool:
                    got = mistakes.mutant_backward(graph, p.trace, name, None, keep_consumer=keep)
                    return any(not ex.tolerance.close(got[w], p.trace.grads[w]) for w in wrt)

                if not any(differs(p) for p in points):
                    found.append(f"{task.function}: overwrote_fanout at {name} (kept {', '.join(keep)})")
    return found


def _nodes_between(ex: Exercise, wrt: list[str]) -> set[str]:
    """Nodes on some path from a ``wrt`` input to the output."""
    reach = set(wrt)
    for node in ex.built.nodes:
        if any(p in reach for p in node.parents()):
            reach.add(node.name)
    return reach - set(wrt)


def same_gradients(ex: Exercise, other: Exercise, points: list[Point]) -> list[str]:
    """Inputs where two graphs of the same function disagree on the gradient."""
    problems = []
    shared = [n for n in ex.graph.inputs if n in other.graph.inputs]
    for p in points:
        try:
            theirs = trace(other.built, {k: p.values.get(k, 0.0) for k in other.graph.inputs})
        except EvaluationError:  # an edge point where the other, unfused graph leaves its domain
            continue
        for name in shared:
            if not ex.tolerance.close(p.trace.grads[name], theirs.grads[name]):
                problems.append(
                    f"at {p.label}, d{ex.graph.output}/d{name} is {p.trace.grads[name]:.6g} here "
                    f"but {theirs.grads[name]:.6g} in {other.id}"
                )
    return problems


def solution_for(ex: Exercise) -> Path | None:
    candidates = []
    if ex.path is not None:
        candidates.append(ex.path.parent.parent / "solutions" / f"{ex.id}.py")
    candidates.append(course.solutions_dir() / f"{ex.id}.py")
    return next((c for c in candidates if c.is_file()), None)


def audit(ex: Exercise, find) -> Audit:
    """Everything ``grade check`` says about one exercise. ``find`` loads another exercise by id."""
    from grader.grading import api

    result = Audit(ex.id, str(ex.path or ""), max_score=ex.max_score)
    points = draw_points(ex, CHECK_SEED)
    result.weak = surviving_mutants(ex, points)
    for other_id in ex.same_gradients_as:
        try:
            other = find(other_id)
        except Exception as exc:  # noqa: BLE001 - reported, not raised: the check goes on
            result.problems.append(f"same_gradients_as: {other_id}: {exc}")
            continue
        result.problems += same_gradients(ex, other, points)
    solution = solution_for(ex)
    if solution is None:
        result.problems.append(f"no solution (looked for solutions/{ex.id}.py)")
        return result
    verdict = api.submit(solution, ex)
    result.solution, result.score = str(solution), verdict.score
    if not verdict.full_marks:
        why = (
            verdict.error.message
            if verdict.error
            else "; ".join(
                f"{t.function}: {t.blame.message if t.blame else (t.error.message if t.error else 'failed')}"
                for t in verdict.tasks
                if not t.passed
            )
        )
        result.problems.append(f"the solution scores {verdict.score:g}/{verdict.max_score:g}: {why}")
    return result
