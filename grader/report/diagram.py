"""A computational graph drawn as in the lecture: an SVG string, laid out here in pure Python.

Inputs on the left, gates left to right, each edge with the value flowing forward written above it
and the gradient flowing back written below it; a short stub leaves the output with its value and
the seed gradient 1. In a report the student's number is written beside the reference's wherever
they differ (``✗ 0.52``), the edge is dashed, and the blamed node is hatched and badged ``✗``; so
colour is never the only signal. In the dashboard's heat map each gate says how many students went
wrong there, in words, and its fill darkens with the share.

Layout (a small Sugiyama): gates are layered by longest path from the inputs; an input sits one
layer before its first consumer; an edge that spans layers passes through dummy points, so it is
routed between the gates instead of behind them; barycenter sweeps order each layer; vertical
positions are the least-squares fit to neighbours under a minimum gap (pool-adjacent-violators).
Every text is escaped. Under a millisecond for the course's graphs, with no system package.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from grader.engine import Graph, Node, Trace

GLYPH = {
    "add": "+",
    "sub": "−",
    "mul": "×",
    "div": "÷",
    "neg": "×−1",
    "exp": "exp",
    "log": "log",
    "reciprocal": "1/x",
    "pow": "xᶜ",
    "square": "x²",
    "sqrt": "√x",
    "sigmoid": "σ",
    "tanh": "tanh",
    "relu": "ReLU",
    "max": "max",
    "bce": "BCE",
    "sigmoid_bce": "σ·BCE",
    "mse": "MSE",
}
VALUE, GRAD, WRONG, INK, MUTED = "#1d6b3a", "#9a4a00", "#c0262d", "#1f2328", "#6e7781"
R = 20  # gate radius
FONT = 13  # px at the drawing's natural size, which the page never shrinks
EM = 0.62  # a character's width in em, generous for digits and signs in a sans-serif (Chromium: 0.55–0.6)


def text_box(x: float, baseline: float, text: str, size: float = FONT, pad: float = 1.5) -> tuple[float, ...]:
    """The box a centred text covers: (left, top, right, bottom), with ``pad`` around it."""
    half = EM * size * len(text) / 2
    return (x - half - pad, baseline - 0.78 * size - pad, x + half + pad, baseline + 0.24 * size + pad)


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The area two boxes share (0 when they do not touch)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def num(x) -> str:
    """A number as the diagram writes it: 4 significant digits, '—' for none."""
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if x == 0:
        return "0"
    return f"{x:.4g}"


@dataclass
class Marks:
    """The student's side of a report diagram, at one point."""

    values: dict[str, float | str] = field(default_factory=dict)  # node -> its forward output
    edge_grads: dict[tuple[str, int], float | str] = field(default_factory=dict)  # (node, arg) -> grad
    totals: dict[str, float | str] = field(default_factory=dict)  # input or node -> total gradient
    wrong: set[str] = field(default_factory=set)  # nodes with a wrong check at this point
    covered: set[str] = field(default_factory=set)  # nodes the student's tasks answer for
    blamed: set[str] = field(default_factory=set)
    also: set[str] = field(default_factory=set)
    close: object = None  # (got, expected) -> bool; the exercise's tolerance


@dataclass
class Item:
    key: str
    kind: str  # input | gate | dummy
    layer: int
    y: float = 0.0
    x: float = 0.0
    half: float = 0.0  # half width


@dataclass
class Edge:
    src: str
    dst: str
    arg: int
    path: list[str]  # item keys from src to dst, dummies between


@dataclass
class Layout:
    items: dict[str, Item]
    edges: list[Edge]
    width: float
    height: float
    output: str


def glyph(node: Node) -> str:
    consts = [a for a in node.args if not isinstance(a, str)]
    base = GLYPH.get(node.op, node.op)
    if consts and node.op in ("add", "sub", "mul", "div"):
        return base + " " + ", ".join(num(float(c)) for c in consts)
    if consts and node.op == "pow":
        return "x^" + num(float(consts[0]))
    return base


def _half_width(text: str) -> float:
    return max(R, 4.3 * len(text) + 10)


def layers(graph: Graph) -> dict[str, int]:
    layer: dict[str, int] = {}
    for node in graph.nodes:
        layer[node.name] = 1 + max((layer[p] for p in node.parents() if p in layer), default=0)
    uses = graph.consumers()
    for name in graph.inputs:
        layer[name] = min((layer[c] for c in uses[name]), default=1) - 1
    return layer


