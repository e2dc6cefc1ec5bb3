# s2026005 — 연습 3
import math


def mul_backward(a, b, upstream):
    return (b, a)


def add_backward(*args):
    *inputs, upstream = args
    return tuple(upstream for _ in inputs)


def neg_backward(x, upstream):
    return -upstream


def exp_backward(x, upstream):
    return math.exp(x)


def reciprocal_backward(x, upstream):
    return upstream * (-1.0 / x ** 2)


def bce_backward(p, y, upstream):
    return upstream * (-y / p + (1 - y) / (1 - p))
