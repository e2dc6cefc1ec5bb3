"""Variants, answer keys from the engine, and grading each kind of answer (numeric with the
lecture's rounding, expression, choice), with every student mistake graded as a value."""

from __future__ import annotations

import json

import pytest

from grader.engine import trace
from grader.exercise.loader import find_exercise
from grader.quiz import quizzes
from grader.quiz.result import from_json, localize
from grader.quiz.variant import lecture_trace
from tests.quiz.helpers import course_quiz, question, variant_of

COURSE = ["quiz01", "quiz02", "quiz03", "quiz04"]
LECTURE = {"w0": -3, "w1": 2, "x1": -1, "w2": -3, "x2": -2, "y": 1}

LECTURE_QUIZ = """
id: lecture
title: {ko: "강의의 점", en: "The lecture's point"}
questions:
  - id: dz
    kind: numeric
    text: "dL/dz at the lecture's point?"
    graph: exercise04
    at: {w0: -3, w1: 2, x1: -1, w2: -3, x2: -2, y: 1}
    answer: grad(z)
  - id: dx2
    kind: numeric
    text: "dL/dx2 at the lecture's point?"
    graph: exercise03
    at: {w0: -3, w1: 2, x1: -1, w2: -3, x2: -2, y: 1}
    answer: grad(x2)
  - id: step
    kind: numeric
    text: "w1 after one step with lr = 0.1?"
    graph: exercise08
    answer: "w1 - 0.1 * grad(w1)"
    decimals: 3
"""


# --------------------------------------------------------------------------- variants


def test_variants_are_stable_per_student():
    for quiz_id in COURSE:
        quiz = course_quiz(quiz_id)
        one = quizzes.draw(quiz, "2026001").to_json("ko")
        again = quizzes.draw(quizzes.find_quiz(quiz_id), "2026001").to_json("ko")
        assert one == again


def test_variants_differ_between_students():
    for quiz_id in COURSE:
        quiz = course_quiz(quiz_id)
        seen = {json.dumps(quizzes.draw(quiz, f"s{i}").to_json("en")["questions"]) for i in range(20)}
        assert len(seen) == 20, quiz_id


def test_numeric_answers_differ_between_students():
    quiz = course_quiz("quiz03")
    answers = {round(question(quizzes.draw(quiz, f"s{i}"), "grad_w1").exact, 2) for i in range(30)}
    assert len(answers) >= 10


def test_the_secret_changes_the_variant():
    quiz = course_quiz("quiz03")
    practice = quizzes.draw(quiz, "s1").to_json("en")
    secret = quizzes.draw(quiz, "s1", secret="course-2026").to_json("en")
    assert practice["questions"] != secret["questions"]
    assert practice["practice"] is True and secret["practice"] is False


def test_the_environment_secret_is_used(monkeypatch):
    quiz = course_quiz("quiz03")
    monkeypatch.setenv("GRADE_SECRET", "course-2026")
    assert quizzes.course_secret() == ("course-2026", False)
    drawn = quizzes.draw(quiz, "s1").to_json("en")
    assert drawn["practice"] is False
    assert drawn["questions"] == quizzes.draw(quiz, "s1", secret="course-2026").to_json("en")["questions"]


def test_a_question_keeps_its_variant_when_others_are_added(write_quiz):
    text = (
        LECTURE_QUIZ.replace("id: lecture", "id: quizx")
        + """
  - id: extra
    kind: numeric
    text: "x = {x}: d(x*x)/dx?"
    params: {x: {range: [-5, 5]}}
    graph: {inputs: [x], nodes: {f: {op: mul, args: [x, x]}}, output: f}
    answer: grad(x)
"""
    )
    small = quizzes.load_quiz(write_quiz(text))
    bigger = quizzes.load_quiz(
        write_quiz(
            text.replace(
                "  - id: dz",
                "  - id: new\n    kind: choice\n    text: t\n    choices: [a, b]\n    answer: 0\n  - id: dz",
            ),
            "quizx",
        )
    )
    assert question(quizzes.draw(small, "s1"), "extra").params == question(quizzes.draw(bigger, "s1"), "extra").params


