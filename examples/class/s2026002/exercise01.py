# s2026002 — 연습 1
import math


def mul_forward(a, b):
    return a * b


def add_forward(*inputs):
    return sum(inputs)


def neg_forward(x):
    return -x


def exp_forward(x):
    return math.exp(x)


def reciprocal_forward(x):
    return 1 / x


def bce_forward(p, y):
    # y가 0 또는 1이라 한쪽 항은 0이 된다
    if y == 1:
        return -math.log(p)
    if y == 0:
        return -math.log(1 - p)
    return -y * math.log(p) - (1 - y) * math.log(1 - p)
