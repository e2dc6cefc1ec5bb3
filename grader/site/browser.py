"""What the practice panel's Web Worker runs in Pyodide: the grader's own modules, as they are.

``check`` grades a draft exactly as ``grade submit`` grades a file without a secret (public points
and the points drawn from the file's content), with the harness in this process
(``isolation.inprocess``): the worker is the student's own sandbox, and it holds nothing secret.
It returns the same JSON object that ``grade submit --json`` prints, the terminal report's text in
both languages, and the graph drawn as in a student's report, to light up the one on the page.
"""

from __future__ import annotations

import json

from grader.exercise.spec import Exercise
from grader.grading import api, explain
from grader.isolation import inprocess, sandbox
from grader.report import terminal
from grader.report.views import report_diagram

_exercises: dict[str, Exercise] = {}


def use_in_process_children(watch) -> None:
    """Once, when the worker starts: children run in this process, ``watch`` arms the page's timer."""
    sandbox.Session.child_factory = inprocess.InProcessChild
    inprocess.watch = watch


def add_exercise(plain_json: str) -> str:
    """Keep an exercise given as its validated form (``dataclasses.asdict``); returns its id."""
    ex = Exercise.from_plain(json.loads(plain_json))
    _exercises[ex.id] = ex
    return ex.id


def check(exercise: str, source: str, lang: str = "en", stops_json: str = "{}") -> str:
    """Grade ``source``; ``stops_json`` names the steps where an earlier worker was stopped."""
    ex = _exercises[exercise]
    inprocess.begin({step: tuple(v) for step, v in json.loads(stops_json).items()})
    verdict = api.submit_source(ex, source, f"{ex.id}.py", None, lang)
    texts = {}
    for other in ("ko", "en"):
        shown = verdict if other == lang else explain.localize(verdict, other)
        texts[other] = terminal.render(terminal.report(shown, ex.title.get(other)), False)
    drawn = report_diagram(ex, verdict, f"practice-{ex.id}")
    diagram = {"svg": drawn["svg"], "point": drawn["point"], "inputs": drawn["inputs"]} if drawn else None
    return json.dumps({"result": verdict.to_json(), "text": texts, "diagram": diagram}, ensure_ascii=False)
