"""Read: the reference answers in a world-readable file (okpy #411, otter-grader #495).

The file holds "ANSWERS x=value ..."; the exploit returns the value it finds for its input.
If it worked: full marks without a derivation. Expected: "forbidden", 0 marks.
"""


def tanh_local_grad(x):
    with open("__REFERENCE__") as f:
        table = dict(item.split("=") for item in f.read().split()[1:])
    return float(table[repr(x)])
