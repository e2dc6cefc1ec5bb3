"""Task kinds where the student writes a routine around the graph rather than one gate's rule.

``descent``: ``train(params, data, lr, steps)`` runs gradient descent on the exercise's graph and
returns the loss before each step and after the last (``steps + 1`` numbers). Right when the losses
are the reference loop's (so they go down); a loop that climbs is named ``ascent``, and one whose
loss goes up somewhere ``not_decreasing``.

``gradient_check``: ``grad_check(inputs, grads)`` estimates d output / d name by centred
differences of the graph's function (written by the student) and returns, for each name of ``wrt``,
the relative error ``|a − n| / max(|a|, |n|, 1e-8)`` between the given gradient ``a`` and the
estimate ``n``. The grader hands in the true gradients with one of them made wrong on purpose at
every point but the first, so a check that accepts everything, or rejects a right gradient, loses
marks. A right routine's error is within 1e-5 + 1e-3·e of the exact one, e.

Probes, calls, grading and ``grade check``'s mutants for both kinds are here; ``probes``, ``api``
and ``audit`` only hand these kinds over.
"""

from __future__ import annotations

from dataclasses import replace

from grader.engine import EvaluationError, Graph, forward, trace
from grader.exercise.points import Point
from grader.exercise.spec import Exercise, Task
from grader.grading.probes import Probe
from grader.grading.verdict import Blame, Check, TaskResult, Why
from grader.isolation.sandbox import Bad, CallResult

KINDS = ("descent", "gradient_check")
CHECK_ATOL, CHECK_RTOL = 1e-5, 1e-3
CORRUPTIONS = (-1.0, 1.5, 0.5, 1.1)  # how a given gradient is made wrong, in turn

TEXTS = {
    "blame.ascent_loop": (
        "{node_ko}: 손실이 단계마다 커집니다. 기울기를 빼야 합니다: w ← w − η·∂L/∂w.",
        "{node_en}: the loss grows at every step: subtract the gradient, w ← w − η·∂L/∂w.",
    ),
    "blame.not_decreasing": (
        "{node_ko}: {step}번째 단계에서 손실이 커졌습니다 ({before} → {after}). 매 단계 기울기를 새 가중치에서 "
        "다시 계산하고, 모든 가중치를 같은 기울기로 한꺼번에 갱신하세요.",
        "{node_en}: the loss went up at step {step} ({before} → {after}). Recompute the gradients at the new "
        "weights at every step, and update every weight from the same gradients at once.",
    ),
    "blame.wrong_losses": (
        "{node_ko}: 손실 값이 {wrong}/{total}개 점에서 기준 경사 하강법과 다릅니다. "
        "학습률, 단계 수, 기울기를 확인하세요.",
        "{node_en}: the losses differ from the reference descent at {wrong} of {total} points. Check the learning "
        "rate, the number of steps and the gradients.",
    ),
    "blame.check_accepts": (
        "{node_ko}: 일부러 틀리게 준 기울기({name})의 상대 오차를 작게 냈습니다. 수치 기울기를 "
        "(f(x+h) − f(x−h))/(2h)로 구하고 |a − n| / max(|a|, |n|, 1e-8)을 반환하세요.",
        "{node_en}: it gave a small relative error for a gradient made wrong on purpose ({name}). Estimate "
        "(f(x+h) − f(x−h))/(2h) and return |a − n| / max(|a|, |n|, 1e-8).",
    ),
    "blame.check_rejects": (
        "{node_ko}: 맞는 기울기({name})의 상대 오차가 {got}로 너무 큽니다. 중앙 차분과 작은 h(예: 1e-5)를 쓰세요.",
        "{node_en}: the relative error of a right gradient ({name}) is {got}, too large: use centred differences "
        "and a small h (1e-5, say).",
    ),
    "blame.check_formula": (
        "{node_ko}: 틀린 기울기({name})의 상대 오차가 기준값과 다릅니다. 식은 |a − n| / max(|a|, |n|, 1e-8)입니다.",
        "{node_en}: the relative error of a wrong gradient ({name}) differs from the expected one: the formula is "
        "|a − n| / max(|a|, |n|, 1e-8).",
    ),
}


