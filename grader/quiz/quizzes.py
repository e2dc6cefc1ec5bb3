"""Quizzes (SPEC.md, "Quiz file" and ``grade quiz``): load and check a quiz, draw a student's
variant, grade an answers file. The public entry points:

``find_quiz(id_or_path, exercises_dir=None) -> Quiz``
``draw(quiz, student, secret=None) -> Variant``           (``Variant.to_json(lang)`` is the SPEC's variant)
``grade_quiz_answers(quiz, answers, student=None, secret=None, lang="en") -> QuizResult``
``audit_quiz(path) -> list[str]``                          (``grade check``: every problem, located)
``is_quiz_file(path) -> bool``                             (a YAML file with ``questions:``)
``course_secret() -> (secret, practice)``                  (``GRADE_SECRET``, else the practice secret)

Without ``GRADE_SECRET`` the variants are *practice* variants, drawn from a fixed, documented
secret: anyone can draw them, so they are for practising alone, never for marks.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.engine import GATES, DomainError
from grader.errors import ExerciseError, GraderError, UsageError
from grader.exercise.ids import student_id
from grader.grading.verdict import Failure
from grader.quiz.expressions import Undefined, evaluate, number_text
from grader.quiz.result import QuizResult, Why, grade_answer, localize, render
from grader.quiz.spec import Question, Quiz
from grader.quiz.symbolic import draw_in
from grader.quiz.variant import Prepared, Variant, draw_question, draw_variant, prepare, student_rng

__all__ = [
    "PRACTICE_SECRET",
    "Quiz",
    "QuizResult",
    "Variant",
    "audit_quiz",
    "course_secret",
    "draw",
    "find_quiz",
    "grade_quiz_answers",
    "is_quiz_file",
    "load_quiz",
    "render",
]

PRACTICE_SECRET = "backprop-practice"  # documented in docs/quiz.md: practice variants are not secret
MAX_ANSWERS_BYTES = 64 * 1024
AUDIT_STUDENTS = 24


def course_secret() -> tuple[str, bool]:
    """The course secret and whether it is the practice fallback."""
    secret = os.environ.get("GRADE_SECRET", "")
    return (secret, False) if secret else (PRACTICE_SECRET, True)


# --------------------------------------------------------------------------- loading


def _read(path: Path):
    from grader.exercise.loader import read_yaml, validate

    data, lines = read_yaml(path)
    if isinstance(data, dict) and "questions" not in data:
        raise ExerciseError(path, 1, "questions", "this is an exercise, not a quiz (a quiz has 'questions:')")
    return validate(Quiz, data, lines, path), lines


def check_quiz(quiz: Quiz, path: Path | None) -> tuple[list[Prepared], list[tuple[tuple, str]]]:
    problems: list[tuple[tuple, str]] = []
    if path is not None and quiz.id != path.stem:
        problems.append((("id",), f"'{quiz.id}' must equal the file's name '{path.stem}'"))
    if not quiz.id.isidentifier():
        problems.append((("id",), f"'{quiz.id}' is not an identifier (letters, digits, _)"))
    seen: dict[str, int] = {}
    for i, q in enumerate(quiz.questions):
        if q.id in seen:
            problems.append((("questions", i, "id"), f"'{q.id}' is already the id of question {seen[q.id]}"))
        seen.setdefault(q.id, i)
    prepared, found = prepare(quiz, path)
    return prepared, problems + found


def load_quiz(path: Path) -> Quiz:
    """A validated quiz; raises ``ExerciseError`` (file:line: key: message) on the first problem."""
    from grader.exercise.loader import dotted, line_of

    quiz, lines = _read(path)
    prepared, problems = check_quiz(quiz, path)
    for at, message in problems:
        raise ExerciseError(path, line_of(lines, at), dotted(at), message)
    quiz._lines = lines
    quiz.set_source(path, hashlib.sha256(path.read_bytes()).hexdigest())
    quiz._prepared = prepared
    return quiz


def prepared_of(quiz: Quiz) -> list[Prepared]:
    if quiz._prepared is None:
        from grader.exercise.loader import dotted

        prepared, problems = check_quiz(quiz, quiz.path)
        for at, message in problems:
            raise ExerciseError(quiz.path, None, dotted(at), message)
        quiz._prepared = prepared
    return quiz._prepared


def find_quiz(name_or_path: str | Path, exercises_dir: Path | None = None) -> Quiz:
    from grader.exercise.loader import resolve

    return load_quiz(resolve(str(name_or_path), exercises_dir))


def is_quiz_file(path: Path) -> bool:
    """Is this YAML file a quiz (a mapping with ``questions:``)? Unreadable files are not."""
    from grader.exercise.loader import read_yaml

    try:
        data, _ = read_yaml(path)
    except GraderError:
        return False
    return isinstance(data, dict) and "questions" in data


# --------------------------------------------------------------------------- variants and grading


def draw(quiz: Quiz, student: str, secret: str | None = None) -> Variant:
    """The student's variant (``secret=None``: the course secret, else the practice secret)."""
    practice = secret is None and course_secret()[1]
    try:
        who = student_id(student)
    except ValueError as exc:
        raise UsageError(f"--student: {exc}") from None
    return draw_variant(quiz, prepared_of(quiz), secret or course_secret()[0], who, practice)


