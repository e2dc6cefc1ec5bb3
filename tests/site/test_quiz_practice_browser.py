"""A quiz's practice page in real headless Chromium: a practice variant drawn and graded in the page's
Web Worker by the grader's own quiz code (Pyodide), with the verdicts ``grade quiz --json`` gives.

Right, sign-flipped, off-by-a-lot, unreadable, missing and wrong-choice answers are typed and clicked
into the page; the result must equal, question by question, what ``grade quiz QUIZ --student S
--answers FILE --json`` prints (run without a course secret, so it draws the same practice variant).
Screenshots land in test-artifacts/site/ (quiz-practice-*.png).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .test_browser import ARTIFACTS
from .test_practice_browser import PHONE, ROOT, chromium, practising, served  # noqa: F401 - fixtures

QUIZZES = sorted(p.stem for p in (ROOT / "exercises").glob("quiz*.yaml"))


class QuizPage:
    """A quiz's practice page with every console error and every request outside the site recorded."""

    def __init__(self, browser, base: str, quiz: str, **context):
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []

        def route(r):
            if r.request.url.startswith(base):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(f"{base}quizzes/{quiz}.html")
        self.page.wait_for_load_state("load")

    def start(self) -> str:
        self.page.locator(".practice-open").click()
        # Pyodide starts once per page: allow for a busy machine
        self.page.locator(".quiz-questions li").first.wait_for(timeout=120_000)
        return self.page.evaluate("gradeQuiz.student()")

    def close(self):
        self.context.close()


def _variant(quiz_id: str, student: str):
    """The practice variant as the grader draws it (to know what a right or wrong answer is)."""
    from grader.quiz.quizzes import PRACTICE_SECRET, draw, find_quiz

    return draw(find_quiz(quiz_id, ROOT / "exercises"), student, secret=PRACTICE_SECRET)


def _answers(variant) -> dict:
    """Per numeric or choice question, in turn: right, sign flipped, far off, unreadable, missing."""
    out = {}
    numeric = choice = 0
    for qv in variant.questions:
        q = qv.question
        if q.kind == "numeric":
            key = round(qv.exact, q.rounding)
            turn = numeric % 5
            numeric += 1
            if turn == 0:
                out[q.id] = f"{key:.{q.rounding}f}"
            elif turn == 1:
                out[q.id] = f"{-key if abs(key) > 10**-q.rounding else 7.5:.{q.rounding}f}"
            elif turn == 2:
                out[q.id] = f"{key + 3.0:.{q.rounding}f}"
            elif turn == 3:
                out[q.id] = "abc"
        elif q.kind == "choice":
            right = list(qv.correct)
            wrong = [i for i in range(len(q.choices)) if i not in right][:1]
            picks = right if choice % 2 == 0 else wrong
            choice += 1
            out[q.id] = picks if q.multiple else picks[0]
    return out


def _fill(page, answers: dict) -> None:
    """Type and click the answers into the page, as a student would."""
    for qid, value in answers.items():
        item = page.locator(f"#quiz-q-{qid}")
        if isinstance(value, str):
            item.locator("input[type=text]").fill(value)
        else:
            for pick in value if isinstance(value, list) else [value]:
                item.locator(f"input[value='{pick}']").check()


def _grade_quiz(tmp_path: Path, quiz: str, student: str, answers: dict) -> dict:
    path = tmp_path / f"{quiz}-{student}.yaml"
    path.write_text(yaml.safe_dump({"student": student, "quiz": quiz, "answers": answers}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "GRADE_SECRET"}  # practice variants
    run = subprocess.run(
        [sys.executable, "-m", "grader.cli", "quiz", quiz, "--student", student, "--answers", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "GRADE_EXERCISES": str(ROOT / "exercises")},
        timeout=120,
    )
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


def _shown(page) -> dict[str, str]:
    """Each question's verdict status as the page shows it."""
    return page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.quiz-questions li')]"
        ".filter(li => !li.querySelector('.quiz-verdict').hidden)"
        ".map(li => [li.dataset.question, li.querySelector('.quiz-verdict').dataset.status]))"
    )


