# s2026002 — 연습 4
import math


def sigmoid_local_grad(z, out):
    return out * (1 - out)


def bce_local_grad(p, y):
    return (p - y) / (p * (1 - p))
