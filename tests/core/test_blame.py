"""Blame falls on the node where the pass first meets the error, and only on nodes really wrong."""

from __future__ import annotations

import pytest

from tests.conftest import SOLUTIONS


def solution(exercise: str) -> str:
    return (SOLUTIONS / f"{exercise}.py").read_text(encoding="utf-8")


def test_gradient_task_blames_the_wrong_node_nearest_the_output(grade_text):
    # add_backward covers z (three inputs, far from L) and d (e + 1, near L): both halved.
    source = solution("exercise03") + (
        "\n\ndef add_backward(*args):\n    *inputs, upstream = args\n    return tuple(upstream / 2 for _ in inputs)\n"
    )
    task = next(t for t in grade_text("exercise03", source).tasks if t.function == "add_backward")
    assert task.blame.node == "d"
    assert [b.node for b in task.also] == ["z"]


def test_forward_task_blames_the_wrong_node_nearest_the_inputs(grade_text):
    source = solution("exercise01") + "\n\ndef add_forward(*inputs):\n    return sum(inputs) + 0.5\n"
    task = next(t for t in grade_text("exercise01", source).tasks if t.function == "add_forward")
    assert task.blame.node == "z"
    assert [b.node for b in task.also] == ["d"]


def test_only_the_wrong_gate_is_blamed_not_the_gates_after_it(grade_text):
    # A wrong exp_backward must not make neg, add or mul look wrong: each is probed with the
    # correct upstream gradient.
    source = solution("exercise03") + "\n\ndef exp_backward(x, upstream, out):\n    return out\n"
    verdict = grade_text("exercise03", source)
    failed = [t.function for t in verdict.tasks if not t.passed]
    assert failed == ["exp_backward"]
    assert verdict.score == verdict.max_score - 1


def test_two_sign_errors_that_cancel_in_the_leaf_gradients_are_still_caught(grade_text):
    # Flipping the sign at neg and at exp leaves every leaf gradient right. Per-node checks
    # still see two wrong gates; the end-to-end table shows the leaves unchanged.
    source = solution("exercise03") + (
        "\n\ndef neg_backward(x, upstream, out=None):\n    return upstream\n"
        "\n\ndef exp_backward(x, upstream, out):\n    return -upstream * out\n"
    )
    verdict = grade_text("exercise03", source)
    failed = {t.function: t.blame for t in verdict.tasks if not t.passed}
    assert set(failed) == {"neg_backward", "exp_backward"}
    assert failed["neg_backward"].mistake == failed["exp_backward"].mistake == "sign_error"
    leaves = next(e for e in verdict.effect if e.what == "gradients" and e.point == "public-1")
    assert all(abs(r.got - r.expected) < 1e-9 for r in leaves.rows)


def test_end_to_end_effect_shows_the_students_leaf_gradients(grade_text):
    source = solution("exercise03") + "\n\ndef exp_backward(x, upstream, out):\n    return out\n"
    verdict = grade_text("exercise03", source)
    effect = next(e for e in verdict.effect if e.what == "gradients" and e.point == "public-1")
    rows = {r.name: r for r in effect.rows}
    assert round(rows["w0"].expected, 6) == -0.268941
    # exp without upstream: dL/dz becomes -0.367879 (backprop.md, mistake 2)
    assert round(rows["w0"].got, 6) == -0.367879


def test_hidden_points_never_show_the_expected_value(grade_text):
    verdict = grade_text("exercise02", "def neg_local_grad(x):\n    return 1.0\n", secret="s3cret")
    checks = next(t for t in verdict.tasks if t.function == "neg_local_grad").checks
    hidden = [c for c in checks if not c.public]
    assert hidden and all(c.expected is None for c in hidden)
    assert all(c.point.startswith("hidden-") for c in hidden)
    assert all("not shown" in c.message for c in hidden)
    assert any(c.public and c.expected == -1.0 for c in checks)


@pytest.mark.parametrize("exercise", ["exercise02", "exercise03", "exercise04", "exercise06", "exercise08"])
def test_hidden_points_are_called_last_so_nothing_after_them_is_shown(grade_text, monkeypatch, exercise):
    """A function could remember a hidden point's inputs and hand them back later, at a public point
    (whose values the report shows): so once the child has seen a hidden input, it answers nothing
    that is shown."""
    from grader.grading import api

    seen: list[str] = []

    class Spy(api.Session):
        def run(self, calls):
            seen.extend(c.where for c in calls)
            return super().run(calls)

    monkeypatch.setattr(api, "Session", Spy)
    verdict = grade_text(exercise, (SOLUTIONS / f"{exercise}.py").read_text(encoding="utf-8"), secret="s3cret")
    assert verdict.full_marks
    first_hidden = next(i for i, where in enumerate(seen) if "hidden-" in where)
    assert seen[first_hidden:] and all("hidden-" in where for where in seen[first_hidden:])
    assert any("public-" in where for where in seen[:first_hidden])


def test_a_node_never_run_is_not_blamed_over_the_node_that_stopped(grade_text):
    """A gate that hangs at its first node stops that function: its later calls are not run. The blame
    is the node that hung, not the one nearest the output whose call was skipped."""
    source = solution("exercise02").replace(
        "def mul_local_grad(a, b):", "def mul_local_grad(a, b):\n    while True:\n        pass", 1
    )
    task = next(t for t in grade_text("exercise02", source).tasks if t.function == "mul_local_grad")
    stopped = {c.node: c.why.params["kind"] for c in task.checks if c.point == "public-1"}
    assert stopped == {"m1": "timeout", "m2": "skipped"}
    assert task.blame.node == "m1" and task.blame.why.params["kind"] == "timeout"
    assert [b.node for b in task.also] == ["m2"]


def test_a_gate_that_returns_one_number_for_two_inputs_is_told_so(grade_text):
    """The blame says what is wrong with the reply (its shape), not that the gate's formula is wrong."""
    source = solution("exercise03") + "\n\ndef mul_backward(a, b, upstream):\n    return upstream * b\n"
    task = next(t for t in grade_text("exercise03", source).tasks if t.function == "mul_backward")
    assert task.blame.mistake == "shape" and task.blame.why.code == "blame.shape"
    assert task.blame.why.params["count"] == 2 and task.blame.why.params["returned"] == "a single number"


def test_a_function_without_return_is_asked_about_its_return(grade_text):
    from grader.grading import explain

    source = solution("exercise03") + (
        "\n\ndef mul_backward(a, b, upstream):\n    upstream * b, upstream * a\n"
        "\n\ndef neg_backward(x, upstream):\n    -upstream\n"
    )
    verdict = grade_text("exercise03", source)
    for lang, ask in (("en", "Is a `return` missing?"), ("ko", "`return`을 빠뜨리지 않았는지 확인하세요.")):
        blames = {t.function: t.blame.message for t in explain.localize(verdict, lang).tasks if not t.passed}
        assert set(blames) == {"mul_backward", "neg_backward"}
        assert all(message.endswith(ask) for message in blames.values()), blames
    english = {t.function: t.blame.message for t in explain.localize(verdict, "en").tasks if not t.passed}
    assert "returned None" in english["mul_backward"] and "NoneType" not in english["mul_backward"]
