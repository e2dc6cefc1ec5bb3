"""연습 12: 경사 하강법 반복 / Exercise 12: a gradient-descent loop.

매 단계: z = w0 + w1·x1 + w2·x2, ∂L/∂z = σ(z) − y, w ← w − η·∂L/∂w.
Every step: z = w0 + w1·x1 + w2·x2, ∂L/∂z = σ(z) − y, w ← w − η·∂L/∂w.
"""

import math


def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _loss(w, data):
    """L = (1 − y)·z + log(1 + e^(−z)) (안정적인 BCE(σ(z), y) / the stable BCE(σ(z), y))."""
    z = w["w0"] + w["w1"] * data["x1"] + w["w2"] * data["x2"]
    return (1 - data["y"]) * z + max(-z, 0.0) + math.log1p(math.exp(-abs(z)))


def train(params, data, lr, steps):
    """steps 번 갱신하며 손실 steps + 1 개를 돌려줍니다 (받은 사전은 그대로 둡니다).
    Runs steps updates and returns steps + 1 losses (the given dicts are left unchanged)."""
    w = dict(params)
    losses = []
    for _ in range(steps):
        losses.append(_loss(w, data))
        z = w["w0"] + w["w1"] * data["x1"] + w["w2"] * data["x2"]
        dz = _sigmoid(z) - data["y"]
        grads = {"w0": dz, "w1": dz * data["x1"], "w2": dz * data["x2"]}
        w = {name: w[name] - lr * grads[name] for name in w}
    losses.append(_loss(w, data))
    return losses
