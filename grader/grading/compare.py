"""Expected values + the child's replies + the tolerance → checks, scores, blame and mistakes.

Blame follows the direction of the pass: for gradient tasks it falls on the wrong node nearest the
output (where backpropagation first meets the error), for ``forward`` tasks on the wrong node
nearest the inputs. Because every node was probed with correct inputs and upstream, a node is
only ever wrong by its own mistake, so every wrong node is real and listed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from grader.exercise.points import EDGE, Point
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
    # Each name is checked on its own: a reply that lacks one name, or has a string for it, still
    # earns the names it got right. The first problem is kept for the messages.
    picked = {k: value[k] for k in expected if k in value}
    missing = [k for k in expected if k not in value]
    for key, item in picked.items():
        if not isinstance(item, float):
            problem = _number(item).problem
            return Reading(picked, Why(problem.code, {**problem.params, "key": key}))
    return Reading(picked, Why("missing_keys", {"keys": missing}) if missing else None)


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
        rows = []  # (name, expected, got, right, why not) for each name the reply answers
        for name, expected, got in _split(task, probe, reading):
            problem = reading.problem
            if name == probe.node:
                name_ok = ok
            else:  # one name of a whole-graph reply: right or wrong on its own
                problem = _name_problem(reading, name, got)
                name_ok = problem is None and tol.close(got, expected)
                got = got if isinstance(got, float) else None  # what it was is in the message
            rows.append((name, expected, got, name_ok, problem))
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
        for name, expected, got, name_ok, problem in rows:
            checks.append(
                Check(
                    point=probe.point.label,
                    node=name,
                    expected=_jsonable(expected) if probe.point.public else None,
                    got=None if got is None else _jsonable(got),
                    ok=name_ok,
                    public=probe.point.public,
                    why=None if name_ok else (problem or Why("wrong")),
                )
            )
        usable = not reading.problem or (isinstance(reading.value, dict) and reading.problem.code == "missing_keys")
        answers.setdefault(probe.node, []).append((probe, reading.value if usable else reading))
    passed = sum(c.ok for c in checks)
    score = round(task.score * passed / len(checks), 4) if checks else 0.0
    blame, also, checks = _blame(exercise, task, checks, answers, points)
    hint = {"ko": task.hint.ko, "en": task.hint.en} if task.hint else None
    return TaskResult(
        task.function,
        task.kind,
        score,
        task.score,
        passed == len(checks),
        tuple(checks),
        blame,
        tuple(also),
        stopped,
        hint=hint,
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
    return reading, [
        (name, expected, None, right, None if right else WITHHELD) for name, expected, _got, right, _ in rows
    ]


def _name_problem(reading: Reading, name: str, got) -> Why | None:
    """Why one name of a dict reply cannot be compared, or None if it is a number."""
    if not isinstance(reading.value, dict):
        return reading.problem
    if name not in reading.value:
        return Why("missing_keys", {"keys": [name]})
    return None if isinstance(got, float) else _number(got).problem


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
    wrong.sort(key=lambda n: _only_skipped(n, checks))  # a node never run is no evidence: blamed last
    blames = []
    if task.kind in ("gradients", "step"):
        blames = _whole_graph_blame(exercise, task, answers.get(None, []), points, wrong)
    else:
        for name in wrong:
            node = graph.by_name[name]
            node_answers = _ordinary_first(answers.get(name, []), task.kind, node)
            bad = _first_bad(node_answers, ("raised", "stopped", "nan", "not_a_number", "shape"))
            if bad is not None and bad.problem.code in ("raised", "stopped"):
                blames.append(
                    Blame(name, None, Why("blame.raised", {"node": name, "op": node.op, **bad.problem.params}))
                )
                continue
            if bad is not None and bad.problem.code in ("nan", "not_a_number", "shape"):
                code = bad.problem.code
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
                        {"node": name, "op": node.op, "kind": task.kind, "wrong": count, "total": total, **params},
                    ),
                )
            )
    marked = {b.node: b.mistake for b in blames}
    checks = [c if c.ok or c.mistake else replace(c, mistake=marked.get(c.node)) for c in checks]
    return blames[0], blames[1:], checks


def _only_skipped(node: str, checks: list[Check]) -> bool:
    """Every failed check of ``node`` is a call that was not run because an earlier one stopped."""
    failed = [c for c in checks if c.node == node and not c.ok]
    return bool(failed) and all(
        c.why is not None and c.why.code == "stopped" and c.why.params.get("kind") == "skipped" for c in failed
    )


def _ordinary_first(answers, kind: str, node=None):
    """The answers to diagnose. A reply that fails only at the exercise's edge points (large |z|,
    where a naive sigmoid overflows) while a classic mistake explains every ordinary point is
    diagnosed by that mistake: the edge points alone are left to ``borderline``."""
    ordinary = [(p, a) for p, a in answers if not p.point.label.startswith(EDGE)]
    if len(ordinary) == len(answers) or not ordinary:
        return answers
    if _first_bad(ordinary, ("raised", "stopped", "nan", "not_a_number", "shape", "not_a_dict")) is not None:
        return answers
    if node is not None and mistakes.diagnose_node(kind, node, ordinary) is None:
        return answers
    return ordinary


def _whole_graph_blame(exercise: Exercise, task: Task, answers, points: list[Point], wrong: list[str]):
    answers = _ordinary_first(answers, task.kind)
    values = [a if isinstance(a, dict) else None for _, a in answers]
    probe_points = [p.point for p, _ in answers]
    bad = _first_bad(answers, ("nan", "not_a_number", "raised", "stopped"))
    if bad is not None and bad.problem.code in ("raised", "stopped"):
        return [Blame(wrong[0], None, Why("blame.raised", {"node": wrong[0], **bad.problem.params}))]
    shape = _first_bad(answers, ("not_a_dict",))
    if bad is None and shape is not None:  # not a dict at all: say so, there is nothing to diagnose
        return [Blame(wrong[0], None, shape.problem)]
    if bad is not None:
        code = bad.problem.code
        node = bad.problem.params.get("key", wrong[0])
        return [Blame(node, code, Why(f"blame.{code}", {"node": node, **bad.problem.params}))]
    names = list(task.wrt or []) if task.kind == "gradients" else list(task.params or [])
    missing = [k for k in names if any(isinstance(v, dict) and k not in v for v in values)]
    off = [k for k in wrong if k not in missing]  # returned, but wrong
    blames = []
    if off and task.kind == "step":
        blames = _step_blames(task, answers, off)
    elif off:
        blames = _graph_blames(exercise, probe_points, values, names, off)
    if missing:
        right = [k for k in names if k not in wrong]
        blames.append(
            Blame(
                missing[0],
                "missing_keys",
                Why("blame.missing_keys", {"node": missing[0], "keys": missing, "right": right}),
            )
        )
    return blames or [Blame(wrong[0], None, Why("blame.wrong_inputs", {"node": wrong[0], "wrong_inputs": wrong}))]


def _graph_blames(exercise: Exercise, points: list[Point], values, wrt: list[str], wrong: list[str]) -> list[Blame]:
    """The gates whose wrong rule explains the returned gradients; alternatives that fit as well
    are listed in the first blame's words."""
    graph = exercise.built
    found = mistakes.diagnose_graph(graph, points, values, wrt)
    if not found:
        return [Blame(wrong[0], None, Why("blame.wrong_inputs", {"node": wrong[0], "wrong_inputs": wrong}))]

    def op_of(node: str) -> str:
        return graph.by_name[node].op if node in graph.by_name else "input"

    def item(node: str, mistake: str, params: dict) -> dict:
        return {"node": node, "op": op_of(node), "kind": "gradients", "mistake": mistake, **params}

    best, others = found[0], found[1:]
    alternatives = [_what_differs(best, explanation, item) for explanation in others[:6]]
    blames = []
    for i, (node, mistake, params) in enumerate(best):
        extra = {"wrong_inputs": wrong, "alternatives": alternatives, "together": len(best)} if i == 0 else {}
        blames.append(Blame(node, mistake, Why(f"blame.{mistake}", {**item(node, mistake, params), **extra})))
    return blames


