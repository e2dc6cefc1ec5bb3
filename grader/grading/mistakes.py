"""Recognise a classic mistake by its numbers.

Two levels. At one node (``forward``, ``local_grad``, ``backward`` tasks) a mistake is a rule that
predicts the student's answer from the correct one and the node's context: the sign flipped, the
upstream factor forgotten, the operands swapped, the output used where the input was meant, a
named wrong formula for this gate (σ² for σ(1−σ), −1/x for −1/x²), a constant factor, a log base.
A rule is named only if it predicts every answer of that node at every point and is not the truth
at all of them.

For whole-graph answers (``gradients`` tasks) the reference backward pass is run again with
mistakes planted, and a plant whose input gradients equal the student's at every point names the
node and the mistake. The search is bounded: every catalogued rule at one gate (and a constant
factor at one gate, solved from the numbers), one rule at every gate of an op, ``=`` for ``+=`` at
a fan-out; only when none fits, pairs of catalogued rules. Explanations that fit equally are all
returned, likeliest first (``PRIOR``): leaf gradients cannot tell a sign flip at the neg gate from
one at the reciprocal gate, so the student is told both.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from grader.engine import Graph, Node, Trace
from grader.engine.gates import sigmoid
from grader.exercise.points import Point
from grader.grading.probe import Expected, Probe, expected_local, shape

MISTAKES = (
    "sign_error",
    "missing_upstream",
    "missing_local",
    "swapped_operands",
    "used_output_for_input",
    "used_input_for_output",
    "wrong_rule",
    "overwrote_fanout",
    "ascent",
    "missing_lr",
    "returned_change",
    "not_updated",
    "off_by_factor",
    "log_base",
)
RTOL, ATOL = 1e-6, 1e-9


def close(a: float, b: float) -> bool:
    return abs(a - b) <= ATOL + RTOL * abs(b)


def flat(value) -> list[float] | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, (list, tuple)) and all(isinstance(v, float) for v in value):
        return list(value)
    if isinstance(value, dict) and all(isinstance(v, float) for v in value.values()):
        return [value[k] for k in sorted(value)]
    return None


def _matches(predicted: Expected | None, got) -> bool:
    p, g = flat(predicted), flat(got)
    return p is not None and g is not None and len(p) == len(g) and all(map(close, g, p))


# --------------------------------------------------------------------------- one node


def _one_input_rule(node: Node, probe: Probe, which: str) -> tuple[float, ...] | None:
    gate = node.gate
    rule = gate.from_input if which == "from_input" else gate.from_output
    if rule is None or len(node.args) != 1:
        return None
    x, out = probe.args[0], probe.out if probe.out is not None else probe.point.trace.values[node.name]
    try:
        return (rule(out),) if which == "from_input" else (rule(x),)
    except (ArithmeticError, ValueError):
        return None


def predict(mistake: str, kind: str, node: Node, probe: Probe, allow_same: bool = False) -> Expected | None:
    """What a student making ``mistake`` would answer for ``probe``, or None if it does not apply.

    For diagnosis a rule that gives the right answer at this probe does not apply; ``allow_same``
    keeps it (``grade check`` asks whether the points can tell the rule from the truth)."""
    local = expected_local(node, probe.point)
    u = probe.upstream if probe.upstream is not None else 1.0

    def scaled(values):
        return shape(tuple(u * g for g in values)) if kind == "backward" else shape(tuple(values))

    if kind == "forward":
        if mistake == "sign_error":
            return -probe.expected  # type: ignore[operator]
        if mistake == "swapped_operands" and len(probe.args) == 2 and node.op in ("sub", "div", "pow"):
            try:
                return node.gate.forward(tuple(reversed(probe.args)))
            except (ArithmeticError, ValueError):
                return None
        return None
    if mistake == "sign_error":
        return scaled(tuple(-g for g in local))
    if mistake == "missing_upstream" and kind == "backward" and (allow_same or not close(u, 1.0)):
        return shape(local)
    if mistake == "swapped_operands" and len(local) == 2 and (allow_same or not close(local[0], local[1])):
        return scaled(tuple(reversed(local)))
    if mistake == "used_output_for_input":
        wrong = _one_input_rule(node, probe, "from_input")
        return None if wrong is None or (_matches(shape(wrong), shape(local)) and not allow_same) else scaled(wrong)
    if mistake == "used_input_for_output":
        wrong = _one_input_rule(node, probe, "from_output")
        return None if wrong is None or (_matches(shape(wrong), shape(local)) and not allow_same) else scaled(wrong)
    return None


def _common_factor(pairs: Iterable[tuple[Expected, object]]) -> float | None:
    ratio = None
    for expected, got in pairs:
        e, g = flat(expected), flat(got)
        if e is None or g is None or len(e) != len(g):
            return None
        for ev, gv in zip(e, g):
            if abs(ev) < 1e-12:
                if abs(gv) > 1e-9:
                    return None
                continue
            r = gv / ev
            if ratio is None:
                ratio = r
            elif not close(r, ratio):
                return None
    if ratio is None or close(abs(ratio), 1.0) or abs(ratio) < 1e-9:
        return None
    return ratio


# --------------------------------------------------------------------------- named wrong rules

LocalRule = Callable[[tuple[float, ...], float], tuple[float, ...]]  # (args, out) → graded locals
ForwardRule = Callable[[tuple[float, ...]], float]

# Local gradients students write instead of the right one, by gate. The text is the formula itself
# (math, the same in both languages); explain.py puts it in a sentence.
WRONG_LOCAL: dict[str, tuple[tuple[str, LocalRule], ...]] = {
    "reciprocal": (("−1/x", lambda a, o: (-1.0 / a[0],)),),
    "sigmoid": (
        ("σ²", lambda a, o: (o * o,)),
        ("1 − σ", lambda a, o: (1.0 - o,)),
        ("σ", lambda a, o: (o,)),
    ),
    "tanh": (("tanh²", lambda a, o: (o * o,)), ("1 + tanh²", lambda a, o: (1.0 + o * o,))),
    "square": (("x²", lambda a, o: (o,)),),
    "log": (("ln x", lambda a, o: (o,)), ("−1/x²", lambda a, o: (-1.0 / (a[0] * a[0]),))),
    "sqrt": (("√x", lambda a, o: (o,)),),
    "bce": (
        ("−1/p", lambda a, o: (-1.0 / a[0],)),
        ("−y/p", lambda a, o: (-a[1] / a[0],)),
        ("−y/p − (1 − y)/(1 − p)", lambda a, o: (-a[1] / a[0] - (1 - a[1]) / (1 - a[0]),)),
        ("p − y", lambda a, o: (a[0] - a[1],)),
    ),
    "max": (("(1, 1)", lambda a, o: (1.0,) * len(a)),),  # routed to every input, like an add gate
    "sigmoid_bce": (
        ("σ(z)", lambda a, o: (sigmoid(a[0]),)),
        ("σ(z)(1 − σ(z))", lambda a, o: (sigmoid(a[0]) * (1.0 - sigmoid(a[0])),)),
    ),
}

# Forward values students compute instead of the gate's.
WRONG_FORWARD: dict[str, tuple[tuple[str, ForwardRule], ...]] = {
    "mul": (("a + b", lambda a: math.fsum(a)),),
    "exp": (("e^(−x)", lambda a: math.exp(-a[0])),),
    "reciprocal": (("1/x²", lambda a: 1.0 / (a[0] * a[0])),),
    "sigmoid": (("1/(1 + eˣ)", lambda a: sigmoid(-a[0])),),
    "square": (("2x", lambda a: 2.0 * a[0]),),
    "bce": (("−ln p", lambda a: -math.log(a[0])), ("−y·ln p", lambda a: -a[1] * math.log(a[0]))),
    "sigmoid_bce": (("σ(z) − y", lambda a: sigmoid(a[0]) - a[1]), ("−ln σ(z)", lambda a: -math.log(sigmoid(a[0])))),
}
# Gates where "the upstream passed through unchanged" has a better name: add's local gradient is 1
# anyway, sub's (u, u) is the subtrahend's sign, max's (u, u) is routing to every input.
NO_MISSING_LOCAL = ("add", "sub", "max")
LOG_GATES = ("log", "bce", "sigmoid_bce")  # a forward off by 1/ln 10 or 1/ln 2 used another log base
LOG_BASES = (10, 2)


def _input_name(node: Node, i: int) -> str:
    arg = node.args[i]
    return arg if isinstance(arg, str) else f"{float(arg):g}"


def _safe(fn, *args):
    try:
        value = fn(*args)
    except (ArithmeticError, ValueError, IndexError):
        return None
    return value


Predictor = Callable[[Probe], Expected | None]


def node_rules(kind: str, node: Node) -> list[tuple[str, dict, Predictor]]:
    """Every named mistake at one node, in the order they are tried: (code, params, predictor)."""
    gate = node.gate
    n = gate.graded_count(len(node.args))
    rules: list[tuple[str, dict, Predictor]] = []

    def local(p: Probe) -> tuple[float, ...]:
        return expected_local(node, p.point)

    def out_of(p: Probe) -> float:
        return p.out if p.out is not None else p.point.trace.values[node.name]

    def up(p: Probe) -> float:
        return p.upstream if p.upstream is not None else 1.0

    def as_answer(p: Probe, values) -> Expected | None:
        if values is None:
            return None
        values = tuple(values)
        if not all(isinstance(v, float) for v in values):
            return None
        return shape(tuple(up(p) * g for g in values)) if kind == "backward" else shape(values)

    if kind == "forward":
        rules.append(("sign_error", {}, lambda p: -p.expected))
        if len(node.args) == 2 and node.op in ("sub", "div", "pow"):
            rules.append(("swapped_operands", {}, lambda p: _safe(gate.forward, tuple(reversed(p.args)))))
        for text, fn in WRONG_FORWARD.get(node.op, ()):
            rules.append(("wrong_rule", {"rule": text}, lambda p, fn=fn: _safe(fn, tuple(p.args))))
        if node.op == "add" and len(node.args) > 2:
            for i in range(len(node.args)):
                rules.append(
                    (
                        "wrong_rule",
                        {"left_out": _input_name(node, i)},
                        lambda p, i=i: math.fsum(v for j, v in enumerate(p.args) if j != i),
                    )
                )
        return rules
    rules.append(("sign_error", {}, lambda p: as_answer(p, (-g for g in local(p)))))
    if kind == "backward":
        rules.append(("missing_upstream", {}, lambda p: shape(local(p))))
    if n == 2:
        rules.append(("swapped_operands", {}, lambda p: as_answer(p, reversed(local(p)))))
    if len(node.args) == 1 and gate.from_input and gate.from_output:
        rules.append(("used_input_for_output", {}, lambda p: as_answer(p, (_safe(gate.from_output, p.args[0]),))))
        rules.append(("used_output_for_input", {}, lambda p: as_answer(p, (_safe(gate.from_input, out_of(p)),))))
    if kind == "backward" and node.op not in NO_MISSING_LOCAL:
        rules.append(("missing_local", {}, lambda p: as_answer(p, (1.0,) * n)))
    for text, fn in WRONG_LOCAL.get(node.op, ()):
        rules.append(("wrong_rule", {"rule": text}, lambda p, fn=fn: as_answer(p, _safe(fn, tuple(p.args), out_of(p)))))
    if n >= 2:
        for i in range(n):
            flip = lambda p, i=i: as_answer(p, (-g if j == i else g for j, g in enumerate(local(p))))  # noqa: E731
            rules.append(("sign_error", {"input": _input_name(node, i)}, flip))
    return rules


def _fits(predictions: list, answers: list, expected: list) -> bool:
    """A rule explains the answers if it predicts every one and is not the truth everywhere."""
    return (
        all(pr is not None for pr in predictions)
        and all(_matches(pr, g) for pr, g in zip(predictions, answers))
        and not all(_matches(pr, e) for pr, e in zip(predictions, expected))
    )


def diagnose_node(kind: str, node: Node, answers: list[tuple[Probe, object]]) -> tuple[str, dict] | None:
    """The mistake that explains every answer of this node, with its parameters."""
    numeric = [(p, g) for p, g in answers if flat(g) is not None]
    if not numeric:
        return None
    got = [g for _, g in numeric]
    expected = [p.expected for p, _ in numeric]
    for mistake, params, predictor in node_rules(kind, node):
        if _fits([_safe(predictor, p) for p, _ in numeric], got, expected):
            return mistake, params
    factor = _common_factor((p.expected, g) for p, g in numeric)
    if factor is not None:
        if kind == "forward" and node.op in LOG_GATES:
            for base in LOG_BASES:
                if close(factor, 1.0 / math.log(base)):
                    return "log_base", {"base": base}
        return "off_by_factor", {"factor": _nice(factor), **_split_params(node, factor)}
    n = node.gate.graded_count(len(node.args))
    if kind != "forward" and n >= 2:  # one input's gradient off by a factor, the others right
        for i in range(n):
            rows = [(flat(e), flat(g)) for e, g in zip(expected, got)]
            if any(e is None or g is None or len(e) != n or len(g) != n for e, g in rows):
                break
            if not all(close(g[j], e[j]) for e, g in rows for j in range(n) if j != i):
                continue
            factor = _common_factor(((e[i],), (g[i],)) for e, g in rows)
            if factor is not None:
                return "off_by_factor", {"factor": _nice(factor), "input": _input_name(node, i)}
    return None


def _nice(factor: float) -> float:
    return round(factor, 6)


def _split_params(node: Node, factor: float) -> dict:
    """At an add gate, 1/2 or 1/n is "the add gate splits the gradient"."""
    n = len(node.args)
    if node.op == "add" and n > 1 and (close(factor, 0.5) or close(factor, 1.0 / n)):
        return {"split": True}
    return {}


# --------------------------------------------------------------------------- a whole graph

Mutation = Callable[[Node, float, tuple[float, ...]], tuple[float, ...]]


def mutant_backward(
    graph: Graph,
    trace: Trace,
    target: str | dict[str, Mutation],
    mutate: Mutation | None,
    keep_consumer: str | dict[str, str] | None = None,
) -> dict[str, float]:
    """Backward with some nodes' contributions mutated, or with some fan-outs overwritten.

    ``target`` names one node (mutated by ``mutate``) or maps several nodes to their mutations;
    ``keep_consumer`` keeps, for the fan-out ``target`` (or for each key of a mapping), only the
    gradient from that one consumer, as if ``=`` had overwritten the others.
    """
    mutations = target if isinstance(target, dict) else ({target: mutate} if mutate else {})
    if isinstance(keep_consumer, dict):
        keep = {k: _as_set(v) for k, v in keep_consumer.items()}
    else:
        keep = {target: _as_set(keep_consumer)} if keep_consumer is not None and isinstance(target, str) else {}
    grads = {name: 0.0 for name in (*graph.inputs, *(n.name for n in graph.nodes))}
    grads[graph.output] = 1.0
    for node in reversed(graph.nodes):
        upstream, local = grads[node.name], trace.locals[node.name]
        contributions = tuple(upstream * g for g in local)
        if node.name in mutations:
            contributions = mutations[node.name](node, upstream, local)
        for arg, c in zip(node.args, contributions):
            if not isinstance(arg, str):
                continue
            if arg in keep and node.name not in keep[arg]:
                continue
            grads[arg] += c
    return grads


def _factor_params(mistake: str, n_args: int) -> dict:
    if mistake == "off_by_factor":
        return {"factor": 0.5}
    if mistake == "off_by_factor:1/n":
        return {"factor": f"1/{n_args}" if n_args else "1/n"}
    return {}


def _as_set(kept) -> frozenset[str]:
    return frozenset([kept]) if isinstance(kept, str) else frozenset(kept)


def kept_subsets(consumers: list[str]) -> list[tuple[str, ...]]:
    """Which consumers' gradients survive when ``=`` overwrote the others: every proper subset
    that is not empty (the student's order decides which; the numbers tell)."""
    unique = list(dict.fromkeys(consumers))
    found = []
    for size in range(1, len(unique)):
        found += list(itertools.combinations(unique, size))
    return found[:15]


GENERIC_UPSTREAM = 1.7


def generic_args(node: Node) -> tuple[float, ...]:
    """Inputs where no two values coincide and every gate is defined: a place to ask whether a
    mutation differs from the truth at all, apart from any exercise's points."""
    values = [0.3 + 0.17 * i for i in range(len(node.args))]
    for i in node.gate.constant_args:
        values[i] = float(node.args[i]) if not isinstance(node.args[i], str) else 2.0
    return tuple(values)


def is_real_mutant(node: Node, mistake: str, is_output: bool = False) -> bool:
    """Whether ``mistake`` changes this gate's answer anywhere (neg's −1 is the same from the input or
    the output; swapping add's (1, 1) changes nothing; the output's upstream is always 1)."""
    if mistake.startswith("missing_upstream") and is_output:
        return False
    args = generic_args(node)
    try:
        out = node.gate.forward(args)
        local = node.gate.local(args, out)
        fake = Trace(
            point={},
            values={node.name: out, **{a: v for a, v in zip(node.args, args) if isinstance(a, str)}},
            locals={node.name: local},
        )
        mutate = _mutations(node, fake).get(mistake)
    except (ArithmeticError, ValueError):
        return True
    if mutate is None:
        return False
    u = GENERIC_UPSTREAM
    return not all(close(a, b) for a, b in zip(mutate(node, u, local), (u * g for g in local)))


def _mutations(node: Node, trace: Trace) -> dict[str, Mutation]:
    args = trace.args_of(node)
    out = trace.values[node.name]
    found: dict[str, Mutation] = {
        "sign_error": lambda n, u, loc: tuple(-u * g for g in loc),
        "missing_upstream": lambda n, u, loc: tuple(loc),
    }
    if len(node.args) == 2:
        found["swapped_operands"] = lambda n, u, loc: (u * loc[1], u * loc[0])
    gate = node.gate
    if len(node.args) == 1 and gate.from_input and gate.from_output:
        try:
            a, b = gate.from_input(out), gate.from_output(args[0])
            found["used_output_for_input"] = lambda n, u, loc, a=a: (u * a,)
            found["used_input_for_output"] = lambda n, u, loc, b=b: (u * b,)
        except (ArithmeticError, ValueError):
            pass
    if node.op == "add" and len(node.args) > 1:  # "the add gate splits the gradient"
        found["off_by_factor"] = lambda n, u, loc: tuple(0.5 * u * g for g in loc)
        if len(node.args) > 2:
            k = 1.0 / len(node.args)
            found["off_by_factor:1/n"] = lambda n, u, loc, k=k: tuple(k * u * g for g in loc)
    return found


# Which mistakes students make at which gate, roughly: it orders explanations that fit the numbers
# equally well (a sign flip anywhere on a chain gives the same leaf gradients; the neg gate's −1 is
# the one most often forgotten). Higher is likelier.
PRIOR: dict[tuple[str, str], float] = {
    ("sign_error", "neg"): 10,
    ("sign_error", "reciprocal"): 8,
    ("sign_error", "bce"): 7,
    ("sign_error", "sigmoid_bce"): 7,
    ("sign_error", "sub"): 7,
    ("sign_error", "div"): 7,
    ("sign_error", "mse"): 6,
    ("sign_error", "log"): 4,
    ("missing_upstream", "exp"): 7,
    ("missing_upstream", "add"): 3,
    ("swapped_operands", "mul"): 8,
    ("off_by_factor", "square"): 8,
    ("off_by_factor", "mse"): 7,
}
DEFAULT_PRIOR = {
    "sign_error": 2,
    "missing_upstream": 6,
    "swapped_operands": 5,
    "used_input_for_output": 7,
    "used_output_for_input": 6,
    "missing_local": 6,
    "wrong_rule": 7,
    "off_by_factor": 4,
    "overwrote_fanout": 7,
}
MAX_PAIRS = 20_000


def prior(mistake: str, op: str, params: dict) -> float:
    if mistake == "off_by_factor" and params.get("split"):
        return 6
    if mistake == "sign_error" and params.get("input") and op == "add":
        return 3
    return PRIOR.get((mistake, op), DEFAULT_PRIOR.get(mistake, 3))


@dataclass(frozen=True)
class Change:
    """One planted mistake: the gates it mutates (per point) and the fan-outs it overwrites."""

    node: str  # where it is blamed
    mistake: str
    params: dict
    mutate: Callable[[Point], dict[str, Mutation]]
    keep: dict[str, frozenset[str]] = field(default_factory=dict)
    prior: float = 5.0
    gates: int = 1  # how many gates it mutates: a rule at every gate of one op counts them all


def _local_changes(graph: Graph, node: Node) -> list[Change]:
    """The discrete mistakes one gate can carry in a backward pass."""
    name, gate = node.name, node.gate
    n = gate.graded_count(len(node.args))
    is_output = name == graph.output

    def change(mistake: str, params: dict, fn) -> Change:
        """``fn(u, loc, args, out)`` → the gate's contributions to its inputs."""

        def mutate(point: Point, fn=fn) -> dict[str, Mutation]:
            tr = point.trace
            args, out = tr.args_of(node), tr.values[name]
            return {name: lambda nd, u, loc: fn(u, loc, args, out)}

        return Change(name, mistake, params, mutate, prior=prior(mistake, node.op, params))

    def graded(values, u, loc):
        return tuple(u * g for g in values) + tuple(u * g for g in loc[n:])

    found = [change("sign_error", {}, lambda u, loc, a, o: graded([-g for g in loc[:n]], u, loc))]
    if not is_output:
        found.append(change("missing_upstream", {}, lambda u, loc, a, o: tuple(loc)))
    if n == 2:
        found.append(change("swapped_operands", {}, lambda u, loc, a, o: graded([loc[1], loc[0]], u, loc)))
    if len(node.args) == 1 and gate.from_input and gate.from_output:
        found.append(change("used_input_for_output", {}, lambda u, loc, a, o: (u * gate.from_output(a[0]),)))
        found.append(change("used_output_for_input", {}, lambda u, loc, a, o: (u * gate.from_input(o),)))
    if node.op not in NO_MISSING_LOCAL:
        found.append(change("missing_local", {}, lambda u, loc, a, o: graded([1.0] * n, u, loc)))
    for text, fn in WRONG_LOCAL.get(node.op, ()):
        found.append(change("wrong_rule", {"rule": text}, lambda u, loc, a, o, fn=fn: graded(fn(a, o), u, loc)))
    factors = [0.5, 1.0 / len(node.args)] if node.op == "add" and len(node.args) > 1 else [0.5, 2.0]
    for k in dict.fromkeys(factors):
        params = {"factor": _nice(k), **_split_params(node, k)}
        found.append(change("off_by_factor", params, lambda u, loc, a, o, k=k: tuple(k * u * g for g in loc)))
    if n >= 2:
        for i in range(n):
            if not isinstance(node.args[i], str):
                continue
            who = {"input": _input_name(node, i)}
            found.append(
                change(
                    "sign_error",
                    who,
                    lambda u, loc, a, o, i=i: tuple((-u if j == i else u) * g for j, g in enumerate(loc)),
                )
            )
            found.append(
                change(
                    "off_by_factor",
                    {"factor": 0.5, **who},
                    lambda u, loc, a, o, i=i: tuple((0.5 * u if j == i else u) * g for j, g in enumerate(loc)),
                )
            )
    return found


def _same_op_changes(graph: Graph, singles: dict[str, list[Change]]) -> list[Change]:
    """One rule at every gate of one op (all mul gates swapped, every sigmoid written as σ²)."""
    found = []
    for op in dict.fromkeys(n.op for n in graph.nodes):
        same = [n.name for n in graph.nodes if n.op == op]
        if len(same) < 2:
            continue
        keyed = [{(c.mistake, repr(sorted(c.params.items()))): c for c in singles[name]} for name in same]
        for key, first in keyed[0].items():
            members = [k[key] for k in keyed if key in k]
            if len(members) != len(same):
                continue

            def mutate(point: Point, members=members) -> dict[str, Mutation]:
                out: dict[str, Mutation] = {}
                for m in members:
                    out.update(m.mutate(point))
                return out

            params = {**first.params, "gate": op, "nodes": same}
            found.append(Change(same[0], first.mistake, params, mutate, prior=first.prior + 1, gates=1))
    return found


def _fanout_changes(graph: Graph) -> list[Change]:
    found = []
    uses = graph.consumers()
    for name, consumers in uses.items():
        if len(set(consumers)) < 2:
            continue
        for kept in kept_subsets(consumers):
            found.append(
                Change(
                    name,
                    "overwrote_fanout",
                    {"kept": ", ".join(kept), "paths": len(set(consumers))},
                    lambda point: {},
                    keep={name: frozenset(kept)},
                    prior=prior("overwrote_fanout", "fanout", {}),
                )
            )
    return found


def _grads(graph: Graph, point: Point, changes: Iterable[Change]) -> dict[str, float]:
    mutations: dict[str, Mutation] = {}
    keep: dict[str, frozenset[str]] = {}
    for c in changes:
        mutations.update(c.mutate(point))
        keep.update(c.keep)
    return mutant_backward(graph, point.trace, mutations, None, keep)


def _explains(graph: Graph, usable, changes: tuple[Change, ...]) -> bool:
    differs = False
    try:
        for point, answer in usable:
            mutant = _grads(graph, point, changes)
            if not all(close(answer[k], mutant[k]) for k in answer):
                return False
            differs = differs or not all(close(point.trace.grads[k], mutant[k]) for k in answer)
    except (ArithmeticError, ValueError, KeyError):
        return False
    return differs


def _fitted_factors(graph: Graph, usable) -> list[Change]:
    """A constant factor on one gate (all its inputs, or one), solved from the numbers: the leaf
    gradients are affine in it, so one answer fixes it and every other answer must agree."""
    found = []
    for node in graph.nodes:
        n = len(node.args)
        which = [None] + ([i for i in range(n) if isinstance(node.args[i], str)] if n > 1 else [])
        for i in which:

            def scaled(k: float, node=node, i=i) -> Change:
                def fn(nd, u, loc, k=k, i=i):
                    return tuple((k * u if i is None or j == i else u) * g for j, g in enumerate(loc))

                params = {"factor": _nice(k), **(_split_params(node, k) if i is None else {})}
                if i is not None:
                    params["input"] = _input_name(node, i)
                weight = prior("off_by_factor", node.op, params)
                return Change(node.name, "off_by_factor", params, lambda p: {node.name: fn}, prior=weight)

            try:
                zero = [(p, _grads(graph, p, [scaled(0.0)])) for p, _ in usable]
            except (ArithmeticError, ValueError):
                continue
            best, k = 0.0, None
            for (p, a), (_, z) in zip(usable, zero):
                for key in a:
                    slope = p.trace.grads[key] - z[key]
                    if abs(slope) > best:
                        best, k = abs(slope), (a[key] - z[key]) / slope
            if k is None or close(k, 1.0) or close(k, -1.0) or abs(k) < 1e-6:
                continue
            candidate = scaled(k)
            if _explains(graph, usable, (candidate,)):
                found.append(candidate)
    return found


def diagnose_graph(
    graph: Graph, points: list[Point], answers: list[dict[str, float] | None], wrt: list[str]
) -> list[list[tuple[str, str, dict]]]:
    """The smallest sets of planted mistakes that give the student's gradients at every point.

    Each explanation is a list of (node, mistake, params), nearest the output first; explanations
    come likeliest first. Single gates are tried first (every catalogued rule, a constant factor
    solved from the numbers, one rule at every gate of an op, ``=`` at a fan-out), then pairs of
    catalogued rules, only if no single gate explains the numbers. Answers are compared on the
    names they contain (a reply that lacks a name is diagnosed on the others)."""
    usable = []
    for p, a in zip(points, answers):
        if isinstance(a, dict):
            present = {k: a[k] for k in wrt if isinstance(a.get(k), float)}
            if present:
                usable.append((p, present))
    if not usable:
        return []
    depth = graph.depth_from_output()
    order = {n.name: i for i, n in enumerate(graph.nodes)}
    singles = {n.name: _local_changes(graph, n) for n in graph.nodes}
    stage = [c for cs in singles.values() for c in cs] + _fanout_changes(graph)
    fitting = [(c,) for c in stage + _same_op_changes(graph, singles) if _explains(graph, usable, (c,))]
    fitting += [(c,) for c in _fitted_factors(graph, usable)]
    if not fitting:
        fitting = _pairs(graph, usable, stage)

    def place(name: str) -> tuple:
        return (depth.get(name, 10**6), -order.get(name, -1))

    def rank(changes: tuple[Change, ...]) -> tuple:
        return (sum(c.gates for c in changes), -sum(c.prior for c in changes), min(place(c.node) for c in changes))

    fitting.sort(key=rank)
    seen: set[tuple[str, ...]] = set()
    found = []
    for changes in fitting:  # one explanation per set of blamed nodes: the likeliest
        nodes = tuple(sorted(c.node for c in changes))
        if nodes in seen:
            continue
        seen.add(nodes)
        ordered = sorted(changes, key=lambda c: place(c.node))
        found.append([(c.node, c.mistake, c.params) for c in ordered])
    return found


def _pairs(graph: Graph, usable, stage: list[Change]) -> list[tuple[Change, ...]]:
    """Pairs of catalogued changes, tried at the first point first (where most fail), with each
    change's mutation at that point built once."""
    point, answer = usable[0]
    built = []
    for c in stage:
        try:
            built.append((c, c.mutate(point)))
        except (ArithmeticError, ValueError):
            continue
    found = []
    for count, ((a, ma), (b, mb)) in enumerate(itertools.combinations(built, 2)):
        if count >= MAX_PAIRS:
            break
        if a.node == b.node or (set(a.keep) & set(b.keep)):
            continue
        try:
            mutant = mutant_backward(graph, point.trace, {**ma, **mb}, None, {**a.keep, **b.keep})
        except (ArithmeticError, ValueError, KeyError):
            continue
        if all(close(answer[k], mutant[k]) for k in answer) and _explains(graph, usable, (a, b)):
            found.append((a, b))
    return found
