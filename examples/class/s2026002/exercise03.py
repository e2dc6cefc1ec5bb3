# s2026002 — 연습 3: upstream * local
import math


def mul_backward(a, b, upstream):
    return upstream * b, upstream * a


def add_backward(*args):
    upstream = args[-1]
    return tuple(upstream for _ in args[:-1])


def neg_backward(x, upstream):
    return -upstream


def exp_backward(x, upstream):
    return upstream * math.exp(x)


def reciprocal_backward(x, upstream):
    return -upstream / x ** 2


def bce_backward(p, y, upstream):
    return upstream * (-y / p + (1 - y) / (1 - p))
