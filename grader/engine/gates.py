"""The gate catalogue: each gate's forward and local gradients, written once, side by side.

A gate's ``local(args, out)`` returns d out / d arg for every argument, in order. Gates whose
trailing arguments are a label or a constant exponent (``bce``, ``sigmoid_bce``, ``mse``, ``pow``)
still report those derivatives for the engine, but a student answers only for the leading
``graded`` arguments. Domain problems raise ``DomainError`` with a plain reason; the graph
evaluator adds the node and the point.

For diagnosis, one-input gates also carry their derivative written two ways: from the input
(``from_input``) and from the output (``from_output``), so that "used the output where the input
was meant" (and the reverse) can be recognised by number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Args = Sequence[float]


class DomainError(ArithmeticError):
    """A gate is undefined at its inputs (log 0, 1/0, sqrt of a negative, overflow)."""


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise DomainError(f"exp({x:g}) overflows") from None


def sigmoid(z: float) -> float:
    """Stable logistic: never calls exp on a large positive number."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _log(x: float) -> float:
    if x <= 0:
        raise DomainError(f"log({x:g}) is undefined: the argument must be positive")
    return math.log(x)


def _nonzero(x: float, what: str) -> float:
    if x == 0:
        raise DomainError(f"{what} divides by zero")
    return x


def _prod(values: Args) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out


def _check_finite(x: float, what: str) -> float:
    if not math.isfinite(x):
        raise DomainError(f"{what} overflows to {x}")
    return x


# --------------------------------------------------------------------------- forwards


def _bce(p: float, y: float) -> float:
    loss = 0.0
    if y != 0:
        loss -= y * _log(p)
    if y != 1:
        loss -= (1 - y) * _log(1 - p)
    return loss


def _bce_dp(p: float, y: float) -> float:
    grad = 0.0
    if y != 0:
        grad -= y / _nonzero(p, "bce's dL/dp")
    if y != 1:
        grad += (1 - y) / _nonzero(1 - p, "bce's dL/dp")
    return grad