def test_variant_json_follows_the_spec():
    data = variant_of("quiz03", "s1").to_json("ko")
    assert data["quiz"] == "quiz03" and data["student"] == "s1"
    for item in data["questions"]:
        assert {"id", "kind", "text", "params"} <= set(item)
        assert "answer" not in json.dumps(item)
    q = next(i for i in data["questions"] if i["id"] == "grad_w1")
    assert set(q["params"]) == {"w0", "w1", "x1", "w2", "x2", "y"}  # every input of the graph
    assert "소수 둘째 자리까지 반올림하여 답하세요" in q["text"]
    assert "{" not in q["text"]
    assert "two decimals" in variant_of("quiz03", "s1").to_json("en")["questions"][1]["text"]


# --------------------------------------------------------------------------- answer keys


def test_every_answer_key_equals_the_engine():
    checked = 0
    for quiz_id in COURSE:
        for student in ("a", "b", "c", "d", "e", "2026001", "2026002", "2026003"):
            for qv in variant_of(quiz_id, student).questions:
                p = qv.prepared
                if qv.question.kind != "numeric" or p.graph is None:
                    continue
                graph_name = qv.question.graph
                graph = find_exercise(graph_name).built if isinstance(graph_name, str) else p.graph
                point = {k: qv.params[k] for k in graph.inputs}
                tr = trace(graph, point)
                fn, _, node = qv.question.answer.partition("(")
                node = node.rstrip(")")
                if qv.question.answer.startswith("grad("):
                    expected = tr.grads[node]
                elif qv.question.answer.startswith("value("):
                    expected = tr.values[node]
                elif qv.question.answer.startswith("local("):
                    expected = tr.locals[node][0]
                else:  # w - lr * grad(w)
                    w = qv.question.answer.split()[0]
                    expected = qv.params[w] - qv.params["lr"] * tr.grads[w]
                assert qv.exact == pytest.approx(expected, rel=1e-12, abs=1e-12), (quiz_id, qv.question.id)
                checked += 1
    assert checked >= 100


def test_lecture_numbers(write_quiz):
    quiz = quizzes.load_quiz(write_quiz(LECTURE_QUIZ.replace("id: lecture", "id: quizx")))
    v = quizzes.draw(quiz, "anyone")
    dz, dx2, step = (question(v, q) for q in ("dz", "dx2", "step"))
    assert dz.exact == pytest.approx(-0.268941, abs=1e-6)
    assert dz.chain == -0.27  # (1 − 0.73)·0.73·(−1.37) = −0.270027, written −0.27
    assert dx2.exact == pytest.approx(0.806824, abs=1e-6) and dx2.chain == pytest.approx(0.81)
    assert step.exact == pytest.approx(1.973106, abs=1e-6)


def test_lecture_trace_rounds_what_is_written_on_the_graph():
    graph = find_exercise("exercise03").built
    exact = trace(graph, LECTURE)
    by_hand = lecture_trace(graph, LECTURE, 2, exact)
    assert by_hand.values["yhat"] == 0.73 and by_hand.values["d"] == 1.37
    assert by_hand.grads["yhat"] == -1.37 and by_hand.grads["z"] == -0.27


# --------------------------------------------------------------------------- numeric answers


def grade(quiz, answers, student="s1", lang="en"):
    return quizzes.grade_quiz_answers(quiz, {"student": student, "answers": answers}, student, lang=lang)


@pytest.mark.parametrize(
    ("given", "ok"),
    [
        (-0.27, True),
        (-0.269, True),
        (-0.268941, True),
        ("-0.27", True),
        ("−0.27", True),
        (-0.2700, True),
        (-0.26, False),
        (-0.28, False),
        (0.27, False),
        (-0.73, False),
    ],
)
def test_numeric_rounding_like_the_lecture(write_quiz, given, ok):
    quiz = quizzes.load_quiz(write_quiz(LECTURE_QUIZ.replace("id: lecture", "id: quizx")))
    found = question(grade(quiz, {"dz": given}), "dz")
    assert found.passed is ok, found


