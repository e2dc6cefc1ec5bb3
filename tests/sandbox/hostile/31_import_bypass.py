"""Bypass: reach `os` without an import statement, past the allow-list (only math is allowed).

().__class__.__base__.__subclasses__() leads to os._wrap_close, whose globals are the os module.
The in-process checks are a courtesy; the operating system must still say no.
Expected (even with imports limited to math): "forbidden", 0 marks.
"""


def _os():
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "_wrap_close":
            return cls.__init__.__globals__["sys"].modules["os"]
    raise LookupError("os not found")


def tanh_local_grad(x):
    os = _os()
    fd = os.open("__REFERENCE__", os.O_RDONLY)
    table = dict(item.split("=") for item in os.read(fd, 4096).decode().split()[1:])
    return float(table[repr(x)])
