"""A named computational graph and the reference forward and backward passes over it.

Unlike micrograd, every node carries the name the exercise gave it, children are an ordered
tuple, the topological order is computed iteratively (no recursion limit) and deterministically
(listing order breaks ties), gradients start from zero on every pass, and every node's value,
local gradients and gradient are kept so that a student's answer can be compared node by node.

``backward`` takes an optional ``local_override`` so that the same chain rule can run with a
student's local gradients plugged in (the end-to-end effect of their answers), or with a mutated
gate (to recognise a mistake by its fingerprint).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from grader.engine.gates import GATES, DomainError, Gate

Arg = str | float  # a node or input name, or a constant


@dataclass(frozen=True)
class Node:
    name: str
    op: str
    args: tuple[Arg, ...]

    @property
    def gate(self) -> Gate:
        return GATES[self.op]

    def parents(self) -> tuple[str, ...]:
        return tuple(a for a in self.args if isinstance(a, str))


class EvaluationError(ArithmeticError):
    """The reference is undefined at a point: names the node, its gate and the reason."""

    def __init__(self, node: str, op: str, reason: str, point: Mapping[str, float] | None = None):
        self.node, self.op, self.reason, self.point = node, op, reason, dict(point or {})
        where = ", ".join(f"{k}={v:g}" for k, v in self.point.items())
        super().__init__(f"node '{node}' ({op}): {reason}" + (f" at {where}" if where else ""))


@dataclass(frozen=True)
class Graph:
    inputs: tuple[str, ...]
    nodes: tuple[Node, ...]  # in topological order
    output: str

    @classmethod
    def build(cls, inputs, nodes: Mapping[str, tuple[str, tuple[Arg, ...]]], output: str) -> Graph:
        """Order the nodes topologically; raises ValueError on a cycle or an unknown name."""
        known = set(inputs) | set(nodes)
        for name, (_, args) in nodes.items():
            for a in args:
                if isinstance(a, str) and a not in known:
                    raise ValueError(f"node '{name}' uses '{a}', which is not an input or a node")
        order = topological_order(
            {n: [a for a in args if isinstance(a, str) and a in nodes] for n, (_, args) in nodes.items()}
        )
        built = tuple(Node(n, nodes[n][0], tuple(nodes[n][1])) for n in order)
        return cls(tuple(inputs), built, output)

    @property
    def by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    def consumers(self) -> dict[str, list[str]]:
        """For each input and node, the nodes that use it (one entry per use)."""
        uses: dict[str, list[str]] = {n: [] for n in (*self.inputs, *(m.name for m in self.nodes))}
        for node in self.nodes:
            for p in node.parents():
                uses[p].append(node.name)
        return uses

    def depth_from_output(self) -> dict[str, int]:
        """Edges on the longest path to the output: small means near the output."""
        depth = {self.output: 0}
        for node in reversed(self.nodes):
            if node.name not in depth:
                continue
            for p in node.parents():
                depth[p] = max(depth.get(p, 0), depth[node.name] + 1)
        return depth


def topological_order(deps: Mapping[str, list[str]]) -> list[str]:
    """Kahn's algorithm; ties keep the mapping's order. Raises ValueError naming a cycle."""
    pending = {n: len(set(d)) for n, d in deps.items()}
    users: dict[str, list[str]] = {n: [] for n in deps}
    for n, d in deps.items():
        for p in set(d):
            users[p].append(n)
    index = {n: i for i, n in enumerate(deps)}
    ready = [n for n in deps if pending[n] == 0]
    order: list[str] = []
    while ready:
        ready.sort(key=index.__getitem__)
        n = ready.pop(0)
        order.append(n)
        for u in users[n]:
            pending[u] -= 1
            if pending[u] == 0:
                ready.append(u)
    if len(order) < len(deps):
        raise ValueError("the graph has a cycle through " + " → ".join(_find_cycle(deps, set(order))))
    return order


def _find_cycle(deps: Mapping[str, list[str]], done: set[str]) -> list[str]:
    start = next(n for n in deps if n not in done)
    path, seen = [start], {start: 0}
    while True:
        nxt = next(p for p in deps[path[-1]] if p not in done)
        if nxt in seen:
            cycle = path[seen[nxt] :] + [nxt]
            return list(reversed(cycle))
        seen[nxt] = len(path)
        path.append(nxt)


@dataclass
class Trace:
    """Every node's value, local gradients and gradient at one point."""

    point: dict[str, float]
    values: dict[str, float] = field(default_factory=dict)  # inputs and nodes
    locals: dict[str, tuple[float, ...]] = field(default_factory=dict)  # node -> d node / d arg
    grads: dict[str, float] = field(default_factory=dict)  # d output / d input-or-node

    def args_of(self, node: Node) -> tuple[float, ...]:
        return tuple(self.values[a] if isinstance(a, str) else float(a) for a in node.args)


LocalOverride = Callable[[Node, tuple[float, ...], float], tuple[float, ...] | None]


def forward(graph: Graph, point: Mapping[str, float]) -> Trace:
    trace = Trace(point={k: float(point[k]) for k in graph.inputs})
    trace.values.update(trace.point)
    for node in graph.nodes:
        args = trace.args_of(node)
        try:
            out = float(node.gate.forward(args))
            trace.locals[node.name] = tuple(float(g) for g in node.gate.local(args, out))
        except (DomainError, ZeroDivisionError, OverflowError, ValueError) as exc:
            raise EvaluationError(node.name, node.op, str(exc), trace.point) from None
        if not math.isfinite(out):
            raise EvaluationError(node.name, node.op, f"the value is {out}", trace.point)
        if not all(math.isfinite(g) for g in trace.locals[node.name]):
            raise EvaluationError(node.name, node.op, "the local gradient overflows", trace.point)
        trace.values[node.name] = out
    return trace


def backward(
    graph: Graph,
    trace: Trace,
    local_override: LocalOverride | None = None,
    accumulate: bool = True,
) -> dict[str, float]:
    """Gradients of the output with respect to every input and node, reset on every call.

    ``accumulate=False`` reproduces the classic ``=`` instead of ``+=`` bug at a fan-out: the
    contribution processed last wins.
    """
    grads = {name: 0.0 for name in (*graph.inputs, *(n.name for n in graph.nodes))}
    grads[graph.output] = 1.0
    for node in reversed(graph.nodes):
        upstream = grads[node.name]
        if not math.isfinite(upstream):
            raise EvaluationError(node.name, node.op, "the gradient overflows", trace.point)
        local = trace.locals[node.name]
        if local_override is not None:
            replaced = local_override(node, trace.args_of(node), trace.values[node.name])
            if replaced is not None:
                local = replaced
        for arg, g in zip(node.args, local, strict=True):
            if isinstance(arg, str):
                if accumulate:
                    grads[arg] += upstream * g
                else:
                    grads[arg] = upstream * g
    for name in graph.inputs:
        if not math.isfinite(grads[name]):
            raise EvaluationError(name, "input", "the gradient overflows", trace.point)
    return grads


def trace(graph: Graph, point: Mapping[str, float]) -> Trace:
    """Forward then backward: the reference at one point."""
    result = forward(graph, point)
    result.grads = backward(graph, result)
    return result