# --------------------------------------------------------------------------- probes and calls


def probes(exercise: Exercise, index: int, task: Task, points: list[Point]) -> list[Probe]:
    found = []
    for i, point in enumerate(points):
        if task.kind == "descent":
            params = {p: point.values[p] for p in task.params or []}
            data = {k: v for k, v in point.values.items() if k not in params}
            args = (params, data, float(task.lr or 0.0), int(task.steps or 0))
            expected = tuple(losses(exercise.built, point.values, task))
        else:
            given = given_gradients(point, list(task.wrt or []), i)
            args = ({k: point.values[k] for k in exercise.graph.inputs}, given)
            expected = {w: relative_error(given[w], point.trace.grads[w]) for w in task.wrt or []}
        found.append(Probe(index, point, None, args, None, None, expected))
    return found


def call_args(probe: Probe) -> tuple:
    return tuple(dict(a) if isinstance(a, dict) else a for a in probe.args)


def losses(
    graph: Graph, start: dict[str, float], task: Task, sign: float = 1.0, lr: float | None = None
) -> list[float]:
    """The loss before each step of gradient descent and after the last (``sign=-1``: ascent)."""
    values, rate, found = dict(start), float(task.lr if lr is None else lr), []
    for _ in range(int(task.steps or 0)):
        tr = trace(graph, values)
        found.append(tr.values[graph.output])
        for p in task.params or []:
            values[p] -= sign * rate * tr.grads[p]
    found.append(forward(graph, values).values[graph.output])
    return found


def given_gradients(point: Point, wrt: list[str], index: int) -> dict[str, float]:
    """The true gradients, with one made wrong on purpose at every point but the first."""
    given = {w: point.trace.grads[w] for w in wrt}
    if index > 0 and wrt:
        name = wrt[(index - 1) % len(wrt)]
        factor = CORRUPTIONS[(index - 1) % len(CORRUPTIONS)]
        given[name] = given[name] * factor + (0.25 if abs(given[name]) < 0.05 else 0.0)
    return given


def relative_error(a: float, n: float) -> float:
    return abs(a - n) / max(abs(a), abs(n), 1e-8)


# --------------------------------------------------------------------------- grading


def grade(exercise: Exercise, task: Task, probes_: list[tuple[int, Probe]], results: dict[int, CallResult]):
    """One check per point (every loss, or every name's relative error), the score and the blame."""
    from grader.grading.compare import read_reply  # a reply is a plain number, sequence or mapping first

    checks: list[Check] = []
    blame: Blame | None = None
    replies = []
    for pid, probe in probes_:
        reading = read_reply(results.get(pid), probe)
        secret = probe.point.label.startswith("hidden-")
        public = probe.point.public
        name = exercise.graph.output if task.kind == "descent" else ", ".join(task.wrt or [])
        for expected, got in [(probe.expected, reading.value)]:
            ok = reading.problem is None and got is not None and _ok(task, expected, got)
            why = reading.problem if reading.problem and not secret else (None if ok else Why("wrong"))
            if secret and reading.problem:
                why = Why(reading.problem.code, {k: v for k, v in reading.problem.params.items() if k == "kind"})
            checks.append(
                Check(
                    point=probe.point.label,
                    node=name,
                    expected=(list(expected) if isinstance(expected, tuple) else expected) if public else None,
                    got=None if secret or got is None or isinstance(got, Bad) else got,
                    ok=ok,
                    public=public,
                    why=why,
                )
            )
        replies.append((probe, reading.value if reading.problem is None else None))
    passed = sum(c.ok for c in checks)
    score = round(task.score * passed / len(checks), 4) if checks else 0.0
    if passed < len(checks):
        blame = _blame(exercise, task, checks, replies)
        checks = [c if c.ok else replace(c, mistake=blame.mistake) for c in checks]
    return TaskResult(task.function, task.kind, score, task.score, passed == len(checks), tuple(checks), blame)


