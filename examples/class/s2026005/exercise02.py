# s2026005 — 연습 2
import math


def mul_local_grad(a, b):
    # f = a*b 이므로 a 에 대한 기울기는 a, b 에 대한 기울기는 b
    return (a, b)


def add_local_grad(*inputs):
    return tuple(1.0 for _ in inputs)


def neg_local_grad(x):
    return -1.0


def exp_local_grad(x, out):
    return out


def plus_one_local_grad(x, c):
    return (1.0, 1.0)


def reciprocal_local_grad(x, out):
    return -out * out
