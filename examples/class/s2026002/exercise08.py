# s2026002 — 연습 8
import math


def step(params, grads, lr):
    new = {}
    for k in params:
        new[k] = params[k] - lr * grads[k]
    return new
