"""Results as frozen data, and their JSON form (SPEC.md, ``grade submit --json``).

Words are not decided here: each message is carried as a ``Why`` (a code and its parameters),
and ``explain`` turns it into Korean or English. The JSON keeps both the text in the requested
language and the ``why``, so a report can be rendered again in the other language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

SCHEMA = "grade.result/1"

Number = float | list | dict | None  # expected and got: a number, a sequence or a mapping


@dataclass(frozen=True)
class Why:
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    point: str
    node: str | None
    expected: Number  # None at hidden and random points: never revealed
    got: Number | str  # a str describes what came back when it was not a number
    ok: bool
    public: bool = True
    why: Why | None = None
    message: str | None = None
    mistake: str | None = None


@dataclass(frozen=True)
class Blame:
    node: str
    mistake: str | None
    why: Why
    message: str = ""


@dataclass(frozen=True)
class EffectRow:
    name: str
    expected: float | None
    got: float | None


@dataclass(frozen=True)
class Effect:
    """The end-to-end result of the student's answers at one public point."""

    point: str
    what: str  # "gradients" (of the graph's inputs) or "values" (forward, of the nodes)
    rows: tuple[EffectRow, ...]


@dataclass(frozen=True)
class Failure:
    kind: str  # syntax_error, missing_function, bad_signature, timeout, memory, output, crash, forbidden, bad_file
    why: Why
    message: str = ""
    line: int | None = None


@dataclass(frozen=True)
class TaskResult:
    function: str
    kind: str
    score: float
    max_score: float
    passed: bool
    checks: tuple[Check, ...] = ()
    blame: Blame | None = None
    also: tuple[Blame, ...] = ()  # other wrong nodes, nearest the blamed one first
    error: Failure | None = None
    effect: tuple[Effect, ...] = ()
    hint: dict[str, str] | None = None  # the instructor's hint for this task, {"ko": ..., "en": ...}

    @property
    def stopped_only(self) -> bool:
        """Every failed check is a call that did not finish (it hung, crashed, ran out of memory, …)."""
        failed = [c for c in self.checks if not c.ok]
        return bool(failed) and all(c.why is not None and c.why.code == "stopped" for c in failed)

    @property
    def hint_helps(self) -> bool:
        """Failed, with a hint, and not only because its calls did not finish: a hint about the
        formula says nothing to a function that never returned."""
        return bool(self.hint) and not self.passed and not self.stopped_only


@dataclass(frozen=True)
class Verdict:
    exercise: str
    student: str | None
    status: str  # graded | error
    score: float
    max_score: float
    error: Failure | None = None
    tasks: tuple[TaskResult, ...] = ()
    output: str = ""  # what the student's code printed, bounded
    lang: str = "en"
    points: dict[str, dict[str, float]] = field(default_factory=dict)  # the public points' inputs
    effect: tuple[Effect, ...] = ()  # the student's gates chained end to end, at public points
    output_withheld: bool = False  # graded at hidden points: only what loading printed is kept

    @property
    def full_marks(self) -> bool:
        return self.status == "graded" and self.score >= self.max_score - 1e-9

    def with_student(self, student: str | None) -> Verdict:
        return replace(self, student=student)

    def to_json(self) -> dict[str, Any]:
        data = {"schema": SCHEMA, **asdict(self)}
        return data


def from_json(data: dict[str, Any]) -> Verdict:
    """The inverse of ``Verdict.to_json`` (for the gradebook and the site)."""

    def why(d):
        return Why(d["code"], dict(d.get("params") or {})) if d else None

    def failure(d):
        return Failure(d["kind"], why(d["why"]), d.get("message", ""), d.get("line")) if d else None

    def blame(d):
        return Blame(d["node"], d.get("mistake"), why(d["why"]), d.get("message", "")) if d else None

    def effects(items):
        return tuple(Effect(e["point"], e["what"], tuple(EffectRow(**r) for r in e["rows"])) for e in items)

    tasks = []
    for t in data.get("tasks", []):
        checks = tuple(
            Check(
                c["point"],
                c.get("node"),
                c.get("expected"),
                c.get("got"),
                c["ok"],
                c.get("public", True),
                why(c.get("why")),
                c.get("message"),
                c.get("mistake"),
            )
            for c in t.get("checks", [])
        )
        effect = effects(t.get("effect", []))
        tasks.append(
            TaskResult(
                t["function"],
                t["kind"],
                t["score"],
                t["max_score"],
                t["passed"],
                checks,
                blame(t.get("blame")),
                tuple(blame(b) for b in t.get("also", [])),
                failure(t.get("error")),
                effect,
                t.get("hint"),
            )
        )
    return Verdict(
        data["exercise"],
        data.get("student"),
        data["status"],
        data["score"],
        data["max_score"],
        failure(data.get("error")),
        tuple(tasks),
        data.get("output", ""),
        data.get("lang", "en"),
        data.get("points", {}),
        effects(data.get("effect", [])),
        bool(data.get("output_withheld", False)),
    )
