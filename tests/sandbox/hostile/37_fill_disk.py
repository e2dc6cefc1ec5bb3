"""Resources: fill the disk (a file in /tmp that grows without end).

Expected: "forbidden" (no file can be created), 0 marks, nothing left on disk.
"""


def tanh_local_grad(x):
    with open("/tmp/fill-__UNIQUE__", "wb") as f:
        while True:
            f.write(b"\0" * (1 << 20))
