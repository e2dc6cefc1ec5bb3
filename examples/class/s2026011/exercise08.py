"""연습 8: 경사 하강법 한 걸음 / Exercise 8: one gradient-descent step.

w ← w − η ∂L/∂w
"""

import math


def step(params, grads, lr):
    """새 가중치 {"w0", "w1", "w2"} 를 돌려줍니다: w − lr · ∂L/∂w.
    Returns the new weights {"w0", "w1", "w2"}: w − lr · ∂L/∂w."""
    return {name: params[name] - lr * grads[name] for name in params}
