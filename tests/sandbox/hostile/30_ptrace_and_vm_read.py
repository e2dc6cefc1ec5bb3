"""Processes: ptrace the grader or read its memory with process_vm_readv.

Returns the right answer only if either call worked. Expected: "forbidden", 0 marks.
"""

import ctypes
import math
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def tanh_local_grad(x):
    attached = libc.ptrace(16, int("__BYSTANDER__"), None, None)  # PTRACE_ATTACH
    buf = ctypes.create_string_buffer(64)
    local, remote = IoVec(ctypes.addressof(buf), 64), IoVec(0x400000, 64)
    read = libc.process_vm_readv(int("__BYSTANDER__"), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if attached < 0 and read < 0:
        code = ctypes.get_errno()
        raise PermissionError(code, os.strerror(code))
    return 1 - math.tanh(x) ** 2
