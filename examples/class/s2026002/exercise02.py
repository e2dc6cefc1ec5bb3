# s2026002 — 연습 2: 국소 기울기
import math


def mul_local_grad(a, b):
    return b, a


def add_local_grad(*inputs):
    return tuple([1] * len(inputs))


def neg_local_grad(x):
    return -1


def exp_local_grad(x, out):
    return out  # (e^x)' = e^x


def plus_one_local_grad(x, c):
    return 1, 1


def reciprocal_local_grad(x, out):
    return -(out ** 2)
