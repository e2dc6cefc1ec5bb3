"""The tree of an expression (plain nested tuples) and what is done with it: evaluation with
floats, plain-text rendering with unambiguous parentheses, sympy construction node by node.

    ("num", "2.5") ("var", "x") ("const", "e"|"pi") ("neg", a) ("fn", "exp"|"log"|"sqrt"|"sigmoid"|"tanh", a)
    ("add"|"sub"|"mul"|"div"|"pow", a, b) ("ref", "value"|"grad"|"local", NODE, k)   (answer keys only)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from grader.engine import sigmoid

Ast = tuple


def is_constant(tree: Ast) -> bool:
    return not any(node[0] in ("var", "ref") for node in walk(tree))


def walk(tree: Ast):
    """Every node of the tree, iteratively (trees are shallow, but be safe)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in node[1:] if isinstance(child, tuple))


def names_in(tree: Ast) -> set[str]:
    return {node[1] for node in walk(tree) if node[0] == "var"}


def refs_in(tree: Ast) -> list[tuple[str, str, int]]:
    return [node[1:] for node in walk(tree) if node[0] == "ref"]


def substitute(tree: Ast, values: Mapping[str, float]) -> Ast:
    """The tree with the named variables replaced by their (exact decimal) values."""
    kind = tree[0]
    if kind == "var" and tree[1] in values:
        value = float(values[tree[1]])
        number = ("num", number_text(abs(value)))
        return ("neg", number) if value < 0 else number
    if kind in ("num", "var", "const", "ref"):
        return tree
    if kind == "fn":
        return ("fn", tree[1], substitute(tree[2], values))
    return (kind, *(substitute(child, values) for child in tree[1:]))


def number_text(value: float) -> str:
    """2.0 → "2", 0.1 → "0.1": the shortest text that reads back as the same float."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


# --------------------------------------------------------------------------- evaluation


class Undefined(ArithmeticError):
    """The expression has no real value here (log of a negative, 1/0, overflow)."""


Refs = Mapping[tuple[str, str, int], float]  # ("grad", "w1", 0) -> number


def evaluate(tree: Ast, env: Mapping[str, float], refs: Refs | None = None) -> float:
    """The value with floats; raises ``Undefined`` where there is no finite real value."""
    try:
        value = _eval(tree, env, refs or {})
    except (OverflowError, ZeroDivisionError, ValueError) as exc:
        raise Undefined(str(exc)) from None
    if not isinstance(value, float) or not math.isfinite(value):
        raise Undefined(f"the value is {value}")
    return value


def _eval(t: Ast, env, refs) -> float:
    kind = t[0]
    if kind == "num":
        return float(t[1])
    if kind == "var":
        return float(env[t[1]])
    if kind == "const":
        return math.e if t[1] == "e" else math.pi
    if kind == "ref":
        return float(refs[t[1:]])
    if kind == "neg":
        return -_eval(t[1], env, refs)
    if kind == "fn":
        return _call(t[1], _eval(t[2], env, refs))
    a, b = _eval(t[1], env, refs), _eval(t[2], env, refs)
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "mul":
        return a * b
    if kind == "div":
        return a / b
    out = a**b
    if isinstance(out, complex) or not math.isfinite(out):
        raise Undefined(f"{a:g}^{b:g} is not a finite real number")
    return float(out)


def _call(fn: str, x: float) -> float:
    if fn == "exp":
        return math.exp(x)
    if fn == "log":
        if x <= 0:
            raise Undefined(f"log({x:g})")
        return math.log(x)
    if fn == "sqrt":
        if x < 0:
            raise Undefined(f"sqrt({x:g})")
        return math.sqrt(x)
    if fn == "sigmoid":
        return sigmoid(x)
    return math.tanh(x)


# --------------------------------------------------------------------------- rendering


PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
FN_TEXT = {"sigmoid": "σ", "log": "log", "exp": "exp", "sqrt": "sqrt", "tanh": "tanh"}


def to_text(t: Ast) -> str:
    """Plain text with explicit operators, parenthesised so that nothing is ambiguous."""
    kind = t[0]
    if kind in ("num", "var"):
        return t[1]
    if kind == "const":
        return "e" if t[1] == "e" else "π"
    if kind == "ref":
        return f"{t[1]}({t[2]}{', ' + str(t[3]) if t[1] == 'local' and t[3] else ''})"
    if kind == "fn":
        return f"{FN_TEXT[t[1]]}({to_text(t[2])})"
    if kind == "neg":
        return "-" + _wrap(t[1], 3, strict=False)
    if kind == "pow":
        return f"{_wrap(t[1], 4, strict=True)}^{_wrap(t[2], 4, strict=True, neg_ok=False)}"
    sym = {"add": " + ", "sub": " - ", "mul": "·", "div": "/"}[kind]
    p = PRECEDENCE[kind]
    left = _wrap(t[1], p, strict=False)
    if kind == "mul" and t[1][0] == "div":  # (1/2)·x, never the ambiguous 1/2·x
        left = f"({to_text(t[1])})"
    right = _wrap(t[2], p, strict=kind in ("sub", "div", "mul"))
    return f"{left}{sym}{right}"


def _wrap(t: Ast, p: int, strict: bool, neg_ok: bool = True) -> str:
    inner = PRECEDENCE.get(t[0], 5)
    if t[0] == "neg" and not neg_ok:
        return f"({to_text(t)})"
    if inner < p or (strict and inner == p) or (t[0] == "num" and p == 4 and "." in t[1]):
        return f"({to_text(t)})"
    return to_text(t)


def to_sympy(
    t: Ast,
    symbols: Mapping[str, object] | None = None,
    constants: Mapping[str, str] | None = None,
    sigma_symbol: bool = False,
):
    """The sympy expression of a tree, built node by node (never from text). Imports sympy.

    σ is 1/(1 + e^(-x)), or with ``sigma_symbol`` an opaque function σ (for display in LaTeX).
    """
    import sympy

    symbols = dict(symbols or {})
    constants = constants or {}

    def build(node: Ast):
        kind = node[0]
        if kind == "num":
            return sympy.Rational(node[1])
        if kind == "var":
            if node[1] in constants:
                return sympy.Rational(constants[node[1]])
            if node[1] not in symbols:
                symbols[node[1]] = sympy.Symbol(node[1], real=True)
            return symbols[node[1]]
        if kind == "const":
            return sympy.E if node[1] == "e" else sympy.pi
        if kind == "neg":
            return -build(node[1])
        if kind == "fn":
            x = build(node[2])
            if node[1] == "sigmoid":
                return sympy.Function("sigma")(x) if sigma_symbol else 1 / (1 + sympy.exp(-x))
            return {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "tanh": sympy.tanh}[node[1]](x)
        if kind == "ref":
            raise ValueError("graph references have no symbolic form")
        a, b = build(node[1]), build(node[2])
        return {
            "add": lambda: a + b,
            "sub": lambda: a - b,
            "mul": lambda: a * b,
            "div": lambda: a / b,
            "pow": lambda: a**b,
        }[kind]()

    return build(t)
