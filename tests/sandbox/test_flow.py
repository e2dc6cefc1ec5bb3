"""The information-flow rule, call by call: no number handed to a child equals (within the exercise's
tolerance) the answer of a check that comes later in that same child.

Student code can read everything in its own process (frames, ``gc``, memory), so the only defence
is that the answer is not there yet. ``api.grade_source`` runs here with a recording session in
place of the sandbox: the real ``Session.run`` (its one-call-at-a-time loop and its fresh-child
guard), a fake child that answers every call as the reference would (the worst case: a correct
student's values flow into the end-to-end rounds), and a log of which child got which call.
The log is then checked with code of its own, against the expected values of ``probes_for``.

Public points are the same for every student and every secret (``grade trace`` prints all their
values), so the rule is about the others: no number of a call at a non-public point equals the
answer of a check at a non-public point that the child has not answered yet. Numbers handed over
at public points (and the end-to-end rounds, which run there) are no better than constants.
Two more exceptions, where memory tells the function nothing it cannot know already: a check
whose answer is the same at every point of the run, a public one included (a local gradient of
``add`` is 1), and a check whose own inputs hold its answer (``relu(x) = x`` for x > 0, a zero
upstream gradient giving a zero answer).

Walked: every course exercise, and 200 random graphs (seeded) built to collide: inputs drawn on a
coarse grid (equal values on several inputs), constants, fan-out, relu on both sides of 0, every
task kind mixed in one exercise. The same checker, run on the order of calls before this rule,
finds leaks (so it is not blind).
"""

from __future__ import annotations

import bisect
import random
from pathlib import Path

import pytest

from grader.engine import GATES, EvaluationError
from grader.errors import ExerciseError
from grader.exercise.loader import check_exercise, load_exercise, validate
from grader.exercise.points import draw_points
from grader.exercise.spec import Exercise
from grader.grading import api, routines
from grader.grading.probes import answers, probes_for
from grader.isolation.sandbox import CallResult, LoadReport, Session, inputs_of

ROOT = Path(__file__).resolve().parents[2]
COURSE = sorted((ROOT / "exercises").glob("exercise*.yaml"))
EFFECT_IDS = 1_000_000  # effect.py numbers its calls from here; below it, a call id is a probe index


# --------------------------------------------------------------------------- a child that answers like the reference


def signatures(ex: Exercise, with_out: bool) -> dict[str, dict]:
    """How the fake student's functions look: per-node ones take *args (and out= when asked)."""
    found = {}
    for task in ex.tasks:
        sig = {"line": 1, "params": [], "kwonly": [], "defaults": 0, "varargs": True, "varkw": False}
        if task.kind == "local_grad" and with_out:
            sig["kwonly"] = ["out"]
        if task.kind == "backward":
            sig["kwonly"] = ["upstream", "out"] if with_out else ["upstream"]
        if task.kind == "gradients":
            sig.update(varargs=False, varkw=True)
        if task.kind == "step":
            sig.update(varargs=False, params=["params", "grads", "lr"])
        if task.kind == "descent":
            sig.update(varargs=False, params=["params", "data", "lr", "steps"])
        if task.kind == "gradient_check":
            sig.update(varargs=False, params=["inputs", "grads"])
        found[task.function] = sig
    return found


def reference_reply(ex: Exercise, points, call) -> object:
    """What a correct student returns: computed from the call's own arguments, as student code would."""
    task = next(t for t in ex.tasks if t.function == call.fn)
    if task.kind == "gradients":
        point = next(p for p in points if p.values == {k: float(v) for k, v in call.kwargs.items()})
        return {name: point.trace.grads[name] for name in task.wrt}
    if task.kind == "step":
        params, grads, lr = call.args
        return {k: params[k] - lr * grads[k] for k in params}
    if task.kind == "descent":
        params, data, _, _ = call.args
        return routines.losses(ex.built, {**data, **params}, task)
    if task.kind == "gradient_check":
        inputs, given = call.args
        point = next(p for p in points if p.values == inputs)
        return {w: routines.relative_error(given[w], point.trace.grads[w]) for w in task.wrt}
    op = task.op or ex.built.by_name[task.node].op
    gate, args = GATES[op], tuple(float(a) for a in call.args)
    if task.kind == "forward":
        return gate.forward(args)
    local = gate.local(args, gate.forward(args))[: gate.graded_count(len(args))]
    if task.kind == "backward":
        local = tuple(call.kwargs["upstream"] * g for g in local)
    return local[0] if len(local) == 1 else list(local)


class FakeChild:
    def close(self) -> None:
        pass

    def captured_output(self) -> str:
        return ""

    def _drain_output(self, seconds: float = 0.0) -> None:
        pass

    def unsolicited(self) -> bool:
        return False


