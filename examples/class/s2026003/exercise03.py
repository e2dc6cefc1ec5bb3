"""연습 3: 역전파 / Exercise 3: the backward pass.

하류 기울기 = 상류 기울기 × 국소 기울기. 마지막 인자가 상류 기울기 upstream = ∂L/∂(게이트 출력)입니다.
Downstream = upstream × local. The last argument is the upstream gradient ∂L/∂(gate output).
"""

import math


def mul_backward(a, b, upstream):
    """곱셈 f = a·b: (up·b, up·a).
    Multiplication f = a·b: (up·b, up·a)."""
    return (upstream * b, upstream * a)


def add_backward(*inputs, upstream):
    """덧셈 (z 는 입력 3개, d = e + 1 은 2개): 입력마다 up 을 그대로 보냅니다 (나누지 않음).
    Addition (z has 3 inputs, d = e + 1 has 2): each input gets up unchanged (not split)."""
    return tuple(upstream * 1.0 for _ in inputs)


def neg_backward(x, upstream):
    """부호 반전 f = −x: up · (−1).
    Negation f = −x: up · (−1)."""
    return upstream * -1.0


def exp_backward(x, upstream):
    """지수 f = e^x: up · e^x.
    Exponential f = e^x: up · e^x."""
    return upstream * math.exp(x)


def reciprocal_backward(x, upstream):
    """역수 f = 1/x: up · (−1/x²).
    Reciprocal f = 1/x: up · (−1/x²)."""
    return upstream * (-1.0 / (x * x))


def bce_backward(p, y, upstream):
    """BCE L = −y log p − (1 − y) log(1 − p): up · (−y/p + (1 − y)/(1 − p)), p 에 대해서만.
    BCE L = −y log p − (1 − y) log(1 − p): up · (−y/p + (1 − y)/(1 − p)), for p only."""
    local = 0.0
    if y != 0:
        local -= y / p
    if y != 1:
        local += (1 - y) / (1 - p)
    return upstream * local
