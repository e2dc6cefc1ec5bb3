"""연습 10: 수치 기울기 검사 / Exercise 10: a numerical gradient check.

n = (L(w + h) − L(w − h)) / (2h), rel = |a − n| / max(|a|, |n|, 1e-8).
"""

import math


def loss(inputs):
    """L = BCE(σ(z), y) = (1 − y)·z + log(1 + e^(−z)), z = w0 + w1·x1 + w2·x2 (안정적인 식 / the stable form)."""
    z = inputs["w0"] + inputs["w1"] * inputs["x1"] + inputs["w2"] * inputs["x2"]
    softplus = max(-z, 0.0) + math.log1p(math.exp(-abs(z)))  # log(1 + e^(−z))
    return (1 - inputs["y"]) * z + softplus


def grad_check(inputs, grads):
    """이름마다 중앙 차분 n 과 받은 기울기 a 의 상대 오차.
    For each name, the relative error between the given gradient a and the centred difference n."""
    h = 1e-5
    errors = {}
    for name, a in grads.items():
        up, down = dict(inputs), dict(inputs)
        up[name] += h
        down[name] -= h
        n = (loss(up) - loss(down)) / (2 * h)
        errors[name] = abs(a - n) / max(abs(a), abs(n), 1e-8)
    return errors