def test_hand_chain_accepted_beyond_the_exact_window(write_quiz):
    quiz = quizzes.load_quiz(write_quiz(LECTURE_QUIZ.replace("id: lecture", "id: quizx")))
    # 0.8149 is 0.008 from the exact 0.806824 (more than half a unit) but within half a unit of the hand 0.81
    found = question(grade(quiz, {"dx2": 0.8149}), "dx2")
    assert found.passed and found.why.code == "correct_chain"
    assert "0.81" in found.message


def test_a_flipped_sign_is_named(write_quiz):
    quiz = quizzes.load_quiz(write_quiz(LECTURE_QUIZ.replace("id: lecture", "id: quizx")))
    found = question(grade(quiz, {"dz": 0.27}, lang="ko"), "dz")
    assert found.why.code == "wrong_sign" and "부호가 반대입니다" in found.message


def test_text_where_a_number_is_due(write_quiz):
    quiz = quizzes.load_quiz(write_quiz(LECTURE_QUIZ.replace("id: lecture", "id: quizx")))
    for given in ("abc", "0.27x", True, [1, 2], {"a": 1}, "nan", "inf", "1e400"):
        found = question(grade(quiz, {"dz": given}), "dz")
        assert found.status == "invalid" and found.score == 0
    found = question(grade(quiz, {"dz": "minus 0.27"}, lang="ko"), "dz")
    assert found.message == "숫자를 써야 하는데 'minus 0.27'을(를) 받았습니다."


def test_missing_and_unknown_questions(write_quiz):
    quiz = quizzes.load_quiz(write_quiz(LECTURE_QUIZ.replace("id: lecture", "id: quizx")))
    result = grade(quiz, {"dz": -0.27, "q9": 1, "dX2": 0.81})
    assert result.status == "graded" and result.score == 1.0 and result.max_score == 3.0
    missing = question(result, "dx2")
    assert missing.status == "missing" and missing.message == "No answer."
    data = result.to_json()
    assert [w["why"]["params"]["qid"] for w in data["warnings"]] == ["q9", "dX2"]
    assert "q9" in data["warnings"][0]["message"] and "dz, dx2, step" in data["warnings"][0]["message"]


# --------------------------------------------------------------------------- expressions and choices


def test_expression_answers():
    v = variant_of("quiz02", "s1")
    found = question(grade(course_quiz("quiz02"), {"reciprocal_local": "-x^-2"}), "reciprocal_local")
    assert found.passed and found.latex == r"- \frac{1}{x^{2}}" and found.understood == "-x^(-2)"
    wrong = question(grade(course_quiz("quiz02"), {"reciprocal_local": "1/x^2"}, lang="ko"), "reciprocal_local")
    assert not wrong.passed and wrong.status == "wrong" and "이해한 식 1/x^2" in wrong.message
    power = question(v, "power_local")
    c = int(power.params["c"])
    given = f"{c}x^({c - 1})"
    assert question(grade(course_quiz("quiz02"), {"power_local": given}), "power_local").passed
    assert not question(grade(course_quiz("quiz02"), {"power_local": "c*x^(c-1)"}), "power_local").passed


def test_choice_answers_follow_the_shown_order():
    quiz = course_quiz("quiz03")
    orders = {question(quizzes.draw(quiz, f"s{i}"), "fanout_rule").order for i in range(12)}
    assert len(orders) > 1  # shuffled per student
    for student in ("s1", "s2", "s3"):
        right = question(quizzes.draw(quiz, student), "fanout_rule").correct[0]
        assert question(grade(quiz, {"fanout_rule": right}, student), "fanout_rule").passed
        assert question(grade(quiz, {"fanout_rule": str(right)}, student), "fanout_rule").passed
        assert not question(grade(quiz, {"fanout_rule": (right + 1) % 4}, student), "fanout_rule").passed