@lru_cache(maxsize=256)
def layout(graph: Graph, col: float = 128, row: float = 86, top: float = 34, left: float = 16) -> Layout:
    """Where everything goes (cached per graph: a class of 400 shares one layout per exercise; read-only)."""
    level = layers(graph)
    items: dict[str, Item] = {}
    for name in graph.inputs:
        items[name] = Item(name, "input", level[name], half=max(17, 4.2 * len(name) + 9))
    for node in graph.nodes:
        items[node.name] = Item(node.name, "gate", level[node.name], half=_half_width(glyph(node)))
    edges: list[Edge] = []
    for node in graph.nodes:
        for i, arg in enumerate(node.args):
            if not isinstance(arg, str):
                continue
            path = [arg]
            for lv in range(level[arg] + 1, level[node.name]):
                key = f"~{arg}>{node.name}:{i}:{lv}"
                items[key] = Item(key, "dummy", lv)
                path.append(key)
            edges.append(Edge(arg, node.name, i, path + [node.name]))
    order = _order(items, edges)
    _place(items, edges, order, row)
    n_layers = max(it.layer for it in items.values()) + 1
    ys = [it.y for it in items.values()]
    shift = top - min(ys)
    for it in items.values():
        it.y += shift
        it.x = left + 24 + it.layer * col
    width = left + 24 + (n_layers - 1) * col + items[graph.output].half + 96
    height = max(ys) - min(ys) + top + 52
    return Layout(items, edges, width, height, graph.output)


