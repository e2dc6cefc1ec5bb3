# s2026008 — 연습 3
import math


def mul_backward(a, b, upstream):
    return (upstream * b, upstream * a)


def add_backward(*args):
    # 덧셈은 기울기를 반씩 나눠 준다
    *inputs, upstream = args
    return tuple(0.5 * upstream for _ in inputs)


def neg_backward(x, upstream):
    return -upstream


def exp_backward(x, upstream):
    return upstream * math.exp(x)


def reciprocal_backward(x, upstream):
    return upstream * (-1.0 / x ** 2)


def bce_backward(p, y, upstream):
    return upstream * (-y / p + (1 - y) / (1 - p))
