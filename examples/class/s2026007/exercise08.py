# s2026007 — 연습 8
import math


def step(params, grads, lr):
    return {k: params[k] + lr * grads[k] for k in params}
