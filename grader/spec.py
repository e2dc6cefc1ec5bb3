"""Validated, frozen models of an exercise file (SPEC.md, "Exercise file").

pydantic checks shapes and types (``extra="forbid"`` catches a misspelt key); the loader adds
the checks that need the whole file (names that exist, a graph without cycles, arities, points
where the reference is defined) and turns every failure into ``file:line: key.path: message``.
"""

from __future__ import annotations

import keyword
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from grader.engine import GATES, Graph, known_gates


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Model):
    """A text in Korean and English; a plain string in the YAML serves both."""

    ko: str
    en: str

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, value):
        if isinstance(value, str):
            return {"ko": value, "en": value}
        if isinstance(value, dict) and set(value) == {"ko"}:
            return {"ko": value["ko"], "en": value["ko"]}
        if isinstance(value, dict) and set(value) == {"en"}:
            return {"ko": value["en"], "en": value["en"]}
        return value

    def get(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


def is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


Number = Annotated[float, Field(allow_inf_nan=False)]
Arg = str | Number


class NodeSpec(Model):
    op: str
    args: list[Arg] = Field(min_length=1)
    label: Text | None = None  # how the lecture writes this node, e.g. ŷ

    @field_validator("op")
    @classmethod
    def _known_gate(cls, op: str) -> str:
        if op not in GATES:
            raise ValueError(f"unknown gate '{op}' (known: {known_gates()})")
        return op

    @field_validator("args", mode="before")
    @classmethod
    def _no_bools(cls, args):
        if isinstance(args, list):
            for a in args:
                if isinstance(a, bool) or a is None:
                    raise ValueError(f"{a!r} is neither a name nor a number")
        return args


class GraphSpec(Model):
    inputs: list[str] = Field(min_length=1)
    nodes: dict[str, NodeSpec] = Field(min_length=1)
    output: str

    def build(self) -> Graph:
        return Graph.build(self.inputs, {n: (s.op, tuple(s.args)) for n, s in self.nodes.items()}, self.output)


class Tolerance(Model):
    rtol: Number = Field(default=1e-6, ge=0)
    atol: Number = Field(default=1e-9, ge=0)

    def close(self, got: float, expected: float) -> bool:
        return abs(got - expected) <= self.atol + self.rtol * abs(expected)


class RandomSpec(Model):
    count: int = Field(default=0, ge=0, le=100)
    ranges: dict[str, tuple[Number, Number]] = {}
    choices: dict[str, list[Number]] = {}
    decimals: int = Field(default=3, ge=0, le=12)  # drawn values are rounded for readability


class Limits(Model):
    seconds_per_call: Number = Field(default=2.0, gt=0, le=60)
    seconds_to_load: Number = Field(default=5.0, gt=0, le=120)
    memory_mb: int = Field(default=512, ge=64, le=8192)


TaskKind = Literal["forward", "local_grad", "backward", "gradients", "step"]


class Task(Model):
    function: str
    kind: TaskKind
    op: str | None = None
    node: str | None = None
    score: Number = Field(default=1.0, ge=0)
    wrt: list[str] | None = None  # kind: gradients
    params: list[str] | None = None  # kind: step
    lr: Number | None = None  # kind: step
    hint: Text | None = None

    @field_validator("function")
    @classmethod
    def _identifier(cls, name: str) -> str:
        if not is_identifier(name):
            raise ValueError(f"'{name}' is not a valid Python function name")
        return name

    @model_validator(mode="after")
    def _keys_for_kind(self):
        per_node = self.kind in ("forward", "local_grad", "backward")
        if per_node and (self.op is None) == (self.node is None):
            raise ValueError(f"a '{self.kind}' task names exactly one of 'op' or 'node'")
        if not per_node and (self.op or self.node):
            raise ValueError(f"a '{self.kind}' task names no 'op' or 'node'")
        if self.kind == "gradients" and not self.wrt:
            raise ValueError("a 'gradients' task needs 'wrt': the inputs to differentiate by")
        if self.kind == "step" and (not self.params or self.lr is None):
            raise ValueError("a 'step' task needs 'params' and 'lr'")
        if self.op is not None and self.op not in GATES:
            raise ValueError(f"unknown gate '{self.op}' (known: {known_gates()})")
        return self


class FromFile(Model):
    """A model read from a YAML file: where it came from and the file's sha256, set by the loader."""

    _path: Path | None = PrivateAttr(default=None)
    _digest: str = PrivateAttr(default="")

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def digest(self) -> str:
        """sha256 of the file, so a gradebook can tell when it changed."""
        return self._digest


class Exercise(FromFile):
    id: str
    title: Text
    description: Text = Text(ko="", en="")
    graph: GraphSpec
    points: list[dict[str, Number]] = Field(min_length=1)
    random: RandomSpec = RandomSpec()
    tasks: list[Task] = Field(min_length=1)
    tolerance: Tolerance = Tolerance()
    allowed_imports: list[str] = ["math"]
    limits: Limits = Limits()
    same_gradients_as: list[str] = []  # exercises whose graphs must give the same input gradients
    order: int | None = None  # position in the course, for listings

    _graph: Graph | None = PrivateAttr(default=None)

    @property
    def built(self) -> Graph:
        """The graph in topological order (built once, by the loader)."""
        if self._graph is None:
            self._graph = self.graph.build()
        return self._graph

    def task_nodes(self, task: Task) -> list[str]:
        """The nodes a per-node task covers, in topological order."""
        return [n.name for n in self.built.nodes if n.name == task.node or n.op == task.op]

    @property
    def max_score(self) -> float:
        return sum(t.score for t in self.tasks)
