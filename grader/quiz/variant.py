"""A student's variant of a quiz: parameters drawn from the secret, answers computed by the engine.

Each question's parameters are drawn from ``HMAC(secret, quiz id, student id, question id)``, so a
student always gets the same variant, neighbours get different ones, and adding a question does
not change the others. A numeric answer is a formula of ``value(NODE)``, ``grad(NODE)`` and
``local(NODE[, k])`` evaluated on the reference engine's trace at the variant's point; a draw
where the reference is undefined is drawn again.

Rounding: next to the exact answer, the same formula is evaluated on a *lecture trace* where every
value and gradient written on the graph is rounded to the asked decimals before it is used, as a
student computing by hand does (the lecture's ``(1 − 0.73)·0.73·(−1.37) = −0.270`` for the exact
``−0.2689``); both are accepted.

Planted mistakes: a numeric variant where a classic mistake (η ignored, the ×x1 of a mul gate
forgotten, ∂L/∂x1 for ∂L/∂w1, a sign flipped, ...; see ``grader.quiz.planted``) would be accepted is
drawn again, from the same seeded stream, so the redraw is as deterministic as the first draw. When
no clean draw is found, the draw with the fewest passing mistakes is kept and marked ``weak``
(``grade check`` reports it).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

from grader.engine import GATES, DomainError, EvaluationError, Graph, Trace, trace
from grader.errors import ExerciseError, GraderError
from grader.quiz.expressions import (
    Ast,
    ExpressionError,
    Grammar,
    Undefined,
    evaluate,
    is_constant,
    number_text,
    parse,
    refs_in,
    substitute,
)
from grader.quiz.planted import accepts, mistaken_values, refs_of
from grader.quiz.spec import Question, Quiz

MAX_REDRAWS = 200
Problem = tuple[tuple, str]  # (key path, message)

ROUNDING = {
    "ko": {
        0: "정수로 반올림하여",
        1: "소수 첫째 자리까지 반올림하여",
        2: "소수 둘째 자리까지 반올림하여",
        3: "소수 셋째 자리까지 반올림하여",
        4: "소수 넷째 자리까지 반올림하여",
    },
    "en": {
        0: "to the nearest whole number",
        1: "to one decimal",
        2: "to two decimals",
        3: "to three decimals",
        4: "to four decimals",
    },
}


class Redraw(ArithmeticError):
    """This draw does not suit the question (a ``within`` range): draw again."""


def rounding_words(decimals: int, lang: str) -> str:
    if lang == "ko":
        return ROUNDING["ko"].get(decimals, f"소수 {decimals}자리까지 반올림하여")
    return ROUNDING["en"].get(decimals, f"to {decimals} decimals")


# --------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class Prepared:
    """A question with what it needs beyond its spec: its graph, the fixed inputs, its parsed key."""

    question: Question
    index: int
    key: Ast
    graph: Graph | None = None
    base: dict[str, float] = field(default_factory=dict)  # graph inputs that are not drawn
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # mistakes equal to the key by construction


def prepare(quiz: Quiz, path: Path | None) -> tuple[list[Prepared], list[Problem]]:
    """Every question prepared, and every problem found on the way (in file order)."""
    prepared, problems = [], []
    for i, q in enumerate(quiz.questions):
        at = ("questions", i)
        found: list[Problem] = [((*at, *where), message) for where, message in q.problems()]
        if found:
            problems += found
            continue
        graph, base = None, {}
        if q.kind == "numeric" and q.graph is not None:
            graph, base = _graph_of(q, path, at, found)
        key = _key_of(q, graph, at, found)
        _check_names(q, graph, at, found)
        problems += found
        if not found and key is not None:
            prepared.append(Prepared(q, i, key, graph, base))
    return prepared, problems


def _graph_of(q: Question, path: Path | None, at: tuple, found: list[Problem]):
    from grader.exercise import loader

    if isinstance(q.graph, str):
        try:
            exercise = loader.find_exercise(q.graph, path.parent if path else None)
        except GraderError as exc:
            try:
                exercise = loader.find_exercise(q.graph)
            except GraderError:
                found.append(((*at, "graph"), f"cannot use the graph of '{q.graph}': {exc}"))
                return None, {}
        graph, base = exercise.built, {k: float(v) for k, v in exercise.points[0].items()}
    else:
        graph_problems = list(loader._check_graph(SimpleNamespace(graph=q.graph)))
        found += [((*at, *where), message) for where, message in graph_problems]
        if graph_problems:
            return None, {}
        graph, base = q.graph.build(), {}
    for name, value in q.at.items():
        if name not in graph.inputs:
            found.append(
                ((*at, "at", name), f"'{name}' is not an input of the graph (inputs: {', '.join(graph.inputs)})")
            )
        elif name in q.params:
            found.append(((*at, "at", name), f"'{name}' is also drawn in params"))
        base[name] = float(value)
    names = [*graph.inputs, *(n.name for n in graph.nodes)]
    for name, (lo, hi) in q.within.items():
        if name not in names:
            found.append(((*at, "within", name), f"'{name}' is not an input or node (known: {', '.join(names)})"))
        if lo > hi:
            found.append(((*at, "within", name), f"the range [{lo:g}, {hi:g}] is empty"))
    for name in graph.inputs:
        if name not in base and name not in q.params:
            found.append(((*at, "params"), f"input '{name}' has no value: draw it in params or give it in at"))
    return graph, base


def _key_of(q: Question, graph: Graph | None, at: tuple, found: list[Problem]) -> Ast | None:
    if q.kind == "choice":
        return ("num", "0")
    params = tuple(q.params)
    if q.kind == "numeric":
        inputs = tuple(graph.inputs) if graph else ()
        refs = (*inputs, *(n.name for n in graph.nodes)) if graph else ()
        grammar = Grammar(tuple(dict.fromkeys((*inputs, *params))), refs)
    else:
        grammar = Grammar(tuple(dict.fromkeys((*q.variables, *params))))
    try:
        key = parse(q.answer, grammar)  # type: ignore[arg-type]
    except ExpressionError as exc:
        found.append(((*at, "answer"), f"'{q.answer}': {exc.message('en')}"))
        return None
    if q.kind == "numeric" and is_constant(key) and not refs_in(key):
        found.append(
            (
                (*at, "answer"),
                "an answer key is computed, not typed: use value(NODE), grad(NODE), "
                "local(NODE) or a formula of the parameters",
            )
        )
    for fn, node, index in refs_in(key):
        if fn == "local" and graph is not None:
            gate = graph.by_name.get(node)
            if gate is None or index >= len(gate.args):
                found.append(
                    ((*at, "answer"), f"local({node}, {index}): '{node}' is not a node with an argument {index}")
                )
    return key


def _check_names(q: Question, graph: Graph | None, at: tuple, found: list[Problem]) -> None:
    nodes = {n.name for n in graph.nodes} if graph else set()
    for name in q.params:
        if not name.isidentifier():
            found.append(((*at, "params", name), f"'{name}' is not an identifier"))
        if name in nodes:
            found.append(((*at, "params", name), f"'{name}' is a node of the graph, not an input"))
        if name in q.variables:
            found.append(((*at, "params", name), f"'{name}' is both a variable and a parameter"))
        for lang in ("ko", "en"):
            if "{" + name + "}" not in q.text.get(lang):
                found.append(((*at, "text", lang), f"the drawn parameter '{name}' is not shown: write {{{name}}}"))
    for i, name in enumerate(q.variables):
        if not name.isidentifier():
            found.append(((*at, "variables", i), f"'{name}' is not an identifier"))
    if q.gate is not None:
        gate = GATES.get(q.gate)
        if gate is None:
            found.append(((*at, "gate"), f"unknown gate '{q.gate}'"))
        elif len(q.variables) < gate.min_args or (gate.max_args is not None and len(q.variables) > gate.max_args):
            found.append(
                (
                    (*at, "variables"),
                    f"gate '{q.gate}' takes {gate.arity_text()} input(s); list one variable per input, in order",
                )
            )


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class QuestionVariant:
    prepared: Prepared
    params: dict[str, float]  # every value the student is given: drawn parameters and graph inputs
    exact: float | None = None  # numeric
    chain: float | None = None  # numeric, with the values on the graph rounded as by hand
    key: Ast | None = None  # expression, parameters replaced by their values
    order: tuple[int, ...] = ()  # choice: shown position → index in the file
    weak: tuple[str, ...] = ()  # numeric: classic mistakes this variant accepts (no clean draw was found)

    @property
    def question(self) -> Question:
        return self.prepared.question

    @property
    def correct(self) -> tuple[int, ...]:
        """Choice: the correct positions, as shown to this student."""
        answer = self.question.answer
        picks = answer if isinstance(answer, list) else [answer]
        return tuple(sorted(self.order.index(p) for p in picks))  # type: ignore[arg-type]

    @property
    def hand_value(self) -> float | None:
        """The by-hand value, when it is close enough to the exact one to be a rounding effect:
        within 10 units of the last asked decimal or 2 % (beyond that, rounding made it nonsense)."""
        if self.chain is None or self.exact is None:
            return None
        bound = max(10 * 10.0**-self.question.rounding, 0.02 * abs(self.exact))
        return self.chain if abs(self.chain - self.exact) <= bound else None

    def accepts(self, value: float) -> bool:
        """Whether a numeric answer ``value`` gets the mark (the one rule for grading and for planting)."""
        q, tol = self.question, self.question.tolerance
        atol, rtol = (tol.atol, tol.rtol) if tol else (None, None)
        return accepts(float(self.exact), self.hand_value, q.rounding, atol, rtol, value)  # type: ignore[arg-type]

    def passing_mistakes(self) -> list[str]:
        """The classic mistakes whose answer this variant would accept."""
        q, p = self.question, self.prepared
        if q.kind != "numeric" or self.exact is None:
            return []
        reference = trace(p.graph, {n: self.params[n] for n in p.graph.inputs}) if p.graph is not None else None
        params = {name for name in q.params if p.graph is None or name not in p.graph.inputs}
        found = []
        for mistake, value in mistaken_values(p.key, p.graph, reference, dict(self.params), params):
            if value is not None and self.accepts(value) and mistake.label not in found:
                found.append(mistake.label)
        return found

    def text(self, lang: str) -> str:
        text = fill(self.question.text.get(lang), self.params)
        if self.question.kind == "numeric":
            words = rounding_words(self.question.rounding, lang)
            text += f" ({words} 답하세요)" if lang == "ko" else f" (answer {words})"
        return text

    def choice_texts(self, lang: str) -> list[str]:
        return [fill(self.question.choices[i].get(lang), self.params) for i in self.order]


@dataclass(frozen=True)
class Variant:
    quiz: Quiz
    student: str
    practice: bool
    questions: tuple[QuestionVariant, ...]

    def to_json(self, lang: str) -> dict:
        """The variant as SPEC.md shows it: what a student sees, never the answers."""
        items = []
        for qv in self.questions:
            q = qv.question
            item = {"id": q.id, "kind": q.kind, "text": qv.text(lang), "params": dict(qv.params), "score": q.score}
            if q.kind == "numeric":
                item["decimals"] = q.rounding
            if q.kind == "expression":
                item["variables"] = list(q.variables)
            if q.kind == "choice":
                item["choices"] = qv.choice_texts(lang)
                item["multiple"] = q.multiple
            items.append(item)
        return {
            "schema": "grade.quiz/1",
            "quiz": self.quiz.id,
            "student": self.student,
            "title": self.quiz.title.get(lang),
            "practice": self.practice,
            "lang": lang,
            "max_score": self.quiz.max_score,
            "questions": items,
        }


PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(text: str, values: dict[str, float]) -> str:
    """``{name}`` of a known value replaced by the value; every other brace left alone (LaTeX)."""
    return PLACEHOLDER.sub(lambda m: number_text(values[m[1]]) if m[1] in values else m[0], text)


def student_rng(secret: str, quiz_id: str, student: str, question_id: str) -> random.Random:
    message = b"\0".join([b"grade-quiz", quiz_id.encode(), student.encode(), question_id.encode()])
    return random.Random(hmac.new(secret.encode(), message, hashlib.sha256).digest())


def draw_variant(quiz: Quiz, prepared: list[Prepared], secret: str, student: str, practice: bool) -> Variant:
    questions = tuple(draw_question(quiz, p, student_rng(secret, quiz.id, student, p.question.id)) for p in prepared)
    return Variant(quiz, student, practice, questions)


def draw_question(quiz: Quiz, p: Prepared, rng: random.Random, plant: bool = True) -> QuestionVariant:
    """The first usable draw where no classic mistake passes (``plant=False``: the first usable draw)."""
    q = p.question
    last, best = None, None
    for _ in range(MAX_REDRAWS if q.params else 1):
        drawn = {}
        for name, spec in q.params.items():
            drawn[name] = rng.choice([v for v in spec.grid() if v not in spec.exclude])
        try:
            qv = _answer(p, drawn, rng)
        except (EvaluationError, Undefined, DomainError, Redraw) as exc:
            last = exc
            continue
        passing = qv.passing_mistakes() if plant else []
        if passing:  # only then is it worth knowing which are the key by construction (computed once)
            passing = [m for m in passing if m not in structural(quiz, p)]
        if not passing:
            return qv
        if best is None or len(passing) < len(best.weak):
            best = replace(qv, weak=tuple(passing))
    if best is not None:
        return best
    raise ExerciseError(
        quiz.path,
        None,
        f"questions[{p.index}]",
        f"no usable draw in {MAX_REDRAWS if q.params else 1} attempt(s): {last}",
    )


STRUCTURAL_SAMPLES = 24


def structural(quiz: Quiz, p: Prepared) -> frozenset[str]:
    """Mistakes equal to the key by the question's construction (a forgotten upstream that is always
    1, σ′ unchanged by a lost sign, ∂L/∂w0 = ∂L/∂z at an add gate): no draw can avoid them, and they
    are no mistake here. Found at generic points: every drawn parameter moved off its grid by a
    random fraction of a step, so that only identities survive (an η drawn from [1] alone does not:
    ignoring it is a real mistake, and ``grade check`` reports the question weak). Computed once per
    question, from a fixed seed."""
    if "structural" not in p.cache:
        rng = random.Random(f"structural\0{quiz.id}\0{p.question.id}")
        common: set[str] | None = None
        samples = 0
        for _ in range(STRUCTURAL_SAMPLES * 4 if p.question.kind == "numeric" else 0):
            try:
                qv = _answer(p, _generic_draw(p.question, rng), rng)
            except (EvaluationError, Undefined, DomainError, Redraw):
                continue
            found = set(qv.passing_mistakes())
            common = found if common is None else common & found
            samples += 1
            if not common or samples == STRUCTURAL_SAMPLES:
                break
        p.cache["structural"] = frozenset(common or ())
    return p.cache["structural"]


def _generic_draw(q: Question, rng: random.Random) -> dict[str, float]:
    drawn = {}
    for name, spec in q.params.items():
        grid = [v for v in spec.grid() if v not in spec.exclude]
        spread = spec.step if spec.range is not None else (max(grid) - min(grid)) / len(grid) or 0.5
        drawn[name] = rng.choice(grid) + rng.uniform(0.1, 0.4) * rng.choice([-1, 1]) * spread
    return drawn


def _answer(p: Prepared, drawn: dict[str, float], rng: random.Random) -> QuestionVariant:
    q = p.question
    if q.kind == "choice":
        order = list(range(len(q.choices)))
        if q.shuffle:
            rng.shuffle(order)
        return QuestionVariant(p, drawn, order=tuple(order))
    if q.kind == "expression":
        key = substitute(p.key, drawn)
        return QuestionVariant(p, drawn, key=key)
    if p.graph is None:
        return QuestionVariant(p, drawn, exact=evaluate(p.key, drawn), chain=None)
    point = {**p.base, **{k: v for k, v in drawn.items() if k in p.graph.inputs}}
    point = {name: point[name] for name in p.graph.inputs}
    reference = trace(p.graph, point)
    for name, (lo, hi) in q.within.items():
        if not lo <= reference.values[name] <= hi:
            raise Redraw(f"{name} = {reference.values[name]:.4g} is outside [{lo:g}, {hi:g}]")
    exact = evaluate(p.key, {**point, **drawn}, refs_of(reference))
    try:
        by_hand = lecture_trace(p.graph, point, q.rounding, reference)
        chain = evaluate(p.key, {**point, **drawn}, refs_of(by_hand))
    except (ArithmeticError, ValueError):
        chain = None
    return QuestionVariant(p, {**point, **drawn}, exact=exact, chain=chain)


def lecture_trace(graph: Graph, point: dict[str, float], decimals: int, exact: Trace) -> Trace:
    """The trace a student gets by hand: every value and gradient on the graph rounded before use.

    Where the rounded values leave a gate's domain (ŷ rounded to 1.00 in log(1 − ŷ)), that gate
    keeps its exact value and local gradients: the hand computation is only ever pulled towards
    the exact one, never made up.
    """
    tr = Trace(point=dict(point))
    tr.values.update(point)
    for node in graph.nodes:
        args = tr.args_of(node)
        try:
            out = round(float(node.gate.forward(args)), decimals)
            local = tuple(float(g) for g in node.gate.local(args, out))
        except (ArithmeticError, ValueError):
            out, local = round(exact.values[node.name], decimals), exact.locals[node.name]
        tr.values[node.name], tr.locals[node.name] = out, local
    grads = {name: 0.0 for name in tr.values}
    grads[graph.output] = 1.0
    for node in reversed(graph.nodes):
        upstream = grads[node.name] = round(grads[node.name], decimals)
        for arg, g in zip(node.args, tr.locals[node.name], strict=True):
            if isinstance(arg, str):
                grads[arg] += upstream * g
    tr.grads = {name: round(g, decimals) for name, g in grads.items()}
    return tr
