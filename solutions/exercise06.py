"""연습 6: 입력까지 역전파 / Exercise 6: backpropagate all the way to the inputs.

그래프 / graph: m1 = w1·x1, m2 = w2·x2, z = w0 + m1 + m2, n = −z, e = e^n, d = e + 1, ŷ = 1/d,
L = −y log ŷ − (1 − y) log(1 − ŷ).
"""

import math


def gradients(w0, w1, x1, w2, x2, y):
    """∂L/∂w0, ∂L/∂w1, ∂L/∂w2, ∂L/∂x1, ∂L/∂x2 를 딕셔너리로 돌려줍니다.
    Returns ∂L/∂w0, ∂L/∂w1, ∂L/∂w2, ∂L/∂x1, ∂L/∂x2 as a dict."""
    # 순전파 / forward
    m1 = w1 * x1
    m2 = w2 * x2
    z = w0 + m1 + m2
    n = -z
    e = math.exp(n)
    d = e + 1.0
    yhat = 1.0 / d

    # 역전파 / backward: 하류 = 상류 × 국소 / downstream = upstream × local
    dL = 1.0
    dyhat = 0.0
    if y != 0:
        dyhat -= y / yhat
    if y != 1:
        dyhat += (1 - y) / (1 - yhat)
    dyhat *= dL
    dd = dyhat * (-yhat * yhat)  # (1/x)' = −out²
    de = dd * 1.0  # +1 gate
    dn = de * e  # exp' = out
    dz = dn * -1.0  # neg
    dw0 = dz * 1.0  # add: copies upstream
    dm1 = dz * 1.0
    dm2 = dz * 1.0
    dw1, dx1 = dm1 * x1, dm1 * w1  # mul: the other input
    dw2, dx2 = dm2 * x2, dm2 * w2
    return {"w0": dw0, "w1": dw1, "w2": dw2, "x1": dx1, "x2": dx2}
