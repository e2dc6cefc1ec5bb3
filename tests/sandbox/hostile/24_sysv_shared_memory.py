"""Write: a System V shared-memory segment or message queue, which outlives the process.

If it worked: state left in the kernel for the next submission. Expected: "forbidden", 0 marks.
"""

import ctypes
import math
import os

libc = ctypes.CDLL(None, use_errno=True)


def tanh_local_grad(x):
    shm = libc.shmget(0x5EED, 4096, 0o1666)  # IPC_CREAT | 0666
    queue = libc.msgget(0x5EED, 0o1666)
    if shm < 0 or queue < 0:
        code = ctypes.get_errno()
        raise PermissionError(code, os.strerror(code))
    return 1 - math.tanh(x) ** 2