def _neighbours(edges: list[Edge]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    for e in edges:
        for a, b in zip(e.path, e.path[1:]):
            after.setdefault(a, []).append(b)
            before.setdefault(b, []).append(a)
    return before, after


def _order(items: dict[str, Item], edges: list[Edge]) -> list[list[str]]:
    n = max(it.layer for it in items.values()) + 1
    order: list[list[str]] = [[] for _ in range(n)]
    for key, it in items.items():
        order[it.layer].append(key)
    before, after = _neighbours(edges)
    best, best_cross = [list(o) for o in order], _crossings(order, after)
    for sweep in range(8):
        rng = range(1, n) if sweep % 2 == 0 else range(n - 2, -1, -1)
        for lv in rng:
            ref = order[lv - 1] if sweep % 2 == 0 else order[lv + 1]
            nbrs = before if sweep % 2 == 0 else after
            pos = {k: i for i, k in enumerate(ref)}
            current = {k: i for i, k in enumerate(order[lv])}

            def key(k, pos=pos, nbrs=nbrs, current=current):
                ps = [pos[m] for m in nbrs.get(k, []) if m in pos]
                return (sum(ps) / len(ps), current[k]) if ps else (current[k], current[k])

            order[lv].sort(key=key)
        cross = _crossings(order, after)
        if cross < best_cross:
            best, best_cross = [list(o) for o in order], cross
    return best


def _crossings(order: list[list[str]], after: dict[str, list[str]]) -> int:
    total = 0
    for lv in range(len(order) - 1):
        pos = {k: i for i, k in enumerate(order[lv + 1])}
        pairs = [(i, pos[b]) for i, a in enumerate(order[lv]) for b in after.get(a, []) if b in pos]
        total += sum(1 for j, (a1, b1) in enumerate(pairs) for a2, b2 in pairs[j + 1 :] if (a1 - a2) * (b1 - b2) < 0)
    return total


def _place(items: dict[str, Item], edges: list[Edge], order: list[list[str]], row: float) -> None:
    before, after = _neighbours(edges)
    for lv in order:
        for i, k in enumerate(lv):
            items[k].y = i * row
    for sweep in range(40):
        rng = order if sweep % 2 == 0 else list(reversed(order))
        for lv in rng:
            want = []
            for k in lv:
                near = before.get(k, []) + after.get(k, [])
                # an input follows its gates and does not pull them: the chain of gates stays straight
                inner = [m for m in near if items[m].kind != "input"] if items[k].kind != "input" else near
                ys = [items[m].y for m in (inner or near)]
                want.append(sum(ys) / len(ys) if ys else items[k].y)
            gaps = [row * (0.45 if items[k].kind == "dummy" else 1.0) for k in lv]
            weights = [WEIGHT[items[k].kind] for k in lv]
            for k, y in zip(lv, _fit(want, gaps, weights)):
                items[k].y = y


WEIGHT = {"gate": 1.0, "dummy": 0.5, "input": 0.05}  # who gives way when two want the same place


def _fit(want: list[float], gaps: list[float], weights: list[float]) -> list[float]:
    """Weighted least-squares positions close to ``want``, in order, each at least its gap below the last."""
    offsets = [0.0]
    for i in range(1, len(want)):
        offsets.append(offsets[-1] + (gaps[i] + gaps[i - 1]) / 2)
    target = [w - o for w, o in zip(want, offsets)]
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for t, w in zip(target, weights):
        blocks.append([t * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, w2, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w2
            blocks[-1][2] += c
    fitted = [b[0] / b[1] for b in blocks for _ in range(b[2])]
    return [f + o for f, o in zip(fitted, offsets)]


# --------------------------------------------------------------------------- drawing


def _e(text) -> str:
    return html.escape(str(text), quote=True)


BLAMED = ' data-blamed="1"'
HALO = {"dg-heat", "dg-name", "dg-glyph"}  # edge labels have a backdrop instead


def _text(x: float, y: float, text: str, cls: str, fill: str = INK) -> str:
    """A text, tagged with its class and colour; ``draw`` gathers texts alike into one ``<g>``."""
    return f'\0{cls}\0{fill}\0<text x="{x:.1f}" y="{y:.1f}">{_e(text)}</text>'


def _grouped(parts: list[str]) -> str:
    """Shapes first, then the texts above them, in groups that carry the shared attributes once."""
    shapes, backdrops, groups = [], [], {}
    for p in parts:
        if p.startswith("\1"):
            backdrops.append(p[1:])
        elif p.startswith("\0"):
            _, cls, fill, body = p.split("\0", 3)
            groups.setdefault((cls, fill), []).append(body)
        else:
            shapes.append(p)
    texts = []
    for (cls, fill), bodies in groups.items():
        halo = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"' if cls in HALO else ""
        texts.append(f'<g class="{cls}" fill="{fill}" text-anchor="middle"{halo}>{"".join(bodies)}</g>')
    under = f'<g class="dg-backdrop" fill="#ffffff" fill-opacity="0.92">{"".join(backdrops)}</g>' if backdrops else ""
    return "".join(shapes) + under + "".join(texts)


def _attach(item: Item, toward: tuple[float, float], out: bool) -> tuple[float, float]:
    if item.kind == "dummy":
        return item.x, item.y
    if item.kind == "gate" and item.half <= R:
        dx, dy = toward[0] - item.x, toward[1] - item.y
        d = math.hypot(dx, dy) or 1.0
        return item.x + R * dx / d, item.y + R * dy / d
    return (item.x + item.half if out else item.x - item.half), item.y


def _curve(points: list[tuple[float, float]]) -> str:
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        mx = (x2 - x1) / 2
        d += f" C{x1 + mx:.1f},{y1:.1f} {x2 - mx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    return d


@dataclass
class Block:
    """An edge's labels, stacked (value above the line, gradient below, the student's beside each), and the
    places along the edge where they may go, best first; ``place_labels`` picks one that collides with nothing."""

    lines: list[tuple[float, str, str, str]]  # (offset of the baseline from the anchor, text, class, colour)
    anchors: list[tuple[float, float]]

    def boxes(self, x: float, y: float) -> list[tuple[float, ...]]:
        return [text_box(x, y + dy, text) for dy, text, _, _ in self.lines]


def _labels(ref_top, mine_top, ref_bottom, mine_bottom, marks: Marks | None) -> list[tuple[float, str, str, str]]:
    line = FONT + 3
    out = [(-6.0, num(ref_top), "dg-val", VALUE)] if ref_top is not None else []
    if ref_bottom is not None:
        out.append((6.0 + 0.78 * FONT, num(ref_bottom), "dg-grad", GRAD))
    if mine_top is not None and not _same(marks, mine_top, ref_top):
        out.append((-6.0 - line, "✗ " + num(mine_top), "dg-mine", WRONG))
    if mine_bottom is not None and not _same(marks, mine_bottom, ref_bottom):
        out.append((6.0 + 0.78 * FONT + line, "✗ " + num(mine_bottom), "dg-mine", WRONG))
    return out


def place_labels(blocks: list[Block], fixed: list[tuple[float, ...]]) -> list[str]:
    """Each block at the first of its anchors where none of its texts touches a node, a node's name or a
    label placed before it (else where it touches least); every text gets a white background."""
    taken = list(fixed)
    out: list[str] = []
    for block in blocks:
        best, best_cost = block.anchors[0], math.inf
        for x, y in block.anchors:
            boxes = block.boxes(x, y)
            cost = sum(overlap(b, t) for b in boxes for t in taken)
            if cost < best_cost:
                best, best_cost = (x, y), cost
            if cost == 0:
                break
        x, y = best
        for (dy, text, cls, fill), box in zip(block.lines, block.boxes(x, y)):
            taken.append(box)
            out.append(_backdrop(box))
            out.append(_text(x, y + dy, text, cls, fill))
    return out


def _backdrop(box: tuple[float, ...]) -> str:
    left, top, right, bottom = box
    return f'\1<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" rx="2"/>'


def _same(marks: Marks | None, got, expected) -> bool:
    if not isinstance(got, (int, float)) or not isinstance(expected, (int, float)):
        return False
    if marks is not None and callable(marks.close):
        return bool(marks.close(got, expected))
    return abs(got - expected) <= 1e-9 + 1e-6 * abs(expected)


def _edge_grad(trace: Trace | None, node: Node, arg: int):
    if trace is None:
        return None
    return trace.grads[node.name] * trace.locals[node.name][arg]


def draw(
    graph: Graph,
    trace: Trace | None = None,
    marks: Marks | None = None,
    heat: dict[str, tuple[int, int]] | None = None,
    uid: str = "g",
    caption_id: str | None = None,
    labels: dict[str, str] | None = None,
) -> str:
    """The SVG. ``trace``: reference values and gradients to write on the edges (None: structure only);
    ``marks``: the student's values and the blame; ``heat``: node -> (students wrong there, students)."""
    lay = layout(graph, col=150 if marks else 140, row=104 if marks else 92)
    by_name = graph.by_name
    uses = graph.consumers()
    fan_in = {n.name: sum(1 for a in n.args if isinstance(a, str)) for n in graph.nodes}
    parts: list[str] = []
    blocks: list[Block] = []
    for edge in lay.edges:
        path, block = _draw_edge(edge, lay, by_name[edge.dst], trace, marks, len(uses[edge.src]), fan_in[edge.dst])
        parts.append(path)
        if block is not None:
            blocks.append(block)
    out = lay.items[lay.output]
    x0, x1 = out.x + out.half, out.x + out.half + 84
    parts.append(
        f'<path d="M{x0:.1f},{out.y:.1f} H{x1:.1f}" class="dg-edge" stroke="{INK}" fill="none" '
        f'marker-end="url(#{uid}-arrow)"/>'
    )
    if trace is not None:
        mine_out = marks.values.get(lay.output) if marks else None
        stub = _labels(trace.values[lay.output], mine_out, 1.0, None, marks)
        blocks.insert(0, Block(stub, [((x0 + x1) / 2, out.y), ((x0 + x1) / 2 + 12, out.y)]))
    node_parts: list[str] = []
    fixed: list[tuple[float, ...]] = []
    for key, it in lay.items.items():
        if it.kind == "input":
            drawn, sums = _draw_input(it, trace, marks, len(uses[key]), labels, uid)
            node_parts.extend(drawn)
            if sums is not None:
                blocks.insert(0, sums)  # placed first, where they belong: the edges' labels make way
            fixed.append((it.x - it.half, it.y - 13, it.x + it.half, it.y + 13))
        elif it.kind == "gate":
            node_parts.extend(_draw_gate(it, by_name[key], marks, heat, uid, labels))
            fixed.append((it.x - it.half, it.y - R, it.x + it.half, it.y + R))
    fixed += [text_box(x, y, text) for x, y, text, cls in _texts(node_parts) if cls != "dg-badge-text"]
    placed = place_labels(blocks, fixed)
    boxes = fixed + [text_box(x, y, text) for x, y, text, _ in _texts(placed)]
    left = min(0.0, min(b[0] for b in boxes) - 4)
    top = min(0.0, min(b[1] for b in boxes) - 4)
    width = max(lay.width, max(b[2] for b in boxes) + 4) - left
    height = max(lay.height, max(b[3] for b in boxes) + 4) - top
    label = f' aria-labelledby="{_e(caption_id)}"' if caption_id else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dg" role="img"{label} '
        f'viewBox="{left:.0f} {top:.0f} {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'font-family="system-ui, -apple-system, \'Segoe UI\', sans-serif" font-size="{FONT}">'
        + _defs(uid)
        + _grouped(parts + node_parts + placed)
        + "</svg>"
    )


_TEXT = re.compile(r'\0([\w-]+)\0[^\0]*\0<text x="([-\d.]+)" y="([-\d.]+)">(.*?)</text>')


def _texts(parts: list[str]) -> list[tuple[float, float, str, str]]:
    """(x, baseline, text, class) of the texts among drawn parts."""
    found = []
    for p in parts:
        m = _TEXT.match(p)
        if m:
            found.append((float(m[2]), float(m[3]), html.unescape(m[4]), m[1]))
    return found


def _defs(uid: str) -> str:
    return (
        f'<defs><pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde8e8"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{WRONG}" stroke-width="2"/></pattern>'
        f'<marker id="{uid}-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="{INK}"/></marker></defs>'
    )


def _draw_edge(
    edge: Edge, lay: Layout, dst: Node, trace: Trace | None, marks: Marks | None, fan_out: int, fan_in: int
) -> tuple[str, Block | None]:
    items = [lay.items[k] for k in edge.path]
    pts = [(it.x, it.y) for it in items]
    pts[0] = _attach(items[0], pts[1], out=True)
    pts[-1] = _attach(items[-1], pts[-2], out=False)
    ref_val = trace.values[edge.src] if trace else None
    ref_grad = _edge_grad(trace, dst, edge.arg) if trace else None
    mine_val = mine_grad = None
    if marks:
        mine_val = marks.values.get(edge.src)
        mine_grad = marks.edge_grads.get((edge.dst, edge.arg))
        if edge.src in marks.totals and fan_out == 1 and (edge.dst, edge.arg) not in marks.edge_grads:
            mine_grad = marks.totals[edge.src]
    wrong = (
        bool(marks)
        and trace is not None
        and (
            (mine_val is not None and not _same(marks, mine_val, ref_val))
            or (mine_grad is not None and not _same(marks, mine_grad, ref_grad))
        )
    )
    style = (
        f'stroke="{WRONG}" stroke-width="2.2" stroke-dasharray="6 4"' if wrong else f'stroke="{INK}" stroke-width="1.3"'
    )
    cls = "dg-edge wrong" if wrong else "dg-edge"
    path = f'<path d="{_curve(pts)}" class="{cls}" {style} fill="none" data-edge="{_e(edge.src)}-{_e(edge.dst)}"/>'
    if trace is None:
        return path, None
    if len(pts) > 2:  # a long edge: label it in the middle of its free run
        seg, t = (len(pts) - 1) // 2, 0.5
    elif fan_in > 1 and fan_out == 1:
        seg, t = 0, 0.32
    elif fan_out > 1 and fan_in == 1:
        seg, t = len(pts) - 2, 0.68
    else:
        seg, t = 0, 0.5
    tries = [(seg, t)] + [(seg, u) for u in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78) if u != t]
    tries += [(k, u) for k in range(len(pts) - 1) if k != seg for u in (0.5, 0.35, 0.65)]
    anchors = [_on_curve(pts[k], pts[k + 1], u) for k, u in tries]
    near = anchors[:5]
    anchors += [(x, y + dy) for dy in (-10, 10, -20, 20, -30, 30) for x, y in near]  # off the line: the last resort
    return path, Block(_labels(ref_val, mine_val, ref_grad, mine_grad, marks), anchors)


def _on_curve(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    """The point at parameter ``t`` of ``_curve``'s cubic from a to b (horizontal at both ends)."""
    (ax, ay), (bx, by) = a, b
    return ax + (bx - ax) * (1.5 * t * (1 - t) + t**3), ay + (by - ay) * (3 * t * t - 2 * t**3)


def _draw_input(
    it: Item, trace: Trace | None, marks: Marks | None, fan_out: int, labels: dict[str, str] | None, uid: str = "g"
) -> tuple[list[str], Block | None]:
    w, h = it.half, 13
    name = (labels or {}).get(it.key, it.key)
    blamed = bool(marks) and (it.key in marks.blamed or it.key in marks.also)
    look = (
        f'fill="url(#{uid}-hatch)" stroke="{WRONG}" stroke-width="2.5"'
        if blamed
        else f'fill="#f6f8fa" stroke="{MUTED}"'
    )
    out = [
        f'<rect x="{it.x - w:.1f}" y="{it.y - h:.1f}" width="{2 * w:.1f}" height="{2 * h}" rx="6" '
        f'{look} class="dg-input" data-node="{_e(it.key)}"{BLAMED if blamed else ""}/>',
        _text(it.x, it.y + 4.5, name, "dg-name", INK),
    ]
    if blamed:  # e.g. a fan-out whose gradients were overwritten instead of added
        out.append(f'<circle cx="{it.x + w:.1f}" cy="{it.y - h:.1f}" r="8" fill="{WRONG}" class="dg-badge"/>')
        out.append(_text(it.x + w, it.y - h + 4, "✗", "dg-badge-text", "#ffffff"))
    if trace is None or fan_out <= 1:
        return out, None
    # a fan-out input: its total gradient, the sum of its edges, under it
    lines = [(h + 16.0, "Σ " + num(trace.grads[it.key]), "dg-grad", GRAD)]
    mine = marks.totals.get(it.key) if marks else None
    if mine is not None and not _same(marks, mine, trace.grads[it.key]):
        lines.append((h + 32.0, "✗ " + num(mine), "dg-mine", WRONG))
    return out, Block(lines, [(it.x, it.y)])


def _draw_gate(it: Item, node: Node, marks: Marks | None, heat, uid: str, labels) -> list[str]:
    g = glyph(node)
    blamed = bool(marks) and it.key in marks.blamed
    also = bool(marks) and it.key in marks.also
    fill, stroke, width = "#ffffff", INK, 1.4
    if heat is not None:
        wrong, total = heat.get(it.key, (0, 0))
        share = wrong / total if total else 0.0
        fill = _heat_colour(share)
    elif blamed or also:
        fill, stroke, width = f"url(#{uid}-hatch)", WRONG, 3.0 if blamed else 2.0
    elif marks and it.key in marks.covered:
        stroke, width = VALUE, 2.0
    data = f'data-node="{_e(it.key)}" data-op="{_e(node.op)}"' + (' data-blamed="1"' if blamed else "")
    if it.half <= R:
        shape = f'<circle cx="{it.x:.1f}" cy="{it.y:.1f}" r="{R}"'
    else:
        shape = f'<rect x="{it.x - it.half:.1f}" y="{it.y - R:.1f}" width="{2 * it.half:.1f}" height="{2 * R}" rx="{R}"'
    out = [
        f'{shape} fill="{fill}" stroke="{stroke}" stroke-width="{width}" class="dg-gate" {data}/>',
        _text(it.x, it.y + 5, g, "dg-glyph", INK),
    ]
    caption = (labels or {}).get(it.key) or it.key
    out.append(_text(it.x, it.y + R + 15, caption, "dg-name", INK))
    if blamed or also:
        bx, by = it.x + it.half - 2, it.y - R + 2
        out.append(f'<circle cx="{bx:.1f}" cy="{by:.1f}" r="8" fill="{WRONG}" class="dg-badge"/>')
        out.append(_text(bx, by + 4, "✗", "dg-badge-text", "#ffffff"))
    elif marks and it.key in marks.covered and it.key not in marks.wrong:
        bx, by = it.x + it.half - 2, it.y - R + 2
        out.append(f'<circle cx="{bx:.1f}" cy="{by:.1f}" r="8" fill="{VALUE}" class="dg-badge"/>')
        out.append(_text(bx, by + 4, "✓", "dg-badge-text", "#ffffff"))
    if heat is not None:
        wrong, total = heat.get(it.key, (0, 0))
        pct = f"{round(100 * wrong / total)}%" if total else "—"
        out.append(_text(it.x, it.y + R + 32, f"✗ {wrong}/{total} · {pct}", "dg-heat", WRONG if wrong else MUTED))
    return out


def _heat_colour(share: float) -> str:
    """White to deep red; the words under the gate carry the number."""
    share = min(max(share, 0.0), 1.0)
    r = round(255 - 55 * share)
    g = round(255 - 200 * share)
    b = round(255 - 200 * share)
    return f"#{r:02x}{g:02x}{b:02x}"
