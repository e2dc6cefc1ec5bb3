"""A marked quiz's answers are shown only once no later attempt can count (docs/quiz.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from grader.classroom.course_config import Course
from grader.quiz import quizzes
from grader.quiz.result import from_json, hide_keys
from tests.quiz.test_quiz_cli import grade, right_answers

WRONG = {"forward_z": 999, "count_mul": 3, "forward_exp": 999}


def _course(**kw) -> Course:
    return Course.model_validate({"timezone": "UTC", **kw})


def test_release_is_when_the_late_penalty_takes_everything():
    deadline = datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)
    c = _course(deadline=date(2026, 3, 10), late={"penalty_per_day": 0.25, "grace_minutes": 10})
    release = c.key_release("quiz01")
    assert release == deadline + timedelta(minutes=10) + timedelta(days=3)
    assert c.lateness("quiz01", release).fraction == 0.75  # still worth something at the instant
    assert c.lateness("quiz01", release + timedelta(seconds=1)).fraction == 1.0  # worth nothing after
    assert not c.keys_released("quiz01", release) and c.keys_released("quiz01", release + timedelta(seconds=1))


def test_never_released_while_late_attempts_earn_marks():
    assert _course().key_release("quiz01") is None  # no deadline
    assert _course(deadline=date(2026, 3, 10)).key_release("quiz01") is None  # late work at full marks
    assert _course(deadline=date(2026, 3, 10), late={"penalty_per_day": 0.5, "cap": 0.5}).key_release("quiz01") is None
    per_item = _course(deadline=date(2026, 3, 10), items={"quiz01": {"penalty_per_day": 1.0}})
    assert per_item.key_release("quiz01") == datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)
    assert per_item.key_release("quiz02") is None


def test_hidden_result_names_no_key():
    quiz = quizzes.find_quiz("quiz01")
    result = quizzes.grade_quiz_answers(quiz, {"answers": WRONG}, "s1", secret="course", lang="en")
    shown = json.dumps(result.to_json())
    variant = quizzes.draw(quiz, "s1", "course")
    z = next(q for q in variant.questions if q.question.id == "forward_z")
    assert f"the answer is {int(z.exact)}" in shown
    hidden = hide_keys(result, "2026-03-14T00:00")
    data = hidden.to_json()
    assert data["keys_shown"] is False
    for q in data["questions"]:
        assert q["expected"] is None and q["explanation"] is None
        assert "expected" not in q["why"]["params"] and "key" not in q["why"]["params"]
    text = json.dumps(data, ensure_ascii=False)
    assert "the answer is" not in text and "Wrong: you gave 999." in text
    assert "shown after 2026-03-14T00:00, once no later attempt can count" in text
    again = from_json(data)
    assert again.keys_shown is False and again == hidden
    assert "정답은" not in json.dumps(hide_keys(result).to_json(), ensure_ascii=False)


def test_cli_hides_keys_of_a_marked_quiz_until_release(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text(json.dumps({"student": "s1", "answers": WRONG}), encoding="utf-8")
    args = ("quiz", "quiz01", "--student", "s1", "--answers", str(answers), "--json")
    marked = json.loads(grade(*args, cwd=tmp_path, GRADE_SECRET="course-2026").stdout)
    assert marked["keys_shown"] is False and all(q["expected"] is None for q in marked["questions"])
    practice = json.loads(grade(*args, cwd=tmp_path).stdout)
    assert practice["keys_shown"] is True and practice["questions"][2]["expected"] is not None
    (tmp_path / "course.yaml").write_text(
        "timezone: UTC\ndeadline: 2020-01-01\nlate: {penalty_per_day: 1}\n", encoding="utf-8"
    )
    after = json.loads(grade(*args, cwd=tmp_path, GRADE_SECRET="course-2026").stdout)
    assert after["keys_shown"] is True and after["questions"][2]["expected"] is not None
    (tmp_path / "course.yaml").write_text("timezone: UTC\ndeadline: 2999-01-01\n", encoding="utf-8")
    text = grade(*args[:-1], "--lang", "ko", cwd=tmp_path, GRADE_SECRET="course-2026").stdout
    assert "정답과 해설은" in text and "공개됩니다" in text


def test_full_marks_still_full_when_hidden(tmp_path):
    quiz = quizzes.find_quiz("quiz01")
    result = quizzes.grade_quiz_answers(quiz, {"answers": right_answers("quiz01", "s1")}, "s1")
    hidden = hide_keys(result)
    assert hidden.full_marks and hidden.score == result.score


def test_every_hidden_message_is_worded_without_the_key():
    from grader.quiz.result import HIDDEN, KEY_PARAMS, T

    for code, hidden in HIDDEN.items():
        for text in T[hidden]:
            assert all("{" + k + "}" not in text for k in KEY_PARAMS), (code, text)
