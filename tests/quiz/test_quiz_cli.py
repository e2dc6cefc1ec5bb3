"""``grade quiz`` as a user runs it: the variant as JSON when not in a terminal, grading an answers
file (exit codes 0, 1, 2), and answering interactively in a real pseudo-terminal, in Korean and in
English (skipping a question and coming back to it, typing slips asked again)."""

from __future__ import annotations

import io
import json
import os
import re
import select
import subprocess
import sys
import time

import pytest
from rich.console import Console

from grader.quiz import quizzes
from grader.quiz import terminal as quiz_terminal
from tests.quiz.conftest import EXERCISES, ROOT
from tests.quiz.helpers import question, variant_of

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def env(**extra):
    base = {k: v for k, v in os.environ.items() if k not in ("GRADE_SECRET", "GRADE_LANG")}
    return {**base, "GRADE_EXERCISES": str(EXERCISES), "PYTHONPATH": str(ROOT), **extra}


def grade(*args, cwd, **extra):
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env(**extra),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def right_answers(quiz_id: str, student: str) -> dict:
    answers = {}
    for qv in variant_of(quiz_id, student).questions:
        q = qv.question
        if q.kind == "numeric":
            answers[q.id] = round(qv.exact, q.rounding)
        elif q.kind == "expression":
            answers[q.id] = q.answer.replace("c", str(int(qv.params["c"]))) if qv.params else q.answer
        else:
            answers[q.id] = list(qv.correct) if q.multiple else qv.correct[0]
    return answers


# --------------------------------------------------------------------------- not a terminal


