"""The graph drawn as in the lecture: layout properties and what the SVG says."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET

import pytest

from grader.engine import Graph, trace
from grader.exercise.loader import find_exercise
from grader.report.diagram import Marks, draw, layout, num

from .conftest import HERE

EXERCISES = HERE.parents[1] / "exercises"
IDS = sorted(p.stem for p in EXERCISES.glob("exercise*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


@pytest.mark.parametrize("ex_id", IDS)
def test_left_to_right_and_no_overlap(ex_id):
    ex = find_exercise(ex_id, EXERCISES)
    lay = layout(ex.built)
    items = lay.items
    for e in lay.edges:  # every edge goes right, one layer at a time through its dummies
        xs = [items[k].x for k in e.path]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
    boxes = [it for it in items.values() if it.kind != "dummy"]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a.layer == b.layer:
                assert abs(a.y - b.y) >= 60, (a.key, b.key)
    assert items[ex.built.output].x == max(it.x for it in boxes)


@pytest.mark.parametrize("ex_id", IDS)
def test_reference_values_above_and_gradients_below(ex_id):
    ex = find_exercise(ex_id, EXERCISES)
    tr = trace(ex.built, ex.points[0])
    svg = draw(ex.built, tr, uid="t")
    words = texts(svg)
    for name in (*ex.built.inputs, *(n.name for n in ex.built.nodes)):
        assert name in words
    assert num(tr.values[ex.built.output]) in words  # the loss on the output stub
    root = ET.fromstring(svg)
    vals = {t.text for g in root.iter(f"{SVG}g") if g.get("class") == "dg-val" for t in g}
    grads = {t.text for g in root.iter(f"{SVG}g") if g.get("class") == "dg-grad" for t in g}
    node = ex.built.nodes[0]
    assert num(tr.values[node.args[0]]) in vals
    assert num(tr.grads[node.name] * tr.locals[node.name][0]) in grads


def test_lecture_numbers_on_the_logistic_graph():
    ex = find_exercise("exercise01", EXERCISES)
    words = texts(draw(ex.built, trace(ex.built, ex.points[0])))
    for shown in ("0.3679", "0.7311", "1.368", "-1.368", "-0.2689", "0.3133", "+ 1", "1/x", "BCE"):
        assert shown in words


def test_student_values_and_blame_are_marked_without_colour_alone():
    ex = find_exercise("exercise03", EXERCISES)
    tr = trace(ex.built, ex.points[0])
    marks = Marks(
        edge_grads={("e", 0): 0.3679}, blamed={"e"}, covered={"e", "n"}, wrong={"e"}, close=ex.tolerance.close
    )
    svg = draw(ex.built, tr, marks, uid="t")
    assert "✗ 0.3679" in texts(svg)
    assert 'data-node="e" data-op="exp" data-blamed="1"' in svg
    assert "stroke-dasharray" in svg  # the wrong edge is dashed
    assert "url(#t-hatch)" in svg  # the blamed node is hatched
    assert texts(svg).count("✓") == 1  # n: answered and right


def test_fan_out_input_shows_its_total():
    ex = find_exercise("exercise07", EXERCISES)
    tr = trace(ex.built, ex.points[0])
    svg = draw(ex.built, tr, Marks(totals={"x": 0.5121}, close=ex.tolerance.close))
    assert "Σ " + num(tr.grads["x"]) in texts(svg) and "✗ 0.5121" in texts(svg)


def test_long_edges_are_routed_through_dummies():
    graph = Graph.build(
        ["a", "b"],
        {"p": ("exp", ("a",)), "q": ("exp", ("p",)), "r": ("mul", ("q", "a")), "s": ("add", ("r", "b"))},
        "s",
    )
    lay = layout(graph)
    long = [e for e in lay.edges if len(e.path) > 2]
    assert long and all(lay.items[k].kind == "dummy" for e in long for k in e.path[1:-1])


def test_names_are_escaped():
    graph = Graph.build(["x"], {"n": ("exp", ("x",))}, "n")
    svg = draw(graph, None, labels={"n": "<script>&"})
    assert "<script>" not in svg and "&lt;script&gt;&amp;" in svg
    ET.fromstring(svg)  # well-formed XML


def test_heat_map_says_the_counts_in_words():
    ex = find_exercise("exercise02", EXERCISES)
    svg = draw(ex.built, None, heat={"m2": (3, 12)}, uid="h")
    assert "✗ 3/12 · 25%" in texts(svg)
    assert re.search(r'data-node="m2"', svg)


def test_fast():
    ex = find_exercise("exercise07", EXERCISES)
    tr = trace(ex.built, ex.points[0])
    start = time.perf_counter()
    for _ in range(50):
        draw(ex.built, tr)
    assert (time.perf_counter() - start) / 50 < 0.02
