"""The terminal report of `grade submit`: plain text in a pipe, colours only on a terminal, and a
student's output never steering the terminal."""

from __future__ import annotations

from grader.report import terminal


def wrong_neg(grade_text):
    source = "def neg_local_grad(x):\n    print('\\x1b[2J\\x1b]0;pwned\\x07 hi')\n    return 1.0\n"
    return grade_text("exercise02", source)


def test_plain_text_names_the_score_the_blame_and_the_output(grade_text):
    text = terminal.render(terminal.report(wrong_neg(grade_text), "Local gradients"), colour=False)
    lines = text.splitlines()
    assert lines[0] == "exercise02 — Local gradients   score 0 / 6"
    assert "✗ neg_local_grad (local_grad)  0 / 1" in lines
    assert any(line.startswith("    → node n") and "sign" in line for line in lines)
    assert "\x1b" not in text


def test_what_the_student_printed_is_shown_with_its_control_characters_escaped(grade_text):
    text = terminal.render(terminal.report(wrong_neg(grade_text)), colour=True)
    assert "\\x1b[2J\\x1b]0;pwned\\x07 hi" in text
    assert "\x1b[2J" not in text and "\x07" not in text
    assert text.count("\x1b[") == text.count("\x1b[0m") * 2  # only our own colour codes, each closed


def test_colours_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert terminal.wants_colour(Tty())
    assert not terminal.wants_colour(object())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal.wants_colour(Tty())


def test_columns_line_up_with_korean_text():
    rows = terminal.table([["이름", "정답"], ["dL/dw1", "-0.268941"]])
    assert terminal.width(rows[0].split("정답")[0]) == terminal.width(rows[1].split("-0.268941")[0])
    assert terminal.width("가a") == 3


def test_the_instructors_hint_is_in_the_json_and_under_the_failed_task_in_both_languages(grade_text):
    source = "def reciprocal_local_grad(x, out):\n    return 1 / x**2\n"
    en = grade_text("exercise02", source, lang="en")
    task = next(t for t in en.tasks if t.function == "reciprocal_local_grad")
    assert task.hint["en"].startswith("Read $\\frac{1}{x}$") and task.hint["ko"]
    assert en.to_json()["tasks"][5]["hint"] == task.hint
    text = terminal.render(terminal.report(en), colour=False)
    assert "    hint: Read 1/x as x^(-1) and use the power rule. Mind the sign." in text.splitlines()
    ko = terminal.render(terminal.report(grade_text("exercise02", source, lang="ko")), colour=False)
    assert "    힌트: 1/x = x^(-1) 로 보고 거듭제곱의 미분법을 쓰세요. 부호를 잊지 마세요." in ko.splitlines()


def test_korean_reports_name_points_in_korean(grade_text):
    text = terminal.render(
        terminal.report(grade_text("exercise02", "def neg_local_grad(x):\n    return 1.0\n", lang="ko")), colour=False
    )
    assert "공개 점 1 · n: 기댓값 -1, 제출값 1" in text
    assert "public-1" not in text and "random-" not in text


def test_a_file_that_cannot_be_graded_is_told_in_korean_words(grade_text):
    verdict = grade_text("exercise02", "def neg_local_grad(x)\n    return 1.0\n", lang="ko")
    first = terminal.render(terminal.report(verdict), colour=False).splitlines()[1]
    assert first.startswith("✗ 채점 불가 [문법 오류] (1번째 줄): ")
    assert "syntax_error" not in first and "line" not in first


def test_a_tasks_hint_is_not_shown_when_its_function_only_hung(grade_text):
    """The hint is about the formula: a function that never returned is told it ran too long instead."""
    from grader.report import terminal as term
    from tests.conftest import SOLUTIONS

    source = (SOLUTIONS / "exercise02.py").read_text(encoding="utf-8")
    hung = source.replace("def mul_local_grad(a, b):", "def mul_local_grad(a, b):\n    while True:\n        pass", 1)
    wrong = source.replace("def mul_local_grad(a, b):", "def mul_local_grad(a, b):\n    return a, b", 1)
    for text, shown in ((hung, False), (wrong, True)):
        verdict = grade_text("exercise02", text)
        task = next(t for t in verdict.tasks if t.function == "mul_local_grad")
        assert task.hint and not task.passed and task.hint_helps is shown
        report = term.render(term.report(verdict, "exercise02"), False)
        assert ("hint: Hold b constant" in report) is shown, report
