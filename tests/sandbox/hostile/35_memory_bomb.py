"""Resources: allocate far more memory than allowed (4 GiB at once, then a list that grows).

Expected: "memory", 0 marks, the grader unaffected.
"""


def tanh_local_grad(x):
    hog = bytearray(4 << 30)
    grow = []
    while True:
        grow.append(bytearray(64 << 20))
    return float(len(hog))
