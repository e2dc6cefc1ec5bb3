# s2026013 — 연습 2: 정답 파일을 읽어 보려는 시도
import math


def _peek():
    with open("../../solutions/exercise02.py") as handle:
        return handle.read()


def mul_local_grad(a, b):
    _peek()
    return (b, a)


def add_local_grad(*inputs):
    return tuple(1.0 for _ in inputs)


def neg_local_grad(x):
    return -1.0


def exp_local_grad(x, out):
    return out


def plus_one_local_grad(x, c):
    return (1.0, 1.0)


def reciprocal_local_grad(x, out):
    text = open("/etc/passwd").read()
    return -out * out
