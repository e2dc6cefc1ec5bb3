"""Borderline files no longer pass without a word: a naive sigmoid at the edge points, a step that
changes its input dicts, finite differences in place of a derivative."""

from __future__ import annotations

from tests.conftest import SOLUTIONS


def solution(exercise: str) -> str:
    return (SOLUTIONS / f"{exercise}.py").read_text(encoding="utf-8")


def task_of(verdict, function: str):
    return next(t for t in verdict.tasks if t.function == function)


NAIVE_SIGMOID_GRAD = """
import math

def sigmoid_local_grad(z):
    s = 1 / (1 + math.exp(-z))
    return s * (1 - s)
"""


def test_naive_sigmoid_overflows_at_the_edge_point(grade_text):
    verdict = grade_text("exercise04", solution("exercise04") + NAIVE_SIGMOID_GRAD)
    task = task_of(verdict, "sigmoid_local_grad")
    assert not task.passed and 0 < task.score < task.max_score
    assert [c.point for c in task.checks if not c.ok] == ["edge-1"]
    assert task.blame.mistake == "overflow" and task.blame.node == "yhat"
    assert "overflows at the extreme point" in task.blame.message and "OverflowError" in task.blame.message
    ko = grade_text("exercise04", solution("exercise04") + NAIVE_SIGMOID_GRAD, lang="ko")
    assert "오버플로" in task_of(ko, "sigmoid_local_grad").blame.message


NAIVE_FUSED = """
import math

def _s(z):
    return 1 / (1 + math.exp(-z))

def sigmoid_bce_forward(z, y):
    s = _s(z)
    return -(y * math.log(s) + (1 - y) * math.log(1 - s))

def sigmoid_bce_local_grad(z, y):
    return _s(z) - y
"""

STABLE_SIGMOID_NAIVE_LOSS = """
import math

def _s(z):
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)

def sigmoid_bce_forward(z, y):
    s = _s(z)
    return -(y * math.log(s) + (1 - y) * math.log(1 - s))

def sigmoid_bce_local_grad(z, y):
    return _s(z) - y
"""


def test_naive_fused_loss_is_named_unstable_or_overflow(grade_text):
    verdict = grade_text("exercise05", NAIVE_FUSED)
    forward, local = task_of(verdict, "sigmoid_bce_forward"), task_of(verdict, "sigmoid_bce_local_grad")
    assert forward.blame.mistake in ("overflow", "unstable") and local.blame.mistake == "overflow"
    assert all(c.ok for c in forward.checks + local.checks if not c.point.startswith("edge-"))
    stable = grade_text("exercise05", STABLE_SIGMOID_NAIVE_LOSS)
    forward = task_of(stable, "sigmoid_bce_forward")
    assert task_of(stable, "sigmoid_bce_local_grad").passed
    assert forward.blame.mistake == "unstable" and "ValueError: math domain error" in forward.blame.message


IN_PLACE_STEP = """
def step(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]
    return params
"""


def test_step_that_changes_its_input_dict_loses_marks(grade_text):
    verdict = grade_text("exercise08", IN_PLACE_STEP)
    task = task_of(verdict, "step")
    assert task.score == 0 and task.blame.mistake == "modified_input"
    assert "changed the dict it was given (params) in place" in task.blame.message
    assert all(c.why.code == "modified_input" for c in task.checks)
    assert grade_text("exercise08", solution("exercise08")).full_marks


HOSTILE_IN_PLACE = """
class Weird:
    def __eq__(self, other):
        return True

def step(params, grads, lr):
    new = {name: params[name] - lr * grads[name] for name in params}
    params["w0"] = Weird()
    for i in range(1000):
        grads["k" * 500 + str(i)] = [1.0] * 1000
    return new
"""


def test_a_hostile_change_to_the_inputs_is_still_seen(grade_text):
    task = task_of(grade_text("exercise08", HOSTILE_IN_PLACE), "step")
    assert task.score == 0 and task.blame.mistake == "modified_input"


FINITE_DIFFERENCES = """
import math

def _f(x):
    return 1 / (1 + math.exp(-x))

def sigmoid_local_grad(z, out):
    h = 1e-5
    return (_f(z + h) - _f(z - h)) / (2 * h)
"""


def test_finite_differences_are_recognised_and_named(grade_text):
    verdict = grade_text("exercise04", solution("exercise04") + FINITE_DIFFERENCES)
    task = task_of(verdict, "sigmoid_local_grad")
    assert task.blame.mistake == "finite_difference"
    assert task.score < task.max_score / 2
    assert "finite-difference estimate" in task.blame.message


FD_GRADIENTS = """
import math

def _loss(w0, w1, x1, w2, x2, y):
    z = w0 + w1 * x1 + w2 * x2
    p = 1 / (1 + math.exp(-z))
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))

def gradients(w0, w1, x1, w2, x2, y):
    args = dict(w0=w0, w1=w1, x1=x1, w2=w2, x2=x2, y=y)
    out = {}
    for name in ("w0", "w1", "w2", "x1", "x2"):
        hi, lo = dict(args), dict(args)
        hi[name] += 1e-5
        lo[name] -= 1e-5
        out[name] = (_loss(**hi) - _loss(**lo)) / 2e-5
    return out
"""


def test_finite_differences_for_the_whole_graph_are_named(grade_text):
    task = task_of(grade_text("exercise06", FD_GRADIENTS), "gradients")
    assert task.blame.mistake == "finite_difference" and not task.passed


def test_analytic_solutions_are_not_mistaken_for_estimates(grade_text):
    for exercise in ("exercise03", "exercise04", "exercise05", "exercise06", "exercise07"):
        assert grade_text(exercise, solution(exercise)).full_marks, exercise


# --------------------------------------------------------------------------- the new keys, validated

import pytest  # noqa: E402

from grader.errors import ExerciseError  # noqa: E402
from grader.exercise.loader import load_exercise  # noqa: E402

BASE = (SOLUTIONS.parent / "exercises" / "exercise04.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  - {w0: -710, w1: 0, w2: 0, y: 0}", "  - {q: 1}", "edge_points[0].q: 'q' is not an input"),
        ("  - {w0: -710, w1: 0, w2: 0, y: 0}", "  - {w0: 800, w1: 0, w2: 0, y: 0}", "undefined at this edge point"),
        ("    score: 2\n    hint:", "    score: 2\n    pure: true\n    hint:", "'pure' needs inputs that can change"),
    ],
)
def test_bad_edge_points_and_pure_are_located(tmp_path, old, new, message):
    assert old in BASE
    path = tmp_path / "exercise04.yaml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ExerciseError) as caught:
        load_exercise(path)
    assert message in str(caught.value) and f"{path}:" in str(caught.value)
