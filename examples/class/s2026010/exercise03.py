# s2026010 — 연습 3 (bce_backward 는 아직 못 함)
import math


def mul_backward(a, b, upstream):
    return (upstream * b, upstream * a)


def add_backward(*args):
    *inputs, upstream = args
    return tuple(upstream for _ in inputs)


def neg_backward(x, upstream):
    return -upstream


def exp_backward(x, upstream):
    return upstream * math.exp(x)


def reciprocal_backward(x, upstream):
    return upstream * (-1.0 / x ** 2)
