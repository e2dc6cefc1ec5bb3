"""The in-process child (the browser's) gives the verdict of the forked, locked-down child.

Played in CPython with ``replay`` standing in for the page: its timer stops a step at its time
limit and the check starts again with that step in ``stops``, as a new Web Worker does.
"""

from __future__ import annotations

import json

import pytest

from grader.exercise.loader import find_exercise
from grader.grading import api
from grader.isolation import sandbox
from grader.site import browser
from grader.site import practice as practice_files
from tests.conftest import EXERCISES

from . import replay
from .submissions import outcome, submissions

# Files whose code reads the grader's files or the OS: in CPython the in-process child would be
# allowed what the browser's virtual file system does not have; the browser test covers them.
OS_DEPENDENT = ("s2026013",)


def practice(exercise: str, source: str, lang: str = "en") -> dict:
    ex = find_exercise(exercise, EXERCISES)
    written = practice_files.files({ex.id: ex})[f"{practice_files.ASSETS}/exercises/{ex.id}.json"]
    browser.add_exercise(written.decode("utf-8"))  # the exercise as the site writes it
    try:
        return replay.check(exercise, source, lang)
    finally:
        sandbox.Session.child_factory = sandbox.Child


CASES = [(e, p) for e, p in submissions() if not any(part in OS_DEPENDENT for part in p.parts)]


@pytest.mark.parametrize(("exercise", "path"), CASES, ids=lambda v: getattr(v, "name", v))
def test_the_same_verdict_as_grade_submit(exercise, path):
    ex = find_exercise(exercise, EXERCISES)
    expected = json.loads(json.dumps(api.submit(path, ex).to_json()))
    got = practice(exercise, path.read_text(encoding="utf-8-sig"))
    assert outcome(got["result"]) == outcome(expected)
    assert got["result"] == expected  # here, with nothing refused by the OS, even the words agree


def both(tmp_path, exercise: str, source: str) -> tuple[dict, dict]:
    """(``grade submit``'s verdict, the practice check's) for the same text."""
    path = tmp_path / f"{exercise}.py"
    path.write_text(source, encoding="utf-8")
    cli = json.loads(json.dumps(api.submit(path, find_exercise(exercise, EXERCISES)).to_json()))
    return cli, practice(exercise, source)["result"]


def test_an_endless_loop_is_stopped_at_the_time_limit_with_the_clis_words(tmp_path):
    cli, got = both(tmp_path, "exercise01", "def mul_forward(a, b):\n    while True:\n        pass\n")
    assert got == cli
    mul = next(t for t in got["tasks"] if t["function"] == "mul_forward")
    assert mul["checks"][0]["message"] == "ran for more than 2 s"


def test_a_file_that_hangs_while_loading_says_so(tmp_path):
    cli, got = both(tmp_path, "exercise01", "while True:\n    pass\n")
    assert got == cli
    assert got["error"]["kind"] == "timeout" and "loading the file took more than" in got["error"]["message"]


def test_printing_more_than_a_child_may_stops_the_function(tmp_path):
    source = "def mul_forward(a, b):\n    while True:\n        print('x' * 10000)\n"
    cli, got = both(tmp_path, "exercise01", source)
    assert outcome(got) == outcome(cli)
    mul = next(t for t in got["tasks"] if t["function"] == "mul_forward")
    assert mul["checks"][0]["message"] == "printed more than 4 MB"


def test_the_report_comes_in_both_languages_and_the_graph_is_drawn_where_it_is_wrong():
    source = (EXERCISES.parent / "solutions" / "exercise03.py").read_text(encoding="utf-8")
    source = source.replace("return", "return -1 *", 1)
    got = practice("exercise03", source, "ko")
    assert got["result"]["lang"] == "ko" and got["result"]["score"] < got["result"]["max_score"]
    assert "exercise03" in got["text"]["ko"] and "exercise03" in got["text"]["en"]
    assert got["text"]["ko"] != got["text"]["en"]
    assert got["diagram"]["svg"].startswith("<svg") and 'data-blamed="1"' in got["diagram"]["svg"]
