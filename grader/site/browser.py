"""What the practice panel's Web Worker runs in Pyodide: the grader's own modules, as they are.

``check`` grades a draft exactly as ``grade submit`` grades a file without a secret (public points
and the points drawn from the file's content), with the harness in this process
(``isolation.inprocess``): the worker is the student's own sandbox, and it holds nothing secret.
It returns the same JSON object that ``grade submit --json`` prints, the terminal report's text in
both languages, and the graph drawn as in a student's report, to light up the one on the page.
"""

from __future__ import annotations

import json

from grader.exercise.spec import Exercise
from grader.grading import api, explain
from grader.isolation import inprocess, sandbox
from grader.report import terminal
from grader.report.views import report_diagram

_exercises: dict[str, Exercise] = {}


def use_in_process_children(watch) -> None:
    """Once, when the worker starts: children run in this process, ``watch`` arms the page's timer."""
    sandbox.Session.child_factory = inprocess.InProcessChild
    inprocess.watch = watch


def add_exercise(plain_json: str) -> str:
    """Keep an exercise given as its validated form (``dataclasses.asdict``); returns its id."""
    ex = Exercise.from_plain(json.loads(plain_json))
    _exercises[ex.id] = ex
    return ex.id


def check(exercise: str, source: str, lang: str = "en", stops_json: str = "{}") -> str:
    """Grade ``source``; ``stops_json`` names the steps where an earlier worker was stopped."""
    ex = _exercises[exercise]
    inprocess.begin(json.loads(stops_json))
    verdict = api.submit_source(ex, source, f"{ex.id}.py", None, lang)
    texts = {}
    for other in ("ko", "en"):
        shown = verdict if other == lang else explain.localize(verdict, other)
        texts[other] = terminal.render(terminal.report(shown, ex.title.get(other)), False)
    drawn = report_diagram(ex, verdict, f"practice-{ex.id}")
    diagram = {"svg": drawn["svg"], "point": drawn["point"], "inputs": drawn["inputs"]} if drawn else None
    return json.dumps({"result": verdict.to_json(), "text": texts, "diagram": diagram}, ensure_ascii=False)


# --------------------------------------------------------------------------- quizzes

_quizzes: dict = {}


def add_quiz(form_json: str) -> str:
    """Keep a quiz given in the practice site's form (``grader.quiz.plain.practice_form``); returns its id."""
    from grader.quiz.plain import from_practice_form

    quiz = from_practice_form(json.loads(form_json))
    _quizzes[quiz.id] = quiz
    return quiz.id


def draw_quiz(quiz: str, student: str) -> str:
    """The practice variant of ``student`` (a seed the page picks) in both languages, as ``grade quiz``
    draws it without ``GRADE_SECRET``: ``{"ko": ..., "en": ...}``, each ``Variant.to_json``."""
    from grader.quiz.quizzes import draw

    variant = draw(_quizzes[quiz], student)
    return json.dumps({lang: variant.to_json(lang) for lang in ("ko", "en")}, ensure_ascii=False)


def grade_quiz(quiz: str, student: str, answers_json: str, lang: str = "en") -> str:
    """Grade answers exactly as ``grade quiz QUIZ --answers FILE --json`` grades a file with
    ``student:`` and ``answers:``; returns that JSON object and the messages in the other language."""
    from grader.quiz.quizzes import grade_quiz_answers
    from grader.quiz.result import localize

    answers = {"student": student, "quiz": quiz, "answers": json.loads(answers_json)}
    result = grade_quiz_answers(_quizzes[quiz], answers, lang=lang)
    other = "en" if lang == "ko" else "ko"
    messages = {
        other: [q.message for q in localize(result, other).questions],
        lang: [q.message for q in result.questions],
    }
    return json.dumps({"result": result.to_json(), "messages": messages}, ensure_ascii=False)