def test_multiple_choice():
    quiz = course_quiz("quiz02")
    assert question(grade(quiz, {"output_only": [0, 1, 2]}), "output_only").passed
    assert question(grade(quiz, {"output_only": "2, 1, 0"}), "output_only").passed
    assert not question(grade(quiz, {"output_only": [0, 1]}), "output_only").passed
    bad = question(grade(quiz, {"output_only": [0, 9]}), "output_only")
    assert bad.status == "invalid" and "0 to 4" in bad.message


def test_single_choice_refuses_several():
    found = question(grade(course_quiz("quiz01"), {"count_mul": [1, 2]}), "count_mul")
    assert found.why.code == "choose_one" and not found.passed


# --------------------------------------------------------------------------- files and results


def test_answers_file_of_another_student(tmp_path):
    path = tmp_path / "quiz03.yaml"
    path.write_text("student: s2\nanswers: {grad_w1: 0.5}\n", encoding="utf-8")
    result = quizzes.grade_quiz_answers(course_quiz("quiz03"), path, "s1", lang="en")
    assert result.status == "error" and result.score == 0 and result.error.kind == "bad_file"
    assert result.error.why.code == "wrong_student"
    assert "for student s2, not s1" in result.error.message
    assert not result.full_marks


def test_answers_file_student_is_the_default(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("student: 2026001\nanswers: {}\n", encoding="utf-8")  # YAML reads an int
    result = quizzes.grade_quiz_answers(course_quiz("quiz01"), path)
    assert result.student == "2026001" and result.status == "graded" and result.score == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("student: s1\nanswers: [1, 2]\n", "no_answers"),
        ("- 1\n- 2\n", "no_answers"),
        ("student: s1\nanswers: {q1: 1\n", "bad_file"),
        ("student: s1\nanswers: {a: 1, a: 2}\n", "bad_file"),
        ("quiz: quiz02\nstudent: s1\nanswers: {}\n", "wrong_quiz"),
    ],
)
def test_broken_answers_files_are_graded_as_errors(tmp_path, content, code):
    path = tmp_path / "a.yaml"
    path.write_text(content, encoding="utf-8")
    result = quizzes.grade_quiz_answers(course_quiz("quiz01"), path, "s1", lang="ko")
    assert result.status == "error" and result.error.why.code == code and result.score == 0
    assert result.error.message


def test_binary_answers_file(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    result = quizzes.grade_quiz_answers(course_quiz("quiz01"), path, "s1")
    assert result.status == "error" and "UTF-8" in result.error.message


def test_result_json_round_trip_and_languages():
    v = variant_of("quiz03", "s1")
    answers = {"grad_w1": round(question(v, "grad_w1").exact, 2), "fanout_square": "x", "add_splits": 3}
    result = grade(course_quiz("quiz03"), answers, lang="ko")
    data = result.to_json()
    assert data["schema"] == "grade.result/1" and data["exercise"] == "quiz03" and data["kind"] == "quiz"
    assert "questions" in data and "tasks" not in data
    for q in data["questions"]:
        assert {"id", "score", "max_score", "passed", "message"} <= set(q)
    again = from_json(json.loads(json.dumps(data)))
    assert again.to_json() == data
    english = localize(again, "en")
    assert question(english, "grad_w1").message == "Correct."
    assert question(english, "fanout_square").message.startswith("a number is due here")
    assert question(result, "fanout_square").message.startswith("숫자를 써야")


def test_full_marks_with_the_engine_answers():
    for quiz_id in COURSE:
        v = variant_of(quiz_id, "s7")
        answers = {}
        for qv in v.questions:
            q = qv.question
            if q.kind == "numeric":
                answers[q.id] = round(qv.exact, q.rounding)
            elif q.kind == "expression":
                answers[q.id] = q.answer.replace("c", str(int(qv.params["c"]))) if qv.params else q.answer
            else:
                answers[q.id] = list(qv.correct) if q.multiple else qv.correct[0]
        result = grade(course_quiz(quiz_id), answers, "s7")
        assert result.full_marks, [(q.id, q.message) for q in result.questions if not q.passed]
