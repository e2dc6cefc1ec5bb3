"""Quiz files: every authoring error names the file, the line and the key; ``audit_quiz`` (for
``grade check``) finds the problems that need variants; the course's quizzes are sound."""

from __future__ import annotations

import re

import pytest

from grader.errors import ExerciseError
from grader.quiz import quizzes
from tests.quiz.conftest import EXERCISES

GOOD = """\
id: quizx
title: {ko: "시험", en: "Test"}
questions:
  - id: q1
    kind: numeric
    text: {ko: "w1 = {w1}, y = {y}: dL/dw1?", en: "w1 = {w1}, y = {y}: dL/dw1?"}
    graph: exercise03
    params: {w1: {range: [-3, 3], step: 1}, y: {choices: [0, 1]}}
    answer: grad(w1)
    tolerance: {atol: 0.01}
  - id: q2
    kind: expression
    text: "Local gradient of f(x) = 1/x?"
    variables: [x]
    answer: "-1/x**2"
  - id: q3
    kind: choice
    text: "..."
    choices: ["a", "b", "c"]
    answer: 1
"""


def error_of(write_quiz, text: str) -> str:
    path = write_quiz(text)
    with pytest.raises(ExerciseError) as caught:
        quizzes.load_quiz(path)
    return str(caught.value).replace(str(path), "FILE")


def test_the_spec_example_loads(write_quiz):
    quiz = quizzes.load_quiz(write_quiz(GOOD))
    assert [q.id for q in quiz.questions] == ["q1", "q2", "q3"] and quiz.max_score == 3


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    answer: grad(w1)\n",
            "    answer: grad(w9)\n",
            "FILE:9: questions[0].answer: 'grad(w9)': 'w9' is not a node or input of the graph",
        ),
        ("    answer: grad(w1)\n", "    answer: 0.27\n", "FILE:9: questions[0]"),
        (
            "    answer: grad(w1)\n",
            '    answer: "0.27"\n',
            "FILE:9: questions[0].answer: an answer key is computed, not typed",
        ),
        (
            "    graph: exercise03\n",
            "    graph: exercise99\n",
            "FILE:7: questions[0].graph: cannot use the graph of 'exercise99': unknown exercise 'exercise99'",
        ),
        (
            "    tolerance: {atol: 0.01}\n",
            "    tolerence: {atol: 0.01}\n",
            "FILE:10: questions[0].tolerence: unknown key 'tolerence'",
        ),
        ("y: {choices: [0, 1]}}", "y: {choices: []}}", "FILE:8: questions[0].params.y: give at least one choice"),
        ("w1: {range: [-3, 3], step: 1}", "w1: {range: [3, -3], step: 1}", "FILE:8: questions[0].params.w1"),
        ("    answer: 1\n", "    answer: 3\n", "FILE:20: questions[2].answer: 3 is not a choice index (0 to 2)"),
        ("    answer: 1\n", "    answer: [1, 1]\n", "FILE:20: questions[2].answer: an index appears twice"),
        (
            '    answer: "-1/x**2"\n',
            '    answer: "-1/y**2"\n',
            "FILE:15: questions[1].answer: '-1/y**2': unknown name 'y'",
        ),
        ("    variables: [x]\n", "", "FILE:11: questions[1]: an expression question lists its 'variables'"),
        ("  - id: q2\n", "  - id: q1\n", "FILE:11: questions[1].id: 'q1' is already the id of question 0"),
        ("id: quizx\n", "id: quizy\n", "FILE:1: id: 'quizy' must equal the file's name 'quizx'"),
        ("    kind: choice\n", "    kind: multiple\n", "FILE:17: questions[2].kind: Input should be 'numeric'"),
        (
            "    answer: 1\n",
            "    answer: 1\n    decimals: 2\n",
            "FILE:21: questions[2].decimals: 'decimals' belongs to numeric questions, not choice",
        ),
        (
            'en: "w1 = {w1}, y = {y}: dL/dw1?"',
            'en: "w1 = {w1}: dL/dw1?"',
            "FILE:6: questions[0].text.en: the drawn parameter 'y' is not shown: write {y}",
        ),
        (
            "    graph: exercise03\n",
            "    graph: exercise03\n    at: {q: 1}\n",
            "FILE:8: questions[0].at.q: 'q' is not an input of the graph",
        ),
        (
            "    answer: grad(w1)\n",
            "    answer: grad(w1)\n    within: {zz: [0, 1]}\n",
            "FILE:10: questions[0].within.zz: 'zz' is not an input or node",
        ),
        (
            '    answer: "-1/x**2"\n',
            '    answer: "-1/x**2"\n    gate: nope\n',
            "FILE:16: questions[1].gate: unknown gate 'nope'",
        ),
        ("questions:\n", "questionz:\n", "FILE:1: questions: this is an exercise, not a quiz"),
        ("  - id: q3\n", "  - id: q3\n    score: -1\n", "FILE:17: questions[2].score: Input should be greater"),
    ],
)
def test_errors_name_file_line_and_key(write_quiz, old, new, expected):
    assert old in GOOD
    message = error_of(write_quiz, GOOD.replace(old, new, 1))
    assert message.startswith(expected), message
    assert re.match(r"FILE:\d+: ", message)


