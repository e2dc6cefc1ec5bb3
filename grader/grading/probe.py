"""One probe: a question to the student's code and the answer it should get (the type, and the
expected values of a gate's local rule). A leaf of the grading wing: ``probes`` builds probes from
an exercise; ``compare``, ``mistakes`` and ``routines`` read them without importing ``probes``,
which hands the routine task kinds over to ``routines`` (so no import goes round in a circle).
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.engine import Node
from grader.exercise.points import Point

Expected = float | tuple[float, ...] | dict[str, float]


@dataclass(frozen=True)
class Probe:
    task: int  # index into exercise.tasks
    point: Point
    node: str | None  # None for whole-graph tasks
    args: tuple
    upstream: float | None
    out: float | None
    expected: Expected


def expected_local(node: Node, point: Point) -> tuple[float, ...]:
    """The derivatives a student answers for: d out / d arg for the gate's graded arguments."""
    local = point.trace.locals[node.name]
    return local[: node.gate.graded_count(len(node.args))]


def shape(value: tuple[float, ...]) -> Expected:
    return value[0] if len(value) == 1 else value
