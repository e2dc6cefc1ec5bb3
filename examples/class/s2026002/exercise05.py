# s2026002 — 연습 5
import math


def sigmoid_bce_forward(z, y):
    s = 1 / (1 + math.exp(-z))
    return -y * math.log(s) - (1 - y) * math.log(1 - s)


def sigmoid_bce_local_grad(z, y):
    return 1 / (1 + math.exp(-z)) - y
