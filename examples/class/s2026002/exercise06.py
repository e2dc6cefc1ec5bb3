# s2026002 — 연습 6: 경로 단순화를 써서 dL/dz = yhat - y
import math


def gradients(w0, w1, x1, w2, x2, y):
    z = w0 + w1 * x1 + w2 * x2
    yhat = 1 / (1 + math.exp(-z))
    dz = yhat - y
    return {
        "w0": dz,
        "w1": dz * x1,
        "w2": dz * x2,
        "x1": dz * w1,
        "x2": dz * w2,
    }