def _softplus(x: float) -> float:
    """log(1 + e^x) without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid_bce(z: float, y: float) -> float:
    # bce(sigmoid(z), y) = (1 - y) z + softplus(-z), the stable form used by BCEWithLogits.
    return (1 - y) * z + _softplus(-z)


def _pow(x: float, c: float) -> float:
    if x < 0 and not float(c).is_integer():
        raise DomainError(f"{x:g} ** {c:g} is not a real number")
    if x == 0 and c < 0:
        raise DomainError(f"0 ** {c:g} divides by zero")
    try:
        return _check_finite(float(x) ** c, f"{x:g} ** {c:g}")
    except OverflowError:
        raise DomainError(f"{x:g} ** {c:g} overflows") from None


def _pow_dx(x: float, c: float) -> float:
    if c == 0:
        return 0.0
    return c * _pow(x, c - 1)


def _sqrt(x: float) -> float:
    if x < 0:
        raise DomainError(f"sqrt({x:g}) is undefined for a negative argument")
    return math.sqrt(x)


def _max_local(args: Args) -> tuple[float, ...]:
    top = max(args)
    ties = sum(1 for a in args if a == top)
    return tuple((1.0 / ties) if a == top else 0.0 for a in args)


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Gate:
    """One gate: arity, forward, local gradients, and how it is named and written in ko/en."""

    name: str
    min_args: int
    max_args: int | None  # None: any number of inputs
    forward: Callable[[Args], float]
    local: Callable[[Args, float], tuple[float, ...]]
    title: dict[str, str]
    formula: str  # LaTeX of the forward, in terms of the argument names a, b, ...
    grad_formula: str  # LaTeX of the local gradient(s)
    graded: int | None = None  # how many leading args a student differentiates; None: all
    from_input: Callable[[float], float] | None = None  # f'(x) written with the input
    from_output: Callable[[float], float] | None = None  # f'(x) written with the output
    constant_args: tuple[int, ...] = ()  # positions that must be numbers in the YAML

    def graded_count(self, n_args: int) -> int:
        return n_args if self.graded is None else self.graded

    def arity_text(self) -> str:
        if self.max_args is None:
            return f"{self.min_args} or more"
        if self.min_args == self.max_args:
            return str(self.min_args)
        return f"{self.min_args} to {self.max_args}"


def _one(fwd: Callable[[float], float], d: Callable[[float, float], float]):
    """Adapters for one-input gates written as plain functions of x (and out)."""
    return (lambda a: fwd(a[0])), (lambda a, out: (d(a[0], out),))


def _gate(name, min_args, max_args, forward, local, ko, en, formula, grad_formula, **kw) -> Gate:
    return Gate(name, min_args, max_args, forward, local, {"ko": ko, "en": en}, formula, grad_formula, **kw)


_neg = _one(lambda x: -x, lambda x, o: -1.0)
_exp_g = _one(_exp, lambda x, o: o)
_log_g = _one(_log, lambda x, o: 1.0 / _nonzero(x, "log's gradient 1/x"))
_recip = _one(lambda x: 1.0 / _nonzero(x, "1/x"), lambda x, o: -o * o)
_square = _one(lambda x: _check_finite(x * x, "x²"), lambda x, o: 2.0 * x)
_sqrt_g = _one(_sqrt, lambda x, o: 1.0 / (2.0 * _nonzero(o, "sqrt's gradient 1/(2√x)")))
_sigmoid = _one(sigmoid, lambda x, o: o * (1.0 - o))
_tanh = _one(math.tanh, lambda x, o: 1.0 - o * o)
_relu = _one(lambda x: max(x, 0.0), lambda x, o: 1.0 if x > 0 else 0.0)

GATES: dict[str, Gate] = {
    g.name: g
    for g in [
        _gate(
            "add",
            1,
            None,
            lambda a: math.fsum(a),
            lambda a, o: (1.0,) * len(a),
            "덧셈",
            "addition",
            r"a + b + \cdots",
            r"\frac{\partial f}{\partial a} = 1,\ \frac{\partial f}{\partial b} = 1",
        ),
        _gate(
            "sub",
            2,
            2,
            lambda a: a[0] - a[1],
            lambda a, o: (1.0, -1.0),
            "뺄셈",
            "subtraction",
            r"a - b",
            r"\frac{\partial f}{\partial a} = 1,\ \frac{\partial f}{\partial b} = -1",
        ),
        _gate(
            "mul",
            1,
            None,
            lambda a: _check_finite(_prod(a), "the product"),
            lambda a, o: tuple(_prod([b for j, b in enumerate(a) if j != i]) for i in range(len(a))),
            "곱셈",
            "multiplication",
            r"a \cdot b",
            r"\frac{\partial f}{\partial a} = b,\ \frac{\partial f}{\partial b} = a",
        ),
        _gate(
            "div",
            2,
            2,
            lambda a: _check_finite(a[0] / _nonzero(a[1], "a/b"), "a/b"),
            lambda a, o: (1.0 / a[1], -a[0] / (a[1] * a[1])),
            "나눗셈",
            "division",
            r"\frac{a}{b}",
            r"\frac{\partial f}{\partial a} = \frac{1}{b},\ \frac{\partial f}{\partial b} = -\frac{a}{b^2}",
        ),
        _gate(
            "neg",
            1,
            1,
            *_neg,
            "부호 반전 (×−1)",
            "negation (×−1)",
            r"-x",
            r"\frac{df}{dx} = -1",
            from_input=lambda x: -1.0,
            from_output=lambda o: -1.0,
        ),
        _gate(
            "exp",
            1,
            1,
            *_exp_g,
            "지수 함수",
            "exponential",
            r"e^{x}",
            r"\frac{df}{dx} = e^{x}",
            from_input=_exp,
            from_output=lambda o: o,
        ),
        _gate(
            "log",
            1,
            1,
            *_log_g,
            "자연 로그",
            "natural logarithm",
            r"\log x",
            r"\frac{df}{dx} = \frac{1}{x}",
            from_input=lambda x: 1.0 / _nonzero(x, "1/x"),
            from_output=lambda o: 1.0 / _nonzero(_exp(o), "1/x"),
        ),
        _gate(
            "reciprocal",
            1,
            1,
            *_recip,
            "역수 (1/x)",
            "reciprocal (1/x)",
            r"\frac{1}{x}",
            r"\frac{df}{dx} = -\frac{1}{x^2}",
            from_input=lambda x: -1.0 / _nonzero(x * x, "1/x²"),
            from_output=lambda o: -o * o,
        ),
        _gate(
            "pow",
            2,
            2,
            lambda a: _pow(a[0], a[1]),
            lambda a, o: (_pow_dx(a[0], a[1]), o * _log(a[0]) if a[0] > 0 else 0.0),
            "거듭제곱",
            "power",
            r"x^{c}",
            r"\frac{df}{dx} = c\,x^{c-1}",
            graded=1,
            constant_args=(1,),
        ),
        _gate(
            "square",
            1,
            1,
            *_square,
            "제곱",
            "square",
            r"x^2",
            r"\frac{df}{dx} = 2x",
            from_input=lambda x: 2.0 * x,
            from_output=lambda o: 2.0 * _sqrt(o),
        ),
        _gate(
            "sqrt",
            1,
            1,
            *_sqrt_g,
            "제곱근",
            "square root",
            r"\sqrt{x}",
            r"\frac{df}{dx} = \frac{1}{2\sqrt{x}}",
            from_input=lambda x: 1.0 / (2.0 * _nonzero(_sqrt(x), "1/(2√x)")),
            from_output=lambda o: 1.0 / (2.0 * _nonzero(o, "1/(2√x)")),
        ),
        _gate(
            "sigmoid",
            1,
            1,
            *_sigmoid,
            "시그모이드",
            "sigmoid",
            r"\sigma(x) = \frac{1}{1 + e^{-x}}",
            r"\frac{d\sigma}{dx} = \sigma(x)\,(1 - \sigma(x))",
            from_input=lambda x: sigmoid(x) * (1.0 - sigmoid(x)),
            from_output=lambda o: o * (1.0 - o),
        ),
        _gate(
            "tanh",
            1,
            1,
            *_tanh,
            "쌍곡탄젠트",
            "hyperbolic tangent",
            r"\tanh x",
            r"\frac{df}{dx} = 1 - \tanh^2 x",
            from_input=lambda x: 1.0 - math.tanh(x) ** 2,
            from_output=lambda o: 1.0 - o * o,
        ),
        _gate(
            "relu",
            1,
            1,
            *_relu,
            "ReLU",
            "ReLU",
            r"\max(0, x)",
            r"\frac{df}{dx} = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
        ),
        _gate(
            "max",
            1,
            None,
            lambda a: max(a),
            lambda a, o: _max_local(a),
            "최댓값",
            "maximum",
            r"\max(a, b)",
            r"\frac{\partial f}{\partial a} = [a \ge b],\ \frac{\partial f}{\partial b} = [b \ge a]",
        ),
        _gate(
            "bce",
            2,
            2,
            lambda a: _bce(a[0], a[1]),
            lambda a, o: (_bce_dp(a[0], a[1]), -_log(a[0]) + _log(1 - a[0])),
            "이진 교차 엔트로피",
            "binary cross-entropy",
            r"-y \log p - (1 - y) \log(1 - p)",
            r"\frac{\partial L}{\partial p} = -\frac{y}{p} + \frac{1 - y}{1 - p}",
            graded=1,
        ),
        _gate(
            "sigmoid_bce",
            2,
            2,
            lambda a: _sigmoid_bce(a[0], a[1]),
            lambda a, o: (sigmoid(a[0]) - a[1], -a[0]),
            "시그모이드 + 이진 교차 엔트로피",
            "sigmoid fused with binary cross-entropy",
            r"\mathrm{BCE}(\sigma(z), y)",
            r"\frac{\partial L}{\partial z} = \sigma(z) - y",
            graded=1,
        ),
        _gate(
            "mse",
            2,
            2,
            lambda a: _check_finite((a[0] - a[1]) ** 2, "the squared error"),
            lambda a, o: (2.0 * (a[0] - a[1]), -2.0 * (a[0] - a[1])),
            "제곱 오차",
            "squared error",
            r"(\hat{y} - y)^2",
            r"\frac{\partial L}{\partial \hat{y}} = 2(\hat{y} - y)",
            graded=1,
        ),
    ]
}


def known_gates() -> str:
    return ", ".join(sorted(GATES))
