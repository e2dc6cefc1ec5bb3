"""Validated, frozen models of a quiz file (SPEC.md, "Quiz file").

pydantic checks shapes and the keys each kind of question takes; ``grader.quiz.quizzes`` adds the checks
that need the whole file or other files (the graph an answer refers to, the names in an answer,
parameters shown in the text) and turns every failure into ``file:line: key.path: message``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt, StrictStr, field_validator, model_validator

from grader.exercise.spec import FromFile, GraphSpec, Text, is_identifier

Number = Annotated[float, Field(allow_inf_nan=False)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_GRID = 100_000
ONLY = {  # the keys only one kind of question takes
    "numeric": ("graph", "at", "decimals", "tolerance", "within"),
    "expression": ("variables", "gate", "wrt", "domain"),
    "choice": ("choices", "shuffle"),
}
Kind = Literal["numeric", "expression", "choice"]


class ParamSpec(Model):
    """A parameter drawn per student: from ``range`` on a grid of ``step``, or from ``choices``."""

    range: tuple[Number, Number] | None = None
    step: Number = Field(default=1.0, gt=0)
    choices: list[Number] | None = None
    exclude: list[Number] = []

    @model_validator(mode="after")
    def _one_source(self):
        if (self.range is None) == (self.choices is None):
            raise ValueError("give exactly one of 'range' or 'choices'")
        if self.range is not None:
            lo, hi = self.range
            if lo > hi:
                raise ValueError(f"the range [{lo:g}, {hi:g}] is empty")
            if (hi - lo) / self.step > MAX_GRID:
                raise ValueError(f"the range has more than {MAX_GRID} steps of {self.step:g}")
        if self.choices is not None and not self.choices:
            raise ValueError("give at least one choice")
        if not [v for v in self.grid() if v not in self.exclude]:
            raise ValueError("every value is excluded")
        return self

    def grid(self) -> list[float]:
        if self.choices is not None:
            return [float(c) for c in self.choices]
        lo, hi = self.range or (0.0, 0.0)
        count = int((hi - lo) / self.step + 1e-9) + 1
        digits = max(0, -int(f"{self.step:e}".split("e")[1])) + 6
        return [round(lo + k * self.step, digits) for k in range(count)]


class Domain(Model):
    """Where an expression's variable lives: an open interval ``range: [lo, hi]`` or a few ``choices``
    (a label y in {0, 1}). Counterexamples and the numeric judge use only values from it."""

    range: tuple[Number, Number] | None = None
    choices: list[Number] | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.range is None) == (self.choices is None):
            raise ValueError("give exactly one of 'range' (an open interval) or 'choices'")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"the open interval ({self.range[0]:g}, {self.range[1]:g}) is empty")
        if self.choices is not None and not self.choices:
            raise ValueError("give at least one choice")
        return self


# The domains a gate's inputs have when a question with ``gate:`` declares none (by position).
GATE_DOMAINS: dict[str, tuple[Domain | None, ...]] = {
    "bce": (Domain(range=(0.0, 1.0)), Domain(choices=[0.0, 1.0])),
    "sigmoid_bce": (None, Domain(choices=[0.0, 1.0])),
    "log": (Domain(range=(0.0, 5.0)),),
    "sqrt": (Domain(range=(0.0, 5.0)),),
}


class QuestionTolerance(Model):
    atol: Number = Field(default=0.0, ge=0)
    rtol: Number = Field(default=0.0, ge=0)


class Question(Model):
    id: str
    kind: Kind
    text: Text
    score: Number = Field(default=1.0, ge=0)
    params: dict[str, ParamSpec] = {}
    explanation: Text | None = None  # shown with the result
    # numeric
    graph: StrictStr | GraphSpec | None = None
    at: dict[str, Number] = {}
    decimals: int | None = Field(default=None, ge=0, le=8)
    tolerance: QuestionTolerance | None = None
    within: dict[str, tuple[Number, Number]] = {}  # redraw until these nodes' values lie in range
    # expression
    variables: list[str] = []
    gate: str | None = None  # the answer must equal this gate's local gradient (checked by `grade check`)
    wrt: str | None = None
    domain: dict[str, Domain] = {}  # variable -> its domain (defaults from `gate:`, else all reals)
    # choice
    choices: list[Text] = []
    shuffle: bool = False
    # all kinds: value(NODE)/grad(NODE) formula, an expression, or choice index(es)
    answer: StrictInt | list[StrictInt] | StrictStr

    @field_validator("id")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not is_identifier(value):
            raise ValueError(f"'{value}' is not an identifier (letters, digits, _)")
        return value

    def problems(self) -> list[tuple[tuple, str]]:
        """The keys that do not fit the kind of question, as (key path inside the question, message).

        Checked here rather than by pydantic so that each message points at the line of its key.
        """
        found: list[tuple[tuple, str]] = []
        for kind, keys in ONLY.items():
            found += [
                ((key,), f"'{key}' belongs to {kind} questions, not {self.kind}")
                for key in keys
                if kind != self.kind and key in self.model_fields_set
            ]
        if self.kind == "choice":
            found += self._choice_problems()
        elif not isinstance(self.answer, str):
            example = "grad(w1)" if self.kind == "numeric" else "'-1/x^2'"
            found.append((("answer",), f"the answer of a {self.kind} question is a formula, e.g. {example}"))
        if self.kind == "expression" and not self.variables:
            found.append(((), "an expression question lists its 'variables', e.g. [x]"))
        if self.wrt is not None and self.wrt not in self.variables:
            found.append((("wrt",), f"'{self.wrt}' is not one of the variables {self.variables}"))
        if self.wrt is not None and self.gate is None:
            found.append((("wrt",), "'wrt' goes with 'gate'"))
        for name in self.domain:
            if name not in self.variables:
                found.append((("domain", name), f"'{name}' is not one of the variables {self.variables}"))
        return found

    def domains(self) -> dict[str, Domain]:
        """Each variable's domain: declared, else its gate's (a BCE's p in (0, 1), y in {0, 1}), else none."""
        found: dict[str, Domain] = {}
        defaults = GATE_DOMAINS.get(self.gate or "", ())
        for i, name in enumerate(self.variables):
            domain = self.domain.get(name) or (defaults[i] if i < len(defaults) else None)
            if domain is not None:
                found[name] = domain
        return found

    def _choice_problems(self) -> list[tuple[tuple, str]]:
        if len(self.choices) < 2:
            return [(("choices",), "a choice question has at least two 'choices'")]
        picks = self.answer if isinstance(self.answer, list) else [self.answer]
        if isinstance(self.answer, str) or not picks:
            return [(("answer",), "the answer of a choice question is a 0-based index, or a list of them")]
        found = [
            (("answer",), f"{pick} is not a choice index (0 to {len(self.choices) - 1})")
            for pick in picks
            if not 0 <= pick < len(self.choices)
        ]  # type: ignore[operator]
        if len(set(picks)) != len(picks):
            found.append((("answer",), "an index appears twice in the answer"))
        return found

    @property
    def multiple(self) -> bool:
        return isinstance(self.answer, list)

    @property
    def rounding(self) -> int:
        """Decimals a numeric answer is asked to (default 2, as in the lecture)."""
        return 2 if self.decimals is None else self.decimals


class Quiz(Model, FromFile):
    id: str
    title: Text
    description: Text = Text(ko="", en="")
    questions: list[Question] = Field(min_length=1)
    order: int | None = None

    _source: tuple[Path | None, str] = PrivateAttr(default=(None, ""))  # read by FromFile's path and digest
    _lines: dict = PrivateAttr(default_factory=dict)
    _prepared: list | None = PrivateAttr(default=None)  # set by grader.quiz.quizzes: graphs and parsed answers

    def set_source(self, path: Path | None, digest: str) -> None:
        self._source = (path, digest)  # a pydantic private attribute, not FromFile's frozen-dataclass write

    @property
    def max_score(self) -> float:
        return sum(q.score for q in self.questions)

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)
