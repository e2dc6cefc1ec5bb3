"""A quiz without pydantic: the logic its models share, and plain frozen twins the browser rebuilds.

``grader.quiz.spec`` validates a quiz file with pydantic; drawing and grading a variant need only
the validated values and the few methods below. The practice site (``grade site --practice``)
writes each quiz's validated form as JSON (``to_plain``) and the browser, where Pyodide has no
pydantic, rebuilds it with ``from_plain``: the same variant and grading code runs on both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.exercise.spec import FromFile, GraphSpec, NodeSpec, Text
from grader.quiz.logic import GATE_DOMAINS_PLAIN, ParamLogic, QuestionLogic, QuizLogic

# --------------------------------------------------------------------------- the plain twins


@dataclass(frozen=True)
class PlainParam(ParamLogic):
    range: tuple[float, float] | None = None
    step: float = 1.0
    choices: list[float] | None = None
    exclude: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class PlainDomain:
    range: tuple[float, float] | None = None
    choices: list[float] | None = None


@dataclass(frozen=True)
class PlainTolerance:
    atol: float = 0.0
    rtol: float = 0.0


def _domain(data: dict | None) -> PlainDomain | None:
    if data is None:
        return None
    return PlainDomain(tuple(data["range"]) if data.get("range") else None, data.get("choices"))


@dataclass(frozen=True)
class PlainQuestion(QuestionLogic):
    id: str
    kind: str
    text: Text
    answer: Any
    score: float = 1.0
    params: dict[str, PlainParam] = field(default_factory=dict)
    explanation: Text | None = None
    graph: str | GraphSpec | None = None
    at: dict[str, float] = field(default_factory=dict)
    decimals: int | None = None
    tolerance: PlainTolerance | None = None
    within: dict[str, tuple[float, float]] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    gate: str | None = None
    wrt: str | None = None
    domain: dict[str, PlainDomain] = field(default_factory=dict)
    choices: list[Text] = field(default_factory=list)
    shuffle: bool = False

    gate_domains = {gate: tuple(_domain(d) for d in ds) for gate, ds in GATE_DOMAINS_PLAIN.items()}


@dataclass(frozen=True)
class PlainQuiz(QuizLogic, FromFile):
    id: str
    title: Text
    questions: list[PlainQuestion]
    description: Text = Text(ko="", en="")
    order: int | None = None
    _prepared: list | None = field(default=None, compare=False, repr=False)


def _text(value: dict | None) -> Text | None:
    return None if value is None else Text(ko=value["ko"], en=value["en"])


def _graph(value):
    if not isinstance(value, dict):
        return value
    nodes = {
        n: NodeSpec(op=s["op"], args=list(s["args"]), label=_text(s.get("label"))) for n, s in value["nodes"].items()
    }
    return GraphSpec(inputs=list(value["inputs"]), nodes=nodes, output=value["output"])


def question_from_plain(d: dict) -> PlainQuestion:
    return PlainQuestion(
        **{
            **d,
            "text": _text(d["text"]),
            "explanation": _text(d.get("explanation")),
            "params": {
                k: PlainParam(**{**p, "range": tuple(p["range"]) if p.get("range") else None})
                for k, p in d.get("params", {}).items()
            },
            "graph": _graph(d.get("graph")),
            "tolerance": PlainTolerance(**d["tolerance"]) if d.get("tolerance") else None,
            "within": {k: tuple(v) for k, v in d.get("within", {}).items()},
            "domain": {k: _domain(v) for k, v in d.get("domain", {}).items()},
            "choices": [_text(c) for c in d.get("choices", [])],
        }
    )


def from_plain(data: dict) -> PlainQuiz:
    """Rebuild a quiz from ``to_plain`` (JSON-decoded), without pydantic."""
    return PlainQuiz(
        id=data["id"],
        title=_text(data["title"]),  # type: ignore[arg-type]
        description=_text(data["description"]),  # type: ignore[arg-type]
        questions=[question_from_plain(q) for q in data["questions"]],
        order=data.get("order"),
    )


def to_plain(quiz) -> dict:
    """A validated quiz (the pydantic model) as plain JSON-ready data (needs pydantic: build time only)."""
    return quiz.model_dump(mode="json")


# --------------------------------------------------------------------------- the practice site's form


def practice_form(quiz, prepared_questions: list) -> dict:
    """A loaded quiz as the practice site writes it: the validated quiz, and per question (``prepared_questions``:
    ``quizzes.prepared_of(quiz)``) the graph its answer is computed on, resolved, and the inputs not drawn."""
    prepared = []
    for p in prepared_questions:
        graph = None
        if p.graph is not None:
            nodes = {n.name: {"op": n.op, "args": list(n.args)} for n in p.graph.nodes}
            graph = {"inputs": list(p.graph.inputs), "nodes": nodes, "output": p.graph.output}
        prepared.append({"index": p.index, "graph": graph, "base": dict(p.base)})
    return {"quiz": to_plain(quiz), "prepared": prepared}


def from_practice_form(form: dict) -> PlainQuiz:
    """The quiz ``practice_form`` wrote, ready to draw and grade (``quizzes.draw``, ``grade_quiz_answers``)."""
    from grader.engine import Graph
    from grader.quiz.variant import Prepared, key_of

    quiz = from_plain(form["quiz"])
    prepared = []
    for item in form["prepared"]:
        q = quiz.questions[item["index"]]
        g = item["graph"]
        graph = None
        if g is not None:
            nodes = {n: (s["op"], tuple(s["args"])) for n, s in g["nodes"].items()}
            graph = Graph.build(g["inputs"], nodes, g["output"])
        prepared.append(Prepared(q, item["index"], key_of(q, graph), graph, dict(item["base"])))  # type: ignore[arg-type]
    object.__setattr__(quiz, "_prepared", prepared)
    return quiz
