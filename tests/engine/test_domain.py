"""Where the reference is undefined it says so, naming the node, its gate and the point;
where a naive formula would overflow but the function is defined, the engine stays finite."""

from __future__ import annotations

import math

import pytest

from grader.engine import GATES, EvaluationError, Graph, forward, sigmoid, topological_order, trace


def one_gate(op: str, *args, inputs=("x",)) -> Graph:
    return Graph.build(list(inputs), {"bad": (op, tuple(args))}, "bad")


UNDEFINED = [
    pytest.param(one_gate("log", "x"), {"x": 0.0}, "log(0) is undefined", id="log-of-zero"),
    pytest.param(one_gate("log", "x"), {"x": -1.0}, "log(-1) is undefined", id="log-of-negative"),
    pytest.param(one_gate("reciprocal", "x"), {"x": 0.0}, "1/x divides by zero", id="reciprocal-of-zero"),
    pytest.param(
        one_gate("div", "x", "y", inputs=("x", "y")),
        {"x": 1.0, "y": 0.0},
        "a/b divides by zero",
        id="division-by-zero",
    ),
    pytest.param(one_gate("sqrt", "x"), {"x": -4.0}, "sqrt(-4) is undefined", id="sqrt-of-negative"),
    pytest.param(one_gate("exp", "x"), {"x": 1000.0}, "exp(1000) overflows", id="exp-overflow"),
    pytest.param(one_gate("pow", "x", 0.5), {"x": -8.0}, "-8 ** 0.5 is not a real number", id="pow-neg-half"),
    pytest.param(one_gate("pow", "x", 1 / 3), {"x": -8.0}, "-8 ** 0.333333 is not a real number", id="pow-neg-third"),
    pytest.param(one_gate("pow", "x", -1.0), {"x": 0.0}, "0 ** -1 divides by zero", id="pow-zero-negative"),
    pytest.param(
        one_gate("bce", "x", "y", inputs=("x", "y")),
        {"x": 1.0, "y": 0.0},
        "log(0) is undefined",
        id="bce-p1-y0",
    ),
    pytest.param(
        one_gate("bce", "x", "y", inputs=("x", "y")),
        {"x": 0.0, "y": 1.0},
        "log(0) is undefined",
        id="bce-p0-y1",
    ),
    pytest.param(one_gate("square", "x"), {"x": 1e200}, "overflows", id="square-overflow"),
    pytest.param(
        one_gate("mul", "x", "y", inputs=("x", "y")), {"x": 1e200, "y": 1e200}, "overflows", id="mul-overflow"
    ),
]


@pytest.mark.parametrize(("graph", "point", "reason"), UNDEFINED)
def test_undefined_gate_names_node_op_and_point(graph, point, reason):
    with pytest.raises(EvaluationError) as caught:
        trace(graph, point)
    err = caught.value
    op = graph.nodes[0].op
    where = ", ".join(f"{k}={v:g}" for k, v in point.items())
    assert (err.node, err.op, err.point) == ("bad", op, {k: float(v) for k, v in point.items()})
    assert reason in err.reason
    assert str(err).startswith(f"node 'bad' ({op}): ")
    assert str(err).endswith(f" at {where}")
    assert reason in str(err)


def test_the_error_names_the_failing_node_deep_in_a_graph():
    g = Graph.build(
        ["a", "b"],
        {"s": ("sub", ("a", "b")), "lg": ("log", ("s",)), "out": ("mul", ("lg", "a"))},
        "out",
    )
    assert trace(g, {"a": 3, "b": 1}).values["lg"] == pytest.approx(math.log(2))
    with pytest.raises(EvaluationError, match=r"^node 'lg' \(log\): log\(0\) is undefined.* at a=2, b=2$"):
        trace(g, {"a": 2, "b": 2})


def test_python_math_errors_never_escape_as_themselves():
    """math.log raises ValueError, 1/0.0 ZeroDivisionError, exp(1000) OverflowError: all are reported."""
    for graph, point in [
        (one_gate("log", "x"), {"x": 0}),
        (one_gate("div", "x", "y", inputs=("x", "y")), {"x": 1, "y": 0}),
        (one_gate("exp", "x"), {"x": 1e4}),
    ]:
        with pytest.raises(EvaluationError):
            forward(graph, point)


def test_non_finite_inputs_are_reported_not_propagated():
    with pytest.raises(EvaluationError, match="node 'bad' \\(neg\\)"):
        trace(one_gate("neg", "x"), {"x": math.nan})


@pytest.mark.parametrize(("z", "value", "grad"), [(800.0, 1.0, 0.0), (-800.0, 0.0, 0.0), (0.0, 0.5, 0.25)])
def test_sigmoid_is_stable_at_large_arguments(z, value, grad):
    assert sigmoid(z) == value
    t = trace(one_gate("sigmoid", "x"), {"x": z})
    assert t.values["bad"] == value
    assert t.grads["x"] == grad