@pytest.mark.parametrize("quiz", QUIZZES)
def test_each_quiz_page_gives_the_verdicts_of_grade_quiz(chromium, served, quiz, tmp_path):  # noqa: F811
    visit = QuizPage(chromium, served, quiz)
    page = visit.page
    try:
        student = visit.start()
        assert student == "practice-1"
        variant = _variant(quiz, student)
        shown = page.evaluate("gradeQuiz.draw(gradeQuiz.student())")["en"]
        expected = variant.to_json("en") | {"practice": True}
        for a, b in zip(shown["questions"], expected["questions"], strict=True):
            assert a == b, [(k, a.get(k), b.get(k)) for k in a if a.get(k) != b.get(k)]
        assert shown == expected  # the numbers and choices of the CLI's variant
        answers = _answers(variant)
        _fill(page, answers)
        page.locator(".practice-check").click()
        page.locator(".quiz-total .i18n[lang=en]").wait_for()
        got = page.evaluate("(a) => gradeQuiz.check(a, 'en')", answers)
        cli = _grade_quiz(tmp_path, quiz, student, answers)
        assert got == cli  # the whole JSON: ids, scores, statuses, messages, keys
        statuses = {q["id"]: q["status"] for q in cli["questions"]}
        assert {"correct", "wrong"} <= set(statuses.values())
        kinds = {qv.question.id: qv.question.kind for qv in variant.questions}
        assert _shown(page) == {qid: s for qid, s in statuses.items() if kinds[qid] != "expression"}
        assert visit.errors == [] and visit.outside == []
    finally:
        visit.close()


def test_a_student_answers_a_quiz_on_a_phone_in_korean_and_draws_another_variant(chromium, served):  # noqa: F811
    visit = QuizPage(chromium, served, "quiz01", **PHONE)
    page = visit.page
    try:
        page.locator("[data-set-lang=ko]").click()
        student = visit.start()
        variant = _variant("quiz01", student)
        numeric = [qv for qv in variant.questions if qv.question.kind == "numeric"]
        right, flipped = numeric[0], next(qv for qv in numeric[1:] if round(qv.exact, qv.question.rounding) != 0)
        first = page.locator(f"#quiz-q-{right.question.id} input")
        first.click()
        page.keyboard.type(f"{round(right.exact, right.question.rounding)}")
        page.locator(f"#quiz-q-{flipped.question.id} input").fill(f"{-round(flipped.exact, flipped.question.rounding)}")
        page.get_by_role("button", name="채점").click()
        page.locator(".quiz-total .i18n[lang=ko]").wait_for()
        ok = page.locator(f"#quiz-q-{right.question.id} .quiz-verdict")
        bad = page.locator(f"#quiz-q-{flipped.question.id} .quiz-verdict")
        assert ok.get_attribute("data-status") == "correct" and "정답" in ok.inner_text()
        assert bad.get_attribute("data-status") == "wrong" and "부호가 반대" in bad.inner_text()
        assert "점수" in page.locator(".quiz-total").inner_text()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "quiz-practice-phone-ko.png"), full_page=True)
        page.locator("[data-set-lang=en]").click()
        assert "sign is flipped" in bad.inner_text()
        page.get_by_role("button", name="New variant").click()
        page.wait_for_function("s => gradeQuiz.student() !== s", arg=student)
        other = page.evaluate("gradeQuiz.student()")
        assert other.startswith("practice-") and other != student
        assert page.locator(".quiz-verdict:not([hidden])").count() == 0  # a new variant starts unanswered
        texts = [qv.text("en") for qv in _variant("quiz01", other).questions]
        shown = page.locator(".quiz-questions > li").all_inner_texts()
        assert all(t in s for t, s in zip(texts, shown, strict=True))
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "quiz-practice-phone-en.png"), full_page=True)
        assert visit.errors == [] and visit.outside == []
    finally:
        visit.close()
