"""Validated, frozen models of an exercise file (SPEC.md, "Exercise file").

Plain frozen dataclasses, so that grading an exercise never imports pydantic: the loader
validates a new file with pydantic (which understands these classes through the small hooks
below, imported only then) and keeps the result in a cache that is read back without it.
pydantic checks shapes and types (unknown keys are refused); the loader adds the checks that
need the whole file (names that exist, a graph without cycles, arities, points where the
reference is defined) and turns every failure into ``file:line: key.path: message``.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from grader.engine import GATES, Graph, known_gates

# How pydantic validates these classes: a misspelt key is an error, and no number may be NaN or inf.
CONFIG = {"extra": "forbid", "allow_inf_nan": False}


class Bounds:
    """``Annotated`` marker: constraints on the validated value (``ge``, ``min_length``, ...)."""

    def __init__(self, **constraints: Any) -> None:
        self.constraints = constraints

    def __get_pydantic_core_schema__(self, source, handler):
        schema = handler(source)
        schema.update(self.constraints)
        return schema


class Check:
    """``Annotated`` marker: ``check(value)`` raises ValueError on a bad value, after (or before) its type."""

    def __init__(self, check, before: bool = False) -> None:
        self.check, self.before = check, before

    def __get_pydantic_core_schema__(self, source, handler):
        from pydantic_core import core_schema

        def run(value):
            self.check(value)
            return value

        wrap = (
            core_schema.no_info_before_validator_function
            if self.before
            else core_schema.no_info_after_validator_function
        )
        return wrap(run, handler(source))


def is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _known_gate(op: str | None) -> None:
    if op is not None and op not in GATES:
        raise ValueError(f"unknown gate '{op}' (known: {known_gates()})")


def _no_bools(args: Any) -> None:
    if isinstance(args, list):
        for a in args:
            if isinstance(a, bool) or a is None:
                raise ValueError(f"{a!r} is neither a name nor a number")


def _identifier(name: str) -> None:
    if not is_identifier(name):
        raise ValueError(f"'{name}' is not a valid Python function name")


Number = float  # finite: CONFIG forbids NaN and infinity
Arg = str | Number
Gate = Annotated[str, Check(_known_gate)]


@dataclass(frozen=True, kw_only=True)
class Text:
    """A text in Korean and English; a plain string in the YAML serves both."""

    __pydantic_config__ = CONFIG
    ko: str
    en: str

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        # Built by hand rather than from the dataclass: pydantic would reuse the plain dataclass
        # schema wherever Text appears again (in a union, a list), skipping the string form.
        from pydantic_core import core_schema as cs

        text = cs.typed_dict_field(cs.str_schema())
        fields = cs.typed_dict_schema({"ko": text, "en": text}, extra_behavior="forbid")
        return cs.no_info_before_validator_function(
            cls._from_plain,
            cs.no_info_after_validator_function(lambda d: cls(**d), fields),
            serialization=cs.plain_serializer_function_ser_schema(lambda t: {"ko": t.ko, "en": t.en}),
        )

    @staticmethod
    def _from_plain(value):
        if isinstance(value, Text):
            return {"ko": value.ko, "en": value.en}
        if isinstance(value, str):
            return {"ko": value, "en": value}
        if isinstance(value, dict) and set(value) == {"ko"}:
            return {"ko": value["ko"], "en": value["ko"]}
        if isinstance(value, dict) and set(value) == {"en"}:
            return {"ko": value["en"], "en": value["en"]}
        return value

    def get(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


@dataclass(frozen=True, kw_only=True)
class NodeSpec:
    __pydantic_config__ = CONFIG
    op: Gate
    args: Annotated[list[Arg], Bounds(min_length=1), Check(_no_bools, before=True)]
    label: Text | None = None  # how the lecture writes this node, e.g. ŷ


@dataclass(frozen=True, kw_only=True)
class GraphSpec:
    __pydantic_config__ = CONFIG
    inputs: Annotated[list[str], Bounds(min_length=1)]
    nodes: Annotated[dict[str, NodeSpec], Bounds(min_length=1)]
    output: str

    def build(self) -> Graph:
        return Graph.build(self.inputs, {n: (s.op, tuple(s.args)) for n, s in self.nodes.items()}, self.output)


@dataclass(frozen=True, kw_only=True)
class Tolerance:
    __pydantic_config__ = CONFIG
    rtol: Annotated[Number, Bounds(ge=0)] = 1e-6
    atol: Annotated[Number, Bounds(ge=0)] = 1e-9

    def close(self, got: float, expected: float) -> bool:
        return abs(got - expected) <= self.atol + self.rtol * abs(expected)


@dataclass(frozen=True, kw_only=True)
class RandomSpec:
    __pydantic_config__ = CONFIG
    count: Annotated[int, Bounds(ge=0, le=100)] = 0
    ranges: dict[str, tuple[Number, Number]] = field(default_factory=dict)
    choices: dict[str, list[Number]] = field(default_factory=dict)
    decimals: Annotated[int, Bounds(ge=0, le=12)] = 3  # drawn values are rounded for readability


@dataclass(frozen=True, kw_only=True)
class Limits:
    __pydantic_config__ = CONFIG
    seconds_per_call: Annotated[Number, Bounds(gt=0, le=60)] = 2.0
    seconds_to_load: Annotated[Number, Bounds(gt=0, le=120)] = 5.0
    memory_mb: Annotated[int, Bounds(ge=64, le=8192)] = 512


TaskKind = Literal["forward", "local_grad", "backward", "gradients", "step", "descent", "gradient_check"]


@dataclass(frozen=True, kw_only=True)
class Task:
    __pydantic_config__ = CONFIG
    function: Annotated[str, Check(_identifier)]
    kind: TaskKind
    op: Gate | None = None
    node: str | None = None
    score: Annotated[Number, Bounds(ge=0)] = 1.0
    wrt: list[str] | None = None  # kind: gradients
    params: list[str] | None = None  # kind: step
    lr: Number | None = None  # kind: step
    hint: Text | None = None
    pure: bool = False  # the function must leave its input dicts unchanged (checked after every call)
    steps: Annotated[int, Bounds(ge=1, le=100)] | None = None  # kind: descent

    def __post_init__(self) -> None:
        per_node = self.kind in ("forward", "local_grad", "backward")
        if per_node and (self.op is None) == (self.node is None):
            raise ValueError(f"a '{self.kind}' task names exactly one of 'op' or 'node'")
        if not per_node and (self.op or self.node):
            raise ValueError(f"a '{self.kind}' task names no 'op' or 'node'")
        if self.kind in ("gradients", "gradient_check") and not self.wrt:
            raise ValueError(f"a '{self.kind}' task needs 'wrt': the inputs to differentiate by")
        if self.kind in ("step", "descent") and (not self.params or self.lr is None):
            raise ValueError(f"a '{self.kind}' task needs 'params' and 'lr'")
        if (self.kind == "descent") != (self.steps is not None):
            raise ValueError("'steps' (how many gradient-descent steps) goes with a 'descent' task, and only there")
        if self.pure and self.kind not in ("step", "descent", "gradient_check"):
            raise ValueError(f"'pure' needs inputs that can change: a '{self.kind}' task's inputs are numbers")


class FromFile:
    """Something read from a YAML file: where it came from and the file's sha256, set by its loader."""

    def set_source(self, path: Path | None, digest: str) -> None:
        object.__setattr__(self, "_source", (path, digest))

    @property
    def path(self) -> Path | None:
        return getattr(self, "_source", (None, ""))[0]

    @property
    def digest(self) -> str:
        """sha256 of the file, so a gradebook can tell when it changed."""
        return getattr(self, "_source", (None, ""))[1]


