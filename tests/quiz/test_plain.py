"""The quiz in the practice site's plain form (``grader.quiz.plain``) draws and grades exactly as the
validated quiz does, and the modules that do it import neither pydantic, PyYAML nor sympy (Pyodide has none)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grader.quiz.plain import from_practice_form
from grader.quiz.quizzes import draw, find_quiz, grade_quiz_answers
from grader.site.practice import files

from .conftest import EXERCISES, ROOT

QUIZZES = sorted(p.stem for p in EXERCISES.glob("quiz*.yaml"))
STUDENTS = ["practice-1", "practice-2", "practice-424242", "s2026001"]


def _answers(variant, wrong: bool) -> dict:
    out = {}
    for qv in variant.questions:
        q = qv.question
        if q.kind == "numeric":
            key = round(qv.exact, q.rounding)
            out[q.id] = -key if wrong else key
        elif q.kind == "choice":
            picks = list(qv.correct)
            if wrong:
                picks = [i for i in range(len(q.choices)) if i not in picks][:1]
            out[q.id] = picks if q.multiple else picks[0]
        elif q.kind == "expression":
            out[q.id] = "x" if wrong else None  # graded by sympy: never in the browser, but the same code
    return {k: v for k, v in out.items() if v is not None}


@pytest.mark.parametrize("quiz_id", QUIZZES)
def test_the_written_plain_form_draws_and_grades_as_the_quiz(quiz_id):
    quiz = find_quiz(quiz_id)
    written = files({}, {quiz_id: quiz})[f"static/practice/quizzes/{quiz_id}.json"]
    plain = from_practice_form(json.loads(written))
    for student in STUDENTS:
        a, b = draw(quiz, student), draw(plain, student)
        for lang in ("ko", "en"):
            assert a.to_json(lang) == b.to_json(lang)
        for wrong in (False, True):
            answers = {"student": student, "answers": _answers(a, wrong)}
            expected = grade_quiz_answers(quiz, answers, lang="ko").to_json()
            assert grade_quiz_answers(plain, answers, lang="ko").to_json() == expected
            if wrong:
                assert expected["score"] == 0.0


def test_drawing_and_grading_a_plain_quiz_imports_no_pydantic_yaml_or_sympy(tmp_path):
    form = tmp_path / "quiz03.json"
    form.write_bytes(files({}, {"quiz03": find_quiz("quiz03")})["static/practice/quizzes/quiz03.json"])
    code = (
        "import sys, json\n"
        "for name in ('pydantic', 'pydantic_core', 'yaml', 'sympy'): sys.modules[name] = None\n"
        "from grader.site import browser\n"
        f"qid = browser.add_quiz(open({str(form)!r}, encoding='utf-8').read())\n"
        "variant = json.loads(browser.draw_quiz(qid, 'practice-1'))\n"
        "out = json.loads(browser.grade_quiz(qid, 'practice-1', '{}', 'ko'))\n"
        "print(out['result']['status'], len(variant['ko']['questions']))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == "graded"
