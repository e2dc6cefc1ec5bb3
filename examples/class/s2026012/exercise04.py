# s2026012 — 연습 4
import math


def sigmoid_local_grad(z, out):
    # 수치 미분을 10번 평균 내려고 했다 (i += 1 을 빠뜨림)
    total = 0.0
    i = 0
    while i < 10:
        h = 1e-5 * (i + 1)
        s1 = 1 / (1 + math.exp(-(z + h)))
        s0 = 1 / (1 + math.exp(-(z - h)))
        total += (s1 - s0) / (2 * h)
    return total / 10


def bce_local_grad(p, y):
    return -y / p + (1 - y) / (1 - p)
