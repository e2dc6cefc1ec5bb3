"""Issue 12, point 9: what the grader writes about an exercise never shows what a task asks for.

For every exercise of the course: the site's exercise page, a report's gate box, ``grade init``'s stub
(Korean and English) and the notebook stub show each gate's formulas except the ones a task asks
for (``given.asked``: the forward formula on a forward task, the local gradient on a local-gradient
or backward task, every local gradient on a whole-graph task), and they do show the others. The
exercise's own description is the author's text and is left out of the search; hints are not on
the page (a report shows one after the task failed).
"""

from __future__ import annotations

import json

import pytest

from grader.engine import GATES
from grader.exercise.given import asked
from grader.exercise.loader import find_exercise
from grader.exercise.stubs import PLAIN, stub
from grader.notebook.stub import stub_notebook
from grader.report import theme, views
from grader.report.markdown_math import math_span, render
from tests.conftest import EXERCISES

COURSE = sorted(p.stem for p in EXERCISES.glob("exercise*.yaml"))


def exercise_page(ex) -> str:
    page = theme.environment().get_template("exercise.html.j2")
    html = page.render(
        lang="en", titles={}, students_only=False, course_name="", root="../", ex=views.exercise_view(ex)
    )
    for text in (ex.description.ko, ex.description.en):
        html = html.replace(render(text), "")  # the author's words, not the grader's
    return html


def test_what_each_task_kind_asks_for():
    kinds = {find_exercise(e, EXERCISES).id: asked(find_exercise(e, EXERCISES)) for e in COURSE}
    assert kinds["exercise01"].forward >= {"mul", "add", "neg", "exp", "reciprocal", "bce"}
    assert not kinds["exercise01"].local and not kinds["exercise01"].update_rule
    assert kinds["exercise02"].local >= {"mul", "add", "neg", "exp", "reciprocal"} and not kinds["exercise02"].forward
    assert kinds["exercise03"].local >= {"mul", "add", "neg", "exp", "reciprocal", "bce"}
    assert kinds["exercise05"].forward == kinds["exercise05"].local == {"sigmoid_bce"}
    assert kinds["exercise06"].local == {n.op for n in find_exercise("exercise06", EXERCISES).built.nodes}
    assert kinds["exercise08"].update_rule and not kinds["exercise08"].local


@pytest.mark.parametrize("exercise", COURSE)
def test_no_page_or_stub_shows_a_formula_a_task_asks_for(exercise):
    ex = find_exercise(exercise, EXERCISES)
    ask = asked(ex)
    page = exercise_page(ex)
    stubs = stub(ex, "ko") + stub(ex, "en")
    notebook = "".join(
        "".join(c["source"]) for lang in ("ko", "en") for c in json.loads(stub_notebook(ex, lang))["cells"]
    )
    for text in (ex.description.ko, ex.description.en):
        notebook = notebook.replace(text.strip(), "")  # the author's words
    ops = list(dict.fromkeys(n.op for n in ex.built.nodes))
    for op in ops:
        gate = GATES[op]
        forward, local = math_span(gate.formula), math_span(gate.grad_formula)
        blamed = next(n.name for n in ex.built.nodes if n.op == op)
        box = " ".join(str(v) for v in views._gate_view(ex, blamed).values())  # a report's gate box
        if op in ask.forward:
            assert forward not in page and forward not in box, (exercise, op)
            assert f"f = {PLAIN[op]}" not in stubs + notebook, (exercise, op)
        else:
            assert forward in page and forward in box, (exercise, op)
        if op in ask.local:
            assert local not in page and local not in box, (exercise, op)
        else:
            assert local in page, (exercise, op)
        assert gate.grad_formula not in stubs + notebook  # a stub never gives a gradient
    for task in ex.tasks:
        if task.hint:
            assert render(task.hint.en).removeprefix("<p>").removesuffix("</p>") not in page