def _ok(task: Task, expected, got) -> bool:
    if task.kind == "gradient_check":  # every name's relative error at the point
        return isinstance(got, dict) and all(_ok_error(expected[w], got.get(w)) for w in expected)
    return (
        isinstance(got, list)
        and len(got) == len(expected)
        and all(isinstance(g, float) and abs(g - e) <= 1e-9 + 1e-6 * abs(e) for g, e in zip(got, expected))
    )


def _blame(exercise: Exercise, task: Task, checks: list[Check], replies) -> Blame:
    node = exercise.graph.output
    if task.kind == "gradient_check":
        for probe, value in sorted(replies, key=lambda pv: not pv[0].point.public):
            for name, expected in probe.expected.items():  # type: ignore[union-attr]
                got = value.get(name) if isinstance(value, dict) else None
                if not isinstance(got, float) or _ok_error(expected, got):
                    continue
                code = "check_rejects" if expected < CHECK_ATOL else "check_accepts" if got < 1e-3 else "check_formula"
                shown = f"{got:.3g}" if probe.point.public else "?"
                return Blame(name, code, Why(f"blame.{code}", {"node": name, "name": name, "got": shown}))
        return Blame(node, None, Why("blame.wrong_inputs", {"node": node, "wrong_inputs": list(task.wrt or [])}))
    usable = [(p, v) for p, v in replies if isinstance(v, list) and all(isinstance(x, float) for x in v)]
    try:
        if usable and all(_close(v, losses(exercise.built, p.point.values, task, sign=-1.0)) for p, v in usable):
            return Blame(node, "ascent", Why("blame.ascent_loop", {"node": node}))
    except EvaluationError:
        pass
    for p, v in usable:
        rise = next((k for k in range(1, len(v)) if v[k] > v[k - 1] + 1e-12), None)
        if rise is not None and p.point.public:
            params = {"node": node, "step": rise, "before": f"{v[rise - 1]:.6g}", "after": f"{v[rise]:.6g}"}
            return Blame(node, "not_decreasing", Why("blame.not_decreasing", params))
    wrong = len({c.point for c in checks if not c.ok})
    return Blame(node, None, Why("blame.wrong_losses", {"node": node, "wrong": wrong, "total": len(checks)}))


def _ok_error(expected: float, got) -> bool:
    return isinstance(got, float) and abs(got - expected) <= CHECK_ATOL + CHECK_RTOL * expected


def _close(got: list[float], expected: list[float]) -> bool:
    return len(got) == len(expected) and all(abs(g - e) <= 1e-9 + 1e-6 * abs(e) for g, e in zip(got, expected))


# --------------------------------------------------------------------------- grade check


def surviving_mutants(exercise: Exercise, task: Task, points: list[Point]) -> list[str]:
    """Classic wrong routines that every check would accept."""
    found = []
    graph = exercise.built
    if task.kind == "descent":
        rivals = {
            "ascent": lambda p: losses(graph, p.values, task, sign=-1.0),
            "lr ignored (η = 1)": lambda p: losses(graph, p.values, task, lr=1.0),
            "one step fewer": lambda p: (
                losses(graph, p.values, replace(task, steps=max(1, (task.steps or 1) - 1))) + [float("nan")]
            ),
        }
        for name, run in rivals.items():
            try:
                if all(_close(run(p), list(probe.expected)) for p, probe in _pairs(exercise, task, points)):
                    found.append(f"{task.function}: {name}")
            except EvaluationError:
                continue
        return found
    pairs = _pairs(exercise, task, points)
    if not any(any(e > 1e-2 for e in probe.expected.values()) for _, probe in pairs):  # type: ignore[union-attr]
        found.append(f"{task.function}: accepts everything (no given gradient is wrong)")
    for _, probe in pairs:
        given = probe.args[1]
        absolute = {w: abs(given[w] - probe.point.trace.grads[w]) for w in given}
        if not all(_ok(task, probe.expected[w], absolute[w]) for w in given):  # type: ignore[index]
            break
    else:
        found.append(f"{task.function}: absolute instead of relative error")
    return found


def _pairs(exercise: Exercise, task: Task, points: list[Point]):
    index = exercise.tasks.index(task)
    return [(p, probe) for p, probe in zip(points, probes(exercise, index, task, points))]
