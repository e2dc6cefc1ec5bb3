# s2026003 — 연습 7 (CS231n 방식)
import math


def sig(v):
    return 1.0 / (1.0 + math.exp(-v))


def gradients(x, y):
    sigy = sig(y)
    num = x + sigy
    sigx = sig(x)
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1.0 / den

    dnum = invden
    dinvden = num
    dden = (-1.0 / den ** 2) * dinvden
    dsigx = dden
    dxpysqr = dden
    dxpy = 2 * xpy * dxpysqr
    dx = dxpy
    dy = dxpy
    dx += (1 - sigx) * sigx * dsigx
    dx += dnum
    dsigy = dnum
    dy += (1 - sigy) * sigy * dsigy
    return {"x": dx, "y": dy}


def add_backward(a, b, upstream):
    return (upstream, upstream)
