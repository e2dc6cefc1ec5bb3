"""연습 4: 시그모이드 게이트 하나 / Exercise 4: the sigmoid as one gate.

σ'(z) = σ(z)(1 − σ(z)) 는 게이트의 출력 out = σ(z) 만으로 계산됩니다.
σ'(z) = σ(z)(1 − σ(z)) needs only the gate's output out = σ(z).
"""

import math


def sigmoid_local_grad(z, out):
    """시그모이드 ŷ = σ(z): dŷ/dz = σ(z)(1 − σ(z)) = out · (1 − out).
    Sigmoid ŷ = σ(z): dŷ/dz = σ(z)(1 − σ(z)) = out · (1 − out)."""
    return out * (1.0 - out)


def bce_local_grad(p, y):
    """BCE: ∂L/∂p = −y/p + (1 − y)/(1 − p) (예측 p 에 대해서만; y 는 레이블).
    BCE: ∂L/∂p = −y/p + (1 − y)/(1 − p) (for the prediction p only; y is the label)."""
    grad = 0.0
    if y != 0:
        grad -= y / p
    if y != 1:
        grad += (1 - y) / (1 - p)
    return grad