def grade_quiz_answers(
    quiz: Quiz | str | Path,
    answers: Path | str | Mapping[str, Any],
    student: str | None = None,
    secret: str | None = None,
    lang: str = "en",
    worker=None,
    exercises_dir: Path | None = None,
) -> QuizResult:
    """Grade one answers file (or its parsed data) against the student's variant.

    ``student``: whose variant (default: the file's ``student:``); an answers file naming another
    student is graded as an error with score 0. ``secret=None`` uses ``course_secret()``. Never
    raises for a student's mistake; raises ``UsageError`` for an answers path that does not exist
    and ``ExerciseError`` for a broken quiz.
    """
    if not isinstance(quiz, Quiz):
        quiz = find_quiz(quiz, exercises_dir)
    practice = secret is None and course_secret()[1]
    secret = secret or course_secret()[0]
    data, failure = _answers_data(answers)
    theirs = data.get("student") if isinstance(data, dict) else None
    theirs = None if theirs is None or isinstance(theirs, (dict, list)) else str(theirs)
    try:  # one form of id everywhere (grader.exercise.ids): " s1" in a file is the folder s1
        student = None if student is None else student_id(student)
    except ValueError as exc:
        raise UsageError(f"--student: {exc}") from None
    try:
        theirs = None if theirs is None else student_id(theirs)
    except ValueError as exc:
        failure = failure or Why("bad_file", {"detail": f"student: {exc}"})
        theirs = None
    if student is None and theirs is None:
        raise UsageError("no student id: pass --student ID or write 'student: ID' in the answers file")
    who = student or theirs
    if failure is None and theirs is not None and student is not None and theirs != student:
        failure = Why("wrong_student", {"theirs": theirs, "student": student})
    if failure is None and data.get("quiz") not in (None, quiz.id):
        failure = Why("wrong_quiz", {"theirs": str(data.get("quiz"))[:60], "quiz": quiz.id})
    if failure is None and not isinstance(data.get("answers"), dict):
        failure = Why("no_answers")
    if failure is not None:
        error = Failure("bad_file", failure)
        return localize(QuizResult(quiz.id, who, "error", 0.0, quiz.max_score, error, practice=practice), lang)
    given = {str(k): v for k, v in data["answers"].items()}
    variant = draw_variant(quiz, prepared_of(quiz), secret, who, practice)  # type: ignore[arg-type]
    results = tuple(grade_answer(qv, given.get(qv.question.id), worker) for qv in variant.questions)
    known = [q.id for q in quiz.questions]
    warnings = tuple(Why("unknown_question", {"qid": k, "known": ", ".join(known)}) for k in given if k not in known)
    score = round(sum(r.score for r in results), 4)
    result = QuizResult(
        quiz.id, who, "graded", score, quiz.max_score, None, results, practice=practice, warnings=warnings
    )
    return localize(result, lang)


def _answers_data(answers: Path | str | Mapping[str, Any]) -> tuple[dict, Why | None]:
    from grader.exercise.loader import parse_yaml, read_bytes

    if isinstance(answers, Mapping):
        return dict(answers), None
    path = Path(answers)
    raw = read_bytes(path)
    if len(raw) > MAX_ANSWERS_BYTES:
        return {}, Why("bad_file", {"detail": f"larger than {MAX_ANSWERS_BYTES // 1024} KB"})
    try:
        text = raw.decode("utf-8-sig")
        data, lines = parse_yaml(text, path)
    except UnicodeDecodeError as exc:
        return {}, Why("bad_file", {"detail": f"not UTF-8 text (byte {exc.start})"})
    except ExerciseError as exc:
        return {}, Why("bad_file", {"detail": exc.render()})
    if not isinstance(data, dict):
        return {}, Why("no_answers")
    if isinstance(data.get("student"), int) and ("student",) in lines:  # 0012 is an id, not the number 10
        written = re.match(r"\s*student\s*:\s*([^\s#]+)", text.split("\n")[lines[("student",)] - 1])
        if written:
            data["student"] = written.group(1)
    return data, None


