"""연습 7: 갈라지는 경로에서 기울기 더하기 / Exercise 7: gradients add up at forks.

f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²)   (CS231n)
"""

import math


def _sigmoid(v):
    """시그모이드 σ(v) = 1 / (1 + e^{−v}).
    Sigmoid σ(v) = 1 / (1 + e^{−v})."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def gradients(x, y):
    """{"x": ∂f/∂x, "y": ∂f/∂y}.

    x 는 세 경로(num, sigx, xpy), y 는 두 경로(sigy, xpy)로 갈라지므로 += 로 더합니다.
    x forks into three paths (num, sigx, xpy) and y into two (sigy, xpy), so we add with +=.
    """
    # 순전파 / forward
    sigy = _sigmoid(y)
    num = x + sigy
    sigx = _sigmoid(x)
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    # f = num * invden (값은 역전파에 필요 없음 / not needed for the backward pass)

    # 역전파 / backward
    dx = 0.0
    dy = 0.0
    dnum = invden  # f = num · invden
    dinvden = num
    dden = dinvden * (-1.0 / den**2)  # 1/x
    dsigx = dden  # den = sigx + xpysqr
    dxpysqr = dden
    dxpy = dxpysqr * 2.0 * xpy  # x²
    dx += dxpy  # xpy = x + y
    dy += dxpy
    dx += dsigx * sigx * (1.0 - sigx)  # sigx = σ(x)
    dx += dnum  # num = x + sigy
    dsigy = dnum
    dy += dsigy * sigy * (1.0 - sigy)  # sigy = σ(y)
    return {"x": dx, "y": dy}


def add_backward(a, b, upstream):
    """덧셈 게이트: 두 입력 모두 upstream 을 그대로 받습니다.
    Add gate: both inputs receive the upstream gradient unchanged."""
    return (upstream, upstream)