def test_inline_graph_errors_are_located(write_quiz):
    text = GOOD.replace(
        "    graph: exercise03\n    params: {w1: {range: [-3, 3], step: 1}, y: {choices: [0, 1]}}\n",
        "    graph:\n      inputs: [w1, y]\n      nodes:\n        f: {op: mul, args: [w1, q]}\n      output: f\n"
        "    params: {w1: {range: [-3, 3], step: 1}, y: {choices: [0, 1]}}\n",
    )
    assert error_of(write_quiz, text).startswith(
        "FILE:10: questions[0].graph.nodes.f.args[1]: 'q' is not an input or node"
    )


def test_invalid_yaml(write_quiz):
    assert error_of(write_quiz, GOOD.replace("kind: choice", "kind: [choice")).startswith("FILE:18: invalid YAML")


def test_an_exercise_is_not_a_quiz():
    with pytest.raises(ExerciseError, match="this is an exercise, not a quiz"):
        quizzes.load_quiz(EXERCISES / "exercise03.yaml")


# --------------------------------------------------------------------------- audit (grade check)


def test_audit_of_a_sound_quiz_is_empty(write_quiz):
    assert quizzes.audit_quiz(write_quiz(GOOD)) == []


def test_audit_reports_every_problem_with_lines(write_quiz):
    text = GOOD.replace('en: "w1 = {w1}, y = {y}: dL/dw1?"', 'en: "w1 = {w1}: dL/dw1?"').replace(
        "    answer: 1\n", "    answer: 7\n"
    )
    path = write_quiz(text)
    assert quizzes.audit_quiz(path) == [
        f"{path}:6: questions[0].text.en: the drawn parameter 'y' is not shown: write {{y}}",
        f"{path}:20: questions[2].answer: 7 is not a choice index (0 to 2)",
    ]


def test_audit_checks_expression_keys_against_the_engine_gate(write_quiz):
    wrong = GOOD.replace('    answer: "-1/x**2"\n', '    answer: "1/x**2"\n    gate: reciprocal\n')
    problems = quizzes.audit_quiz(write_quiz(wrong))
    assert len(problems) == 1
    assert "questions[1]: the answer '1/x**2' is not the local gradient of gate 'reciprocal'" in problems[0]
    right = GOOD.replace('    answer: "-1/x**2"\n', '    answer: "-1/x**2"\n    gate: reciprocal\n')
    assert quizzes.audit_quiz(write_quiz(right)) == []


def test_audit_refuses_an_answer_that_does_not_vary(write_quiz):
    text = (
        GOOD.replace("    answer: grad(w1)\n", "    answer: value(m2)\n")
        .replace(
            "params: {w1: {range: [-3, 3], step: 1}, y: {choices: [0, 1]}}", "params: {w1: {range: [-3, 3], step: 1}}"
        )
        .replace(", y = {y}", "")
    )
    problems = quizzes.audit_quiz(write_quiz(text))
    assert any("does not depend on the drawn parameters" in p for p in problems), problems