# --------------------------------------------------------------------------- grade check


def audit_quiz(path: Path) -> list[str]:
    """Every problem of a quiz file, each ``file:line: key.path: message``; empty when it is sound.

    Beyond validation: variants are drawn for sample students (the answer must be defined, the
    parameters must vary, and so must the answer, or copying a neighbour's number would work; a
    numeric question is weak when some student's variant accepts a classic mistake's answer because
    no clean draw was found), and an expression answer with ``gate:`` is checked against the engine's
    local gradient of that gate.
    """
    from grader.exercise.loader import dotted, line_of

    path = Path(path)
    try:
        quiz, lines = _read(path)
    except GraderError as exc:
        return [str(exc)]
    prepared, problems = check_quiz(quiz, path)
    out = [ExerciseError(path, line_of(lines, at), dotted(at), message).render() for at, message in problems]
    secret = "grade-check-quiz"
    for p in prepared:
        at = ("questions", p.index)
        for message in _audit_question(quiz, p, secret):
            out.append(ExerciseError(path, line_of(lines, at), dotted(at), message).render())
    return out


def _audit_question(quiz: Quiz, p: Prepared, secret: str) -> list[str]:
    q = p.question
    variants = []
    for i in range(AUDIT_STUDENTS):
        try:
            variants.append(draw_question(quiz, p, student_rng(secret, quiz.id, f"audit-{i}", q.id)))
        except ExerciseError as exc:
            return [exc.message]
    found = []
    if q.params and len({tuple(sorted(v.params.items())) for v in variants}) < 2:
        found.append(f"the parameters are the same for {AUDIT_STUDENTS} students: widen their range or choices")
    if q.kind == "numeric" and q.params:
        answers = {round(v.exact, q.rounding) for v in variants}  # type: ignore[arg-type]
        if len(answers) < 2:
            found.append(
                f"the answer is {answers.pop()} for {AUDIT_STUDENTS} students: it does not depend on the "
                "drawn parameters, so copying a neighbour's answer would work"
            )
        far = next((v for v in variants if v.hand_value is None and p.graph is not None), None)
        if far is not None:
            point = ", ".join(f"{k} = {number_text(x)}" for k, x in far.params.items())
            by_hand = "undefined" if far.chain is None else f"{far.chain:.6g}"
            found.append(
                f"computed by hand with values rounded to {q.rounding} decimals, the answer at {point} is "
                f"{by_hand}, far from the exact {far.exact:.6g}: keep values moderate (within:, "
                "narrower params) or ask for more decimals"
            )
        weak = next((v for v in variants if v.weak), None)
        if weak is not None:
            point = ", ".join(f"{k} = {number_text(x)}" for k, x in weak.params.items())
            found.append(
                f"weak: no draw where every classic mistake is wrong was found (e.g. at {point}, "
                f"{'; '.join(weak.weak)} would be accepted): widen or change the parameters"
            )
    if q.kind == "expression":
        found += _audit_expression(q, variants[0])
    return found


def _audit_expression(q: Question, variant) -> list[str]:
    """The key is defined at some points; with ``gate:``, it equals the engine's local gradient."""
    rng = random.Random(q.id)
    gate = GATES.get(q.gate) if q.gate else None
    wrt = q.variables.index(q.wrt) if q.wrt else 0
    defined = 0
    domains = q.domains()
    for attempt in range(60):
        box = ((0.1, 0.9), (-2.0, 2.0), (1.0, 3.0))[attempt % 3]
        env = {v: round(draw_in(rng, domains.get(v), box), 4) for v in q.variables}
        try:
            key = evaluate(variant.key, env)
        except Undefined:
            continue
        defined += 1
        if gate is None:
            continue
        args = [env[v] for v in q.variables]
        try:
            out = gate.forward(args)
            engine = gate.local(args, out)[wrt]
        except (DomainError, ArithmeticError, ValueError):
            continue
        if not math.isclose(key, engine, rel_tol=1e-7, abs_tol=1e-9):
            at = ", ".join(f"{k} = {v:g}" for k, v in env.items())
            return [
                f"the answer '{q.answer}' is not the local gradient of gate '{q.gate}' with respect to "
                f"{q.variables[wrt]}: at {at} it is {key:.6g}, the engine's is {engine:.6g}"
            ]
    if defined < 3:
        where = " of the variables' domains" if domains else ""
        return [f"the answer '{q.answer}' is undefined at almost every point{where} tried"]
    return []
