"""The lecture's missing pieces: the log gate, a gradient check, max/ReLU routing, a descent loop."""

from __future__ import annotations

from tests.conftest import SOLUTIONS


def solution(exercise: str) -> str:
    return (SOLUTIONS / f"{exercise}.py").read_text(encoding="utf-8")


def task_of(verdict, function: str):
    return next(t for t in verdict.tasks if t.function == function)


def test_descent_ascent_is_named(grade_text):
    source = solution("exercise12").replace("w[name] - lr * grads[name]", "w[name] + lr * grads[name]")
    task = task_of(grade_text("exercise12", source), "train")
    assert task.score == 0 and task.blame.mistake == "ascent"
    assert "the loss grows at every step" in task.blame.message


def test_descent_whose_losses_rise_is_not_decreasing(grade_text):
    # a single sample's logistic loss falls along the gradient for any η > 0: here the list is built backwards
    source = solution("exercise12").replace("    return losses\n", "    return losses[::-1]\n")
    task = task_of(grade_text("exercise12", source), "train")
    assert task.score == 0 and task.blame.mistake == "not_decreasing"
    assert "went up at step" in task.blame.message


def test_descent_that_changes_its_input_loses_marks(grade_text):
    source = (
        solution("exercise12")
        .replace("w = dict(params)", "w = params")
        .replace(
            "w = {name: w[name] - lr * grads[name] for name in w}",
            "for name in w:\n            w[name] -= lr * grads[name]",
        )
    )
    task = task_of(grade_text("exercise12", source), "train")
    assert task.blame.mistake == "modified_input" and task.score == 0


def test_descent_stale_gradients_are_wrong(grade_text):
    # the losses are logged after the update: one step off
    source = (
        solution("exercise12")
        .replace("        losses.append(_loss(w, data))\n        z =", "        z =")
        .replace(
            "        w = {name: w[name] - lr * grads[name] for name in w}\n",
            "        w = {name: w[name] - lr * grads[name] for name in w}\n        losses.append(_loss(w, data))\n",
        )
    )
    task = task_of(grade_text("exercise12", source), "train")
    assert task.score == 0 and not task.passed


def test_gradient_check_mistakes_are_named(grade_text):
    right = solution("exercise10")
    sources = {
        "check_accepts": "def grad_check(inputs, grads):\n    return {k: 0.0 for k in grads}\n",
        "check_rejects": right.replace("h = 1e-5", "h = 0.5").replace(
            "(loss(up) - loss(down)) / (2 * h)", "(loss(up) - loss(inputs)) / h"
        ),
        "check_formula": right.replace("/ max(abs(a), abs(n), 1e-8)", ""),
    }
    for mistake, source in sources.items():
        task = task_of(grade_text("exercise10", source), "grad_check")
        assert task.blame.mistake == mistake, (mistake, task.blame)
        assert task.score < task.max_score / 2


def test_log_gate_mistakes(grade_text):
    forgot = solution("exercise09").replace("return upstream / x", "return 1.0 / x")
    task = task_of(grade_text("exercise09", forgot), "log_backward")
    assert task.blame.mistake == "missing_upstream"
    fd = solution("exercise09").replace(
        "    return 1.0 / x\n", "    h = 1e-6\n    return (math.log(x + h) - math.log(x - h)) / (2 * h)\n", 1
    )
    assert task_of(grade_text("exercise09", fd), "log_local_grad").blame.mistake == "finite_difference"
    sign = solution("exercise09").replace("return (upstream, -upstream)", "return (upstream, upstream)")
    assert not task_of(grade_text("exercise09", sign), "sub_backward").passed


def test_routing_mistakes(grade_text):
    split = solution("exercise11").replace(
        "    if a > b:\n        return (upstream, 0.0)\n    if b > a:\n        return (0.0, upstream)\n", ""
    )
    assert not task_of(grade_text("exercise11", split), "max_backward").passed
    leaky = solution("exercise11").replace("return upstream if x > 0 else 0.0", "return upstream")
    assert not task_of(grade_text("exercise11", leaky), "relu_backward").passed