def recording_session(ex: Exercise, points, with_out: bool, log: list):
    """A Session class whose children are fakes; ``log`` gets ("send" | "answer", child number, call).

    A call's inputs are in the child's reach from "send" (the pipe) on; its check is answered at
    "answer". The real ``Session.run`` decides both orders, and how many calls are in flight."""

    class Recording(Session):
        def load(self) -> LoadReport:
            self._retire()
            self.given = []
            self.children += 1
            self.child = FakeChild()
            return LoadReport(True, functions=signatures(ex, with_out))

        def _send(self, calls) -> None:
            log.extend(("send", self.children, call) for call in calls)

        def _receive(self, call) -> CallResult:
            log.append(("answer", self.children, call))
            return CallResult(call.id, True, value=reference_reply(ex, points, call))

    return Recording


def graded_log(monkeypatch, ex: Exercise, points, with_out: bool) -> list:
    log: list = []
    monkeypatch.setattr(api, "Session", recording_session(ex, points, with_out, log))
    verdict = api.grade_source(ex, "# fake", "student.py", points, "s1")
    assert verdict.score == ex.max_score, verdict  # every check was asked, and the fake is correct
    return log


def one_at_a_time(calls: list) -> list:
    """The log of calls sent in this order to one child, each answered before the next is sent."""
    return [(event, 1, call) for call in calls for event in ("send", "answer")]


# --------------------------------------------------------------------------- the checker (independent of the guard)


def leaks(ex: Exercise, points, log: list) -> list[str]:
    """Every input sent to a child that would pass as the answer of a check that child has not
    answered yet (in flight, or sent later)."""
    tol = ex.tolerance
    probes = probes_for(ex, points)
    expected = {pid: answers(p.expected) for pid, p in enumerate(probes)}
    known = set()  # (task, node, i): the i-th answer is the same at every point, a public one too
    for key in {(p.task, p.node) for p in probes}:
        mine = [answers(p.expected) for p in probes if (p.task, p.node) == key]
        if any(p.point.public for p in probes if (p.task, p.node) == key):
            known |= {(*key, i) for i in range(len(mine[0])) if all(m[i] == mine[0][i] for m in mine)}
    found = []
    by_child: dict[int, list] = {}
    for event, child, call in log:
        by_child.setdefault(child, []).append((event, call))
    for child, events in by_child.items():
        unanswered: list[tuple[float, int]] = []  # (answer, call id) of checks answered after this event
        widest = 0.0
        for event, call in reversed(events):
            if event == "answer":
                if call.id >= EFFECT_IDS or probes[call.id].point.public:  # `grade trace` prints public answers
                    continue
                own = inputs_of(call)
                key = (probes[call.id].task, probes[call.id].node)
                for i, answer in enumerate(expected[call.id]):
                    if (*key, i) in known:
                        continue  # the same at every point, a public one too: `grade trace` prints it
                    if not any(tol.close(v, answer) for v in own):  # else its own arguments hold it
                        bisect.insort(unanswered, (answer, call.id))
                        widest = max(widest, tol.atol + tol.rtol * abs(answer))
                continue
            if call.id >= EFFECT_IDS or probes[call.id].point.public:
                continue  # the same numbers for every student and secret: no better than a constant
            for value in inputs_of(call):
                lo = bisect.bisect_left(unanswered, (value - widest - 1e-300, -1))
                for answer, other in unanswered[lo:]:
                    if answer > value + widest:
                        break
                    if other != call.id and tol.close(value, answer):
                        found.append(f"child {child}: input {value!r} of {call.fn} answers call {other}")
    return found


def assert_every_check_asked(ex: Exercise, points, log: list) -> None:
    asked = sorted(call.id for event, _, call in log if event == "answer" and call.id < EFFECT_IDS)
    assert asked == list(range(len(probes_for(ex, points))))


# --------------------------------------------------------------------------- random graphs built to collide

ONE_ARG = ["neg", "exp", "tanh", "sigmoid", "relu", "square"]
TWO_ARGS = ["add", "sub", "mul", "max"]
GRID = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]


