"""Marks: a float subclass that compares equal to anything (inducer/relate #295).

If it worked: isinstance(v, float) is True and v == expected is True. Expected: a non-number, 0 marks.
"""


class Sly(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__

    def __sub__(self, other):
        return Sly(0.0)

    __rsub__ = __sub__

    def __abs__(self):
        return Sly(0.0)


def tanh_local_grad(x):
    return Sly(123.0)
