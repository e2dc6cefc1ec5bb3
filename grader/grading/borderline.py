"""Borderline answers that the plain comparison lets through or misnames: a second look at one task.

Kept apart from ``compare`` (which decides a check by the tolerance) because each case needs more
than one reply to be recognised:

* ``overflow`` / ``unstable``: the task is right at every ordinary point and wrong only at the
  exercise's declared edge points (``edge_points``: large |z|), where a naive
  ``1/(1 + math.exp(-z))`` raises OverflowError (``overflow``) or ``log(1 - σ)`` meets log 0, or a
  value loses its precision (``unstable``);
* ``modified_input``: a task with ``pure: true`` whose function changed the dicts it was given
  (the child sends the arguments back after the call; compared here with what was sent);
* ``finite_difference``: a gradient task answered with a finite-difference estimate. An analytic
  answer agrees with the reference to a few ulps (relative error ≲ 1e-14); a centred difference
  only to about 1e-5..1e-11, at every point. Such an answer passes a tolerance of 1e-6 but is not
  the derivative the task asks for: its checks fail and the mistake is named.
"""

from __future__ import annotations

import math
from dataclasses import replace

from grader.exercise.points import EDGE
from grader.exercise.spec import Exercise, Task
from grader.grading.probes import Probe
from grader.grading.verdict import Blame, Check, TaskResult, Why
from grader.isolation.sandbox import Bad, CallResult

FD_FLOOR = 1e-12  # an analytic answer is closer than this at (nearly) every point; a finite difference is not
FD_CEILING = 1e-3  # beyond this the answer is simply wrong, not an estimate
FD_MIN_VALUES = 3
FD_KINDS = ("local_grad", "backward", "gradients")

TEXTS = {
    "finite_difference": (
        "정확한 값과 약 {digits}자리까지만 일치합니다: 도함수가 아니라 유한 차분 근삿값입니다",
        "agrees with the exact value to about {digits} digits only: a finite-difference estimate, not the derivative",
    ),
    "modified_input": (
        "받은 입력 {arg}을(를) 직접 고쳤습니다",
        "changed its input {arg} in place",
    ),
    "blame.finite_difference": (
        "{node_ko}: 값이 정확한 기울기와 약 {digits}자리까지만 맞습니다. 유한 차분 (f(x+h) − f(x−h))/2h로 "
        "어림한 값으로 보입니다. 이 과제는 국소 기울기의 식(도함수)을 직접 쓰는 것입니다.",
        "{node_en}: your values match the exact gradient to about {digits} digits only, the mark of a "
        "finite-difference estimate (f(x+h) − f(x−h))/2h. The task asks for the derivative itself, written "
        "as a formula.",
    ),
    "blame.overflow": (
        "{node_ko}: 보통의 점에서는 맞지만 극단적인 점({point_ko})에서 오버플로가 일어납니다 ({detail}). "
        "z가 큰 음수이면 math.exp(-z)가 넘칩니다. z ≥ 0이면 1/(1 + e^(−z)), z < 0이면 e^z/(1 + e^z)로 "
        "안정적으로 계산하세요.",
        "{node_en}: right at ordinary points, but it overflows at the extreme point {point} ({detail}). For a "
        "large negative z, math.exp(-z) overflows: compute σ stably, 1/(1 + e^(−z)) for z ≥ 0 and "
        "e^z/(1 + e^z) for z < 0.",
    ),
    "blame.unstable": (
        "{node_ko}: 보통의 점에서는 맞지만 극단적인 점({point_ko})에서 틀립니다 ({detail}). |z|가 크면 σ(z)가 "
        "정확히 0이나 1로 반올림되어 log(1 − σ) 같은 식이 정의되지 않거나 정밀도를 잃습니다. "
        "σ를 거치지 않는 안정적인 식을 쓰세요 (예: 융합 BCE는 (1 − y)·z + log(1 + e^(−z)) 꼴).",
        "{node_en}: right at ordinary points, but wrong at the extreme point {point} ({detail}). For a large "
        "|z|, σ(z) rounds to exactly 0 or 1, so a formula such as log(1 − σ) leaves its domain or loses its "
        "precision. Use a stable form that avoids σ (the fused BCE, for example, as (1 − y)·z + log(1 + e^(−z))).",
    ),
    "blame.modified_input": (
        "{node_ko}: 받은 딕셔너리({arg})를 직접 고쳤습니다. 이 과제는 입력을 그대로 두어야 합니다. "
        "새 딕셔너리를 만들어 돌려주세요: `{{name: ... for name in params}}`.",
        "{node_en}: changed the dict it was given ({arg}) in place. This task must leave its inputs unchanged: "
        "build and return a new dict, `{{name: ... for name in params}}`.",
    ),
}


