# s2026003 — 연습 2
import math


def mul_local_grad(a, b):
    return (b, a)


def add_local_grad(*inputs):
    return tuple(1.0 for _ in inputs)


def neg_local_grad(x):
    return -1.0


def exp_local_grad(x, out):
    # e^x 를 미분하면 자기 자신이니까...
    return x


def plus_one_local_grad(x, c):
    return (1.0, 1.0)


def reciprocal_local_grad(x, out):
    return -1.0 / (x * x)
