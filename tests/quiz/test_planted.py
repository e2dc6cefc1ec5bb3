"""Quiz variants planted with classic mistakes: no course variant accepts one, and a quiz that cannot
avoid one is reported weak by ``grade check``."""

from __future__ import annotations

import pytest

from grader.engine import trace
from grader.quiz import quizzes
from grader.quiz.result import grade_answer
from grader.quiz.variant import draw_question, structural, student_rng
from tests.quiz.helpers import course_quiz

STUDENTS = 30


def _variants(quiz_id: str, qid: str, students: int = STUDENTS):
    quiz = course_quiz(quiz_id)
    p = next(p for p in quizzes.prepared_of(quiz) if p.question.id == qid)
    return [draw_question(quiz, p, student_rng("planted-test", quiz_id, f"s{i}", qid)) for i in range(students)]


def _ref(qv):
    graph = qv.prepared.graph
    return trace(graph, {n: qv.params[n] for n in graph.inputs})


def _wrong(qv, value: float) -> bool:
    return grade_answer(qv, value).status == "wrong"


@pytest.mark.parametrize("quiz_id", ["quiz01", "quiz02", "quiz03", "quiz04"])
def test_no_course_variant_accepts_a_classic_mistake(quiz_id):
    quiz = course_quiz(quiz_id)
    for p in quizzes.prepared_of(quiz):
        if p.question.kind != "numeric":
            continue
        skip = structural(quiz, p)
        for i in range(STUDENTS):
            qv = draw_question(quiz, p, student_rng("planted-test", quiz_id, f"s{i}", p.question.id))
            assert not qv.weak, (p.question.id, qv.params, qv.weak)
            assert [m for m in qv.passing_mistakes() if m not in skip] == []


# The mistakes of the issue, computed here by hand from the engine (not by grader.quiz.planted).


def test_learning_rate_ignored_never_passes():
    for qv in _variants("quiz04", "gd_w1"):
        tr = _ref(qv)
        assert _wrong(qv, qv.params["w1"] - tr.grads["w1"])  # η taken as 1
        assert _wrong(qv, qv.params["w1"] + qv.params["lr"] * tr.grads["w1"])  # ascent


def test_forgotten_mul_factor_mixed_up_and_swapped_never_pass():
    for qv in _variants("quiz03", "grad_w1"):
        tr = _ref(qv)
        assert _wrong(qv, tr.grads["m1"])  # the ×x1 of the mul gate forgotten
        assert _wrong(qv, tr.grads["x1"])  # ∂L/∂x1 for ∂L/∂w1
        assert _wrong(qv, tr.grads["m1"] * qv.params["w1"])  # operands swapped
        assert _wrong(qv, -tr.grads["w1"])  # sign flipped


def test_upstream_times_local_mistakes_never_pass():
    for qv in _variants("quiz03", "upstream_times_local"):
        a, b, g = qv.params["a"], qv.params["b"], qv.params["g"]
        assert grade_answer(qv, g * b).status == "correct"
        for wrong in (b, g, g * a, -g * b):  # upstream forgotten, local forgotten, swapped, sign
            assert _wrong(qv, wrong)


def test_a_quiz_that_cannot_avoid_a_mistake_is_weak(write_quiz):
    path = write_quiz(
        """
id: quizx
title: t
questions:
  - id: step
    kind: numeric
    text: "w = {w}, g = {g}, η = {lr}: new w?"
    params:
      w: {range: [-2, 2]}
      g: {range: [1, 3]}
      lr: {choices: [1]}
    answer: "w - lr * g"
"""
    )
    problems = quizzes.audit_quiz(path)
    assert any("weak" in p and "lr_ignored at lr" in p for p in problems), problems


def test_a_quiz_with_room_to_redraw_is_sound(write_quiz):
    path = write_quiz(
        """
id: quizx
title: t
questions:
  - id: step
    kind: numeric
    text: "w = {w}, g = {g}, η = {lr}: new w?"
    params:
      w: {range: [-2, 2]}
      g: {range: [1, 3]}
      lr: {choices: [0.1, 0.5, 1]}
    answer: "w - lr * g"
"""
    )
    assert quizzes.audit_quiz(path) == []
    quiz = quizzes.load_quiz(path)
    variants = [quizzes.draw(quiz, f"s{i}").questions[0] for i in range(20)]
    assert {v.params["lr"] for v in variants} <= {0.1, 0.5}


def test_the_redraw_is_deterministic_and_real_mistakes_are_planted():
    quiz = course_quiz("quiz04")
    again = [quizzes.draw(quiz, f"s{i}", "course").to_json("en") for i in range(10)]
    assert again == [quizzes.draw(course_quiz("quiz04"), f"s{i}", "course").to_json("en") for i in range(10)]
    p = next(p for p in quizzes.prepared_of(quiz) if p.question.id == "gd_w1")
    assert structural(quiz, p) == frozenset()  # η ignored, x1 for w1, ascent: all real mistakes here
    square = next(p for p in quizzes.prepared_of(course_quiz("quiz03")) if p.question.id == "fanout_square")
    assert "missing_upstream at sq" in structural(course_quiz("quiz03"), square)  # its upstream is always 1