def _what_differs(best: list, other: list, item) -> list[dict]:
    """An alternative to a pair that shares one of its gates is told by the gate it puts elsewhere."""
    same = [g for g in other if g in best]
    if len(best) == 2 and len(other) == 2 and len(same) == 1:
        changed = next(g for g in other if g not in best)
        replaced = next(g for g in best if g not in other)
        return [{**item(*changed), "instead": replaced[0]}]
    return [item(*g) for g in other]


def _step_blames(task: Task, answers, wrong: list[str]) -> list[Blame]:
    """Each wrong parameter's update matched against the classic ones; parameters that share a
    rule share one blame."""
    lr = float(task.lr or 0.0)
    usable = [(p.point, a) for p, a in answers if isinstance(a, dict)]
    rules = [
        ("ascent", lambda w, g: w + lr * g),
        ("missing_lr", lambda w, g: w - g),
        ("returned_change", lambda w, g: -lr * g),
        ("not_updated", lambda w, g: w),
    ]
    groups: dict[tuple, list[str]] = {}
    for key in wrong:
        rows = [(pt.values[key], pt.trace.grads[key], a[key]) for pt, a in usable if isinstance(a.get(key), float)]
        found: tuple = (None, ())
        for code, rule in rules:
            if rows and all(mistakes.close(got, rule(w, g)) for w, g, got in rows):
                found = (code, ())
                break
        else:
            ratio = mistakes._common_factor(((lr * g,), (w - got,)) for w, g, got in rows)
            if ratio is not None and lr:
                found = ("off_by_factor", (("factor", round(ratio, 6)),))
        groups.setdefault(found, []).append(key)
    blames = []
    for (code, extra), keys in groups.items():
        params = {"node": keys[0], "keys": keys, "lr": lr, **dict(extra)}
        if code == "missing_lr":
            params["factor"] = round(1 / lr, 6) if lr else None
        blames.append(Blame(keys[0], code, Why(f"blame.step.{code or 'wrong'}", params)))
    blames.sort(key=lambda b: wrong.index(b.node))
    return blames
