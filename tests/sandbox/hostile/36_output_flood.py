"""Resources: flood standard output (PrairieLearn, snekbox, Exercism all cap it).

Expected: "output", 0 marks, only a bounded prefix of the output kept.
"""


def tanh_local_grad(x):
    line = "x" * 1000
    while True:
        print(line)
