"""연습 9: BCE를 게이트로 / Exercise 9: BCE as gates, through the log gate.

log 게이트: d/dx log x = 1/x. 뺄셈 게이트: (up, −up).
The log gate: d/dx log x = 1/x. The subtraction gate: (up, −up).
"""

import math


def log_local_grad(x):
    """로그 f = log x: df/dx = 1/x.
    Logarithm f = log x: df/dx = 1/x."""
    return 1.0 / x


def log_backward(x, upstream):
    """로그의 역전파: up · 1/x.
    The log's backward pass: up · 1/x."""
    return upstream / x


def sub_backward(a, b, upstream):
    """뺄셈 f = a − b: (up, −up).
    Subtraction f = a − b: (up, −up)."""
    return (upstream, -upstream)


def gradients(z, y):
    """순전파 후 게이트마다 역전파합니다. ŷ 는 두 가지(la, om)로 갈라지므로 더합니다.
    Forward, then backward gate by gate; ŷ feeds two branches (la, om), whose gradients add up."""
    yhat = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    om = 1.0 - yhat
    oy = 1.0 - y
    d_s = -1.0  # L = −s
    d_ta, d_tb = d_s, d_s  # add
    d_la = d_ta * y  # ta = y · la
    d_lb = d_tb * oy  # tb = oy · lb
    d_yhat = d_la / yhat  # la = log ŷ
    d_om = d_lb / om  # lb = log om
    d_yhat += -d_om  # om = 1 − ŷ
    d_z = d_yhat * yhat * (1.0 - yhat)  # ŷ = σ(z)
    return {"z": d_z}
