"""The lecture's worked example (logistic regression with BCE), number for number.

Lecture point: w0 = -3 (bias), w1 = 2, x1 = -1, w2 = -3, x2 = -2, y = 1, so z = 1 and
yhat = sigmoid(1). Expected values are the exact ones from the research report (section 4.1),
rounded to 6 decimals; the lecture's own hand chain rounds to 0.73, -1.37, -0.27.
"""

from __future__ import annotations

import pytest

from grader.engine import Graph, backward, forward, trace

SIX_DECIMALS = 5e-7

INPUTS = ["w0", "w1", "x1", "w2", "x2", "y"]
POINT = {"w0": -3, "w1": 2, "x1": -1, "w2": -3, "x2": -2, "y": 1}

WEIGHTED_SUM = {
    "m1": ("mul", ("w1", "x1")),
    "m2": ("mul", ("w2", "x2")),
    "z": ("add", ("w0", "m1", "m2")),
}

PRIMITIVE = {
    **WEIGHTED_SUM,
    "n": ("neg", ("z",)),
    "e": ("exp", ("n",)),
    "d": ("add", ("e", 1.0)),
    "yhat": ("reciprocal", ("d",)),
    "L": ("bce", ("yhat", "y")),
}
SIGMOID_NODE = {**WEIGHTED_SUM, "yhat": ("sigmoid", ("z",)), "L": ("bce", ("yhat", "y"))}
FUSED_LOSS = {**WEIGHTED_SUM, "L": ("sigmoid_bce", ("z", "y"))}

LEAF_GRADS = {
    "w0": -0.268941,
    "w1": 0.268941,
    "x1": -0.537883,
    "w2": 0.537883,
    "x2": 0.806824,
    "y": -1.0,  # d bce / d y = -log p + log(1 - p) = -z
}


def lecture_graph(nodes=None) -> Graph:
    return Graph.build(INPUTS, nodes or PRIMITIVE, "L")


def test_forward_values_match_the_lecture():
    values = forward(lecture_graph(), POINT).values
    expected = {
        "m1": -2.0,
        "m2": 6.0,
        "z": 1.0,
        "n": -1.0,
        "e": 0.367879,
        "d": 1.367879,
        "yhat": 0.731059,
        "L": 0.313262,
    }
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, abs=SIX_DECIMALS), name


def test_gradient_at_every_node_matches_the_lecture():
    grads = trace(lecture_graph(), POINT).grads
    expected = {
        "L": 1.0,
        "yhat": -1.367879,  # -1 / yhat
        "d": 0.731059,
        "e": 0.731059,
        "n": 0.268941,
        "z": -0.268941,  # sigmoid(z) - y
        "m1": -0.268941,
        "m2": -0.268941,
    }
    for name, value in expected.items():
        assert grads[name] == pytest.approx(value, abs=SIX_DECIMALS), name


def test_leaf_gradients_match_the_lecture():
    grads = trace(lecture_graph(), POINT).grads
    for name, value in LEAF_GRADS.items():
        assert grads[name] == pytest.approx(value, abs=SIX_DECIMALS), name


def test_local_gradients_the_student_fills_in():
    locals_ = forward(lecture_graph(), POINT).locals
    assert locals_["e"] == pytest.approx((0.367879,), abs=SIX_DECIMALS)  # e^n = out
    assert locals_["yhat"] == pytest.approx((-0.534447,), abs=SIX_DECIMALS)  # -1/d^2
    assert locals_["n"] == (-1.0,)
    assert locals_["d"] == (1.0, 1.0)
    assert locals_["m1"] == (-1.0, 2.0)  # swapped operands: (x1, w1)
    assert locals_["L"][0] == pytest.approx(-1.367879, abs=SIX_DECIMALS)


@pytest.mark.parametrize(
    "nodes", [PRIMITIVE, SIGMOID_NODE, FUSED_LOSS], ids=["primitive", "sigmoid-gate", "sigmoid_bce-gate"]
)
def test_the_graph_is_not_unique_leaf_gradients_agree(nodes):
    result = trace(lecture_graph(nodes), POINT)
    assert result.values["L"] == pytest.approx(0.313262, abs=SIX_DECIMALS)
    assert result.grads["z"] == pytest.approx(-0.268941, abs=SIX_DECIMALS)
    for name, value in LEAF_GRADS.items():
        assert result.grads[name] == pytest.approx(value, abs=SIX_DECIMALS), name


def test_the_three_graphs_agree_to_rounding_error():
    grads = [trace(lecture_graph(nodes), POINT).grads for nodes in (PRIMITIVE, SIGMOID_NODE, FUSED_LOSS)]
    for name in INPUTS:
        assert grads[0][name] == pytest.approx(grads[1][name], rel=1e-12, abs=1e-15), name
        assert grads[0][name] == pytest.approx(grads[2][name], rel=1e-12, abs=1e-15), name


def test_one_gradient_descent_step_lowers_the_loss():
    graph = lecture_graph()
    before = trace(graph, POINT)
    lr = 0.1
    after_point = dict(POINT)
    for name in ("w0", "w1", "w2"):  # x and y are data and stay fixed
        after_point[name] = POINT[name] - lr * before.grads[name]
    assert after_point["w0"] == pytest.approx(-2.973106, abs=SIX_DECIMALS)
    assert after_point["w1"] == pytest.approx(1.973106, abs=SIX_DECIMALS)
    assert after_point["w2"] == pytest.approx(-3.053788, abs=SIX_DECIMALS)
    after = forward(graph, after_point)
    assert after.values["z"] == pytest.approx(1.161365, abs=SIX_DECIMALS)
    assert after.values["yhat"] == pytest.approx(0.761581, abs=SIX_DECIMALS)
    assert after.values["L"] == pytest.approx(0.272359, abs=SIX_DECIMALS)
    assert after.values["L"] < before.values["L"]


def test_the_lectures_rounded_hand_chain_is_off_by_a_known_amount():
    """(1 - 0.73) * 0.73 * (-1.37) = -0.270027: close to, but not, the exact -0.268941."""
    exact = trace(lecture_graph(), POINT).grads["z"]
    hand = (1 - 0.73) * 0.73 * (-1.37)
    assert hand == pytest.approx(-0.270027, abs=SIX_DECIMALS)
    assert abs(hand - exact) / abs(exact) == pytest.approx(4.0e-3, abs=1e-4)


def test_nodes_may_be_listed_in_any_order():
    reordered = dict(reversed(list(PRIMITIVE.items())))
    graph = lecture_graph(reordered)
    assert [n.name for n in graph.nodes] == ["m2", "m1", "z", "n", "e", "d", "yhat", "L"]
    assert trace(graph, POINT).grads == trace(lecture_graph(), POINT).grads


def test_backward_seeds_the_output_with_one():
    graph = lecture_graph()
    assert backward(graph, forward(graph, POINT))["L"] == 1.0
