"""Helpers shared by the quiz tests (importable, unlike conftest)."""

from __future__ import annotations

from functools import cache

from grader.quiz import quizzes


@cache
def course_quiz(quiz_id: str):
    return quizzes.find_quiz(quiz_id)


def variant_of(quiz_id: str, student: str):
    return quizzes.draw(course_quiz(quiz_id), student)


def question(variant_or_result, qid: str):
    """A question of a variant, or of a result, by id."""
    return next(
        q
        for q in variant_or_result.questions
        if getattr(q, "id", None) == qid or getattr(getattr(q, "question", None), "id", None) == qid
    )
