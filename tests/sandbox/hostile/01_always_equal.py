"""Marks: return an object whose __eq__ (and every comparison) says "equal" (nbgrader #1379).

If it worked: every check passes whatever the expected value. Expected: a non-number, 0 marks.
"""


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __ne__

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __abs__(self):
        return 0.0

    def __float__(self):
        return 0.0


def tanh_local_grad(x):
    return AlwaysEqual()
