"""Runs inside the child process: loads a student's source and calls its functions.

Standard library only, and nothing from ``grader``: this file is executed with ``python -I -S``
in a process that holds no expected value, no secret and no other student's code.

Protocol (JSON frames; requests on fd REQ, each after its length (9 digits and a newline), replies
on fd RES, one per line; never stdout):

    parent → {"load": {"filename", "source", "module", "allowed_imports", "functions"}}
    child  → {"loaded": true, "functions": {name: {"line", "params", "kwonly", "defaults", "varargs", "varkw"}
                                                  | {"not_function": type name} | null}}
           | {"loaded": false, "kind": "syntax_error"|"crash"|"forbidden"|"memory", "message", "line"}
    parent → {"call": {"id", "fn", "args", "kwargs"}}          one call per frame
    child  → {"id", "ok": true, "value": V}                     one reply per call, in order
           | {"id", "ok": false, "kind", "type", "message", "line"}
             (a call with "echo": true also gets "args_after": [V, ...], its positional arguments
             as the function left them)
    parent → {"done": true}  (or end of file)

The information-flow rule (docs/sandbox.md): the inputs of a later call can be the reference's
answer to an earlier one (``out`` given to a local gradient is the forward answer at that node),
so the harness reads one frame at a time, exactly, and keeps only the call it is answering. The
parent orders the calls, and queues a few in the pipe ahead only where their inputs answer no
check still unanswered (student code could read the pipe itself).

V is an encoding that no student object survives: exact ints and floats, {"special": "nan"} for
non-finite floats, {"seq": [...], "len": n} for exact lists and tuples, {"map": {...}} for exact
dicts with str keys, and {"bad": type name} for anything else. The parent trusts none of it.

``load(request)`` and ``run_call(namespace, filename, call)`` are the whole interface: a runner
that is not a forked child (a Web Worker under Pyodide) calls them with the same frames.
"""

import ast
import builtins
import errno
import json
import math
import os
import sys

MAX_ITEMS = 64
HEADER = 10  # each request frame: its length in 9 ASCII digits and a newline, then that many bytes of JSON
MAX_TEXT = 300
ALWAYS_ALLOWED = {"__future__"}  # `from __future__ import annotations` is a compiler switch, not a library
DENIED = {errno.EPERM, errno.EACCES, errno.EROFS, errno.ENETUNREACH, errno.ENETDOWN, errno.EAFNOSUPPORT}
SANDBOX = "was stopped by the sandbox, which allows no files, network, programs or signals"
_real_import = builtins.__import__