@dataclass(frozen=True, kw_only=True)
class Exercise(FromFile):
    __pydantic_config__ = CONFIG
    id: str
    title: Text
    description: Text = Text(ko="", en="")
    graph: GraphSpec
    points: Annotated[list[dict[str, Number]], Bounds(min_length=1)]
    # extreme points (large |z|) where a naive formula overflows or loses precision; inputs not
    # given take the first public point's values; graded and shown like public points
    edge_points: list[dict[str, Number]] = field(default_factory=list)
    random: RandomSpec = RandomSpec()
    tasks: Annotated[list[Task], Bounds(min_length=1)]
    tolerance: Tolerance = Tolerance()
    allowed_imports: list[str] = field(default_factory=lambda: ["math"])
    limits: Limits = Limits()
    same_gradients_as: list[str] = field(default_factory=list)  # exercises whose input gradients must agree
    order: int | None = None  # position in the course, for listings

    @cached_property
    def built(self) -> Graph:
        """The graph in topological order (built once)."""
        return self.graph.build()

    def task_nodes(self, task: Task) -> list[str]:
        """The nodes a per-node task covers, in topological order."""
        return [n.name for n in self.built.nodes if n.name == task.node or n.op == task.op]

    @property
    def max_score(self) -> float:
        return sum(t.score for t in self.tasks)

    @classmethod
    def from_plain(cls, data: dict) -> Exercise:
        """Rebuild from ``dataclasses.asdict`` of a validated exercise (the loader's cache), without pydantic."""

        def text(value: dict | None) -> Text | None:
            return None if value is None else Text(**value)

        graph = data["graph"]
        rnd = data["random"]
        return cls(
            **{
                **data,
                "title": text(data["title"]),
                "description": text(data["description"]),
                "graph": GraphSpec(
                    inputs=list(graph["inputs"]),
                    nodes={
                        n: NodeSpec(op=s["op"], args=list(s["args"]), label=text(s["label"]))
                        for n, s in graph["nodes"].items()
                    },
                    output=graph["output"],
                ),
                "random": RandomSpec(**{**rnd, "ranges": {k: tuple(v) for k, v in rnd["ranges"].items()}}),
                "tasks": [Task(**{**t, "hint": text(t["hint"])}) for t in data["tasks"]],
                "tolerance": Tolerance(**data["tolerance"]),
                "limits": Limits(**data["limits"]),
            }
        )