def review(
    exercise: Exercise, task: Task, result: TaskResult, probes: list[tuple[int, Probe]], results: dict[int, CallResult]
) -> TaskResult:
    """The task's result after the second look; unchanged when nothing borderline is found."""
    if task.pure:
        result = _modified_inputs(task, result, probes, results)
    if task.kind in FD_KINDS:
        result = _finite_difference(exercise, result, probes, results)
    return _edge(result, probes, results)


def _rescored(result: TaskResult, checks: list[Check], task_score: float, blame: Blame | None) -> TaskResult:
    passed = sum(c.ok for c in checks)
    score = round(task_score * passed / len(checks), 4) if checks else 0.0
    also = (result.blame, *result.also) if result.blame and blame and result.blame.node != blame.node else result.also
    return replace(
        result, checks=tuple(checks), score=score, passed=passed == len(checks), blame=blame or result.blame, also=also
    )


def _names(probe: Probe) -> list[str | None]:
    return [probe.node] if probe.node is not None or not isinstance(probe.expected, dict) else list(probe.expected)


# --------------------------------------------------------------------------- pure


def _modified_inputs(task: Task, result: TaskResult, probes, results) -> TaskResult:
    names = {"descent": ("params", "data", "lr", "steps"), "gradient_check": ("inputs", "grads")}.get(
        task.kind, ("params", "grads", "lr")
    )
    changed: dict[str, str] = {}  # point label -> the argument it changed
    for pid, probe in probes:
        reply = results.get(pid)
        if reply is None or not reply.ok or reply.args_after is None:
            continue
        sent = _sent_args(task, probe)
        for name, before, after in zip(names, sent, reply.args_after):
            if not _same(before, after):
                changed.setdefault(probe.point.label, name)
    if not changed:
        return result
    checks = [
        replace(c, ok=False, why=Why("modified_input", {"arg": changed[c.point]}), mistake="modified_input")
        if c.point in changed
        else c
        for c in result.checks
    ]
    arg = next(iter(changed.values()))
    blame = Blame(task.function, "modified_input", Why("blame.modified_input", {"node": task.function, "arg": arg}))
    return _rescored(result, checks, result.max_score, blame)


def _sent_args(task: Task, probe: Probe) -> tuple:
    if task.kind != "step":
        return probe.args
    params = {p: probe.point.values[p] for p in task.params or []}
    grads = {p: probe.point.trace.grads[p] for p in task.params or []}
    return params, grads, float(task.lr or 0.0)


def _same(before, after) -> bool:
    if isinstance(before, dict):
        return isinstance(after, dict) and set(after) == set(before) and all(after[k] == before[k] for k in before)
    return not isinstance(after, (Bad, dict, list)) and after == before


# --------------------------------------------------------------------------- finite differences


def _numbers(value) -> list[float] | None:
    if isinstance(value, float):
        return [value]
    if isinstance(value, list) and all(isinstance(v, float) for v in value):
        return value
    if isinstance(value, dict) and all(isinstance(v, float) for v in value.values()):
        return [value[k] for k in sorted(value)]
    return None