def test_audit_refuses_parameters_that_never_vary(write_quiz):
    text = GOOD.replace("w1: {range: [-3, 3], step: 1}, y: {choices: [0, 1]}", "w1: {choices: [2]}, y: {choices: [1]}")
    problems = quizzes.audit_quiz(write_quiz(text))
    assert any("the parameters are the same for 24 students" in p for p in problems), problems


def test_audit_flags_a_question_a_hand_computation_gets_badly_wrong(write_quiz):
    text = (
        GOOD.replace("    answer: grad(w1)\n", "    answer: grad(yhat)\n    at: {x1: -1, w2: 1, x2: -2}\n")
        .replace("y: {choices: [0, 1]}", "y: {choices: [0]}, w0: {choices: [4.5, 5, 5.5]}")
        .replace("y = {y}", "y = {y}, w0 = {w0}")
    )
    problems = quizzes.audit_quiz(write_quiz(text))
    assert any("computed by hand with values rounded to 2 decimals" in p for p in problems), problems


def test_audit_of_an_undefined_answer(write_quiz):
    text = GOOD.replace(
        "    graph: exercise03\n    params: {w1: {range: [-3, 3], step: 1}, y: {choices: [0, 1]}}\n",
        "    graph: {inputs: [w1, y], nodes: {f: {op: log, args: [w1]}}, output: f}\n"
        "    params: {w1: {range: [-3, 0], step: 1}, y: {choices: [0, 1]}}\n",
    )
    problems = quizzes.audit_quiz(write_quiz(text))
    assert len(problems) == 1 and "no usable draw in 200 attempt(s)" in problems[0]


def test_audit_of_unreadable_file(tmp_path):
    path = tmp_path / "quizx.yaml"
    path.write_text("id: [\n", encoding="utf-8")
    assert quizzes.audit_quiz(path)[0].startswith(f"{path}:")


def test_is_quiz_file(write_quiz):
    assert quizzes.is_quiz_file(write_quiz(GOOD))
    assert not quizzes.is_quiz_file(EXERCISES / "exercise03.yaml")


# --------------------------------------------------------------------------- the course


def course_quizzes():
    return sorted(p for p in EXERCISES.glob("*.yaml") if quizzes.is_quiz_file(p))


def test_the_course_quizzes_are_sound():
    files = course_quizzes()
    assert len(files) >= 4
    for path in files:
        assert quizzes.audit_quiz(path) == [], path


def test_the_course_has_enough_questions_on_every_topic():
    questions = [q for p in course_quizzes() for q in quizzes.load_quiz(p).questions]
    assert len(questions) >= 20
    kinds = {q.kind for q in questions}
    assert kinds == {"numeric", "expression", "choice"}
    assert any(q.multiple for q in questions if q.kind == "choice")
    text = " ".join(f"{q.text.en} {q.explanation.en if q.explanation else ''} {q.answer} {q.graph}" for q in questions)
    for topic in (
        "computational graph",
        "forward",
        "local gradient",
        "fan-out",
        "sigmoid",
        "BCE",
        "σ(z) − y",
        "gradient descent",
        "not unique",
        "exercise07",
        "grad(z)",
        "value(",
    ):
        assert topic.lower() in text.lower(), topic
    gates = {q.gate for q in questions if q.gate}
    assert gates >= {"mul", "add", "neg", "exp", "reciprocal", "log", "sigmoid", "bce", "sigmoid_bce"}


def test_course_texts_are_bilingual():
    for path in course_quizzes():
        quiz = quizzes.load_quiz(path)
        assert quiz.title.ko != quiz.title.en
        for q in quiz.questions:
            assert q.text.ko != q.text.en, (path.name, q.id)
            assert re.search("[가-힣]", q.text.ko), (path.name, q.id)
