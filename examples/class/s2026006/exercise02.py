"""연습 2: 국소 기울기 / Exercise 2: local gradients.

게이트 출력을 각 입력으로 미분한 값. `out` 매개변수에는 게이트의 출력이 들어옵니다.
The derivative of a gate's output with respect to each input. `out` receives the gate's output.
"""

import math


def mul_local_grad(a, b):
    """곱셈 f = a·b: (∂f/∂a, ∂f/∂b) = (b, a) — 서로 바뀝니다.
    Multiplication f = a·b: (∂f/∂a, ∂f/∂b) = (b, a): swapped."""
    return (b, a)


def add_local_grad(*inputs):
    """덧셈 f = a + b + c (노드 z): 입력마다 1.
    Addition f = a + b + c (node z): 1 for each input."""
    return tuple(1.0 for _ in inputs)


def neg_local_grad(x):
    """부호 반전 f = −x: df/dx = −1.
    Negation f = −x: df/dx = −1."""
    return -1.0


def exp_local_grad(x, out):
    """지수 f = e^x: df/dx = e^x, 즉 출력 자신 (out).
    Exponential f = e^x: df/dx = e^x, the output itself (out)."""
    return out


def plus_one_local_grad(x, c):
    """상수 더하기 d = e + 1: 두 입력 모두 1 (상수 입력 포함).
    Adding a constant d = e + 1: 1 for both inputs (the constant too)."""
    return (1.0, 1.0)


def reciprocal_local_grad(x, out):
    """역수 f = 1/x: df/dx = −1/x² = −out².
    Reciprocal f = 1/x: df/dx = −1/x² = −out²."""
    return -out * out