def test_sigmoid_has_no_overflow_anywhere_in_the_float_range():
    for z in (-1e308, -710.0, -709.0, -37.0, 37.0, 709.0, 710.0, 1e308):
        s = sigmoid(z)
        assert 0.0 <= s <= 1.0
        assert GATES["sigmoid"].local((z,), s)[0] >= 0.0


@pytest.mark.parametrize(
    ("z", "y", "loss", "dz"),
    [
        (-800.0, 1.0, 800.0, -1.0),  # sigmoid(-800) is 0.0 in float64, so bce takes log(0)
        (40.0, 0.0, 40.0, 1.0),  # sigmoid(40) is 1.0, so bce takes log(1 - 1.0); exact: 40 + 4e-18
        (800.0, 0.0, 800.0, 1.0),
    ],
)
def test_sigmoid_bce_is_stable_where_sigmoid_then_bce_fails(z, y, loss, dz):
    g = Graph.build(["z", "y"], {"L": ("sigmoid_bce", ("z", "y"))}, "L")
    t = trace(g, {"z": z, "y": y})
    assert t.values["L"] == pytest.approx(loss, abs=1e-15)
    assert t.grads["z"] == pytest.approx(dz, abs=1e-15)
    assert t.grads["y"] == -z
    # ... whereas the loss of the unfused graph is undefined in float64 at the same point.
    unfused = Graph.build(["z", "y"], {"p": ("sigmoid", ("z",)), "L": ("bce", ("p", "y"))}, "L")
    with pytest.raises(EvaluationError, match=r"node 'L' \(bce\): log\(0\) is undefined"):
        forward(unfused, {"z": z, "y": y})


def test_sigmoid_bce_where_the_loss_is_tiny():
    g = Graph.build(["z", "y"], {"L": ("sigmoid_bce", ("z", "y"))}, "L")
    t = trace(g, {"z": 37.0, "y": 1.0})
    assert t.values["L"] == pytest.approx(math.exp(-37), rel=1e-12, abs=0)  # log1p(e^-37), not 0
    assert t.grads["z"] == pytest.approx(-math.exp(-37), abs=1e-16)


def test_relu_gradient_at_zero_is_zero():
    t = trace(one_gate("relu", "x"), {"x": 0.0})
    assert t.values["bad"] == 0.0
    assert t.grads["x"] == 0.0


def test_max_splits_the_gradient_at_a_tie():
    t = trace(one_gate("max", "x", "y", inputs=("x", "y")), {"x": 2.0, "y": 2.0})
    assert (t.grads["x"], t.grads["y"]) == (0.5, 0.5)


def test_topological_order_names_the_cycle():
    deps = {"x": [], "a": ["x", "c"], "b": ["a"], "c": ["b"], "d": ["c"]}
    with pytest.raises(ValueError, match=r"^the graph has a cycle through a → b → c → a$"):
        topological_order(deps)


def test_topological_order_names_a_self_loop():
    with pytest.raises(ValueError, match=r"^the graph has a cycle through a → a$"):
        topological_order({"a": ["a"]})


def test_graph_build_refuses_a_cycle():
    nodes = {"p": ("add", ("x", "q")), "q": ("exp", ("p",)), "f": ("neg", ("q",))}
    with pytest.raises(ValueError, match=r"cycle through (p → q → p|q → p → q)"):
        Graph.build(["x"], nodes, "f")


def test_graph_build_refuses_an_unknown_name():
    with pytest.raises(ValueError, match=r"^node 'f' uses 'q', which is not an input or a node$"):
        Graph.build(["x"], {"f": ("add", ("x", "q"))}, "f")


def test_topological_order_keeps_the_listing_order_for_ties():
    """Of the nodes ready at each step, the one listed first goes first."""
    assert topological_order({"c": [], "a": [], "b": ["c", "a"], "d": []}) == ["c", "a", "b", "d"]


def test_topological_order_is_not_recursive():
    n = 20_000  # far beyond Python's recursion limit
    deps = {f"n{i}": ([f"n{i - 1}"] if i else []) for i in range(n)}
    assert topological_order(deps)[-1] == f"n{n - 1}"


# --------------------------------------------------------------------------- engine bugs


@pytest.mark.parametrize(
    ("graph", "point"),
    [
        (one_gate("reciprocal", "x"), {"x": 1e-200}),  # value 1e200 is finite; d/dx = -1e400
        (one_gate("log", "x"), {"x": 1e-310}),  # value -713.8 is finite; d/dx = 1e310
    ],
    ids=["reciprocal", "log"],
)
def test_an_overflowing_local_gradient_is_an_evaluation_error(graph, point):
    with pytest.raises(EvaluationError):
        trace(graph, point)


def test_an_overflowing_chained_gradient_is_an_evaluation_error():
    g = Graph.build(["x"], {"a": ("reciprocal", ("x",)), "f": ("mul", ("a", "a"))}, "f")
    with pytest.raises(EvaluationError):
        trace(g, {"x": 1e-150})