def random_exercise(seed: int) -> Exercise:
    rng = random.Random(seed)
    while True:
        n_inputs = rng.randint(2, 4)
        inputs = [f"x{i}" for i in range(n_inputs)]
        names: list[str] = list(inputs)
        nodes: dict[str, dict] = {}
        for i in range(rng.randint(2, 7)):
            op = rng.choice(ONE_ARG + TWO_ARGS)
            if op in ONE_ARG:
                args: list = [rng.choice(names)]
            else:
                args = [rng.choice(names), rng.choice(names)]
                if rng.random() < 0.25:
                    args[rng.randrange(2)] = rng.choice([1.0, 2.0, -1.0, 0.5])
                if all(not isinstance(a, str) for a in args):
                    args[0] = rng.choice(names)
            nodes[f"n{i}"] = {"op": op, "args": args}
            names.append(f"n{i}")
        used = {a for node in nodes.values() for a in node["args"] if isinstance(a, str)}
        loose = [n for n in nodes if n not in used]
        output = loose[0]
        if len(loose) > 1:
            output = "out"
            nodes[output] = {"op": "add", "args": loose}
        ops = sorted({node["op"] for node in nodes.values()})
        tasks = []
        for op in ops:
            kinds = [k for k in ("forward", "local_grad", "backward") if rng.random() < 0.5] or ["backward"]
            tasks += [{"function": f"{op}_{kind}", "kind": kind, "op": op} for kind in kinds]
        if rng.random() < 0.5:
            wrt = rng.sample(inputs, rng.randint(1, n_inputs))
            tasks.append({"function": "grads", "kind": "gradients", "wrt": wrt})
        if rng.random() < 0.4:
            tasks.append({"function": "step", "kind": "step", "params": inputs[:2], "lr": rng.choice([0.1, 0.5, 1.0])})
        data = {
            "id": f"random{seed}",
            "title": {"ko": "무작위", "en": "random"},
            "graph": {"inputs": inputs, "nodes": nodes, "output": output},
            "points": [{x: rng.choice(GRID) for x in inputs} for _ in range(rng.randint(1, 2))],
            "random": {"count": 4, "ranges": {x: [-2, 2] for x in inputs}, "decimals": 1},
            "tasks": tasks,
        }
        try:
            ex = validate(Exercise, data, {}, None)
            for _, message in check_exercise(ex, None):
                raise ExerciseError(None, None, "", message)
            draw_points(ex, b"probe", hidden=True)
            return ex
        except (ExerciseError, EvaluationError, ValueError):
            continue


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
@pytest.mark.parametrize("with_out", [True, False], ids=["out", "no-out"])
def test_no_input_gives_away_a_later_answer_in_the_course(monkeypatch, path, with_out):
    ex = load_exercise(path)
    points = draw_points(ex, b"course secret" + path.stem.encode(), hidden=True)
    log = graded_log(monkeypatch, ex, points, with_out)
    assert_every_check_asked(ex, points, log)
    assert leaks(ex, points, log) == []


@pytest.mark.parametrize("block", range(10))
def test_no_input_gives_away_a_later_answer_on_random_graphs(monkeypatch, block):
    """200 graphs in 10 blocks of 20 (one test id per block keeps the report short)."""
    children = calls = 0
    for seed in range(block * 20, block * 20 + 20):
        ex = random_exercise(seed)
        points = draw_points(ex, f"seed {seed}".encode(), hidden=seed % 2 == 0)
        log = graded_log(monkeypatch, ex, points, with_out=seed % 3 != 0)
        assert_every_check_asked(ex, points, log)
        assert leaks(ex, points, log) == [], ex.graph
        children += len({child for _, child, _ in log})
        calls += len(log) // 2
    assert calls > 20 * 20  # the graphs are not trivial


def test_the_checker_finds_the_leaks_of_one_round_in_one_child(monkeypatch):
    """Before the rule: every call of a run in one child, in the order of the probes. The checker
    must find the leaks the issue exploited there: a gate's forward answer is an argument of the
    next gate's forward (exercise01), ``upstream`` the answer of the backward call above (exercise03)."""
    leaky = set()
    for path in COURSE:
        ex = load_exercise(path)
        points = draw_points(ex, b"course secret", hidden=True)
        log = graded_log(monkeypatch, ex, points, with_out=True)
        calls = sorted((call for event, _, call in log if event == "send" and call.id < EFFECT_IDS), key=lambda c: c.id)
        if leaks(ex, points, one_at_a_time(calls)):
            leaky.add(path.stem)
    assert {"exercise01", "exercise03"} <= leaky, leaky


def test_a_conflict_with_no_safe_order_gets_a_fresh_child(monkeypatch):
    """relu(x) = 0 below zero while 0 is an input elsewhere, and forward and backward on one graph:
    the session splits the run rather than leak, and says how often it did."""
    fresh = 0
    for seed in range(200):
        ex = random_exercise(seed)
        points = draw_points(ex, f"seed {seed}".encode(), hidden=True)
        log = graded_log(monkeypatch, ex, points, with_out=False)
        fresh += len({child for _, child, _ in log}) > 1
        if fresh:
            break
    assert fresh, "no random graph needed a second child: the guard is never exercised"
