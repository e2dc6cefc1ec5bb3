"""Each mistake code has a fixture that is diagnosed with the right node and the right code."""

from __future__ import annotations

import re

import pytest

from grader.grading import api
from tests.conftest import EXERCISES, FIXTURES

FIXTURE_FILES = sorted((FIXTURES / "mistakes").glob("*.py"))


def header(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return dict(re.findall(r"(\w+): (\S+)", first))


def test_every_mistake_code_of_the_spec_has_a_fixture():
    codes = {header(p)["mistake"] for p in FIXTURE_FILES}
    assert codes >= {
        "sign_error",
        "missing_upstream",
        "swapped_operands",
        "used_output_for_input",
        "used_input_for_output",
        "off_by_factor",
        "not_a_number",
        "nan",
        "overwrote_fanout",
        "ascent",
    }


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_is_diagnosed_with_its_node_and_code(path):
    want = header(path)
    verdict = api.submit(path, want["exercise"], exercises_dir=EXERCISES)
    assert verdict.status == "graded"
    task = next(t for t in verdict.tasks if t.function == want["task"])
    assert not task.passed and task.score < task.max_score
    assert (task.blame.node, task.blame.mistake) == (want["node"], want["mistake"])
    assert task.blame.message  # a sentence, not just a code


def test_messages_name_the_node_and_explain_in_korean_too():
    path = FIXTURES / "mistakes" / "missing_upstream.py"
    en = api.submit(path, "exercise03", exercises_dir=EXERCISES, lang="en")
    ko = api.submit(path, "exercise03", exercises_dir=EXERCISES, lang="ko")
    blame_en = next(t for t in en.tasks if t.function == "exp_backward").blame.message
    blame_ko = next(t for t in ko.tasks if t.function == "exp_backward").blame.message
    assert "node e" in blame_en and "upstream" in blame_en
    assert "노드 e" in blame_ko and "상류" in blame_ko


def test_a_wrong_answer_that_fits_no_rule_is_blamed_without_a_code(grade_text):
    verdict = grade_text("exercise02", "def neg_local_grad(x):\n    return x * 0.1 + 3\n")
    task = next(t for t in verdict.tasks if t.function == "neg_local_grad")
    assert task.blame.node == "n" and task.blame.mistake is None
    assert "wrong at" in task.blame.message


# ----------------------------------------------------------------- the whole-graph search, directly


def _graph_case(exercise: str, plant):
    """The exercise's public and some random points, and the leaf gradients with ``plant`` made."""
    from grader.exercise.loader import find_exercise
    from grader.exercise.points import draw_points
    from grader.grading import mistakes

    ex = find_exercise(exercise, EXERCISES)
    points = draw_points(ex, b"test-mistakes" * 3)
    wrt = list(next(t for t in ex.tasks if t.kind == "gradients").wrt or [])
    changes = {n.name: mistakes._local_changes(ex.built, n) for n in ex.built.nodes}
    chosen = [c for name, mistake, params in plant for c in changes[name] if (c.mistake, c.params) == (mistake, params)]
    answers = [{k: v for k, v in mistakes._grads(ex.built, p, chosen).items() if k in wrt} for p in points]
    return mistakes.diagnose_graph(ex.built, points, answers, wrt)


def test_a_named_wrong_local_gradient_is_found_at_its_gate():
    found = _graph_case("exercise07", [("sigx", "wrong_rule", {"rule": "σ²"})])
    assert found[0] == [("sigx", "wrong_rule", {"rule": "σ²"})]


def test_a_sign_flip_on_a_chain_lists_every_gate_it_could_be_the_neg_gate_first():
    found = _graph_case("exercise06", [("yhat", "sign_error", {})])
    assert found[0][0][:2] == ("n", "sign_error")
    assert {e[0][0] for e in found} >= {"n", "yhat", "L", "d", "e"}


def test_two_gates_are_found_together_only_when_no_single_gate_explains_the_numbers():
    found = _graph_case(
        "exercise07", [("sigx", "wrong_rule", {"rule": "σ²"}), ("xpysqr", "off_by_factor", {"factor": 0.5})]
    )
    assert len(found[0]) == 2
    assert {g[0] for g in found[0]} == {"sigx", "xpysqr"}


def test_a_constant_factor_is_solved_from_the_numbers():
    from grader.exercise.loader import find_exercise
    from grader.exercise.points import draw_points
    from grader.grading import mistakes

    ex = find_exercise("exercise07", EXERCISES)
    points = draw_points(ex, b"factor" * 6)
    fn = lambda nd, u, loc: tuple(3.0 * u * g for g in loc)  # noqa: E731
    answers = [
        {k: v for k, v in mistakes.mutant_backward(ex.built, p.trace, {"xpysqr": fn}, None).items() if k in ("x", "y")}
        for p in points
    ]
    found = mistakes.diagnose_graph(ex.built, points, answers, ["x", "y"])
    assert ("xpysqr", "off_by_factor") in [e[0][:2] for e in found]
    assert next(e for e in found if e[0][0] == "xpysqr")[0][2]["factor"] == 3.0
