"""Quizzes in the terminal: a result as styled lines, and answering a variant interactively.

Nothing here imports rich: lines are ``(text, style)`` pairs, printed by the caller's console
(``cli`` passes a rich ``Console``; any object with ``print(text, style=..., markup=..., highlight=...)``
will do), and never read as markup, so a student's ``[x]`` is printed as typed.

Interactive answering shows one question at a time; an empty answer skips it, and the skipped
questions come back after the last one (or type ``submit``/``제출`` to grade what is answered).
A numeric answer must read as a number, an expression is parsed at once and shown back as we read
it, a choice must be a valid number: a typing slip is asked again, never graded. End of input
(Ctrl-D) grades what is answered; Ctrl-C stops without grading.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from grader.quiz.expressions import ExpressionError, Grammar, number_text, parse, to_text
from grader.quiz.result import QuizResult, as_choices, as_number, render
from grader.quiz.variant import QuestionVariant, Variant

L = {
    "score": ("점수", "score"),
    "practice": (
        "연습용 변형입니다: GRADE_SECRET이 설정되지 않아 공개된 연습용 비밀값으로 뽑았습니다. "
        "성적에는 쓰이지 않습니다.",
        "This is a practice variant: GRADE_SECRET is not set, so it was drawn with the public practice "
        "secret. It does not count for marks.",
    ),
    "intro": (
        "문항 {n}개. 답을 입력하고 Enter. 빈 줄이면 건너뛰고 마지막에 다시 돌아옵니다.",
        "{n} questions. Type an answer and press Enter; an empty line skips the question, and skipped "
        "questions come back at the end.",
    ),
    "values": ("주어진 값", "Values"),
    "numeric": ("숫자로 답하세요", "Answer with a number"),
    "expression": (
        "식으로 답하세요 (변수: {vars}; 예: -1/x^2, exp(-x), σ(x)(1-σ(x)))",
        "Answer with an expression (variables: {vars}; e.g. -1/x^2, exp(-x), σ(x)(1-σ(x)))",
    ),
    "choice": ("번호 하나를 고르세요", "Choose one number"),
    "choices": (
        "해당하는 번호를 모두 쉼표로 구분해 쓰세요 (예: 0, 2)",
        "Choose every number that applies, separated by commas (e.g. 0, 2)",
    ),
    "prompt": ("답", "answer"),
    "understood": ("이해한 식: {text}", "We read it as: {text}"),
    "not_number": (
        "숫자가 아닙니다: '{text}'. 다시 입력하세요 (건너뛰려면 빈 줄).",
        "'{text}' is not a number. Try again (an empty line skips).",
    ),
    "not_choice": (
        "선택지 번호(0–{last})가 아닙니다: '{text}'. 다시 입력하세요.",
        "'{text}' is not a choice number (0 to {last}). Try again.",
    ),
    "bad_expression": ("{message} 다시 입력하세요.", "{message} Try again."),
    "skipped": (
        "건너뛴 문항: {ids}. Enter를 누르면 다시 풀고, 'submit' 또는 '제출'을 입력하면 지금 채점합니다.",
        "Skipped: {ids}. Press Enter to go back to them, or type 'submit' to grade now.",
    ),
    "saved": (
        "답안을 {path}에 저장했습니다. 다시 채점: grade quiz {quiz} --student {student} --answers {path}",
        "Saved your answers to {path}. Grade them again: grade quiz {quiz} --student {student} --answers {path}",
    ),
    "explanation": ("해설", "Explanation"),
    "full": ("만점입니다.", "Full marks."),
    "expected": ("정답", "answer"),
}
SUBMIT = ("submit", "제출", ":submit")


Line = tuple[str, str]  # (text, rich style)


def say(console, text: str = "", style: str = "") -> None:
    console.print(text, style=style or None, markup=False, highlight=False)


def t(key: str, lang: str, **kw) -> str:
    return L[key][0 if lang == "ko" else 1].format(**kw)


# --------------------------------------------------------------------------- results


def report(result: QuizResult, title: str = "") -> list[Line]:
    """The result as lines: score, each question with its message, warnings, the practice note."""
    lang = result.lang
    head = result.quiz + (f" — {title}" if title else "") + (f" ({result.student})" if result.student else "")
    score = f"   {t('score', lang)} {result.score:g} / {result.max_score:g}"
    lines: list[Line] = [(head + score, "bold green" if result.full_marks else "bold red")]
    if result.error:
        lines.append((f"✗ {result.error.message}", "red"))
    for q in result.questions:
        mark, style = ("✓", "green") if q.passed else ("✗", "red")
        lines.append((f"{mark} {q.id} ({q.kind})  {q.score:g} / {q.max_score:g}  {q.message}", style))
        if q.latex:
            lines.append((f"    LaTeX: {q.latex}", "dim"))
        if q.explanation and not q.passed:
            lines.append((f"    {t('explanation', lang)}: {q.explanation.get(lang, '')}", "dim"))
    lines += [(f"! {render(why, lang)}", "yellow") for why in result.warnings]
    if result.practice:
        lines.append((t("practice", lang), "yellow"))
    if result.full_marks:
        lines.append((t("full", lang), "green"))
    return lines


# --------------------------------------------------------------------------- answering


Ask = Callable[[str], str]  # shows the prompt (the caller adds "> "), returns the line typed


def show_question(console, qv: QuestionVariant, number: int, total: int, lang: str) -> None:
    q = qv.question
    say(console)
    say(console, f"{number}/{total}  {q.id}  ({q.score:g})", "bold")
    say(console, qv.text(lang))
    if q.kind == "numeric" and qv.prepared.graph is not None:
        values = ", ".join(f"{k} = {number_text(v)}" for k, v in qv.params.items())
        say(console, f"{t('values', lang)}: {values}", "dim")
    if q.kind == "choice":
        for i, choice in enumerate(qv.choice_texts(lang)):
            say(console, f"  {i}) {choice}")
    hint = {
        "numeric": t("numeric", lang),
        "expression": t("expression", lang, vars=", ".join(q.variables)),
        "choice": t("choices" if q.multiple else "choice", lang),
    }[q.kind]
    say(console, hint, "dim")


def read_answer(console, qv: QuestionVariant, ask: Ask, lang: str):
    """The answer typed for one question, checked for form; None when skipped."""
    q = qv.question
    while True:
        text = ask(f"{t('prompt', lang)} {q.id}").strip()
        if not text:
            return None
        if q.kind == "numeric":
            value = as_number(text)
            if value is not None:
                return value
            say(console, t("not_number", lang, text=text), "yellow")
        elif q.kind == "expression":
            try:
                tree = parse(text, Grammar(tuple(q.variables)))
            except ExpressionError as exc:
                say(console, t("bad_expression", lang, message=exc.message(lang)), "yellow")
                continue
            say(console, t("understood", lang, text=to_text(tree)), "cyan")
            return text
        else:
            picks = as_choices(text)
            last = len(q.choices) - 1
            if picks is not None and all(0 <= p <= last for p in picks):
                return picks if q.multiple else (picks[0] if len(picks) == 1 else picks)
            say(console, t("not_choice", lang, text=text, last=last), "yellow")


def answer_interactively(variant: Variant, lang: str, console, ask: Ask) -> dict:
    """Ask every question, skipped ones again at the end; the answers given, by question id."""
    title = variant.quiz.title.get(lang)
    say(console, f"{variant.quiz.id} — {title}  ({variant.student})", "bold")
    if variant.practice:
        say(console, t("practice", lang), "yellow")
    say(console, t("intro", lang, n=len(variant.questions)), "dim")
    answers: dict = {}
    pending = list(variant.questions)
    total = len(variant.questions)
    position = {qv.question.id: i + 1 for i, qv in enumerate(variant.questions)}
    try:
        while pending:
            skipped = []
            for qv in pending:
                show_question(console, qv, position[qv.question.id], total, lang)
                given = read_answer(console, qv, ask, lang)
                if given is None:
                    skipped.append(qv)
                else:
                    answers[qv.question.id] = given
            if not skipped:
                break
            say(console)
            say(console, t("skipped", lang, ids=", ".join(qv.question.id for qv in skipped)), "yellow")
            if ask("").strip().lower() in SUBMIT:
                break
            pending = skipped
    except EOFError:
        say(console)
    return answers


def dump_answers(quiz_id: str, student: str, answers: dict) -> str:
    """An answers file (YAML; every value written in JSON form, which YAML reads back as is)."""
    lines = [
        f"quiz: {json.dumps(quiz_id, ensure_ascii=False)}",
        f"student: {json.dumps(student, ensure_ascii=False)}",
        "answers:",
    ]
    lines += [f"  {qid}: {json.dumps(value, ensure_ascii=False)}" for qid, value in answers.items()]
    return "\n".join(lines) + "\n" if answers else "\n".join(lines[:-1]) + "\nanswers: {}\n"


def save_path(quiz_id: str, wanted: Path | None) -> Path:
    """``wanted``, else ``./QUIZ.yaml`` unless that is some other file (a quiz), then ``./QUIZ.answers.yaml``."""
    if wanted is not None:
        return wanted
    default = Path(f"{quiz_id}.yaml")
    if default.exists():
        try:
            head = default.read_text(encoding="utf-8")[:4096]
        except (OSError, UnicodeDecodeError):
            head = ""
        if "answers:" not in head or "questions:" in head:
            return Path(f"{quiz_id}.answers.yaml")
    return default