def _expected(probe: Probe) -> list[float]:
    e = probe.expected
    if isinstance(e, dict):
        return [e[k] for k in sorted(e)]
    return list(e) if isinstance(e, tuple) else [float(e)]


def _finite_difference(exercise: Exercise, result: TaskResult, probes, results) -> TaskResult:
    by_node: dict[str | None, list[float]] = {}
    shown: list[float] = []  # at public points only: what a hidden point's reply was stays unsaid
    for pid, probe in probes:
        reply = results.get(pid)
        if probe.point.label.startswith(EDGE) or reply is None or not reply.ok:
            continue
        got = _numbers(reply.value if not isinstance(reply.value, dict) else _picked(reply.value, probe))
        if got is None or len(got) != len(_expected(probe)):
            continue
        for g, e in zip(got, _expected(probe)):
            if abs(e) > 1e-6:
                by_node.setdefault(probe.node, []).append(abs(g - e) / abs(e))
                if probe.point.public:
                    shown.append(abs(g - e) / abs(e))
    flagged = {node: errs for node, errs in by_node.items() if _looks_estimated(errs)}
    if not flagged:
        return result
    worst = max(shown) if shown else FD_CEILING
    digits = max(1, int(-math.log10(worst)))
    checks = [
        replace(c, ok=False, why=Why("finite_difference", {"digits": digits}), mistake="finite_difference")
        if (c.node in flagged or None in flagged) and not c.point.startswith(EDGE)
        else c
        for c in result.checks
    ]
    node = next(iter(flagged)) or next((c.node for c in result.checks), None) or "?"
    op = exercise.built.by_name[node].op if node in exercise.built.by_name else None
    blame = Blame(node, "finite_difference", Why("blame.finite_difference", {"node": node, "op": op, "digits": digits}))
    return _rescored(result, checks, result.max_score, blame)


def _picked(value: dict, probe: Probe) -> dict | None:
    if not isinstance(probe.expected, dict) or any(k not in value for k in probe.expected):
        return None
    return {k: value[k] for k in probe.expected}


def _looks_estimated(errors: list[float]) -> bool:
    """Every relative error above an analytic formula's few ulps, none beyond an estimate's."""
    return len(errors) >= FD_MIN_VALUES and min(errors) >= FD_FLOOR and max(errors) <= FD_CEILING


# --------------------------------------------------------------------------- edge points


def _edge(result: TaskResult, probes, results) -> TaskResult:
    failed = [c for c in result.checks if not c.ok]
    if not failed or any(not c.point.startswith(EDGE) for c in failed) or result.error is not None:
        return result
    if result.blame and result.blame.mistake in ("modified_input", "finite_difference"):
        return result
    first = failed[0]
    code, detail = "unstable", "wrong value"
    for pid, probe in probes:
        if probe.point.label != first.point:
            continue
        reply = results.get(pid)
        if reply is not None and not reply.ok:
            code = "overflow" if reply.type == "OverflowError" else "unstable"
            detail = f"{reply.type}: {reply.message}"[:120] if reply.type else reply.kind
        elif reply is not None and any(isinstance(v, Bad) and v.what in ("inf", "-inf") for v in _flat(reply.value)):
            code, detail = "overflow", "inf"
        elif reply is not None and any(isinstance(v, Bad) and v.what == "nan" for v in _flat(reply.value)):
            detail = "nan"
        break
    values = next((p.point.values for _, p in probes if p.point.label == first.point), {})
    point = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    node = first.node or "?"
    blame = Blame(node, code, Why(f"blame.{code}", {"node": node, "point": point, "detail": detail}))
    checks = [replace(c, mistake=code) if not c.ok else c for c in result.checks]
    also = (result.blame, *result.also) if result.blame else result.also
    return replace(result, blame=blame, also=also, checks=tuple(checks))


def _flat(value) -> list:
    if isinstance(value, dict):
        return list(value.values())
    return value if isinstance(value, list) else [value]
