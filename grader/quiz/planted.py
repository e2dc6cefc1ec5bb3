"""Classic mistakes planted in a numeric question, so that a variant where one passes is drawn again.

A student who makes a classic mistake must not get the mark by luck: ignoring the learning rate
is harmless when η = 1, forgetting the ×x1 of a mul gate when x1 = 1, mixing up ∂L/∂x1 and ∂L/∂w1
when w1 = x1. For a drawn variant we compute what each classic mistake answers, with the
reference engine run on a mutated graph or the answer formula mutated:

* **backward** (the key uses ``grad(X)``), one gate N downstream of X at a time: the sign flipped,
  the local factor forgotten (``missing_factor``: the ×x1 of a mul gate), the upstream forgotten,
  the operands swapped, the output used where the input was meant (and the reverse), an add gate
  that splits its gradient; ``=`` instead of ``+=`` at a fan-out;
* **mixed up**: ``grad(Y)`` in place of ``grad(X)`` for a Y that enters the same gate as X (x1 for w1);
* **forward** (the key uses ``value(N)`` or ``local(N)``): one gate's output with its sign lost (the
  neg gate skipped), an add gate's input dropped (the bias forgotten), a sub/div/pow gate's operands
  swapped; ``local(N, k)`` with its sign flipped, of the other operand, or from the wrong quantity;
* **formula**: a parameter ignored (``lr_ignored``: η taken as 1), ``+`` for ``−`` (gradient ascent),
  the whole answer's sign flipped.

A mistake *passes* a variant when its value is accepted by the same rule that grades an answer
(``accepts``). Only mistakes that change the answer somewhere are planted (a mutation of a gate the
key does not depend on never does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from grader.engine import DomainError, Graph, Node, Trace
from grader.quiz.expressions import Ast, Undefined, evaluate, refs_in

Refs = dict[tuple[str, str, int], float]
Contribution = Callable[[float, tuple[float, ...], tuple[float, ...], float], tuple[float, ...]]
FAILURES = (Undefined, DomainError, ArithmeticError, ValueError, KeyError, IndexError)


@dataclass(frozen=True)
class Mistake:
    code: str  # sign_error, missing_factor, lr_ignored, mixed_up, ...
    where: str  # the node, input or parameter it is planted at ("" for the whole answer)

    @property
    def label(self) -> str:
        return f"{self.code} at {self.where}" if self.where else self.code


def accepts(exact: float, hand: float | None, decimals: int, atol: float | None, rtol: float | None, value: float):
    """The grading rule of a numeric answer (``result.grade_numeric`` uses it too)."""
    half = 0.5 * 10.0**-decimals
    slack = 1e-9 * max(1.0, abs(exact))
    bound = (atol or 0.0) + (rtol or 0.0) * abs(exact) if atol is not None or rtol is not None else half
    if abs(value - exact) <= bound + slack:
        return True
    return hand is not None and abs(value - hand) <= half + slack


# --------------------------------------------------------------------------- the values of the mistakes


def mistaken_values(key: Ast, graph: Graph | None, reference: Trace | None, env: dict, params: set[str]):
    """Every applicable mistake and the value it answers (None where it is undefined)."""
    refs = refs_of(reference) if reference is not None else {}
    for mistake, tree, mutated in _variants(key, graph, reference, params):
        try:
            yield mistake, evaluate(tree, env, {**refs, **mutated})
        except FAILURES:
            yield mistake, None


def refs_of(tr: Trace) -> Refs:
    refs: Refs = {}
    for name, value in tr.values.items():
        refs[("value", name, 0)] = value
        refs[("grad", name, 0)] = tr.grads.get(name, 0.0)
    for name, local in tr.locals.items():
        for k, g in enumerate(local):
            refs[("local", name, k)] = g
    return refs


def _variants(key: Ast, graph: Graph | None, reference: Trace | None, params: set[str]):
    yield from _formula_variants(key, params)
    if graph is None or reference is None:
        return
    used = refs_in(key)
    grads = {node for fn, node, _ in used if fn == "grad"}
    if grads:
        for mistake, mutated_grads in _backward_variants(graph, reference, grads):
            yield mistake, key, {("grad", n, 0): g for n, g in mutated_grads.items()}
        for name in sorted(grads):
            for other in _siblings(graph, name):
                yield Mistake("mixed_up", f"{name}/{other}"), _swap_ref(key, name, other), {}
    for fn, node, k in used:
        if fn == "local":
            for mistake, value in _local_variants(graph, reference, node, k):
                yield mistake, key, {("local", node, k): value}
    if any(fn in ("value", "local") for fn, _, _ in used):
        for mistake, mutated_trace in _forward_variants(graph, reference, used):
            refs = refs_of(mutated_trace)
            yield mistake, key, {r: v for r, v in refs.items() if r[0] in ("value", "local")}


# --------------------------------------------------------------------------- formula


def _formula_variants(key: Ast, params: set[str]) -> Iterator[tuple[Mistake, Ast, Refs]]:
    yield Mistake("sign_flipped", ""), ("neg", key), {}
    for name in sorted(params):
        if any(node[0] == "var" and node[1] == name for node in _walk(key)):
            yield Mistake("lr_ignored" if name in ("lr", "eta") else "param_ignored", name), _replace_var(key, name), {}
    for i in range(_count(key, ("add", "sub"))):
        yield Mistake("ascent" if _is_update(key) else "plus_minus", ""), _flip_op(key, i), {}


def _walk(tree: Ast):
    yield tree
    for child in tree[1:]:
        if isinstance(child, tuple):
            yield from _walk(child)


def _replace_var(tree: Ast, name: str) -> Ast:
    if tree[0] == "var" and tree[1] == name:
        return ("num", "1")
    return (tree[0], *(_replace_var(c, name) if isinstance(c, tuple) else c for c in tree[1:]))


def _count(tree: Ast, kinds: tuple[str, ...]) -> int:
    return sum(1 for node in _walk(tree) if node[0] in kinds)


def _flip_op(tree: Ast, index: int) -> Ast:
    """The tree with its ``index``-th add/sub (in walk order) turned into the other."""
    counter = [index]

    def go(t: Ast) -> Ast:
        if t[0] in ("add", "sub"):
            hit = counter[0] == 0
            counter[0] -= 1
            kind = {"add": "sub", "sub": "add"}[t[0]] if hit else t[0]
            return (kind, *(go(c) if isinstance(c, tuple) else c for c in t[1:]))
        return (t[0], *(go(c) if isinstance(c, tuple) else c for c in t[1:]))

    return go(tree)


def _is_update(tree: Ast) -> bool:
    return any(node[0] == "ref" and node[1] == "grad" for node in _walk(tree)) and tree[0] in ("add", "sub")


def _swap_ref(tree: Ast, name: str, other: str) -> Ast:
    if tree[0] == "ref" and tree[1] == "grad" and tree[2] == name:
        return ("ref", "grad", other, tree[3])
    return (tree[0], *(_swap_ref(c, name, other) if isinstance(c, tuple) else c for c in tree[1:]))


# --------------------------------------------------------------------------- backward


def _siblings(graph: Graph, name: str) -> list[str]:
    """Inputs and nodes that enter a gate beside ``name`` (x1 beside w1 in w1·x1)."""
    found: list[str] = []
    for node in graph.nodes:
        if name in node.parents():
            found += [p for p in node.parents() if p != name and p not in found]
    return found


def downstream(graph: Graph, name: str) -> set[str]:
    """The nodes that use ``name``, directly or through other nodes."""
    reach = {name}
    for node in graph.nodes:
        if any(p in reach for p in node.parents()):
            reach.add(node.name)
    return reach - {name}


def _gate_mutations(node: Node) -> dict[str, Contribution]:
    """How a classic mistake at this gate changes what it sends to its inputs: (u, local, args, out) → sent."""
    found: dict[str, Contribution] = {
        "sign_error": lambda u, loc, a, o: tuple(-u * g for g in loc),
        "missing_factor": lambda u, loc, a, o: tuple(u for _ in loc),
        "missing_upstream": lambda u, loc, a, o: tuple(loc),
    }
    if len(node.args) == 2:
        found["swapped_operands"] = lambda u, loc, a, o: (u * loc[1], u * loc[0])
    gate = node.gate
    if len(node.args) == 1 and gate.from_input and gate.from_output:
        found["used_output_for_input"] = lambda u, loc, a, o: (u * gate.from_input(o),)
        found["used_input_for_output"] = lambda u, loc, a, o: (u * gate.from_output(a[0]),)
    if node.op == "add" and len(node.args) > 1:
        found["add_split"] = lambda u, loc, a, o: tuple(u * g / len(loc) for g in loc)
    return found


def _real(node: Node, mistake: str, contribution: Contribution, is_output: bool) -> bool:
    """Whether the mistake changes what this gate sends anywhere (swapping add's (1, 1) does not)."""
    if mistake == "missing_upstream" and is_output:
        return False
    args = [0.3 + 0.17 * i for i in range(len(node.args))]
    for i in node.gate.constant_args:
        args[i] = float(node.args[i]) if not isinstance(node.args[i], str) else 2.0
    try:
        out = node.gate.forward(args)
        local = node.gate.local(args, out)
        sent = contribution(1.7, local, tuple(args), out)
    except FAILURES:
        return True
    return any(abs(s - 1.7 * g) > 1e-9 for s, g in zip(sent, local))


def _backward_variants(graph: Graph, reference: Trace, targets: set[str]):
    relevant = set().union(*(downstream(graph, t) for t in targets))
    for node in graph.nodes:
        if node.name not in relevant:
            continue
        for mistake, contribution in _gate_mutations(node).items():
            if _real(node, mistake, contribution, node.name == graph.output):
                try:
                    yield Mistake(mistake, node.name), _backward(graph, reference, {node.name: contribution})
                except FAILURES:
                    continue
    uses = graph.consumers()
    for name, consumers in uses.items():
        distinct = list(dict.fromkeys(consumers))
        if len(distinct) < 2 or not (name in targets or name in relevant):
            continue
        for kept in distinct:
            yield Mistake("overwrote_fanout", f"{name} (kept {kept})"), _backward(graph, reference, {}, {name: kept})


def _backward(graph: Graph, tr: Trace, mutations: dict[str, Contribution], keep: dict[str, str] | None = None):
    keep = keep or {}
    grads = {name: 0.0 for name in (*graph.inputs, *(n.name for n in graph.nodes))}
    grads[graph.output] = 1.0
    for node in reversed(graph.nodes):
        u, local = grads[node.name], tr.locals[node.name]
        sent = tuple(u * g for g in local)
        if node.name in mutations:
            sent = mutations[node.name](u, local, tr.args_of(node), tr.values[node.name])
        for arg, s in zip(node.args, sent):
            if isinstance(arg, str) and (arg not in keep or keep[arg] == node.name):
                grads[arg] += s
    return grads


# --------------------------------------------------------------------------- local and forward


def _local_variants(graph: Graph, tr: Trace, name: str, k: int) -> Iterator[tuple[Mistake, float]]:
    node = graph.by_name[name]
    local = tr.locals[name]
    yield Mistake("sign_error", name), -local[k]
    if len(local) == 2:
        yield Mistake("swapped_operands", name), local[1 - k]
    gate, args, out = node.gate, tr.args_of(node), tr.values[name]
    if len(node.args) == 1 and gate.from_input and gate.from_output:
        rules = (("used_output_for_input", gate.from_input, out), ("used_input_for_output", gate.from_output, args[0]))
        for code, rule, x in rules:
            try:
                value = rule(x)
            except FAILURES:
                continue
            if not _same_rule(gate, code):
                yield Mistake(code, name), value


def _same_rule(gate, code: str) -> bool:
    """neg's −1 is the same from the input or the output: no mistake to plant."""
    try:
        x = 0.37
        out = gate.forward([x])
        truth = gate.local([x], out)[0]
        wrong = gate.from_input(out) if code == "used_output_for_input" else gate.from_output(x)
        return abs(wrong - truth) < 1e-12
    except FAILURES:
        return False


def _forward_variants(graph: Graph, reference: Trace, used) -> Iterator[tuple[Mistake, Trace]]:
    asked = {node for fn, node, _ in used if fn in ("value", "local")}
    ancestors = {n.name for n in graph.nodes if any(a in downstream(graph, n.name) | {n.name} for a in asked)}
    for node in graph.nodes:
        if node.name not in ancestors:
            continue
        mutations: dict[str, Callable[[tuple[float, ...], float], float]] = {"sign_lost": lambda a, o: -o}
        if node.op in ("sub", "div", "pow") and len(node.args) == 2:
            mutations["swapped_operands"] = lambda a, o, g=node.gate: g.forward(tuple(reversed(a)))
        if node.op == "add" and len(node.args) > 1:
            for i, arg in enumerate(node.args):
                mutations[f"dropped_input:{arg}"] = lambda a, o, i=i: o - a[i]
        for code, mutate in mutations.items():
            try:
                yield Mistake(code.split(":")[0], node.name), _forward(graph, reference.point, node.name, mutate)
            except FAILURES:
                continue


def _forward(graph: Graph, point: dict, target: str, mutate) -> Trace:
    tr = Trace(point=dict(point))
    tr.values.update(point)
    for node in graph.nodes:
        args = tr.args_of(node)
        out = float(node.gate.forward(args))
        if node.name == target:
            out = float(mutate(args, out))
        tr.values[node.name] = out
        tr.locals[node.name] = tuple(float(g) for g in node.gate.local(args, out))
    return tr
