"""Issue 12, point 7: a student's answers file is parsed safely. An alias bomb, a 20,000-deep answer,
a 401-digit number, a lone surrogate, tags and anchors each give a clear error result naming the file
and the line, never a grader fault, a traceback or a blow-up; plain files read as before."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grader.errors import ExerciseError
from grader.quiz import quizzes
from grader.quiz.answers_yaml import parse_answers
from tests.conftest import EXERCISES


def alias_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\nstudent: s1\nanswers:\n  node_meaning: [" + ",".join(["*a8"] * 9) + "]\n"


HOSTILE = {  # name -> (file text, the message's end)
    "alias_bomb": (alias_bomb(), "bomb.yaml:1: a0: an anchor (&a0) is not allowed: write the value"),
    "deep": (
        "student: s1\nanswers:\n  node_meaning: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "nested more than 16 levels deep",
    ),
    "digits": ("student: s1\nanswers:\n  node_meaning: " + "9" * 401 + "\n", "a number with more than 100 digits"),
    "surrogate": (
        'student: s1\nanswers:\n  node_meaning: "\\uD800"\n',
        "surrogate.yaml:3: answers.node_meaning: the text holds a lone surrogate (such as \\ud800), not a character",
    ),
    "alias": ("student: s1\nanswers:\n  node_meaning: *x\n", "alias.yaml:3: answers.node_meaning: an alias (*x)"),
    "tag": (
        "student: s1\nanswers: !!python/object:os.system {}\n",
        "tag.yaml:2: answers: the tag tag:yaml.org,2002:python/object:os.system is not allowed",
    ),
    "long": ("student: s1\nanswers:\n  q: " + "x" * 10_001 + "\n", "long.yaml:3: answers.q: a value longer than 10000"),
    "twice": ("student: s1\nanswers:\n  q: 1\n  q: 2\n", "twice.yaml:4: answers.q: this key appears twice"),
    "documents": ("student: s1\n---\nstudent: s2\n", "documents.yaml:2: more than one YAML document"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_answers_file_is_a_clear_error_result(tmp_path, name):
    text, words = HOSTILE[name]
    path = tmp_path / ("bomb.yaml" if name == "alias_bomb" else f"{name}.yaml")
    path.write_text(text, encoding="utf-8")
    assert name != "alias_bomb" or len(text.encode()) < 700
    result = quizzes.grade_quiz_answers("quiz01", path, student="s1", secret="course", exercises_dir=EXERCISES)
    assert (result.status, result.error.kind, result.score) == ("error", "bad_file", 0.0)
    assert result.error.message.startswith("the answers file cannot be read: ")
    assert result.error.message.endswith(words) or words in result.error.message, result.error.message
    json.dumps(result.to_json(), ensure_ascii=False).encode()  # printable as the CLI prints it


def test_grade_quiz_prints_the_error_result_without_a_traceback(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text(HOSTILE["surrogate"][0], encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "grader.cli", "quiz", "quiz01", "--student", "s1", "--answers", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"GRADE_EXERCISES": str(EXERCISES), "PATH": "/usr/bin:/bin", "GRADE_SECRET": "course-secret"},
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert json.loads(run.stdout)["error"]["kind"] == "bad_file"


def test_plain_answers_read_as_before():
    text = (
        "student: s1\nquiz: quiz01\nanswers:\n  q1: -0.27\n  q2: '-1/x^2'\n  q3: [1, 2]\n  q4: 2026-03-10\n  q5: null\n"
    )
    data, lines = parse_answers(text)
    assert lines[("answers", "q3")] == 6 and lines[("student",)] == 1
    assert data == {
        "student": "s1",
        "quiz": "quiz01",
        "answers": {"q1": -0.27, "q2": "-1/x^2", "q3": [1, 2], "q4": "2026-03-10", "q5": None},
    }
    assert parse_answers("")[0] is None and parse_answers("answers: {7: yes}")[0] == {"answers": {7: True}}


def test_invalid_yaml_names_the_line():
    with pytest.raises(ExerciseError) as caught:
        parse_answers("student: s1\nanswers: [1, 2\n", None)
    assert caught.value.line == 3 and "invalid YAML" in caught.value.message


def test_hostile_answers_files_in_a_batch_are_error_results_not_faults(tmp_path):
    from tests.batch.helpers import grade_cmd, run_grade, summary_of, write_class

    names = ("alias_bomb", "deep", "digits", "surrogate")
    files = {(f"s{i}", "quiz01.yaml"): HOSTILE[name][0].replace("s1", f"s{i}") for i, name in enumerate(names)}
    folder = write_class(tmp_path / "class", files)
    proc = run_grade(grade_cmd(folder, tmp_path / "grades.db"), cwd=tmp_path)
    summary = summary_of(proc)
    assert (summary["faults"], summary["graded"], summary["errors_by_kind"]) == (0, 4, {"bad_file": 4}), proc.stderr


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("\ud800", "answers.node_meaning: the text holds a lone surrogate"),
        (int("9" * 401), "answers.node_meaning: a number with more than 100 digits"),
        ([[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]], "nested more than 16 levels deep"),
        ({1, 2}, "answers.node_meaning: a set is not an answer"),
    ],
)
def test_answers_given_as_data_are_bounded_the_same_way(answer, words):
    data = {"student": "s1", "answers": {"node_meaning": answer}}
    result = quizzes.grade_quiz_answers("quiz01", data, student="s1", secret="course", exercises_dir=EXERCISES)
    assert (result.status, result.error.kind) == ("error", "bad_file") and words in result.error.message
    json.dumps(result.to_json(), ensure_ascii=False).encode()
