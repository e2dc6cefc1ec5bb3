"""Grading one answer per question, and the quiz result (SPEC.md: ``grade submit --json`` with
``questions`` in place of ``tasks``).

A student's mistake is a value here, never an exception: a missing answer, text where a number
is due, an expression we cannot read, an index that is no choice — each is a question result with
score 0 and a message in Korean or English. Messages are kept as ``Why`` (a code and parameters)
so that a stored result can be worded again in the other language.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from grader.grading.verdict import SCHEMA, Failure, Why
from grader.quiz.expressions import MESSAGES as EXPRESSION_MESSAGES
from grader.quiz.expressions import ExpressionError, Grammar, number_text, parse, to_text
from grader.quiz.variant import QuestionVariant, rounding_words

MAX_ANSWER_CHARS = 300

T = {
    "correct": ("정답입니다.", "Correct."),
    "correct_chain": (
        "정답입니다 (강의처럼 중간값을 반올림해 계산한 값과 일치합니다. 정확한 값: {expected}).",
        "Correct (it matches the hand computation with rounded intermediate values, as in the "
        "lecture; the exact value is {expected}).",
    ),
    "wrong_number": (
        "틀렸습니다: 제출 {got}, 정답 {expected} ({rounding_ko}).",
        "Wrong: you gave {got}; the answer is {expected} ({rounding_en}).",
    ),
    "wrong_sign": (
        "틀렸습니다: 부호가 반대입니다 (제출 {got}, 정답 {expected}). 마이너스 부호를 확인하세요.",
        "Wrong: the sign is flipped (you gave {got}; the answer is {expected}). Check the minus signs.",
    ),
    "not_a_number": (
        "숫자를 써야 하는데 '{text}'을(를) 받았습니다.",
        "a number is due here, but the answer is '{text}'.",
    ),
    "missing": ("답이 없습니다.", "No answer."),
    "bad_expression": ("식을 읽을 수 없습니다: {detail}", "could not read the expression: {detail}"),
    "not_an_expression": ("식을 문자열로 써야 합니다 (받은 값: {text}).", "write the expression as text (got {text})."),
    "correct_expression": ("정답입니다. 이해한 식: {understood}", "Correct. We read your answer as {understood}."),
    "wrong_expression": (
        "틀렸습니다. 이해한 식 {understood}은(는) {at}에서 {got}이지만 정답은 {expected}입니다. 정답: {key}",
        "Wrong: we read your answer as {understood}, which is {got} at {at} where the answer is "
        "{expected}. The answer: {key}",
    ),
    "undecided": (
        "정답과 같은 식인지 확인하지 못했습니다 (이해한 식: {understood}). 더 간단한 꼴로 써 보세요. 정답: {key}",
        "could not confirm that your answer equals the key (we read it as {understood}); try a "
        "simpler form. The answer: {key}",
    ),
    "wrong_choice": (
        "틀렸습니다: {got}을(를) 골랐고 정답은 {expected}입니다.",
        "Wrong: you chose {got}; the answer is {expected}.",
    ),
    "choose_one": ("하나만 고르세요 (제출: {got}).", "Choose one (you gave {got})."),
    "not_a_choice": (
        "'{text}'은(는) 선택지 번호가 아닙니다 (0부터 {last}까지).",
        "'{text}' is not a choice number (0 to {last}).",
    ),
    # whole-file failures and warnings
    "wrong_student": (
        "이 답안 파일은 학생 {theirs}의 것입니다. 다른 학생의 변형에 대한 답이므로 {student}의 답으로 "
        "채점하지 않습니다.",
        "this answers file is for student {theirs}, not {student}: it answers another student's "
        "variant, so it is not graded as {student}'s.",
    ),
    "wrong_quiz": (
        "이 답안 파일은 퀴즈 {theirs}의 답안입니다 ({quiz}가 아닙니다).",
        "this answers file is for quiz {theirs}, not {quiz}.",
    ),
    "bad_file": ("답안 파일을 읽을 수 없습니다: {detail}", "the answers file cannot be read: {detail}"),
    "no_answers": (
        "답안 파일에는 'answers:' 아래에 문항별 답이 있어야 합니다 (예: answers: {{q1: -0.27}}).",
        "the answers file needs an 'answers:' mapping of question ids to answers (e.g. answers: {{q1: -0.27}}).",
    ),
    # keys withheld while a later attempt can still count (``hide_keys``)
    "wrong_number_hidden": ("틀렸습니다: 제출 {got}.", "Wrong: you gave {got}."),
    "correct_chain_hidden": (
        "정답입니다 (강의처럼 중간값을 반올림해 계산한 값과 일치합니다).",
        "Correct (it matches the hand computation with rounded intermediate values, as in the lecture).",
    ),
    "wrong_expression_hidden": (
        "틀렸습니다. 이해한 식 {understood}은(는) {at}에서 {got}이며, 정답은 그 점에서 다른 값입니다.",
        "Wrong: we read your answer as {understood}, which is {got} at {at}; the answer differs there.",
    ),
    "undecided_hidden": (
        "정답과 같은 식인지 확인하지 못했습니다 (이해한 식: {understood}). 더 간단한 꼴로 써 보세요.",
        "could not confirm that your answer equals the key (we read it as {understood}); try a simpler form.",
    ),
    "wrong_choice_hidden": ("틀렸습니다: {got}을(를) 골랐습니다.", "Wrong: you chose {got}."),
    "keys_hidden": (
        "정답과 해설은 {when} 이후, 더 이상 점수에 반영될 수 있는 제출이 없을 때 공개됩니다.",
        "The answers and explanations are shown after {when}, once no later attempt can count.",
    ),
    "keys_hidden_open": (
        "정답과 해설은 더 이상 점수에 반영될 수 있는 제출이 없을 때 공개됩니다 "
        "(이 퀴즈는 마감이 없거나, 늦은 제출도 점수에 반영됩니다).",
        "The answers and explanations are shown once no later attempt can count (this quiz has no deadline, "
        "or late attempts still earn marks).",
    ),
    "unknown_question": (
        "'{qid}'은(는) 이 퀴즈의 문항이 아니므로 채점하지 않았습니다 (문항: {known}).",
        "'{qid}' is not a question of this quiz and was not graded (questions: {known}).",
    ),
}


def render(why: Why | None, lang: str) -> str:
    if why is None:
        return ""
    params = dict(why.params)
    if why.code == "bad_expression":
        ko, en = EXPRESSION_MESSAGES.get(params.get("error", ""), ("{detail}", "{detail}"))
        try:
            params["detail"] = (ko if lang == "ko" else en).format(**params.get("error_params", {}))
        except (KeyError, IndexError):
            params["detail"] = params.get("error", "")
    if "decimals" in params:
        params["rounding_ko"] = rounding_words(params["decimals"], "ko").removesuffix("하여").strip() + "한 값"
        params["rounding_en"] = "rounded " + rounding_words(params["decimals"], "en")
    template = T.get(why.code, (why.code, why.code))[0 if lang == "ko" else 1]
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


@dataclass(frozen=True)
class QuestionResult:
    id: str
    kind: str
    score: float
    max_score: float
    passed: bool
    message: str
    status: str  # correct | wrong | missing | invalid
    why: Why
    got: Any = None
    expected: Any = None
    understood: str | None = None  # expression: what we read, in plain text
    latex: str | None = None  # expression: the same in LaTeX (sympy)
    explanation: dict[str, str] | None = None  # {"ko": ..., "en": ...}, shown with the result


@dataclass(frozen=True)
class QuizResult:
    quiz: str
    student: str | None
    status: str  # graded | error
    score: float
    max_score: float
    error: Failure | None = None
    questions: tuple[QuestionResult, ...] = ()
    lang: str = "en"
    practice: bool = False
    warnings: tuple[Why, ...] = ()
    keys_shown: bool = True  # False: the answers and explanations are withheld (``hide_keys``)

    @property
    def exercise(self) -> str:  # the item id, as in a Verdict
        return self.quiz

    @property
    def full_marks(self) -> bool:
        return self.status == "graded" and self.score >= self.max_score - 1e-9

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["warnings"] = [{"why": asdict(w), "message": render(w, self.lang)} for w in self.warnings]
        return {"schema": SCHEMA, "exercise": self.quiz, "kind": "quiz", **data}


def localize(result: QuizResult, lang: str) -> QuizResult:
    """The result with every message written in ``lang``."""
    questions = tuple(replace(q, message=render(q.why, lang)) for q in result.questions)
    error = replace(result.error, message=render(result.error.why, lang)) if result.error else None
    return replace(result, lang=lang, questions=questions, error=error)


def from_json(data: dict[str, Any]) -> QuizResult:
    """The inverse of ``QuizResult.to_json`` (for the gradebook and the site)."""

    def why(d):
        return Why(d["code"], dict(d.get("params") or {}))

    error = data.get("error")
    failure = Failure(error["kind"], why(error["why"]), error.get("message", ""), error.get("line")) if error else None
    questions = tuple(QuestionResult(**{**q, "why": why(q["why"])}) for q in data.get("questions", []))
    return QuizResult(
        data["quiz"],
        data.get("student"),
        data["status"],
        data["score"],
        data["max_score"],
        failure,
        questions,
        data.get("lang", "en"),
        data.get("practice", False),
        tuple(why(w["why"]) for w in data.get("warnings", [])),
        data.get("keys_shown", True),
    )


HIDDEN = {  # a message that names the key → the same message without it
    "correct_chain": "correct_chain_hidden",
    "wrong_number": "wrong_number_hidden",
    "wrong_sign": "wrong_number_hidden",
    "wrong_expression": "wrong_expression_hidden",
    "undecided": "undecided_hidden",
    "wrong_choice": "wrong_choice_hidden",
}
KEY_PARAMS = ("expected", "key")


def hide_keys(result: QuizResult, release: str | None = None) -> QuizResult:
    """The result without the answers: no expected value, no key in any message or its parameters,
    no explanation (it often states the answer), and a note saying when they will be shown.

    The rule (docs/quiz.md, "When the answers are shown"): a marked quiz's answers are shown only once
    no later attempt can count; ``release`` is that moment, as text, when the course has one."""
    if not result.keys_shown:
        return result
    questions = []
    for q in result.questions:
        why = q.why
        code = HIDDEN.get(why.code, why.code)
        params = {k: v for k, v in why.params.items() if k not in KEY_PARAMS}
        questions.append(replace(q, why=Why(code, params), expected=None, explanation=None))
    note = Why("keys_hidden", {"when": release}) if release else Why("keys_hidden_open")
    hidden = replace(result, questions=tuple(questions), keys_shown=False, warnings=(*result.warnings, note))
    return localize(hidden, result.lang)


# --------------------------------------------------------------------------- one answer


def result(qv: QuestionVariant, status: str, why: Why, **kw) -> QuestionResult:
    q = qv.question
    score = q.score if status == "correct" else 0.0
    explanation = {"ko": q.explanation.ko, "en": q.explanation.en} if q.explanation else None
    return QuestionResult(
        q.id, q.kind, score, q.score, status == "correct", "", status, why, explanation=explanation, **kw
    )


def grade_answer(qv: QuestionVariant, raw: Any, worker=None) -> QuestionResult:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return result(qv, "missing", Why("missing"), expected=_expected(qv))
    kind = qv.question.kind
    if kind == "numeric":
        return grade_numeric(qv, raw)
    if kind == "expression":
        return grade_expression(qv, raw, worker)
    return grade_choice(qv, raw)


def _expected(qv: QuestionVariant):
    if qv.question.kind == "numeric":
        return round(qv.exact, qv.question.rounding)  # type: ignore[arg-type]
    if qv.question.kind == "expression":
        return to_text(qv.key)  # type: ignore[arg-type]
    return list(qv.correct)


def as_number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str) and len(raw) <= 40:
        text = raw.strip().replace("−", "-").replace("–", "-").replace(" ", "")
        if not text or any(c not in "0123456789.-+eE" for c in text):
            return None
        try:
            value = float(text)
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _shown(raw: Any) -> str:
    text = raw if isinstance(raw, str) else repr(raw)
    return text if len(text) <= 40 else text[:40] + "…"


def grade_numeric(qv: QuestionVariant, raw: Any) -> QuestionResult:
    q, exact = qv.question, float(qv.exact)  # type: ignore[arg-type]
    value = as_number(raw)
    expected = round(exact, q.rounding)
    if value is None:
        return result(qv, "invalid", Why("not_a_number", {"text": _shown(raw)}), got=_shown(raw), expected=expected)
    half = 0.5 * 10.0**-q.rounding
    slack = 1e-9 * max(1.0, abs(exact))
    params = {"got": number_text(value), "expected": number_text(expected), "decimals": q.rounding}
    if qv.accepts(value):
        exactly = replace(qv, chain=None).accepts(value)
        why = Why("correct") if exactly else Why("correct_chain", params)
        return result(qv, "correct", why, got=value, expected=expected)
    if abs(exact) > half and abs(value + exact) <= half + slack:
        return result(qv, "wrong", Why("wrong_sign", params), got=value, expected=expected)
    return result(qv, "wrong", Why("wrong_number", params), got=value, expected=expected)


def grade_expression(qv: QuestionVariant, raw: Any, worker=None) -> QuestionResult:
    from grader.quiz.symbolic import judge

    q = qv.question
    key_text = to_text(qv.key)  # type: ignore[arg-type]
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return result(
            qv, "invalid", Why("not_an_expression", {"text": _shown(raw)}), got=_shown(raw), expected=key_text
        )
    text = raw if isinstance(raw, str) else number_text(float(raw))
    try:
        tree = parse(text, Grammar(tuple(q.variables)))
    except ExpressionError as exc:
        why = Why("bad_expression", {"error": exc.code, "error_params": dict(exc.params)})
        return result(qv, "invalid", why, got=text[:MAX_ANSWER_CHARS], expected=key_text)
    found = judge(qv.key, tree, list(q.variables), worker=worker, domains=q.domains())  # type: ignore[arg-type]
    understood = to_text(tree)
    params = {"understood": understood, "key": key_text}
    extra = {"got": text, "expected": key_text, "understood": understood, "latex": found.latex}
    if found.equivalent:
        return result(qv, "correct", Why("correct_expression", params), **extra)
    if found.counterexample:
        c = found.counterexample
        at = ", ".join(f"{k} = {v:g}" for k, v in c["at"].items())
        params |= {"at": at, "got": f"{c['got']:.6g}", "expected": f"{c['expected']:.6g}"}
        return result(qv, "wrong", Why("wrong_expression", params), **extra)
    return result(qv, "wrong", Why("undecided", params), **extra)


def as_choices(raw: Any) -> list[int] | None:
    items = raw if isinstance(raw, list) else [raw]
    if isinstance(raw, str):
        items = [p for p in raw.replace(",", " ").split()]
    picks = []
    for item in items:
        if isinstance(item, bool):
            return None
        if isinstance(item, str) and item.strip().isdigit():
            item = int(item.strip())
        if not isinstance(item, int):
            return None
        picks.append(item)
    return picks or None


def grade_choice(qv: QuestionVariant, raw: Any) -> QuestionResult:
    q = qv.question
    picks = as_choices(raw)
    expected = list(qv.correct)
    last = len(q.choices) - 1
    if picks is None or any(not 0 <= p <= last for p in picks):
        return result(
            qv, "invalid", Why("not_a_choice", {"text": _shown(raw), "last": last}), got=_shown(raw), expected=expected
        )
    chosen = sorted(set(picks))
    shown = {"got": ", ".join(map(str, chosen)), "expected": ", ".join(map(str, expected))}
    if not q.multiple and len(chosen) > 1:
        return result(qv, "wrong", Why("choose_one", shown), got=chosen, expected=expected)
    if chosen == expected:
        return result(qv, "correct", Why("correct"), got=chosen, expected=expected)
    return result(qv, "wrong", Why("wrong_choice", shown), got=chosen, expected=expected)
