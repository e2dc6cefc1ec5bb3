"""Issue 12, point 9: an exercise's own description never states the answer of one of its tasks.

``given.asked`` decides what a task asks for; the grader's generated parts already hide it. This test
holds the author's words (``description.ko`` / ``description.en`` of every course exercise, and the
tasks' hints) to the same rule, read straight from the YAML: no LaTeX of an asked forward formula or
local gradient (as the engine's gate catalogue writes it, whitespace and spacing commands ignored), no
update rule when a ``step``/``descent`` task asks for it, and, in the description, no value of an asked
quantity at the exercise's first public point (the lecture's point), in whatever number of decimals
the text rounds it to.
"""

from __future__ import annotations

import re

import pytest

from grader.engine import GATES
from grader.engine.graph import trace
from grader.exercise.given import asked
from grader.exercise.loader import find_exercise
from tests.conftest import EXERCISES

COURSE = sorted(p.stem for p in EXERCISES.glob("exercise*.yaml"))
LANGS = ("ko", "en")

_SPACING = re.compile(r"\s+|\\[,;:! ]|\\left|\\right|\\bigl|\\bigr|\\Bigl|\\Bigr")
_NUMBER = re.compile(r"(?<![\d.])-?\d+\.\d+")


def norm(latex: str) -> str:
    return _SPACING.sub("", latex)


def local_pieces(op: str) -> list[str]:
    """The whole local-gradient LaTeX, and each right-hand side distinct enough to be the answer itself."""
    gate = GATES[op]
    pieces = [gate.grad_formula]
    forward = norm(gate.formula)
    for part in re.split(r",\\ ", gate.grad_formula):
        rhs = norm(part.split("=", 1)[-1])
        # a one-character answer (1, a, b) is everywhere; exp's answer is its own forward, which is given
        if len(rhs) > 2 and rhs != forward:
            pieces.append(rhs)
    return pieces


def asked_values(ex) -> dict[str, float]:
    """Every quantity a task of ``ex`` asks for, at the first public point."""
    graph = ex.built
    point = {k: float(v) for k, v in ex.points[0].items()}
    tr = trace(graph, point)
    out: dict[str, float] = {}
    for task in ex.tasks:
        if task.kind in ("forward", "local_grad", "backward"):
            for name in ex.task_nodes(task):
                node = graph.by_name[name]
                graded = GATES[node.op].graded_count(len(node.args))
                locals_ = tr.locals[name][:graded]
                if task.kind == "forward":
                    out[name] = tr.values[name]
                    continue
                for i, local in enumerate(locals_):
                    value = local if task.kind == "local_grad" else tr.grads[name] * local
                    out[f"{task.kind} {name}[{i}]"] = value
        elif task.kind == "gradients":
            for name in task.wrt:
                out[f"∂/∂{name}"] = tr.grads[name]
            for node in graph.nodes:
                if node.name != graph.output:
                    out[f"∂/∂{node.name}"] = tr.grads[node.name]
        elif task.kind == "step":
            for name in task.params:
                out[f"new {name}"] = point[name] - task.lr * tr.grads[name]
        elif task.kind == "descent":
            at = dict(point)
            for k in range(task.steps + 1):
                step = trace(graph, at)
                out[f"L{k}"] = step.values[graph.output]
                at = {n: v - task.lr * step.grads[n] if n in task.params else v for n, v in at.items()}
    return out


def leaked_numbers(text: str, values: dict[str, float]) -> list[str]:
    """Numbers of ``text`` (3 or more decimals) that are an asked value rounded to their decimals."""
    found = []
    for match in _NUMBER.finditer(text):
        token = match.group()
        decimals = len(token.split(".")[1])
        if decimals < 3:
            continue
        number = float(token)
        hits = [
            what
            for what, value in values.items()
            if abs(value) >= 10**-decimals and abs(number - value) <= 0.5 * 10**-decimals + 1e-12
        ]
        if hits:
            found.append(f"{token} ({', '.join(hits)})")
    return found


@pytest.mark.parametrize("exercise", COURSE)
def test_description_states_no_asked_formula(exercise):
    ex = find_exercise(exercise, EXERCISES)
    ask = asked(ex)
    hints = [task.hint for task in ex.tasks if task.hint is not None]
    for lang in LANGS:
        # hints are shown only after a task failed, but they too give the method, not the formula
        text = norm(" ".join(getattr(t, lang) for t in [ex.description, *hints]))
        for op in sorted(ask.local):
            for piece in local_pieces(op):
                assert norm(piece) not in text, f"{exercise} {lang}: local gradient of {op}: {piece}"
        for op in sorted(ask.forward):
            formula = GATES[op].formula
            assert norm(formula) not in text, f"{exercise} {lang}: forward formula of {op}: {formula}"
        if ask.update_rule:
            rule = re.search(r"\\leftarrow|←|-\\eta|−\\eta", text)
            assert rule is None, f"{exercise} {lang}: the update rule ({rule.group()})"


@pytest.mark.parametrize("exercise", COURSE)
def test_description_states_no_asked_value(exercise):
    ex = find_exercise(exercise, EXERCISES)
    values = asked_values(ex)
    for lang in LANGS:
        leaks = leaked_numbers(getattr(ex.description, lang), values)
        assert not leaks, f"{exercise} {lang}: values asked at the lecture's point: {', '.join(leaks)}"


def test_the_checks_catch_a_stated_answer():
    ex = find_exercise("exercise02", EXERCISES)
    reciprocal = norm(r"$-\frac{1}{x^2}$")
    assert any(norm(p) in reciprocal for p in local_pieces("reciprocal"))
    assert leaked_numbers("is $-0.534447$ and $e^{-1} = 0.367879$", asked_values(ex))