def test_variant_json_when_not_a_terminal(tmp_path):
    run = grade("quiz", "quiz03", "--student", "s1", "--lang", "ko", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data == variant_of("quiz03", "s1").to_json("ko")
    assert data["practice"] is True and "연습용 변형" in run.stderr


def test_variant_json_with_the_course_secret(tmp_path):
    run = grade("quiz", "quiz03", "--student", "s1", "--json", cwd=tmp_path, GRADE_SECRET="course-2026")
    data = json.loads(run.stdout)
    assert data["practice"] is False and run.stderr == ""
    assert (
        data["questions"] == quizzes.draw(quizzes.find_quiz("quiz03"), "s1", "course-2026").to_json("en")["questions"]
    )


def test_grading_an_answers_file(tmp_path):
    answers = tmp_path / "quiz01.yaml"
    answers.write_text(json.dumps({"student": "s1", "answers": right_answers("quiz01", "s1")}), encoding="utf-8")
    run = grade("quiz", "quiz01", "--student", "s1", "--answers", str(answers), "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    data = json.loads(run.stdout)
    assert data["score"] == data["max_score"] == 7 and data["status"] == "graded"
    text = grade("quiz", "quiz01", "--student", "s1", "--answers", str(answers), "--lang", "ko", cwd=tmp_path)
    assert text.returncode == 0 and "점수 7 / 7" in text.stdout and "만점입니다." in text.stdout


def test_grading_below_full_marks_exits_1(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("student: s1\nanswers:\n  forward_z: 'twelve'\n  q99: 1\n", encoding="utf-8")
    run = grade("quiz", "quiz01", "--student", "s1", "--answers", str(answers), "--lang", "en", cwd=tmp_path)
    assert run.returncode == 1
    assert "a number is due here, but the answer is 'twelve'" in run.stdout
    assert "'q99' is not a question of this quiz" in run.stdout
    assert "No answer." in run.stdout


def test_another_students_answers_exit_1(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text(json.dumps({"student": "s2", "answers": right_answers("quiz01", "s2")}), encoding="utf-8")
    run = grade("quiz", "quiz01", "--student", "s1", "--answers", str(answers), "--json", cwd=tmp_path)
    assert run.returncode == 1
    data = json.loads(run.stdout)
    assert data["status"] == "error" and data["error"]["why"]["code"] == "wrong_student"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["quiz", "quiz77", "--student", "s1"], "unknown exercise 'quiz77'"),
        (["quiz", "quiz01", "--student", "s1", "--answers", "nope.yaml"], "nope.yaml: no such file"),
        (["quiz", "exercise03", "--student", "s1"], "this is an exercise, not a quiz"),
        (["quiz", "quiz01"], "Missing option '--student'"),
        (["quiz", "quiz01", "--student", "s1", "--lang", "fr"], "--lang must be ko or en"),
    ],
)
def test_bad_usage_exits_2(tmp_path, args, message):
    run = grade(*args, cwd=tmp_path)
    assert run.returncode == 2 and message in run.stderr, run.stderr


def test_a_broken_quiz_is_located(tmp_path):
    (tmp_path / "quizb.yaml").write_text(
        "id: quizb\ntitle: t\nquestions:\n  - id: q1\n    kind: numeric\n    text: t\n"
        "    graph: exercise03\n    answer: grad(w7)\n",
        encoding="utf-8",
    )
    run = grade("quiz", str(tmp_path / "quizb.yaml"), "--student", "s1", cwd=tmp_path)
    assert run.returncode == 2
    assert "quizb.yaml:8: questions[0].answer: 'grad(w7)': 'w7' is not a node or input" in run.stderr


def test_sympy_is_not_imported_to_start():
    code = (
        "import sys, grader.cli.main, grader.quiz.quizzes, grader.quiz.terminal, grader.quiz.expressions, "
        "grader.quiz.symbolic; "
        "print('sympy' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), timeout=60)
    assert run.stdout.strip() == "False"


# --------------------------------------------------------------------------- interactive, in process


def scripted(lines):
    feed = iter(lines)

    def ask(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return ask


def test_interactive_skip_and_come_back():
    v = variant_of("quiz03", "s1")
    right = right_answers("quiz03", "s1")
    ids = [qv.question.id for qv in v.questions]
    lines = [
        "",
        *[str(right[i]) if not isinstance(right[i], list) else ", ".join(map(str, right[i])) for i in ids[1:]],
        "",
        str(right[ids[0]]),
    ]
    console = Console(file=io.StringIO(), width=200)
    answers = quiz_terminal.answer_interactively(v, "en", console, scripted(lines))
    assert set(answers) == set(ids)
    shown = console.file.getvalue()
    assert f"Skipped: {ids[0]}" in shown and "practice variant" in shown
    result = quizzes.grade_quiz_answers(v.quiz, {"student": "s1", "answers": answers}, "s1")
    assert result.full_marks


def test_interactive_typing_slips_are_asked_again():
    v = variant_of("quiz02", "s1")
    console = Console(file=io.StringIO(), width=200)
    lines = ["a*", "b", "", "", "exp(", "e^x"]
    answers = quiz_terminal.answer_interactively(v, "ko", console, scripted(lines))
    shown = console.file.getvalue()
    assert answers == {"mul_local": "b", "exp_local": "e^x"}  # EOF: grade what is answered
    assert "식이 중간에 끝났습니다. 다시 입력하세요." in shown
    assert "괄호가 닫히지 않았습니다. 다시 입력하세요." in shown
    assert "이해한 식: e^x" in shown


def test_interactive_submit_early():
    v = variant_of("quiz01", "s1")
    console = Console(file=io.StringIO(), width=200)
    answers = quiz_terminal.answer_interactively(v, "en", console, scripted([""] * 7 + ["submit"]))
    assert answers == {}


def test_dump_answers_reads_back(tmp_path):
    given = {"q1": -0.27, "q2": "σ(x)(1-σ(x))", "q3": [0, 2], "q4": 1}
    path = tmp_path / "a.yaml"
    path.write_text(quiz_terminal.dump_answers("quiz02", "학생1", given), encoding="utf-8")
    from grader.exercise.loader import read_yaml

    data, _ = read_yaml(path)
    assert data == {"quiz": "quiz02", "student": "학생1", "answers": given}


def test_save_path_never_overwrites_a_quiz(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert str(quiz_terminal.save_path("quiz01", None)) == "quiz01.yaml"
    (tmp_path / "quiz01.yaml").write_text("id: quiz01\nquestions: []\n", encoding="utf-8")
    assert str(quiz_terminal.save_path("quiz01", None)) == "quiz01.answers.yaml"


# --------------------------------------------------------------------------- interactive, in a real terminal


class Terminal:
    """A command in a pseudo-terminal: wait for text, type a line."""

    def __init__(self, args, cwd, **extra):
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 220, 0, 0))
        self.proc = subprocess.Popen(
            args,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=env(TERM="xterm-256color", COLUMNS="220", **extra),
            start_new_session=True,
        )
        os.close(slave)
        self.raw, self.cursor = b"", 0

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw.decode("utf-8", "replace"))

    def _read(self, seconds: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], seconds)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        self.raw += chunk
        return bool(chunk)

    def expect(self, wanted: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            found = self.text.find(wanted, self.cursor)
            if found >= 0:
                self.cursor = found + len(wanted)
                return
            if time.monotonic() > deadline or not self._read(0.2) and self.proc.poll() is not None:
                raise AssertionError(f"did not see {wanted!r}; the screen:\n{self.text[-3000:]}")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self._read(0.2) and time.monotonic() < deadline:
            pass
        code = self.proc.wait(timeout=max(1, deadline - time.monotonic()))
        os.close(self.master)
        return code


def command(*args):
    return [sys.executable, "-m", "grader.cli", *args]


def test_answering_interactively_in_korean(tmp_path):
    right = right_answers("quiz01", "s1")
    order = [qv.question.id for qv in variant_of("quiz01", "s1").questions]
    saved = tmp_path / "my-answers.yaml"
    term = Terminal(command("quiz", "quiz01", "--student", "s1", "--lang", "ko", "--save", str(saved)), tmp_path)
    term.expect("연습용 변형입니다")
    term.expect("빈 줄이면 건너뛰고")
    term.expect(f"답 {order[0]}> ")
    term.type("")  # skip the first question
    for qid in order[1:]:
        term.expect(f"답 {qid}> ")
        if qid == "forward_z":
            term.type("열둘")  # a slip: asked again
            term.expect("숫자가 아닙니다: '열둘'")
            term.expect(f"답 {qid}> ")
        if qid == "count_mul":
            term.type("9")
            term.expect("선택지 번호(0–3)가 아닙니다")
            term.expect(f"답 {qid}> ")
        term.type(str(right[qid]))
    term.expect(f"건너뛴 문항: {order[0]}")
    term.expect("> ")
    term.type("")  # go back to it
    term.expect(f"답 {order[0]}> ")
    term.type(str(right[order[0]]))
    term.expect("점수 7 / 7")
    term.expect("만점입니다.")
    term.expect("답안을")
    assert term.finish() == 0
    again = grade("quiz", "quiz01", "--student", "s1", "--answers", str(saved), "--json", cwd=tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["score"] == 7


def test_answering_interactively_in_english(tmp_path):
    right = right_answers("quiz02", "s1")
    v = variant_of("quiz02", "s1")
    term = Terminal(command("quiz", "quiz02", "--student", "s1", "--lang", "en"), tmp_path)
    term.expect("This is a practice variant")
    for qv in v.questions:
        qid = qv.question.id
        term.expect(f"answer {qid}> ")
        if qid == "neg_local":
            term.type("")  # skipped, and never answered
        elif qid == "reciprocal_local":
            term.type("1/x^2")  # wrong: the sign
            term.expect("We read it as: 1/x^2")
        elif qid == "log_local":
            term.type("ln(")
            term.expect("a parenthesis is not closed. Try again.")
            term.expect(f"answer {qid}> ")
            term.type("x^-1")
            term.expect("We read it as: x^(-1)")
        elif qid == "output_only":
            term.type(", ".join(map(str, right[qid])))
        else:
            term.type(str(right[qid]))
    term.expect("Skipped: neg_local")
    term.expect("> ")
    term.type("submit")
    term.expect("score 9 / 11")
    term.expect("✗ neg_local (expression)  0 / 1  No answer.")
    term.expect("✗ reciprocal_local (expression)  0 / 1  Wrong: we read your answer as 1/x^2")
    term.expect(r"LaTeX: \frac{1}{x^{2}}")
    term.expect("Saved your answers to quiz02.yaml")
    assert term.finish() == 1
    saved = (tmp_path / "quiz02.yaml").read_text(encoding="utf-8")
    assert 'student: "s1"' in saved and "neg_local" not in saved
    assert question(quizzes.grade_quiz_answers(v.quiz, tmp_path / "quiz02.yaml", "s1"), "log_local").passed
