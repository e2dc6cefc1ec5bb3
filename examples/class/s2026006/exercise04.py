# s2026006 — 연습 4
import math


def sigmoid_local_grad(z, out):
    # σ'(x) = σ(x)(1 - σ(x)) ... x 를 넣으면 되겠지
    return z * (1 - z)


def bce_local_grad(p, y):
    return -y / p + (1 - y) / (1 - p)
