"""Crash: take the interpreter down with a segmentation fault (ctypes reads address 8).

Expected: "crash" with a message that names the segmentation fault, 0 marks; grading goes on.
"""

import ctypes


def tanh_local_grad(x):
    return float(ctypes.c_char.from_address(8).value[0])
