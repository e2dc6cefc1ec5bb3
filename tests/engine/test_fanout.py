"""A value used on several paths receives the sum of their gradients (`+=`, never `=`)."""

from __future__ import annotations

import math

import pytest

from grader.engine import Graph, backward, forward, trace

SIX_DECIMALS = 5e-7


def graph(inputs, nodes, output) -> Graph:
    return Graph.build(inputs, nodes, output)


# CS231n "staged computation": f = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2), x = 3, y = -4.
STAGED = {
    "sigy": ("sigmoid", ("y",)),
    "num": ("add", ("x", "sigy")),
    "sigx": ("sigmoid", ("x",)),
    "xpy": ("add", ("x", "y")),
    "xpysqr": ("square", ("xpy",)),
    "den": ("add", ("sigx", "xpysqr")),
    "invden": ("reciprocal", ("den",)),
    "f": ("mul", ("num", "invden")),
}
STAGED_POINT = {"x": 3, "y": -4}


def staged() -> Graph:
    return graph(["x", "y"], STAGED, "f")


def test_the_same_input_twice_in_one_gate_counts_twice():
    square_by_mul = graph(["x"], {"f": ("mul", ("x", "x"))}, "f")
    double_by_add = graph(["x"], {"f": ("add", ("x", "x"))}, "f")
    assert trace(square_by_mul, {"x": 3}).grads["x"] == 6.0  # d(x·x)/dx = 2x
    assert trace(double_by_add, {"x": 3}).grads["x"] == 2.0  # micrograd's a + a


def test_a_node_reused_by_two_gates_sums_both_paths():
    g = graph(
        ["x"],
        {"a": ("exp", ("x",)), "b": ("square", ("a",)), "c": ("neg", ("a",)), "f": ("add", ("b", "c"))},
        "f",
    )
    t = trace(g, {"x": 0.5})
    a = math.exp(0.5)
    assert t.grads["a"] == pytest.approx(2 * a - 1, rel=1e-15)  # 2a from b, -1 from c
    assert t.grads["x"] == pytest.approx((2 * a - 1) * a, rel=1e-15)


def test_cs231n_staged_example():
    t = trace(staged(), STAGED_POINT)
    assert t.values["f"] == pytest.approx(1.545645, abs=SIX_DECIMALS)
    assert t.grads["x"] == pytest.approx(2.059570, abs=SIX_DECIMALS)
    assert t.grads["y"] == pytest.approx(1.592233, abs=SIX_DECIMALS)


def test_cs231n_staged_example_matches_the_closed_form():
    x, y = 3.0, -4.0
    s = lambda v: 1 / (1 + math.exp(-v))
    num, den = x + s(y), s(x) + (x + y) ** 2
    dfdx = ((1 + 0) * den - num * (s(x) * (1 - s(x)) + 2 * (x + y))) / den**2
    dfdy = (s(y) * (1 - s(y)) * den - num * (2 * (x + y))) / den**2
    t = trace(staged(), STAGED_POINT)
    assert t.grads["x"] == pytest.approx(dfdx, rel=1e-13)
    assert t.grads["y"] == pytest.approx(dfdy, rel=1e-13)


def test_assignment_instead_of_accumulation_gives_the_classic_wrong_numbers():
    g = staged()
    fwd = forward(g, STAGED_POINT)
    right = backward(g, fwd)
    wrong = backward(g, fwd, accumulate=False)
    assert wrong["x"] != pytest.approx(right["x"])
    assert wrong["y"] != pytest.approx(right["y"])
    # Nodes are processed in reverse listing order, so the path through `num` (listed
    # first) is processed last and overwrites x's gradient; `sigy` overwrites y's.
    assert wrong["x"] == pytest.approx(0.512144, abs=SIX_DECIMALS)
    assert wrong["y"] == pytest.approx(0.009046, abs=SIX_DECIMALS)


def test_assignment_instead_of_accumulation_at_a_within_gate_fanout():
    g = graph(["x"], {"f": ("mul", ("x", "x"))}, "f")
    assert backward(g, forward(g, {"x": 3}), accumulate=False)["x"] == 3.0  # not 6


def test_accumulation_does_not_matter_without_fanout():
    g = graph(["x", "y"], {"a": ("mul", ("x", "y")), "b": ("exp", ("a",))}, "b")
    fwd = forward(g, {"x": 0.3, "y": -2})
    assert backward(g, fwd, accumulate=False) == backward(g, fwd)


def test_backward_is_idempotent():
    """micrograd #53: calling backward twice must not double the gradients."""
    g = staged()
    fwd = forward(g, STAGED_POINT)
    first = backward(g, fwd)
    second = backward(g, fwd)
    assert first == second
    assert second["x"] == pytest.approx(2.059570, abs=SIX_DECIMALS)


def test_trace_is_idempotent_and_leaves_earlier_traces_alone():
    g = staged()
    first = trace(g, STAGED_POINT)
    kept = dict(first.grads)
    second = trace(g, STAGED_POINT)
    backward(g, first)
    assert first.grads == kept == second.grads
    assert first.values == second.values


def test_gradients_start_from_zero_for_nodes_off_the_output_path():
    g = graph(["x", "y"], {"a": ("mul", ("x", "x")), "b": ("exp", ("y",)), "f": ("neg", ("a",))}, "f")
    t = trace(g, {"x": 2, "y": 1})
    assert t.grads["b"] == 0.0
    assert t.grads["y"] == 0.0
    assert t.grads["x"] == -4.0


def test_local_override_is_chained_like_the_engines_own_locals():
    g = staged()
    fwd = forward(g, STAGED_POINT)
    same = backward(g, fwd, local_override=lambda node, args, out: fwd.locals[node.name])
    assert same == backward(g, fwd)
    # A sign error in one local gradient flows into everything upstream of that node only.
    flipped = backward(
        g,
        fwd,
        local_override=lambda node, args, out: (
            tuple(-v for v in fwd.locals[node.name]) if node.name == "invden" else None
        ),
    )
    right = backward(g, fwd)
    assert flipped["invden"] == right["invden"]
    assert flipped["den"] == -right["den"]
    assert flipped["num"] == right["num"]
