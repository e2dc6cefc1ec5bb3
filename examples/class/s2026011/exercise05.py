"""연습 5: 시그모이드 + BCE 합친 게이트 / Exercise 5: sigmoid and BCE fused.

L = BCE(σ(z), y), ∂L/∂z = σ(z) − y.
"""

import math


def _sigmoid(z):
    """안정적인 시그모이드 (큰 |z| 에서도 넘치지 않음).
    A stable sigmoid (no overflow for large |z|)."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigmoid_bce_forward(z, y):
    """L = −y log σ(z) − (1 − y) log(1 − σ(z)).

    log σ(z) = −log(1 + e^{−z}), log(1 − σ(z)) = −z − log(1 + e^{−z}) 를 써서 log 0 을 피합니다.
    Uses log σ(z) = −log(1 + e^{−z}) and log(1 − σ(z)) = −z − log(1 + e^{−z}) to avoid log 0.
    """
    softplus = max(-z, 0.0) + math.log1p(math.exp(-abs(z)))  # log(1 + e^{−z})
    return (1 - y) * z + softplus


def sigmoid_bce_local_grad(z, y):
    """합친 게이트의 국소 기울기: ∂L/∂z = σ(z) − y.
    The fused gate's local gradient: ∂L/∂z = σ(z) − y."""
    return _sigmoid(z) - y
