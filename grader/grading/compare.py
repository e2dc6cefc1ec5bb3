"""Expected values + the child's replies + the tolerance → checks, scores, blame and mistakes.

Blame follows the direction of the pass: for gradient tasks it falls on the wrong node nearest the
output (where backpropagation first meets the error), for ``forward`` tasks on the wrong node
nearest the inputs. Because every node was probed with correct inputs and upstream, a node is
only ever wrong by its own mistake, so every wrong node is real and listed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from grader.exercise.points import Point
from grader.exercise.spec import Exercise, Task, Tolerance
from grader.grading import mistakes
from grader.grading.probe import Probe
from grader.grading.verdict import Blame, Check, Failure, TaskResult, Why
from grader.isolation.sandbox import Bad, CallResult


@dataclass(frozen=True)
class Reading:
    """One reply, checked: the number(s) if it was usable, else why not."""

    value: object  # float, list[float] or dict[str, float] when usable
    problem: Why | None


def read_reply(result: CallResult | None, probe: Probe) -> Reading:
    """Check a reply is a plain finite number (or sequence, or mapping) of the expected shape."""
    if result is None:
        return Reading(None, Why("not_run"))
    if not result.ok:
        params = {"kind": result.kind, "type": result.type, "message": result.message, "line": result.line}
        return Reading(None, Why("raised" if result.kind == "exception" else "stopped", params))
    value, expected = result.value, probe.expected
    if isinstance(expected, float):
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        return _number(value)
    if isinstance(expected, tuple):
        if not isinstance(value, list):
            what = value.what if isinstance(value, Bad) else "a single number"
            return Reading(None, Why("shape", {"count": len(expected), "returned": what}))
        if len(value) != len(expected):
            return Reading(None, Why("shape", {"count": len(expected), "returned": f"{len(value)} values"}))
        for item in value:
            if not isinstance(item, float):
                return _number(item)
        return Reading(value, None)
    if not isinstance(value, dict):
        what = value.what if isinstance(value, Bad) else type(value).__name__
        return Reading(None, Why("not_a_dict", {"returned": what}))
    missing = [k for k in expected if k not in value]
    if missing:
        return Reading(None, Why("missing_keys", {"keys": missing}))
    picked = {k: value[k] for k in expected}
    for item in picked.values():
        if not isinstance(item, float):
            return _number(item)
    return Reading(picked, None)


def _number(value) -> Reading:
    if isinstance(value, float):
        return Reading(value, None)
    if isinstance(value, Bad) and value.what in ("nan", "inf", "-inf"):
        return Reading(None, Why("nan", {"what": value.what}))
    what = value.what if isinstance(value, Bad) else ("a sequence" if isinstance(value, list) else "a mapping")
    text = value.text if isinstance(value, Bad) else ""
    return Reading(None, Why("not_a_number", {"what": what, "text": text}))


def is_close(tol: Tolerance, got, expected) -> bool:
    if isinstance(expected, float):
        return tol.close(got, expected)
    if isinstance(expected, tuple):
        return all(tol.close(g, e) for g, e in zip(got, expected))
    return all(tol.close(got[k], expected[k]) for k in expected)


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


def grade_task(
    exercise: Exercise,
    index: int,
    task: Task,
    probes: list[tuple[int, Probe]],
    results: dict[int, CallResult],
    points: list[Point],
) -> TaskResult:
    """Checks for every probe of one task, its score, and its blame."""
    checks: list[Check] = []
    tol = exercise.tolerance
    answers: dict[str | None, list[tuple[Probe, object]]] = {}
    stopped: Failure | None = None
    for pid, probe in probes:
        reading = read_reply(results.get(pid), probe)
        ok = reading.problem is None and is_close(exercise.tolerance, reading.value, probe.expected)
        rows = [
            (name, expected, got, ok if name == probe.node else reading.problem is None and tol.close(got, expected))
            for name, expected, got in _split(task, probe, reading)
        ]
        if probe.point.label.startswith("hidden-"):
            reading, rows = withheld(probe, ok, rows)
        if reading.problem and reading.problem.code == "stopped" and stopped is None:
            params = reading.problem.params
            stopped = Failure(
                params["kind"],
                Why(
                    "stopped_at", {**params, "function": task.function, "point": probe.point.label, "node": probe.node}
                ),
            )
        for name, expected, got, name_ok in rows:
            checks.append(
                Check(
                    point=probe.point.label,
                    node=name,
                    expected=_jsonable(expected) if probe.point.public else None,
                    got=None if got is None else _jsonable(got),
                    ok=name_ok,
                    public=probe.point.public,
                    why=None if name_ok else (reading.problem or Why("wrong")),
                )
            )
        answers.setdefault(probe.node, []).append((probe, reading.value if not reading.problem else reading))
    passed = sum(c.ok for c in checks)
    score = round(task.score * passed / len(checks), 4) if checks else 0.0
    blame, also, checks = _blame(exercise, task, checks, answers, points)
    return TaskResult(
        task.function, task.kind, score, task.score, passed == len(checks), tuple(checks), blame, tuple(also), stopped
    )


WITHHELD = Why("wrong_secret")


def withheld(probe: Probe, ok: bool, rows: list[tuple]) -> tuple[Reading, list[tuple]]:
    """What a hidden point's reply becomes, before anything else reads it: whether each answer was
    right, and nothing more.

    The student controls what comes back (values, strings, exception types and texts, line numbers,
    which limit it hit) and could carry the point's inputs out in any of them (``raise
    type(repr(x), ...)``). This is the one place where a hidden reply is read: checks, blame, mistake
    diagnosis and so every report, JSON, gradebook row and export only ever see the right answer
    (the reference's own value) or ``WITHHELD``. The printed output is withheld in ``api``."""
    reading = Reading(probe.expected, None) if ok else Reading(None, WITHHELD)
    return reading, [(name, expected, None, name_ok) for name, expected, _got, name_ok in rows]


def _first_bad(answers, codes: tuple[str, ...]) -> Reading | None:
    """The first failed reply with one of ``codes``, a public point's first (hidden ones are withheld)."""
    found = [(p, a) for p, a in answers if isinstance(a, Reading) and a.problem.code in codes]
    found.sort(key=lambda pa: not pa[0].point.public)
    return found[0][1] if found else None


def _split(task: Task, probe: Probe, reading: Reading):
    """One check per node for per-node tasks; one per name for ``gradients`` and ``step``."""
    if probe.node is not None or not isinstance(probe.expected, dict):
        yield probe.node, probe.expected, reading.value
        return
    for name, expected in probe.expected.items():
        got = reading.value.get(name) if isinstance(reading.value, dict) else None
        yield name, expected, got


def _blame(exercise: Exercise, task: Task, checks: list[Check], answers, points: list[Point]):
    wrong = list(dict.fromkeys(c.node for c in checks if not c.ok))
    if not wrong:
        return None, [], checks
    graph = exercise.built
    depth = graph.depth_from_output()
    order = {n.name: i for i, n in enumerate(graph.nodes)}
    if task.kind == "forward":
        wrong.sort(key=lambda n: order.get(n, -1))
    else:
        wrong.sort(key=lambda n: (depth.get(n, 10**6), -order.get(n, -1)))
    blames = []
    if task.kind in ("gradients", "step"):
        blames = _whole_graph_blame(exercise, task, answers.get(None, []), points, wrong)
    else:
        for name in wrong:
            node = graph.by_name[name]
            node_answers = answers.get(name, [])
            bad = _first_bad(node_answers, ("raised", "stopped", "nan", "not_a_number", "shape"))
            if bad is not None and bad.problem.code in ("raised", "stopped"):
                blames.append(
                    Blame(name, None, Why("blame.raised", {"node": name, "op": node.op, **bad.problem.params}))
                )
                continue
            if bad is not None and bad.problem.code in ("nan", "not_a_number"):
                code = "nan" if bad.problem.code == "nan" else "not_a_number"
                blames.append(
                    Blame(name, code, Why(f"blame.{code}", {"node": name, "op": node.op, **bad.problem.params}))
                )
                continue
            found = mistakes.diagnose_node(task.kind, node, node_answers)
            mistake, params = found if found else (None, {})
            count = sum(1 for c in checks if c.node == name and not c.ok)
            total = sum(1 for c in checks if c.node == name)
            blames.append(
                Blame(
                    name,
                    mistake,
                    Why(
                        f"blame.{mistake or 'wrong'}",
                        {"node": name, "op": node.op, "wrong": count, "total": total, **params},
                    ),
                )
            )
    marked = {b.node: b.mistake for b in blames}
    checks = [c if c.ok or c.mistake else replace(c, mistake=marked.get(c.node)) for c in checks]
    return blames[0], blames[1:], checks


def _whole_graph_blame(exercise: Exercise, task: Task, answers, points: list[Point], wrong: list[str]):
    values = [a if isinstance(a, dict) else None for _, a in answers]
    probe_points = [p.point for p, _ in answers]
    bad = _first_bad(answers, ("nan", "not_a_number", "raised", "stopped"))
    if bad is not None and bad.problem.code in ("raised", "stopped"):
        return [Blame(wrong[0], None, Why("blame.raised", {"node": wrong[0], **bad.problem.params}))]
    if bad is not None:
        code = bad.problem.code
        return [Blame(wrong[0], code, Why(f"blame.{code}", {"node": wrong[0], **bad.problem.params}))]
    if task.kind == "step":
        return [_step_blame(task, answers, wrong)]
    found = mistakes.diagnose_graph(exercise.built, probe_points, values, list(task.wrt or []))
    if found:
        node, mistake, params = found[0]
        others = [f"{n} ({m})" for n, m, _ in found[1:4]]
        op = exercise.built.by_name[node].op if node in exercise.built.by_name else "input"
        return [
            Blame(
                node,
                mistake,
                Why(
                    f"blame.{mistake}",
                    {"node": node, "op": op, "wrong_inputs": wrong, "alternatives": others, **params},
                ),
            )
        ]
    return [Blame(wrong[0], None, Why("blame.wrong_inputs", {"node": wrong[0], "wrong_inputs": wrong}))]


def _step_blame(task: Task, answers, wrong: list[str]) -> Blame:
    lr = float(task.lr or 0.0)
    usable = [(p, a) for p, a in answers if isinstance(a, dict)]

    def fits(rule) -> bool:
        return bool(usable) and all(
            mistakes.close(a[k], rule(p.point.values[k], p.point.trace.grads[k])) for p, a in usable for k in a
        )

    if fits(lambda w, g: w + lr * g):
        return Blame(wrong[0], "ascent", Why("blame.ascent", {"node": wrong[0], "lr": lr}))
    ratio = mistakes._common_factor(
        ({k: p.point.values[k] - a[k] for k in a}, {k: lr * p.point.trace.grads[k] for k in a}) for p, a in usable
    )
    if ratio is not None:
        return Blame(
            wrong[0], "off_by_factor", Why("blame.step_factor", {"node": wrong[0], "factor": round(1 / ratio, 6)})
        )
    return Blame(wrong[0], None, Why("blame.wrong_inputs", {"node": wrong[0], "wrong_inputs": wrong}))
