"""연습 1: 순전파 / Exercise 1: the forward pass.

로지스틱 회귀 ŷ = σ(w0 + w1·x1 + w2·x2) 와 BCE 손실을 게이트 하나씩 계산합니다.
Logistic regression ŷ = σ(w0 + w1·x1 + w2·x2) and its BCE loss, one gate at a time.
"""

import math


def mul_forward(a, b):
    """곱셈 게이트 (m1, m2): a · b.
    Multiplication gate (m1, m2): a · b."""
    return a * b


def add_forward(*inputs):
    """덧셈 게이트 (z = w0 + m1 + m2, d = e + 1): 입력의 합.
    Addition gate (z = w0 + m1 + m2, d = e + 1): the sum of the inputs."""
    total = 0.0
    for value in inputs:
        total += value
    return total


def neg_forward(x):
    """부호 반전 게이트 (n = −z): −x.
    Negation gate (n = −z): −x."""
    return -x


def exp_forward(x):
    """지수 게이트 (e = e^n): e^x.
    Exponential gate (e = e^n): e^x."""
    return math.exp(x)


def reciprocal_forward(x):
    """역수 게이트 (ŷ = 1/d): 1/x.
    Reciprocal gate (ŷ = 1/d): 1/x."""
    return 1.0 / x


def bce_forward(p, y):
    """이진 교차 엔트로피 (L): −y log p − (1 − y) log(1 − p).
    Binary cross-entropy (L): −y log p − (1 − y) log(1 − p).

    y = 1 이면 두 번째 항이, y = 0 이면 첫 번째 항이 0 이므로 log 0 을 계산하지 않습니다.
    With y = 1 the second term is 0 and with y = 0 the first one is, so log 0 is never computed.
    """
    loss = 0.0
    if y != 0:
        loss -= y * math.log(p)
    if y != 1:
        loss -= (1 - y) * math.log(1 - p)
    return loss