def main(req_fd: int, res_fd: int) -> None:
    sys.setrecursionlimit(2000)

    encode = json.JSONEncoder(allow_nan=False).encode  # once, not per reply

    def send(frame: dict) -> None:
        data = (encode(frame) + "\n").encode()
        while data:
            data = data[os.write(res_fd, data) :]

    def exactly(n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = os.read(req_fd, n - len(data))
            if not chunk:
                os._exit(0)
            data += chunk
        return bytes(data)

    def receive() -> dict:
        # Each frame comes with its length: the harness reads that frame and not a byte more, so a
        # call the parent already queued stays in the pipe until this one is answered.
        return json.loads(exactly(int(exactly(HEADER))))

    request = receive()["load"]
    namespace, report = load(request)
    filename = request["filename"]
    del request  # the source is the student's own; nothing else of the parent's stays here
    send(report)
    if namespace is None:
        return
    while True:
        call = receive().get("call")
        if call is None:
            return
        reply = run_call(namespace, filename, call)
        del call  # only the call being answered is ever held
        send(reply)
        del reply


# --------------------------------------------------------------------------- loading


def load(request: dict):
    filename, source = request["filename"], request["source"]
    allowed = set(request.get("allowed_imports") or ()) | ALWAYS_ALLOWED
    try:
        tree = ast.parse(source, filename)
        code = compile(tree, filename, "exec")
    except SyntaxError as exc:
        message = f"{exc.msg}" + (f": {exc.text.strip()}" if exc.text else "")
        return None, {"loaded": False, "kind": "syntax_error", "message": clip(message), "line": exc.lineno}
    except (ValueError, MemoryError, RecursionError) as exc:
        return None, {"loaded": False, "kind": "syntax_error", "message": clip(str(exc)), "line": None}
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [("." * node.level) + (node.module or "")]
        for name in names:
            if name.split(".")[0] not in allowed:
                return None, forbidden(name, allowed, node.lineno)
    module = type(sys)(request.get("module", "submission"))  # a real module: dataclasses, pickle look it up
    module.__file__ = filename
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    builtins.__import__ = guarded_import(namespace, allowed)
    try:
        exec(code, namespace)
    except ForbiddenImport as exc:
        return None, forbidden(exc.name, allowed, student_line(exc, filename))
    except MemoryError:
        return None, {"loaded": False, "kind": "memory", "message": "ran out of memory while loading", "line": None}
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything, SystemExit too
        if refused(exc):
            return None, {
                "loaded": False,
                "kind": "forbidden",
                "line": student_line(exc, filename),
                "message": f"loading the file {SANDBOX} ({clip(describe(exc), 160)})",
            }
        return None, {"loaded": False, "kind": "crash", "message": describe(exc), "line": student_line(exc, filename)}
    return namespace, {"loaded": True, "functions": {n: signature(namespace.get(n)) for n in request["functions"]}}


class ForbiddenImport(ImportError):
    pass


def guarded_import(namespace: dict, allowed: set):
    """Refuse, with a clear message, imports made by the student's own code outside the allow-list.

    This is a courtesy to honest students; the operating system, not this hook, is the boundary.
    """

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        if globals is namespace and (level > 0 or name.split(".")[0] not in allowed):
            raise ForbiddenImport(f"import of '{name}' is not allowed", name=name)
        return _real_import(name, globals, locals, fromlist, level)

    return _import


def forbidden(name: str, allowed: set, line) -> dict:
    allowed_text = ", ".join(sorted(allowed - ALWAYS_ALLOWED)) or "nothing"
    return {
        "loaded": False,
        "kind": "forbidden",
        "line": line,
        "message": clip(
            f"import of '{name}' is not allowed in this exercise (allowed: {allowed_text}); "
            "the whole file is refused, so remove the import even if nothing uses it"
        ),
    }


def signature(fn):
    code = getattr(fn, "__code__", None) if type(fn).__name__ == "function" else None
    if code is None:
        return (
            None
            if fn is None
            else {
                "line": None,
                "params": [],
                "varargs": False,
                "varkw": False,
                "not_function": clip(type(fn).__name__, 60),
            }
        )
    n = code.co_argcount + code.co_kwonlyargcount
    return {
        "line": code.co_firstlineno,
        "params": list(code.co_varnames[: code.co_argcount]),
        "kwonly": list(code.co_varnames[code.co_argcount : n]),
        "defaults": len(fn.__defaults__ or ()),
        "varargs": bool(code.co_flags & 0x04),
        "varkw": bool(code.co_flags & 0x08),
    }


# --------------------------------------------------------------------------- calling


def run_call(namespace: dict, filename: str, call: dict) -> dict:
    """Call ``call["fn"]`` of the loaded namespace with the call's args and kwargs: its reply frame.

    Whatever the function does (raise, exit, return a hostile object), the reply holds only plain
    data: the parent (or a Web Worker's host) decodes it as untrusted bytes all the same.
    """
    fn = namespace.get(call["fn"])
    try:
        value = fn(*call.get("args", ()), **call.get("kwargs", {}))
        reply = {"id": call["id"], "ok": True, "value": encode(value, 0)}
        if call.get("echo"):  # the arguments as the call left them: the parent tells whether they changed
            reply["args_after"] = [encode(a, 0) for a in call.get("args", ())]
        return reply
    except MemoryError:
        return {
            "id": call["id"],
            "ok": False,
            "kind": "memory",
            "type": "MemoryError",
            "message": "ran out of memory",
            "line": None,
        }
    except RecursionError as exc:
        return {
            "id": call["id"],
            "ok": False,
            "kind": "exception",
            "type": "RecursionError",
            "message": "maximum recursion depth exceeded",
            "line": student_line(exc, filename),
        }
    except BaseException as exc:  # noqa: BLE001 - includes SystemExit from sys.exit() in a function
        kind, message = "exception", describe(exc)
        if isinstance(exc, ForbiddenImport):
            kind = "forbidden"
        elif refused(exc):
            kind, message = "forbidden", f"{SANDBOX} ({clip(message, 160)})"
        return {
            "id": call["id"],
            "ok": False,
            "kind": kind,
            "type": type_name(exc),
            "message": message,
            "line": student_line(exc, filename),
        }


def refused(exc: BaseException) -> bool:
    """An error the sandbox causes: a denied file, socket, process or signal."""
    try:
        return isinstance(exc, OSError) and exc.errno in DENIED
    except Exception:  # noqa: BLE001 - a hostile errno property
        return False


def encode(value, depth: int):
    kind = type(value)
    if kind is int:
        return value if abs(value) < 2**1023 else {"bad": "huge int"}
    if kind is float:
        return (
            value
            if math.isfinite(value)
            else {"special": "nan" if value != value else ("inf" if value > 0 else "-inf")}
        )
    if depth == 0 and kind in (list, tuple):
        return {"seq": [encode(v, 1) for v in value[:MAX_ITEMS]], "len": len(value), "type": kind.__name__}
    if depth == 0 and kind is dict:
        items = list(value.items())[:MAX_ITEMS]
        return {"map": {clip(k, 60): encode(v, 1) for k, v in items if type(k) is str}, "len": len(value)}
    if kind is str:
        return {"bad": "str", "text": clip(value, 60)}
    return {"bad": type_name(value)}


def type_name(obj) -> str:
    try:
        name = type.__dict__["__name__"].__get__(type(obj))
        return clip(name if type(name) is str else "object", 60)
    except Exception:  # noqa: BLE001
        return "object"


def describe(exc: BaseException) -> str:
    try:
        text = str(exc)
        text = text if type(text) is str else ""
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = ""
    name = type_name(exc)
    return clip(f"{name}: {text}" if text else name)


def student_line(exc: BaseException, filename: str):
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError) and exc.filename == filename:
        line = exc.lineno
    return line


def clip(text, limit: int = MAX_TEXT) -> str:
    text = str(text) if type(text) is str else ""
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else "?" for ch in text[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
