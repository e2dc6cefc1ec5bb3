"""Counterexamples come from each variable's domain (p in (0, 1), y in {0, 1}); domains are validated."""

from __future__ import annotations

import pytest

from grader.errors import ExerciseError
from grader.quiz import quizzes
from grader.quiz.expressions import parse
from grader.quiz.result import grade_answer
from grader.quiz.spec import Domain
from grader.quiz.symbolic import Worker, judge
from tests.quiz.helpers import course_quiz, question, variant_of

OFF = Worker(enabled=False)


def test_bce_counterexample_is_a_probability_and_a_label():
    qv = question(variant_of("quiz04", "2026001"), "bce_local")
    for wrong in ("-1/p", "-y/p", "-y/p - (1 - y)/(1 - p)", "(p - y)/p", "1/(1 - p)"):
        result = grade_answer(qv, wrong, OFF)
        assert result.status == "wrong", wrong
        at = dict(part.split(" = ") for part in result.why.params["at"].split(", "))
        assert 0 < float(at["p"]) < 1, (wrong, at)
        assert float(at["y"]) in (0.0, 1.0), (wrong, at)


def test_declared_domain_is_used_and_equal_on_the_domain_is_right():
    key = parse("y", ["y"])
    same_on_labels = parse("y^2", ["y"])  # y² = y for y in {0, 1}
    found = judge(key, same_on_labels, ["y"], worker=OFF, domains={"y": Domain(choices=[0, 1])})
    assert found.equivalent
    assert not judge(key, same_on_labels, ["y"], worker=OFF).equivalent  # over the reals it is not


def test_range_is_open_and_respected():
    key, wrong = parse("1/x", ["x"]), parse("1/x + 1", ["x"])
    found = judge(key, wrong, ["x"], worker=OFF, domains={"x": Domain(range=(2, 3))})
    assert not found.equivalent and 2 < found.counterexample["at"]["x"] < 3


QUIZ = """
id: quizx
title: t
questions:
  - id: q
    kind: expression
    text: "dL/dp?"
    variables: [p, y]
    answer: "-y/p + (1 - y)/(1 - p)"
    domain:
{domain}
"""


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("      q: {range: [0, 1]}", "'q' is not one of the variables"),
        ("      p: {range: [1, 0]}", "is empty"),
        ("      p: {range: [0, 1], choices: [0.5]}", "exactly one of"),
        ("      y: {choices: []}", "at least one choice"),
    ],
)
def test_bad_domains_are_refused_with_their_line(write_quiz, domain, message):
    path = write_quiz(QUIZ.format(domain=domain))
    with pytest.raises(ExerciseError) as exc:
        quizzes.load_quiz(path)
    assert message in str(exc.value) and ":11:" in str(exc.value)


def test_domain_belongs_to_expression_questions(write_quiz):
    path = write_quiz(
        """
id: quizx
title: t
questions:
  - id: q
    kind: choice
    text: "?"
    choices: [a, b]
    answer: 0
    domain: {p: {range: [0, 1]}}
"""
    )
    with pytest.raises(ExerciseError, match="'domain' belongs to expression questions"):
        quizzes.load_quiz(path)


def test_gate_defaults_and_declared_domains():
    quiz = course_quiz("quiz04")
    q = next(q for q in quiz.questions if q.id == "bce_local")
    assert q.domains() == {"p": Domain(range=(0.0, 1.0)), "y": Domain(choices=[0.0, 1.0])}
    fused = next(q for q in quiz.questions if q.id == "fused_local")
    assert fused.domains() == {"y": Domain(choices=[0.0, 1.0])}
