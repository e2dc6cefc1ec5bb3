"""Recognise a classic mistake by its numbers.

Two levels. At one node (``forward``, ``local_grad``, ``backward`` tasks) a mistake is a rule that
predicts the student's answer from the correct one and the node's context: the sign flipped, the
upstream factor forgotten, the operands swapped, the output used where the input was meant...
A rule is named only if it predicts every answer of that node at every point.

For whole-graph answers (``gradients`` tasks) the reference backward pass is run again with one
gate mutated (or one fan-out overwritten instead of accumulated), and a mutant whose input
gradients equal the student's at every point names both the node and the mistake.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

from grader.engine import Graph, Node, Trace
from grader.exercise.points import Point
from grader.grading.probe import Expected, Probe, expected_local, shape

MISTAKES = (
    "sign_error",
    "missing_upstream",
    "swapped_operands",
    "used_output_for_input",
    "used_input_for_output",
    "overwrote_fanout",
    "ascent",
    "off_by_factor",
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


def diagnose_node(kind: str, node: Node, answers: list[tuple[Probe, object]]) -> tuple[str, dict] | None:
    """The mistake that explains every answer of this node, with its parameters."""
    numeric = [(p, g) for p, g in answers if flat(g) is not None]
    if not numeric:
        return None
    for mistake in (
        "sign_error",
        "missing_upstream",
        "swapped_operands",
        "used_output_for_input",
        "used_input_for_output",
    ):
        predictions = [predict(mistake, kind, node, p) for p, _ in numeric]
        if all(pr is not None for pr in predictions) and all(
            _matches(pr, g) for pr, (_, g) in zip(predictions, numeric)
        ):
            return mistake, {}
    factor = _common_factor((p.expected, g) for p, g in numeric)
    if factor is not None:
        return "off_by_factor", {"factor": round(factor, 6)}
    return None


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


def diagnose_graph(
    graph: Graph, points: list[Point], answers: list[dict[str, float] | None], wrt: list[str]
) -> list[tuple[str, str, dict]]:
    """Every (node, mistake, params) whose mutant gives the student's gradients at every point."""
    usable = [
        (p, a) for p, a in zip(points, answers) if isinstance(a, dict) and all(isinstance(a.get(w), float) for w in wrt)
    ]
    if not usable:
        return []
    candidates: list[tuple[str, str, dict, Callable[[Point], dict[str, float]]]] = []
    uses = graph.consumers()
    depth = graph.depth_from_output()
    for node in sorted(graph.nodes, key=lambda n: depth.get(n.name, 0)):
        for mistake, _ in _mutations(node, usable[0][0].trace).items():

            def run(point, name=node.name, mistake=mistake):
                mutate = _mutations(graph.by_name[name], point.trace)[mistake]
                return mutant_backward(graph, point.trace, name, mutate)

            params = _factor_params(mistake, len(node.args))
            candidates.append((node.name, mistake.split(":")[0], params, run))
    for op in dict.fromkeys(n.op for n in graph.nodes):
        same = [n for n in graph.nodes if n.op == op]
        if len(same) < 2:
            continue
        for mistake in _mutations(same[0], usable[0][0].trace):

            def run_all(point, same=same, mistake=mistake):
                found = {n.name: _mutations(n, point.trace).get(mistake) for n in same}
                return mutant_backward(graph, point.trace, {k: v for k, v in found.items() if v}, None)

            params = {"gate": op, "nodes": [n.name for n in same], **_factor_params(mistake, 0)}
            candidates.append((same[0].name, mistake.split(":")[0], params, run_all))
    fanouts = {name: c for name, c in uses.items() if len(set(c)) > 1}
    for name, consumers in fanouts.items():
        for kept in kept_subsets(consumers):
            candidates.append(
                (
                    name,
                    "overwrote_fanout",
                    {"kept": ", ".join(kept), "paths": len(set(consumers))},
                    lambda point, name=name, kept=kept: mutant_backward(
                        graph, point.trace, name, None, keep_consumer=kept
                    ),
                )
            )
    if len(fanouts) > 1:
        options = [kept_subsets(c) for c in fanouts.values()]
        for kept in itertools.islice(itertools.product(*options), 256):
            keep = dict(zip(fanouts, kept))
            candidates.append(
                (
                    next(iter(fanouts)),
                    "overwrote_fanout",
                    {
                        "kept": "; ".join(f"{k}: {', '.join(v)}" for k, v in keep.items()),
                        "paths": "several",
                        "nodes": list(fanouts),
                    },
                    lambda point, keep=keep: mutant_backward(graph, point.trace, {}, None, keep),
                )
            )
    found = []
    for node, mistake, params, run in candidates:
        fits, differs = True, False
        try:
            for p, a in usable:
                mutant = run(p)  # one backward pass per point, compared on every name
                fits = all(close(a[w], mutant[w]) for w in wrt)
                if not fits:
                    break
                differs = differs or not all(close(p.trace.grads[w], mutant[w]) for w in wrt)
        except (ArithmeticError, ValueError, KeyError):
            continue
        if fits and differs:
            found.append((node, mistake, params))
    return found
