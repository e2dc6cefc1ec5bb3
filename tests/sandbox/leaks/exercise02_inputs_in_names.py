"""Hostile: every function publishes its inputs through a channel the student controls.

Issue 12, point 2: an exception class named after the inputs; also the message, the printed output,
a returned string, a returned object's type name and a wrong value. ``leak_name`` is the marker the
test searches for in every output; at public points the channels are open (their inputs are public),
at hidden points nothing of them may be shown.
"""


def leak_name(*args):
    return "ZZLEAK" + "_".join(f"{a:+.6f}".replace("-", "m").replace("+", "p").replace(".", "d") for a in args)


def mul_local_grad(a, b):
    name = leak_name(a, b)
    raise type(name, (Exception,), {})(name)


def add_local_grad(*inputs):
    print(leak_name(*inputs))
    return tuple(7.0 for _ in inputs)


def neg_local_grad(x):
    return leak_name(x)


def exp_local_grad(x, out):
    return type(leak_name(x), (), {})()


def plus_one_local_grad(x, c):
    raise ValueError(leak_name(x, c))


def reciprocal_local_grad(x, out):
    return x * 1000.0 + 0.5
